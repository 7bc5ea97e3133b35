"""What the approvals domain offers other domains (declared in approvals.module): whether the park handles
government services online (indicator S2.1), their counts, the enterprise archive's approvals section, and the
Chinese working calendar (`working_calendar()`, with 调休 days) — automation's schedules on working days — and
`start_process` (automation's `start_approval` action: an application started by the platform for an enterprise);
`ApprovalChanged`, the event published when an application starts and when it ends (automation's triggers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.approvals import service
from digipark.approvals.calendar import WorkingCalendar, china
from digipark.approvals.events import ApprovalChanged
from digipark.approvals.models import ApprovalInstance, InstanceState
from digipark.auth.scope import Scope, system_scope
from digipark.core.errors import field_error
from digipark.registry.models import Enterprise

__all__ = [
    "ApprovalChanged",
    "archive_section",
    "counts",
    "government_service_in_use",
    "start_process",
    "working_calendar",
]


def government_service_in_use(session: Session, park_id: int, since: dt.datetime) -> bool:
    """Whether the park received an application online since `since`."""
    return bool(counts(session, park_id, since)["submitted"])


def counts(session: Session, park_id: int, since: dt.datetime) -> dict[str, int]:
    """Applications of the park submitted since `since`: how many, how many finished and approved, how many
    enterprises applied."""
    rows = session.execute(
        select(ApprovalInstance.state, func.count(), func.count(func.distinct(ApprovalInstance.enterprise_id)))
        .where(ApprovalInstance.park_id == park_id, ApprovalInstance.submitted_at >= since)
        .group_by(ApprovalInstance.state)
    ).all()
    by_state = {state: n for state, n, _ in rows}
    enterprises = session.scalar(
        select(func.count(func.distinct(ApprovalInstance.enterprise_id))).where(
            ApprovalInstance.park_id == park_id, ApprovalInstance.submitted_at >= since
        )
    )
    return {
        "submitted": sum(by_state.values()),
        "running": by_state.get(InstanceState.RUNNING.value, 0),
        "completed": sum(n for s, n in by_state.items() if s != InstanceState.RUNNING.value),
        "approved": by_state.get(InstanceState.APPROVED.value, 0),
        "enterprises": int(enterprises or 0),
    }


def archive_section(session: Session, scope: Scope, enterprise: Enterprise) -> dict[str, Any]:
    """The enterprise's applications the caller may read: newest first, with their state and amounts granted."""
    rows = session.scalars(
        scope.readable(ApprovalInstance)
        .where(ApprovalInstance.enterprise_id == enterprise.id)
        .order_by(ApprovalInstance.submitted_at.desc(), ApprovalInstance.id.desc())
        .limit(50)
    ).all()
    return {
        "applications": [
            {
                "id": r.id,
                "process": r.process_key,
                "title": r.title,
                "state": r.state,
                "submitted_at": r.submitted_at,
                "completed_at": r.completed_at,
                "amount_wan_yuan": r.amount_wan_yuan,
            }
            for r in rows
        ],
        "granted_wan_yuan": round(sum(r.amount_wan_yuan or 0.0 for r in rows), 2),
    }


def working_calendar() -> WorkingCalendar:
    """China's working calendar (weekends, public holidays, the weekend days worked instead)."""
    return china()


def start_process(
    session: Session, *, park_id: int, key: str, enterprise_id: int, form: dict[str, Any], applicant: str
) -> int:
    """Start an application of the newest active version of process `key` for an enterprise of the park, as the
    platform (`applicant` names who, e.g. an automation rule): the platform's fields are filled in, `form` is
    checked against the process's form (422 naming the field), the engine runs to the first tasks. Not committed;
    answers the instance id."""
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None or enterprise.park_id != park_id:
        raise field_error("enterprise_id", "no such enterprise in this park")
    instance = service.apply(
        session, scope=system_scope(park_id), key=key, form=form, enterprise_id=enterprise_id, park_id=park_id
    )
    instance.applicant = applicant[:80]
    session.flush()
    return instance.id
