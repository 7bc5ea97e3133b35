"""Incidents and drills: opened from an alarm or reported, with photos, tasks, a timeline, the nearest resources,
closing, the incident report and its push to the regional command."""

from __future__ import annotations

import builtins
import datetime as dt
import hashlib
import hmac
import json
import math
import time
from collections import defaultdict
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core import uploads
from digipark.core.config import get_settings
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.core.uploads import UploadRule, check_upload, safe_filename
from digipark.registry.models import Building, Device, Enterprise, Park, Point, Zone
from digipark.safety import alarm_link
from digipark.safety.common import (
    COMMAND,
    LOCATION_FIELDS,
    SELF_WRITE,
    checked_location,
    record_owner,
    today,
    warning_data,
)
from digipark.safety.models import (
    EmergencyPlan,
    EmergencyResource,
    Incident,
    IncidentEvent,
    IncidentPhoto,
    IncidentSource,
    IncidentStatus,
    IncidentTask,
    ReportPush,
    ResourceKind,
    TaskStatus,
)
from digipark.safety.schemas import (
    Close,
    IncidentCreate,
    IncidentFromAlarm,
    TaskCreate,
    TaskStatusChange,
)

# -- incident photos -----------------------------------------------------------------------------------------------
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 20
PHOTO_UPLOAD = UploadRule(
    types={"image/jpeg": uploads.JPEG, "image/png": uploads.PNG, "image/webp": uploads.webp},
    max_bytes=MAX_PHOTO_BYTES,
    accepted_names="JPEG, PNG or WebP",
    what="photo",
)

REPORT_SCHEMA = "https://digipark.dev/schemas/safety/incident-report-1.json"


INCIDENT_SPEC = ListSpec(
    filters={
        "park_id": Incident.park_id,
        "enterprise_id": Incident.enterprise_id,
        "zone_id": Incident.zone_id,
        "status": Incident.status,
        "kind": Incident.kind,
        "level": Incident.level,
        "source": Incident.source,
        "drill": Incident.drill,
        "alarm_id": Incident.alarm_id,
    },
    search=[Incident.code, Incident.title],
    sort={"id": Incident.id, "occurred_at": Incident.occurred_at, "level": Incident.level, "status": Incident.status},
    default_sort="-occurred_at,-id",
)


def list_incidents(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[Incident], int]:
    return INCIDENT_SPEC.apply(session, scope.readable(Incident), query)


def get_incident(session: Session, *, scope: Scope, ident: int) -> Incident:
    return scope.get_or_404(session, Incident, ident)


def _event(session: Session, row: Incident, actor: str, kind: str, text: str, **data: Any) -> IncidentEvent:
    entry = IncidentEvent(
        park_id=row.park_id,
        enterprise_id=row.enterprise_id,
        incident_id=row.id,
        at=utcnow(),
        actor=actor,
        kind=kind,
        text=text[:2000],
        data=data,
    )
    session.add(entry)
    return entry


def _code(session: Session, park_id: int, drill: bool) -> str:
    day = today()
    prefix = f"{'DR' if drill else 'IN'}{park_id}-{day:%Y%m%d}-"
    taken = session.scalar(select(func.count()).select_from(Incident).where(Incident.code.like(prefix + "%"))) or 0
    return f"{prefix}{taken + 1:03d}"


def _pick_plan(
    session: Session, scope: Scope, park_id: int, enterprise_id: int | None, kind: str, plan_id: int | None
) -> int | None:
    if plan_id is not None:
        plan: EmergencyPlan | None = session.scalar(
            scope.readable(EmergencyPlan).where(EmergencyPlan.id == plan_id, EmergencyPlan.park_id == park_id)
        )
        if plan is None or plan.enterprise_id not in (None, enterprise_id):
            raise field_error("plan_id", f"no emergency plan {plan_id} for this incident visible to you")
        return plan.id
    plans = session.scalars(
        select(EmergencyPlan)
        .where(EmergencyPlan.park_id == park_id, EmergencyPlan.active.is_(True))
        .order_by(EmergencyPlan.enterprise_id.is_(None), EmergencyPlan.id)
    )
    for plan in plans:
        if plan.enterprise_id in (None, enterprise_id) and kind in plan.incident_kinds:
            return plan.id
    return None


def _open(
    session: Session,
    scope: Scope,
    *,
    park_id: int,
    enterprise_id: int | None,
    title: str,
    kind: str,
    level: str,
    source: str,
    title_en: str | None = None,
    drill: bool,
    description: str | None,
    occurred_at: dt.datetime,
    location: dict[str, Any],
    plan_id: int | None,
    alarm_id: int | None = None,
) -> Incident:
    row = Incident(
        park_id=park_id,
        enterprise_id=enterprise_id,
        code=_code(session, park_id, drill),
        title=title,
        title_en=title_en or None,
        kind=kind,
        level=level,
        status=IncidentStatus.OPEN.value,
        source=source,
        drill=drill,
        alarm_id=alarm_id,
        plan_id=_pick_plan(session, scope, park_id, enterprise_id, kind, plan_id),
        description=description,
        reported_by=scope.username,
        occurred_at=occurred_at,
        deaths=0,
        injuries=0,
        **location,
    )
    session.add(row)
    session.flush()
    what = "drill started" if drill else f"incident opened ({source})"
    _event(session, row, scope.username, "opened", what, source=source, alarm_id=alarm_id, plan_id=row.plan_id)
    session.flush()
    return row


def create_incident(session: Session, *, scope: Scope, data: IncidentCreate) -> Incident:
    """An incident reported by a person (staff or an enterprise for itself), or a drill (staff)."""
    park_id, enterprise_id = record_owner(session, scope, data.enterprise_id)
    if data.drill:
        scope.authorize_write(COMMAND, park_id=park_id)
    values = data.model_dump()
    location = checked_location(session, scope, park_id, values)
    if not any(location.get(k) is not None for k in LOCATION_FIELDS):
        raise field_error("location", "say where: a zone, a building, coordinates or a description")
    occurred = data.occurred_at or utcnow()
    if occurred.tzinfo is None:
        raise field_error("occurred_at", "give a time zone")
    if occurred > utcnow() + dt.timedelta(minutes=5):
        raise field_error("occurred_at", "must not be in the future")
    return _open(
        session,
        scope,
        park_id=park_id,
        enterprise_id=enterprise_id,
        title=data.title,
        title_en=data.title_en,
        kind=data.kind,
        level=data.level,
        source=IncidentSource.DRILL.value if data.drill else IncidentSource.REPORT.value,
        drill=data.drill,
        description=data.description,
        occurred_at=occurred,
        location=location,
        plan_id=data.plan_id,
    )


def create_incident_from_alarm(session: Session, *, scope: Scope, data: IncidentFromAlarm) -> Incident:
    """Open an incident from an alarm the caller may read; one incident per alarm while it is not closed."""
    alarm = alarm_link.get(session, scope=scope, ident=data.alarm_id)
    scope.authorize_write(
        COMMAND if scope.can(COMMAND) else SELF_WRITE,
        park_id=alarm.park_id,
        enterprise_id=alarm.enterprise_id,
    )
    existing = session.scalar(
        select(Incident.id).where(Incident.alarm_id == alarm.id, Incident.status != IncidentStatus.CLOSED.value)
    )
    if existing is not None:
        raise Conflict(
            f"incident {existing} is already open for alarm {alarm.id}",
            errors=[{"field": "alarm_id", "reason": "an open incident exists", "incident_id": existing}],
        )
    location: dict[str, Any] = {"zone_id": alarm.zone_id, "building_id": alarm.building_id}
    if alarm.point_id is not None:
        device = session.scalar(
            select(Device).join(Point, Point.device_id == Device.id).where(Point.id == alarm.point_id)
        )
        if device is not None:
            location.update(lon=device.lon, lat=device.lat, location=device.location or device.name)
            if location["building_id"] is None:
                location["building_id"] = device.building_id
    if location["zone_id"] is None and location["building_id"] is not None:
        location["zone_id"] = session.scalar(select(Building.zone_id).where(Building.id == location["building_id"]))
    levels = warning_data()["alarm_incident_levels"]
    raised = alarm.raised_at
    return _open(
        session,
        scope,
        park_id=alarm.park_id,
        enterprise_id=alarm.enterprise_id,
        title=data.title or alarm.title,
        title_en=data.title_en if data.title else (data.title_en or alarm.title_en),
        kind=data.kind,
        level=data.level or str(levels.get(alarm.severity, "IV")),
        source=IncidentSource.ALARM.value,
        drill=False,
        description=f"alarm {alarm.id}: {alarm.title} ({alarm.severity})",
        occurred_at=raised if raised.tzinfo else raised.replace(tzinfo=dt.UTC),
        location=location,
        plan_id=data.plan_id,
        alarm_id=alarm.id,
    )


def _not_closed(row: Incident) -> None:
    if row.status == IncidentStatus.CLOSED.value:
        raise Conflict(f"incident {row.code} is closed")


def _may_act(scope: Scope, row: Incident) -> None:
    """Notes and photos: the command, or the owning enterprise on its own incident."""
    scope.authorize_write_row(COMMAND if scope.can(COMMAND) else SELF_WRITE, row)


def add_note(session: Session, *, scope: Scope, ident: int, text: str) -> IncidentEvent:
    row = get_incident(session, scope=scope, ident=ident)
    _may_act(scope, row)
    _not_closed(row)
    entry = _event(session, row, scope.username, "note", text)
    session.flush()
    return entry


def timeline(session: Session, *, scope: Scope, ident: int) -> builtins.list[IncidentEvent]:
    row = get_incident(session, scope=scope, ident=ident)
    stmt = scope.readable(IncidentEvent).where(IncidentEvent.incident_id == row.id)
    return [*session.scalars(stmt.order_by(IncidentEvent.at, IncidentEvent.id))]


# -- photos --------------------------------------------------------------------------------------------------------
def add_photo(
    session: Session, *, scope: Scope, ident: int, filename: str, content_type: str, content: bytes
) -> IncidentPhoto:
    row = get_incident(session, scope=scope, ident=ident)
    _may_act(scope, row)
    _not_closed(row)
    declared = check_upload(PHOTO_UPLOAD, filename=filename, content_type=content_type, content=content)
    count = session.scalar(select(func.count()).select_from(IncidentPhoto).where(IncidentPhoto.incident_id == row.id))
    if (count or 0) >= MAX_PHOTOS:
        raise Conflict(f"an incident holds at most {MAX_PHOTOS} photos")
    photo = IncidentPhoto(
        park_id=row.park_id,
        enterprise_id=row.enterprise_id,
        incident_id=row.id,
        filename=safe_filename(filename, "photo"),
        content_type=declared,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by=scope.username,
        uploaded_at=utcnow(),
    )
    session.add(photo)
    session.flush()
    _event(session, row, scope.username, "photo", f"photo {photo.filename}", photo_id=photo.id)
    session.flush()
    return photo


def photos(session: Session, *, scope: Scope, ident: int) -> builtins.list[IncidentPhoto]:
    row = get_incident(session, scope=scope, ident=ident)
    stmt = scope.readable(IncidentPhoto).where(IncidentPhoto.incident_id == row.id)
    return [*session.scalars(stmt.order_by(IncidentPhoto.id))]


def get_photo(session: Session, *, scope: Scope, ident: int) -> IncidentPhoto:
    return scope.get_or_404(session, IncidentPhoto, ident)


# -- tasks ---------------------------------------------------------------------------------------------------------
def tasks(session: Session, *, scope: Scope, ident: int) -> builtins.list[IncidentTask]:
    row = get_incident(session, scope=scope, ident=ident)
    stmt = scope.readable(IncidentTask).where(IncidentTask.incident_id == row.id)
    return [*session.scalars(stmt.order_by(IncidentTask.deadline, IncidentTask.id))]


def add_task(session: Session, *, scope: Scope, ident: int, data: TaskCreate) -> IncidentTask:
    """A response task to a team (an emergency resource of kind team) or a named person, with a deadline."""
    row = get_incident(session, scope=scope, ident=ident)
    scope.authorize_write(COMMAND, park_id=row.park_id)
    _not_closed(row)
    if data.team_id is None and not data.assignee:
        raise field_error("team_id", "give a team or an assignee")
    team_name = None
    if data.team_id is not None:
        team = session.scalar(
            scope.readable(EmergencyResource).where(
                EmergencyResource.id == data.team_id, EmergencyResource.park_id == row.park_id
            )
        )
        if team is None or team.kind != ResourceKind.TEAM.value:
            raise field_error("team_id", f"no emergency team {data.team_id} in this park")
        team_name = team.name
    if data.deadline.tzinfo is None:
        raise field_error("deadline", "give a time zone")
    if data.deadline <= row.occurred_at:
        raise field_error("deadline", "must be after the incident occurred")
    task = IncidentTask(
        park_id=row.park_id,
        enterprise_id=row.enterprise_id,
        incident_id=row.id,
        team_id=data.team_id,
        assignee=data.assignee,
        title=data.title,
        detail=data.detail,
        deadline=data.deadline,
        status=TaskStatus.ASSIGNED.value,
        assigned_by=scope.username,
    )
    session.add(task)
    if row.status == IncidentStatus.OPEN.value:
        row.status = IncidentStatus.RESPONDING.value
    session.flush()
    who = team_name or data.assignee or ""
    _event(session, row, scope.username, "task_assigned", f"{data.title} → {who}", task_id=task.id)
    session.flush()
    return task


def get_task(session: Session, *, scope: Scope, ident: int) -> IncidentTask:
    return scope.get_or_404(session, IncidentTask, ident)


def change_task(session: Session, *, scope: Scope, ident: int, data: TaskStatusChange) -> IncidentTask:
    task = get_task(session, scope=scope, ident=ident)
    scope.authorize_write(COMMAND, park_id=task.park_id)
    row = get_incident(session, scope=scope, ident=task.incident_id)
    _not_closed(row)
    if task.status != TaskStatus.ASSIGNED.value:
        raise Conflict(f"the task is {task.status}; only an assigned task can be done or cancelled")
    task.status = data.status.value
    task.note = data.note
    task.done_at = utcnow()
    _event(
        session,
        row,
        scope.username,
        f"task_{task.status}",
        f"{task.title}: {data.note or task.status}",
        task_id=task.id,
    )
    session.flush()
    return task


# -- closing, report, push -----------------------------------------------------------------------------------------
def close_incident(session: Session, *, scope: Scope, ident: int, data: Close) -> Incident:
    """Close with a summary; every task must be done or cancelled first. Pushes the report to the regional
    command when a webhook is configured (each attempt recorded)."""
    row = get_incident(session, scope=scope, ident=ident)
    scope.authorize_write(COMMAND, park_id=row.park_id)
    _not_closed(row)
    open_tasks = session.scalar(
        select(func.count())
        .select_from(IncidentTask)
        .where(IncidentTask.incident_id == row.id, IncidentTask.status == TaskStatus.ASSIGNED.value)
    )
    if open_tasks:
        raise Conflict(
            f"{open_tasks} tasks are still assigned; mark them done or cancelled first",
            errors=[{"field": "tasks", "reason": "open tasks", "count": open_tasks}],
        )
    row.status = IncidentStatus.CLOSED.value
    row.closed_at, row.closed_by = utcnow(), scope.username
    row.summary, row.deaths, row.injuries = data.summary, data.deaths, data.injuries
    _event(session, row, scope.username, "closed", data.summary, deaths=data.deaths, injuries=data.injuries)
    session.flush()
    if get_settings().safety_command_webhook_url:
        push_report(session, scope=scope, ident=row.id)
    return row


def _centre(geometry: dict[str, Any] | None) -> tuple[float, float] | None:
    if not geometry or geometry.get("type") != "Polygon" or not geometry.get("coordinates"):
        return None
    ring = geometry["coordinates"][0]
    points = ring[:-1] if len(ring) > 1 and ring[0] == ring[-1] else ring
    if not points:
        return None
    return sum(float(p[0]) for p in points) / len(points), sum(float(p[1]) for p in points) / len(points)


def position(session: Session, row: Any) -> tuple[float, float] | None:
    """Where a located record is: its coordinates, else its building's or zone's centre."""
    if row.lon is not None and row.lat is not None:
        return float(row.lon), float(row.lat)
    if row.building_id is not None:
        found = _centre(session.scalar(select(Building.footprint).where(Building.id == row.building_id)))
        if found:
            return found
    if row.zone_id is not None:
        return _centre(session.scalar(select(Zone.geometry).where(Zone.id == row.zone_id)))
    return None


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine) between two lon/lat points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(min(1.0, h)))


def nearest_resources(
    session: Session, *, scope: Scope, ident: int, per_kind: int | None = None
) -> builtins.list[tuple[EmergencyResource, float]]:
    """The nearest available teams, supplies and shelters to an incident (per kind, nearest first)."""
    row = get_incident(session, scope=scope, ident=ident)
    here = position(session, row)
    if here is None:
        return []
    limit = per_kind or int(warning_data()["nearest_per_kind"])
    found: dict[str, builtins.list[tuple[EmergencyResource, float]]] = defaultdict(builtins.list)
    stmt = scope.readable(EmergencyResource).where(
        EmergencyResource.park_id == row.park_id, EmergencyResource.available.is_(True)
    )
    for resource in session.scalars(stmt):
        there = position(session, resource)
        if there is not None:
            found[resource.kind].append((resource, round(distance_m(here, there), 1)))
    result: builtins.list[tuple[EmergencyResource, float]] = []
    for kind in (k.value for k in ResourceKind):
        result.extend(sorted(found[kind], key=lambda item: (item[1], item[0].id))[:limit])
    return result


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def report(session: Session, *, scope: Scope, ident: int) -> dict[str, Any]:
    """The incident report (schema in docs/safety.md, `$schema` REPORT_SCHEMA)."""
    row = get_incident(session, scope=scope, ident=ident)
    park = session.get(Park, row.park_id)
    enterprise = session.get(Enterprise, row.enterprise_id) if row.enterprise_id else None
    zone = session.get(Zone, row.zone_id) if row.zone_id else None
    building = session.get(Building, row.building_id) if row.building_id else None
    plan = session.get(EmergencyPlan, row.plan_id) if row.plan_id else None
    here = position(session, row)
    teams = {
        r.id: r.name for r in session.scalars(select(EmergencyResource).where(EmergencyResource.park_id == row.park_id))
    }
    return {
        "$schema": REPORT_SCHEMA,
        "generated_at": _iso(utcnow()),
        "park": {
            "id": row.park_id,
            "code": park.code if park else None,
            "name": park.name if park else None,
            "region_code": park.region_code if park else None,
        },
        "incident": {
            "id": row.id,
            "code": row.code,
            "title": row.title,
            "kind": row.kind,
            "level": row.level,
            "status": row.status,
            "source": row.source,
            "drill": row.drill,
            "alarm_id": row.alarm_id,
            "description": row.description,
            "reported_by": row.reported_by,
            "occurred_at": _iso(row.occurred_at),
            "closed_at": _iso(row.closed_at),
            "closed_by": row.closed_by,
            "summary": row.summary,
            "casualties": {"deaths": row.deaths, "injuries": row.injuries},
        },
        "enterprise": {"id": enterprise.id, "name": enterprise.name, "uscc": enterprise.uscc} if enterprise else None,
        "location": {
            "zone": {"id": zone.id, "code": zone.code, "name": zone.name} if zone else None,
            "building": {"id": building.id, "code": building.code, "name": building.name} if building else None,
            "lon": here[0] if here else None,
            "lat": here[1] if here else None,
            "text": row.location,
        },
        "plan": {"id": plan.id, "code": plan.code, "title": plan.title} if plan else None,
        "tasks": [
            {
                "id": t.id,
                "title": t.title,
                "team": teams.get(t.team_id) if t.team_id else None,
                "assignee": t.assignee,
                "deadline": _iso(t.deadline),
                "status": t.status,
                "done_at": _iso(t.done_at),
                "note": t.note,
            }
            for t in tasks(session, scope=scope, ident=row.id)
        ],
        "timeline": [
            {"at": _iso(e.at), "actor": e.actor, "kind": e.kind, "text": e.text}
            for e in timeline(session, scope=scope, ident=row.id)
        ],
        "photos": [
            {"id": p.id, "filename": p.filename, "content_type": p.content_type, "size": p.size, "sha256": p.sha256}
            for p in photos(session, scope=scope, ident=row.id)
        ],
        "nearest_resources": [
            {"id": r.id, "kind": r.kind, "name": r.name, "phone": r.phone, "distance_m": d}
            for r, d in nearest_resources(session, scope=scope, ident=row.id)
        ],
    }


def report_body(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def push_report(session: Session, *, scope: Scope, ident: int) -> builtins.list[ReportPush]:
    """POST the report to the regional command webhook, retrying up to the configured attempts; every attempt is
    recorded (and audited). Returns the attempts of this push."""
    row = get_incident(session, scope=scope, ident=ident)
    scope.authorize_write(COMMAND, park_id=row.park_id)
    settings = get_settings()
    url = settings.safety_command_webhook_url
    if not url:
        raise Conflict("no regional command webhook is configured (DIGIPARK_SAFETY_COMMAND_WEBHOOK_URL)")
    body = report_body(report(session, scope=scope, ident=row.id))
    digest = hashlib.sha256(body).hexdigest()
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Digipark-Event": "incident-report"}
    if settings.safety_command_webhook_secret:
        mac = hmac.new(settings.safety_command_webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Digipark-Signature"] = f"sha256={mac}"
    attempts: builtins.list[ReportPush] = []
    for attempt in range(1, settings.safety_command_webhook_attempts + 1):
        if attempt > 1 and settings.safety_command_webhook_backoff_s:
            time.sleep(settings.safety_command_webhook_backoff_s * (attempt - 1))
        status: int | None = None
        error: str | None = None
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=settings.safety_command_webhook_timeout_s)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        push = ReportPush(
            park_id=row.park_id,
            enterprise_id=row.enterprise_id,
            incident_id=row.id,
            url=url[:500],
            attempt=attempt,
            at=utcnow(),
            status_code=status,
            ok=error is None,
            error=error,
            sha256=digest,
        )
        session.add(push)
        attempts.append(push)
        if error is None:
            row.report_pushed_at = push.at
            _event(session, row, scope.username, "report_pushed", f"report pushed to the regional command ({status})")
            break
    else:
        _event(session, row, scope.username, "report_push_failed", f"report push failed: {attempts[-1].error}")
    session.flush()
    return attempts


def pushes(session: Session, *, scope: Scope, ident: int) -> builtins.list[ReportPush]:
    row = get_incident(session, scope=scope, ident=ident)
    stmt = scope.readable(ReportPush).where(ReportPush.incident_id == row.id)
    return [*session.scalars(stmt.order_by(ReportPush.id))]
