"""Evaluation: values a park declares for indicators the platform cannot compute yet (with evidence), and the
signed annual snapshots of the whole evaluation, which never change once written."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, utcnow
from digipark.core.tenancy import Audited, ParkScoped, Visibility


class IndicatorDeclaration(Audited, ParkScoped, Base):
    """A value the park declares for an indicator without a platform source, with its evidence. A new
    declaration supersedes the previous one (the history is kept: rows are never changed)."""

    __tablename__ = "evaluation_declaration"
    __visibility__ = Visibility.STAFF
    __table_args__ = (Index("ix_evaluation_declaration_park_id_indicator", "park_id", "indicator"),)
    __audit_exclude__ = frozenset({"evidence"})

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator: Mapped[str] = mapped_column(String(60), doc="indicator key of evaluation/data/indicators.yaml")
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, doc="what the value rests on")
    evidence_name: Mapped[str | None] = mapped_column(String(200))
    evidence_type: Mapped[str | None] = mapped_column(String(100))
    evidence_size: Mapped[int] = mapped_column(Integer, default=0)
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    declared_by: Mapped[str] = mapped_column(String(120))
    declared_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EvaluationSnapshot(Audited, ParkScoped, Base):
    """The evaluation of one park for one year, frozen and signed: every value, drill-down list, gap and
    declaration as they were at signing. `digest` is the SHA-256 of the canonical JSON of `data`."""

    __tablename__ = "evaluation_snapshot"
    __visibility__ = Visibility.STAFF
    __table_args__ = (UniqueConstraint("park_id", "year"),)
    __audit_exclude__ = frozenset({"data"})

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    met_standards: Mapped[int] = mapped_column(Integer)
    met_indicators: Mapped[int] = mapped_column(Integer)
    indicators: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    signed_by: Mapped[str] = mapped_column(String(120), doc="username")
    signer_name: Mapped[str] = mapped_column(String(200), doc="display name at signing")
    signed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
