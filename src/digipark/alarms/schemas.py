"""Input and output of the alarm domain."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SeverityCode = Literal["info", "minor", "major", "critical"]
Id = Field(ge=1, le=2**31 - 1)


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleCreate(_Rule):
    """A rule: `conditions` (see docs/alarms.md) and a target — `point_id`, or `device_class` (optionally with
    `quantity`) narrowed to a `zone_id`, `building_id` or `target_enterprise_id` (none of them: the whole park)."""

    park_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    key: str | None = Field(default=None, min_length=1, max_length=120)
    name: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200, description="the rule's name on English pages")
    description: str | None = Field(default=None, max_length=5000)
    severity: SeverityCode
    conditions: list[dict[str, Any]] = Field(min_length=1, max_length=5)
    enabled: bool = True
    point_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    device_class: str | None = Field(default=None, min_length=1, max_length=60)
    quantity: str | None = Field(default=None, min_length=1, max_length=60)
    zone_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    building_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    target_enterprise_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    escalate_after_s: int | None = Field(default=None, ge=10, le=7 * 86400)
    flap_window_s: int | None = Field(default=None, ge=10, le=86400)
    flap_max: int | None = Field(default=None, ge=1, le=100)


class RuleUpdate(_Rule):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    severity: SeverityCode | None = None
    conditions: list[dict[str, Any]] | None = Field(default=None, min_length=1, max_length=5)
    enabled: bool | None = None
    escalate_after_s: int | None = Field(default=None, ge=10, le=7 * 86400)
    flap_window_s: int | None = Field(default=None, ge=10, le=86400)
    flap_max: int | None = Field(default=None, ge=1, le=100)


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    enterprise_id: int | None
    key: str | None
    name: str
    name_en: str | None
    description: str | None
    kind: str
    severity: str
    conditions: list[dict[str, Any]]
    enabled: bool
    point_id: int | None
    device_class: str | None
    quantity: str | None
    zone_id: int | None
    building_id: int | None
    target_enterprise_id: int | None
    escalate_after_s: int
    flap_window_s: int
    flap_max: int
    created_at: dt.datetime
    updated_at: dt.datetime


class AlarmRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    enterprise_id: int | None
    rule_id: int
    point_id: int | None
    device_id: int | None
    zone_id: int | None
    building_id: int | None
    severity: str
    state: str
    message: str
    message_en: str | None
    trigger_ts: int
    trigger_value: float | None
    last_value: float | None
    raised_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    cleared_at: dt.datetime | None
    closed_at: dt.datetime | None
    closed_by: str | None
    comment: str | None
    occurrences: int
    flapping: bool
    escalation_level: int


class AlarmEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    action: str
    actor: str
    comment: str | None
    value: float | None


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int | None
    channel: str
    address: str
    level: int
    reason: str
    status: str
    error: str | None
    at: dt.datetime


class AlarmDetail(AlarmRead):
    duration_s: float = Field(description="raised until cleared (or until now while active)")
    events: list[AlarmEventRead]
    deliveries: list[DeliveryRead] = Field(description="only for staff")


class AlarmAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(default=None, max_length=2000)


class AlarmCount(BaseModel):
    zone_id: int | None
    building_id: int | None
    enterprise_id: int | None
    severity: str
    count: int


class AlarmStats(BaseModel):
    park_id: int
    active: dict[str, int] = Field(description="raised or acknowledged alarms by severity")
    unacknowledged: int
    open: int = Field(description="not closed yet")
    raised_last_24h: int
    mean_duration_s_last_30d: float | None = Field(description="raised until cleared, alarms cleared in 30 days")
    by_area: list[AlarmCount]


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    park_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    name: str = Field(min_length=1, max_length=200)
    channel: Literal["email", "webhook", "dingtalk", "wecom", "feishu", "sms"]
    address: str = Field(min_length=3, max_length=500)
    secret: str | None = Field(default=None, min_length=8, max_length=200)
    min_severity: SeverityCode = "minor"
    level: int = Field(default=0, ge=0, le=9)
    enterprise_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    active: bool = True


class ContactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, min_length=3, max_length=500)
    secret: str | None = Field(default=None, min_length=8, max_length=200)
    min_severity: SeverityCode | None = None
    level: int | None = Field(default=None, ge=0, le=9)
    active: bool | None = None


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    name: str
    channel: str
    address: str
    has_secret: bool
    min_severity: str
    level: int
    enterprise_id: int | None
    active: bool
