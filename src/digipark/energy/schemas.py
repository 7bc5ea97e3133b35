"""Input and output of the energy domain (Pydantic v2). Quantities are in the carrier's canonical unit unless the
field says otherwise; tce and tCO2 figures name their unit in the field name."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Name = Annotated[str, Field(min_length=1, max_length=200)]
Code = Annotated[str, Field(min_length=1, max_length=60)]
Quantity = Annotated[float, Field(ge=0, le=1e15, allow_inf_nan=False)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
YoyMonths = Annotated[int, Field(description="year on year compares months 1 to this of both years; 0: not computed")]
YoyWithheld = Annotated[
    str | None,
    Field(
        description="why year on year is not computed: history_loading (the demo still writes its history), "
        "no_closed_month, year_incomplete or previous_year_incomplete (records missing from a compared month's start)"
    ),
]
OutputThroughMonth = Annotated[
    int | None,
    Field(
        description="the last month with output value reported; intensities divide the energy and carbon of the "
        "months with output by that output"
    ),
]
Level = Literal["park", "zone", "building", "enterprise", "sub"]
Source = Literal["telemetry", "manual", "virtual"]
FlowName = Literal["purchased", "exported", "generated"]
Band = Literal["sharp", "peak", "flat", "valley"]
_MONTH = re.compile(r"^(\d{4})-(\d{2})(-01)?$")


def parse_month(value: Any) -> dt.date:
    """A month as 'YYYY-MM' or the first day of the month."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        if value.day != 1:
            raise ValueError("a month is given by its first day")
        return value
    match = _MONTH.match(str(value).strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise ValueError("not a month: use YYYY-MM")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


class Term(BaseModel):
    meter_id: Id
    sign: Literal[1, -1] = 1


class MeterCreate(BaseModel):
    code: Code
    name: Name
    name_en: Name | None = None
    level: Level
    carrier: Annotated[str, Field(min_length=1, max_length=30)]
    flow: FlowName = "purchased"
    source: Source
    enterprise_id: Id | None = None
    parent_id: Id | None = None
    zone_id: Id | None = None
    building_id: Id | None = None
    point_id: Id | None = None
    terms: list[Term] = Field(default_factory=list, max_length=50)
    flexible_share: Annotated[float, Field(ge=0, le=1)] = 0.0
    park_id: Id | None = None


class MeterUpdate(BaseModel):
    name: Name | None = None
    name_en: Name | None = None
    parent_id: Id | None = None
    point_id: Id | None = None
    terms: list[Term] | None = Field(default=None, max_length=50)
    flexible_share: Annotated[float, Field(ge=0, le=1)] | None = None
    active: bool | None = None


class MeterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    enterprise_id: int | None
    code: str
    name: str
    name_en: str | None = None
    level: str
    carrier: str
    flow: str
    source: str
    unit: str
    parent_id: int | None
    zone_id: int | None
    building_id: int | None
    point_id: int | None
    terms: list[dict[str, Any]]
    flexible_share: float
    active: bool


class EntryCreate(BaseModel):
    enterprise_id: Id | None = None
    meter_id: Id | None = None
    carrier: Annotated[str, Field(min_length=1, max_length=30)] | None = None
    flow: FlowName = "purchased"
    period: dt.date
    quantity: Quantity
    unit: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    note: Annotated[str, Field(max_length=500)] | None = None

    @field_validator("period", mode="before")
    @classmethod
    def _month(cls, value: Any) -> dt.date:
        return parse_month(value)


class EntryUpdate(BaseModel):
    # a field that may not change here (enterprise_id, period, …) is refused with 422, not silently ignored
    model_config = ConfigDict(extra="forbid")

    quantity: Quantity | None = None
    unit: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    note: Annotated[str, Field(max_length=500)] | None = None


class EntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    enterprise_id: int | None
    meter_id: int | None
    carrier: str
    flow: str
    period: dt.date
    quantity: float
    entered_quantity: float
    entered_unit: str
    note: str | None
    evidence_name: str | None
    evidence_size: int
    evidence_sha256: str | None
    entered_by: str
    entered_at: dt.datetime


class DeclarationCreate(BaseModel):
    enterprise_id: Id | None = None
    period: dt.date
    process_material: Annotated[str, Field(max_length=30)] | None = None
    process_quantity_t: Quantity | None = None
    process_tco2: Quantity | None = None
    product_output_t: Quantity | None = None
    note: Annotated[str, Field(max_length=500)] | None = None

    @field_validator("period", mode="before")
    @classmethod
    def _month(cls, value: Any) -> dt.date:
        return parse_month(value)


class DeclarationUpdate(BaseModel):
    # a field that may not change here (enterprise_id, period, …) is refused with 422, not silently ignored
    model_config = ConfigDict(extra="forbid")

    process_material: Annotated[str, Field(max_length=30)] | None = None
    process_quantity_t: Quantity | None = None
    process_tco2: Quantity | None = None
    product_output_t: Quantity | None = None
    note: Annotated[str, Field(max_length=500)] | None = None


class DeclarationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    enterprise_id: int | None
    period: dt.date
    process_material: str | None
    process_quantity_t: float | None
    process_tco2: float | None
    product_output_t: float | None
    note: str | None
    declared_by: str


class Period(BaseModel):
    start: Annotated[str, Field(pattern=r"^\d{2}:\d{2}$")]
    end: Annotated[str, Field(pattern=r"^\d{2}:\d{2}$")]
    band: Band


class TariffCreate(BaseModel):
    name: Name
    valid_from: dt.date
    periods: list[Period] = Field(min_length=1, max_length=48)
    prices: dict[Band, Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]]
    source: Annotated[str, Field(max_length=300)] | None = None
    park_id: Id | None = None


class TariffUpdate(BaseModel):
    name: Name | None = None
    periods: list[Period] | None = Field(default=None, min_length=1, max_length=48)
    prices: dict[Band, Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]] | None = None
    source: Annotated[str, Field(max_length=300)] | None = None


class TariffRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    name: str
    valid_from: dt.date
    periods: list[dict[str, Any]]
    prices: dict[str, float]
    source: str | None


class SettingsUpdate(BaseModel):
    grid_basis: Literal["national", "regional"]
    grid_region: Annotated[str, Field(max_length=20)] | None = None
    baseline_months: Annotated[int, Field(ge=1, le=24)] = 6
    anomaly_threshold_pct: Annotated[float, Field(gt=0, le=1000)] = 30.0
    park_id: Id | None = None


class SettingsRead(BaseModel):
    park_id: int
    grid_basis: str
    grid_region: str | None
    region_used: str
    baseline_months: int
    anomaly_threshold_pct: float
    regions: list[str]
    factor_version: str


# -- results ---------------------------------------------------------------------------------------------------
class LineRead(BaseModel):
    """One line of a carbon account with its calculation."""

    category: str
    carrier: str
    activity: float
    activity_unit: str
    factor: float
    factor_unit: str
    formula: str
    source: str
    status: str
    year: int | None
    tco2: float


class CarrierFigure(BaseModel):
    carrier: str
    flow: str
    quantity: float
    unit: str
    tce_equivalent: float
    tce_equal: float
    factor_note: str
    status: str
    factor_note_en: str = ""


class MonthFigure(BaseModel):
    month: int
    tce_equivalent: float
    tce_equal: float
    tco2: float
    electricity_kwh: float
    previous_tce_equivalent: float | None = None
    previous_tco2: float | None = None
    complete: bool = Field(True, description="the month has ended and its records are complete from its start")
    previous_complete: bool = Field(True, description="the same for the previous year's month")


class EnterpriseAccount(BaseModel):
    enterprise_id: int
    name: str
    name_en: str | None = None
    uscc: str
    industry_code: str
    park_id: int
    year: int
    factor_version: str
    grid_region: str
    comprehensive_tce_equivalent: float
    comprehensive_tce_equal: float
    tco2: float
    by_category: dict[str, float]
    carriers: list[CarrierFigure]
    lines: list[LineRead]
    months: list[MonthFigure]
    output_value_wan_yuan: float | None
    output_through_month: OutputThroughMonth = None
    product_output_t: float | None
    tce_per_wan_yuan: float | None
    tce_equal_per_wan_yuan: float | None
    tco2_per_wan_yuan: float | None
    tco2_per_t_product: float | None
    yoy_tce_pct: float | None
    yoy_tco2_pct: float | None
    yoy_months: YoyMonths
    yoy_withheld: YoyWithheld = None
    mom_tce_pct: float | None
    mom_month: int | None = Field(None, description="the closed month month-on-month compares with the one before")
    last_month: int | None


class RankItem(BaseModel):
    enterprise_id: int
    name: str
    industry_code: str
    tce_equivalent: float
    tce_equal: float
    tco2: float
    tce_per_wan_yuan: float | None


class IndustryFigure(BaseModel):
    division: str
    enterprises: int
    tce_equivalent: float
    tco2: float


class ParkSummary(BaseModel):
    park_id: int
    year: int
    factor_version: str
    grid_region: str
    enterprises: int
    tce_equivalent: float
    tce_equal: float
    tco2: float
    previous_tce_equivalent: float
    previous_tco2: float
    yoy_tce_pct: float | None
    yoy_tco2_pct: float | None
    yoy_months: YoyMonths
    yoy_withheld: YoyWithheld = None
    output_value_wan_yuan: float | None
    output_through_month: OutputThroughMonth = None
    tce_per_wan_yuan: float | None
    tco2_per_wan_yuan: float | None
    by_category: dict[str, float]
    by_carrier: list[CarrierFigure]
    by_industry: list[IndustryFigure]
    months: list[MonthFigure]
    ranking: list[RankItem]


class MonthValue(BaseModel):
    month: dt.date
    quantity: float


class MeterConsumption(BaseModel):
    meter_id: int
    unit: str
    year: int
    months: list[MonthValue]
    total: float


class LoadPoint(BaseModel):
    ts_ms: int
    kw: float


class LoadCurve(BaseModel):
    park_id: int
    enterprise_id: int | None
    from_ms: int
    to_ms: int
    points: list[LoadPoint]
    peak_kw: float
    average_kw: float
    load_factor: float | None


class BandFigure(BaseModel):
    band: str
    kwh: float
    price: float
    cost_yuan: float
    share_pct: float


class TariffSplit(BaseModel):
    park_id: int
    enterprise_id: int | None
    from_ms: int
    to_ms: int
    tariff_name: str
    bands: list[BandFigure]
    kwh: float
    cost_yuan: float


class Anomaly(BaseModel):
    meter_id: int
    meter_name: str
    meter_name_en: str | None = None
    enterprise_id: int | None
    carrier: str
    month: dt.date
    quantity: float
    baseline: float
    deviation_pct: float


class Suggestion(BaseModel):
    kind: str  # shift_to_valley | pv_self_consumption
    enterprise_id: int
    title: str
    detail: dict[str, Any]
    saving_yuan_per_year: float
    saving_kwh_per_year: float = 0.0


class FactorInfo(BaseModel):
    version: str
    method: str
    source: str
    status: str
    fuels: list[dict[str, Any]]
    grid: list[dict[str, Any]]
    heat: dict[str, Any]
    process_materials: list[dict[str, Any]]
    standard_coal: dict[str, Any]
    carriers: list[dict[str, Any]]
