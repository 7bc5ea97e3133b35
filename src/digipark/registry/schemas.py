"""Input and output shapes of the registry API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from digipark.core.codes import CodeError, validate_industry_code, validate_region_code, validate_uscc
from digipark.core.geo import GeometryError, validate_polygon
from digipark.core.units import is_known_unit
from digipark.registry.catalog import device_kinds
from digipark.registry.models import DeviceStatus


def _code(validator: Any) -> Any:
    def check(value: str) -> str:
        try:
            return validator(value)  # type: ignore[no-any-return]
        except CodeError as exc:
            raise ValueError(str(exc)) from exc

    return check


def _polygon(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        return validate_polygon(value)
    except GeometryError as exc:
        raise ValueError(str(exc)) from exc


def _unit(value: str) -> str:
    if not is_known_unit(value):
        raise ValueError(f"unknown unit {value!r}")
    return value


def _kind(value: str) -> str:
    if value not in device_kinds():
        raise ValueError(f"unknown device kind {value!r}; known: {', '.join(sorted(device_kinds()))}")
    return value


USCC = Annotated[str, AfterValidator(_code(validate_uscc))]
IndustryCode = Annotated[str, AfterValidator(_code(validate_industry_code))]
RegionCode = Annotated[str, AfterValidator(_code(validate_region_code))]
Polygon = Annotated[dict[str, Any] | None, AfterValidator(_polygon)]
Unit = Annotated[str, Field(min_length=1, max_length=30), AfterValidator(_unit)]
Kind = Annotated[str, AfterValidator(_kind)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$")]
Area = Annotated[float, Field(gt=0, lt=1e10)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    created_at: dt.datetime
    updated_at: dt.datetime


def _check_period(start: dt.date | None, end: dt.date | None, names: tuple[str, str]) -> None:
    if start is not None and end is not None and end < start:
        raise ValueError(f"{names[1]} must not be before {names[0]}")


# -- park ----------------------------------------------------------------------------------------------------
class ParkUpdate(Strict):
    name: Name | None = None
    name_en: Name | None = None
    address: str | None = Field(None, max_length=300)
    address_en: str | None = Field(None, max_length=300)
    level: str | None = Field(None, max_length=40)
    leading_industries: list[IndustryCode] | None = None
    boundary: Polygon = None


class ParkCreate(Strict):
    """A new park, made by a platform administrator (`registry.parks`)."""

    code: Code
    name: Name
    region_code: RegionCode
    name_en: Name | None = None
    address: str | None = Field(None, max_length=300)
    address_en: str | None = Field(None, max_length=300)
    level: str | None = Field(None, max_length=40)
    leading_industries: list[IndustryCode] = Field(default_factory=list, max_length=50)
    boundary: Polygon = None


class ParkPlatformUpdate(ParkUpdate):
    """What a platform administrator may change of any park: a park admin's fields and the region."""

    region_code: RegionCode | None = None


class ParkRead(Read):
    code: str
    name: str
    name_en: str | None
    region_code: str
    address: str | None
    address_en: str | None
    level: str | None
    leading_industries: list[str]
    area_m2: float | None
    centre_lon: float | None
    centre_lat: float | None
    boundary: dict[str, Any] | None


# -- zone ----------------------------------------------------------------------------------------------------
class ZoneCreate(Strict):
    park_id: Id | None = None
    code: Code
    name: Name
    name_en: Name | None = None
    function: str = Field(min_length=1, max_length=40)
    geometry: Polygon = None
    area_m2: Area | None = None


class ZoneUpdate(Strict):
    code: Code | None = None
    name: Name | None = None
    name_en: Name | None = None
    function: str | None = Field(None, min_length=1, max_length=40)
    geometry: Polygon = None
    area_m2: Area | None = None


class ZoneRead(Read):
    park_id: int
    code: str
    name: str
    name_en: str | None
    function: str
    geometry: dict[str, Any] | None
    area_m2: float | None


# -- land parcel ---------------------------------------------------------------------------------------------
class LandParcelCreate(Strict):
    park_id: Id | None = None
    zone_id: Id | None = None
    code: Code
    geometry: Polygon = None
    area_m2: Area | None = None
    area_mu: Area | None = Field(None, description="the area in 亩 instead of area_m2 (1 亩 = 10000/15 m²)")
    land_use: str = Field(min_length=1, max_length=40)
    owner: str | None = Field(None, max_length=200)
    owner_en: str | None = Field(None, max_length=200)
    lease_start: dt.date | None = None
    lease_end: dt.date | None = None

    @model_validator(mode="after")
    def _period(self) -> LandParcelCreate:
        _check_period(self.lease_start, self.lease_end, ("lease_start", "lease_end"))
        return self


class LandParcelUpdate(Strict):
    zone_id: Id | None = None
    code: Code | None = None
    geometry: Polygon = None
    area_m2: Area | None = None
    area_mu: Area | None = Field(None, description="the area in 亩 instead of area_m2 (1 亩 = 10000/15 m²)")
    land_use: str | None = Field(None, min_length=1, max_length=40)
    owner: str | None = Field(None, max_length=200)
    owner_en: str | None = Field(None, max_length=200)
    lease_start: dt.date | None = None
    lease_end: dt.date | None = None


class LandParcelRead(Read):
    park_id: int
    zone_id: int | None
    code: str
    geometry: dict[str, Any] | None
    area_m2: float
    area_mu: float | None = None
    land_use: str
    owner: str | None
    owner_en: str | None = None
    lease_start: dt.date | None
    lease_end: dt.date | None


# -- building ------------------------------------------------------------------------------------------------
class BuildingCreate(Strict):
    park_id: Id | None = None
    zone_id: Id | None = None
    parcel_id: Id | None = None
    code: Code
    name: Name
    name_en: Name | None = None
    footprint: Polygon = None
    floors: int = Field(1, ge=1, le=200)
    gross_floor_area_m2: Area | None = None
    use: str = Field(min_length=1, max_length=40)
    year_built: int | None = Field(None, ge=1900, le=2100)
    gigabit_fibre: bool = False
    coverage_5g: bool = False


class BuildingUpdate(Strict):
    zone_id: Id | None = None
    parcel_id: Id | None = None
    code: Code | None = None
    name: Name | None = None
    name_en: Name | None = None
    footprint: Polygon = None
    floors: int | None = Field(None, ge=1, le=200)
    gross_floor_area_m2: Area | None = None
    use: str | None = Field(None, min_length=1, max_length=40)
    year_built: int | None = Field(None, ge=1900, le=2100)
    gigabit_fibre: bool | None = None
    coverage_5g: bool | None = None


class BuildingRead(Read):
    park_id: int
    zone_id: int | None
    parcel_id: int | None
    code: str
    name: str
    name_en: str | None
    footprint: dict[str, Any] | None
    floors: int
    gross_floor_area_m2: float | None
    use: str
    year_built: int | None
    gigabit_fibre: bool
    coverage_5g: bool


# -- floor ---------------------------------------------------------------------------------------------------
class FloorCreate(Strict):
    building_id: Id
    level: int = Field(ge=-10, le=200)
    name: str | None = Field(None, max_length=100)
    area_m2: Area | None = None


class FloorUpdate(Strict):
    name: str | None = Field(None, max_length=100)
    area_m2: Area | None = None


class FloorRead(Read):
    park_id: int
    building_id: int
    level: int
    name: str | None
    area_m2: float | None


# -- room ----------------------------------------------------------------------------------------------------
class RoomCreate(Strict):
    floor_id: Id
    code: Code
    area_m2: Area
    use: str | None = Field(None, max_length=40)
    enterprise_id: Id | None = None
    lease_from: dt.date | None = None
    lease_to: dt.date | None = None

    @model_validator(mode="after")
    def _period(self) -> RoomCreate:
        _check_period(self.lease_from, self.lease_to, ("lease_from", "lease_to"))
        return self


class RoomUpdate(Strict):
    code: Code | None = None
    area_m2: Area | None = None
    use: str | None = Field(None, max_length=40)
    enterprise_id: Id | None = None
    lease_from: dt.date | None = None
    lease_to: dt.date | None = None


class RoomRead(Read):
    park_id: int
    building_id: int
    floor_id: int
    code: str
    area_m2: float
    use: str | None
    enterprise_id: int | None
    lease_from: dt.date | None
    lease_to: dt.date | None


# -- enterprise ----------------------------------------------------------------------------------------------
class EnterpriseCreate(Strict):
    park_id: Id | None = None
    name: Name
    name_en: Name | None = None
    uscc: USCC
    industry_code: IndustryCode
    above_scale: bool = False
    industrial: bool = False
    registered_capital_wan_yuan: float | None = Field(None, ge=0, lt=1e9)
    employees: int | None = Field(None, ge=0, le=10_000_000)
    established_on: dt.date | None = None
    contact_name: str | None = Field(None, max_length=100)
    contact_phone: str | None = Field(None, max_length=40, pattern=r"^[0-9+\-() ]{5,40}$")
    contact_email: str | None = Field(None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: str | None = Field(None, max_length=300)
    status: str = Field("active", pattern="^(active|moved_out|closed)$")


class EnterpriseUpdate(Strict):
    name: Name | None = None
    name_en: Name | None = None
    uscc: USCC | None = None
    industry_code: IndustryCode | None = None
    above_scale: bool | None = None
    industrial: bool | None = None
    registered_capital_wan_yuan: float | None = Field(None, ge=0, lt=1e9)
    employees: int | None = Field(None, ge=0, le=10_000_000)
    established_on: dt.date | None = None
    contact_name: str | None = Field(None, max_length=100)
    contact_phone: str | None = Field(None, max_length=40, pattern=r"^[0-9+\-() ]{5,40}$")
    contact_email: str | None = Field(None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: str | None = Field(None, max_length=300)
    status: str | None = Field(None, pattern="^(active|moved_out|closed)$")


class EnterpriseRead(Read):
    park_id: int
    name: str
    name_en: str | None
    uscc: str
    industry_code: str
    above_scale: bool
    industrial: bool
    registered_capital_wan_yuan: float | None
    employees: int | None
    established_on: dt.date | None
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    address: str | None
    status: str


# -- device --------------------------------------------------------------------------------------------------
class DeviceCreate(Strict):
    park_id: Id | None = None
    enterprise_id: Id | None = None
    code: Code
    name: Name
    name_en: Name | None = None
    kind: Kind
    model: str | None = Field(None, max_length=100)
    manufacturer: str | None = Field(None, max_length=100)
    protocol: str | None = Field(None, max_length=40)
    building_id: Id | None = None
    room_id: Id | None = None
    location: str | None = Field(None, max_length=200)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    installed_on: dt.date | None = None
    status: DeviceStatus = DeviceStatus.ACTIVE
    create_points: bool = Field(True, description="create the kind's points from the catalogue")


class DeviceUpdate(Strict):
    enterprise_id: Id | None = None
    name: Name | None = None
    name_en: Name | None = None
    model: str | None = Field(None, max_length=100)
    manufacturer: str | None = Field(None, max_length=100)
    protocol: str | None = Field(None, max_length=40)
    building_id: Id | None = None
    room_id: Id | None = None
    location: str | None = Field(None, max_length=200)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    installed_on: dt.date | None = None
    status: DeviceStatus | None = None


class DeviceRead(Read):
    park_id: int
    enterprise_id: int | None
    code: str
    name: str
    name_en: str | None = None
    kind: str
    model: str | None
    manufacturer: str | None
    protocol: str
    building_id: int | None
    room_id: int | None
    location: str | None
    lon: float | None
    lat: float | None
    installed_on: dt.date | None
    status: str
    token: str | None = Field(
        None,
        validation_alias="issued_token",
        description="the device token: only in the answer that creates the device (stored hashed, never shown again)",
    )


class DeviceTokenRead(BaseModel):
    device_id: int
    token: str


# -- point ---------------------------------------------------------------------------------------------------
class PointCreate(Strict):
    device_id: Id
    key: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9_]+$")
    name: Name
    quantity: str = Field(min_length=1, max_length=60)
    unit: Unit
    device_class: str = Field(min_length=1, max_length=60)
    state_class: str = Field("measurement", pattern="^(measurement|total_increasing)$")
    expected_interval_s: int = Field(60, ge=1, le=31 * 86400)
    valid_min: float | None = Field(None, allow_inf_nan=False)
    valid_max: float | None = Field(None, allow_inf_nan=False)
    description: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _range(self) -> PointCreate:
        if self.valid_min is not None and self.valid_max is not None and self.valid_max < self.valid_min:
            raise ValueError("valid_max must not be below valid_min")
        return self


class PointUpdate(Strict):
    name: Name | None = None
    unit: Unit | None = None
    device_class: str | None = Field(None, min_length=1, max_length=60)
    expected_interval_s: int | None = Field(None, ge=1, le=31 * 86400)
    valid_min: float | None = Field(None, allow_inf_nan=False)
    valid_max: float | None = Field(None, allow_inf_nan=False)
    description: str | None = Field(None, max_length=2000)


class PointRead(Read):
    park_id: int
    enterprise_id: int | None
    device_id: int
    key: str
    name: str
    quantity: str
    unit: str
    device_class: str
    state_class: str
    expected_interval_s: int
    valid_min: float | None
    valid_max: float | None
    description: str | None
