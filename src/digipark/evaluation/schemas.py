"""Input and output shapes of the evaluation: the indicator system, a park's evaluation (live or a signed
snapshot), declarations, snapshots, year-on-year and park comparisons."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ValueSource = Literal["computed", "declared", "none"]


class TargetRead(BaseModel):
    op: str
    value: float
    unit: str
    text: str


class IndicatorDefRead(BaseModel):
    key: str
    code: str
    standard: str
    name: str
    name_en: str
    definition: str
    definition_en: str
    formula: str
    declared_only: bool
    target: TargetRead
    source: str
    source_en: str = ""


class StandardDefRead(BaseModel):
    code: str
    name: str
    name_en: str
    source: str
    source_en: str = ""
    indicators: list[IndicatorDefRead]


class IndicatorSystemRead(BaseModel):
    title: str
    issuer: str
    target_year: int
    source: str
    status: str
    standards: list[StandardDefRead]


class DeclarationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    indicator: str
    value: float
    note: str
    evidence_name: str | None
    evidence_type: str | None
    evidence_size: int
    evidence_sha256: str | None
    declared_by: str
    declared_at: dt.datetime


class GapRead(BaseModel):
    indicator: str
    standard: str
    kind: str
    subject: str
    action: str
    ref_id: int | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class PartRead(BaseModel):
    key: str
    numerator: int
    denominator: int
    share: float | None


class IndicatorResult(BaseModel):
    key: str
    code: str
    standard: str
    name: str
    name_en: str
    target: TargetRead
    value_source: ValueSource
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    parts: list[PartRead] = Field(default_factory=list)
    met: bool
    progress: float
    no_source: str | None = None  # why the platform cannot compute it (None: computed live)
    declaration: DeclarationRead | None = None
    note: str | None = None
    columns: list[str] = Field(default_factory=list)
    rows: list[dict[str, Any]] = Field(default_factory=list)
    gaps: list[GapRead] = Field(default_factory=list)


class StandardResult(BaseModel):
    code: str
    name: str
    name_en: str
    source: str
    source_en: str = ""  # empty in snapshots signed before it was kept
    met: bool
    progress: float
    indicators: list[IndicatorResult]


class Evaluation(BaseModel):
    park_id: int
    park_code: str
    park_name: str
    park_name_en: str | None
    year: int
    as_of: dt.date
    computed_at: dt.datetime
    standards: list[StandardResult]
    met_standards: int
    met_indicators: int
    indicators: int
    declared_indicators: int
    gaps: list[GapRead]
    # set when this is a signed snapshot
    snapshot_id: int | None = None
    signed_by: str | None = None
    signer_name: str | None = None
    signed_at: dt.datetime | None = None
    digest: str | None = None
    note: str | None = None

    def indicator(self, key: str) -> IndicatorResult | None:
        return next((i for s in self.standards for i in s.indicators if i.key == key), None)


class SnapshotCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    park_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="default: your own park")
    year: int = Field(ge=2020, le=2100)
    note: str | None = Field(default=None, max_length=2000)


class SnapshotRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    year: int
    digest: str
    met_standards: int
    met_indicators: int
    indicators: int
    note: str | None
    signed_by: str
    signer_name: str
    signed_at: dt.datetime


class YearRow(BaseModel):
    """One year of a park's evaluation: a signed snapshot, or the live evaluation of the current year."""

    year: int
    live: bool
    snapshot_id: int | None
    met_standards: int
    met_indicators: int
    indicators: int
    values: dict[str, float | None]
    met: dict[str, bool]


class YearOnYear(BaseModel):
    park_id: int
    years: list[YearRow]
    changes: dict[str, float | None]  # indicator -> latest minus previous year's value


class ParkColumn(BaseModel):
    park_id: int
    park_code: str
    park_name: str
    park_name_en: str | None
    year: int
    live: bool
    snapshot_id: int | None
    met_standards: int
    met_indicators: int
    values: dict[str, float | None]
    met: dict[str, bool]
    value_sources: dict[str, str]
    standards_met: dict[str, bool]


class Comparison(BaseModel):
    year: int
    parks: list[ParkColumn]
