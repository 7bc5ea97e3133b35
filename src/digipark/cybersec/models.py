"""Tables of the cybersec module.

Infrastructure (read by every member of the park; staff keep it): network elements per building and floor, compute
resources, and which enterprise uses how much of a resource. Security records (read by staff, reviewers and the
owning enterprise): grading with its checklist, data catalogue entries classified by GB/T 43697, ICS assets, security
events and the incidents correlated from them. Advisories and known-bad addresses are the park's (staff)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin
from digipark.core.tenancy import Audited, EnterpriseScoped, ParkScoped, Visibility


class ElementKind(enum.StrEnum):
    OLT = "olt"  # 光线路终端
    FIBRE_ACCESS = "fibre_access"  # 光纤入楼 / ONU
    BASE_STATION = "base_station"  # 5G 基站 / 室分
    ACCESS_POINT = "access_point"
    SWITCH = "switch"
    ROUTER = "router"
    FIREWALL = "firewall"


class ElementStatus(enum.StrEnum):
    IN_SERVICE = "in_service"
    PLANNED = "planned"
    OUT_OF_SERVICE = "out_of_service"


class ComputeKind(enum.StrEnum):
    GENERAL = "general"
    AI = "ai"
    HPC = "hpc"
    STORAGE = "storage"


class DataLevel(enum.StrEnum):
    CORE = "core"
    IMPORTANT = "important"
    GENERAL = "general"


class FilingStatus(enum.StrEnum):
    NOT_REQUIRED = "not_required"  # general data
    TO_FILE = "to_file"
    FILED = "filed"
    ACCEPTED = "accepted"


class CheckStatus(enum.StrEnum):
    TODO = "todo"
    MET = "met"
    PARTIAL = "partial"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"


class IcsKind(enum.StrEnum):
    PLC = "plc"
    DCS = "dcs"
    SCADA = "scada"
    HMI = "hmi"
    RTU = "rtu"
    ENGINEERING_STATION = "engineering_station"
    GATEWAY = "gateway"


class IncidentStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class NetworkElement(Audited, TimestampMixin, ParkScoped, Base):
    """A network device or line in a building: what technology it brings (fibre, 5G ...) and its bandwidth."""

    __tablename__ = "cyber_network_element"
    __visibility__ = Visibility.PARK
    __table_args__ = (UniqueConstraint("park_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    technology: Mapped[str] = mapped_column(String(20), doc="key of data/network.yaml")
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id", ondelete="RESTRICT"), index=True)
    floor_level: Mapped[int | None] = mapped_column(Integer, doc="None: the whole building")
    operator_name: Mapped[str | None] = mapped_column(String(100), doc="carrier or owner (中国移动, 园区)")
    bandwidth_mbps: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default=ElementStatus.IN_SERVICE.value)
    in_service_on: Mapped[dt.date | None] = mapped_column(Date)


class ComputeResource(Audited, TimestampMixin, ParkScoped, Base):
    """Compute or storage the park offers enterprises (a data-centre pool, an AI cluster, an edge node)."""

    __tablename__ = "cyber_compute_resource"
    __visibility__ = Visibility.PARK
    __table_args__ = (UniqueConstraint("park_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id", ondelete="RESTRICT"), index=True)
    capacity: Mapped[float] = mapped_column(Float, doc="in the kind's unit (data/network.yaml)")
    racks: Mapped[int | None] = mapped_column(Integer)
    accelerators: Mapped[int | None] = mapped_column(Integer)
    edge: Mapped[bool] = mapped_column(Boolean, default=False)


class ComputeAllocation(Audited, TimestampMixin, EnterpriseScoped, Base):
    """How much of a compute resource an enterprise uses, and since when (until: None = ongoing)."""

    __tablename__ = "cyber_compute_allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("cyber_compute_resource.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[float] = mapped_column(Float)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)


class SecurityGrading(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An enterprise's industrial-internet security classification and grading, with its evidence, the protection
    level (等级保护) of its main system and the checklist of that level's requirement areas."""

    __tablename__ = "cyber_grading"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(30), doc="key of data/security.yaml enterprise_categories")
    grade: Mapped[int] = mapped_column(Integer)
    protection_level: Mapped[int] = mapped_column(Integer)
    system_name: Mapped[str] = mapped_column(String(200))
    graded_on: Mapped[dt.date] = mapped_column(Date)
    evidence: Mapped[str] = mapped_column(Text)
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON, doc="requirement area -> status")


class DataItem(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An entry of an enterprise's data catalogue, classified by GB/T 43697-2024, with its filing status."""

    __tablename__ = "cyber_data_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    domain: Mapped[str | None] = mapped_column(String(100), doc="business area (研发设计, 生产制造 ...)")
    level: Mapped[str] = mapped_column(String(20))
    filing_status: Mapped[str] = mapped_column(String(20))
    filed_on: Mapped[dt.date | None] = mapped_column(Date)
    export_allowed: Mapped[bool] = mapped_column(Boolean, default=False, doc="passed a data-export assessment")


class IcsAsset(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A PLC, DCS, SCADA server, HMI ... of an enterprise, with the firmware advisories are matched against."""

    __tablename__ = "cyber_ics_asset"
    __table_args__ = (Index("ix_cyber_ics_asset_park_id_ip_address", "park_id", "ip_address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    vendor: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    firmware: Mapped[str] = mapped_column(String(60))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id", ondelete="RESTRICT"), index=True)


class Advisory(Audited, TimestampMixin, ParkScoped, Base):
    """A vulnerability advisory (CNVD, CVE, a vendor's) for a vendor's model(s) and a firmware range."""

    __tablename__ = "cyber_advisory"
    __table_args__ = (UniqueConstraint("park_id", "ident"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ident: Mapped[str] = mapped_column(String(60), doc="CNVD-2024-12345, CVE-2024-1234, a vendor's id")
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    vendor: Mapped[str] = mapped_column(String(100))
    model_pattern: Mapped[str] = mapped_column(String(100), doc="model, or a pattern with * (S7-1200*)")
    affected: Mapped[str] = mapped_column(String(200), doc="version specifiers, e.g. >=4.0,<4.5.2")
    fixed_version: Mapped[str | None] = mapped_column(String(60))
    severity: Mapped[str] = mapped_column(String(20))
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(100))


class BadAddress(Audited, TimestampMixin, ParkScoped, Base):
    """An address or network from an imported list of known-bad addresses."""

    __tablename__ = "cyber_bad_address"
    __table_args__ = (UniqueConstraint("park_id", "network"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(String(50), doc="an address or a CIDR network")
    list_name: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(300))


class CyberEvent(EnterpriseScoped, Base):
    """A normalised security event (from syslog, JSON over HTTP, or the platform's own logins). Not audited: the
    event itself is the record, and there are many."""

    __tablename__ = "cyber_event"
    __table_args__ = (Index("ix_cyber_event_park_id_at", "park_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column()
    sensor: Mapped[str] = mapped_column(String(100), doc="the device or sensor that reported it")
    kind: Mapped[str] = mapped_column(String(30))
    src_ip: Mapped[str | None] = mapped_column(String(45))
    dst_ip: Mapped[str | None] = mapped_column(String(45))
    dst_port: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(120))
    message: Mapped[str | None] = mapped_column(String(500))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("cyber_incident.id", ondelete="SET NULL"), index=True, doc="the incident it completed or added to"
    )


class CyberIncident(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An incident a correlation rule found: which rule, about what (source, address, asset), how many events."""

    __tablename__ = "cyber_incident"
    __table_args__ = (Index("ix_cyber_incident_park_id_rule_key", "park_id", "rule", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=IncidentStatus.OPEN.value)
    first_at: Mapped[dt.datetime] = mapped_column()
    last_at: Mapped[dt.datetime] = mapped_column()
    events: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(500))
    alarm_id: Mapped[int | None] = mapped_column(Integer, doc="the alarm raised for it (alarms module)")
    safety_incident_id: Mapped[int | None] = mapped_column(
        Integer, doc="the emergency incident it was handed over to (safety module; opened from its alarm)"
    )
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    closed_by: Mapped[str | None] = mapped_column(String(80))


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"


class LogSource(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A sender the syslog receiver accepts for a park: by its address or network (the allow-list), or from anywhere
    when a message carries its token in the RFC 5424 structured data (`[digipark token="..."]`). Its events are
    attributed to its enterprise when it names one. Kept by park staff."""

    __tablename__ = "cyber_log_source"
    __table_args__ = (UniqueConstraint("park_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    network: Mapped[str | None] = mapped_column(String(50), doc="an address or a CIDR network it sends from")
    token_hash: Mapped[str | None] = mapped_column(String(64), doc="SHA-256 of its token (the token is never stored)")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def has_token(self) -> bool:
        return self.token_hash is not None


class IcsAssessment(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An enterprise's self-assessment against MIIT's 《工业控制系统网络安全防护指南》: each requirement item of
    data/ics_guide.yaml answered (met, partly met, not met, not applicable) with its evidence."""

    __tablename__ = "cyber_ics_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    assessor: Mapped[str] = mapped_column(String(100))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, doc="item key -> {status, evidence}")


class IcsTask(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A rectification task for a gap of an ICS self-assessment: what, who owns it, by when, and whether it is done."""

    __tablename__ = "cyber_ics_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("cyber_ics_assessment.id", ondelete="CASCADE"), index=True)
    item: Mapped[str] = mapped_column(String(20), doc="the requirement item's key in data/ics_guide.yaml")
    title: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=TaskStatus.OPEN.value)
    done_on: Mapped[dt.date | None] = mapped_column(Date)
