"""Input and output of the data space."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from digipark.dataspace.models import CollectionSource, IdentifierKind, Source

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[a-z_]+$")]
ColumnName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Ident = Annotated[int, Field(ge=1, le=2**31 - 1)]

PURPOSES = ("energy_benchmarking", "carbon_accounting", "supply_chain", "maintenance", "research")
PurposeCode = Annotated[str, StringConstraints(pattern="^(" + "|".join(PURPOSES) + ")$")]


JsonSafeInt = Annotated[int, Field(ge=-(2**53), le=2**53)]
"""An integer every JSON reader holds exactly (an identifier's attribute values are read by other systems)."""


class ProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Text200
    title_en: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] = ""
    source: Source
    dataset_id: Ident | None = None
    year: Annotated[int, Field(ge=2000, le=2100)] | None = None
    columns: Annotated[list[ColumnName], Field(min_length=1, max_length=50)]
    purposes: Annotated[list[PurposeCode], Field(min_length=1, max_length=len(PURPOSES))]
    max_accesses: Annotated[int, Field(ge=1, le=10000)] = 10
    max_days: Annotated[int, Field(ge=1, le=3660)] = 365


class ProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    enterprise_id: int | None
    title: str
    title_en: str | None = None
    description: str
    source: str
    dataset_id: int | None
    year: int | None
    columns: list[str]
    purposes: list[str]
    max_accesses: int
    max_days: int
    active: bool
    published_by: str
    created_at: dt.datetime


class ContractRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purposes: Annotated[list[PurposeCode], Field(min_length=1, max_length=len(PURPOSES))]
    days: Annotated[int, Field(ge=1, le=3660)]
    max_accesses: Annotated[int, Field(ge=1, le=10000)]


class ContractRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    product_id: int
    provider_enterprise_id: int | None
    consumer_enterprise_id: int
    state: str
    policy: dict[str, Any]
    days: int
    accesses: int
    requested_by: str
    decided_by: str | None
    decided_at: dt.datetime | None
    revoked_at: dt.datetime | None
    created_at: dt.datetime


class AccessRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: PurposeCode


class AccessRead(BaseModel):
    contract_id: int
    columns: list[str]
    rows: list[list[Any]]
    remaining: int
    delete_after_use: bool
    no_onward_transfer: bool


class LedgerEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    kind: str
    at: dt.datetime
    actor: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class LedgerRead(BaseModel):
    contract_id: int
    intact: bool
    broken_at: int | None
    head: str | None
    entries: list[LedgerEntryRead]


class DatasetImport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text200
    rows: Annotated[list[dict[str, Any]], Field(max_length=10000)]
    rules: Annotated[list[dict[str, Any]], Field(max_length=50)] = []


class DatasetDerive(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text200
    inputs: Annotated[list[Ident], Field(min_length=1, max_length=20)]
    rules: Annotated[list[dict[str, Any]], Field(max_length=50)] = []


class DatasetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    enterprise_id: int | None
    name: str
    version: int
    columns: list[str]
    row_count: int
    rejected: list[dict[str, Any]]
    derived_from: list[int]
    job: dict[str, Any]
    created_at: dt.datetime


class LineageNode(BaseModel):
    id: int
    name: str
    derived_from: list[int]
    job: dict[str, Any]


class IdentifierCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    handle: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    kind: IdentifierKind
    name: Text200
    attributes: Annotated[dict[str, str | JsonSafeInt | float | bool | None], Field(max_length=50)] = {}
    device_id: Ident | None = None
    target_url: Annotated[str, StringConstraints(max_length=500, pattern=r"^https?://\S+$")] | None = None
    enterprise_id: Ident | None = None


class IdentifierRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    enterprise_id: int | None
    handle: str
    prefix: str
    kind: str
    name: str
    attributes: dict[str, Any]
    device_id: int | None
    target_url: str | None
    resolutions: int


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purposes: Annotated[list[PurposeCode], Field(min_length=1, max_length=len(PURPOSES))]
    daily_quota: Annotated[int, Field(ge=1, le=100_000)] = 100


class KeyCreated(BaseModel):
    id: int
    key: str
    hint: str
    purposes: list[str]
    daily_quota: int


class JobCreate(BaseModel):
    """A collection job: its source (and what the source needs), cleaning rules, and its schedule — a five-field
    cron expression (in the park's time zone) or every so many minutes; neither: run by hand only."""

    model_config = ConfigDict(extra="forbid")

    name: Text200
    source: CollectionSource
    rules: Annotated[list[dict[str, Any]], Field(max_length=50)] = []
    cron: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    every_minutes: Annotated[int, Field(ge=1, le=525_600)] | None = None
    active: bool = True
    dataset_id: Ident | None = Field(None, description="table: a dataset of yours")
    energy_year: Annotated[int, Field(ge=2000, le=2100)] | None = Field(
        None, description="table: your enterprise's monthly energy and carbon of that year"
    )
    rows: Annotated[list[dict[str, Any]], Field(max_length=10000)] | None = Field(
        None, description="upload: the rows of the CSV or Excel file"
    )
    url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = Field(
        None, description="http: the address answering a JSON array (or CSV)"
    )
    format: Annotated[str, StringConstraints(pattern="^(json|csv)$")] = "json"
    items: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = Field(
        None, description="http, JSON: the dotted path of the array in the answer (e.g. data.items)"
    )
    authorization: Annotated[str, StringConstraints(max_length=1000)] | None = Field(
        None, description="http: the Authorization header sent (kept secret)"
    )
    connection: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = Field(
        None, description="database: a postgresql:// address (kept secret)"
    )
    query: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10000)] | None = Field(
        None, description="database: one SELECT statement"
    )


class JobUpdate(BaseModel):
    """What changes of a job: name, rules, schedule, active (None: unchanged; `clear_schedule`: by hand only)."""

    model_config = ConfigDict(extra="forbid")

    name: Text200 | None = None
    rules: Annotated[list[dict[str, Any]], Field(max_length=50)] | None = None
    cron: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    every_minutes: Annotated[int, Field(ge=1, le=525_600)] | None = None
    clear_schedule: bool = False
    active: bool | None = None


class RunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    job_id: int
    window: dt.datetime
    trigger: str
    state: str
    stage: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    rows_read: int
    rows_kept: int
    rows_rejected: int
    dataset_id: int | None
    error: str | None


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    enterprise_id: int | None
    name: str
    source: str
    config: dict[str, Any]
    rules: list[Any]
    cron: str | None
    every_minutes: int | None
    active: bool
    next_run_at: dt.datetime | None
    last_run_at: dt.datetime | None
    created_by: str
