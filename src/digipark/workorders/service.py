"""Work orders: anyone of the park reports one (a resident, an enterprise, staff, or another domain through
`provides`), the park's dispatch rules give it to a team, the team starts and completes it with photos, the reporter
rates it. Each order has a completion deadline by its category and priority (`sla.json`); `escalate_overdue` (the
background scheduler) raises the escalation level of the overdue ones. Teams and dispatch rules are plain records."""

from __future__ import annotations

import builtins
import datetime as dt
import functools
import json
import logging
from importlib import resources
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound, PermissionDenied, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.core.uploads import JPEG, PNG, UploadRule, check_upload, safe_filename, webp
from digipark.crud import RecordType
from digipark.registry.models import Building, Enterprise, Floor, Room
from digipark.workorders.events import emit
from digipark.workorders.models import (
    OPEN_STATES,
    Category,
    DispatchRule,
    OriginKind,
    PhotoStage,
    Priority,
    State,
    WorkOrder,
    WorkOrderPhoto,
    WorkTeam,
)
from digipark.workorders.schemas import (
    RuleCreate,
    RuleRead,
    RuleUpdate,
    TeamCreate,
    TeamRead,
    TeamUpdate,
    WorkOrderCreate,
)

log = logging.getLogger("digipark.workorders")

VIEW = "workorders.view"
REPORT = "workorders.report"
HANDLE = "workorders.handle"  # dispatch, start, complete, cancel
MANAGE = "workorders.manage"  # teams and dispatch rules

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 10
PHOTO_UPLOAD = UploadRule(
    types={"image/jpeg": JPEG, "image/png": PNG, "image/webp": webp},
    max_bytes=MAX_PHOTO_BYTES,
    accepted_names="JPEG, PNG or WebP",
    what="photo",
)


@functools.cache
def sla_policy() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files("digipark.workorders").joinpath("sla.json").read_text("utf-8"))
    return data


def sla_span(category: str, priority: str) -> dt.timedelta:
    hours = sla_policy()["hours"]
    return dt.timedelta(hours=float(hours.get(category, hours["other"])[priority]))


# -- who reads which order ---------------------------------------------------------------------------------------
def read_condition(scope: Scope) -> ColumnElement[bool]:
    """Staff read every order of their parks; an enterprise user its enterprise's orders and the ones it reported;
    a resident only the ones it reported."""
    if not scope.can(VIEW):
        return false()
    if scope.is_staff:
        return true()
    mine = WorkOrder.reporter_user_id == scope.user_id if scope.user_id is not None else false()
    if scope.role == Role.ENTERPRISE and scope.enterprise_id is not None:
        return or_(mine, WorkOrder.enterprise_id == scope.enterprise_id)
    return mine


def readable(scope: Scope, stmt: Any = None) -> Any:
    return scope.readable(WorkOrder, stmt).where(read_condition(scope))


ORDER_SPEC = ListSpec(
    filters={
        "park_id": WorkOrder.park_id,
        "state": WorkOrder.state,
        "category": WorkOrder.category,
        "priority": WorkOrder.priority,
        "team_id": WorkOrder.team_id,
        "building_id": WorkOrder.building_id,
        "enterprise_id": WorkOrder.enterprise_id,
        "origin_kind": WorkOrder.origin_kind,
        "escalation_level": WorkOrder.escalation_level,
    },
    search=[WorkOrder.code, WorkOrder.title, WorkOrder.location],
    sort={
        "id": WorkOrder.id,
        "reported_at": WorkOrder.reported_at,
        "due_at": WorkOrder.due_at,
        "state": WorkOrder.state,
        "escalation_level": WorkOrder.escalation_level,
    },
    default_sort="-reported_at,-id",
)


def list_orders(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[WorkOrder], int]:
    return ORDER_SPEC.apply(session, readable(scope), query)


def get_order(session: Session, *, scope: Scope, ident: int) -> WorkOrder:
    row: WorkOrder | None = session.scalar(readable(scope).where(WorkOrder.id == ident))
    if row is None:
        raise NotFound(f"work order {ident} not found")
    return row


# -- reporting ---------------------------------------------------------------------------------------------------
def _report_park(scope: Scope, requested: int | None) -> int:
    """The park a report goes to: a member reports in its own park (residents too, who write nothing else)."""
    scope.require(REPORT)
    if scope.is_staff:
        return scope.acting_write_park(requested)
    if scope.park_id is None or (requested is not None and requested != scope.park_id):
        raise NotFound(f"park {requested} not found")
    return scope.park_id


def _check_location(session: Session, park_id: int, data: WorkOrderCreate) -> None:
    """The building, floor and room must be of the park and fit together."""
    building = session.get(Building, data.building_id) if data.building_id else None
    if data.building_id and (building is None or building.park_id != park_id):
        raise field_error("building_id", "no such building in this park")
    if data.floor_id:
        floor = session.get(Floor, data.floor_id)
        if floor is None or floor.park_id != park_id or (building and floor.building_id != building.id):
            raise field_error("floor_id", "no such floor in this building")
    if data.room_id:
        room = session.get(Room, data.room_id)
        if (
            room is None
            or room.park_id != park_id
            or (building and room.building_id != building.id)
            or (data.floor_id and room.floor_id != data.floor_id)
        ):
            raise field_error("room_id", "no such room on this floor")


def _enterprise_of(session: Session, scope: Scope, park_id: int, requested: int | None) -> int | None:
    if scope.role == Role.ENTERPRISE:
        return scope.acting_enterprise(requested)
    if requested is None:
        return None
    if not scope.is_staff:
        raise field_error("enterprise_id", "only park staff name the enterprise")
    enterprise = session.get(Enterprise, requested)
    if enterprise is None or enterprise.park_id != park_id:
        raise field_error("enterprise_id", "no such enterprise in this park")
    return requested


def _code(session: Session, park_id: int, now: dt.datetime) -> str:
    prefix = f"WO{park_id}-{now:%Y%m%d}-"
    taken = session.scalar(select(func.count()).select_from(WorkOrder).where(WorkOrder.code.like(prefix + "%")))
    return f"{prefix}{(taken or 0) + 1:04d}"


def report(session: Session, *, scope: Scope, data: WorkOrderCreate, now: dt.datetime | None = None) -> WorkOrder:
    """Open an order and dispatch it by the park's rules (it stays open when no rule fits). Only park staff (and
    other domains through `provides`, as the system) raise orders from an alarm, a plan or an asset."""
    park_id = _report_park(scope, data.park_id)
    if data.origin_kind != OriginKind.PERSON and not scope.can(HANDLE):
        raise field_error("origin_kind", "only park staff raise orders from alarms, plans or assets")
    _check_location(session, park_id, data)
    now = now or utcnow()
    row = WorkOrder(
        park_id=park_id,
        code=_code(session, park_id, now),
        category=data.category.value,
        priority=data.priority.value,
        title=data.title,
        title_en=data.title_en,
        description=data.description,
        origin_kind=data.origin_kind.value,
        origin_ref=data.origin_ref if data.origin_kind != OriginKind.PERSON else scope.username,
        reporter_user_id=scope.user_id,
        reporter_name=scope.username,
        enterprise_id=_enterprise_of(session, scope, park_id, data.enterprise_id),
        building_id=data.building_id,
        floor_id=data.floor_id,
        room_id=data.room_id,
        location=data.location,
        state=State.OPEN.value,
        reported_at=now,
        due_at=now + sla_span(data.category.value, data.priority.value),
        escalation_level=0,
    )
    session.add(row)
    session.flush()
    team = dispatch_team(session, row)
    if team is not None:
        row.team_id, row.state, row.assigned_at = team.id, State.ASSIGNED.value, now
        session.flush()
    emit(session, row, "opened")
    return row


def dispatch_team(session: Session, row: WorkOrder) -> WorkTeam | None:
    """The team the park's rules give an order: a rule for its category in its building before one for the
    category anywhere; then the lowest rank."""
    conditions = [DispatchRule.park_id == row.park_id, DispatchRule.category == row.category]
    building: ColumnElement[bool] = DispatchRule.building_id.is_(None)
    if row.building_id is not None:
        building = or_(building, DispatchRule.building_id == row.building_id)
    rule = session.scalar(
        select(DispatchRule)
        .where(and_(*conditions), building)
        .order_by(DispatchRule.building_id.is_(None), DispatchRule.rank, DispatchRule.id)
        .limit(1)
    )
    return session.get(WorkTeam, rule.team_id) if rule is not None else None


# -- the team's steps --------------------------------------------------------------------------------------------
def _handled(session: Session, scope: Scope, ident: int) -> WorkOrder:
    row = get_order(session, scope=scope, ident=ident)
    scope.authorize_write_row(HANDLE, row)
    return row


def _expect(row: WorkOrder, *states: State) -> None:
    if row.state not in {s.value for s in states}:
        raise Conflict(f"work order {row.code} is {row.state}")


def assign(
    session: Session, *, scope: Scope, ident: int, team_id: int | None, now: dt.datetime | None = None
) -> WorkOrder:
    row = _handled(session, scope, ident)
    _expect(row, State.OPEN, State.ASSIGNED)
    team = session.get(WorkTeam, team_id) if team_id is not None else dispatch_team(session, row)
    if team is None or team.park_id != row.park_id:
        raise field_error("team_id", "no such team in this park" if team_id else "no dispatch rule fits; name a team")
    row.team_id, row.state, row.assigned_at = team.id, State.ASSIGNED.value, now or utcnow()
    session.flush()
    emit(session, row, "assigned")
    return row


def start(session: Session, *, scope: Scope, ident: int, now: dt.datetime | None = None) -> WorkOrder:
    row = _handled(session, scope, ident)
    _expect(row, State.ASSIGNED)
    row.state, row.started_at = State.IN_PROGRESS.value, now or utcnow()
    session.flush()
    emit(session, row, "started")
    return row


def complete(
    session: Session, *, scope: Scope, ident: int, note: str | None, now: dt.datetime | None = None
) -> WorkOrder:
    row = _handled(session, scope, ident)
    _expect(row, State.ASSIGNED, State.IN_PROGRESS)
    now = now or utcnow()
    row.started_at = row.started_at or now
    row.state, row.completed_at, row.completion_note = State.DONE.value, now, note
    session.flush()
    emit(session, row, "done")
    return row


def cancel(session: Session, *, scope: Scope, ident: int) -> WorkOrder:
    row = _handled(session, scope, ident)
    _expect(row, *OPEN_STATES)
    row.state = State.CANCELLED.value
    session.flush()
    emit(session, row, "cancelled")
    return row


def rate(session: Session, *, scope: Scope, ident: int, rating: int, comment: str | None) -> WorkOrder:
    """The reporter rates a completed order, which closes it."""
    row = get_order(session, scope=scope, ident=ident)
    if scope.user_id is None or row.reporter_user_id != scope.user_id:
        raise PermissionDenied("only the reporter rates a work order")
    _expect(row, State.DONE)
    row.rating, row.rating_comment, row.state = rating, comment, State.CLOSED.value
    session.flush()
    emit(session, row, "closed")
    return row


# -- photos ------------------------------------------------------------------------------------------------------
def _may_add_photo(scope: Scope, row: WorkOrder, stage: PhotoStage) -> None:
    if stage == PhotoStage.COMPLETION:
        scope.authorize_write_row(HANDLE, row)
    elif not (scope.user_id is not None and row.reporter_user_id == scope.user_id) and not (
        scope.can(HANDLE) and row.park_id in scope.write_parks
    ):
        raise PermissionDenied("only the reporter or park staff add photos of the problem")


def add_photo(
    session: Session,
    *,
    scope: Scope,
    ident: int,
    stage: PhotoStage,
    filename: str,
    content_type: str,
    content: bytes,
) -> WorkOrderPhoto:
    row = get_order(session, scope=scope, ident=ident)
    _may_add_photo(scope, row, stage)
    declared = check_upload(PHOTO_UPLOAD, filename=filename, content_type=content_type, content=content)
    count = session.scalar(select(func.count()).select_from(WorkOrderPhoto).where(WorkOrderPhoto.order_id == row.id))
    if (count or 0) >= MAX_PHOTOS:
        raise Conflict(f"a work order holds at most {MAX_PHOTOS} photos")
    photo = WorkOrderPhoto(
        park_id=row.park_id,
        order_id=row.id,
        stage=stage.value,
        filename=safe_filename(filename, "photo"),
        content_type=declared,
        size=len(content),
        content=content,
        uploaded_by=scope.username,
        uploaded_at=utcnow(),
    )
    session.add(photo)
    session.flush()
    return photo


def photos(session: Session, *, scope: Scope, ident: int) -> builtins.list[WorkOrderPhoto]:
    row = get_order(session, scope=scope, ident=ident)
    stmt = select(WorkOrderPhoto).where(WorkOrderPhoto.order_id == row.id).order_by(WorkOrderPhoto.id)
    return builtins.list(session.scalars(stmt))


def get_photo(session: Session, *, scope: Scope, ident: int) -> WorkOrderPhoto:
    photo = session.get(WorkOrderPhoto, ident)
    if photo is None:
        raise NotFound(f"photo {ident} not found")
    get_order(session, scope=scope, ident=photo.order_id)  # 404 unless the caller reads its order
    return photo


# -- SLA escalation ----------------------------------------------------------------------------------------------
def escalation_due(row: WorkOrder, now: dt.datetime) -> int:
    """The level an open order should be at: 0 before its deadline, 1 after it, one more per further span of its
    deadline, up to the policy's highest level."""
    due = row.due_at if row.due_at.tzinfo else row.due_at.replace(tzinfo=dt.UTC)
    if now < due:
        return 0
    span = due - (row.reported_at if row.reported_at.tzinfo else row.reported_at.replace(tzinfo=dt.UTC))
    level = 1 + int((now - due) / span) if span > dt.timedelta(0) else 1
    return min(level, int(sla_policy()["max_escalation_level"]))


def escalate_overdue(session: Session, *, now: dt.datetime | None = None) -> builtins.list[WorkOrder]:
    """Raise the escalation level of every open order past its deadline (all parks; a system job, not committed).
    Returns the orders escalated now."""
    now = now or utcnow()
    escalated: builtins.list[WorkOrder] = []
    stmt = select(WorkOrder).where(
        WorkOrder.state.in_([s.value for s in OPEN_STATES]),
        WorkOrder.due_at <= now,
        WorkOrder.escalation_level < int(sla_policy()["max_escalation_level"]),
    )
    for row in session.scalars(stmt):
        level = escalation_due(row, now)
        if level > row.escalation_level:
            row.escalation_level, row.escalated_at = level, now
            escalated.append(row)
            log.info("work order %s escalated to level %d", row.code, level)
    session.flush()
    return escalated


# -- teams and dispatch rules: plain records ---------------------------------------------------------------------
TEAMS: RecordType[WorkTeam] = RecordType(
    name="work_team",
    model=WorkTeam,
    create_schema=TeamCreate,
    update_schema=TeamUpdate,
    read_schema=TeamRead,
    list_spec=ListSpec(
        filters={"park_id": WorkTeam.park_id}, search=[WorkTeam.name], sort={"id": WorkTeam.id, "name": WorkTeam.name}
    ),
    write_permission=MANAGE,
)

RULES: RecordType[DispatchRule] = RecordType(
    name="dispatch_rule",
    model=DispatchRule,
    create_schema=RuleCreate,
    update_schema=RuleUpdate,
    read_schema=RuleRead,
    list_spec=ListSpec(
        filters={"park_id": DispatchRule.park_id, "category": DispatchRule.category, "team_id": DispatchRule.team_id},
        sort={"id": DispatchRule.id, "category": DispatchRule.category, "rank": DispatchRule.rank},
        default_sort="category,rank,id",
    ),
    write_permission=MANAGE,
    refs={"team_id": WorkTeam, "building_id": Building},
)

CATEGORIES = tuple(c.value for c in Category)
PRIORITIES = tuple(p.value for p in Priority)
