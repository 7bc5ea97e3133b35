"""Roads and pipes, leases, the registry sync and the asset map through the pages: staff edit a pipe's line (a bad
one is refused with its reason), lease the asset to an enterprise and see the income; the enterprise sees its lease
on the register and another enterprise does not; the map carries the line and the located asset with their links."""

from __future__ import annotations

import datetime as dt
import json

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.assets import service
from digipark.assets.models import Asset
from digipark.assets.schemas import AssetCreate
from tests.conftest import World
from tests.web.helpers import login, visible_text
from tests.workorders.helpers import scope_of

LINE = {"type": "LineString", "coordinates": [[120.7001, 31.3001], [120.7021, 31.3001]]}


def _pipe(db: Session, world: World) -> Asset:
    admin = scope_of(db, "TA", "park_admin")
    classes = service.seed_classes(db, park_id=world.a.park_id)
    asset = service.ASSETS.create(
        db,
        scope=admin,
        data=AssetCreate(
            class_id=classes["pipe"].id,
            code="PN-T-1",
            name="测试给水管",
            state="in_service",
            in_service_on=dt.date(2022, 5, 1),
            purchase_value=500_000,
            network="water",
            geometry=LINE,
            material="球墨铸铁管",
            diameter_mm=200,
            install_year=2022,
        ),
    )
    db.commit()
    return asset


def test_a_pipe_is_edited_leased_and_mapped_through_the_pages(client: TestClient, world: World, db: Session) -> None:
    pipe = _pipe(db, world)
    csrf = login(client, "TA-park_admin")
    page = client.get(f"/assets/{pipe.id}")
    text = visible_text(page.text)
    assert page.status_code == 200 and "道路与管网" in text and "给水" in text and "球墨铸铁管" in text
    multi = {"type": "MultiLineString", "coordinates": [LINE["coordinates"], [[120.7021, 31.3001], [120.7021, 31.302]]]}
    form = {"csrf_token": csrf, "action": "network", "network": "water", "material": "球墨铸铁管", "diameter_mm": "300"}
    saved = client.post(f"/assets/{pipe.id}", data={**form, "geometry": json.dumps(multi)}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    db.refresh(pipe)
    assert pipe.geometry == multi and pipe.diameter_mm == 300
    bad = {"type": "LineString", "coordinates": [[120.7, 31.3], [120.7, 95.0]]}
    refused = client.post(f"/assets/{pipe.id}", data={**form, "geometry": json.dumps(bad)})
    assert refused.status_code == 422 and "latitude" in refused.text
    assert client.post(f"/assets/{pipe.id}", data={**form, "geometry": "{oops"}).status_code == 422
    # a lease to enterprise 0 for its unit, put in force
    lease = {
        "csrf_token": csrf,
        "action": "lease",
        "enterprise_id": str(world.a.enterprise_ids[0]),
        "room_id": str(world.a.room_id),
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "monthly_rent": "3100",
    }
    assert client.post(f"/assets/{pipe.id}", data=lease, follow_redirects=False).status_code == 303
    page = client.get(f"/assets/{pipe.id}")
    assert "本年租赁收入" in visible_text(page.text) and "草稿" in visible_text(page.text)
    from digipark.assets.models import Lease

    made = db.query(Lease).filter(Lease.asset_id == pipe.id).one()
    step = {"csrf_token": csrf, "action": "lease_state", "lease_id": str(made.id), "state": "active"}
    assert client.post(f"/assets/{pipe.id}", data=step, follow_redirects=False).status_code == 303
    after = visible_text(client.get(f"/assets/{pipe.id}").text)
    assert "有效" in after and "到期结束" in after
    # the map: the pipe's line with its link
    shown = client.get("/assets/map")
    assert shown.status_code == 200 and f'"/assets/{pipe.id}"' in shown.text and "MultiLineString" in shown.text
    # the registry sync from the register page
    synced = client.post("/assets/registry-sync", data={"csrf_token": csrf}, follow_redirects=False)
    assert synced.status_code == 303 and synced.headers["location"].startswith("/assets?synced=")
    assert "从基础信息导入" in visible_text(client.get(synced.headers["location"]).text)
    client.cookies.clear()
    # enterprise 0 sees its lease on the register, enterprise 1 does not
    login(client, "TA-enterprise")
    assert "测试给水管" in visible_text(client.get("/assets").text)
    assert client.get(f"/assets/{pipe.id}").status_code == 404  # the park's asset page stays the park's
    client.cookies.clear()
    login(client, "TA-enterprise2")
    assert "测试给水管" not in visible_text(client.get("/assets").text)
    client.cookies.clear()
    login(client, "TA-park_admin")
    english = client.get(f"/assets/{pipe.id}?lang=en")
    assert "Lease income this year (yuan)" in english.text or "Lease income" in visible_text(english.text)
