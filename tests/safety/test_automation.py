"""Incidents that open by themselves (safety.automation): a raised alarm at or above an active plan's
`auto_open_severity` in its area opens one incident, audited as the system actor, never two for one alarm."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.alarms import service as alarms
from digipark.alarms.schemas import RuleCreate
from digipark.audit.models import AuditEntry
from digipark.audit.service import Actor, set_actor
from digipark.auth.scope import system_scope
from digipark.safety import automation
from digipark.safety.models import EmergencyPlan, Incident
from tests.alarms.helpers import alarms as alarms_of
from tests.alarms.helpers import engine, feed, gas_point, make_rule
from tests.conftest import World

NOW = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)
S = 1000
THRESHOLD = [{"type": "threshold", "op": "above", "high": 25, "hysteresis": 5}]


@pytest.fixture
def subscriber(db: Session) -> Iterator[automation.AutoIncidents]:
    set_actor(db, Actor("test-safety"))
    auto = automation.AutoIncidents(sync=True)
    auto.start()
    with time_machine.travel(NOW, tick=False):
        yield auto
    auto.stop()


def plan(
    db: Session, park_id: int, severity: str | None, *, enterprise_id: int | None = None, active: bool = True
) -> int:
    row = EmergencyPlan(
        park_id=park_id,
        enterprise_id=enterprise_id,
        code=f"YA-{severity}-{enterprise_id}-{active}",
        title="可燃气体泄漏专项应急预案",
        plan_type="special",
        incident_kinds=["explosion", "leak"],
        levels=[],
        roles=[],
        steps=[],
        auto_open_severity=severity,
        active=active,
    )
    db.add(row)
    db.flush()
    return row.id


def incidents(db: Session) -> list[Incident]:
    db.expire_all()
    return list(db.scalars(select(Incident).where(Incident.alarm_id.is_not(None)).order_by(Incident.id)))


def test_a_critical_alarm_opens_one_incident_by_itself(
    db: Session, world: World, subscriber: automation.AutoIncidents
) -> None:
    mark = db.scalar(select(func.max(AuditEntry.id))) or 0  # ids may be reused by rows other tests committed
    plan_id = plan(db, world.a.park_id, "critical")
    rule = make_rule(db, world, THRESHOLD)
    e = engine(db)
    feed(e, gas_point(world), [(0, 10.0), (1 * S, 31.0)])
    [alarm] = alarms_of(db, rule)
    [incident] = incidents(db)
    assert subscriber.opened == [incident.id]
    assert (incident.alarm_id, incident.source, incident.kind, incident.level) == (alarm.id, "alarm", "leak", "II")
    assert incident.plan_id == plan_id and incident.status == "open"
    assert incident.reported_by == "safety-automation" and incident.building_id == world.a.building_id
    assert incident.code == f"IN{world.a.park_id}-20260101-001"
    [(actor, role)] = db.execute(
        select(AuditEntry.actor, AuditEntry.actor_role).where(
            AuditEntry.entity_type == "safety_incident",
            AuditEntry.entity_id == str(incident.id),
            AuditEntry.action == "create",
            AuditEntry.id > mark,
        )
    ).all()
    assert (actor, role) == ("safety-automation", "system")
    # the gas falls and rises again: the same alarm is raised again, no second incident
    feed(e, gas_point(world), [(2 * S, 2.0), (3 * S, 40.0)])
    [again] = alarms_of(db, rule)
    assert again.id == alarm.id and again.occurrences == 2
    assert [i.id for i in incidents(db)] == [incident.id]
    # ... nor once its incident is closed
    incident.status = "closed"
    db.flush()
    feed(e, gas_point(world), [(4 * S, 2.0), (5 * S, 45.0)])
    assert [i.id for i in incidents(db)] == [incident.id]
    assert (
        automation.open_for_alarm(
            db, alarm_id=alarm.id, park_id=world.a.park_id, enterprise_id=None, severity="critical"
        )
        is None
    )


def test_at_or_above_the_plans_severity_only(db: Session, world: World, subscriber: automation.AutoIncidents) -> None:
    plan(db, world.a.park_id, "critical")
    major = make_rule(db, world, THRESHOLD, severity="major")
    feed(engine(db), gas_point(world), [(0, 10.0), (1 * S, 31.0)])
    assert alarms_of(db, major) and incidents(db) == []
    # a plan that asks from "major" up: the same alarm, raised again, opens its incident now
    plan(db, world.a.park_id, "major")
    feed(engine(db), gas_point(world), [(2 * S, 10.0), (3 * S, 35.0)])
    [alarm] = alarms_of(db, major)
    assert alarm.occurrences == 2 and [i.alarm_id for i in incidents(db)] == [alarm.id]


@pytest.mark.parametrize("which", ["no_severity", "inactive", "other_park", "other_enterprise"])
def test_no_plan_in_the_alarms_area_opens_nothing(
    db: Session, world: World, subscriber: automation.AutoIncidents, which: str
) -> None:
    if which == "no_severity":
        plan(db, world.a.park_id, None)
    elif which == "inactive":
        plan(db, world.a.park_id, "critical", active=False)
    elif which == "other_park":
        plan(db, world.b.park_id, "critical")
    else:  # an enterprise's plan: the park's own detector is not in its area
        plan(db, world.a.park_id, "info", enterprise_id=world.a.enterprise_ids[0])
    rule = make_rule(db, world, THRESHOLD)
    feed(engine(db), gas_point(world), [(0, 10.0), (1 * S, 31.0)])
    assert alarms_of(db, rule) and incidents(db) == [] and subscriber.opened == []


def test_an_enterprise_plan_opens_incidents_of_its_own_alarms(db: Session, world: World) -> None:
    own = plan(db, world.a.park_id, "minor", enterprise_id=world.a.enterprise_ids[0])
    plan(db, world.a.park_id, "minor")  # the park's: the enterprise's own plan comes first
    point = world.a.point_ids[0]  # a meter of enterprise 0
    rule = alarms.create_rule(
        db,
        scope=system_scope(world.a.park_id),
        data=RuleCreate(
            name="功率过高",
            severity="minor",
            conditions=[{"type": "threshold", "op": "above", "high": 1e6}],
            point_id=point,
        ),
    )
    feed(engine(db), point, [(0, 5.0), (1 * S, 2e6)])
    [alarm] = alarms_of(db, rule.id)
    assert alarm.enterprise_id == world.a.enterprise_ids[0]
    with time_machine.travel(NOW, tick=False):
        set_actor(db, automation.ACTOR)
        opened = automation.open_for_alarm(
            db, alarm_id=alarm.id, park_id=world.a.park_id, enterprise_id=alarm.enterprise_id, severity="minor"
        )
    assert opened is not None and opened.plan_id == own and opened.enterprise_id == world.a.enterprise_ids[0]
    assert opened.kind == "explosion"  # a power point: the plan's first kind
