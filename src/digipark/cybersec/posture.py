"""An enterprise's (or the park's) security posture for its page: correlated events by rule per day, open incidents
by rule and severity, and advisory exposure (ICS assets an advisory matches, by severity); and the hand-over of an
incident to the emergency module (safety), which opens its incident from the incident's alarm."""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import Conflict
from digipark.cybersec import security
from digipark.cybersec.common import VIEW, WRITE
from digipark.cybersec.events import get_incident
from digipark.cybersec.models import CyberEvent, CyberIncident, IncidentStatus
from digipark.safety import provides as safety

LEVELS = {"critical": "I", "major": "II", "minor": "III", "info": "IV"}  # the response level a hand-over asks for


@dataclasses.dataclass
class Posture:
    days: builtins.list[str]
    events_by_rule: dict[str, builtins.list[int]]  # rule -> correlated events per day
    open_by_rule: dict[str, int]
    open_by_severity: dict[str, int]
    exposure: dict[str, int]  # severity -> ICS assets an advisory of that severity matches
    exposed_assets: int


def posture(
    session: Session, *, scope: Scope, park_id: int, enterprise_id: int | None, today: dt.date, days: int = 14
) -> Posture:
    """What the caller reads of one enterprise (or of the whole park with `enterprise_id` None)."""
    scope.require(VIEW)
    first = today - dt.timedelta(days=days - 1)
    labels = [(first + dt.timedelta(days=i)).isoformat() for i in range(days)]
    since = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    day = func.substr(cast(CyberEvent.at, String), 1, 10)
    stmt = (
        select(CyberIncident.rule, day, func.count())
        .select_from(CyberEvent)
        .join(CyberIncident, CyberIncident.id == CyberEvent.incident_id)
        .where(scope.condition(CyberEvent), CyberEvent.park_id == park_id, CyberEvent.at >= since)
        .group_by(CyberIncident.rule, day)
    )
    incidents = select(CyberIncident.rule, CyberIncident.severity, func.count()).where(
        scope.condition(CyberIncident),
        CyberIncident.park_id == park_id,
        CyberIncident.status == IncidentStatus.OPEN.value,
    )
    if enterprise_id is not None:
        stmt = stmt.where(CyberEvent.enterprise_id == enterprise_id)
        incidents = incidents.where(CyberIncident.enterprise_id == enterprise_id)
    by_rule: dict[str, builtins.list[int]] = {}
    index = {label: i for i, label in enumerate(labels)}
    for rule, on, count in session.execute(stmt):
        if str(on) in index:
            by_rule.setdefault(rule, [0] * days)[index[str(on)]] += int(count)
    open_by_rule: dict[str, int] = {}
    open_by_severity: dict[str, int] = {}
    for rule, severity, count in session.execute(incidents.group_by(CyberIncident.rule, CyberIncident.severity)):
        open_by_rule[rule] = open_by_rule.get(rule, 0) + int(count)
        open_by_severity[severity] = open_by_severity.get(severity, 0) + int(count)
    matches = [
        m
        for m in security.matches(session, scope=scope, park_id=park_id)
        if enterprise_id is None or m.enterprise_id == enterprise_id
    ]
    worst: dict[int, str] = {}
    order = ["info", "minor", "major", "critical"]
    for m in matches:
        if m.asset_id not in worst or order.index(m.severity) > order.index(worst[m.asset_id]):
            worst[m.asset_id] = m.severity
    exposure: dict[str, int] = {}
    for severity in worst.values():
        exposure[severity] = exposure.get(severity, 0) + 1
    return Posture(labels, by_rule, open_by_rule, open_by_severity, exposure, len(worst))


def hand_over(session: Session, *, scope: Scope, ident: int) -> CyberIncident:
    """Hand an incident over to the emergency module: the safety incident not yet closed for its alarm (an automatic
    plan may have opened one), else a new one from the alarm; linked both ways (this incident keeps the safety
    incident's id; the safety incident names the alarm, whose source is this incident's rule and key)."""
    row = get_incident(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, row)
    if row.status != IncidentStatus.OPEN.value:
        raise Conflict(f"incident {ident} is closed")
    if row.alarm_id is None:
        raise Conflict(f"incident {ident} raised no alarm to hand over")
    if row.safety_incident_id is not None:
        return row
    opened = safety.open_incident_for_alarm(
        session,
        scope=scope,
        alarm_id=row.alarm_id,
        title=f"网络安全事件 #{row.id}: {row.summary}"[:200],
        title_en=f"Cybersecurity incident #{row.id}: {row.summary}"[:200],
        level=LEVELS.get(row.severity, "IV"),
    )
    row.safety_incident_id = opened.id
    session.flush()
    return row
