"""Input and output of dashboards, report subscriptions, their delivery log and push subscriptions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from digipark.dashboards.spec import DashboardSpec

RoleName = Literal["park_admin", "operator", "enterprise", "reviewer"]
Format = Literal["pdf", "xlsx"]
RobotChannel = Literal["dingtalk", "wecom", "feishu"]
ParamValue = Annotated[int, Field(ge=1, le=2**31 - 1)]
Email = Annotated[str, Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class DashboardCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    park_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    name: str = Field(min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    spec: DashboardSpec = Field(default_factory=DashboardSpec)
    shared_roles: list[RoleName] = Field(default_factory=list, max_length=5)


class DashboardUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    spec: DashboardSpec | None = None
    shared_roles: list[RoleName] | None = Field(default=None, max_length=5)


class DashboardRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    park_id: int
    name: str
    description: str | None
    spec: dict[str, Any]
    shared_roles: list[str]
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    park_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    name: str = Field(min_length=1, max_length=120)
    report: str = Field(min_length=1, max_length=40)
    params: dict[str, ParamValue] = Field(default_factory=dict, max_length=4)
    formats: list[Format] = Field(min_length=1, max_length=2)
    language: Literal["zh", "en"] = "zh"
    cron: str = Field(min_length=9, max_length=120)
    working_days_only: bool = False
    emails: list[Email] = Field(default_factory=list, max_length=20)
    robot_channel: RobotChannel | None = None
    robot_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")
    robot_secret: str | None = Field(default=None, max_length=200)
    active: bool = True


class SubscriptionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=120)
    params: dict[str, ParamValue] | None = Field(default=None, max_length=4)
    formats: list[Format] | None = Field(default=None, min_length=1, max_length=2)
    language: Literal["zh", "en"] | None = None
    cron: str | None = Field(default=None, min_length=9, max_length=120)
    working_days_only: bool | None = None
    emails: list[Email] | None = Field(default=None, max_length=20)
    robot_channel: RobotChannel | None = None
    robot_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")
    robot_secret: str | None = Field(default=None, max_length=200)
    active: bool | None = None


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    park_id: int
    name: str
    report: str
    params: dict[str, Any]
    formats: list[str]
    language: str
    cron: str
    working_days_only: bool
    emails: list[str]
    robot_channel: str | None
    robot_url: str | None
    active: bool
    subscriber: str | None
    next_run_at: dt.datetime | None


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    subscription_id: int
    scheduled_for: dt.datetime
    status: str
    attempts: int
    next_try_at: dt.datetime | None
    last_error: str | None
    files: list[str]
    sent_at: dt.datetime | None


class PushKeys(BaseModel):
    model_config = ConfigDict(extra="ignore")
    p256dh: str = Field(min_length=16, max_length=200)
    auth: str = Field(min_length=8, max_length=100)


class PushSubscriptionIn(BaseModel):
    """What `PushSubscription.toJSON()` gives in the browser."""

    model_config = ConfigDict(extra="ignore")
    endpoint: str = Field(min_length=10, max_length=1000, pattern=r"^https?://")
    keys: PushKeys


class ImportResult(BaseModel):
    id: int
    name: str
