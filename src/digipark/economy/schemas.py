"""Input and output shapes of the economy API: statistics, reminders, dashboard, warnings, archives, and the
archive facts (qualifications, intellectual property, products). Chain and lead schemas follow below."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from digipark.core.codes import CodeError, validate_industry_code
from digipark.economy.models import (
    ChainStage,
    CompanySize,
    IPKind,
    LeadStage,
    QualificationKind,
    SegmentRole,
    SegmentStatus,
)
from digipark.registry.schemas import USCC, RegionCode

_PERIOD = re.compile(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月|[-/.]\s*(\d{1,2})\s*日?)?\s*")
MIN_YEAR, MAX_YEAR = 1990, 2100


def parse_period(value: Any) -> dt.date:
    """A month as the first day of it, from "2026-09", "2026-09-01", "2026年9月" or a date (day 1 only)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        year, month, day = value.year, value.month, value.day
    elif isinstance(value, str) and (match := _PERIOD.fullmatch(value)):
        year, month = int(match.group(1)), int(match.group(2))
        day = int(match.group(3)) if match.group(3) else 1
    else:
        raise ValueError("a month is written YYYY-MM (or the first day of it, YYYY-MM-01)")
    if not MIN_YEAR <= year <= MAX_YEAR or not 1 <= month <= 12:
        raise ValueError(f"no month {year}-{month:02d}; write YYYY-MM with a year {MIN_YEAR}-{MAX_YEAR}")
    if day != 1:
        raise ValueError("a statistics period is a month: give YYYY-MM or its first day, YYYY-MM-01")
    return dt.date(year, month, 1)


Period = Annotated[dt.date, BeforeValidator(parse_period)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
WanYuan = Annotated[float, Field(ge=0, lt=1e9, allow_inf_nan=False)]
SignedWanYuan = Annotated[float, Field(gt=-1e9, lt=1e9, allow_inf_nan=False)]
Employees = Annotated[int, Field(ge=0, le=10_000_000)]
KWh = Annotated[float, Field(ge=0, lt=1e12, allow_inf_nan=False)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- monthly statistics ----------------------------------------------------------------------------------------
class MonthlyStatisticCreate(Strict):
    """One month's figures of one enterprise; an enterprise user may leave out enterprise_id (its own)."""

    enterprise_id: Id | None = None
    period: Period
    output_value_wan_yuan: WanYuan = Field(description="工业总产值 at current prices, 万元")
    sales_revenue_wan_yuan: WanYuan = Field(description="营业收入, 万元")
    tax_paid_wan_yuan: WanYuan = Field(description="实缴税金, 万元")
    total_profit_wan_yuan: SignedWanYuan = Field(description="利润总额, 万元; negative for a loss")
    employees: Employees = Field(description="从业人员期末人数")
    rnd_spending_wan_yuan: WanYuan = Field(0.0, description="研发费用, 万元")
    electricity_kwh: KWh = Field(description="用电量, kWh")
    export_value_wan_yuan: WanYuan = Field(0.0, description="出口交货值, 万元")


class MonthlyStatisticCorrect(Strict):
    """A correction: the figures that change and why; the replaced values are kept as a revision."""

    output_value_wan_yuan: WanYuan | None = None
    sales_revenue_wan_yuan: WanYuan | None = None
    tax_paid_wan_yuan: WanYuan | None = None
    total_profit_wan_yuan: SignedWanYuan | None = None
    employees: Employees | None = None
    rnd_spending_wan_yuan: WanYuan | None = None
    electricity_kwh: KWh | None = None
    export_value_wan_yuan: WanYuan | None = None
    reason: str = Field(min_length=2, max_length=500)


class MonthlyStatisticRead(Read):
    id: int
    park_id: int
    enterprise_id: int
    period: dt.date
    output_value_wan_yuan: float
    sales_revenue_wan_yuan: float
    tax_paid_wan_yuan: float
    total_profit_wan_yuan: float
    employees: int
    rnd_spending_wan_yuan: float
    electricity_kwh: float
    export_value_wan_yuan: float
    source: str
    revision: int
    submitted_by: str
    submitted_at: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime


class MonthlyStatisticRevisionRead(Read):
    id: int
    statistic_id: int
    enterprise_id: int
    period: dt.date
    revision: int
    previous: dict[str, Any]
    source: str
    corrected_by: str
    reason: str
    at: dt.datetime


class ReminderCreate(Strict):
    period: Period
    enterprise_ids: list[Id] | None = Field(None, max_length=10_000, description="default: every missing one")
    note: str | None = Field(None, max_length=500)


class ReminderRead(Read):
    id: int
    park_id: int
    enterprise_id: int
    period: dt.date
    channel: str
    sent_by: str
    sent_at: dt.datetime
    note: str | None


class MissingSubmission(BaseModel):
    enterprise_id: int
    name: str
    uscc: str
    above_scale: bool
    last_period: dt.date | None
    reminders: int
    last_reminded_at: dt.datetime | None


class MissingReport(BaseModel):
    park_id: int
    period: dt.date
    expected: int
    submitted: int
    missing: list[MissingSubmission]


# -- dashboard -------------------------------------------------------------------------------------------------
class Growth(BaseModel):
    """A growth rate on a comparable basis (同口径): `value` and `base` are sums over the `comparable`
    enterprises only; `excluded` enterprises reported in one period but not the other."""

    value: float
    base: float
    percent: float | None = Field(description="(value / base - 1) × 100; null when base <= 0")
    comparable: int
    excluded: int


class FigureSummary(BaseModel):
    figure: str
    unit: str
    stock: bool = Field(description="a stock (employees): YTD is the average of the months, not the sum")
    month_total: float
    ytd_total: float
    reporting: int
    yoy: Growth
    mom: Growth
    ytd_yoy: Growth


class BreakdownRow(BaseModel):
    key: str
    label_zh: str
    label_en: str
    enterprises: int
    output_month: float
    output_ytd: float
    tax_ytd: float
    output_ytd_yoy: Growth


class LandRow(BaseModel):
    enterprise_id: int
    name: str
    industry_code: str
    land_m2: float
    land_mu: float
    output_ttm: float
    tax_ttm: float
    output_per_mu: float
    tax_per_mu: float
    rank: int


class LandSummary(BaseModel):
    window_from: dt.date
    window_to: dt.date
    land_mu: float
    output_ttm: float
    tax_ttm: float
    output_per_mu: float | None
    tax_per_mu: float | None
    ranked: list[LandRow]
    without_land: int
    incomplete: int


class EnergySummary(BaseModel):
    window_from: dt.date
    window_to: dt.date
    output_ttm: float
    electricity_kwh_ttm: float
    standard_coal_tce: float
    output_per_10k_kwh: float | None = Field(description="万元 of output per 10,000 kWh")
    output_per_tce: float | None = Field(description="万元 of output per tce (electricity at its equivalent value)")
    coal_factor_kgce_per_kwh: float
    coal_factor_source: str


class RankRow(BaseModel):
    enterprise_id: int
    name: str
    industry_code: str
    output_ytd: float
    output_ytd_yoy_percent: float | None


class WarningRead(BaseModel):
    enterprise_id: int
    name: str
    rule: str
    figure: str | None
    period: dt.date
    severity: str
    reason_zh: str
    reason_en: str
    values: dict[str, Any]


class TrendPoint(BaseModel):
    month: int
    this_year: float | None
    last_year: float | None


class Dashboard(BaseModel):
    park_id: int
    period: dt.date
    latest_period: dt.date | None
    expected: int
    reporting: int
    figures: list[FigureSummary]
    by_industry: list[BreakdownRow]
    by_scale: list[BreakdownRow]
    by_employees: list[BreakdownRow]
    land: LandSummary
    energy: EnergySummary
    top: list[RankRow]
    top_growth: list[RankRow]
    bottom_growth: list[RankRow]
    warnings: list[WarningRead]
    trend: list[TrendPoint]
    notes: list[str]


# -- archive facts ---------------------------------------------------------------------------------------------
def _dates_in_order(start: dt.date | None, end: dt.date | None, names: tuple[str, str]) -> None:
    if start is not None and end is not None and end < start:
        raise ValueError(f"{names[1]} must not be before {names[0]}")


class QualificationCreate(Strict):
    enterprise_id: Id | None = None
    kind: QualificationKind
    name: str = Field(min_length=1, max_length=200)
    issuer: str | None = Field(None, max_length=200)
    certificate_no: str | None = Field(None, max_length=100)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @model_validator(mode="after")
    def _validity(self) -> QualificationCreate:
        _dates_in_order(self.valid_from, self.valid_to, ("valid_from", "valid_to"))
        return self


class QualificationUpdate(Strict):
    kind: QualificationKind | None = None
    name: str | None = Field(None, min_length=1, max_length=200)
    issuer: str | None = Field(None, max_length=200)
    certificate_no: str | None = Field(None, max_length=100)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class QualificationRead(Read):
    id: int
    park_id: int
    enterprise_id: int
    kind: str
    name: str
    issuer: str | None
    certificate_no: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class IntellectualPropertyCreate(Strict):
    enterprise_id: Id | None = None
    kind: IPKind
    title: str = Field(min_length=1, max_length=300)
    number: str | None = Field(None, max_length=100)
    granted_on: dt.date | None = None


class IntellectualPropertyUpdate(Strict):
    kind: IPKind | None = None
    title: str | None = Field(None, min_length=1, max_length=300)
    number: str | None = Field(None, max_length=100)
    granted_on: dt.date | None = None


class IntellectualPropertyRead(Read):
    id: int
    park_id: int
    enterprise_id: int
    kind: str
    title: str
    number: str | None
    granted_on: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ProductCreate(Strict):
    enterprise_id: Id | None = None
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    annual_output: float | None = Field(None, ge=0, lt=1e12, allow_inf_nan=False)
    unit: str | None = Field(None, max_length=40)


class ProductUpdate(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    annual_output: float | None = Field(None, ge=0, lt=1e12, allow_inf_nan=False)
    unit: str | None = Field(None, max_length=40)


class ProductRead(Read):
    id: int
    park_id: int
    enterprise_id: int
    name: str
    description: str | None
    annual_output: float | None
    unit: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


# -- archive ---------------------------------------------------------------------------------------------------
class ArchiveSectionRead(BaseModel):
    key: str
    title: str
    available: bool
    note: str | None = None
    data: dict[str, Any] | None = None


class EnterpriseArchive(BaseModel):
    enterprise_id: int
    name: str
    generated_at: dt.datetime
    sections: list[ArchiveSectionRead]


# ==========================================================================================================
# Industry chains and investment leads (digipark.economy.chains_api)
# ==========================================================================================================
def _industry_prefix(value: str) -> str:
    if not re.fullmatch(r"[0-9]{2,4}", value):
        raise ValueError(f"{value!r}: an industry code prefix is 2 to 4 digits of GB/T 4754-2017")
    try:
        return validate_industry_code(value)
    except CodeError as exc:
        raise ValueError(str(exc)) from exc


IndustryPrefix = Annotated[str, AfterValidator(_industry_prefix)]
ChainText = Annotated[str, Field(min_length=1, max_length=200)]
ChainCode = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$")]
ChainRowId = Annotated[int, Field(ge=1, le=2**31 - 1)]
ChainWanYuan = Annotated[float, Field(ge=0, lt=1e10, allow_inf_nan=False)]
ChainArea = Annotated[float, Field(gt=0, lt=1e10, allow_inf_nan=False)]


class _ChainInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _ChainRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    park_id: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ChainTemplateSegmentRead(BaseModel):
    code: str
    name: str
    name_en: str
    stage: ChainStage
    position: int
    industry_codes: list[str]


class ChainTemplateRead(BaseModel):
    code: str
    name: str
    name_en: str
    description: str
    segments: list[ChainTemplateSegmentRead]
    edges: list[tuple[str, str]]


class IndustryChainCreate(_ChainInput):
    """A chain of the park; with `template`, its segments and edges are copied from that template and code and
    name default to the template's."""

    template: ChainCode | None = None
    code: ChainCode | None = None
    name: ChainText | None = None
    name_en: ChainText | None = None
    description: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _named(self) -> IndustryChainCreate:
        if self.template is None and (self.code is None or self.name is None):
            raise ValueError("code and name are required unless a template is given")
        return self


class IndustryChainUpdate(_ChainInput):
    code: ChainCode | None = None
    name: ChainText | None = None
    name_en: ChainText | None = None
    description: str | None = Field(None, max_length=2000)


class IndustryChainRead(_ChainRow):
    code: str
    name: str
    name_en: str | None
    description: str | None
    template: str | None


class ChainSegmentCreate(_ChainInput):
    code: ChainCode
    name: ChainText
    name_en: ChainText | None = None
    stage: ChainStage
    position: int = Field(0, ge=0, le=1000)
    industry_codes: list[IndustryPrefix] = Field(default_factory=list, max_length=50)


class ChainSegmentUpdate(_ChainInput):
    code: ChainCode | None = None
    name: ChainText | None = None
    name_en: ChainText | None = None
    stage: ChainStage | None = None
    position: int | None = Field(None, ge=0, le=1000)
    industry_codes: list[IndustryPrefix] | None = Field(None, max_length=50)


class ChainSegmentRead(_ChainRow):
    chain_id: int
    code: str
    name: str
    name_en: str | None
    stage: ChainStage
    position: int
    industry_codes: list[str]


class ChainEdgeCreate(_ChainInput):
    from_segment_id: ChainRowId
    to_segment_id: ChainRowId

    @model_validator(mode="after")
    def _distinct(self) -> ChainEdgeCreate:
        if self.from_segment_id == self.to_segment_id:
            raise ValueError("a segment cannot supply itself")
        return self


class ChainEdgeRead(_ChainRow):
    chain_id: int
    from_segment_id: int
    to_segment_id: int


class IndustryChainDetailRead(IndustryChainRead):
    segments: list[ChainSegmentRead]
    edges: list[ChainEdgeRead]


class EnterpriseSegmentCreate(_ChainInput):
    enterprise_id: ChainRowId
    segment_id: ChainRowId
    role: SegmentRole = SegmentRole.MAIN


class EnterpriseSegmentRead(_ChainRow):
    enterprise_id: int | None
    chain_id: int
    segment_id: int
    role: SegmentRole
    source: str


class MappingSuggestionRead(BaseModel):
    enterprise_id: int
    enterprise_name: str
    industry_code: str
    segment_id: int
    segment_code: str
    segment_name: str
    matched_code: str


class MappingPair(_ChainInput):
    enterprise_id: ChainRowId
    segment_id: ChainRowId


class SuggestionConfirm(_ChainInput):
    """The suggestions to confirm; none given: every current suggestion of the chain."""

    items: list[MappingPair] | None = Field(None, max_length=5000)


class SupplyRelationCreate(_ChainInput):
    supplier_id: ChainRowId
    customer_id: ChainRowId
    product: ChainText
    annual_value_wan_yuan: ChainWanYuan | None = None
    notes: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _two_parties(self) -> SupplyRelationCreate:
        if self.supplier_id == self.customer_id:
            raise ValueError("supplier and customer must be two enterprises")
        return self


class SupplyRelationUpdate(_ChainInput):
    product: ChainText | None = None
    annual_value_wan_yuan: ChainWanYuan | None = None
    notes: str | None = Field(None, max_length=2000)


class SupplyRelationRead(_ChainRow):
    supplier_id: int
    customer_id: int
    product: str
    annual_value_wan_yuan: float | None
    notes: str | None


class SegmentEnterpriseRead(BaseModel):
    id: int
    name: str
    role: SegmentRole
    output_wan_yuan: float | None


class SegmentNodeRead(BaseModel):
    id: int
    code: str
    name: str
    name_en: str | None
    stage: ChainStage
    position: int
    industry_codes: list[str]
    enterprises: list[SegmentEnterpriseRead]
    enterprise_count: int
    output_wan_yuan: float | None
    output_share: float | None
    status: SegmentStatus
    reason_zh: str
    reason_en: str
    candidates: int


class ChainThresholdsRead(BaseModel):
    weak_below_enterprises: int
    weak_below_output_share: float
    output_months: int


class ChainGraphRead(BaseModel):
    chain: IndustryChainRead
    thresholds: ChainThresholdsRead
    output_known: bool
    output_wan_yuan: float | None
    segments: list[SegmentNodeRead]
    edges: list[ChainEdgeRead]
    relations: list[SupplyRelationRead]


class InvestmentCandidateCreate(_ChainInput):
    name: ChainText
    name_en: str | None = Field(None, max_length=200)
    uscc: USCC | None = None
    region_code: RegionCode | None = None
    segment_id: ChainRowId
    size: CompanySize | None = None
    employees: int | None = Field(None, ge=0, le=10_000_000)
    revenue_wan_yuan: ChainWanYuan | None = None
    products: str | None = Field(None, max_length=500)
    land_need_m2: ChainArea | None = None
    floor_need_m2: ChainArea | None = None
    source: str | None = Field(None, max_length=100)
    notes: str | None = Field(None, max_length=2000)


class InvestmentCandidateUpdate(_ChainInput):
    name: ChainText | None = None
    name_en: str | None = Field(None, max_length=200)
    uscc: USCC | None = None
    region_code: RegionCode | None = None
    segment_id: ChainRowId | None = None
    size: CompanySize | None = None
    employees: int | None = Field(None, ge=0, le=10_000_000)
    revenue_wan_yuan: ChainWanYuan | None = None
    products: str | None = Field(None, max_length=500)
    land_need_m2: ChainArea | None = None
    floor_need_m2: ChainArea | None = None
    source: str | None = Field(None, max_length=100)
    notes: str | None = Field(None, max_length=2000)


class InvestmentCandidateRead(_ChainRow):
    name: str
    name_en: str | None = None
    uscc: str | None
    region_code: str | None
    segment_id: int
    size: CompanySize | None
    employees: int | None
    revenue_wan_yuan: float | None
    products: str | None
    land_need_m2: float | None
    floor_need_m2: float | None
    source: str | None
    notes: str | None


class ScoreComponentRead(BaseModel):
    key: str
    label_zh: str
    label_en: str
    points: float
    max_points: float
    reason_zh: str
    reason_en: str


class CandidateScoreRead(BaseModel):
    candidate: InvestmentCandidateRead
    chain_id: int
    segment_code: str
    segment_name: str
    segment_status: SegmentStatus
    score: float
    components: list[ScoreComponentRead]
    lead_id: int | None


class LeadCreate(_ChainInput):
    candidate_id: ChainRowId
    owner_user_id: ChainRowId | None = None
    next_action: str | None = Field(None, max_length=300)
    next_action_on: dt.date | None = None
    contacted_on: dt.date | None = Field(None, description="the day of the first contact; default today")
    note: str | None = Field(None, max_length=2000)


class LeadUpdate(_ChainInput):
    owner_user_id: ChainRowId | None = None
    next_action: str | None = Field(None, max_length=300)
    next_action_on: dt.date | None = None


class LeadStageChange(_ChainInput):
    stage: LeadStage
    on: dt.date | None = Field(None, description="the day the stage was reached; default today")
    note: str | None = Field(None, max_length=2000)
    lost_reason: str | None = Field(None, max_length=300)


class LeadRead(_ChainRow):
    candidate_id: int
    stage: LeadStage
    owner_user_id: int | None
    next_action: str | None
    next_action_on: dt.date | None
    contacted_on: dt.date | None
    visited_on: dt.date | None
    negotiating_on: dt.date | None
    signed_on: dt.date | None
    settled_on: dt.date | None
    lost_on: dt.date | None
    lost_reason: str | None


class LeadEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    lead_id: int
    at: dt.datetime
    happened_on: dt.date
    actor: str
    action: str
    from_stage: LeadStage | None
    to_stage: LeadStage | None
    note: str | None


class LeadDetailRead(LeadRead):
    candidate: InvestmentCandidateRead
    events: list[LeadEventRead]
    score: CandidateScoreRead


class VacantBuildingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    building_id: int
    code: str
    name: str
    use: str
    zone_id: int | None
    vacant_rooms: int
    vacant_area_m2: float
    largest_room_m2: float


class FreeParcelRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    parcel_id: int
    code: str
    zone_id: int | None
    land_use: str
    area_m2: float


class FreeSpaceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    park_id: int
    as_of: dt.date
    buildings: list[VacantBuildingRead]
    parcels: list[FreeParcelRead]
    vacant_rooms: int
    vacant_floor_area_m2: float
    free_land_m2: float
