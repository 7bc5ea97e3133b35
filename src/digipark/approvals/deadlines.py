"""Deadlines of open steps: a reminder once the last working day of a step has begun, escalation to the park's
managers once it has passed, and the processes' own timer events (a review's statutory deadline opening the park
office's supervision task) fired. `sweep` is what the background scanner (and the CLI or a test) calls; each
reminder and escalation is written to the audit log and shown on the task lists."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import zoneinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.approvals import service
from digipark.approvals.calendar import china
from digipark.approvals.models import ApprovalInstance, ApprovalTask, InstanceState, TaskState
from digipark.audit.service import Actor, record, set_actor
from digipark.core.background import Handle, SharedService
from digipark.core.config import get_settings
from digipark.core.periodic import PeriodicThread

log = logging.getLogger("digipark.approvals.deadlines")
ACTOR = Actor("approval-deadlines", role="system")
FIRST_RUN_AFTER_S = 60.0
EVERY_S = 600.0


@dataclasses.dataclass(frozen=True)
class SweepResult:
    reminded: list[int]
    escalated: list[int]


def reminder_from(task: ApprovalTask) -> dt.datetime:
    """The start of the step's last working day (Asia/Shanghai), in UTC."""
    zone = zoneinfo.ZoneInfo(get_settings().timezone)
    due = task.due_at.astimezone(zone)
    start = dt.datetime.combine(due.date(), dt.time(0, 0), tzinfo=zone)
    return start.astimezone(dt.UTC)


def sweep(session: Session, *, now: dt.datetime) -> SweepResult:
    """Fire the timers of the applications with a step past its deadline, then remind and escalate the open steps
    of every park that are due (each only once)."""
    overdue = session.scalars(
        select(ApprovalInstance)
        .where(
            ApprovalInstance.state == InstanceState.RUNNING.value,
            ApprovalInstance.id.in_(
                select(ApprovalTask.instance_id).where(
                    ApprovalTask.state.in_([TaskState.OPEN.value, TaskState.CLAIMED.value]),
                    ApprovalTask.escalated_at.is_(None),
                    ApprovalTask.due_at < now,
                )
            ),
        )
        .order_by(ApprovalInstance.id)
    ).all()
    for instance in overdue:
        service.run_timers(session, instance, now=now)
    open_tasks = session.scalars(
        select(ApprovalTask)
        .where(
            ApprovalTask.state.in_([TaskState.OPEN.value, TaskState.CLAIMED.value]),
            ApprovalTask.escalated_at.is_(None),
        )
        .order_by(ApprovalTask.due_at, ApprovalTask.id)
    ).all()
    reminded: list[int] = []
    escalated: list[int] = []
    for task in open_tasks:
        if now > task.due_at:
            task.escalated_at = now
            escalated.append(task.id)
            _note(session, task, "approval.escalated")
        elif task.reminded_at is None and now >= reminder_from(task):
            task.reminded_at = now
            reminded.append(task.id)
            _note(session, task, "approval.reminded")
    session.flush()
    return SweepResult(reminded, escalated)


def _note(session: Session, task: ApprovalTask, action: str) -> None:
    record(
        session,
        action=action,
        entity_type="approval_task",
        entity_id=task.id,
        park_id=task.park_id,
        enterprise_id=task.enterprise_id,
        after={"department": task.department, "step": task.step, "due_at": task.due_at.isoformat()},
    )


def overdue_working_days(task: ApprovalTask, now: dt.datetime) -> int:
    """Working days past the deadline (0 while it is not overdue)."""
    zone = zoneinfo.ZoneInfo(get_settings().timezone)
    end = (task.completed_at or now).astimezone(zone).date()
    return china().working_days_between(task.due_at.astimezone(zone).date(), end)


class DeadlineScanner(PeriodicThread):
    """A daemon thread running `sweep` every EVERY_S seconds, each run in its own write transaction."""

    thread_name, failure, logger = "digipark-approval-deadlines", "approvals: deadline sweep failed", log

    def __init__(self, *, first_after_s: float = FIRST_RUN_AFTER_S, every_s: float = EVERY_S) -> None:
        super().__init__(first_after_s=first_after_s, every_s=every_s)

    def run_once(self) -> SweepResult:
        from digipark.core.db import transaction

        with transaction(write=True) as session:
            set_actor(session, ACTOR)
            result = sweep(session, now=dt.datetime.now(dt.UTC))
        if result.reminded or result.escalated:
            log.info("approvals: %d reminded, %d escalated", len(result.reminded), len(result.escalated))
        return result


_scanner: SharedService[DeadlineScanner] = SharedService(DeadlineScanner)


def start_deadline_scanner() -> Handle[DeadlineScanner]:
    return _scanner.acquire()
