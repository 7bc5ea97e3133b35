"""Automation's device_command action sends real commands through the devices module (devices.provides): the
"after hours" scene switches the building's lighting and air conditioning off, a safety command waits for a second
person and names the alarm that fired the rule, a rule whose safety command has no alarm to name is refused, the
dry-run plans exactly the commands firing makes, and a firing carried out twice sends once."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms.provides import raise_external
from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.automation import commands as automation_commands
from digipark.automation import logic, service
from digipark.automation.engine import Runner
from digipark.automation.models import AutomationFiring
from digipark.automation.schemas import RuleCreate, SceneCreate
from digipark.core.errors import PermissionDenied, ValidationFailed
from digipark.devices import commands as device_commands  # the devices module's own confirmation step (a person's)
from digipark.devices import provides as devices
from digipark.devices.models import DeviceCommand
from digipark.registry.device_tokens import token_digest
from digipark.registry.models import Device
from tests.conftest import World
from tests.notices.helpers import scope_of


def admin(db: Session) -> Scope:
    return scope_of(db, "TA", "park_admin")


def add_device(db: Session, park_id: int, kind: str, building_id: int | None = None, status: str = "active") -> int:
    suffix = uuid.uuid4().hex[:10]
    device = Device(
        park_id=park_id,
        code=f"AUTO-{suffix}",
        name=f"automation {suffix}",
        kind=kind,
        building_id=building_id,
        token_hash=token_digest(f"auto-{suffix}"),
        status=status,
        protocol="mqtt",
    )
    db.add(device)
    db.flush()
    return device.id


def make_rule(db: Session, trigger: dict[str, Any], actions: list[dict[str, Any]]) -> int:
    row = service.RULES.create(
        db, scope=admin(db), data=RuleCreate(name=f"规则{uuid.uuid4().hex[:6]}", trigger=trigger, actions=actions)
    )
    service.set_enabled(db, scope=admin(db), ident=row.id, enabled=True)
    return row.id


def commands_of(db: Session, device_id: int) -> list[DeviceCommand]:
    return list(db.scalars(select(DeviceCommand).where(DeviceCommand.device_id == device_id)))


def test_the_after_hours_scene_switches_the_buildings_lights_and_air_conditioning_off(
    db: Session, world: World
) -> None:
    a = world.a
    lights = add_device(db, a.park_id, "lighting_controller", a.building_id)
    hvac = add_device(db, a.park_id, "hvac_unit", a.building_id)
    add_device(db, a.park_id, "lighting_controller", a.building_id, status="inactive")  # not commanded
    add_device(db, a.park_id, "lighting_controller", None)  # of no building: not this building's
    scene = service.SCENES.create(
        db,
        scope=admin(db),
        data=SceneCreate(
            name="下班模式",
            actions=[
                {"kind": "device_command", "building_id": a.building_id, "system": "lighting", "command": "off"},
                {
                    "kind": "device_command",
                    "building_id": a.building_id,
                    "system": "hvac",
                    "command": "set",
                    "value": 28,
                },
            ],
        ),
    )
    ident = make_rule(db, {"kind": "event", "event": "booking_made"}, [{"kind": "scene", "scene_id": scene.id}])
    runner = Runner()
    runner.load(db)
    rows = runner.process(db, [logic.HistoryItem(1_790_000_000_000, "event", event="booking_made")])
    (row,) = [r for r in rows if r.rule_id == ident]
    assert [x["status"] for x in row.actions] == ["done", "done"]
    (off,) = commands_of(db, lights)
    (setpoint,) = commands_of(db, hvac)
    assert (off.name, off.state, off.safety, off.requested_by) == ("switch_off", "queued", False, "system")
    assert (setpoint.name, setpoint.params, setpoint.state) == ("set_temperature", {"setpoint_c": 28.0}, "queued")
    assert off.reason == f"automation rule #{ident}"
    assert [c["command_id"] for x in row.actions for c in x["commands"]] == [off.id, setpoint.id]
    # the same firing carried out again (a retry after a crash) sends nothing twice
    service.fire(db, a.park_id, [logic.Firing(ident, 1_790_000_000_000, {"event": "booking_made"}, row.actions)])
    assert len(commands_of(db, lights)) == 1


def test_a_safety_command_waits_for_a_second_person_and_names_the_alarm(db: Session, world: World) -> None:
    a = world.a
    meter = add_device(db, a.park_id, "electricity_meter", a.building_id)
    cut = {"kind": "device_command", "device_id": meter, "name": "cut_power", "params": {}}
    with pytest.raises(ValidationFailed):  # nothing to name: neither an alarm trigger nor an alarm raised first
        make_rule(db, {"kind": "event", "event": "booking_made"}, [cut])
    with pytest.raises(ValidationFailed):  # the parameters are the devices module's to check
        make_rule(db, {"kind": "alarm_raised", "min_severity": "critical"}, [{**cut, "name": "explode"}])
    ident = make_rule(db, {"kind": "alarm_raised", "min_severity": "critical"}, [cut])
    alarm = raise_external(
        db, park_id=a.park_id, source_kind="test:gas", source_ref="g1", severity="critical", title_key="Gas leak"
    )
    runner = Runner()
    runner.load(db)
    item = logic.HistoryItem(1_790_000_000_000, "alarm", severity="critical", building_id=None, alarm_id=alarm.id)
    rows = runner.process(db, [item])
    (row,) = [r for r in rows if r.rule_id == ident]
    (command,) = commands_of(db, meter)
    assert (command.state, command.safety, command.alarm_id) == ("awaiting_confirmation", True, alarm.id)
    assert row.actions[0]["commands"][0]["state"] == "awaiting_confirmation"
    with pytest.raises(PermissionDenied):  # the automation asked: it cannot confirm itself
        device_commands.confirm(
            db,
            scope=Scope.for_user(role=Role.OPERATOR, username="system", user_id=None, park_id=a.park_id),
            ident=command.id,
        )
    confirmed = device_commands.confirm(
        db,
        scope=Scope.for_user(role=Role.OPERATOR, username="值班长", user_id=None, park_id=a.park_id),
        ident=command.id,
    )
    assert confirmed.state == "queued" and confirmed.confirmed_by == "值班长"
    # a rule that raises its own alarm first may cut power: its command names that alarm
    other = make_rule(
        db,
        {"kind": "event", "event": "visitor_arrived"},
        [{"kind": "raise_alarm", "title": "Overload", "severity": "major"}, cut],
    )
    runner.load(db)
    rows = runner.process(db, [logic.HistoryItem(1_790_000_200_000, "event", event="visitor_arrived")])
    (row,) = [r for r in rows if r.rule_id == other]
    raised = row.actions[0]["alarm_id"]
    newest = max(commands_of(db, meter), key=lambda c: c.id)
    assert (newest.state, newest.alarm_id) == ("awaiting_confirmation", raised)


def test_dry_run_plans_the_commands_firing_makes(db: Session, world: World) -> None:
    a = world.a
    meter = add_device(db, a.park_id, "electricity_meter", a.building_id)
    lights = add_device(db, a.park_id, "lighting_controller", a.building_id)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for days in (5, 3):
        raise_external(
            db,
            park_id=a.park_id,
            source_kind="test:dry-run-commands",
            source_ref=f"s-{days}",
            severity="critical",
            title_key="Gas leak",
            at=now - dt.timedelta(days=days),
        )
    ident = make_rule(
        db,
        {"kind": "alarm_raised", "min_severity": "critical"},
        [
            {"kind": "device_command", "device_id": meter, "name": "cut_power", "params": {}},
            {"kind": "device_command", "building_id": a.building_id, "system": "lighting", "command": "on"},
        ],
    )
    rule, from_ms, to_ms, dry = service.dry_run_rule(db, scope=admin(db), ident=ident, until=now)
    assert len(dry) >= 2
    assert not commands_of(db, meter) and not commands_of(db, lights)  # a dry-run sends nothing
    planned = {(f.ts, f.inputs["alarm_id"]): [a_["commands"] for a_ in f.actions] for f in dry}
    assert all(
        c
        == [
            [{"device_id": meter, "name": "cut_power", "params": {}, "state": "awaiting_confirmation"}],
            [{"device_id": lights, "name": "switch_on", "params": {}, "state": "queued"}],
        ]
        for c in planned.values()
    )
    runner = Runner()
    runner.load(db)
    items = service.history(db, scope=admin(db), rule=rule, from_ms=from_ms, to_ms=to_ms)
    runner.evaluators[a.park_id].clock(from_ms)
    for item in items:
        runner.process(db, [item])
    fired = db.scalars(select(AutomationFiring).where(AutomationFiring.rule_id == ident)).all()
    done = {
        (f.ts, f.inputs["alarm_id"]): [
            [{k: v for k, v in c.items() if k != "command_id"} for c in x["commands"]] for x in f.actions
        ]
        for f in fired
    }
    assert done == planned
    assert len(commands_of(db, meter)) == len(planned) and len(commands_of(db, lights)) == len(planned)


def test_a_device_of_another_park_is_refused(db: Session, world: World) -> None:
    other = add_device(db, world.b.park_id, "lighting_controller")
    with pytest.raises(ValidationFailed):
        make_rule(
            db,
            {"kind": "event", "event": "booking_made"},
            [{"kind": "device_command", "device_id": other, "name": "switch_off", "params": {}}],
        )
    assert automation_commands.status([]) == "no_device"
    assert devices.commands_of("lighting_controller")[0].name == "switch_on"
