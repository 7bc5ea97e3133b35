"""What the safety module offers other modules (declared in safety.module): the safety record section of an
enterprise's archive and the guide's indicator S3.4 (安全应急管控数字化), computed from the risk register, the
major hazard sources, their linked sensors and the drills.

S3.4, the project's reading of the guide's sentence (data/indicators.yaml): the lowest of two shares —
- monitored units: active risk points and major hazard sources with at least one linked telemetry point online now,
  over all of them;
- drilled: 100 % when the park (or an enterprise of it) held an emergency drill in the last 12 months, else 0 %.

For the operations centre: the risk picture (`risk_picture`: a colour per zone, building and enterprise), the safety
centre's key figures (`overview_counts`) and the incidents not yet closed (`incident_status`).

For the duty app: the open incident tasks assigned to a person (`open_tasks_for`) and marking one done
(`finish_task`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.evaluation.provides import Computed, Gap, IndicatorContext, Part
from digipark.registry.models import Enterprise
from digipark.safety.common import VIEW, today
from digipark.safety.incidents import change_task
from digipark.safety.models import (
    DangerStatus,
    HazardSource,
    HiddenDanger,
    Incident,
    IncidentStatus,
    IncidentTask,
    RiskPoint,
    TaskStatus,
)
from digipark.safety.picture import overview_counts, risk_picture
from digipark.telemetry.provides import online_points

DRILL_WINDOW_DAYS = 365  # "in the last 12 months"
OPEN_DANGER = (DangerStatus.FOUND.value, DangerStatus.ASSIGNED.value)


def _year_ago() -> dt.datetime:
    return utcnow() - dt.timedelta(days=DRILL_WINDOW_DAYS)


def archive_section(session: Session, scope: Scope, enterprise: Enterprise) -> dict[str, Any]:
    """The enterprise's safety record: risk points by level, hazard sources, open hidden dangers, incidents and
    drills of the last 12 months (each read within the caller's scope)."""
    levels = Counter(
        session.scalars(
            scope.readable(RiskPoint, select(RiskPoint.level)).where(
                RiskPoint.enterprise_id == enterprise.id, RiskPoint.active.is_(True)
            )
        )
    )
    hazards = list(
        session.scalars(
            scope.readable(HazardSource, select(HazardSource.grade)).where(
                HazardSource.enterprise_id == enterprise.id, HazardSource.is_major.is_(True)
            )
        )
    )
    open_dangers = session.scalar(
        scope.readable(HiddenDanger, select(func.count(HiddenDanger.id))).where(
            HiddenDanger.enterprise_id == enterprise.id, HiddenDanger.status.in_(OPEN_DANGER)
        )
    )
    overdue = session.scalar(
        scope.readable(HiddenDanger, select(func.count(HiddenDanger.id))).where(
            HiddenDanger.enterprise_id == enterprise.id,
            HiddenDanger.status.in_(OPEN_DANGER),
            HiddenDanger.deadline < today(),
        )
    )
    since = _year_ago()
    incidents = Counter(
        session.scalars(
            scope.readable(Incident, select(Incident.drill)).where(
                Incident.enterprise_id == enterprise.id, Incident.occurred_at >= since
            )
        )
    )
    return {
        "risk_points": sum(levels.values()),
        "risk_levels": {level: levels[level] for level in ("red", "orange", "yellow", "blue") if levels[level]},
        "major_hazard_sources": len(hazards),
        "major_hazard_grades": sorted(g for g in hazards if g is not None),
        "open_hidden_dangers": open_dangers or 0,
        "overdue_hidden_dangers": overdue or 0,
        "incidents_12_months": incidents[False],
        "drills_12_months": incidents[True],
        "link": f"/safety?enterprise_id={enterprise.id}",
    }


def safety_risk_sensors(ctx: IndicatorContext) -> Computed:
    """S3.4: the lowest of (risk points and major hazard sources with a linked sensor online) and (a drill held in
    the last 12 months)."""
    units: list[tuple[str, int, str, int | None, list[int]]] = [
        ("risk_point", row.id, f"{row.code} {row.name}", row.enterprise_id, list(row.point_ids or []))
        for row in ctx.session.scalars(
            select(RiskPoint)
            .where(RiskPoint.park_id == ctx.park_id, RiskPoint.active.is_(True))
            .order_by(RiskPoint.code)
        )
    ]
    units += [
        ("hazard_source", row.id, f"{row.code} {row.name}", row.enterprise_id, list(row.point_ids or []))
        for row in ctx.session.scalars(
            select(HazardSource)
            .where(HazardSource.park_id == ctx.park_id, HazardSource.is_major.is_(True))
            .order_by(HazardSource.code)
        )
    ]
    online = online_points(ctx.session, {p for unit in units for p in unit[4]}, now=ctx.now_ms)
    rows: list[dict[str, Any]] = []
    gaps: list[Gap] = []
    for kind, ident, name, enterprise_id, point_ids in units:
        live = sum(1 for p in point_ids if p in online)
        ok = live > 0
        rows.append(
            {
                "unit": name,
                "kind": kind,
                "enterprise_id": enterprise_id,
                "sensors": len(point_ids),
                "online": live,
                "ok": ok,
                "link": f"/safety/{'risk-points' if kind == 'risk_point' else 'hazard-sources'}/{ident}",
            }
        )
        if not ok:
            action = "link_sensor" if not point_ids else "sensor_offline"
            gaps.append(Gap(kind, name, action, ident))
    as_of = dt.datetime.combine(ctx.as_of, dt.time(23, 59, 59), tzinfo=dt.UTC)
    last_drill = ctx.session.scalar(
        select(func.max(Incident.occurred_at)).where(
            Incident.park_id == ctx.park_id,
            Incident.drill.is_(True),
            Incident.occurred_at <= as_of,
            Incident.occurred_at >= as_of - dt.timedelta(days=DRILL_WINDOW_DAYS),
        )
    )
    if last_drill is None:
        gaps.append(Gap("system", "应急演练", "hold_drill", None, {"name_en": "Emergency drill"}))
    monitored = sum(1 for r in rows if r["ok"])
    parts = [Part("units_monitored", monitored, len(rows)), Part("drilled", 0 if last_drill is None else 1, 1)]
    shares = [p.share for p in parts]
    value = None if shares[0] is None else min(s for s in shares if s is not None)
    return Computed(
        value,
        monitored,
        len(rows),
        parts=parts,
        columns=["unit", "sensors", "online", "ok"],
        rows=rows,
        gaps=gaps,
    )


def get_incident(session: Session, *, scope: Scope, ident: int) -> Incident:
    """One incident as the caller may read it (NotFound otherwise) — the devices module links commands to it."""
    return scope.get_or_404(session, Incident, ident)


def first_incident(session: Session, *, park_id: int) -> Incident | None:
    """The park's first incident that is not a drill (the devices demo links its valve command to it)."""
    stmt = select(Incident).where(Incident.park_id == park_id, Incident.drill.is_(False)).order_by(Incident.id)
    return session.scalar(stmt)


def incident_status(session: Session, *, scope: Scope, park_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """The park's incidents not yet closed (drills included, marked), newest first, as the caller may read them."""
    scope.require(VIEW)
    rows = session.scalars(
        scope.readable(Incident)
        .where(Incident.park_id == park_id, Incident.status != IncidentStatus.CLOSED.value)
        .order_by(Incident.occurred_at.desc(), Incident.id.desc())
        .limit(limit)
    )
    return [
        {
            "id": i.id,
            "code": i.code,
            "title": i.title,
            "kind": i.kind,
            "level": i.level,
            "status": i.status,
            "drill": i.drill,
            "occurred_at": i.occurred_at.isoformat(),
            "link": f"/safety/incidents/{i.id}",
        }
        for i in rows
    ]


def open_incident_for_alarm(
    session: Session,
    *,
    scope: Scope,
    alarm_id: int,
    title: str | None = None,
    level: str | None = None,
    title_en: str | None = None,
) -> Incident:
    """The incident opened from an alarm the caller may read (by the cybersec module's hand-over): the one not yet
    closed for that alarm (e.g. opened by an automatic plan), else a new one (kind `other`, its level from the
    alarm's severity unless given; `title_en` its title on English pages). Not committed."""
    from digipark.safety.incidents import create_incident_from_alarm
    from digipark.safety.schemas import IncidentFromAlarm

    existing: Incident | None = session.scalar(
        scope.readable(Incident).where(Incident.alarm_id == alarm_id, Incident.status != IncidentStatus.CLOSED.value)
    )
    if existing is not None:
        return existing
    data = IncidentFromAlarm(alarm_id=alarm_id, title=title, title_en=title_en, level=level)
    return create_incident_from_alarm(session, scope=scope, data=data)


__all__ = [
    "archive_section",
    "finish_task",
    "first_incident",
    "get_incident",
    "incident_status",
    "open_incident_for_alarm",
    "open_tasks_for",
    "overview_counts",
    "risk_picture",
    "safety_risk_sensors",
]


def open_tasks_for(session: Session, *, scope: Scope, names: tuple[str, ...]) -> list[dict[str, Any]]:
    """The assigned (not done) tasks of open incidents given to a person by one of these names (username, display
    name), the caller may read, earliest deadline first."""
    if not scope.can(VIEW) or not names:
        return []
    rows = session.execute(
        scope.readable(IncidentTask)
        .join(Incident, Incident.id == IncidentTask.incident_id)
        .where(
            IncidentTask.status == TaskStatus.ASSIGNED.value,
            IncidentTask.assignee.in_(names),
            Incident.status != IncidentStatus.CLOSED.value,
        )
        .with_only_columns(IncidentTask, Incident.title, Incident.title_en)
        .order_by(IncidentTask.deadline, IncidentTask.id)
    ).all()
    return [
        {
            "id": t.id,
            "incident_id": t.incident_id,
            "incident": title,
            "incident_en": title_en,
            "title": t.title,
            "detail": t.detail,
            "deadline": t.deadline,
        }
        for t, title, title_en in rows
    ]


def finish_task(session: Session, *, scope: Scope, ident: int, note: str | None = None) -> IncidentTask:
    """Mark an assigned incident task done (the incident's history records it)."""
    from digipark.safety.schemas import TaskStatusChange

    return change_task(session, scope=scope, ident=ident, data=TaskStatusChange(status=TaskStatus.DONE, note=note))
