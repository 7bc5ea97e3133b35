"""Input and output of the cybersec module."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from digipark.cybersec.models import (
    CheckStatus,
    ComputeKind,
    DataLevel,
    ElementKind,
    ElementStatus,
    FilingStatus,
    IcsKind,
)

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Amount = Annotated[float, Field(ge=0, le=1e9)]
Technology = Annotated[str, StringConstraints(pattern=r"^(fibre_gigabit|fibre_10g|5g|5g_a|wifi|ethernet)$")]
Category = Annotated[str, StringConstraints(pattern=r"^(connected_industrial|platform|identifier_resolution)$")]
Severity = Annotated[str, StringConstraints(pattern=r"^(critical|major|minor|info)$")]
IpText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=45)]
EventKind = Annotated[
    str,
    StringConstraints(pattern=r"^(auth_failure|auth_success|connection|connection_denied|dns_query|malware|other)$"),
]
_OWNED = "the enterprise it belongs to; an enterprise user's own by default"
_READ = ConfigDict(from_attributes=True)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- infrastructure ------------------------------------------------------------------------------------------------
class NetworkElementCreate(_In):
    code: Code
    name: Name
    kind: ElementKind
    technology: Technology
    building_id: Id
    floor_level: Annotated[int, Field(ge=-10, le=200)] | None = None
    operator_name: Short | None = None
    bandwidth_mbps: Annotated[float, Field(ge=0, le=1e7)] | None = None
    status: ElementStatus = ElementStatus.IN_SERVICE
    in_service_on: dt.date | None = None
    park_id: Id | None = None


class NetworkElementUpdate(_In):
    name: Name | None = None
    kind: ElementKind | None = None
    technology: Technology | None = None
    building_id: Id | None = None
    floor_level: Annotated[int, Field(ge=-10, le=200)] | None = None
    operator_name: Short | None = None
    bandwidth_mbps: Annotated[float, Field(ge=0, le=1e7)] | None = None
    status: ElementStatus | None = None
    in_service_on: dt.date | None = None


class NetworkElementRead(BaseModel):
    model_config = _READ
    id: int
    park_id: int
    code: str
    name: str
    kind: str
    technology: str
    building_id: int
    floor_level: int | None
    operator_name: str | None
    bandwidth_mbps: float | None
    status: str
    in_service_on: dt.date | None


class ComputeResourceCreate(_In):
    code: Code
    name: Name
    name_en: Name | None = Field(None, description="the name on English pages")
    kind: ComputeKind
    building_id: Id | None = None
    capacity: Amount
    racks: Annotated[int, Field(ge=0, le=100000)] | None = None
    accelerators: Annotated[int, Field(ge=0, le=10000000)] | None = None
    edge: bool = False
    park_id: Id | None = None


class ComputeResourceUpdate(_In):
    name: Name | None = None
    name_en: Name | None = None
    building_id: Id | None = None
    capacity: Amount | None = None
    racks: Annotated[int, Field(ge=0, le=100000)] | None = None
    accelerators: Annotated[int, Field(ge=0, le=10000000)] | None = None
    edge: bool | None = None


class ComputeResourceRead(BaseModel):
    model_config = _READ
    id: int
    park_id: int
    code: str
    name: str
    name_en: str | None
    kind: str
    building_id: int | None
    capacity: float
    racks: int | None
    accelerators: int | None
    edge: bool


class AllocationCreate(_In):
    resource_id: Id
    amount: Amount
    starts_on: dt.date
    ends_on: dt.date | None = None
    enterprise_id: Id | None = Field(None, description=_OWNED)
    park_id: Id | None = None


class AllocationUpdate(_In):
    amount: Amount | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class AllocationRead(BaseModel):
    model_config = _READ
    id: int
    park_id: int
    enterprise_id: int | None
    resource_id: int
    amount: float
    starts_on: dt.date
    ends_on: dt.date | None


# -- security records -----------------------------------------------------------------------------------------------
class GradingCreate(_In):
    category: Category
    grade: Annotated[int, Field(ge=1, le=3)]
    protection_level: Annotated[int, Field(ge=1, le=5)]
    system_name: Name
    graded_on: dt.date
    evidence: Text
    checklist: dict[Annotated[str, StringConstraints(max_length=40)], CheckStatus] | None = None
    enterprise_id: Id | None = Field(None, description=_OWNED)
    park_id: Id | None = None


class GradingUpdate(_In):
    category: Category | None = None
    grade: Annotated[int, Field(ge=1, le=3)] | None = None
    protection_level: Annotated[int, Field(ge=1, le=5)] | None = None
    system_name: Name | None = None
    graded_on: dt.date | None = None
    evidence: Text | None = None
    checklist: dict[Annotated[str, StringConstraints(max_length=40)], CheckStatus] | None = None


class GradingRead(BaseModel):
    model_config = _READ
    id: int
    park_id: int
    enterprise_id: int | None
    category: str
    grade: int
    protection_level: int
    system_name: str
    graded_on: dt.date
    evidence: str
    checklist: dict[str, Any]


class DataItemCreate(_In):
    name: Name
    description: Text | None = None
    domain: Short | None = None
    level: DataLevel
    filing_status: FilingStatus | None = None
    filed_on: dt.date | None = None
    export_allowed: bool = False
    enterprise_id: Id | None = Field(None, description=_OWNED)
    park_id: Id | None = None


class DataItemUpdate(_In):
    name: Name | None = None
    description: Text | None = None
    domain: Short | None = None
    level: DataLevel | None = None
    filing_status: FilingStatus | None = None
    filed_on: dt.date | None = None
    export_allowed: bool | None = None


class DataItemRead(BaseModel):
    model_config = _READ
    id: int
    park_id: int
    enterprise_id: int | None
    name: str
    description: str | None
    domain: str | None
    level: str
    filing_status: str
    filed_on: dt.date | None
    export_allowed: bool


class IcsAssetCreate(_In):
    name: Name
    name_en: Name | None = Field(None, description="the name on English pages")
    kind: IcsKind
    vendor: Short
    model: Short
    firmware: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    ip_address: IpText | None = None
    building_id: Id | None = None
    enterprise_id: Id | None = Field(None, description=_OWNED)
    park_id: Id | None = None


class IcsAssetUpdate(_In):
    name: Name | None = None
    name_en: Name | None = None
    kind: IcsKind | None = None
    vendor: Short | None = None
    model: Short | None = None
    firmware: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)] | None = None
    ip_address: IpText | None = None
    building_id: Id | None = None


class IcsAssetRead(BaseModel):
    model_config = _READ
    id: int
    park_id: int
    enterprise_id: int | None
    name: str
    name_en: str | None
    kind: str
    vendor: str
    model: str
    firmware: str
    ip_address: str | None
    building_id: int | None


class AdvisoryCreate(_In):
    ident: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=60)]
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    title_en: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = Field(
        None, description="the title on English pages"
    )
    vendor: Short
    model_pattern: Short
    affected: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    fixed_version: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = None
    severity: Severity
    published_on: dt.date | None = None
    source: Short | None = None
    park_id: Id | None = None


class AdvisoryUpdate(_In):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)] | None = None
    title_en: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    affected: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    fixed_version: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = None
    severity: Severity | None = None


class AdvisoryRead(BaseModel):
    model_config = _READ
    id: int
    park_id: int
    ident: str
    title: str
    title_en: str | None
    vendor: str
    model_pattern: str
    affected: str
    fixed_version: str | None
    severity: str
    published_on: dt.date | None
    source: str | None


class AdvisoryImport(_In):
    """Advisories of a feed, as rows of JSON (the CSV upload has the same columns)."""

    advisories: Annotated[list[AdvisoryCreate], Field(min_length=1, max_length=5000)]
    park_id: Id | None = None


class ImportResult(BaseModel):
    created: int
    updated: int


class AdvisoryMatch(BaseModel):
    asset_id: int
    asset: str
    asset_en: str | None = None
    enterprise_id: int | None
    vendor: str
    model: str
    firmware: str
    advisory_id: int
    advisory: str
    title: str
    title_en: str | None = None
    severity: str
    fixed_version: str | None


class BadAddressImport(_In):
    list_name: Short
    networks: Annotated[list[Annotated[str, StringConstraints(max_length=50)]], Field(min_length=1, max_length=50000)]
    park_id: Id | None = None


# -- events and incidents ------------------------------------------------------------------------------------------
class EventIn(_In):
    at: dt.datetime | None = Field(None, description="when it happened (2000–2099); default: when received")
    sensor: Short
    kind: EventKind
    src_ip: IpText | None = None
    dst_ip: IpText | None = None
    dst_port: Annotated[int, Field(ge=0, le=65535)] | None = None
    username: Annotated[str, StringConstraints(max_length=120)] | None = None
    message: Annotated[str, StringConstraints(max_length=500)] | None = None
    enterprise_id: Id | None = None

    @field_validator("at")
    @classmethod
    def _plausible(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and not 2000 <= value.year <= 2099:
            raise ValueError("a time between 2000 and 2099")
        return value


class EventBatch(_In):
    events: Annotated[list[EventIn], Field(min_length=1, max_length=10000)]
    park_id: Id | None = None


class SyslogBatch(_In):
    lines: Annotated[list[Annotated[str, StringConstraints(max_length=4000)]], Field(min_length=1, max_length=10000)]
    park_id: Id | None = None


class IngestResult(BaseModel):
    events: int
    incidents_opened: int
    incidents_updated: int


class EventRead(BaseModel):
    model_config = _READ
    id: int
    park_id: int
    enterprise_id: int | None
    at: dt.datetime
    sensor: str
    kind: str
    src_ip: str | None
    dst_ip: str | None
    dst_port: int | None
    username: str | None
    message: str | None
    incident_id: int | None


class IncidentRead(BaseModel):
    model_config = _READ
    id: int
    park_id: int
    enterprise_id: int | None
    rule: str
    key: str
    severity: str
    status: str
    first_at: dt.datetime
    last_at: dt.datetime
    events: int
    summary: str
    alarm_id: int | None
    safety_incident_id: int | None = None
    closed_at: dt.datetime | None


class BuildingCoverage(BaseModel):
    building_id: int
    building: str
    building_en: str | None = None  # its code and English name
    gigabit_fibre: bool
    fibre_10g: bool
    coverage_5g: bool
    coverage_5g_a: bool
    floors_5g: list[int]
    bandwidth_mbps: float
    double_gigabit: bool


class ComputeUse(BaseModel):
    resource_id: int
    code: str
    name: str
    name_en: str | None = None
    kind: str
    unit: str
    capacity: float
    allocated: float
    utilisation: float | None
    enterprises: int


class InfrastructureRead(BaseModel):
    park_id: int
    source: str  # "inventory" or "registry" (the buildings' declared flags, without a network inventory)
    buildings: list[BuildingCoverage]
    double_gigabit_share: float | None
    compute: list[ComputeUse]
    compute_enterprises: int
