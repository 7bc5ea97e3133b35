"""Usage plans by cycles (a starts counter) and by energy (a kWh meter) on hand-built readings, and asset classes'
attributes as data: values checked against the class's declaration, a new class with an attribute needs no code."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.assets import attributes, service
from digipark.assets.models import Asset, AssetClass
from digipark.assets.schemas import AssetCreate, AssetUpdate, PlanCreate
from digipark.core.errors import ValidationFailed
from digipark.telemetry.provides import PointLatest
from digipark.workorders.provides import read_order
from tests.conftest import World
from tests.web.helpers import login, visible_text
from tests.workorders.helpers import scope_of


def _asset(db: Session, world: World, *, code: str = "PUMP-1", klass: str | int = "pump", **extra: object) -> Asset:
    admin = scope_of(db, "TA", "park_admin")
    classes = service.seed_classes(db, park_id=world.a.park_id)
    data = AssetCreate.model_validate(
        {
            "class_id": classes[klass].id if isinstance(klass, str) else klass,
            "code": code,
            "name": f"{code}设备",
            "purchase_value": 120_000,
            "in_service_on": dt.date(2025, 1, 5),
            "state": "in_service",
            **extra,
        }
    )
    return service.ASSETS.create(db, scope=admin, data=data)


@pytest.mark.parametrize(
    ("kind", "point_field", "every", "before", "after", "unit"),
    [
        ("cycles", "cycles_point_id", 5000, 4200.0, 5300.0, "次启停"),
        ("energy", "energy_point_id", 20000, 1.5e4, 2.1e4, "千瓦时"),
    ],
)
def test_usage_plans_by_cycles_and_by_energy_open_orders_from_the_counter(
    db: Session, world: World, kind: str, point_field: str, every: float, before: float, after: float, unit: str
) -> None:
    admin = scope_of(db, "TA", "park_admin")
    counter = world.a.point_ids[-1]
    asset = _asset(db, world, **{point_field: counter})
    plan = service.create_plan(
        db, scope=admin, asset_id=asset.id, data=PlanCreate(name="按用量检修", kind=kind, every_usage=every)
    )
    latest = PointLatest(point_id=counter, ts=0, value=before, quality=0)
    db.add(latest)
    db.flush()
    assert service.usage_counter(db, asset, kind) == before
    assert service.due_plans(db, scope=admin, park_id=world.a.park_id, on=dt.date(2026, 10, 1)) == []
    latest.value = after  # the counter passed the plan's step
    db.flush()
    opened = service.due_plans(db, scope=admin, park_id=world.a.park_id, on=dt.date(2026, 10, 1))
    assert opened == [plan.last_order_id]
    order = read_order(db, scope=admin, ident=opened[0])
    assert f"{after:.0f}{unit}" in (order.description or "")
    assert plan.last_done_usage == after and plan.last_done_run_hours is None
    # the next order falls due one step after the counter at the last order (once the first is closed)
    with pytest.raises(ValidationFailed):  # a plan by this basis needs the asset's counter point
        other = _asset(db, world, code="PUMP-2")
        service.create_plan(db, scope=admin, asset_id=other.id, data=PlanCreate(name="x", kind=kind, every_usage=10))
    with pytest.raises(ValidationFailed):  # and its step
        service.create_plan(db, scope=admin, asset_id=asset.id, data=PlanCreate(name="x", kind=kind))


def test_attribute_values_are_checked_against_the_class_and_name_the_attribute(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    asset = _asset(db, world, attributes={"rated_power": 45, "head": "32"})
    assert asset.attributes == {"rated_power": 45.0, "head": 32.0}
    with pytest.raises(ValidationFailed) as exc:
        _asset(db, world, code="PUMP-3", attributes={"rated_power": 99999})
    assert exc.value.errors[0]["attribute"] == "rated_power" and "rated_power" in exc.value.errors[0]["reason"]
    with pytest.raises(ValidationFailed) as exc:
        _asset(db, world, code="PUMP-4", attributes={"colour": "red"})
    assert "colour" in exc.value.errors[0]["reason"]
    with pytest.raises(ValidationFailed) as exc:
        service.ASSETS.update(db, scope=admin, ident=asset.id, data=AssetUpdate(attributes={"flow": "lots"}))
    assert "flow" in exc.value.errors[0]["reason"]
    transformer = _asset(db, world, code="TR-1", klass="transformer", attributes={"capacity": 1250, "cooling": "dry"})
    klass = db.get(AssetClass, transformer.class_id)
    assert klass is not None
    assert attributes.rows(klass.attributes or [], transformer.attributes, "zh") == [
        ("额定容量", "1250 kVA"),
        ("冷却方式", "干式"),
    ]
    assert attributes.rows(klass.attributes or [], transformer.attributes, "en")[1] == ("Cooling", "Dry type")
    assert attributes.indicators(klass.condition_indicators or [], "en")[0] == ("Winding temperature", "°C", "≤ 95")
    with pytest.raises(ValidationFailed):
        _asset(db, world, code="TR-2", klass="transformer", attributes={"cooling": "water"})


def test_a_new_class_with_an_attribute_needs_no_code(db: Session, world: World) -> None:
    declared = [
        {"name": "floors", "label_zh": "服务楼层", "label_en": "Floors served", "type": "number", "range": [2, 120]},
        {"name": "drive", "label_zh": "驱动方式", "label_en": "Drive", "type": "text"},
    ]
    attributes.check_declaration(declared)
    klass = AssetClass(
        park_id=world.a.park_id,
        code="escalator",
        name="自动扶梯",
        kind="machinery",
        useful_life_years=15,
        method="straight_line",
        salvage_rate=0.05,
        attributes=declared,
        condition_indicators=[{"quantity": "motor_current", "label_zh": "电机电流", "label_en": "Motor current"}],
    )
    db.add(klass)
    db.flush()
    asset = _asset(db, world, code="ESC-1", klass=klass.id, attributes={"floors": 3, "drive": "变频"})
    assert asset.attributes == {"floors": 3.0, "drive": "变频"}
    with pytest.raises(ValidationFailed) as exc:
        _asset(db, world, code="ESC-2", klass=klass.id, attributes={"floors": 1})
    assert "floors" in exc.value.errors[0]["reason"]
    with pytest.raises(ValueError, match="label"):
        attributes.check_declaration([{"name": "x", "type": "number"}])


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_documents_of_an_asset_are_checked_kept_and_read_by_its_owner_only(db: Session, world: World) -> None:
    from digipark.assets import documents
    from digipark.audit.models import AuditEntry
    from digipark.core.errors import NotFound, PermissionDenied
    from digipark.core.spreadsheet import FileTooLarge, UnsupportedFile

    admin = scope_of(db, "TA", "park_admin")
    asset = _asset(db, world, enterprise_id=world.a.enterprise_ids[0])
    row = documents.upload(
        db,
        scope=admin,
        asset_id=asset.id,
        kind="manual",
        filename="C:\\资料\\水泵说明书.pdf",
        content_type="application/pdf",
        content=PDF_BYTES,
    )
    assert (row.filename, row.size_bytes, row.enterprise_id) == ("水泵说明书.pdf", len(PDF_BYTES), asset.enterprise_id)
    with pytest.raises(UnsupportedFile):  # a renamed executable is not the PDF it claims to be
        documents.upload(
            db,
            scope=admin,
            asset_id=asset.id,
            kind="drawing",
            filename="x.pdf",
            content_type="application/pdf",
            content=b"MZ\x90\x00",
        )
    with pytest.raises(FileTooLarge):
        documents.upload(
            db,
            scope=admin,
            asset_id=asset.id,
            kind="drawing",
            filename="x.pdf",
            content_type="application/pdf",
            content=PDF_BYTES + b"0" * documents.UPLOADS.max_bytes,
        )
    with pytest.raises(ValidationFailed):
        documents.upload(
            db,
            scope=admin,
            asset_id=asset.id,
            kind="poem",
            filename="x.pdf",
            content_type="application/pdf",
            content=PDF_BYTES,
        )
    owner = scope_of(db, "TA", "enterprise")
    assert [d.id for d in documents.documents_of(db, scope=owner, asset_id=asset.id)] == [row.id]
    assert documents.get(db, scope=owner, ident=row.id).content == PDF_BYTES
    with pytest.raises(PermissionDenied):  # the owner reads, staff write
        documents.upload(
            db,
            scope=owner,
            asset_id=asset.id,
            kind="manual",
            filename="y.pdf",
            content_type="application/pdf",
            content=PDF_BYTES,
        )
    other = scope_of(db, "TA", "enterprise2")
    with pytest.raises((NotFound, PermissionDenied)):
        documents.get(db, scope=other, ident=row.id)
    with pytest.raises((NotFound, PermissionDenied)):
        documents.documents_of(db, scope=other, asset_id=asset.id)
    audited = db.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_type == "asset_document", AuditEntry.entity_id == str(row.id))
    ).all()
    assert "create" in audited


def test_documents_and_attributes_on_the_asset_page(client: TestClient, world: World, db: Session) -> None:
    asset = _asset(db, world, attributes={"rated_power": 45})
    db.commit()
    csrf = login(client, "TA-park_admin")
    posted = client.post(
        f"/assets/{asset.id}",
        data={"csrf_token": csrf, "action": "document", "kind": "inspection", "title": "年度检验报告"},
        files={"file": ("report.pdf", PDF_BYTES, "application/pdf")},
        follow_redirects=False,
    )
    assert posted.status_code == 303, posted.text
    text = visible_text(client.get(f"/assets/{asset.id}").text)
    assert "检验报告" in text and "年度检验报告" in text and "额定功率" in text and "45 kW" in text
    assert "振动速度" in text  # the class's condition indicators
    english = visible_text(client.get(f"/assets/{asset.id}?lang=en").text)
    assert "Inspection report" in english and "Rated power" in english
    refused = client.post(
        f"/assets/{asset.id}",
        data={"csrf_token": csrf, "action": "document", "kind": "manual"},
        files={"file": ("x.pdf", b"MZ\x90", "application/pdf")},
    )
    assert refused.status_code == 415
    from digipark.assets.models import AssetDocument

    row = db.scalar(select(AssetDocument).where(AssetDocument.asset_id == asset.id))
    assert row is not None
    download = client.get(f"/assets/documents/{row.id}")
    assert download.status_code == 200 and download.content == PDF_BYTES
