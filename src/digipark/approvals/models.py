"""Approval definitions (versioned BPMN), applications (process instances), their tasks, the departments reviewers
belong to, uploaded documents and the submissions reported upward."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin, utcnow
from digipark.core.tenancy import Audited, EnterpriseScoped, ParkScoped, Visibility


class InstanceState(enum.StrEnum):
    RUNNING = "running"  # 办理中
    APPROVED = "approved"  # 办结（准予）
    REJECTED = "rejected"  # 不予办理
    INELIGIBLE = "ineligible"  # 不符合条件（资格表判定）


class TaskState(enum.StrEnum):
    OPEN = "open"  # 待认领
    CLAIMED = "claimed"  # 办理中
    DONE = "done"  # 已办
    CANCELLED = "cancelled"  # 已撤销（并行分支因其他部门结论而终止）


class Decision(enum.StrEnum):
    APPROVE = "approve"  # 通过
    REJECT = "reject"  # 不予受理
    RETURN = "return"  # 退回补正
    CORRECTED = "corrected"  # 已补正（申请人）


class ApprovalDefinition(Audited, TimestampMixin, ParkScoped, Base):
    """One version of a park's approval process: its BPMN (and DMN tables) and the form applicants fill in. A new
    version never changes the instances started on an older one."""

    __tablename__ = "approval_definition"
    __table_args__ = (UniqueConstraint("park_id", "key", "version"),)
    __visibility__ = Visibility.PARK
    __audit_exclude__ = frozenset({"bpmn_xml", "dmn_xml", "called_bpmn_xml"})

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), doc="the BPMN process id, the same in every version")
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200), doc="the BPMN process's property name_en")
    bpmn_xml: Mapped[str] = mapped_column(Text)
    dmn_xml: Mapped[list[str]] = mapped_column(JSON, default=list, doc="the DMN files its business rule tasks call")
    called_bpmn_xml: Mapped[list[str]] = mapped_column(
        JSON, default=list, doc="the BPMN processes its call activities call, as they were when it was published"
    )
    form_schema: Mapped[dict[str, Any]] = mapped_column(JSON, doc="JSON Schema of the application form")
    bpmn_sha256: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True, doc="new applications start on the newest active")
    published_by: Mapped[str] = mapped_column(String(80))


class ApprovalInstance(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An application: one running (or finished) process instance of an enterprise, on the definition version it
    started with; `workflow` is SpiffWorkflow's serialisation of the instance."""

    __tablename__ = "approval_instance"
    __visibility__ = Visibility.ENTERPRISE
    __audit_exclude__ = frozenset({"workflow"})

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("approval_definition.id", ondelete="RESTRICT"), index=True)
    process_key: Mapped[str] = mapped_column(String(60), index=True)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200), doc="the title on English pages")
    applicant: Mapped[str] = mapped_column(String(80), doc="username of the applicant")
    form_data: Mapped[dict[str, Any]] = mapped_column(JSON, doc="what the applicant entered")
    platform_data: Mapped[dict[str, Any]] = mapped_column(JSON, doc="what the platform filled in (apply once)")
    state: Mapped[str] = mapped_column(String(20), default=InstanceState.RUNNING.value, index=True)
    workflow: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column()
    amount_wan_yuan: Mapped[float | None] = mapped_column(Float, doc="a subsidy's amount granted (政策兑现), 万元")
    decision_sha256: Mapped[str | None] = mapped_column(String(64), doc="SHA-256 of the decision document (PDF)")


class ApprovalTask(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A user task of an instance: a department's review or the applicant's correction, with its deadline."""

    __tablename__ = "approval_task"
    __table_args__ = (UniqueConstraint("instance_id", "spiff_task_id"),)
    __visibility__ = Visibility.ENTERPRISE

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("approval_instance.id", ondelete="CASCADE"), index=True)
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    step: Mapped[str] = mapped_column(String(60), doc="the BPMN task id")
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200), doc="the task's property name_en")
    department: Mapped[str] = mapped_column(String(40), index=True, doc="the BPMN lane; 'applicant' for corrections")
    state: Mapped[str] = mapped_column(String(20), default=TaskState.OPEN.value, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    decision: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    completed_by: Mapped[str | None] = mapped_column(String(80))
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column()
    due_at: Mapped[dt.datetime] = mapped_column(doc="end of the last working day allowed")
    reminded_at: Mapped[dt.datetime | None] = mapped_column()
    escalated_at: Mapped[dt.datetime | None] = mapped_column()


class DepartmentMember(Audited, TimestampMixin, ParkScoped, Base):
    """A reviewer's (or operator's) department: they see and handle that department's tasks."""

    __tablename__ = "approval_department_member"
    __table_args__ = (UniqueConstraint("user_id", "department"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    department: Mapped[str] = mapped_column(String(40))


class ApprovalDocument(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A document uploaded with an application (or a correction)."""

    __tablename__ = "approval_document"
    __visibility__ = Visibility.ENTERPRISE
    __audit_exclude__ = frozenset({"content"})

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="upload", doc="upload | decision (the generated PDF)")
    instance_id: Mapped[int] = mapped_column(ForeignKey("approval_instance.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(80))


class UpwardSubmission(Audited, TimestampMixin, ParkScoped, Base):
    """A package reported upward (the park's evaluation, statistics and approvals figures) and its signature."""

    __tablename__ = "approval_upward_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    package_sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(64), doc="HMAC-SHA256 of the package with the park's signing key")
    submitted_by: Mapped[str] = mapped_column(String(80))
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
