"""Enterprise digital transformation: SME digital-level assessments (with revisions and evidence files), maturity
and smart-factory certificates, adoption records (industrial internet, cloud, robots, AI, digital production
services), the park's catalogue of 小快轻准 digital products and services, and enterprises' provider requests."""

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


class AssessmentStatus(enum.StrEnum):
    DRAFT = "draft"  # being filled in; partial answers allowed
    SUBMITTED = "submitted"  # complete, waiting for the park's review
    RETURNED = "returned"  # the park sent it back with a comment; editable again
    CONFIRMED = "confirmed"  # the park confirmed it; final


class CertificateScale(enum.StrEnum):
    GBT39116 = "GBT39116"  # 智能制造能力成熟度 GB/T 39116-2020, levels 1–5
    SMART_FACTORY = "SMART_FACTORY"  # 智能工厂梯度培育: 基础级 1, 先进级 2, 卓越级 3, 领航级 4


class AdoptionKind(enum.StrEnum):
    INDUSTRIAL_INTERNET = "industrial_internet"  # use of an industrial internet platform
    CLOUD = "cloud"  # key equipment or a business system on the cloud (上云)
    ROBOT = "robot"  # industrial robots (count)
    AI = "ai"  # an AI application
    DIGITAL_PRODUCTION_SERVICE = "digital_production_service"  # a digital production service used


class CatalogueKind(enum.StrEnum):
    PRODUCT = "product"
    SERVICE = "service"


class RequestStatus(enum.StrEnum):
    REQUESTED = "requested"
    CONTACTED = "contacted"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DECLINED = "declined"


class Assessment(Audited, TimestampMixin, EnterpriseScoped, Base):
    """One enterprise's SME digital-level assessment of one year (one per enterprise and year)."""

    __tablename__ = "digital_assessment"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "year"),
        Index("ix_digital_assessment_park_id_year", "park_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    questionnaire: Mapped[str] = mapped_column(String(20), doc="questionnaire code, e.g. SME2024")
    status: Mapped[str] = mapped_column(String(20), default=AssessmentStatus.DRAFT.value, index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, doc="question/scene code -> answer (see assessment.py)")
    base_score: Mapped[float] = mapped_column(Float, default=0.0)
    level: Mapped[int] = mapped_column(Integer, default=0, doc="0 = below level 1, 1–4 = 一级–四级")
    dimension_scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    weakest: Mapped[list[str]] = mapped_column(JSON, doc="weakest indicator codes, weakest first")
    revision: Mapped[int] = mapped_column(Integer, default=0, doc="number of submissions so far")
    submitted_by: Mapped[str | None] = mapped_column(String(120))
    submitted_at: Mapped[dt.datetime | None] = mapped_column()
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column()
    review_comment: Mapped[str | None] = mapped_column(String(2000))
    confirmed_on: Mapped[dt.date | None] = mapped_column(Date, doc="local date of the park's confirmation")


class AssessmentRevision(Audited, EnterpriseScoped, Base):
    """What was submitted, once per submission, with the park's decision on it; never changed afterwards except
    for recording that decision."""

    __tablename__ = "digital_assessment_revision"
    __table_args__ = (UniqueConstraint("assessment_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("digital_assessment.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    base_score: Mapped[float] = mapped_column(Float)
    level: Mapped[int] = mapped_column(Integer)
    submitted_by: Mapped[str] = mapped_column(String(120))
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decision: Mapped[str | None] = mapped_column(String(20), doc="confirmed | returned, once reviewed")
    comment: Mapped[str | None] = mapped_column(String(2000))
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column()


class AssessmentEvidence(Audited, EnterpriseScoped, Base):
    """A file supporting an answer (or the assessment as a whole), stored in the database."""

    __tablename__ = "digital_assessment_evidence"
    __audit_exclude__ = frozenset({"content"})

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("digital_assessment.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    question: Mapped[str | None] = mapped_column(String(10), doc="the question or scene code it supports")
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(120))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MaturityCertificate(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A GB/T 39116 maturity level or a smart-factory gradient level, with its certificate."""

    __tablename__ = "maturity_certificate"
    __audit_exclude__ = frozenset({"file_content"})

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    scale: Mapped[str] = mapped_column(String(20))
    level: Mapped[int] = mapped_column(Integer)
    certificate_no: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    verified: Mapped[bool] = mapped_column(Boolean, default=False, doc="checked by the park")
    verified_by: Mapped[str | None] = mapped_column(String(120))
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_content_type: Mapped[str | None] = mapped_column(String(100))
    file_size: Mapped[int | None] = mapped_column(Integer)
    file_content: Mapped[bytes | None] = mapped_column(LargeBinary)


class AdoptionRecord(Audited, TimestampMixin, EnterpriseScoped, Base):
    """One thing an enterprise uses on its way to digital production, in force from `started_on` to `ended_on`."""

    __tablename__ = "adoption_record"
    __table_args__ = (Index("ix_adoption_record_park_id_kind", "park_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200), doc="platform, system, robot type, application or service")
    provider: Mapped[str | None] = mapped_column(String(200))
    scenarios: Mapped[list[str]] = mapped_column(JSON, doc="scene codes (S01–S16) it serves")
    count: Mapped[int | None] = mapped_column(Integer, doc="robots: how many")
    notes: Mapped[str | None] = mapped_column(Text)
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)


class CatalogueEntry(Audited, TimestampMixin, ParkScoped, Base):
    """A 小快轻准 digital product or service the park recommends, with the scenes and indicators it addresses."""

    __tablename__ = "digital_catalogue_entry"
    __visibility__ = Visibility.PARK
    __table_args__ = (UniqueConstraint("park_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200), doc="shown on English pages, as the _en fields below")
    provider: Mapped[str] = mapped_column(String(200))
    provider_en: Mapped[str | None] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    scenes: Mapped[list[str]] = mapped_column(JSON)
    indicators: Mapped[list[str]] = mapped_column(JSON)
    price_note: Mapped[str | None] = mapped_column(String(200))
    price_note_en: Mapped[str | None] = mapped_column(String(200))
    demo: Mapped[bool] = mapped_column(Boolean, default=False, doc="a demo entry, not a real offer")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ProviderRequest(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An enterprise asks the park to put it in touch with a catalogue entry's provider."""

    __tablename__ = "provider_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("digital_catalogue_entry.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.REQUESTED.value, index=True)
    message: Mapped[str | None] = mapped_column(String(2000))
    note: Mapped[str | None] = mapped_column(String(2000), doc="the park's latest note")
    requested_by: Mapped[str] = mapped_column(String(120))
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, doc="[{status, at, by, note}] oldest first")
