"""What the transformation domain knows of a park for its indicators and archive: plain park ids, no scope (the
caller applies the scope first).

- `renovation_status(session, park_id=, as_of=)` -> {enterprise_id: RenovationStatus} for every active
  industrial enterprise of the park, by the rule in data/maturity_levels.yaml (see renovation.py);
- `adoption(session, park_id=, as_of=)` -> {enterprise_id: Adoption} for every active enterprise of the park
  (all False / 0 without records);
- `assessment_levels(session, park_id=, year=)` -> {enterprise_id: confirmed level of that year or None} for
  every active enterprise of the park (0 = confirmed but below level 1)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.registry.models import Enterprise
from digipark.transformation import renovation
from digipark.transformation.common import (
    today,
)
from digipark.transformation.models import (
    AdoptionKind,
    AdoptionRecord,
    Assessment,
    AssessmentStatus,
    MaturityCertificate,
)


@dataclasses.dataclass(frozen=True)
class RenovationStatus:
    enterprise_id: int
    renovated: bool
    basis: str | None  # what makes it renovated, e.g. "中小企业数字化水平评测指标（2024年版） 二级 (2025)"
    lacks: list[str]  # untranslated msgids (renovation.LACK_MESSAGES) when not renovated


@dataclasses.dataclass(frozen=True)
class Adoption:
    enterprise_id: int
    industrial_internet: bool
    cloud: bool
    digital_production_services: bool
    robots: int
    ai: bool


def _active_enterprises(session: Session, park_id: int, *, industrial_only: bool) -> list[int]:
    stmt = select(Enterprise.id).where(Enterprise.park_id == park_id, Enterprise.status == "active")
    if industrial_only:
        stmt = stmt.where(Enterprise.industrial.is_(True))
    return [*session.scalars(stmt.order_by(Enterprise.id))]


def renovation_facts(
    session: Session, park_id: int, enterprise_id: int | None = None
) -> tuple[dict[int, list[renovation.AssessmentFact]], dict[int, list[renovation.CertificateFact]]]:
    """The records the renovation rule reads, per enterprise of the park (or of one enterprise)."""
    assessments: dict[int, list[renovation.AssessmentFact]] = defaultdict(list)
    stmt = select(
        Assessment.enterprise_id, Assessment.year, Assessment.status, Assessment.level, Assessment.confirmed_on
    ).where(Assessment.park_id == park_id)
    if enterprise_id is not None:
        stmt = stmt.where(Assessment.enterprise_id == enterprise_id)
    rows = session.execute(stmt)
    for enterprise_id, year, status, level, confirmed_on in rows:
        assessments[enterprise_id].append(renovation.AssessmentFact(year, status, level, confirmed_on))
    certificates: dict[int, list[renovation.CertificateFact]] = defaultdict(list)
    certificate_rows = session.execute(
        select(
            MaturityCertificate.enterprise_id,
            MaturityCertificate.scale,
            MaturityCertificate.level,
            MaturityCertificate.certificate_no,
            MaturityCertificate.issued_on,
            MaturityCertificate.valid_to,
            MaturityCertificate.verified,
        ).where(
            MaturityCertificate.park_id == park_id,
            *([MaturityCertificate.enterprise_id == enterprise_id] if enterprise_id is not None else []),
        )
    )
    for enterprise_id, scale, level, number, issued_on, valid_to, verified in certificate_rows:
        certificates[enterprise_id].append(
            renovation.CertificateFact(scale, level, number, issued_on, valid_to, verified)
        )
    return assessments, certificates


def renovation_status(
    session: Session, *, park_id: int, as_of: dt.date | None = None, rule: renovation.Rule | None = None
) -> dict[int, RenovationStatus]:
    """Whether each active industrial enterprise of the park is digitally renovated on `as_of` (default today)."""
    as_of = as_of or today()
    rule = rule or renovation.default_rule()
    assessments, certificates = renovation_facts(session, park_id)
    result: dict[int, RenovationStatus] = {}
    for enterprise_id in _active_enterprises(session, park_id, industrial_only=True):
        found = renovation.judge(rule, assessments.get(enterprise_id, ()), certificates.get(enterprise_id, ()), as_of)
        result[enterprise_id] = RenovationStatus(enterprise_id, found.renovated, found.basis, found.lacks)
    return result


def adoption(session: Session, *, park_id: int, as_of: dt.date | None = None) -> dict[int, Adoption]:
    """What each active enterprise of the park uses on `as_of` (default today), from its adoption records."""
    as_of = as_of or today()
    kinds: dict[int, set[str]] = defaultdict(set)
    robots: dict[int, int] = defaultdict(int)
    rows = session.execute(
        select(AdoptionRecord.enterprise_id, AdoptionRecord.kind, AdoptionRecord.count).where(
            AdoptionRecord.park_id == park_id,
            AdoptionRecord.started_on <= as_of,
            (AdoptionRecord.ended_on.is_(None)) | (AdoptionRecord.ended_on >= as_of),
        )
    )
    for enterprise_id, kind, count in rows:
        kinds[enterprise_id].add(kind)
        if kind == AdoptionKind.ROBOT.value:
            robots[enterprise_id] += count or 0
    return {
        enterprise_id: Adoption(
            enterprise_id=enterprise_id,
            industrial_internet=AdoptionKind.INDUSTRIAL_INTERNET.value in kinds[enterprise_id],
            cloud=AdoptionKind.CLOUD.value in kinds[enterprise_id],
            digital_production_services=AdoptionKind.DIGITAL_PRODUCTION_SERVICE.value in kinds[enterprise_id],
            robots=robots[enterprise_id],
            ai=AdoptionKind.AI.value in kinds[enterprise_id],
        )
        for enterprise_id in _active_enterprises(session, park_id, industrial_only=False)
    }


def assessment_levels(session: Session, *, park_id: int, year: int) -> dict[int, int | None]:
    """The confirmed SME digital level of `year` of each active enterprise of the park (None: none confirmed)."""
    rows = session.execute(
        select(Assessment.enterprise_id, Assessment.level).where(
            Assessment.park_id == park_id,
            Assessment.year == year,
            Assessment.status == AssessmentStatus.CONFIRMED.value,
        )
    )
    confirmed: dict[int, int] = {enterprise_id: level for enterprise_id, level in rows}
    return {e: confirmed.get(e) for e in _active_enterprises(session, park_id, industrial_only=False)}
