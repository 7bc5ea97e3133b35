"""Incidents that open by themselves: an active emergency plan with `auto_open_severity` opens an incident from
every alarm raised at or above that severity in its area (a park plan: the whole park; an enterprise plan: that
enterprise's alarms).

The domains talk through events: this module subscribes to `alarms.provides.AlarmRaised` (published after the alarm
writer commits, in its thread) and hands each one to a thread of its own, so the alarm path never waits for it.
Each incident is opened in its own transaction, audited as the system actor `safety-automation`, and never twice
for one alarm (an alarm raised again, or one whose incident was closed, opens nothing new).

`start_auto_incidents()` (stopped through the handle it returns, `core.background`) runs next to the rules engine
(telemetry.runtime.run_ingest with a database sink), where alarms are raised. Tests call `open_for_alarm` in their
own session, or build `AutoIncidents(sync=True)` and call `on_raised`.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms.provides import AlarmRaised
from digipark.audit.service import Actor, set_actor
from digipark.auth.scope import Scope, system_scope
from digipark.core.background import Handle, SharedService
from digipark.core.subscriber import QueuedSubscriber
from digipark.registry.models import Point
from digipark.safety import alarm_link, service
from digipark.safety.alarm_link import SEVERITIES
from digipark.safety.models import EmergencyPlan, Incident
from digipark.safety.schemas import IncidentFromAlarm

ACTOR = Actor("safety-automation", role="system")
KINDS = ("fire", "leak", "explosion", "poisoning", "injury", "other")


@cache
def settings() -> dict[str, Any]:
    text = resources.files("digipark.safety").joinpath("data/auto_incident.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def rank(severity: str | None) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


def automation_scope(park_id: int) -> Scope:
    return dataclasses.replace(system_scope(park_id), username=ACTOR.name)


def plan_for(session: Session, *, park_id: int, enterprise_id: int | None, severity: str) -> EmergencyPlan | None:
    """The active plan that opens an incident for an alarm of `severity` here: the enterprise's own first."""
    plans = session.scalars(
        select(EmergencyPlan)
        .where(
            EmergencyPlan.park_id == park_id,
            EmergencyPlan.active.is_(True),
            EmergencyPlan.auto_open_severity.is_not(None),
        )
        .order_by(EmergencyPlan.enterprise_id.is_(None), EmergencyPlan.id)
    )
    for plan in plans:
        if plan.enterprise_id not in (None, enterprise_id):
            continue
        if 0 <= rank(plan.auto_open_severity) <= rank(severity):
            return plan
    return None


def _kind(session: Session, point_id: int | None, plan: EmergencyPlan) -> str:
    quantity = session.scalar(select(Point.quantity).where(Point.id == point_id)) if point_id is not None else None
    kind = settings()["kind_by_quantity"].get(quantity) if quantity else None
    if kind is None:
        kind = next((k for k in plan.incident_kinds if k in KINDS), "other")
    return str(kind)


def open_for_alarm(
    session: Session, *, alarm_id: int, park_id: int, enterprise_id: int | None, severity: str
) -> Incident | None:
    """Open the incident of a raised alarm when a plan says so; None when no plan asks for it or the alarm has had
    an incident already. Does not commit."""
    plan = plan_for(session, park_id=park_id, enterprise_id=enterprise_id, severity=severity)
    if plan is None:
        return None
    if session.scalar(select(Incident.id).where(Incident.alarm_id == alarm_id).limit(1)) is not None:
        return None
    scope = automation_scope(park_id)
    facts = alarm_link.get(session, scope=scope, ident=alarm_id)
    if rank(facts.severity) < rank(plan.auto_open_severity):  # the event is older than the alarm's row
        return None
    data = IncidentFromAlarm.model_validate(
        {"alarm_id": alarm_id, "kind": _kind(session, facts.point_id, plan), "plan_id": plan.id}
    )
    return service.create_incident_from_alarm(session, scope=scope, data=data)


@dataclasses.dataclass(frozen=True)
class _Job:
    alarm_id: int
    park_id: int
    enterprise_id: int | None
    severity: str


def _select(event: AlarmRaised) -> _Job | None:
    if event.park_id is None or rank(event.severity) < 0:
        return None
    return _Job(event.alarm_id, event.park_id, event.enterprise_id, event.severity)


def _open(job: _Job) -> int | None:
    from digipark.core.db import transaction

    with transaction(write=True) as session:
        set_actor(session, ACTOR)
        incident = open_for_alarm(
            session, alarm_id=job.alarm_id, park_id=job.park_id, enterprise_id=job.enterprise_id, severity=job.severity
        )
        return incident.id if incident is not None else None


class AutoIncidents(QueuedSubscriber[AlarmRaised, _Job]):
    """The subscriber (`core.subscriber.QueuedSubscriber`): `on_event` queues, a thread opens (or, with `sync`,
    opens in the calling thread); one alarm at a time, so never two incidents for one alarm."""

    def __init__(self, *, sync: bool = False) -> None:
        super().__init__(AlarmRaised, select=_select, handle=_open, name="safety-auto-incidents", sync=sync)


# ---------------------------------------------------------------------------------------------------------------
# one subscriber per process, shared by whoever raises alarms in it
# ---------------------------------------------------------------------------------------------------------------
_subscriber: SharedService[AutoIncidents] = SharedService(AutoIncidents)


def start_auto_incidents() -> Handle[AutoIncidents]:
    """Subscribe this process to raised alarms (or join the running subscriber)."""
    return _subscriber.acquire()


def running_auto_incidents() -> AutoIncidents | None:
    return _subscriber.running
