"""The demo's alarm rules and contacts (alarms.demo): targets by device class within zones, narrowed where a
zone or building mixes device kinds; limits from alarms/data/rules.yaml; idempotent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms.demo import build_alarms_demo
from digipark.alarms.models import AlarmRule, NotificationContact
from digipark.audit.service import Actor, set_actor
from digipark.auth.scope import system_scope
from digipark.registry import schemas
from digipark.registry import service as registry
from digipark.registry.models import Point
from tests.conftest import World

AS_OF = dt.date(2026, 1, 1)


def _device(db: Session, world: World, code: str, kind: str) -> list[int]:
    device = registry.create(
        db,
        scope=system_scope(world.a.park_id),
        kind=registry.KINDS["device"],
        data=schemas.DeviceCreate(code=code, name=code, kind=kind, building_id=world.a.building_id),
    )
    return list(db.scalars(select(Point.id).where(Point.device_id == device.id).order_by(Point.id)))


def test_demo_rules_target_device_classes_within_zones_once(db: Session, world: World) -> None:
    set_actor(db, Actor("test-demo"))
    a = world.a
    # a room sensor and a vibration sensor (its bearing temperature is of class temperature too) in one building,
    # and a park-owned main meter
    [room_temperature, _humidity] = _device(db, world, "TH1", "temp_humidity")
    _device(db, world, "VB1", "vibration_sensor")
    main = _device(db, world, "EM1", "electricity_meter")
    counts = build_alarms_demo(db, park_id=a.park_id, as_of=AS_OF, seed=1)
    rules = {
        r.key: r
        for r in db.scalars(select(AlarmRule).where(AlarmRule.park_id == a.park_id, AlarmRule.key.like("demo:%")))
    }
    assert counts == {"alarm_rules": len(rules), "alarm_contacts": 2}
    gas = rules["demo:gas_lel_first:zone:Z1"]
    assert (gas.device_class, gas.quantity, gas.zone_id, gas.severity) == (
        "gas_concentration",
        "combustible_gas",
        a.zone_id,
        "major",
    )
    # the GB/T 50493-2019 levels of alarms/data/rules.yaml
    assert gas.conditions[0]["type"] == "duration" and gas.conditions[0]["high"] == 25
    assert rules["demo:gas_lel_second:zone:Z1"].conditions[0]["high"] == 50
    assert rules["demo:gas_lel_second:zone:Z1"].severity == "critical"
    assert rules["demo:vibration:zone:Z1"].zone_id == a.zone_id
    # the zone and the building also hold a bearing temperature: the indoor rule is on the room sensor's point
    indoor = [r for k, r in rules.items() if k.startswith("demo:indoor_temperature:")]
    assert [(r.point_id, r.zone_id, r.building_id) for r in indoor] == [(room_temperature, None, None)]
    meters = rules["demo:meter_no_data:zone:Z1"]
    assert meters.conditions[0]["type"] == "no_data" and meters.device_class == "power"
    [baseline] = [r for k, r in rules.items() if k.startswith("demo:main_meter_baseline:")]
    assert baseline.point_id == main[1] and baseline.conditions[0]["type"] == "baseline"  # EM1's power
    assert not [k for k in rules if k.startswith(("demo:h2s", "demo:co_"))]  # no toxic gas detector here
    contacts = list(db.scalars(select(NotificationContact).where(NotificationContact.park_id == a.park_id)))
    assert sorted((c.channel, c.address, c.level) for c in contacts) == [
        ("email", "duty@example.com", 0),
        ("email", "safety-manager@example.com", 1),
    ]
    # built again (build_demo_extras on a park that has them): nothing new
    assert build_alarms_demo(db, park_id=a.park_id, as_of=AS_OF, seed=1) == {"alarm_rules": 0, "alarm_contacts": 0}
    assert len(list(db.scalars(select(AlarmRule.id).where(AlarmRule.park_id == a.park_id)))) == len(rules)
