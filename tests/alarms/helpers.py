"""Helpers of the alarm tests: rules made through the service, readings fed to a synchronous engine."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms import service
from digipark.alarms.engine import RulesEngine
from digipark.alarms.models import Alarm, AlarmEvent
from digipark.alarms.schemas import RuleCreate
from digipark.auth.scope import system_scope
from digipark.registry.device_tokens import token_digest
from digipark.registry.models import Device, Point
from digipark.telemetry.events import ReadingsStored
from tests.conftest import World

T0 = 1_767_225_600_000  # 2026-01-01 00:00 UTC


def add_gas_detector(
    session: Session, park_id: int, *, code: str, name: str, building_id: int | None = None
) -> tuple[Device, Point]:
    """A gas detector (token = its code in lower case) with a %LEL point, flushed in `session`."""
    device = Device(
        park_id=park_id,
        code=code,
        name=name,
        kind="gas_detector",
        token_hash=token_digest(code.lower()),
        building_id=building_id,
        status="active",
    )
    session.add(device)
    session.flush()
    point = Point(
        park_id=park_id,
        device_id=device.id,
        key="lel_pct",
        name="可燃气体浓度",
        quantity="combustible_gas",
        unit="%LEL",
        device_class="gas_concentration",
        state_class="measurement",
        expected_interval_s=10,
        valid_min=0,
        valid_max=100,
    )
    session.add(point)
    session.flush()
    return device, point


def gas_point(world: World) -> int:
    return world.a.point_ids[4]  # park A's gas detector, %LEL


def make_rule(db: Session, world: World, conditions: list[dict[str, Any]], **extra: Any) -> int:
    data = {"name": "可燃气体报警", "severity": "critical", "conditions": conditions, "point_id": gas_point(world)}
    data.update(extra)
    if data.get("device_class"):
        data.pop("point_id", None)
    rule = service.create_rule(db, scope=system_scope(world.a.park_id), data=RuleCreate(**data))
    return rule.id


def engine(db: Session) -> RulesEngine:
    e = RulesEngine(sync=True, clock=lambda: T0 / 1000)
    e.load(db)
    return e


def feed(e: RulesEngine, point_id: int, values: list[tuple[int, float]]) -> None:
    """Readings (ms after T0, value) of one point, each as its own batch."""
    for offset, value in values:
        e.on_readings(ReadingsStored(latest={}, readings=((point_id, T0 + offset, value, 0),)))


def alarms(db: Session, rule_id: int) -> list[Alarm]:
    db.expire_all()
    return list(db.scalars(select(Alarm).where(Alarm.rule_id == rule_id).order_by(Alarm.id)))


def actions(db: Session, alarm_id: int) -> list[str]:
    return list(db.scalars(select(AlarmEvent.action).where(AlarmEvent.alarm_id == alarm_id).order_by(AlarmEvent.id)))
