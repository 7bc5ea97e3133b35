"""The demo park's one-stop services (declared in approvals.module): the five standard processes installed, the
park's reviewer in every department and its operator in the park office and finance, and a handful of applications
of the first enterprises in various states — waiting for review, returned for correction, approved, rejected,
subsidies decided by the eligibility table — spread over the weeks before the demo's day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.approvals import definitions, service
from digipark.approvals.calendar import china
from digipark.approvals.models import ApprovalInstance, ApprovalTask
from digipark.auth.models import Role, User
from digipark.auth.scope import Scope, system_scope
from digipark.registry.models import Enterprise

DEPARTMENTS = ("investment", "park_office", "economic_development", "fire", "environment", "safety", "finance")
FORMS: dict[str, dict[str, Any]] = {
    "enterprise_entry": {
        "planned_area_m2": 2400,
        "planned_employees": 120,
        "business_scope": "新能源汽车电机控制器研发与制造",
    },
    "project_filing": {
        "project_name": "智能仓储物流中心建设项目",
        "investment_wan_yuan": 8600,
        "construction_content": "新建立体仓库一座及配套自动分拣系统",
        "start_year": 2027,
    },
    "construction_precheck": {
        "project_name": "三期洁净厂房",
        "building_area_m2": 12000,
        "fire_category": "丙",
        "hazardous_chemicals": False,
    },
    "policy_subsidy": {
        "renovation_investment_wan_yuan": 420,
        "requested_wan_yuan": 80,
        "renovation_summary": "建设 MES 系统，关键设备联网率提升至 90%",
    },
    "certificate_request": {"certificate_kind": "纳税情况证明", "purpose": "申报高新技术企业"},
}
# (process, enterprise index, days before the demo's day, decisions of the reviews in order; "return" then a correction)
PLAN: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("certificate_request", 0, 30, ("approve",)),
    ("policy_subsidy", 0, 24, ("approve", "approve")),
    ("project_filing", 1, 20, ("reject",)),
    ("enterprise_entry", 2, 15, ("return",)),
    ("construction_precheck", 1, 9, ("approve", "approve")),
    ("policy_subsidy", 3, 6, ()),
    ("certificate_request", 2, 2, ()),
)


def _enterprise_scope(park_id: int, enterprise_id: int) -> Scope:
    return Scope.for_user(
        role=Role.ENTERPRISE,
        username=f"enterprise-{enterprise_id}",
        user_id=None,
        park_id=park_id,
        enterprise_id=enterprise_id,
    )


def build_approvals_demo(session: Session, *, park_id: int, as_of: dt.date, seed: int) -> dict[str, int]:
    """The demo's processes, departments and applications (none when the park has applications already)."""
    if session.scalar(select(func.count()).select_from(ApprovalInstance).where(ApprovalInstance.park_id == park_id)):
        return {"approval_instances": 0}
    admin = system_scope(park_id)
    definitions.install_bundled(session, scope=admin, park_id=park_id)
    staff = session.execute(
        select(User.id, User.role).where(User.park_id == park_id, User.role.in_([Role.REVIEWER, Role.OPERATOR]))
    ).all()
    for user_id, role in staff:
        for department in DEPARTMENTS if role == Role.REVIEWER else ("park_office", "finance"):
            service.assign(session, scope=admin, user_id=user_id, department=department)
    enterprises = list(
        session.scalars(select(Enterprise.id).where(Enterprise.park_id == park_id).order_by(Enterprise.id).limit(4))
    )
    made = 0
    now = dt.datetime.now(dt.UTC)
    for key, index, days_before, decisions in PLAN:
        if index >= len(enterprises):
            continue
        applicant = _enterprise_scope(park_id, enterprises[index])
        instance = service.apply(session, scope=applicant, key=key, form=FORMS[key])
        for decision in decisions:
            reviews = [t for t in _open(session, instance) if t.department != "applicant"]
            for task in reviews:
                reason = (
                    None
                    if decision == "approve"
                    else "材料不齐全，请补充消防设计说明"
                    if decision == "return"
                    else "项目不符合园区产业准入要求"
                )
                service.decide(session, scope=admin, ident=task.id, decision=decision, reason=reason)
        _backdate(
            session,
            instance,
            now,
            dt.datetime.combine(as_of, dt.time(1, 30), tzinfo=dt.UTC) - dt.timedelta(days=days_before),
        )
        made += 1
    session.flush()
    return {"approval_instances": made}


def _open(session: Session, instance: ApprovalInstance) -> list[ApprovalTask]:
    return list(
        session.scalars(
            select(ApprovalTask)
            .where(ApprovalTask.instance_id == instance.id, ApprovalTask.state.in_(["open", "claimed"]))
            .order_by(ApprovalTask.step)
        )
    )


def _backdate(session: Session, instance: ApprovalInstance, now: dt.datetime, submitted: dt.datetime) -> None:
    """Move an application made just now to its demo day: its steps one after another, a working day each."""
    calendar = china()
    instance.submitted_at = submitted
    tasks = session.scalars(
        select(ApprovalTask).where(ApprovalTask.instance_id == instance.id).order_by(ApprovalTask.id)
    ).all()
    moment = submitted
    for task in tasks:
        task.opened_at = moment
        task.due_at = calendar.deadline(moment, 5 if task.department != "park_office" else 3)
        if task.completed_at is not None:
            moment = moment + dt.timedelta(hours=26)
            task.completed_at = moment
    if instance.completed_at is not None:
        instance.completed_at = moment
