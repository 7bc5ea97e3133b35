"""Input and output of automation rules, scenes, firings, energy plans, meter replacements and bills."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from digipark.automation.logic import masked
from digipark.automation.models import Apportionment

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Quantity = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]


class SceneCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    actions: list[dict[str, Any]] = Field(description="actions (automation/logic.py); no scene inside a scene")
    park_id: Id | None = Field(None, description="the park it is for; default: your own")


class SceneUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    actions: list[dict[str, Any]] | None = None


class SceneRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    name: str
    description: str | None
    actions: list[dict[str, Any]]
    created_at: dt.datetime
    updated_at: dt.datetime

    @field_validator("actions")
    @classmethod
    def _mask(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return masked(value)


class RuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    trigger: dict[str, Any] = Field(description="reading | schedule | alarm_raised | event (automation/logic.py)")
    conditions: dict[str, Any] | None = None
    actions: list[dict[str, Any]]
    scene_id: Id | None = None
    park_id: Id | None = Field(None, description="the park it is for; default: your own")


class RuleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    trigger: dict[str, Any] | None = None
    conditions: dict[str, Any] | None = None
    actions: list[dict[str, Any]] | None = None


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    name: str
    trigger: dict[str, Any]
    conditions: dict[str, Any] | None
    actions: list[dict[str, Any]]
    enabled: bool
    scene_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @field_validator("actions")
    @classmethod
    def _mask(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return masked(value)


class FiringRead(BaseModel):
    rule_id: int
    ts: int
    at: dt.datetime
    inputs: dict[str, Any]
    actions: list[dict[str, Any]]


class DryRunRead(BaseModel):
    rule_id: int
    from_ms: int
    to_ms: int
    firings: list[FiringRead]


class PlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: Annotated[int, Field(ge=2000, le=2100)]
    carrier: Annotated[str, StringConstraints(min_length=1, max_length=30)] = "electricity"
    quota: Quantity
    weights: Annotated[list[Annotated[float, Field(ge=0, le=1e6)]], Field(max_length=12)] = []
    enterprise_id: Id | None = None
    building_id: Id | None = None
    park_id: Id | None = Field(None, description="the park it is for; default: your own")


class PlanUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quota: Quantity | None = None
    weights: Annotated[list[Annotated[float, Field(ge=0, le=1e6)]], Field(max_length=12)] | None = None


class PlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    enterprise_id: int | None
    building_id: int | None
    year: int
    carrier: str
    quota: float
    weights: list[float]


class ProgressRead(BaseModel):
    plan: PlanRead
    months: int
    plan_months: list[float]
    actual_months: list[float]
    plan_to_date: float
    actual_to_date: float
    projected: float
    share_of_year: float
    warnings: list[str]


class ReplacementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meter_id: Id
    replaced_at: dt.datetime
    old_final: Quantity
    new_initial: Quantity
    note: Annotated[str, StringConstraints(max_length=300)] | None = None
    park_id: Id | None = None


class ReplacementUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    old_final: Quantity | None = None
    new_initial: Quantity | None = None
    note: Annotated[str, StringConstraints(max_length=300)] | None = None


class ReplacementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    meter_id: int
    replaced_at: dt.datetime
    old_final: float
    new_initial: float
    note: str | None


class BillingSettingWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shared_meter_id: Id | None = None
    method: Apportionment = Apportionment.AREA
    areas: dict[str, Annotated[float, Field(ge=0, le=1e8)]] = Field(default_factory=dict, max_length=5000)


class BillLineRead(BaseModel):
    meter_id: int
    name: str
    name_en: str | None = None
    start_reading: float | None
    end_reading: float | None
    replaced_at: dt.datetime | None
    old_final: float | None
    new_initial: float | None
    kwh: dict[str, float]
    amount: dict[str, float]
    total_kwh: float
    total_amount: float


class BillRead(BaseModel):
    enterprise_id: int
    enterprise_name: str
    enterprise_name_en: str | None = None
    month: dt.date
    tariff: str
    prices: dict[str, float]
    method: str
    lines: list[BillLineRead]
    metered_kwh: float
    metered_amount: float
    shared_share: float
    shared_kwh: float
    shared_amount: float
    total_amount: float
