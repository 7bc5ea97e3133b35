"""The register's Excel import (every row or none, errors per row) and export, spare parts (stock, consumption by
work orders, reorder level), MTBF/MTTR per asset and class, the isolation-forest detector on synthetic data with
known anomalies, and S3.1's equipment parts."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.assets import anomaly, parts, reliability, service, sheets, utilisation
from digipark.assets.indicators import asset_equipment
from digipark.assets.models import Asset, ConditionDay, LifecycleChange, MaintenancePlan
from digipark.assets.monitoring import record_failure
from digipark.assets.schemas import FailureCreate, PartConsumption, PartCreate, PartReceipt
from digipark.core.errors import Conflict, NotFound, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.core.spreadsheet import ImportFailed
from digipark.evaluation.provides import IndicatorContext
from digipark.registry.models import Building
from digipark.workorders.models import WorkOrder
from digipark.workorders.provides import OriginKind
from tests.assets.test_service import _asset
from tests.conftest import World, bearer
from tests.workorders.helpers import scope_of


def _workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = ["资产编码 (code)", "资产名称", "资产类别", "所在楼宇", "状态", "投用日期", "原值(元)", "折旧方法"]


def _codes(db: Session, world: World) -> set[str]:
    return set(db.scalars(select(Asset.code).where(Asset.park_id == world.a.park_id)))


def test_an_import_writes_every_row_or_none_and_reports_each_bad_row(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    service.seed_classes(db, park_id=world.a.park_id)
    building = db.get(Building, world.a.building_id)
    assert building is not None
    bad = _workbook(
        [
            HEADER,
            ["P-1", "冷却水泵1", "pump", building.code, "在用", "2024-03-01", 80000, "年限平均法"],
            ["P-2", "冷却水泵2", "nope", building.code, "在用", "2024-03-01", 80000, None],
            ["P-3", "冷却水泵3", "pump", "NO-SUCH", "在用", "2024-03-01", -5, None],
            ["P-1", "重复", "pump", None, None, None, None, None],
        ]
    )
    with pytest.raises(ImportFailed) as caught:
        sheets.import_or_raise(db, scope=admin, content=bad)
    errors = {(e["row"], e["column"]) for e in caught.value.errors}
    assert {(3, "class_code"), (4, "building_code"), (4, "purchase_value"), (5, "code")} <= errors
    assert (2, "code") not in errors and caught.value.failed_rows == 3
    assert _codes(db, world) == set()

    good = _workbook(
        [
            HEADER,
            ["P-1", "冷却水泵1", "pump", building.code, "在用", "2024-03-01", 80000, "年限平均法"],
            ["P-2", "冷却水泵2", "pump", None, "计划购置", None, 50000, None],
        ]
    )
    assert sheets.import_or_raise(db, scope=admin, content=good, dry_run=True).created == 2
    assert _codes(db, world) == set()
    report = sheets.import_or_raise(db, scope=admin, content=good)
    assert (report.created, report.updated) == (2, 0)
    one = db.scalar(select(Asset).where(Asset.code == "P-1"))
    assert one is not None
    assert (one.state, one.in_service_on, one.building_id, one.salvage_value) == (
        "in_service",
        dt.date(2024, 3, 1),
        building.id,
        4000,
    )

    # a second file updates by code; a new state follows the lifecycle (recorded), a forbidden one is refused
    update = _workbook([["code", "state", "supplier"], ["P-2", "已购置", "某泵业"], ["P-1", "在用", None]])
    assert sheets.import_or_raise(db, scope=admin, content=update).updated == 2
    two = db.scalar(select(Asset).where(Asset.code == "P-2"))
    assert two is not None and (two.state, two.supplier) == ("acquired", "某泵业")
    assert (
        db.scalar(
            select(LifecycleChange.to_state)
            .where(LifecycleChange.asset_id == two.id)
            .order_by(LifecycleChange.id.desc())
            .limit(1)
        )
        == "acquired"
    )
    with pytest.raises(ImportFailed) as refused:
        sheets.import_or_raise(
            db, scope=admin, content=_workbook([["code", "state"], ["P-2", "维修中"], ["P-1", "停用"]])
        )
    assert [(e["row"], e["column"]) for e in refused.value.errors] == [(2, "state")]
    assert db.get(Asset, one.id).state == "in_service"  # type: ignore[union-attr]

    # the export reads back in the import's columns
    content, _media = sheets.export(db, scope=admin, query=ListQuery(page_size=500), fmt="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "资产编码 (code)" and {r[0] for r in rows[1:]} == {"P-1", "P-2"}
    assert sheets.import_or_raise(db, scope=admin, content=content).updated == 2


def test_an_enterprise_may_not_import(db: Session, world: World) -> None:
    from digipark.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        sheets.import_or_raise(db, scope=scope_of(db, "TA", "enterprise"), content=_workbook([HEADER]))


def test_spare_parts_are_consumed_by_work_orders_and_reordered_at_their_level(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    asset = _asset(db, world)
    bearing = parts.create_part(
        db,
        scope=admin,
        data=PartCreate(
            code="BRG-6205", name="深沟球轴承6205", stock=5, reorder_level=2, reorder_quantity=10, unit_cost=40
        ),
    )
    with pytest.raises(ValidationFailed):
        parts.create_part(db, scope=admin, data=PartCreate(code="BRG-6205", name="again"))
    order = service.open_asset_order(
        db, scope=admin, asset=asset, title="换轴承", description=None, origin=OriginKind.ASSET, origin_ref="t"
    )
    parts.consume(
        db, scope=admin, part_id=bearing.id, data=PartConsumption(order_id=order, asset_id=asset.id, quantity=3)
    )
    assert bearing.stock == 2 and parts.to_reorder(db, scope=admin) == [bearing]
    with pytest.raises(Conflict):  # short: nothing changes
        parts.consume(
            db, scope=admin, part_id=bearing.id, data=PartConsumption(order_id=order, asset_id=asset.id, quantity=3)
        )
    assert bearing.stock == 2
    with pytest.raises(ValidationFailed):
        parts.consume(
            db, scope=admin, part_id=bearing.id, data=PartConsumption(order_id=999_999, asset_id=asset.id, quantity=1)
        )
    parts.receive(db, scope=admin, part_id=bearing.id, data=PartReceipt(quantity=10, unit_cost=45))
    assert (bearing.stock, bearing.unit_cost) == (12, 45) and parts.to_reorder(db, scope=admin) == []
    parts.consume(
        db, scope=admin, part_id=bearing.id, data=PartConsumption(order_id=order, asset_id=asset.id, quantity=1)
    )
    assert parts.parts_cost(db, scope=admin, asset=asset) == 3 * 40 + 45
    assert [m.kind for m in parts.movements(db, scope=admin, part_id=bearing.id)].count("consumption") == 2
    with pytest.raises(NotFound):  # another park's staff cannot touch the store
        parts.receive(db, scope=scope_of(db, "TB", "park_admin"), part_id=bearing.id, data=PartReceipt(quantity=1))


def test_mtbf_and_mttr_per_asset_and_class_from_failures_and_repair_orders(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    pump = _asset(db, world, in_service_on=dt.date(2025, 1, 1))
    other = _asset(db, world, code="PUMP-2", in_service_on=dt.date(2025, 1, 1))
    repairs = []
    for hours, failed_on in ((6, dt.date(2025, 3, 1)), (10, dt.date(2025, 6, 1))):
        ident = service.open_asset_order(
            db, scope=admin, asset=pump, title="抢修", description=None, origin=OriginKind.ASSET, origin_ref="t"
        )
        order = db.get(WorkOrder, ident)
        assert order is not None
        order.reported_at = dt.datetime.combine(failed_on, dt.time(8), tzinfo=dt.UTC)
        order.completed_at = order.reported_at + dt.timedelta(hours=hours)
        repairs.append(ident)
        record_failure(
            db,
            scope=admin,
            asset_id=pump.id,
            data=FailureCreate(failed_on=failed_on, description="轴承损坏", repair_order_id=ident),
        )
    db.flush()
    until = dt.date(2025, 7, 1)
    figures = reliability.of_asset(db, scope=admin, asset=pump, until=until)
    calendar = (until - dt.date(2025, 1, 1)).days * 24
    assert (figures.failures, figures.repairs) == (2, 2)
    assert figures.mttr_hours == 8.0
    assert figures.mtbf_hours == round((calendar - 16) / 2, 1)
    assert reliability.of_asset(db, scope=admin, asset=other, until=until).mtbf_hours is None
    pooled = reliability.by_class(db, scope=admin, park_id=world.a.park_id, until=until)[pump.class_id]
    assert pooled.failures == 2 and pooled.mtbf_hours == round((2 * calendar - 16) / 2, 1)
    with pytest.raises(ValidationFailed):
        record_failure(
            db,
            scope=admin,
            asset_id=pump.id,
            data=FailureCreate(failed_on=until, description="x", repair_order_id=999_999),
        )


def test_the_detector_finds_known_anomalies_in_synthetic_features() -> None:
    for seed in range(3):
        baseline, days, truth = anomaly.labelled_sample(seed)
        detector = anomaly.fit(baseline, seed=seed)
        found = detector.flags(days)
        assert anomaly.f1(truth, found) >= 0.9, seed
        # the combination beats its parts: the forest alone, and the z-scores alone
        forest = [s > 0 for s in detector.scores(days)]
        alone = [z >= anomaly.Z_ALONE for z in detector.max_z(days)]
        assert anomaly.f1(truth, found) > max(anomaly.f1(truth, forest), anomaly.f1(truth, alone)), seed
    with pytest.raises(ValueError):
        anomaly.fit(baseline[:5])


def test_the_equipment_parts_of_s3_1(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    pump = _asset(db, world, vibration_point_id=world.a.point_ids[-1])
    _asset(db, world, code="TX-1", klass="transformer")
    db.add(
        MaintenancePlan(
            park_id=world.a.park_id, asset_id=pump.id, name="保养", kind="calendar", every_days=90, active=True
        )
    )
    db.flush()
    found = asset_equipment(
        IndicatorContext(session=db, scope=admin, park_id=world.a.park_id, as_of=dt.date(2026, 1, 1))
    )
    shares = {p.key: (p.numerator, p.denominator) for p in found.parts}
    assert shares["equipment_complete"] == (1, 2)  # the transformer has no maintenance plan
    assert shares["key_equipment_monitored"] == (0, 1)  # the pump's point has no reading: offline
    assert {g.action for g in found.gaps} == {"complete_equipment", "monitor_equipment"}
    assert found.value == 0.0


def test_utilisation_from_run_hours_against_available_hours_lists_the_idle(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    busy = _asset(db, world, code="P-BUSY")
    idle = _asset(db, world, code="P-IDLE")
    _asset(db, world, code="P-NODATA")
    until = dt.date(2026, 3, 31)
    for n in range(30):
        day = until - dt.timedelta(days=n)
        db.add(ConditionDay(park_id=world.a.park_id, asset_id=busy.id, day=day, run_hours=12.0))
        db.add(ConditionDay(park_id=world.a.park_id, asset_id=idle.id, day=day, run_hours=0.5))
    db.flush()
    found = dict(utilisation.of_park(db, scope=admin, park_id=world.a.park_id, until=until))
    assert set(found) == {busy, idle}
    assert found[busy].share == pytest.approx(0.5) and not found[busy].idle
    assert found[idle].share == pytest.approx(0.5 / 24) and found[idle].idle
    pooled = utilisation.by_class(list(found.items()))
    assert pooled[busy.class_id].run_hours == 30 * 12.5 and pooled[busy.class_id].available_hours == 2 * 30 * 24


def test_the_api_records_a_failure_and_answers_reliability_and_parts(
    client: TestClient, world: World, db: Session
) -> None:
    asset = _asset(db, world)
    db.commit()
    headers = bearer(world.a.tokens["operator"])
    failed = client.post(
        f"/api/v1/assets/{asset.id}/failures", json={"failed_on": "2025-06-01", "description": "轴承"}, headers=headers
    )
    assert failed.status_code == 201 and failed.json()["asset_id"] == asset.id
    figures = client.get(f"/api/v1/assets/{asset.id}/reliability", headers=headers).json()
    assert figures["failures"] == 1 and figures["mtbf_hours"] is not None and figures["mttr_hours"] is None
    assert any(
        r["class_id"] == asset.class_id for r in client.get("/api/v1/assets/reliability", headers=headers).json()
    )
    part = client.post(
        "/api/v1/assets/parts", json={"code": "X-1", "name": "滤网", "reorder_level": 1}, headers=headers
    )
    assert part.status_code == 201
    assert [p["code"] for p in client.get("/api/v1/assets/parts?reorder=true", headers=headers).json()] == ["X-1"]
