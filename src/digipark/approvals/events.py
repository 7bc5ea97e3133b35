"""Events of the approvals domain, published after the transaction that caused them commits (`core.events`):
`ApprovalChanged` with `action` started (an application submitted), approved, rejected or ineligible (the instance
ended so) — automation rules fire on them (through `approvals.provides`)."""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from digipark.approvals.models import ApprovalInstance
from digipark.core.events import DomainEvent, queue_event


@dataclasses.dataclass(frozen=True, kw_only=True)
class ApprovalChanged(DomainEvent):
    instance_id: int
    action: str  # started, approved, rejected, ineligible
    process_key: str
    enterprise_id: int | None = None


def emit(session: Session, instance: ApprovalInstance, action: str) -> None:
    queue_event(
        session,
        ApprovalChanged(
            park_id=instance.park_id,
            instance_id=instance.id,
            action=action,
            process_key=instance.process_key,
            enterprise_id=instance.enterprise_id,
        ),
    )
