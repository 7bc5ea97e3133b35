"""Automation and energy operations on the database: each action kind carried out and logged, a scene on a
schedule, the dry-run over history equal to the live firings, loops refused, who reads what, a bill from the
meters' hourly registers (time of use, a replacement, shared areas)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms.provides import raise_external
from digipark.auth.scope import Scope, system_scope
from digipark.automation import exports, logic, ops, service
from digipark.automation.engine import Runner
from digipark.automation.models import AutomationFiring, BillingSetting, MeterReplacement
from digipark.automation.schemas import PlanCreate, RuleCreate, RuleUpdate, SceneCreate
from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.energy.models import EnergyMeter, Tariff
from digipark.telemetry.models import Rollup1h
from digipark.workorders.provides import read_order
from tests.conftest import World
from tests.notices.helpers import scope_of

NOTE = {"kind": "notify", "to": "值班室", "text": "请关注"}


def admin(db: Session) -> Scope:
    return scope_of(db, "TA", "park_admin")


def make_rule(db: Session, trigger: dict[str, Any], actions: list[dict[str, Any]], **extra: Any) -> int:
    row = service.RULES.create(
        db, scope=admin(db), data=RuleCreate(name=f"规则{trigger['kind']}", trigger=trigger, actions=actions, **extra)
    )
    return row.id


def test_each_action_kind_is_carried_out_and_logged_with_its_inputs(db: Session, world: World) -> None:
    a = world.a
    actions = [
        {"kind": "work_order", "title": "空调检查", "building_id": a.building_id},
        {"kind": "raise_alarm", "title": "Energy use over plan", "severity": "minor", "building_id": a.building_id},
        NOTE,
        {"kind": "device_command", "point_id": a.point_ids[0], "command": "off", "label": "照明"},
    ]
    ident = make_rule(db, {"kind": "event", "event": "booking_made"}, actions)
    service.set_enabled(db, scope=admin(db), ident=ident, enabled=True)
    runner = Runner()
    runner.load(db)
    rows = runner.process(db, [logic.HistoryItem(1_790_000_000_000, "event", event="booking_made")])
    (row,) = [r for r in rows if r.rule_id == ident]
    assert row.inputs == {"event": "booking_made"}
    done = {x["kind"]: x for x in row.actions}
    assert read_order(db, scope=admin(db), ident=done["work_order"]["work_order_id"]).title == "空调检查"
    assert done["raise_alarm"]["status"] == "done" and done["raise_alarm"]["alarm_id"] > 0
    assert done["notify"]["status"] == "failed" and done["notify"]["error"] == "nobody on duty"  # no roster in park A
    # the point's device (a meter) has no switch: nothing to command, said so (tests/automation/test_commands.py)
    assert done["device_command"]["status"] == "no_device" and done["device_command"]["commands"] == []
    assert [f.id for f in service.firings(db, scope=admin(db), rule_id=ident)] == [row.id]


def test_a_scene_on_a_schedule_runs_its_actions(db: Session, world: World) -> None:
    a = world.a
    scene = service.SCENES.create(
        db,
        scope=admin(db),
        data=SceneCreate(
            name="下班模式",
            actions=[
                {"kind": "device_command", "building_id": a.building_id, "system": "lighting", "command": "off"},
                {"kind": "device_command", "building_id": a.building_id, "system": "hvac", "command": "off"},
            ],
        ),
    )
    ident = make_rule(
        db, {"kind": "schedule", "at": "19:00", "days": "every"}, [{"kind": "scene", "scene_id": scene.id}]
    )
    service.set_enabled(db, scope=admin(db), ident=ident, enabled=True)
    runner = Runner()
    runner.load(db)
    zone = service.zone()
    start = int(dt.datetime(2026, 10, 30, 12, 0, tzinfo=zone).timestamp() * 1000)
    runner.process(db, [], now=start)
    rows = runner.process(db, [], now=start + 86_400_000)
    (row,) = [r for r in rows if r.rule_id == ident]
    assert dt.datetime.fromtimestamp(row.ts / 1000, zone).hour == 19
    assert [(x["system"], x["scene_id"], x["status"]) for x in row.actions] == [
        ("lighting", scene.id, "no_device"),  # the building has no lighting controller or air conditioner
        ("hvac", scene.id, "no_device"),
    ]
    with pytest.raises(ValidationFailed):  # no scene in a scene
        service.SCENES.create(
            db, scope=admin(db), data=SceneCreate(name="x", actions=[{"kind": "scene", "scene_id": scene.id}])
        )


def test_dry_run_over_history_equals_what_firing_did(db: Session, world: World) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for days, severity in ((6, "major"), (4, "minor"), (2, "critical"), (1, "info")):
        raise_external(
            db,
            park_id=world.a.park_id,
            source_kind="test:dry-run",
            source_ref=f"sensor-{days}",
            severity=severity,
            title_key="Gas leak",
            at=now - dt.timedelta(days=days),
        )
    ident = make_rule(db, {"kind": "alarm_raised", "min_severity": "minor"}, [NOTE])
    rule, from_ms, to_ms, dry = service.dry_run_rule(db, scope=admin(db), ident=ident, until=now)
    assert len(dry) >= 3  # the major, minor and critical alarms (and any of park A's other tests)
    assert not db.scalars(select(AutomationFiring).where(AutomationFiring.rule_id == ident)).first()  # wrote nothing
    service.set_enabled(db, scope=admin(db), ident=ident, enabled=True)
    runner = Runner()
    runner.load(db)
    items = service.history(db, scope=admin(db), rule=rule, from_ms=from_ms, to_ms=to_ms)
    runner.evaluators[world.a.park_id].clock(from_ms)
    for item in items:  # one by one, as they were raised
        runner.process(db, [item])
    runner.process(db, [], now=to_ms)
    fired = db.scalars(select(AutomationFiring).where(AutomationFiring.rule_id == ident)).all()
    assert sorted((f.ts, f.inputs["alarm_id"]) for f in fired) == sorted((f.ts, f.inputs["alarm_id"]) for f in dry)
    assert all(f.actions[0]["text"] == "请关注" for f in fired)


def test_a_rule_that_would_trigger_itself_is_refused(db: Session, world: World) -> None:
    loop = make_rule(
        db,
        {"kind": "alarm_raised", "min_severity": "minor"},
        [{"kind": "raise_alarm", "title": "again", "severity": "major"}],
    )
    with pytest.raises(Conflict):
        service.set_enabled(db, scope=admin(db), ident=loop, enabled=True)
    first = make_rule(db, {"kind": "event", "event": "work_order_opened"}, [NOTE])
    service.set_enabled(db, scope=admin(db), ident=first, enabled=True)
    with pytest.raises(Conflict):  # changing an enabled rule into a loop
        service.RULES.update(
            db, scope=admin(db), ident=first, data=RuleUpdate(actions=[{"kind": "work_order", "title": "又一单"}])
        )


def test_only_staff_keep_rules_and_an_enterprise_reads_none(db: Session, world: World) -> None:
    ident = make_rule(db, {"kind": "event", "event": "visitor_arrived"}, [NOTE])
    enterprise = scope_of(db, "TA", "enterprise")
    with pytest.raises((NotFound, PermissionDenied)):
        service.RULES.get(db, scope=enterprise, ident=ident)
    with pytest.raises(PermissionDenied):
        service.RULES.create(
            db,
            scope=enterprise,
            data=RuleCreate(name="x", trigger={"kind": "event", "event": "visitor_arrived"}, actions=[NOTE]),
        )
    with pytest.raises(NotFound):
        service.RULES.get(db, scope=scope_of(db, "TB", "park_admin"), ident=ident)
    with pytest.raises(ValidationFailed):  # a point of another park
        make_rule(
            db,
            {
                "kind": "reading",
                "point_id": world.b.point_ids[0],
                "conditions": [{"type": "threshold", "op": "above", "high": 1}],
            },
            [NOTE],
        )


def _meter(db: Session, world: World, code: str, point: int, enterprise: int | None, level: str) -> EnergyMeter:
    row = EnergyMeter(
        park_id=world.a.park_id,
        code=code,
        name=code,
        level=level,
        carrier="electricity",
        flow="purchased",
        source="telemetry",
        unit="kWh",
        point_id=point,
        enterprise_id=enterprise,
        terms=[],
    )
    db.add(row)
    db.flush()
    return row


def test_a_bill_from_the_hourly_registers_with_a_replacement_and_shared_areas(db: Session, world: World) -> None:
    a = world.a
    assert len(a.point_ids) >= 3
    zone = service.zone()
    db.add(
        Tariff(
            park_id=a.park_id,
            name="测试分时电价",
            valid_from=dt.date(2020, 1, 1),
            source="test",
            periods=[
                {"start": "22:00", "end": "06:00", "band": "valley"},
                {"start": "06:00", "end": "22:00", "band": "flat"},
            ],
            prices={"flat": 0.6, "valley": 0.3},
        )
    )
    own = _meter(db, world, "BILL-E0", a.point_ids[0], a.enterprise_ids[0], "enterprise")
    other = _meter(db, world, "BILL-E1", a.point_ids[1], a.enterprise_ids[1], "enterprise")
    shared = _meter(db, world, "BILL-SH", a.point_ids[2], None, "building")

    def hour(day: int, h: int) -> int:
        return int(dt.datetime(2021, 3, day, h, tzinfo=zone).timestamp() * 1000)

    def register(point: int, values: list[tuple[int, int, float]]) -> None:
        for day, h, value in values:  # the reading at the end of the hour before (day, h)
            end = hour(day, h)
            db.add(Rollup1h(point_id=point, bucket=end - 3_600_000, count=1, last_ts=end, last_value=value))

    # enterprise 0: 1 Mar 21:00 100 → 23:00 110 (21–22 flat 5, 22–23 valley 5) → 2 Mar 01:00 130 (valley 20);
    # replaced 2 Mar 01:30 (old final 133, new first 0) → 02:00 4: (133 − 130) + 4 = 7 valley
    register(own.point_id, [(1, 21, 100.0), (1, 23, 110.0), (2, 1, 130.0), (2, 2, 4.0)])
    db.add(
        MeterReplacement(
            park_id=a.park_id,
            meter_id=own.id,
            replaced_at=dt.datetime(2021, 3, 2, 1, 30, tzinfo=zone),
            old_final=133.0,
            new_initial=0.0,
        )
    )
    register(other.point_id, [(3, 10, 0.0), (3, 11, 40.0)])  # 40 flat
    register(shared.point_id, [(3, 10, 0.0), (3, 12, 50.0)])  # 50 flat = 30 yuan
    db.add(
        BillingSetting(
            park_id=a.park_id,
            shared_meter_id=shared.id,
            method="area",
            areas={str(a.enterprise_ids[0]): 300, str(a.enterprise_ids[1]): 200},
        )
    )
    db.flush()
    bills = {b.enterprise_id: b for b in ops.month_bills(db, scope=admin(db), month=dt.date(2021, 3, 1))}
    mine = bills[a.enterprise_ids[0]]
    (line,) = mine.lines
    assert line.kwh == pytest.approx({"flat": 5.0, "valley": 32.0})
    assert line.total_amount == pytest.approx(3.0 + 9.6)
    assert (line.old_final, line.new_initial) == (133.0, 0.0)
    assert mine.shared_amount == pytest.approx(18.0) and mine.total_amount == pytest.approx(30.6)
    assert bills[a.enterprise_ids[1]].total_amount == pytest.approx(24.0 + 12.0)
    sheet = load_workbook(io.BytesIO(exports.bills_xlsx(list(bills.values()), "zh"))).active
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:4] == ["企业", "计量表", "起始读数", "结束读数"]
    totals = {r[0]: r[-1] for r in rows if r[1] == "合计"}
    assert sorted(totals.values()) == pytest.approx(sorted([30.6, 36.0]))
    assert any(str(r[1]).startswith("公摊区域 60.00") for r in rows)
    # an enterprise sees its own bill only
    theirs = ops.month_bills(db, scope=scope_of(db, "TA", "enterprise"), month=dt.date(2021, 3, 1))
    assert [b.enterprise_id for b in theirs] == [a.enterprise_ids[0]]
    with pytest.raises(NotFound):
        ops.month_bills(
            db, scope=scope_of(db, "TA", "enterprise"), month=dt.date(2021, 3, 1), enterprise_id=a.enterprise_ids[1]
        )


def test_plans_are_read_by_their_enterprise_and_warn(db: Session, world: World) -> None:
    a = world.a
    plan = ops.PLANS.create(
        db, scope=admin(db), data=PlanCreate(year=2021, quota=100.0, enterprise_id=a.enterprise_ids[0])
    )
    rows, _ = ops.PLANS.list(db, scope=scope_of(db, "TA", "enterprise2"), query=ListQuery())
    assert plan.id not in {r.id for r in rows}
    progress = ops.plan_progress(db, scope=scope_of(db, "TA", "enterprise"), year=2021, months=12)
    assert [p.plan.id for p in progress] == [plan.id]
    with pytest.raises(PermissionDenied):
        ops.PLANS.create(db, scope=scope_of(db, "TA", "enterprise"), data=PlanCreate(year=2021, quota=1.0))
    assert system_scope(a.park_id).can(ops.WRITE)


def test_register_samples_are_kept_and_follow_every_reading_that_arrives(db: Session, world: World) -> None:
    point = world.a.point_ids[0]
    hour = 3_600_000
    start = 1_614_556_800_000  # 2021-03-01 00:00 UTC
    db.add_all(
        Rollup1h(point_id=point, bucket=start + h * hour, count=1, last_ts=start + (h + 1) * hour, last_value=10.0 * h)
        for h in range(3)
    )
    db.flush()
    ops.forget_samples()
    first = ops.register_samples(db, [point], start + hour, start + 10 * hour)
    assert first[point].tolist() == [[start + hour, 0.0], [start + 2 * hour, 10.0], [start + 3 * hour, 20.0]]
    assert ops.register_samples(db, [point], start + hour, start + 10 * hour)[point] is first[point]  # kept
    db.add(Rollup1h(point_id=point, bucket=start + 3 * hour, count=1, last_ts=start + 4 * hour, last_value=35.0))
    db.flush()
    later = ops.register_samples(db, [point], start + hour, start + 10 * hour)[point]  # a new hour: appended
    assert later.tolist() == [*first[point].tolist(), [start + 4 * hour, 35.0]]
    latest = db.get(Rollup1h, (point, start + 3 * hour))
    assert latest is not None
    latest.count, latest.last_ts, latest.last_value = 2, start + 4 * hour - 60_000, 36.0  # the latest hour grew
    db.flush()
    grown = ops.register_samples(db, [point], start + hour, start + 10 * hour)[point]
    assert grown.tolist() == [*first[point].tolist(), [start + 4 * hour - 60_000, 36.0]]
    old = db.get(Rollup1h, (point, start + hour))
    assert old is not None
    old.count, old.last_value = 2, 12.0  # a late reading of an hour before the latest: read again, all of it
    db.flush()
    again = ops.register_samples(db, [point], start + hour, start + 10 * hour)[point]
    assert again[1].tolist() == [start + 2 * hour, 12.0] and again[-1].tolist() == [start + 4 * hour - 60_000, 36.0]
    ops.forget_samples()
