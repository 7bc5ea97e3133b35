"""The register, lifecycle, maintenance plans by calendar and by usage (a telemetry run-hours counter), work orders
from condition alarms, and model versions evaluated when a failure is recorded."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from sqlalchemy.orm import Session

from digipark.alarms.provides import AlarmRaised
from digipark.assets import alarm_orders, monitoring, service
from digipark.assets.models import Asset, PredictionModel
from digipark.assets.schemas import AssetCreate, FailureCreate, PlanCreate, StateChange
from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.telemetry.provides import PointLatest
from digipark.workorders.provides import read_order
from tests.conftest import World
from tests.workorders.helpers import scope_of

ALL = ListQuery(page_size=500)
T = np.arange(4096) / 10_000.0


def _asset(db: Session, world: World, *, code: str = "PUMP-1", klass: str = "pump", **extra: object) -> Asset:
    admin = scope_of(db, "TA", "park_admin")
    classes = service.seed_classes(db, park_id=world.a.park_id)
    data = AssetCreate.model_validate(
        {
            "class_id": classes[klass].id,
            "code": code,
            "name": f"{code}号循环水泵",
            "purchase_value": 120_000,
            "in_service_on": dt.date(2025, 1, 5),
            "state": "in_service",
            "building_id": world.a.building_id,
            **extra,
        }
    )
    return service.ASSETS.create(db, scope=admin, data=data)


def test_defaults_come_from_the_class_and_enterprises_read_only_their_own(db: Session, world: World) -> None:
    park_asset = _asset(db, world)
    assert (park_asset.method, park_asset.useful_life_months, park_asset.salvage_value) == ("straight_line", 120, 6000)
    owned = _asset(db, world, code="CH-1", klass="chiller", enterprise_id=world.a.enterprise_ids[0])
    assert owned.method == "double_declining"

    def visible(account: str) -> set[int]:
        rows, _ = service.ASSETS.list(db, scope=scope_of(db, "TA", account), query=ALL)
        return {r.id for r in rows}

    assert {park_asset.id, owned.id} <= visible("operator")
    assert visible("enterprise") == {owned.id}
    assert visible("enterprise2") == set()
    assert visible("resident") == set()
    with pytest.raises(NotFound):
        service.ASSETS.get(db, scope=scope_of(db, "TB", "park_admin"), ident=park_asset.id)
    with pytest.raises(PermissionDenied):
        service.ASSETS.create(
            db,
            scope=scope_of(db, "TA", "enterprise"),
            data=AssetCreate(class_id=park_asset.class_id, code="X", name="x"),
        )
    with pytest.raises(ValidationFailed):
        _asset(db, world, code="BAD", salvage_value=200_000)


def test_lifecycle_changes_are_checked_and_kept(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    asset = _asset(db, world, state="planned", in_service_on=None)
    service.change_state(db, scope=admin, ident=asset.id, data=StateChange(state="acquired", on=dt.date(2025, 2, 1)))
    with pytest.raises(Conflict):
        service.change_state(db, scope=admin, ident=asset.id, data=StateChange(state="under_maintenance"))
    service.change_state(db, scope=admin, ident=asset.id, data=StateChange(state="in_service", on=dt.date(2025, 2, 3)))
    assert (asset.acquired_on, asset.in_service_on) == (dt.date(2025, 2, 1), dt.date(2025, 2, 3))
    assert [c.to_state for c in service.history(db, scope=admin, asset=asset)] == ["planned", "acquired", "in_service"]
    assert service.schedule(asset)[0].month == dt.date(2025, 3, 1)
    with pytest.raises(PermissionDenied):
        service.change_state(
            db, scope=scope_of(db, "TA", "reviewer"), ident=asset.id, data=StateChange(state="retired")
        )


def test_plans_open_work_orders_by_calendar_and_by_run_hours_from_telemetry(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    counter = world.a.point_ids[-1]  # a park-owned point standing in for the pump's run-hours counter
    asset = _asset(db, world, run_hours_point_id=counter)
    by_hours = service.create_plan(
        db, scope=admin, asset_id=asset.id, data=PlanCreate(name="运行2000小时检修", kind="usage", every_run_hours=2000)
    )
    by_days = service.create_plan(
        db,
        scope=admin,
        asset_id=asset.id,
        data=PlanCreate(name="季度保养", kind="calendar", every_days=90, last_done_on=dt.date(2026, 9, 1)),
    )
    latest = PointLatest(point_id=counter, ts=0, value=1500.0, quality=0)
    db.add(latest)
    db.flush()
    assert service.due_plans(db, scope=admin, park_id=world.a.park_id, on=dt.date(2026, 10, 1)) == []
    latest.value = 2100.0  # the counter passed 2000 hours
    db.flush()
    opened = service.due_plans(db, scope=admin, park_id=world.a.park_id, on=dt.date(2026, 10, 1))
    assert len(opened) == 1 and by_hours.last_order_id == opened[0]
    order = read_order(db, scope=admin, ident=opened[0])
    assert (order.origin_kind, order.origin_ref, order.category) == ("plan", str(by_hours.id), "maintenance")
    assert "2100" in (order.description or "")
    # nothing twice while the order is open; the calendar plan falls due 90 days after 1 September
    assert service.due_plans(db, scope=admin, park_id=world.a.park_id, on=dt.date(2026, 11, 29)) == []
    opened = service.due_plans(db, scope=admin, park_id=world.a.park_id, on=dt.date(2026, 11, 30))
    assert len(opened) == 1 and by_days.last_order_id == opened[0]
    with pytest.raises(ValidationFailed):  # a usage plan needs a counter
        other = _asset(db, world, code="PUMP-2")
        service.create_plan(
            db, scope=admin, asset_id=other.id, data=PlanCreate(name="x", kind="usage", every_run_hours=10)
        )


def test_a_condition_alarm_on_an_assets_point_opens_one_repair_order(db: Session, world: World) -> None:
    vib = world.a.point_ids[-1]
    asset = _asset(db, world, vibration_point_id=vib)
    subscriber = alarm_orders.AlarmOrders(sync=True)
    system = scope_of(db, "TA", "park_admin")
    first = service.order_for_alarm(db, scope=system, alarm_id=9001, point_id=vib, severity="major", message="振动超限")
    assert first is not None
    order = read_order(db, scope=system, ident=first)
    assert (order.origin_kind, order.origin_ref, order.category, order.priority) == (
        "alarm",
        "9001",
        "repair",
        "urgent",
    )
    assert order.building_id == asset.building_id
    assert service.order_for_alarm(db, scope=system, alarm_id=9001, point_id=vib, severity="major") is None
    assert (
        service.order_for_alarm(db, scope=system, alarm_id=9002, point_id=world.a.point_ids[0], severity="major")
        is None
    )
    # the subscriber ignores events without a point (it handles the rest in its own transaction)
    subscriber.on_event(AlarmRaised(alarm_id=1, rule_id=1, severity="minor", state="raised", park_id=world.a.park_id))
    assert subscriber.opened == []


def _history(db: Session, asset: Asset, start: dt.date, days: int, onset: int, rate: float) -> None:
    rng = np.random.default_rng(asset.id)
    for n in range(days):
        level = 1.2 * math.exp(rate * max(0, n - onset)) * (1 + 0.03 * rng.standard_normal())
        burst = level * math.sqrt(2) * np.sin(2 * np.pi * 24.5 * T) + 0.02 * rng.standard_normal(T.size)
        monitoring.record_burst(db, asset=asset, day=start + dt.timedelta(days=n), burst=burst, temperature_c=45.0)
    db.flush()


def test_predictions_flag_the_failure_and_are_evaluated_when_it_is_recorded(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    asset = _asset(db, world)
    start = dt.date(2026, 1, 1)
    # ln RMS grows 0.03/day from day 120: 1.2 * e^(0.03 t) reaches the 4.5 mm/s limit 44 days after the onset
    _history(db, asset, start, 160, onset=120, rate=0.03)
    made = [monitoring.predict(db, scope=admin, asset=asset, on=start + dt.timedelta(days=d)) for d in (60, 150, 159)]
    assert all(p is not None for p in made)
    early, late, last = made  # type: ignore[misc]
    assert early.rul_days is None and not early.recommend
    assert last.recommend and last.reason in ("rul", "limit")
    assert last.health < early.health
    assert early.model_id == last.model_id  # one model version made them
    order_id = monitoring.open_recommended_order(db, scope=admin, prediction_id=last.id)
    assert read_order(db, scope=admin, ident=order_id).origin_ref == f"prediction:{last.id}"
    with pytest.raises(Conflict):
        monitoring.open_recommended_order(db, scope=admin, prediction_id=last.id)
    # the truth arrives: the bearing failed on day 164
    failed_on = start + dt.timedelta(days=164)
    monitoring.record_failure(
        db, scope=admin, asset_id=asset.id, data=FailureCreate(failed_on=failed_on, description="轴承损坏")
    )
    assert late.actual_failure_on == failed_on and late.error_days is not None
    assert late.error_days == float((late.failure_on - failed_on).days)  # type: ignore[operator]
    model = db.get(PredictionModel, last.model_id)
    assert model is not None and model.evaluated == 3 and model.flagged_before_failure == 1
    assert last.error_days is not None and abs(last.error_days) <= 5  # five days before, the trend is clear
    assert model.mae_days == pytest.approx((abs(late.error_days) + abs(last.error_days)) / 2, abs=0.01)
    # re-training makes a new version that has learnt from the failure
    newer = monitoring.train_model(db, scope=admin, class_id=asset.class_id, on=failed_on)
    assert newer.version == model.version + 1 and newer.params["backtest_failures"] == 1
    after = monitoring.predict(db, scope=admin, asset=asset, on=failed_on - dt.timedelta(days=1))
    assert after is not None and after.model_id == newer.id
    with pytest.raises(NotFound):  # enterprises do not read the park's predictions
        monitoring.open_recommended_order(db, scope=scope_of(db, "TA", "enterprise"), prediction_id=last.id)


def test_the_maintenance_day_opens_due_plans_retrains_stale_models_and_predicts_once(db: Session, world: World) -> None:
    from digipark.assets.scheduler import RETRAIN_DAYS, maintenance_day

    admin = scope_of(db, "TA", "park_admin")
    asset = _asset(db, world)
    start = dt.date(2026, 1, 1)
    _history(db, asset, start, 60, onset=1000, rate=0.0)
    service.create_plan(
        db,
        scope=admin,
        asset_id=asset.id,
        data=PlanCreate(name="月度保养", kind="calendar", every_days=30, last_done_on=dt.date(2026, 1, 15)),
    )
    day = start + dt.timedelta(days=59)
    first = maintenance_day(db, park_id=world.a.park_id, on=day)
    assert first == {"orders": 1, "alarm_orders": 0, "retrained": 1, "predicted": 1}
    assert maintenance_day(db, park_id=world.a.park_id, on=day) == {
        "orders": 0,
        "alarm_orders": 0,
        "retrained": 0,
        "predicted": 0,
    }
    later = maintenance_day(db, park_id=world.a.park_id, on=day + dt.timedelta(days=RETRAIN_DAYS))
    assert later["retrained"] == 1 and later["predicted"] == 1
    versions = [m.version for m in monitoring.models_of(db, scope=admin, class_id=asset.class_id)]
    assert versions == [2, 1]
