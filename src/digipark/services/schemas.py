"""Input and output of the production services module."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from digipark.services.models import (
    ApplicationStatus,
    BookingStatus,
    PostKind,
    PriceUnit,
    PurchaseCategory,
    ServiceKind,
)

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Quantity = Annotated[float, Field(gt=0, le=1e12)]
Price = Annotated[float, Field(ge=0, le=1e10)]
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
IndustryPrefix = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,4}$")]

_FORBID = ConfigDict(extra="forbid")
_READ = ConfigDict(from_attributes=True)


# -- catalogue -------------------------------------------------------------------------------------------------------
class OfferingCreate(BaseModel):
    model_config = _FORBID

    kind: ServiceKind
    name: Name
    name_en: Name | None = None
    provider_name: Name
    provider_name_en: Name | None = None
    description: Text | None = None
    capacity: Annotated[float, Field(ge=0, le=1e12)] | None = None
    capacity_unit: Short | None = None
    capacity_unit_en: Short | None = None
    unit_price_yuan: Price | None = None
    price_unit: PriceUnit = PriceUnit.NONE
    rules: Text | None = None
    bookable: bool = False
    slot_minutes: Annotated[int, Field(ge=15, le=1440)] = 60
    units: Annotated[int, Field(ge=1, le=100)] = 1
    cancel_hours: Annotated[int, Field(ge=0, le=720)] = 24
    transformation_entry_id: Id | None = None
    active: bool = True
    enterprise_id: Id | None = Field(None, description="the providing enterprise; none: the park")
    park_id: Id | None = None


class OfferingUpdate(BaseModel):
    model_config = _FORBID

    name: Name | None = None
    name_en: Name | None = None
    provider_name: Name | None = None
    provider_name_en: Name | None = None
    description: Text | None = None
    capacity: Annotated[float, Field(ge=0, le=1e12)] | None = None
    capacity_unit: Short | None = None
    capacity_unit_en: Short | None = None
    unit_price_yuan: Price | None = None
    price_unit: PriceUnit | None = None
    rules: Text | None = None
    cancel_hours: Annotated[int, Field(ge=0, le=720)] | None = None
    active: bool | None = None


class OfferingRead(BaseModel):
    model_config = _READ

    id: int
    park_id: int
    enterprise_id: int | None
    kind: ServiceKind
    name: str
    name_en: str | None = None
    provider_name: str
    provider_name_en: str | None = None
    description: str | None
    capacity: float | None
    capacity_unit: str | None
    capacity_unit_en: str | None = None
    unit_price_yuan: float | None
    price_unit: PriceUnit
    rules: str | None
    bookable: bool
    slot_minutes: int
    units: int
    cancel_hours: int
    transformation_entry_id: int | None
    active: bool


# -- booking ---------------------------------------------------------------------------------------------------------
class BookingCreate(BaseModel):
    model_config = _FORBID

    offering_id: Id
    starts_at: dt.datetime
    ends_at: dt.datetime
    purpose: Note | None = None
    enterprise_id: Id | None = Field(None, description="staff booking for an enterprise; default: your own")


class BookingRead(BaseModel):
    model_config = _READ

    id: int
    park_id: int
    enterprise_id: int | None
    offering_id: int
    provider_enterprise_id: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: BookingStatus
    purpose: str | None
    requested_by: str
    decided_by: str | None
    decided_at: dt.datetime | None
    note: str | None
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None


class Decision(BaseModel):
    model_config = _FORBID

    approve: bool
    note: Note | None = None


class MaintenanceCreate(BaseModel):
    model_config = _FORBID

    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: Note | None = None


class MaintenanceRead(BaseModel):
    model_config = _READ

    id: int
    offering_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str | None


class UsageCreate(BaseModel):
    model_config = _FORBID

    offering_id: Id
    enterprise_id: Id
    used_on: dt.date
    quantity: Quantity
    note: Note | None = None


class UsageRead(BaseModel):
    model_config = _READ

    id: int
    park_id: int
    enterprise_id: int | None
    offering_id: int
    provider_enterprise_id: int | None
    booking_id: int | None
    used_on: dt.date
    quantity: float
    unit: str
    amount_yuan: float
    note: str | None


class StatementLine(BaseModel):
    offering_id: int
    offering: str
    offering_en: str | None = None
    provider_name: str
    provider_name_en: str | None = None
    quantity: float
    unit: str
    amount_yuan: float


class Statement(BaseModel):
    """An enterprise's bill of one month (what it used, from its usage records)."""

    enterprise_id: int
    month: dt.date
    lines: list[StatementLine]
    total_yuan: float


class Utilisation(BaseModel):
    offering_id: int
    name: str
    units: int
    available_hours: float
    booked_hours: float
    maintenance_hours: float
    utilisation: float | None = Field(description="booked / available (0..1); none when nothing was available")


class CalendarSlot(BaseModel):
    starts_at: dt.datetime
    free_units: int
    maintenance: bool


# -- group purchasing ------------------------------------------------------------------------------------------------
class DemandCreate(BaseModel):
    model_config = _FORBID

    category: PurchaseCategory
    item: Name
    quantity: Quantity
    unit: Short
    period: dt.date
    last_unit_price_yuan: Price | None = None
    enterprise_id: Id | None = None


class DemandUpdate(BaseModel):
    model_config = _FORBID

    quantity: Quantity | None = None
    last_unit_price_yuan: Price | None = None


class DemandRead(BaseModel):
    model_config = _READ

    id: int
    park_id: int
    enterprise_id: int | None
    category: PurchaseCategory
    item: str
    quantity: float
    unit: str
    period: dt.date
    last_unit_price_yuan: float | None
    status: str
    round_id: int | None
    awarded_unit_price_yuan: float | None
    delivered_quantity: float | None
    delivered_at: dt.datetime | None


class AggregateRequest(BaseModel):
    model_config = _FORBID

    category: PurchaseCategory
    period: dt.date
    park_id: Id | None = None


class ParkTarget(BaseModel):
    model_config = _FORBID

    park_id: Id | None = None


class RoundRead(BaseModel):
    model_config = _READ

    id: int
    park_id: int
    category: PurchaseCategory
    item: str
    unit: str
    period: dt.date
    total_quantity: float
    demand_count: int
    status: str
    supplier_id: int | None
    awarded_unit_price_yuan: float | None
    awarded_at: dt.datetime | None


class SupplierCreate(BaseModel):
    model_config = _FORBID

    name: Name
    categories: Annotated[list[PurchaseCategory], Field(min_length=1, max_length=10)]
    contact: Name | None = None
    park_id: Id | None = None


class SupplierUpdate(BaseModel):
    model_config = _FORBID

    name: Name | None = None
    categories: Annotated[list[PurchaseCategory], Field(min_length=1, max_length=10)] | None = None
    contact: Name | None = None


class SupplierRead(BaseModel):
    model_config = _READ

    id: int
    park_id: int
    name: str
    categories: list[str]
    contact: str | None


class QuoteCreate(BaseModel):
    model_config = _FORBID

    supplier_id: Id
    unit_price_yuan: Annotated[float, Field(gt=0, le=1e10)]


class QuoteRead(BaseModel):
    model_config = _READ

    id: int
    round_id: int
    supplier_id: int
    unit_price_yuan: float


class Delivery(BaseModel):
    model_config = _FORBID

    delivered_quantity: Annotated[float, Field(ge=0, le=1e12)]


class Savings(BaseModel):
    enterprise_id: int
    demands: int
    spent_yuan: float
    own_price_yuan: float = Field(description="what the same quantities cost at the enterprise's own last prices")
    saved_yuan: float


class ListingCreate(BaseModel):
    model_config = _FORBID

    product: Name
    description: Text | None = None
    quantity: Quantity | None = None
    unit: Short | None = None
    unit_price_yuan: Price | None = None
    active: bool = True
    enterprise_id: Id | None = None


class ListingUpdate(BaseModel):
    model_config = _FORBID

    product: Name | None = None
    description: Text | None = None
    quantity: Quantity | None = None
    unit: Short | None = None
    unit_price_yuan: Price | None = None
    active: bool | None = None


class ListingRead(BaseModel):
    model_config = _READ

    id: int
    park_id: int
    enterprise_id: int | None
    product: str
    description: str | None
    quantity: float | None
    unit: str | None
    unit_price_yuan: float | None
    active: bool


# -- supply chain ----------------------------------------------------------------------------------------------------
class RelationCreate(BaseModel):
    model_config = _FORBID

    customer_enterprise_id: Id
    goods: Name
    enterprise_id: Id | None = Field(None, description="the supplier; default: your own enterprise")


class RelationUpdate(BaseModel):
    model_config = _FORBID

    goods: Name | None = None


class RelationRead(BaseModel):
    model_config = _READ

    id: int
    park_id: int
    enterprise_id: int | None
    customer_enterprise_id: int
    goods: str
    source: str


class PostCreate(BaseModel):
    model_config = _FORBID

    kind: PostKind
    title: Name
    description: Text | None = None
    industry_codes: Annotated[list[IndustryPrefix], Field(max_length=20)] = []
    products: Annotated[list[Keyword], Field(max_length=20)] = []
    quantity: Quantity | None = None
    unit: Short | None = None
    needed_by: dt.date | None = None
    open: bool = True
    enterprise_id: Id | None = None


class PostUpdate(BaseModel):
    model_config = _FORBID

    title: Name | None = None
    description: Text | None = None
    industry_codes: Annotated[list[IndustryPrefix], Field(max_length=20)] | None = None
    products: Annotated[list[Keyword], Field(max_length=20)] | None = None
    quantity: Quantity | None = None
    unit: Short | None = None
    needed_by: dt.date | None = None
    open: bool | None = None


class PostRead(BaseModel):
    model_config = _READ

    id: int
    park_id: int
    enterprise_id: int | None
    kind: PostKind
    title: str
    description: str | None
    industry_codes: list[str]
    products: list[str]
    quantity: float | None
    unit: str | None
    needed_by: dt.date | None
    open: bool


class MatchReason(BaseModel):
    """One reason of a match: a msgid and its parameters (the pages translate it)."""

    message: str
    params: dict[str, str] = {}

    def text(self) -> str:
        """The reason in English."""
        return self.message % self.params if self.params else self.message


class Match(BaseModel):
    """A park enterprise able to meet a need, and why (`reasons` in English, `reason_codes` to translate)."""

    enterprise_id: int
    name: str
    industry_code: str
    score: int
    reasons: list[str]
    reason_codes: list[MatchReason] = []
    offer_ids: list[int]


class ShareCreate(BaseModel):
    model_config = _FORBID

    lead_enterprise_id: Id
    item: Name
    unit: Short
    period: dt.date
    forecast_order_qty: Annotated[float, Field(ge=0, le=1e12)]
    capacity_qty: Annotated[float, Field(ge=0, le=1e12)]
    stock_qty: Annotated[float, Field(ge=0, le=1e12)]
    shared: bool = False
    enterprise_id: Id | None = None


class ShareUpdate(BaseModel):
    model_config = _FORBID

    forecast_order_qty: Annotated[float, Field(ge=0, le=1e12)] | None = None
    capacity_qty: Annotated[float, Field(ge=0, le=1e12)] | None = None
    stock_qty: Annotated[float, Field(ge=0, le=1e12)] | None = None
    shared: bool | None = None


class ShareRead(BaseModel):
    model_config = _READ

    id: int
    park_id: int
    enterprise_id: int | None
    lead_enterprise_id: int
    item: str
    unit: str
    period: dt.date
    forecast_order_qty: float
    capacity_qty: float
    stock_qty: float
    shared: bool


class Shortage(BaseModel):
    share_id: int
    supplier_enterprise_id: int
    supplier: str
    item: str
    unit: str
    period: dt.date
    shortage_qty: float


# -- logistics -------------------------------------------------------------------------------------------------------
Direction = Annotated[str, StringConstraints(pattern=r"^(in|out)$")]
Plate = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=20)]


class ShipmentCreate(BaseModel):
    model_config = _FORBID

    direction: Direction
    consignee: Name
    carrier: Name | None = None
    plate: Plate | None = None
    goods: Name
    weight_t: Annotated[float, Field(gt=0, le=1e6)] | None = None
    expected_at: dt.datetime | None = None
    dock_booking_id: Id | None = None
    enterprise_id: Id | None = None


class ShipmentUpdate(BaseModel):
    model_config = _FORBID

    carrier: Name | None = None
    plate: Plate | None = None
    goods: Name | None = None
    weight_t: Annotated[float, Field(gt=0, le=1e6)] | None = None
    expected_at: dt.datetime | None = None
    dock_booking_id: Id | None = None


class ShipmentRead(BaseModel):
    model_config = _READ

    id: int
    park_id: int
    enterprise_id: int | None
    direction: str
    consignee: str
    carrier: str | None
    plate: str | None
    goods: str
    weight_t: float | None
    expected_at: dt.datetime | None
    status: str
    dock_booking_id: int | None
    gate_events: list[dict[str, Any]]


class GateEventCreate(BaseModel):
    model_config = _FORBID

    kind: Annotated[str, StringConstraints(pattern=r"^(arrived|loading|departed|cancelled)$")]
    gate: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] = "1"


# -- finance ---------------------------------------------------------------------------------------------------------
class ApplicationCreate(BaseModel):
    model_config = _FORBID

    offering_id: Id
    amount_wan_yuan: Annotated[float, Field(gt=0, le=1e7)]
    term_months: Annotated[int, Field(ge=1, le=360)]
    purpose: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    enterprise_id: Id | None = None


class ApplicationRead(BaseModel):
    model_config = _READ

    id: int
    park_id: int
    enterprise_id: int | None
    offering_id: int
    provider_enterprise_id: int | None
    amount_wan_yuan: float
    term_months: int
    purpose: str
    status: ApplicationStatus
    consent_at: dt.datetime | None
    consent_by: str | None
    profile_shared_at: dt.datetime | None
    history: list[dict[str, Any]]


class ApplicationDecision(BaseModel):
    model_config = _FORBID

    status: ApplicationStatus
    note: Note | None = None
