"""The 小快轻准 catalogue of solutions and the recommendations drawn from it for an assessment's weak scenes."""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, field_error
from digipark.core.listing import ListSpec
from digipark.crud import RecordType
from digipark.registry.models import Enterprise
from digipark.transformation.assessment import (
    Questionnaire,
    questionnaire,
    score_answers,
)
from digipark.transformation.assessment_flow import (
    enterprise_assessments,
)
from digipark.transformation.common import (
    CATALOGUE_WRITE,
    checked_scenes,
    plain_values,
)
from digipark.transformation.models import (
    AssessmentStatus,
    CatalogueEntry,
    ProviderRequest,
)
from digipark.transformation.schemas import (
    CatalogueCreate,
    CatalogueRead,
    CatalogueUpdate,
)

RECOMMENDATIONS = 6


def _checked_entry(
    session: Session, scope: Scope, values: dict[str, Any], row: CatalogueEntry | None
) -> dict[str, Any]:
    """The scene and indicator codes an entry addresses must be the questionnaire's."""
    if values.get("scenes") is not None:
        checked_scenes(values["scenes"], "scenes")
    if values.get("indicators") is not None:
        known = {i.code for i in questionnaire().indicators}
        for code in values["indicators"]:
            if code not in known:
                raise field_error("indicators", f"no indicator {code!r}; indicators are {', '.join(sorted(known))}")
    return plain_values(values)


def _unrequested(session: Session, scope: Scope, row: CatalogueEntry) -> None:
    used = session.scalar(select(ProviderRequest.id).where(ProviderRequest.entry_id == row.id).limit(1))
    if used is not None:
        raise Conflict("the entry has provider requests; set it inactive instead")


CATALOGUE: RecordType[CatalogueEntry] = RecordType(
    name="digital_catalogue_entry",
    model=CatalogueEntry,
    create_schema=CatalogueCreate,
    update_schema=CatalogueUpdate,
    read_schema=CatalogueRead,
    list_spec=ListSpec(
        filters={
            "park_id": CatalogueEntry.park_id,
            "kind": CatalogueEntry.kind,
            "demo": CatalogueEntry.demo,
            "active": CatalogueEntry.active,
        },
        search=[CatalogueEntry.name, CatalogueEntry.provider, CatalogueEntry.description],
        sort={"id": CatalogueEntry.id, "name": CatalogueEntry.name, "provider": CatalogueEntry.provider},
        default_sort="name",
    ),
    write_permission=CATALOGUE_WRITE,
    validate=_checked_entry,
    before_delete=_unrequested,
)
"""The park's catalogue: its staff keep the entries (in their own park), every member of the park reads them."""


@dataclasses.dataclass(frozen=True)
class RecommendationItem:
    entry: CatalogueEntry
    matched_indicators: builtins.list[str]
    matched_scenes: builtins.list[str]
    score: float


@dataclasses.dataclass(frozen=True)
class Recommendations:
    enterprise_id: int
    assessment_id: int | None
    assessment_year: int | None
    weakest_indicators: builtins.list[str]
    weak_scenes: builtins.list[str]
    items: builtins.list[RecommendationItem]


def weak_scenes(q: Questionnaire, answers: Mapping[str, Any], level: int) -> builtins.list[str]:
    """Scenes rated below the next level's scene level, constraint scenes first, lowest rated first."""
    target = next((r.min_scene_level for r in q.levels if r.rank == level + 1), q.levels[-1].min_scene_level)
    rated = {s.code: int(answers.get(s.code) or 0) for s in q.scenes}
    below = [s for s in q.scenes if rated[s.code] < target]
    below.sort(key=lambda s: (not s.constraint, rated[s.code], s.code))
    return [s.code for s in below]


def recommend(
    entries: builtins.list[CatalogueEntry], weakest: builtins.list[str], scenes: builtins.list[str], limit: int
) -> builtins.list[RecommendationItem]:
    """Rank catalogue entries by how well they address the weakest indicators (weakest first weighs most) and the
    weak scenes; entries addressing neither are left out."""
    items = []
    for entry in entries:
        ind = [code for code in weakest if code in entry.indicators]
        sc = [code for code in scenes if code in entry.scenes]
        if not ind and not sc:
            continue
        score = sum(len(weakest) - weakest.index(code) for code in ind) * 2 + sum(
            1.0 / (1 + scenes.index(code)) + 0.5 for code in sc
        )
        items.append(RecommendationItem(entry, ind, sc, round(score, 3)))
    items.sort(key=lambda item: (-item.score, item.entry.name))
    return items[:limit]


def recommendations(
    session: Session, *, scope: Scope, enterprise_id: int, limit: int = RECOMMENDATIONS
) -> Recommendations:
    """Catalogue entries for an enterprise's weakest indicators and scenes, from its latest assessment (a
    confirmed one before any other); without an assessment, entries for the constraint scenes."""
    enterprise = scope.get_or_404(session, Enterprise, enterprise_id)
    q = questionnaire()
    rows = enterprise_assessments(session, scope=scope, enterprise_id=enterprise.id)
    chosen = next((r for r in rows if r.status == AssessmentStatus.CONFIRMED.value), rows[0] if rows else None)
    if chosen is not None:
        result = score_answers(q, chosen.answers)
        weakest = [code for code in result.weakest_indicators]
        scenes = weak_scenes(q, chosen.answers, result.level)
    else:
        weakest, scenes = [], [s.code for s in q.scenes if s.constraint]
    entries = [
        *session.scalars(
            scope.readable(CatalogueEntry)
            .where(CatalogueEntry.park_id == enterprise.park_id, CatalogueEntry.active.is_(True))
            .order_by(CatalogueEntry.name)
        )
    ]
    return Recommendations(
        enterprise_id=enterprise.id,
        assessment_id=chosen.id if chosen else None,
        assessment_year=chosen.year if chosen else None,
        weakest_indicators=weakest,
        weak_scenes=scenes,
        items=recommend(entries, weakest, scenes, limit),
    )
