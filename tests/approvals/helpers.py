"""Shared helpers of the approvals tests: the park's definitions installed, reviewers in departments, applications
and decisions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.approvals import definitions, service
from digipark.approvals.models import ApprovalInstance, ApprovalTask, TaskState
from digipark.auth.models import User
from digipark.auth.scope import Scope
from tests.notices.helpers import scope_of

DEPARTMENTS = ("investment", "park_office", "economic_development", "fire", "environment", "safety", "finance")
FORMS: dict[str, dict[str, Any]] = {
    "enterprise_entry": {"planned_area_m2": 1200, "planned_employees": 80, "business_scope": "汽车零部件精密加工"},
    "project_filing": {
        "project_name": "智能产线扩建项目",
        "investment_wan_yuan": 5000,
        "construction_content": "新建两条智能化产线",
        "start_year": 2027,
    },
    "construction_precheck": {"project_name": "二期厂房", "building_area_m2": 8000, "fire_category": "丙"},
    "policy_subsidy": {
        "renovation_investment_wan_yuan": 300,
        "requested_wan_yuan": 60,
        "renovation_summary": "MES 与设备联网改造",
    },
    "certificate_request": {"certificate_kind": "入驻证明", "purpose": "办理银行贷款"},
}


def install(db: Session, park: str = "TA") -> None:
    definitions.install_bundled(db, scope=scope_of(db, park, "park_admin"))


def user_id(db: Session, username: str) -> int:
    found = db.scalar(select(User.id).where(User.username == username))
    assert found is not None
    return found


def join(db: Session, account: str, *departments: str, park: str = "TA") -> Scope:
    """Make a park's account a member of departments; its scope."""
    admin = scope_of(db, park, "park_admin")
    for department in departments:
        service.assign(db, scope=admin, user_id=user_id(db, f"{park}-{account}"), department=department)
    return scope_of(db, park, account)


def apply(db: Session, key: str, account: str = "enterprise", park: str = "TA", **changes: Any) -> ApprovalInstance:
    return service.apply(db, scope=scope_of(db, park, account), key=key, form={**FORMS[key], **changes})


def open_tasks(db: Session, instance: ApprovalInstance) -> list[ApprovalTask]:
    return list(
        db.scalars(
            select(ApprovalTask)
            .where(
                ApprovalTask.instance_id == instance.id,
                ApprovalTask.state.in_([TaskState.OPEN.value, TaskState.CLAIMED.value]),
            )
            .order_by(ApprovalTask.step)
        )
    )


def decide_all(db: Session, scope: Scope, instance: ApprovalInstance, decision: str = "approve") -> list[str]:
    """Decide every open review task of the instance until it ends or waits for the applicant; the steps done."""
    done = []
    while True:
        reviews = [t for t in open_tasks(db, instance) if t.department != "applicant"]
        if not reviews:
            return done
        for task in reviews:
            reason = None if decision == "approve" else "材料不全"
            service.decide(db, scope=scope, ident=task.id, decision=decision, reason=reason)
            done.append(task.step)
