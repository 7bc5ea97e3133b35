"""Safety and emergency records: risk points (安全风险分级管控), major hazard sources (GB 18218-2018), hidden
dangers (隐患排查治理), emergency plans (预案), emergency resources (teams, supplies, shelters), incidents and drills
with their photos, response tasks, timeline and report pushes to the regional command."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin, utcnow
from digipark.core.tenancy import Audited, EnterpriseScoped, ParkScoped, Visibility


class RiskLevel(enum.StrEnum):
    RED = "red"  # 重大风险
    ORANGE = "orange"  # 较大风险
    YELLOW = "yellow"  # 一般风险
    BLUE = "blue"  # 低风险


class RiskMethod(enum.StrEnum):
    LEC = "LEC"
    LS = "LS"


class DangerGrade(enum.StrEnum):
    GENERAL = "general"  # 一般隐患
    MAJOR = "major"  # 重大隐患


class DangerStatus(enum.StrEnum):
    FOUND = "found"
    ASSIGNED = "assigned"
    RECTIFIED = "rectified"
    VERIFIED = "verified"


class IncidentStatus(enum.StrEnum):
    OPEN = "open"  # reported or raised, not yet handled
    RESPONDING = "responding"  # a response is under way (a task was assigned or a plan started)
    CLOSED = "closed"


class IncidentSource(enum.StrEnum):
    ALARM = "alarm"
    REPORT = "report"
    DRILL = "drill"


class TaskStatus(enum.StrEnum):
    ASSIGNED = "assigned"
    DONE = "done"
    CANCELLED = "cancelled"


class ResourceKind(enum.StrEnum):
    TEAM = "team"  # 救援队伍
    SUPPLY = "supply"  # 应急物资
    SHELTER = "shelter"  # 避难场所


class _Located:
    """Where a record is on the site plan: zone, building and coordinates (WGS84)."""

    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id", ondelete="SET NULL"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id", ondelete="SET NULL"), index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    location: Mapped[str | None] = mapped_column(String(300), doc="where, in words")


class RiskPoint(Audited, TimestampMixin, _Located, EnterpriseScoped, Base):
    """A risk point of the register: what can go wrong where, who answers for it, how it is controlled, and its
    assessed risk (LEC or LS) with the resulting colour."""

    __tablename__ = "safety_risk_point"
    __table_args__ = (Index("ix_safety_risk_point_park_id_level", "park_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(60), doc="e.g. 危化品储存, 有限空间, 动火作业")
    responsible_person: Mapped[str] = mapped_column(String(100))
    responsible_phone: Mapped[str | None] = mapped_column(String(40))
    hazards: Mapped[list[str]] = mapped_column(JSON)
    controls: Mapped[list[str]] = mapped_column(JSON)
    method: Mapped[str] = mapped_column(String(3))
    l_value: Mapped[float] = mapped_column(Float)
    e_value: Mapped[float | None] = mapped_column(Float)
    c_value: Mapped[float | None] = mapped_column(Float)
    s_value: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float, doc="D (LEC) or R (LS)")
    level: Mapped[str] = mapped_column(String(10))
    point_ids: Mapped[list[int]] = mapped_column(JSON, doc="linked telemetry points (sensors)")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class HazardSource(Audited, TimestampMixin, _Located, EnterpriseScoped, Base):
    """A production or storage unit with hazardous chemicals, identified and graded by GB 18218-2018."""

    __tablename__ = "safety_hazard_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    unit_kind: Mapped[str] = mapped_column(String(20), doc="production | storage")
    exposed_people: Mapped[int] = mapped_column(Integer, doc="常住人口 within 500 m outside the boundary (α)")
    substances: Mapped[list[dict[str, Any]]] = mapped_column(JSON, doc="inputs and resolved Q, β, q/Q per substance")
    s_value: Mapped[float] = mapped_column(Float, doc="Σ q/Q")
    is_major: Mapped[bool] = mapped_column(Boolean, index=True)
    alpha: Mapped[float] = mapped_column(Float)
    r_value: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[int | None] = mapped_column(Integer, doc="1–4 = 一级–四级; None when not a major hazard source")
    responsible_person: Mapped[str | None] = mapped_column(String(100))
    point_ids: Mapped[list[int]] = mapped_column(JSON, doc="linked telemetry points (sensors)")


class HiddenDanger(Audited, TimestampMixin, _Located, EnterpriseScoped, Base):
    """A hidden danger found in an inspection: found → assigned → rectified → verified, with a deadline."""

    __tablename__ = "safety_hidden_danger"
    __table_args__ = (Index("ix_safety_hidden_danger_park_id_status", "park_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    grade: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default=DangerStatus.FOUND.value)
    risk_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("safety_risk_point.id", ondelete="SET NULL"), index=True
    )
    found_by: Mapped[str] = mapped_column(String(120))
    found_on: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date | None] = mapped_column(Date, index=True)
    assignee: Mapped[str | None] = mapped_column(String(120))
    measures: Mapped[str | None] = mapped_column(Text)
    rectified_by: Mapped[str | None] = mapped_column(String(120))
    rectified_at: Mapped[dt.datetime | None] = mapped_column()
    rectification: Mapped[str | None] = mapped_column(Text)
    verified_by: Mapped[str | None] = mapped_column(String(120))
    verified_at: Mapped[dt.datetime | None] = mapped_column()
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, doc="[{status, at, by, note}] oldest first")


class EmergencyPlan(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An emergency plan (预案) of the park or of an enterprise: response levels, roles and steps."""

    __tablename__ = "safety_emergency_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    plan_type: Mapped[str] = mapped_column(String(20), doc="comprehensive | special | onsite (综合/专项/现场处置)")
    incident_kinds: Mapped[list[str]] = mapped_column(JSON)
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSON, doc="[{level: I–IV, criteria}]")
    roles: Mapped[list[dict[str, Any]]] = mapped_column(JSON, doc="[{role, duty, resource_id?}]")
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, doc="[{title, role, within_minutes}]")
    auto_open_severity: Mapped[str | None] = mapped_column(
        String(10), doc="an alarm of this severity in the plan's area opens an incident by itself (critical)"
    )
    version: Mapped[str | None] = mapped_column(String(20))
    approved_on: Mapped[dt.date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class EmergencyResource(Audited, TimestampMixin, _Located, ParkScoped, Base):
    """A rescue team, a store of emergency supplies or a shelter; every member of the park sees where they are."""

    __tablename__ = "safety_emergency_resource"
    __visibility__ = Visibility.PARK

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(60), doc="fire, medical, hazmat; foam, absorbent ...")
    quantity: Mapped[float | None] = mapped_column(Float, doc="members, items or people a shelter takes")
    unit: Mapped[str | None] = mapped_column(String(20))
    contact: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    owner_enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprise.id", ondelete="SET NULL"), doc="an enterprise's own team or store (shown to all)"
    )
    available: Mapped[bool] = mapped_column(Boolean, default=True)


class Incident(Audited, TimestampMixin, _Located, EnterpriseScoped, Base):
    """An incident (from an alarm or reported by a person) or a drill, from opening to its closing report."""

    __tablename__ = "safety_incident"
    __table_args__ = (Index("ix_safety_incident_park_id_status", "park_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), doc="fire | leak | explosion | poisoning | injury | other")
    level: Mapped[str] = mapped_column(String(4), doc="response level I–IV (I highest)")
    status: Mapped[str] = mapped_column(String(12), default=IncidentStatus.OPEN.value)
    source: Mapped[str] = mapped_column(String(10))
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    alarm_id: Mapped[int | None] = mapped_column(Integer, index=True, doc="the alarm it was opened from")
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("safety_emergency_plan.id", ondelete="SET NULL"))
    description: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(String(120))
    occurred_at: Mapped[dt.datetime] = mapped_column()
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    closed_by: Mapped[str | None] = mapped_column(String(120))
    summary: Mapped[str | None] = mapped_column(Text, doc="the closing summary: cause, handling, lessons")
    deaths: Mapped[int] = mapped_column(Integer, default=0)
    injuries: Mapped[int] = mapped_column(Integer, default=0)
    report_pushed_at: Mapped[dt.datetime | None] = mapped_column()


class IncidentPhoto(Audited, EnterpriseScoped, Base):
    """A photo of an incident, stored in the database."""

    __tablename__ = "safety_incident_photo"
    __audit_exclude__ = frozenset({"content"})

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("safety_incident.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(120))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class IncidentTask(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A response task given to a team (an emergency resource) with a deadline."""

    __tablename__ = "safety_incident_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("safety_incident.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("safety_emergency_resource.id", ondelete="SET NULL"))
    assignee: Mapped[str | None] = mapped_column(String(120), doc="a person, when no team")
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[dt.datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), default=TaskStatus.ASSIGNED.value)
    assigned_by: Mapped[str] = mapped_column(String(120))
    done_at: Mapped[dt.datetime | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)


class IncidentEvent(Audited, EnterpriseScoped, Base):
    """One entry of an incident's timeline: everything that happened, in order."""

    __tablename__ = "safety_incident_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("safety_incident.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(30), doc="opened, task_assigned, task_done, note, photo, closed ...")
    text: Mapped[str] = mapped_column(String(2000))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class ReportPush(Audited, EnterpriseScoped, Base):
    """One attempt to push an incident report to the regional command webhook."""

    __tablename__ = "safety_report_push"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("safety_incident.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), doc="of the body sent")


class SafetyForecast(Audited, EnterpriseScoped, Base):
    """The last computed next-week trend of the safety events one audience reads: the park's staff (no enterprise)
    or one enterprise. Computed by a background job (`safety.forecasts`), never on a request; `fingerprint` is
    the SHA-256 of the inputs (the day it starts and the daily counts), so it is fitted again only when they
    change."""

    __tablename__ = "safety_forecast"
    __audit_exclude__ = frozenset({"result"})
    __table_args__ = (UniqueConstraint("park_id", "audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audience: Mapped[int] = mapped_column(Integer, doc="the enterprise's id; 0: the park's staff")
    starts_on: Mapped[dt.date] = mapped_column(Date, doc="the forecast's first day (the history ends the day before)")
    fingerprint: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, doc="None: too few events for a forecast")
