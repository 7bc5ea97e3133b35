"""Asset classes kept as records: made and changed through the API and on a page (attributes, maintenance
templates and condition indicators as YAML lists), checked as the catalogue's are, every write audited; a change of
a class's indicators reaches its assets' alarm rules (a removed one is disabled); a class with assets is not
deleted; refused input says why in the page's language and writes nothing; only staff write, an enterprise reads."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.alarms.models import AlarmRule
from digipark.assets import service
from digipark.assets.classes import CLASSES
from digipark.assets.models import AssetClass, IndicatorRule
from digipark.assets.schemas import AssetClassCreate, AssetClassUpdate
from digipark.audit.models import AuditEntry
from digipark.core.errors import Conflict
from tests.assets.test_indicator_watch import _asset, _point
from tests.conftest import World, bearer
from tests.web.helpers import login, visible_text
from tests.workorders.helpers import scope_of

GEARBOX: dict[str, Any] = {
    "code": "gearbox",
    "name": "齿轮箱",
    "kind": "machinery",
    "useful_life_years": 12,
    "method": "sum_of_years",
    "salvage_rate": 0.04,
    "rotating": True,
    "vibration_group": "group2_rigid",
    "templates": [{"name": "齿轮箱半年保养", "every_days": 180}],
    "attributes": [
        {"name": "ratio", "label_zh": "传动比", "label_en": "Gear ratio", "type": "number", "range": [1, 200]}
    ],
    "condition_indicators": [
        {"quantity": "gearbox_oil_temperature", "label_zh": "油温", "label_en": "Oil temperature", "high": 85}
    ],
}


def _audits(db: Session, ident: int) -> int:
    where = (AuditEntry.entity_type == "asset_class", AuditEntry.entity_id == str(ident))
    return db.scalar(select(func.count(AuditEntry.id)).where(*where)) or 0


def test_a_class_is_made_changed_and_kept_through_the_api(client: TestClient, db: Session, world: World) -> None:
    admin = bearer(world.a.tokens["park_admin"])
    made = client.post("/api/v1/assets/classes", json=GEARBOX, headers=admin)
    assert made.status_code == 201, made.text
    ident = made.json()["id"]
    assert made.json()["templates"] == [{"name": "齿轮箱半年保养", "every_days": 180}]
    assert _audits(db, ident) == 1
    assert client.post("/api/v1/assets/classes", json=GEARBOX, headers=admin).status_code == 409  # code taken
    for bad, field in (
        ({"attributes": [{"name": "ratio", "type": "number"}]}, "attributes"),  # no labels
        ({"condition_indicators": [{"quantity": "x"}]}, "condition_indicators"),  # no limit
        ({"vibration_group": "group9"}, "vibration_group"),
        ({"templates": [{"name": "t", "every_days": 30, "every_run_hours": 100}]}, "templates"),
        ({"code": "Gear Box"}, "code"),
        ({"useful_life_years": 0}, "useful_life_years"),
    ):
        refused = client.post("/api/v1/assets/classes", json={**GEARBOX, "code": "other", **bad}, headers=admin)
        assert refused.status_code == 422, (bad, refused.text)
        assert field in refused.text
    assert db.scalar(select(func.count(AssetClass.id)).where(AssetClass.code == "other")) == 0
    changed = client.patch(f"/api/v1/assets/classes/{ident}", json={"useful_life_years": 15}, headers=admin)
    assert changed.status_code == 200 and changed.json()["useful_life_years"] == 15
    assert _audits(db, ident) == 2
    enterprise = bearer(world.a.tokens["enterprise"])
    assert client.get(f"/api/v1/assets/classes/{ident}", headers=enterprise).status_code == 200
    assert client.patch(f"/api/v1/assets/classes/{ident}", json={"name": "x"}, headers=enterprise).status_code == 403
    other_park = bearer(world.b.tokens["park_admin"])
    assert client.get(f"/api/v1/assets/classes/{ident}", headers=other_park).status_code == 404


def test_changing_a_class_indicators_reaches_its_assets_alarm_rules(db: Session, world: World) -> None:
    scope = scope_of(db, "TA", "park_admin")
    klass = CLASSES.create(db, scope=scope, data=AssetClassCreate.model_validate(GEARBOX))
    pid = _point(db, world, "gearbox_oil_temperature")
    asset = _asset(db, world, klass, temperature_point_id=pid)
    [kept] = db.scalars(select(IndicatorRule).where(IndicatorRule.asset_id == asset.id))
    rule = db.get(AlarmRule, kept.rule_id)
    assert rule is not None and rule.enabled and rule.conditions[0]["high"] == 85
    lowered = [{**GEARBOX["condition_indicators"][0], "high": 75}]
    CLASSES.update(db, scope=scope, ident=klass.id, data=AssetClassUpdate(condition_indicators=lowered))
    db.refresh(rule)
    assert rule.conditions[0]["high"] == 75 and rule.enabled  # the same rule, the new limit
    CLASSES.update(db, scope=scope, ident=klass.id, data=AssetClassUpdate(condition_indicators=[]))
    db.refresh(rule)
    assert not rule.enabled  # the class no longer declares it: the rule stops, its history stays
    assert db.scalar(select(func.count(IndicatorRule.id)).where(IndicatorRule.asset_id == asset.id)) == 0
    CLASSES.update(db, scope=scope, ident=klass.id, data=AssetClassUpdate(condition_indicators=lowered))
    db.refresh(rule)
    assert rule.enabled  # declared again: the same rule watches again
    with pytest.raises(Conflict):
        CLASSES.delete(db, scope=scope, ident=klass.id)


def test_a_class_is_made_on_the_page_and_refused_input_says_why(client: TestClient, db: Session, world: World) -> None:
    service.seed_classes(db, park_id=world.a.park_id)
    db.commit()
    csrf = login(client, "TA-park_admin")
    listing = client.get("/assets/classes")
    assert listing.status_code == 200 and "资产类别" in listing.text and 'href="/assets/classes/new"' in listing.text
    form = {
        "csrf_token": csrf,
        "code": "gearbox",
        "name": "齿轮箱",
        "kind": "machinery",
        "useful_life_years": "12",
        "method": "straight_line",
        "salvage_rate": "0.05",
        "rotating": "on",
        "vibration_group": "",
        "temperature_limit_c": "",
        "templates": "- {name: 齿轮箱半年保养, every_days: 180}",
        "attributes": "",
        "condition_indicators": "- {quantity: gearbox_oil_temperature, label_zh: 油温, label_en: Oil temp, high: 85}",
    }
    for bad, reason in (
        ({"templates": "- {name: x, every_days: [}"}, "维护模板：不是有效的 YAML（第 1 行）。"),
        ({"condition_indicators": "- {quantity: x}"}, "状态指标：YAML 列表"),
        ({"useful_life_years": "0"}, "使用年限（年）："),
    ):
        refused = client.post("/assets/classes/new", data={**form, **bad})
        assert refused.status_code == 422 and reason in visible_text(refused.text), visible_text(refused.text)[-600:]
    english = client.post(
        "/assets/classes/new?lang=en", data={**form, "code": "Gear Box"}, headers={"Accept-Language": "en"}
    )
    assert english.status_code == 422 and "Code: " in visible_text(english.text)
    assert db.scalar(select(func.count(AssetClass.id)).where(AssetClass.code == "gearbox")) == 0
    saved = client.post("/assets/classes/new", data=form, follow_redirects=False)
    assert saved.status_code == 303, visible_text(saved.text)[-400:]
    klass = db.scalar(select(AssetClass).where(AssetClass.code == "gearbox", AssetClass.park_id == world.a.park_id))
    assert klass is not None and klass.templates == [{"name": "齿轮箱半年保养", "every_days": 180}]
    assert klass.condition_indicators and klass.condition_indicators[0]["high"] == 85
    edit = client.get(f"/assets/classes/{klass.id}")
    assert edit.status_code == 200 and "gearbox_oil_temperature" in edit.text
    changed = client.post(
        f"/assets/classes/{klass.id}",
        data={**form, "code": "ignored", "useful_life_years": "20"},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    db.refresh(klass)
    assert klass.useful_life_years == 20 and klass.code == "gearbox"
    assert _audits(db, klass.id) == 2
    assert client.post(
        f"/assets/classes/{klass.id}", data={k: v for k, v in form.items() if k != "csrf_token"}
    ).status_code in (400, 403)
    reader = TestClient(client.app)
    login(reader, "TA-enterprise")
    assert reader.get("/assets/classes").status_code == 200
    assert reader.get("/assets/classes/new").status_code == 403
