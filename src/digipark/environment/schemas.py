"""Input and output shapes of the environment API. Amounts are given with a unit (default t) and stored in t;
negative amounts are refused (422)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Year = Annotated[int, Field(ge=2000, le=2100)]
Amount = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False, description="not negative")]
Unit = Annotated[str, Field(min_length=1, max_length=20, description="a mass unit: t, kg, g (default t)")]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]
Code = Annotated[str, Field(min_length=1, max_length=40)]
FactorKey = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[a-z0-9_]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _first_of_month(value: dt.date) -> dt.date:
    if value.day != 1:
        raise ValueError("a ledger month is given as its first day, e.g. 2026-03-01")
    return value


# -- reference data --------------------------------------------------------------------------------------------
class FactorRead(Read):
    key: str
    code: str
    name_zh: str
    name_en: str
    abbr: str
    medium: str
    role: str
    unit: str
    status: str
    source: str


class LimitRead(Read):
    factor: str
    limit_min: float | None
    limit_max: float | None
    unit: str
    status: str


class StandardRead(Read):
    key: str
    standard: str
    title: str
    medium: str
    status: str
    source: str
    note: str | None
    limits: dict[str, LimitRead]
    reference_o2: float | None
    reference_o2_status: str | None


class AveragingRead(Read):
    medium: str
    hour_min_coverage: float
    day_min_valid_hours: int
    day_mean: str
    status: str
    source: str


class ReferenceRead(BaseModel):
    factors: list[FactorRead]
    standards: list[StandardRead]
    averaging: list[AveragingRead]
    ph_rule: dict[str, str]
    permit_levels: list[dict[str, float | str]]
    general_categories: dict[str, str]
    hazardous_categories: dict[str, str]
    storage_limit_days: int
    storage_limit_status: str
    sources: dict[str, str]


# -- outlets ---------------------------------------------------------------------------------------------------
class FactorLink(Strict):
    factor: FactorKey
    point_id: Id


class OutletCreate(Strict):
    enterprise_id: Id
    code: Code
    name: Text200
    name_en: Text200 | None = Field(None, description="the outlet's name on English pages")
    medium: Literal["water", "air"]
    standard: Annotated[str, Field(min_length=1, max_length=60)]
    factors: list[FactorLink] = Field(default_factory=list, max_length=12)
    notes: str | None = Field(None, max_length=2000)


class OutletUpdate(Strict):
    name: Text200 | None = None
    name_en: Text200 | None = None
    standard: Annotated[str, Field(min_length=1, max_length=60)] | None = None
    active: bool | None = None
    notes: str | None = Field(None, max_length=2000)
    factors: list[FactorLink] | None = Field(None, max_length=12, description="replaces every factor when given")


class OutletFactorRead(BaseModel):
    factor: str
    point_id: int
    point_unit: str
    unit: str
    limit_min: float | None
    limit_max: float | None
    limit_status: str | None
    alarm_rule_id: int | None


class OutletRead(BaseModel):
    id: int
    park_id: int
    enterprise_id: int
    code: str
    name: str
    name_en: str | None
    medium: str
    standard: str
    standard_status: str
    active: bool
    notes: str | None
    factors: list[OutletFactorRead]
    created_at: dt.datetime
    updated_at: dt.datetime


class HourRead(BaseModel):
    bucket: int
    time: dt.datetime
    mean: float | None
    min: float | None
    max: float | None
    valid: bool
    exceeded: bool


class DayRead(BaseModel):
    day: dt.date
    value: float | None
    min: float | None
    max: float | None
    valid_hours: int
    valid: bool
    method: str
    exceeded: bool


class FactorAverages(BaseModel):
    factor: str
    unit: str
    limit_min: float | None
    limit_max: float | None
    limit_status: str | None
    rule_status: str
    hours: list[HourRead]
    days: list[DayRead]


class OutletAverages(BaseModel):
    outlet_id: int
    first: dt.date
    last: dt.date
    factors: list[FactorAverages]


class LatestRead(BaseModel):
    factor: str
    point_id: int
    value: float | None
    unit: str
    time: dt.datetime | None
    stale: bool
    exceeded: bool


# -- permits and exceedances -----------------------------------------------------------------------------------
class PermitQuotaCreate(Strict):
    enterprise_id: Id
    permit_no: Annotated[str, Field(min_length=1, max_length=60)]
    year: Year
    factor: FactorKey
    annual: Amount = Field(description="permitted quantity per year, in `unit`")
    unit: Unit = "t"
    valid_to: dt.date | None = None


class PermitQuotaUpdate(Strict):
    permit_no: Annotated[str, Field(min_length=1, max_length=60)] | None = None
    annual: Amount | None = None
    unit: Unit = "t"
    valid_to: dt.date | None = None


class PermitQuotaRead(Read):
    id: int
    park_id: int
    enterprise_id: int
    permit_no: str
    year: int
    factor: str
    annual_t: float
    valid_to: dt.date | None


class PermitUsage(BaseModel):
    quota_id: int
    enterprise_id: int
    permit_no: str
    year: int
    factor: str
    permitted_t: float
    discharged_t: float
    percent: float | None
    level: str  # ok | warning | exceeded
    months_t: list[float]
    outlets: int  # outlets with this factor and a flow factor that the sum covers


class ExceedanceRead(Read):
    id: int
    park_id: int
    enterprise_id: int
    outlet_id: int
    factor: str
    period: str
    bucket: int
    value: float
    limit_min: float | None
    limit_max: float | None
    unit: str
    detected_at: dt.datetime


class ScanRequest(Strict):
    park_id: Id | None = None
    first: dt.date
    last: dt.date


class ScanResult(BaseModel):
    park_id: int
    first: dt.date
    last: dt.date
    outlets: int
    created: int
    existing: int


# -- general solid waste ---------------------------------------------------------------------------------------
class WasteEntryCreate(Strict):
    enterprise_id: Id | None = None
    category: Annotated[str, Field(min_length=1, max_length=10)]
    month: dt.date
    generated: Amount = 0.0
    utilised: Amount = 0.0
    disposed: Amount = 0.0
    stored: Amount = Field(0.0, description="in storage at the month's end")
    opening: Amount | None = Field(None, description="storage before the first month booked; later months carry on")
    unit: Unit = "t"
    notes: str | None = Field(None, max_length=500)

    _month = field_validator("month")(_first_of_month)


class WasteEntryUpdate(Strict):
    generated: Amount | None = None
    utilised: Amount | None = None
    disposed: Amount | None = None
    stored: Amount | None = None
    opening: Amount | None = None
    unit: Unit = "t"
    notes: str | None = Field(None, max_length=500)


class WasteEntryRead(Read):
    id: int
    park_id: int
    enterprise_id: int
    category: str
    month: dt.date
    opening_t: float
    generated_t: float
    utilised_t: float
    disposed_t: float
    stored_t: float
    unaccounted_t: float
    notes: str | None


# -- hazardous waste -------------------------------------------------------------------------------------------
class HazardousBatchCreate(Strict):
    enterprise_id: Id | None = None
    code: Code
    category: Annotated[str, Field(min_length=1, max_length=10)]
    waste_code: Annotated[str, Field(min_length=1, max_length=20)]
    name: Text200
    quantity: Amount
    unit: Unit = "t"
    stored_on: dt.date
    extended_to: dt.date | None = None
    notes: str | None = Field(None, max_length=500)


class HazardousBatchUpdate(Strict):
    name: Text200 | None = None
    quantity: Amount | None = None
    unit: Unit = "t"
    extended_to: dt.date | None = None
    notes: str | None = Field(None, max_length=500)


class HazardousBatchRead(BaseModel):
    id: int
    park_id: int
    enterprise_id: int
    code: str
    category: str
    waste_code: str
    name: str
    quantity_t: float
    transferred_t: float
    remaining_t: float
    stored_on: dt.date
    extended_to: dt.date | None
    deadline: dt.date
    days_left: int
    storage_state: str  # ok | due_soon | overdue | cleared
    notes: str | None


class ManifestCreate(Strict):
    batch_id: Id
    number: Annotated[str, Field(min_length=1, max_length=40)]
    quantity: Amount
    unit: Unit = "t"
    carrier: Text200
    carrier_licence: str | None = Field(None, max_length=60)
    receiver: Text200
    receiver_licence: Annotated[str, Field(min_length=1, max_length=60)]
    shipped_on: dt.date
    received_on: dt.date | None = None


class ManifestUpdate(Strict):
    status: Literal["created", "in_transit", "received", "cancelled"] | None = None
    received_on: dt.date | None = None
    carrier: Text200 | None = None
    carrier_licence: str | None = Field(None, max_length=60)


class ManifestRead(Read):
    id: int
    park_id: int
    enterprise_id: int
    batch_id: int
    number: str
    quantity_t: float
    carrier: str
    carrier_licence: str | None
    receiver: str
    receiver_licence: str
    shipped_on: dt.date
    received_on: dt.date | None
    status: str


# -- summary ---------------------------------------------------------------------------------------------------
class GeneralWasteTotals(BaseModel):
    opening_t: float
    generated_t: float
    utilised_t: float
    disposed_t: float
    stored_t: float  # at the end of the last month booked
    utilisation_rate: float | None  # percent
    disposal_rate: float | None
    months: int


class HazardousTotals(BaseModel):
    stored_t: float  # in storage now
    generated_t: float  # put into storage in the year
    transferred_t: float  # manifested in the year (not cancelled)
    manifests: int
    overdue: int
    due_soon: int


class EnvironmentSummary(BaseModel):
    enterprise_id: int
    year: int
    outlets: int
    exceedances_hour: int
    exceedances_day: int
    permits: list[PermitUsage]
    general: GeneralWasteTotals
    hazardous: HazardousTotals
    warnings: list[str]  # untranslated msgids with %(name)s-style values filled in by pages
