"""The park's transformation picture: enterprises by confirmed level, by industry, with renovation status."""

from __future__ import annotations

import builtins
import datetime as dt
from collections import defaultdict

from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.registry.models import Enterprise
from digipark.transformation import renovation
from digipark.transformation.assessment import (
    questionnaire,
)
from digipark.transformation.common import (
    READ,
    today,
)
from digipark.transformation.facts import (
    RenovationStatus,
    renovation_facts,
    renovation_status,
)
from digipark.transformation.models import (
    Assessment,
    AssessmentStatus,
)
from digipark.transformation.schemas import (
    EnterpriseLevel,
    IndustryLevels,
    LevelCount,
    ParkSummary,
)


def park_summary(
    session: Session, *, scope: Scope, park_id: int | None = None, year: int | None = None, as_of: dt.date | None = None
) -> ParkSummary:
    """Every enterprise of the park with its assessment of `year` (default: this year), level and renovation;
    counts per level and per industry division (GB/T 4754)."""
    scope.require(READ)
    park = scope.acting_park(park_id)
    as_of = as_of or today()
    year = year or as_of.year
    enterprises = [
        *session.scalars(
            scope.readable(Enterprise)
            .where(Enterprise.park_id == park, Enterprise.status == "active")
            .order_by(Enterprise.name)
        )
    ]
    assessments = {
        a.enterprise_id: a
        for a in session.scalars(scope.readable(Assessment).where(Assessment.park_id == park, Assessment.year == year))
    }
    status = renovation_status(session, park_id=park, as_of=as_of)
    items: builtins.list[EnterpriseLevel] = []
    by_level: dict[int | None, int] = defaultdict(int)
    by_industry: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for e in enterprises:
        a = assessments.get(e.id)
        confirmed = a is not None and a.status == AssessmentStatus.CONFIRMED.value
        level = a.level if confirmed and a is not None else None
        r = status.get(e.id)
        items.append(
            EnterpriseLevel(
                enterprise_id=e.id,
                name=e.name,
                industry_code=e.industry_code,
                above_scale=e.above_scale,
                industrial=e.industrial,
                assessment_id=a.id if a else None,
                assessment_status=a.status if a else None,
                level=level,
                base_score=a.base_score if confirmed and a is not None else None,
                renovated=r.renovated if r else None,
                basis=r.basis if r else None,
                lacks=builtins.list(r.lacks) if r else [],
            )
        )
        by_level[level] += 1
        by_industry[e.industry_code[:2]]["none" if level is None else str(level)] += 1
    levels: builtins.list[int | None] = [None, *range(0, len(questionnaire().levels) + 1)]
    above = [i for i in items if i.above_scale and i.industrial]
    return ParkSummary(
        park_id=park,
        year=year,
        as_of=as_of,
        enterprises=len(items),
        assessed=sum(1 for i in items if i.level is not None),
        submitted=sum(1 for i in items if i.assessment_status == AssessmentStatus.SUBMITTED.value),
        by_level=[LevelCount(level=lv, enterprises=by_level.get(lv, 0)) for lv in levels],
        by_industry=[
            IndustryLevels(division=division, counts=dict(counts)) for division, counts in sorted(by_industry.items())
        ],
        above_scale_industrial=len(above),
        above_scale_industrial_renovated=sum(1 for i in above if i.renovated),
        items=items,
    )


def summary_for_enterprise_ids(summary: ParkSummary) -> dict[int, EnterpriseLevel]:
    return {item.enterprise_id: item for item in summary.items}


def enterprise_renovation(session: Session, *, scope: Scope, enterprise_id: int) -> RenovationStatus | None:
    """The renovation status of one enterprise the caller may read (None when it is not industrial)."""
    enterprise = scope.get_or_404(session, Enterprise, enterprise_id)
    if not enterprise.industrial:
        return None
    assessments, certificates = renovation_facts(session, enterprise.park_id, enterprise.id)
    found = renovation.judge(
        renovation.default_rule(), assessments.get(enterprise.id, ()), certificates.get(enterprise.id, ()), today()
    )
    return RenovationStatus(enterprise.id, found.renovated, found.basis, found.lacks)


def question_codes() -> frozenset[str]:
    q = questionnaire()
    return frozenset([*q.questions, *q.scene_by_code])
