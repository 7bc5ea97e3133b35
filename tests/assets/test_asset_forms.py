"""The asset page's forms for staff — attribute values, maintenance plans (add, pause, resume) and document
versions with expiry days — in zh and en, with CSRF, refused input shown again with its reason in the reader's
language and nothing written, every write audited; the register lists the documents about to expire."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.assets import documents, service
from digipark.assets.models import Asset, AssetDocument, MaintenancePlan
from digipark.assets.schemas import AssetCreate
from digipark.audit.models import AuditEntry
from tests.conftest import World
from tests.web.helpers import login, visible_text
from tests.workorders.helpers import scope_of

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _asset(db: Session, world: World, code: str = "PUMP-F1", **extra: object) -> Asset:
    classes = service.seed_classes(db, park_id=world.a.park_id)
    data = AssetCreate.model_validate(
        {
            "class_id": classes["pump"].id,
            "code": code,
            "name": "3号冷却水泵",
            "purchase_value": 90_000,
            "in_service_on": dt.date(2025, 1, 5),
            "state": "in_service",
            **extra,
        }
    )
    asset = service.ASSETS.create(db, scope=scope_of(db, "TA", "park_admin"), data=data)
    db.commit()
    return asset


def _audits(db: Session, entity: str, ident: int) -> int:
    return (
        db.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.entity_type == entity, AuditEntry.entity_id == str(ident)
            )
        )
        or 0
    )


def test_attribute_values_are_set_on_the_page_and_refused_ones_say_why(
    client: TestClient, world: World, db: Session
) -> None:
    asset = _asset(db, world)
    csrf = login(client, "TA-park_admin")
    page = client.get(f"/assets/{asset.id}").text
    assert 'name="attr_rated_power"' in page and 'name="attr_head"' in page
    before = _audits(db, "asset", asset.id)
    saved = client.post(
        f"/assets/{asset.id}",
        data={"csrf_token": csrf, "action": "attributes", "attr_rated_power": "55", "attr_head": "32", "attr_flow": ""},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    db.expire_all()
    assert db.get(Asset, asset.id).attributes == {"rated_power": 55.0, "head": 32.0}  # type: ignore[union-attr]
    assert _audits(db, "asset", asset.id) == before + 1
    refused = client.post(
        f"/assets/{asset.id}",
        data={"csrf_token": csrf, "action": "attributes", "attr_rated_power": "99999"},
    )
    assert refused.status_code == 422 and "额定功率：须在 0.1 与 5000 之间。" in visible_text(refused.text)
    refused_en = client.post(
        f"/assets/{asset.id}?lang=en",
        data={"csrf_token": csrf, "action": "attributes", "attr_head": "tall"},
        headers={"Accept-Language": "en"},
    )
    assert refused_en.status_code == 422 and "Head: must be a number." in visible_text(refused_en.text)
    db.expire_all()
    assert db.get(Asset, asset.id).attributes == {"rated_power": 55.0, "head": 32.0}  # type: ignore[union-attr]
    no_csrf = client.post(f"/assets/{asset.id}", data={"action": "attributes", "attr_head": "10"})
    assert no_csrf.status_code in (400, 403)
    reader = TestClient(client.app)
    login(reader, "TA-reviewer")
    assert 'name="attr_rated_power"' not in reader.get(f"/assets/{asset.id}").text


def test_plans_are_added_paused_and_resumed_on_the_page(client: TestClient, world: World, db: Session) -> None:
    asset = _asset(db, world, code="PUMP-F2")
    csrf = login(client, "TA-park_admin")
    added = client.post(
        f"/assets/{asset.id}",
        data={"csrf_token": csrf, "action": "plan", "name": "水泵月度巡检", "kind": "calendar", "every": "30"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    [plan] = db.scalars(select(MaintenancePlan).where(MaintenancePlan.asset_id == asset.id))
    assert (plan.kind, plan.every_days, plan.active) == ("calendar", 30, True)
    assert _audits(db, "asset_maintenance_plan", plan.id) == 1
    # a run-hours plan needs the asset's run-hours point: refused, the reason in Chinese, nothing written
    refused = client.post(
        f"/assets/{asset.id}",
        data={"csrf_token": csrf, "action": "plan", "name": "运行2000小时检修", "kind": "usage", "every": "2000"},
    )
    assert refused.status_code == 422 and "该资产没有此类计划所需的计数测点" in visible_text(refused.text)
    for bad, reason in (({"every": "-3"}, "按日历的计划须填写间隔天数"), ({"kind": "weekly"}, "请选择计划类型")):
        data = {"csrf_token": csrf, "action": "plan", "name": "x", "kind": "calendar", "every": "7", **bad}
        response = client.post(f"/assets/{asset.id}", data=data)
        assert response.status_code == 422 and reason in visible_text(response.text)
    assert db.scalar(select(func.count(MaintenancePlan.id)).where(MaintenancePlan.asset_id == asset.id)) == 1
    paused = client.post(
        f"/assets/{asset.id}",
        data={"csrf_token": csrf, "action": "plan_active", "plan_id": str(plan.id), "active": "0"},
        follow_redirects=False,
    )
    assert paused.status_code == 303
    db.expire_all()
    assert db.get(MaintenancePlan, plan.id).active is False  # type: ignore[union-attr]
    assert _audits(db, "asset_maintenance_plan", plan.id) == 2
    other = _asset(db, world, code="PUMP-F3")
    foreign = client.post(
        f"/assets/{other.id}",
        data={"csrf_token": csrf, "action": "plan_active", "plan_id": str(plan.id), "active": "1"},
    )
    assert foreign.status_code == 404  # a plan of another asset
    english = client.get(f"/assets/{asset.id}?lang=en", headers={"Accept-Language": "en"}).text
    assert "Add plan" in visible_text(english) and "Paused" in visible_text(english)


def test_a_document_uploaded_again_is_its_next_version_and_expiring_ones_are_listed(
    client: TestClient, world: World, db: Session
) -> None:
    asset = _asset(db, world, code="PUMP-F4")
    admin = scope_of(db, "TA", "park_admin")
    today = service.today()
    first = documents.upload(
        db,
        scope=admin,
        asset_id=asset.id,
        kind="certificate",
        title="压力容器检验合格证",
        filename="cert-2025.pdf",
        content_type="application/pdf",
        content=PDF,
        expires_on=today + dt.timedelta(days=10),
    )
    manual = documents.upload(
        db,
        scope=admin,
        asset_id=asset.id,
        kind="manual",
        filename="manual.pdf",
        content_type="application/pdf",
        content=PDF,
        expires_on=today + dt.timedelta(days=400),
    )
    db.commit()
    assert (first.version, manual.version) == (1, 1)
    [soon] = documents.expiring(db, scope=admin, park_id=world.a.park_id, on=today)
    assert (soon.document.id, soon.days_left) == (first.id, 10)
    csrf = login(client, "TA-park_admin")
    register = visible_text(client.get("/assets").text)
    assert "60 天内到期的资料" in register and "压力容器检验合格证" in register and "10 天后到期" in register
    # the renewed certificate: version 2, the old one kept, nothing expiring any more
    posted = client.post(
        f"/assets/{asset.id}",
        data={
            "csrf_token": csrf,
            "action": "document",
            "kind": "certificate",
            "title": "压力容器检验合格证",
            "expires_on": (today + dt.timedelta(days=365)).isoformat(),
        },
        files={"file": ("cert-2026.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    rows = list(db.scalars(select(AssetDocument).where(AssetDocument.asset_id == asset.id).order_by(AssetDocument.id)))
    assert [(r.kind, r.version) for r in rows] == [("certificate", 1), ("manual", 1), ("certificate", 2)]
    assert documents.expiring(db, scope=admin, park_id=world.a.park_id, on=today) == []
    page = visible_text(client.get(f"/assets/{asset.id}").text)
    assert "v2" in page and "已被新版本取代" in page
    assert client.get(f"/assets/documents/{rows[0].id}").status_code == 200  # the old version still downloads
    bad_day = client.post(
        f"/assets/{asset.id}",
        data={"csrf_token": csrf, "action": "document", "kind": "manual", "expires_on": "31.02.2026"},
        files={"file": ("m.pdf", PDF, "application/pdf")},
    )
    assert bad_day.status_code == 422 and "到期日无效" in visible_text(bad_day.text)
    wrong_type = client.post(
        f"/assets/{asset.id}",
        data={"csrf_token": csrf, "action": "document", "kind": "manual"},
        files={"file": ("x.pdf", b"MZ\x90", "application/pdf")},
    )
    assert wrong_type.status_code == 415 and "不接受此类文件" in visible_text(wrong_type.text)
    assert db.scalar(select(func.count(AssetDocument.id)).where(AssetDocument.asset_id == asset.id)) == 3
    expired = documents.expiring(db, scope=admin, park_id=world.a.park_id, on=today + dt.timedelta(days=420))
    assert [(e.document.kind, e.days_left) for e in expired] == [("certificate", -55), ("manual", -20)]
