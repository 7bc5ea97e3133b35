"""What other domains may use of work orders (their only door): open an order (from an alarm, a maintenance plan,
an asset or for a person) and read orders and how many were handled; `WorkOrderChanged`, the event published when
an order is opened, assigned, started, done, cancelled or closed (automation's triggers)."""

from __future__ import annotations

import builtins
import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import NotFound
from digipark.workorders.events import WorkOrderChanged
from digipark.workorders.models import Category, OriginKind, Priority, State, WorkOrder, WorkTeam
from digipark.workorders.schemas import WorkOrderCreate, WorkOrderRead
from digipark.workorders.service import complete, get_order, readable, report, start

__all__ = [
    "Category",
    "OriginKind",
    "Priority",
    "State",
    "WorkOrderChanged",
    "WorkOrderCreate",
    "WorkOrderRead",
    "complete_order",
    "count_reported",
    "open_order",
    "open_orders_by_room",
    "orders_led_by",
    "read_order",
    "start_order",
]


def open_order(
    session: Session, *, scope: Scope, data: WorkOrderCreate, now: dt.datetime | None = None
) -> WorkOrderRead:
    """Open a work order (dispatched by the park's rules), reported at `now` (default: now). Not committed."""
    return WorkOrderRead.model_validate(report(session, scope=scope, data=data, now=now))


def complete_order(
    session: Session,
    *,
    scope: Scope,
    ident: int,
    note: str | None,
    started_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
    names: tuple[str, ...] | None = None,
) -> WorkOrderRead:
    """Complete a dispatched order as its team does (started at `started_at` when it has not started yet, completed
    at `now`); a Conflict when the order has no team yet or is no longer open; `names`: only an open order of a team
    these names lead (else NotFound). Not committed."""
    if names is not None:
        _led_by(session, scope, ident, names)
    row = get_order(session, scope=scope, ident=ident)
    if started_at is not None and row.state == State.ASSIGNED.value:
        start(session, scope=scope, ident=ident, now=started_at)
    return WorkOrderRead.model_validate(complete(session, scope=scope, ident=ident, note=note, now=now))


def read_order(session: Session, *, scope: Scope, ident: int) -> WorkOrderRead:
    return WorkOrderRead.model_validate(get_order(session, scope=scope, ident=ident))


def open_orders_by_room(session: Session, *, scope: Scope, building_id: int) -> dict[int, builtins.list[WorkOrderRead]]:
    """The open orders the caller reads in a building, by room (orders without a room under 0)."""
    stmt = readable(scope).where(
        WorkOrder.building_id == building_id,
        WorkOrder.state.in_([State.OPEN.value, State.ASSIGNED.value, State.IN_PROGRESS.value]),
    )
    found: dict[int, builtins.list[WorkOrderRead]] = {}
    for row in session.scalars(stmt.order_by(WorkOrder.reported_at)):
        found.setdefault(row.room_id or 0, []).append(WorkOrderRead.model_validate(row))
    return found


def count_reported(
    session: Session, *, park_id: int, since: dt.datetime, categories: tuple[str, ...] | None = None
) -> int:
    """How many orders people of the park reported online since `since` (a system count, for indicators)."""
    stmt = (
        select(func.count())
        .select_from(WorkOrder)
        .where(
            WorkOrder.park_id == park_id,
            WorkOrder.reported_at >= since,
            WorkOrder.origin_kind == OriginKind.PERSON.value,
        )
    )
    if categories is not None:
        stmt = stmt.where(WorkOrder.category.in_(categories))
    return int(session.scalar(stmt) or 0)


def orders_led_by(session: Session, *, scope: Scope, names: tuple[str, ...]) -> builtins.list[WorkOrderRead]:
    """The orders waiting for or in the hands of a team whose lead is one of these names (a person's username or
    display name), the caller reads, earliest deadline first: what the duty app lists as the person's orders."""
    if not names:
        return []
    stmt = (
        readable(scope)
        .join(WorkTeam, WorkTeam.id == WorkOrder.team_id)
        .where(
            WorkTeam.lead.in_(names),
            WorkOrder.state.in_([State.ASSIGNED.value, State.IN_PROGRESS.value]),
        )
        .order_by(WorkOrder.due_at, WorkOrder.id)
        .limit(100)
    )
    return [WorkOrderRead.model_validate(row) for row in session.scalars(stmt)]


def _led_by(session: Session, scope: Scope, ident: int, names: tuple[str, ...]) -> None:
    if not any(o.id == ident for o in orders_led_by(session, scope=scope, names=names)):
        raise NotFound(f"work order {ident} is not one of your team's open orders")


def start_order(
    session: Session, *, scope: Scope, ident: int, names: tuple[str, ...] | None = None, now: dt.datetime | None = None
) -> WorkOrderRead:
    """Start an assigned order (the team's step); `names`: only an open order of a team these names lead (else
    NotFound). Not committed."""
    if names is not None:
        _led_by(session, scope, ident, names)
    return WorkOrderRead.model_validate(start(session, scope=scope, ident=ident, now=now))
