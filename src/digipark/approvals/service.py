"""Applications and their handling: an enterprise applies (the platform fills in what it knows), the engine opens
the departments' review tasks, reviewers of a department claim and decide them (approve, reject with a reason,
return for correction), the applicant corrects, and the instance ends approved, rejected or ineligible. Every step
keeps its times; deadlines are working days (`calendar`)."""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session

from digipark.approvals import definitions, engine, facts, forms
from digipark.approvals.calendar import china
from digipark.approvals.events import emit
from digipark.approvals.models import (
    ApprovalDefinition,
    ApprovalInstance,
    ApprovalTask,
    Decision,
    DepartmentMember,
    InstanceState,
    TaskState,
)
from digipark.auth.models import Role, User
from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound, PermissionDenied, field_error

VIEW = "approvals.view"
APPLY = "approvals.apply"
HANDLE = "approvals.handle"
MANAGE = "approvals.manage"
ENDS = {"approved": InstanceState.APPROVED, "rejected": InstanceState.REJECTED, "ineligible": InstanceState.INELIGIBLE}
REASON_MAX = 2000


# -- who handles what ---------------------------------------------------------------------------------------------
def departments_of(session: Session, scope: Scope) -> set[str]:
    """The departments of its own park whose tasks the caller handles (its memberships; managers handle every
    department's tasks without being members, see `task_condition`)."""
    if scope.user_id is None or scope.park_id is None or not scope.can(HANDLE):
        return set()
    stmt = select(DepartmentMember.department).where(
        DepartmentMember.user_id == scope.user_id, DepartmentMember.park_id == scope.park_id
    )
    return set(session.scalars(stmt))


def task_condition(session: Session, scope: Scope, departments: set[str] | None = None) -> ColumnElement[bool]:
    """On top of tenancy: managers read every task of their park, an enterprise its own applications' tasks, a
    handler only its departments' tasks (`departments`: the caller's, when known)."""
    if scope.can(MANAGE) or scope.role == Role.ENTERPRISE:
        return true()
    mine = departments_of(session, scope) if departments is None else departments
    if not mine or scope.park_id is None:
        return false()
    return (ApprovalTask.park_id == scope.park_id) & ApprovalTask.department.in_(sorted(mine))


def assign(session: Session, *, scope: Scope, user_id: int, department: str) -> DepartmentMember:
    """Make a reviewer or operator of the park a member of a department (park admins)."""
    park = scope.acting_write_park()
    scope.authorize_write(MANAGE, park_id=park)
    user = session.get(User, user_id)
    if user is None or user.park_id != park:
        raise NotFound(f"user {user_id} not found")
    if user.role not in (Role.REVIEWER.value, Role.OPERATOR.value, Role.REVIEWER, Role.OPERATOR):
        raise field_error("user_id", "only reviewers and operators handle tasks")
    if department == engine.APPLICANT_LANE or not department.replace("_", "").isalnum() or len(department) > 40:
        raise field_error("department", "not a department")
    existing = session.scalar(
        select(DepartmentMember).where(DepartmentMember.user_id == user_id, DepartmentMember.department == department)
    )
    if existing is not None:
        return existing
    row = DepartmentMember(park_id=park, user_id=user_id, department=department)
    session.add(row)
    session.flush()
    return row


# -- applying -----------------------------------------------------------------------------------------------------
def prefilled(session: Session, *, scope: Scope, definition: ApprovalDefinition, enterprise_id: int) -> dict[str, Any]:
    sources = facts.sources_of(definition.form_schema, bool(definition.dmn_xml))
    known = facts.enterprise_facts(session, scope=scope, enterprise_id=enterprise_id, sources=sources)
    return facts.prefill(definition.form_schema, known)


def apply(
    session: Session,
    *,
    scope: Scope,
    key: str,
    form: dict[str, Any],
    enterprise_id: int | None = None,
    park_id: int | None = None,
) -> ApprovalInstance:
    """Start an application on the newest version of process `key` for the caller's enterprise (staff name it);
    the platform's fields are filled in, the applicant's checked against the form (422), then the engine runs to
    the first tasks."""
    park = scope.acting_write_park(park_id)
    enterprise = scope.acting_enterprise(enterprise_id)
    if enterprise is None:
        raise field_error("enterprise_id", "required: the enterprise applying")
    scope.authorize_write(APPLY, park_id=park, enterprise_id=enterprise)
    definition = definitions.newest(session, scope=scope, key=key, park_id=park)
    assert definition is not None
    sources = facts.sources_of(definition.form_schema, bool(definition.dmn_xml))
    known = facts.enterprise_facts(session, scope=scope, enterprise_id=enterprise, sources=sources)
    english = known.pop("enterprise.name_en", None)  # for the English title only, not a fact of the process
    platform = facts.prefill(definition.form_schema, known)
    entered = forms.validate(definition.form_schema, form, platform)
    process = definitions.parsed(definition)
    data = {**{k.split(".", 1)[1]: v for k, v in known.items()}, **platform, **entered}
    workflow = engine.start(process, data)
    title = f"{definition.name} · {known['enterprise.name']}"
    title_en = f"{definition.name_en or definition.name} · {english or known['enterprise.name']}"
    instance = ApprovalInstance(
        park_id=park,
        enterprise_id=enterprise,
        definition_id=definition.id,
        process_key=definition.key,
        title=title[:200],
        title_en=title_en[:200],
        applicant=scope.username,
        form_data=entered,
        platform_data=platform,
        state=InstanceState.RUNNING.value,
        workflow=engine.dump(workflow, process),
        submitted_at=utcnow(),
    )
    session.add(instance)
    session.flush()
    emit(session, instance, "started")
    _sync(session, instance, workflow)
    return instance


# -- reading ------------------------------------------------------------------------------------------------------
def get_instance(session: Session, *, scope: Scope, ident: int) -> ApprovalInstance:
    scope.require(VIEW)
    return scope.get_or_404(session, ApprovalInstance, ident)


def list_instances(
    session: Session, *, scope: Scope, state: str | None = None, key: str | None = None, limit: int = 200
) -> builtins.list[ApprovalInstance]:
    scope.require(VIEW)
    stmt = scope.readable(ApprovalInstance)
    if state:
        stmt = stmt.where(ApprovalInstance.state == state)
    if key:
        stmt = stmt.where(ApprovalInstance.process_key == key)
    return list(
        session.scalars(stmt.order_by(ApprovalInstance.submitted_at.desc(), ApprovalInstance.id.desc()).limit(limit))
    )


def steps(session: Session, *, scope: Scope, instance: ApprovalInstance) -> builtins.list[ApprovalTask]:
    """Every step of an application in order, with its times (the applicant's progress view)."""
    stmt = scope.readable(ApprovalTask).where(ApprovalTask.instance_id == instance.id)
    return list(session.scalars(stmt.order_by(ApprovalTask.opened_at, ApprovalTask.id)))


def list_tasks(
    session: Session, *, scope: Scope, open_only: bool = True, department: str | None = None, limit: int = 200
) -> builtins.list[ApprovalTask]:
    """The tasks the caller may see: its departments' (handlers), the park's (managers), its own applications'
    (enterprises)."""
    scope.require(VIEW)
    stmt = scope.readable(ApprovalTask).where(task_condition(session, scope))
    if open_only:
        stmt = stmt.where(ApprovalTask.state.in_([TaskState.OPEN.value, TaskState.CLAIMED.value]))
    if department:
        stmt = stmt.where(ApprovalTask.department == department)
    return list(session.scalars(stmt.order_by(ApprovalTask.due_at, ApprovalTask.id).limit(limit)))


def get_task(session: Session, *, scope: Scope, ident: int, departments: set[str] | None = None) -> ApprovalTask:
    scope.require(VIEW)
    condition = task_condition(session, scope, departments)
    stmt = scope.readable(ApprovalTask).where(ApprovalTask.id == ident, condition)
    row: ApprovalTask | None = session.scalar(stmt)
    if row is None:
        raise NotFound(f"approval_task {ident} not found")
    return row


# -- handling -----------------------------------------------------------------------------------------------------
def _handleable(session: Session, scope: Scope, ident: int) -> ApprovalTask:
    """A review task the caller may handle: one of its departments' (or any, for a manager who may write)."""
    mine = departments_of(session, scope)
    task = get_task(session, scope=scope, ident=ident, departments=mine)
    if task.department == engine.APPLICANT_LANE:
        raise PermissionDenied("the applicant corrects its own application")
    manager = scope.can(MANAGE) and task.park_id in scope.write_parks
    if not manager and task.department not in mine:
        raise PermissionDenied("the task belongs to another department")
    if task.state not in (TaskState.OPEN.value, TaskState.CLAIMED.value):
        raise Conflict(f"task {ident} is already done")
    return task


def claim(session: Session, *, scope: Scope, ident: int) -> ApprovalTask:
    """Take a task of your department (409 when someone else has it)."""
    task = _handleable(session, scope, ident)
    if task.claimed_by not in (None, scope.username):
        raise Conflict(f"task {ident} is claimed by {task.claimed_by}")
    task.claimed_by = scope.username
    task.state = TaskState.CLAIMED.value
    session.flush()
    return task


def decide(session: Session, *, scope: Scope, ident: int, decision: str, reason: str | None = None) -> ApprovalTask:
    """Approve, reject or return a review task (a reason is required for rejecting and returning); an unclaimed
    task is claimed by the one who decides."""
    task = _handleable(session, scope, ident)
    if decision not in (Decision.APPROVE, Decision.REJECT, Decision.RETURN):
        raise field_error("decision", "one of approve, reject, return")
    reason = (reason or "").strip() or None
    if decision != Decision.APPROVE and reason is None:
        raise field_error("reason", "required when rejecting or returning an application")
    if reason is not None and len(reason) > REASON_MAX:
        raise field_error("reason", f"at most {REASON_MAX} characters")
    if task.claimed_by not in (None, scope.username):
        raise Conflict(f"task {ident} is claimed by {task.claimed_by}")
    instance = session.get(ApprovalInstance, task.instance_id)
    assert instance is not None
    _complete(session, scope, instance, task, {engine.decision_key(task.step): decision}, decision, reason)
    return task


def correct(
    session: Session, *, scope: Scope, ident: int, form: dict[str, Any], note: str | None = None
) -> ApprovalTask:
    """The applicant's correction: changed form fields (checked against the form again), then the review that
    returned it runs again."""
    task = get_task(session, scope=scope, ident=ident)
    instance = session.get(ApprovalInstance, task.instance_id)
    assert instance is not None
    scope.authorize_write(APPLY, park_id=instance.park_id, enterprise_id=instance.enterprise_id)
    if task.department != engine.APPLICANT_LANE:
        raise PermissionDenied("only the applicant's correction tasks are corrected")
    if task.state not in (TaskState.OPEN.value, TaskState.CLAIMED.value):
        raise Conflict(f"task {ident} is already done")
    definition = session.get(ApprovalDefinition, instance.definition_id)
    assert definition is not None
    entered = forms.validate(definition.form_schema, {**instance.form_data, **form}, instance.platform_data)
    instance.form_data = entered
    note = (note or "").strip() or None
    _complete(session, scope, instance, task, dict(entered), Decision.CORRECTED.value, note, new_round=True)
    return task


def _complete(
    session: Session,
    scope: Scope,
    instance: ApprovalInstance,
    task: ApprovalTask,
    data: dict[str, Any],
    decision: str,
    reason: str | None,
    *,
    new_round: bool = False,
) -> None:
    workflow, process = _load(session, instance)
    try:
        engine.complete(workflow, task.spiff_task_id, data, new_round=new_round)
    except LookupError:
        raise Conflict(f"task {task.id} is no longer waiting") from None
    now = utcnow()
    task.state = TaskState.DONE.value
    task.decision = decision
    task.reason = reason
    task.claimed_by = task.claimed_by or scope.username
    task.completed_by = scope.username
    task.completed_at = now
    instance.workflow = engine.dump(workflow, process)
    _sync(session, instance, workflow, now=now)


def _sync(session: Session, instance: ApprovalInstance, workflow: Any, *, now: dt.datetime | None = None) -> None:
    """Task rows for the user tasks now waiting; tasks no longer waiting are cancelled; a finished workflow ends
    the instance with the end event it reached. One flush at the end (each flush appends to the audit chain)."""
    now = now or utcnow()
    waiting = {t.spiff_id: t for t in engine.waiting(workflow)}
    with session.no_autoflush:
        rows = session.scalars(
            select(ApprovalTask).where(
                ApprovalTask.instance_id == instance.id,
                ApprovalTask.state.in_([TaskState.OPEN.value, TaskState.CLAIMED.value]),
            )
        ).all()
    known = {r.spiff_task_id for r in rows}
    for row in rows:  # rows read before this transaction's changes were flushed: the task just done is among them
        if row.state in (TaskState.OPEN.value, TaskState.CLAIMED.value) and row.spiff_task_id not in waiting:
            row.state = TaskState.CANCELLED.value
            row.completed_at = now
    calendar = china()
    for spiff_id, user_task in waiting.items():
        if spiff_id in known:
            continue
        session.add(
            ApprovalTask(
                park_id=instance.park_id,
                enterprise_id=instance.enterprise_id,
                instance_id=instance.id,
                spiff_task_id=spiff_id,
                step=user_task.step,
                title=user_task.title,
                title_en=user_task.title_en[:200] or None,
                department=user_task.department,
                state=TaskState.OPEN.value,
                opened_at=now,
                due_at=calendar.deadline(now, user_task.deadline_working_days),
            )
        )
    if workflow.is_completed():
        instance.state = ENDS.get(engine.ended_at(workflow, ENDS) or "", InstanceState.APPROVED).value
        instance.completed_at = now
        if instance.state == InstanceState.APPROVED.value:
            instance.amount_wan_yuan = granted_amount(engine.data(workflow))
        emit(session, instance, instance.state)
    session.flush()


def granted_amount(data: dict[str, Any]) -> float | None:
    """A subsidy's amount: what was requested, at most the eligibility table's cap (None for other processes)."""
    requested = data.get("requested_wan_yuan")
    if requested is None:
        return None
    cap = data.get("subsidy_cap_wan_yuan")
    return float(min(float(requested), float(cap))) if cap is not None else float(requested)


def run_timers(session: Session, instance: ApprovalInstance, *, now: dt.datetime) -> bool:
    """Fire the instance's BPMN timer events that are due (a statutory deadline's escalation) and open the tasks
    they lead to; whether its waiting tasks changed."""
    workflow, process = _load(session, instance)
    if not engine.run_timers(workflow):
        return False
    instance.workflow = engine.dump(workflow, process)
    _sync(session, instance, workflow, now=now)
    return True


def _load(session: Session, instance: ApprovalInstance) -> engine.Loaded:
    def definition() -> engine.ParsedDefinition:
        row = session.get(ApprovalDefinition, instance.definition_id)
        assert row is not None
        return definitions.parsed(row)

    return engine.load(instance.workflow, definition)


def position(session: Session, instance: ApprovalInstance) -> builtins.list[str]:
    """The BPMN ids where the instance stands (the diagram marks them)."""
    return engine.active_steps(_load(session, instance).workflow)
