"""Events of the work-order domain, published after the transaction that caused them commits (`core.events`):
`WorkOrderChanged` with `action` opened, assigned, started, done, cancelled or closed — automation rules fire on
them (through `workorders.provides`)."""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from digipark.core.events import DomainEvent, queue_event
from digipark.workorders.models import WorkOrder


@dataclasses.dataclass(frozen=True, kw_only=True)
class WorkOrderChanged(DomainEvent):
    order_id: int
    action: str  # opened, assigned, started, done, cancelled, closed
    code: str = ""
    category: str = ""
    priority: str = ""
    origin_kind: str = ""
    origin_ref: str | None = None
    enterprise_id: int | None = None
    building_id: int | None = None


def emit(session: Session, row: WorkOrder, action: str) -> None:
    """Queue the event of a work order (published after the commit)."""
    queue_event(
        session,
        WorkOrderChanged(
            park_id=row.park_id,
            order_id=row.id,
            action=action,
            code=row.code,
            category=row.category,
            priority=row.priority,
            origin_kind=row.origin_kind,
            origin_ref=row.origin_ref,
            enterprise_id=row.enterprise_id,
            building_id=row.building_id,
        ),
    )
