"""Input and output of assets, lifecycle changes, plans, predictions and failures."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from digipark.assets.geo import Network, check_line_geometry
from digipark.assets.models import DepreciationMethod, InvoiceState, LeaseState, LifecycleState, PlanKind

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Yuan = Annotated[float, Field(ge=0, le=1e12)]
Day = Annotated[dt.date, Field(ge=dt.date(1900, 1, 1), le=dt.date(2200, 12, 31))]
LineGeometry = Annotated[
    dict[str, Any],
    AfterValidator(check_line_geometry),
    Field(description="GeoJSON LineString or MultiLineString, WGS-84 longitude/latitude"),
]
AttributeName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
AttributeValue = Annotated[float, Field(ge=-1e12, le=1e12)] | Annotated[str, StringConstraints(max_length=200)]
Attributes = Annotated[dict[AttributeName, AttributeValue], Field(max_length=50)]
Material = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
DiameterMm = Annotated[int, Field(ge=1, le=10000)]
InstallYear = Annotated[int, Field(ge=1900, le=2200)]


class AssetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    class_id: Id
    code: Code
    name: Name
    name_en: Name | None = Field(None, description="the asset's name on English pages")
    model: Short | None = None
    supplier: Short | None = None
    building_id: Id | None = None
    location: Name | None = None
    state: LifecycleState = LifecycleState.PLANNED
    acquired_on: Day | None = None
    in_service_on: Day | None = None
    warranty_until: Day | None = None
    purchase_value: Yuan = 0.0
    salvage_value: Yuan | None = Field(None, description="default: the class's salvage rate of the purchase value")
    useful_life_months: Annotated[int, Field(ge=1, le=1200)] | None = Field(None, description="default: the class's")
    method: DepreciationMethod | None = Field(None, description="default: the class's")
    run_hours_point_id: Id | None = None
    vibration_point_id: Id | None = None
    temperature_point_id: Id | None = None
    cycles_point_id: Id | None = None
    energy_point_id: Id | None = None
    attributes: Attributes | None = Field(None, description="values of the class's declared attributes")
    land_parcel_id: Id | None = None
    network: Network | None = Field(None, description="for roads and pipes: which network")
    geometry: LineGeometry | None = None
    material: Material | None = None
    diameter_mm: DiameterMm | None = None
    install_year: InstallYear | None = None
    offering_id: Id | None = Field(None, description="the shared-equipment service it is booked as")
    enterprise_id: Id | None = Field(None, description="the enterprise owning it; none: the park")
    park_id: Id | None = None


class AssetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code | None = None
    name: Name | None = None
    name_en: Name | None = None
    model: Short | None = None
    supplier: Short | None = None
    building_id: Id | None = None
    location: Name | None = None
    acquired_on: Day | None = None
    in_service_on: Day | None = None
    warranty_until: Day | None = None
    purchase_value: Yuan | None = None
    salvage_value: Yuan | None = None
    useful_life_months: Annotated[int, Field(ge=1, le=1200)] | None = None
    method: DepreciationMethod | None = None
    run_hours_point_id: Id | None = None
    vibration_point_id: Id | None = None
    temperature_point_id: Id | None = None
    cycles_point_id: Id | None = None
    energy_point_id: Id | None = None
    attributes: Attributes | None = Field(None, description="values of the class's declared attributes")
    land_parcel_id: Id | None = None
    network: Network | None = Field(None, description="for roads and pipes: which network")
    geometry: LineGeometry | None = None
    material: Material | None = None
    diameter_mm: DiameterMm | None = None
    install_year: InstallYear | None = None
    offering_id: Id | None = Field(None, description="the shared-equipment service it is booked as")


class AssetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    enterprise_id: int | None
    class_id: int
    code: str
    name: str
    name_en: str | None
    model: str | None
    supplier: str | None
    building_id: int | None
    location: str | None
    state: LifecycleState
    acquired_on: dt.date | None
    in_service_on: dt.date | None
    warranty_until: dt.date | None
    purchase_value: float
    salvage_value: float
    useful_life_months: int
    method: DepreciationMethod
    run_hours_point_id: int | None
    vibration_point_id: int | None
    temperature_point_id: int | None
    cycles_point_id: int | None
    energy_point_id: int | None
    attributes: dict[str, Any] | None
    land_parcel_id: int | None
    source_ref: str | None
    network: Network | None
    geometry: dict[str, Any] | None
    material: str | None
    diameter_mm: int | None
    install_year: int | None
    offering_id: int | None


class StateChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: LifecycleState
    on: Day | None = None
    note: Note | None = None


class PlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    name_en: Name | None = Field(None, description="the plan's name on English pages")
    kind: PlanKind
    every_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    every_run_hours: Annotated[float, Field(gt=0, le=1e6)] | None = None
    last_done_on: Day | None = None
    last_done_run_hours: Annotated[float, Field(ge=0, le=1e9)] | None = None
    every_usage: Annotated[float, Field(gt=0, le=1e9)] | None = Field(
        None, description="cycles or kWh (kinds cycles, energy)"
    )
    last_done_usage: Annotated[float, Field(ge=0, le=1e12)] | None = None


class FailureCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    failed_on: Day
    description: Note
    repair_order_id: Id | None = Field(None, description="the work order that repaired it (for MTTR)")


class DocumentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    asset_id: int
    kind: str
    title: str | None
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    created_at: dt.datetime
    version: int
    expires_on: dt.date | None


class FailureRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    asset_id: int
    failed_on: dt.date
    description: str
    repair_order_id: int | None


class MonthRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    month: dt.date
    depreciation: float
    accumulated: float
    net_book_value: float


class PartCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    name: Name
    name_en: Name | None = Field(None, description="the part's name on English pages")
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)] = "pcs"
    class_id: Id | None = None
    stock: Annotated[float, Field(ge=0, le=1e9)] = 0.0
    reorder_level: Annotated[float, Field(ge=0, le=1e9)] = 0.0
    reorder_quantity: Annotated[float, Field(ge=0, le=1e9)] = 0.0
    unit_cost: Yuan = 0.0
    park_id: Id | None = None


class PartRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    code: str
    name: str
    name_en: str | None
    unit: str
    class_id: int | None
    stock: float
    reorder_level: float
    reorder_quantity: float
    unit_cost: float


class PartReceipt(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: Annotated[float, Field(gt=0, le=1e9)]
    unit_cost: Yuan | None = Field(None, description="default: the part's unit cost")
    on: Day | None = None
    note: Note | None = None


class PartConsumption(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: Id = Field(description="the work order that used the part")
    asset_id: Id
    quantity: Annotated[float, Field(gt=0, le=1e9)]
    on: Day | None = None
    note: Note | None = None


Rent = Annotated[float, Field(ge=0, le=1e10)]


class LeaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: Id
    room_id: Id | None = Field(None, description="the unit (room) the leased asset serves")
    starts_on: Day
    ends_on: Day
    monthly_rent: Rent
    note: Note | None = None


class LeaseStateChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: LeaseState


class LeaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    enterprise_id: int | None
    asset_id: int
    room_id: int | None
    starts_on: dt.date
    ends_on: dt.date
    monthly_rent: float
    state: LeaseState
    note: str | None


class LeaseInvoiceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    enterprise_id: int | None
    lease_id: int
    asset_id: int
    month: dt.date
    days: int
    amount: float
    state: InvoiceState
    paid_on: dt.date | None


# -- asset classes as data -------------------------------------------------------------------------------------------
CLASS_KINDS = ("land", "buildings", "machinery", "tools", "vehicles", "electronics")
ClassKind = Literal["land", "buildings", "machinery", "tools", "vehicles", "electronics"]
Declarations = Annotated[list[dict[str, Any]], Field(max_length=50)]


class MaintenanceTemplate(BaseModel):
    """A plan every asset of the class gets: by calendar (`every_days`) or by run hours (`every_run_hours`)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    name_en: Name | None = None
    every_days: int | None = Field(None, ge=1, le=3650)
    every_run_hours: int | None = Field(None, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _one_rhythm(self) -> MaintenanceTemplate:
        if (self.every_days is None) == (self.every_run_hours is None):
            raise ValueError("give every_days or every_run_hours, one of them")
        return self


class AssetClassCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    name_en: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    kind: ClassKind
    useful_life_years: int = Field(ge=1, le=100)
    method: DepreciationMethod = DepreciationMethod.STRAIGHT_LINE
    salvage_rate: float = Field(0.05, ge=0, le=0.5)
    rotating: bool = False
    vibration_group: Annotated[str, StringConstraints(max_length=40)] | None = None
    temperature_limit_c: float | None = Field(None, ge=-50, le=500)
    templates: Annotated[list[MaintenanceTemplate], Field(max_length=20)] = []
    attributes: Declarations = []
    condition_indicators: Declarations = []
    park_id: Id | None = None


class AssetClassUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    name_en: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    kind: ClassKind | None = None
    useful_life_years: int | None = Field(None, ge=1, le=100)
    method: DepreciationMethod | None = None
    salvage_rate: float | None = Field(None, ge=0, le=0.5)
    rotating: bool | None = None
    vibration_group: Annotated[str, StringConstraints(max_length=40)] | None = None
    temperature_limit_c: float | None = Field(None, ge=-50, le=500)
    templates: Annotated[list[MaintenanceTemplate], Field(max_length=20)] | None = None
    attributes: Declarations | None = None
    condition_indicators: Declarations | None = None


class AssetClassRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    code: str
    name: str
    name_en: str | None
    kind: str
    useful_life_years: int
    method: str
    salvage_rate: float
    rotating: bool
    vibration_group: str | None
    temperature_limit_c: float | None
    templates: list[dict[str, Any]]
    attributes: list[dict[str, Any]] | None
    condition_indicators: list[dict[str, Any]] | None
