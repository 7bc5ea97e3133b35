"""Asset pages: the register with the outlook, an asset's page with its prediction, recommended work order and
depreciation, opening the order and changing the state through the forms; an enterprise sees only its own;
both languages."""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.assets import monitoring, service
from digipark.assets.models import Asset
from digipark.assets.schemas import AssetCreate
from tests.conftest import World
from tests.web.helpers import form_token, login, visible_text
from tests.workorders.helpers import scope_of

T = np.arange(2048) / 10_000.0


def _degrading_pump(db: Session, world: World, code: str = "PG-1", enterprise_id: int | None = None) -> Asset:
    admin = scope_of(db, "TA", "park_admin")
    klass = service.seed_classes(db, park_id=world.a.park_id)["pump"]
    asset = service.ASSETS.create(
        db,
        scope=admin,
        data=AssetCreate(
            class_id=klass.id,
            code=code,
            name=f"{code}冷却水泵",
            state="in_service",
            in_service_on=dt.date(2024, 5, 10),
            purchase_value=100_000,
            useful_life_months=60,
            enterprise_id=enterprise_id,
        ),
    )
    today = service.today()
    rng = np.random.default_rng(5)
    for n in range(120):
        level = 1.0 * math.exp(0.03 * max(0, n - 80)) * (1 + 0.02 * rng.standard_normal())
        burst = level * math.sqrt(2) * np.sin(2 * np.pi * 24.5 * T)
        monitoring.record_burst(db, asset=asset, day=today - dt.timedelta(days=119 - n), burst=burst)
    db.flush()
    monitoring.predict(db, scope=admin, asset=asset, on=today)
    db.commit()
    return asset


def test_the_asset_page_shows_the_prediction_and_opens_the_recommended_order(
    client: TestClient, world: World, db: Session
) -> None:
    asset = _degrading_pump(db, world)
    login(client, "TA-operator")
    listing = client.get("/assets")
    assert listing.status_code == 200 and asset.code in listing.text and "建议维护" in visible_text(listing.text)
    page = client.get(f"/assets/{asset.id}")
    text = visible_text(page.text)
    assert "建议工单" in text and "剩余使用寿命" in text and "年限平均法" in text
    assert "19,000.00" in text  # (100,000 - 5,000) / 5 a year
    response = client.post(
        f"/assets/{asset.id}",
        data={"csrf_token": form_token(page.text), "action": "order"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and re.match(r"/workorders/\d+", response.headers["location"])
    again = client.get(f"/assets/{asset.id}")
    assert 'id="asset-order"' in again.text and 'id="asset-open-order"' not in again.text
    bad = client.post(
        f"/assets/{asset.id}",
        data={"csrf_token": form_token(again.text), "action": "state", "state": "disposed"},
        follow_redirects=False,
    )
    assert bad.status_code == 409
    ok = client.post(
        f"/assets/{asset.id}",
        data={"csrf_token": form_token(again.text), "action": "state", "state": "under_maintenance"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    english = client.get(f"/assets/{asset.id}?lang=en")
    assert "Recommended work order" in english.text and "Under maintenance" in english.text


def test_an_enterprise_sees_its_own_assets_without_the_parks_predictions(
    client: TestClient, world: World, db: Session
) -> None:
    park_asset = _degrading_pump(db, world, "PG-P")
    own = _degrading_pump(db, world, "PG-E", enterprise_id=world.a.enterprise_ids[0])
    login(client, "TA-enterprise")
    listing = client.get("/assets")
    assert own.code in listing.text and park_asset.code not in listing.text
    assert client.get(f"/assets/{park_asset.id}").status_code == 404
    page = client.get(f"/assets/{own.id}")
    assert page.status_code == 200 and "建议工单" not in page.text
    assert (
        client.post(f"/assets/{own.id}", data={"csrf_token": form_token(page.text), "action": "order"}).status_code
        == 404
    )


def test_the_enterprise_archive_lists_its_assets(client: TestClient, world: World, db: Session) -> None:
    own = _degrading_pump(db, world, "PG-A", enterprise_id=world.a.enterprise_ids[0])
    login(client, "TA-operator")
    page = client.get(f"/enterprises/{world.a.enterprise_ids[0]}/archive")
    assert page.status_code == 200 and 'id="assets-owned"' in page.text and own.code in page.text
    assert "100,000.00" in visible_text(page.text)  # its purchase value
    other = client.get(f"/enterprises/{world.a.enterprise_ids[1]}/archive")
    assert own.code not in other.text and "暂无登记资产" in visible_text(other.text)
