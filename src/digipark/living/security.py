"""Security (智能安防): events of camera analytics and access control (intrusion, loitering, smoke and fire, no
helmet, a forced door) reported by NVRs and gates over HTTP, or by a person, with a snapshot image; each raises an
alarm (alarms.provides.raise_external) and opens a security work order (dispatched to the security team by the
park's rules) through the work-order mechanism. Patrol
routes with checkpoints; guards scan checkpoints, and a route's current round shows which are still missing."""

from __future__ import annotations

import base64
import binascii
import builtins
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms import provides as alarms
from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import NotFound, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.core.uploads import JPEG, PNG, UploadRule, check_upload
from digipark.crud import RecordType
from digipark.living.models import PatrolRecord, PatrolRoute, SecurityEvent
from digipark.living.schemas import (
    PatrolRouteCreate,
    PatrolRouteRead,
    PatrolRouteUpdate,
    PatrolScan,
    PatrolStatus,
    SecurityEventCreate,
)
from digipark.living.visitors import GATE
from digipark.registry.models import Building
from digipark.web.i18n import N_
from digipark.workorders.provides import WorkOrderCreate, open_order

SNAPSHOT = UploadRule(
    types={"image/jpeg": JPEG, "image/png": PNG},
    max_bytes=5 * 1024 * 1024,
    accepted_names="JPEG or PNG",
    what="snapshot",
)
# what each kind of event is called on its work order, and how urgent it is
TITLES = {
    "intrusion": ("区域入侵告警", "urgent"),
    "loitering": ("人员徘徊告警", "normal"),
    "smoke": ("烟火告警", "urgent"),
    "helmet": ("未戴安全帽", "normal"),
    "forced_door": ("门禁强开告警", "urgent"),
    "other": ("安防事件", "normal"),
}
TITLES_EN = {  # the work order's title on English pages
    "intrusion": "Intrusion alarm",
    "loitering": "Loitering alarm",
    "smoke": "Smoke or fire alarm",
    "helmet": "No safety helmet",
    "forced_door": "Door forced open",
    "other": "Security event",
}
# the alarm each kind raises: its title (translated where the alarm is shown) and severity
ALARMS = {
    "intrusion": (N_("Security: intrusion"), "critical"),
    "loitering": (N_("Security: loitering"), "minor"),
    "smoke": (N_("Security: smoke or fire"), "critical"),
    "helmet": (N_("Security: no safety helmet"), "minor"),
    "forced_door": (N_("Security: door forced open"), "major"),
    "other": (N_("Security event"), "minor"),
}

EVENT_SPEC = ListSpec(
    filters={"park_id": SecurityEvent.park_id, "kind": SecurityEvent.kind, "building_id": SecurityEvent.building_id},
    search=[SecurityEvent.source, SecurityEvent.location],
    sort={"id": SecurityEvent.id, "at": SecurityEvent.at},
    default_sort="-at,-id",
)


def list_events(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[SecurityEvent], int]:
    scope.require(GATE)
    return EVENT_SPEC.apply(session, scope.readable(SecurityEvent), query)


def get_event(session: Session, *, scope: Scope, ident: int) -> SecurityEvent:
    scope.require(GATE)
    return scope.get_or_404(session, SecurityEvent, ident)


def report_event(session: Session, *, scope: Scope, data: SecurityEventCreate) -> SecurityEvent:
    """Record an event with its snapshot and open its security work order."""
    scope.require(GATE)
    park_id = scope.acting_write_park(None)
    if data.building_id is not None:
        building = session.get(Building, data.building_id)
        if building is None or building.park_id != park_id:
            raise field_error("building_id", "no such building in this park")
    snapshot, snapshot_type = None, None
    if data.snapshot_base64:
        try:
            snapshot = base64.b64decode(data.snapshot_base64, validate=True)
        except (binascii.Error, ValueError):
            raise field_error("snapshot_base64", "not base64") from None
        snapshot_type = "image/png" if snapshot.startswith(b"\x89PNG") else "image/jpeg"
        snapshot_type = check_upload(
            SNAPSHOT, filename="snapshot", content_type=snapshot_type, content=snapshot, field="snapshot_base64"
        )
    at = data.at if data.at is not None else utcnow()
    row = SecurityEvent(
        park_id=park_id,
        kind=data.kind.value,
        source=data.source,
        at=at if at.tzinfo else at.replace(tzinfo=dt.UTC),
        building_id=data.building_id,
        location=data.location,
        note=data.note,
        snapshot=snapshot,
        snapshot_type=snapshot_type,
    )
    session.add(row)
    session.flush()
    title, priority = TITLES[data.kind.value]
    order = open_order(
        session,
        scope=scope,
        data=WorkOrderCreate(
            category="security",
            priority=priority,
            title=f"{title}（{data.source}）",
            title_en=f"{TITLES_EN[data.kind.value]} ({data.source})",
            description=data.note,
            building_id=data.building_id,
            location=data.location,
            origin_kind="alarm",
            origin_ref=f"security-event:{row.id}",
        ),
    )
    row.work_order_id = order.id
    alarm_title, severity = ALARMS[data.kind.value]
    where = " · ".join(p for p in (data.location, data.note) if p)
    alarms.raise_external(
        session,
        park_id=park_id,
        source_kind=f"security:{data.kind.value}",
        source_ref=data.source,
        severity=severity,
        title_key=alarm_title,
        detail=f"{data.source}{' · ' + where if where else ''} · #{row.id} /living/security/{row.id}",
        building_id=data.building_id,
        at=row.at,
    )
    session.flush()
    return row


# -- patrols -----------------------------------------------------------------------------------------------------
def _unique_checkpoints(
    session: Session, scope: Scope, values: dict[str, object], row: PatrolRoute | None
) -> dict[str, object]:
    points = values.get("checkpoints")
    if isinstance(points, list):
        codes = [p["code"] for p in points]
        if len(set(codes)) != len(codes):
            raise field_error("checkpoints", "checkpoint codes repeat")
    return values


ROUTES: RecordType[PatrolRoute] = RecordType(
    name="patrol_route",
    model=PatrolRoute,
    create_schema=PatrolRouteCreate,
    update_schema=PatrolRouteUpdate,
    read_schema=PatrolRouteRead,
    list_spec=ListSpec(
        filters={"park_id": PatrolRoute.park_id}, search=[PatrolRoute.name], sort={"id": PatrolRoute.id}
    ),
    write_permission=GATE,
    validate=_unique_checkpoints,
)


def scan(session: Session, *, scope: Scope, data: PatrolScan) -> PatrolRecord:
    """A guard scanned a checkpoint of a route."""
    scope.require(GATE)
    route = ROUTES.get(session, scope=scope, ident=data.route_id)
    scope.authorize_write_row(GATE, route)
    if data.checkpoint not in {p["code"] for p in route.checkpoints}:
        raise field_error("checkpoint", "not a checkpoint of this route")
    at = data.at if data.at is not None else utcnow()
    record = PatrolRecord(
        park_id=route.park_id,
        route_id=route.id,
        checkpoint=data.checkpoint,
        at=at if at.tzinfo else at.replace(tzinfo=dt.UTC),
        guard=scope.username,
        note=data.note,
    )
    session.add(record)
    session.flush()
    return record


def status(session: Session, *, scope: Scope, ident: int, now: dt.datetime | None = None) -> PatrolStatus:
    """The route's current round (the last `every_minutes`): checkpoints visited and still missing."""
    route = ROUTES.get(session, scope=scope, ident=ident)
    now = now or utcnow()
    start = now - dt.timedelta(minutes=route.every_minutes)
    records = [
        *session.scalars(
            select(PatrolRecord).where(
                PatrolRecord.route_id == route.id, PatrolRecord.at >= start, PatrolRecord.at <= now
            )
        )
    ]
    seen = {r.checkpoint for r in records}
    codes = [p["code"] for p in route.checkpoints]
    last = max((r.at for r in records), default=None)
    return PatrolStatus(
        route_id=route.id,
        round_started=start,
        visited=[c for c in codes if c in seen],
        missing=[c for c in codes if c not in seen],
        last_scan=last,
    )


def snapshot_of(session: Session, *, scope: Scope, ident: int) -> tuple[bytes, str]:
    row = get_event(session, scope=scope, ident=ident)
    if row.snapshot is None or row.snapshot_type is None:
        raise NotFound(f"security event {ident} has no snapshot")
    return row.snapshot, row.snapshot_type
