"""Condition indicators declared by an asset class as data (no code) are watched: a telemetry quantity's limits by
an alarm rule on the asset's linked point (evaluated on ingest), a computed vibration feature's by the maintenance
day; a value past a limit raises the alarm and opens the repair order, a value within them nothing. The alarm
orders' handler tries a locked database again instead of losing the order."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from digipark.alarms.models import Alarm
from digipark.alarms.provides import AlarmRaised
from digipark.assets import alarm_orders, attributes, monitoring, service, watch
from digipark.assets.models import AlarmOrder, Asset, AssetClass, IndicatorRule
from digipark.assets.scheduler import maintenance_day
from digipark.assets.schemas import AssetCreate, AssetUpdate
from digipark.audit.service import Actor, set_actor
from digipark.registry.device_tokens import token_digest
from digipark.registry.models import Device, Point
from digipark.workorders.provides import read_order
from tests.alarms.helpers import alarms, engine, feed
from tests.conftest import World
from tests.workorders.helpers import scope_of

S = 1000
T = np.arange(10_000) / 10_000.0


@pytest.fixture
def subscriber(db: Session) -> Iterator[alarm_orders.AlarmOrders]:
    set_actor(db, Actor("test-assets"))
    orders = alarm_orders.AlarmOrders(sync=True)
    orders.start()
    yield orders
    orders.stop()


def _class(db: Session, world: World, code: str, indicators: list[dict[str, object]]) -> AssetClass:
    """A class that exists only as a row: no code knows it."""
    klass = AssetClass(
        park_id=world.a.park_id,
        code=code,
        name="齿轮箱",
        kind="machinery",
        useful_life_years=10,
        method="straight_line",
        salvage_rate=0.05,
        rotating=True,
        templates=[],
        attributes=[],
        condition_indicators=indicators,
    )
    watch.check_indicators(indicators)
    db.add(klass)
    db.flush()
    return klass


def _point(db: Session, world: World, quantity: str) -> int:
    device = Device(
        park_id=world.a.park_id,
        code=f"GB-{quantity}",
        name="齿轮箱传感器",
        kind="sensor",
        status="active",
        token_hash=token_digest(f"gb-{quantity}"),
        building_id=world.a.building_id,
    )
    db.add(device)
    db.flush()
    point = Point(
        park_id=world.a.park_id,
        device_id=device.id,
        key=quantity,
        name="油温",
        quantity=quantity,
        unit="°C",
        device_class="temperature",
        state_class="measurement",
        expected_interval_s=60,
    )
    db.add(point)
    db.flush()
    return point.id


def _asset(db: Session, world: World, klass: AssetClass, **links: int) -> Asset:
    data = AssetCreate.model_validate(
        {
            "class_id": klass.id,
            "code": f"GB-{klass.code}",
            "name": "1号齿轮箱",
            "purchase_value": 80_000,
            "in_service_on": dt.date(2025, 3, 1),
            "state": "in_service",
            "building_id": world.a.building_id,
            **links,
        }
    )
    return service.ASSETS.create(db, scope=scope_of(db, "TA", "park_admin"), data=data)


def test_a_quantity_limit_declared_as_data_raises_the_alarm_and_opens_the_order_on_ingest(
    db: Session, world: World, subscriber: alarm_orders.AlarmOrders
) -> None:
    klass = _class(
        db,
        world,
        "gearbox",
        [{"quantity": "gearbox_oil_temperature", "label_zh": "油温", "label_en": "Oil temperature", "high": 85}],
    )
    pid = _point(db, world, "gearbox_oil_temperature")
    asset = _asset(db, world, klass, temperature_point_id=pid)
    [kept] = db.scalars(select(IndicatorRule).where(IndicatorRule.asset_id == asset.id))
    assert (kept.indicator, kept.point_id) == ("gearbox_oil_temperature", pid)
    e = engine(db)
    feed(e, pid, [(0, 70.0), (S, 84.9)])  # below the limit: nothing
    assert alarms(db, kept.rule_id) == [] and subscriber.opened == []
    feed(e, pid, [(2 * S, 91.5)])  # past it
    [alarm] = alarms(db, kept.rule_id)
    assert (alarm.point_id, alarm.severity, alarm.trigger_value) == (pid, "major", 91.5)
    [order_id] = subscriber.opened
    order = read_order(db, scope=scope_of(db, "TA", "park_admin"), ident=order_id)
    assert (order.origin_kind, order.origin_ref, order.category, order.priority) == (
        "alarm",
        str(alarm.id),
        "repair",
        "urgent",
    )
    assert db.scalar(select(AlarmOrder.asset_id).where(AlarmOrder.alarm_id == alarm.id)) == asset.id
    # saving the asset again writes no second rule; a changed limit updates the same rule
    service.ASSETS.update(
        db, scope=scope_of(db, "TA", "park_admin"), ident=asset.id, data=AssetUpdate(name="1号齿轮箱")
    )
    klass.condition_indicators = [{"quantity": "gearbox_oil_temperature", "low": 5, "high": 95}]
    db.flush()
    assert watch.sync_asset(db, asset=asset) == [kept.rule_id]
    assert db.scalar(select(func.count(IndicatorRule.id)).where(IndicatorRule.asset_id == asset.id)) == 1


def test_an_asset_without_a_point_of_the_quantity_gets_no_rule(db: Session, world: World) -> None:
    klass = _class(db, world, "gearbox2", [{"quantity": "gearbox_oil_temperature", "high": 85}])
    other = _point(db, world, "ambient_temperature")
    asset = _asset(db, world, klass, temperature_point_id=other)
    assert watch.sync_asset(db, asset=asset) == []
    # linked to a point of the quantity, then to another one: each link gets its rule, no conflict
    admin = scope_of(db, "TA", "park_admin")
    first, second = _point(db, world, "gearbox_oil_temperature"), _point(db, world, "gearbox_oil_temperature_b")
    db.get(Point, second).quantity = "gearbox_oil_temperature"  # type: ignore[union-attr]
    service.ASSETS.update(db, scope=admin, ident=asset.id, data=AssetUpdate(temperature_point_id=first))
    [rule_first] = watch.sync_asset(db, asset=asset)
    service.ASSETS.update(db, scope=admin, ident=asset.id, data=AssetUpdate(temperature_point_id=second))
    [rule_second] = watch.sync_asset(db, asset=asset)
    assert rule_first != rule_second
    assert db.scalar(select(IndicatorRule.point_id).where(IndicatorRule.asset_id == asset.id)) == second


def test_declarations_without_limits_or_with_an_unknown_feature_are_refused() -> None:
    for bad in (
        [{"quantity": "x"}],
        [{"feature": "skewness", "high": 1}],
        [{"quantity": "x", "feature": "kurtosis", "high": 1}],
        [{"quantity": "x", "high": "hot"}],
        [{"quantity": "x", "high": 1, "severity": "fatal"}],
    ):
        with pytest.raises(ValueError):
            watch.check_indicators(bad)


def test_a_feature_limit_declared_as_data_is_evaluated_by_the_maintenance_day(db: Session, world: World) -> None:
    set_actor(db, Actor("test-assets"))
    klass = _class(
        db,
        world,
        "gearbox3",
        [{"feature": "kurtosis", "label_zh": "峭度", "label_en": "Kurtosis", "high": 6, "severity": "minor"}],
    )
    asset = _asset(db, world, klass)
    assert attributes.indicators(klass.condition_indicators or [], "zh") == [("峭度", "", "≤ 6")]  # the page's list
    day = dt.date(2026, 11, 2)
    sine = 2.0 * np.sin(2 * np.pi * 25 * T)  # kurtosis 1.5
    monitoring.record_burst(db, asset=asset, day=day, burst=sine)
    db.flush()
    assert maintenance_day(db, park_id=world.a.park_id, on=day)["alarm_orders"] == 0
    impacts = sine.copy()
    impacts[::1000] += 40.0  # a bearing's impacts: kurtosis far above 6
    monitoring.record_burst(db, asset=asset, day=day + dt.timedelta(days=1), burst=impacts)
    db.flush()
    counts = maintenance_day(db, park_id=world.a.park_id, on=day + dt.timedelta(days=1))
    assert counts["alarm_orders"] == 1
    [link] = db.scalars(select(AlarmOrder).where(AlarmOrder.asset_id == asset.id))
    alarm = db.get(Alarm, link.alarm_id)
    assert alarm is not None and (alarm.severity, alarm.message) == ("minor", watch.FEATURE_TITLE)
    order = read_order(db, scope=scope_of(db, "TA", "park_admin"), ident=link.order_id)
    assert order.origin_kind == "alarm" and order.priority == "normal" and "峭度" in (order.description or "")
    # the next hour's run evaluates the same day again: nothing more
    assert maintenance_day(db, park_id=world.a.park_id, on=day + dt.timedelta(days=1))["alarm_orders"] == 0
    assert alarm.occurrences == 1


def test_the_alarm_orders_handler_tries_a_locked_database_again(
    db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    waits: list[float] = []

    def locked_twice(event: AlarmRaised) -> int | None:
        calls.append(event.alarm_id)
        if len(calls) <= 2:
            raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
        return 4242

    monkeypatch.setattr(alarm_orders, "_open_once", locked_twice)
    monkeypatch.setattr(alarm_orders, "sleep", waits.append)
    subscriber = alarm_orders.AlarmOrders(sync=True)
    event = AlarmRaised(alarm_id=7, rule_id=1, severity="major", state="raised", park_id=world.a.park_id, point_id=3)
    subscriber.on_event(event)
    assert subscriber.opened == [4242] and calls == [7, 7, 7] and waits == list(alarm_orders.RETRY_DELAYS_S[:2])

    def broken(event: AlarmRaised) -> int | None:
        raise ValueError("not a lock")

    monkeypatch.setattr(alarm_orders, "_open_once", broken)
    waits.clear()
    subscriber.on_event(event)  # another error is not retried (logged by the subscriber)
    assert waits == [] and subscriber.opened == [4242]
