"""Input and output shapes of the transformation API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from digipark.transformation import renovation
from digipark.transformation.models import (
    AdoptionKind,
    AssessmentStatus,
    CatalogueKind,
    CertificateScale,
    RequestStatus,
)

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Year = Annotated[int, Field(ge=2000, le=2100)]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]
Code = Annotated[str, Field(min_length=1, max_length=10, pattern=r"^[A-Z][0-9A-Z.]{0,9}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _dates_in_order(first: dt.date | None, last: dt.date | None, names: tuple[str, str]) -> None:
    if first is not None and last is not None and last < first:
        raise ValueError(f"{names[1]} must not be before {names[0]}")


# -- the questionnaire ---------------------------------------------------------------------------------------------
class OptionRead(Read):
    code: str
    text: str
    score: float
    exclusive: bool
    text_disputed: bool


class QuestionRead(Read):
    code: str
    sub_indicator: str
    text: str
    type: str
    max_score: float
    description: str | None
    inputs: list[str]
    options: list[OptionRead]


class IndicatorRead(Read):
    code: str
    name: str
    max_score: float
    questions: list[QuestionRead]


class DimensionRead(Read):
    code: str
    name: str
    max_score: float
    indicators: list[IndicatorRead]


class SceneRead(Read):
    code: str
    name: str
    group: str
    constraint: bool
    levels: list[str]
    level_order_disputed: bool


class LevelRuleRead(Read):
    rank: int
    name: str
    min_base_score: float
    min_scene_level: int
    min_scenes: int
    min_constraint_scenes: int
    scene_rule: str


class QuestionnaireRead(Read):
    code: str
    title: str
    meta: dict[str, Any]
    dimensions: list[DimensionRead]
    scenes: list[SceneRead]
    levels: list[LevelRuleRead]


# -- assessments ---------------------------------------------------------------------------------------------------
Answers = dict[str, Any]


class AssessmentCreate(Strict):
    """A new draft; an enterprise user may leave out enterprise_id (its own). Partial answers are fine."""

    enterprise_id: Id | None = None
    year: Year
    answers: Answers = Field(default_factory=dict, description="question/scene code -> answer; see the questionnaire")


class AssessmentUpdate(Strict):
    """Save a draft: the given answers replace those of the same codes; null clears one."""

    answers: Answers = Field(description="question/scene code -> answer (null clears it)")


class ReviewDecision(Strict):
    decision: Literal["confirm", "return"]
    comment: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _comment_on_return(self) -> ReviewDecision:
        if self.decision == "return" and not (self.comment or "").strip():
            raise ValueError("a returned assessment needs a comment saying what to change")
        return self


class LevelCheckRead(Read):
    rank: int
    name: str
    holds: bool
    base_score_ok: bool
    scenes: int
    constraint_scenes: int
    min_base_score: float
    min_scenes: int
    min_constraint_scenes: int
    min_scene_level: int


class ResultRead(Read):
    base_score: float
    dimension_scores: dict[str, float]
    indicator_scores: dict[str, float]
    level: int
    level_name: str | None
    weakest_dimensions: list[str]
    weakest_indicators: list[str]
    complete: bool
    missing: list[str]
    checks: list[LevelCheckRead]


class AssessmentRead(Read):
    id: int
    park_id: int
    enterprise_id: int
    year: int
    questionnaire: str
    status: AssessmentStatus
    answers: Answers
    base_score: float
    level: int
    dimension_scores: dict[str, float]
    weakest: list[str]
    revision: int
    submitted_by: str | None
    submitted_at: dt.datetime | None
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_comment: str | None
    confirmed_on: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class AssessmentDetail(AssessmentRead):
    result: ResultRead


class AssessmentRevisionRead(Read):
    id: int
    assessment_id: int
    revision: int
    answers: Answers
    base_score: float
    level: int
    submitted_by: str
    submitted_at: dt.datetime
    decision: str | None
    comment: str | None
    reviewed_by: str | None
    reviewed_at: dt.datetime | None


class EvidenceRead(Read):
    id: int
    assessment_id: int
    enterprise_id: int
    question: str | None
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: dt.datetime


# -- certificates --------------------------------------------------------------------------------------------------
class CertificateCreate(Strict):
    enterprise_id: Id | None = None
    scale: CertificateScale
    level: int = Field(ge=1, le=5)
    certificate_no: Text200 = Field(max_length=100)
    issuer: Text200
    issued_on: dt.date
    valid_to: dt.date | None = None

    @model_validator(mode="after")
    def _validity(self) -> CertificateCreate:
        _dates_in_order(self.issued_on, self.valid_to, ("issued_on", "valid_to"))
        return self


class CertificateUpdate(Strict):
    level: int | None = Field(None, ge=1, le=5)
    certificate_no: str | None = Field(None, min_length=1, max_length=100)
    issuer: str | None = Field(None, min_length=1, max_length=200)
    issued_on: dt.date | None = None
    valid_to: dt.date | None = None


class CertificateRead(Read):
    id: int
    park_id: int
    enterprise_id: int
    scale: CertificateScale
    level: int
    level_name: str | None = None
    certificate_no: str
    issuer: str
    issued_on: dt.date
    valid_to: dt.date | None
    verified: bool
    verified_by: str | None
    file_name: str | None
    file_content_type: str | None
    file_size: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @model_validator(mode="after")
    def _name_the_level(self) -> CertificateRead:
        if self.level_name is None:
            self.level_name = renovation.scales()[self.scale.value].level_name(self.level)
        return self


class CertificateVerify(Strict):
    verified: bool = True


# -- adoption records ----------------------------------------------------------------------------------------------
class AdoptionCreate(Strict):
    enterprise_id: Id | None = None
    kind: AdoptionKind
    name: Text200
    provider: str | None = Field(None, max_length=200)
    scenarios: list[Code] = Field(default_factory=list, max_length=20, description="scene codes S01–S16")
    count: int | None = Field(None, ge=1, le=1_000_000, description="robots: how many")
    notes: str | None = Field(None, max_length=2000)
    started_on: dt.date
    ended_on: dt.date | None = None

    @model_validator(mode="after")
    def _check(self) -> AdoptionCreate:
        _dates_in_order(self.started_on, self.ended_on, ("started_on", "ended_on"))
        if self.kind == AdoptionKind.ROBOT and self.count is None:
            raise ValueError("count: required for industrial robots")
        return self


class AdoptionUpdate(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    provider: str | None = Field(None, max_length=200)
    scenarios: list[Code] | None = Field(None, max_length=20)
    count: int | None = Field(None, ge=1, le=1_000_000)
    notes: str | None = Field(None, max_length=2000)
    started_on: dt.date | None = None
    ended_on: dt.date | None = None


class AdoptionRead(Read):
    id: int
    park_id: int
    enterprise_id: int
    kind: AdoptionKind
    name: str
    provider: str | None
    scenarios: list[str]
    count: int | None
    notes: str | None
    started_on: dt.date
    ended_on: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


# -- catalogue -----------------------------------------------------------------------------------------------------
class CatalogueCreate(Strict):
    kind: CatalogueKind
    name: Text200
    name_en: str | None = Field(None, max_length=200)
    provider: Text200
    provider_en: str | None = Field(None, max_length=200)
    contact: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=4000)
    description_en: str | None = Field(None, max_length=4000)
    scenes: list[Code] = Field(default_factory=list, max_length=16)
    indicators: list[Code] = Field(default_factory=list, max_length=9)
    price_note: str | None = Field(None, max_length=200)
    price_note_en: str | None = Field(None, max_length=200)
    demo: bool = False
    active: bool = True


class CatalogueUpdate(Strict):
    kind: CatalogueKind | None = None
    name: str | None = Field(None, min_length=1, max_length=200)
    name_en: str | None = Field(None, max_length=200)
    provider: str | None = Field(None, min_length=1, max_length=200)
    provider_en: str | None = Field(None, max_length=200)
    contact: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=4000)
    description_en: str | None = Field(None, max_length=4000)
    scenes: list[Code] | None = Field(None, max_length=16)
    indicators: list[Code] | None = Field(None, max_length=9)
    price_note: str | None = Field(None, max_length=200)
    price_note_en: str | None = Field(None, max_length=200)
    demo: bool | None = None
    active: bool | None = None


class CatalogueRead(Read):
    id: int
    park_id: int
    kind: CatalogueKind
    name: str
    name_en: str | None = None
    provider: str
    provider_en: str | None = None
    contact: str | None
    description: str | None
    description_en: str | None = None
    scenes: list[str]
    indicators: list[str]
    price_note: str | None
    price_note_en: str | None = None
    demo: bool
    active: bool


class Recommendation(BaseModel):
    entry: CatalogueRead
    matched_indicators: list[str]
    matched_scenes: list[str]
    score: float


class RecommendationsRead(BaseModel):
    enterprise_id: int
    assessment_id: int | None
    assessment_year: int | None
    weakest_indicators: list[str]
    weak_scenes: list[str]
    items: list[Recommendation]


# -- provider requests ---------------------------------------------------------------------------------------------
class ProviderRequestCreate(Strict):
    enterprise_id: Id | None = None
    entry_id: Id
    message: str | None = Field(None, max_length=2000)


class ProviderRequestStatusChange(Strict):
    status: RequestStatus
    note: str | None = Field(None, max_length=2000)


class ProviderRequestRead(Read):
    id: int
    park_id: int
    enterprise_id: int
    entry_id: int
    status: RequestStatus
    message: str | None
    note: str | None
    requested_by: str
    history: list[dict[str, Any]]
    created_at: dt.datetime
    updated_at: dt.datetime


# -- the park's picture --------------------------------------------------------------------------------------------
class EnterpriseLevel(BaseModel):
    enterprise_id: int
    name: str
    industry_code: str
    above_scale: bool
    industrial: bool
    assessment_id: int | None
    assessment_status: str | None
    level: int | None  # confirmed level of the year (0 = below level 1); None: none confirmed
    base_score: float | None
    renovated: bool | None  # industrial enterprises only
    basis: str | None
    lacks: list[str]


class LevelCount(BaseModel):
    level: int | None
    enterprises: int


class IndustryLevels(BaseModel):
    division: str
    counts: dict[str, int]  # "0".."4" and "none" -> enterprises


class ParkSummary(BaseModel):
    park_id: int
    year: int
    as_of: dt.date
    enterprises: int
    assessed: int  # with a confirmed assessment of the year
    submitted: int  # waiting for review
    by_level: list[LevelCount]
    by_industry: list[IndustryLevels]
    above_scale_industrial: int
    above_scale_industrial_renovated: int
    items: list[EnterpriseLevel]
