"""Input and output of the devices module's API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from digipark.core.bounds import RowId


class CommandCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: RowId
    name: str = Field(min_length=1, max_length=60)
    params: dict[str, Any] = Field(default_factory=dict, max_length=20)
    reason: str = Field(min_length=1, max_length=500, description="why (kept with who asked, in the audit log)")
    incident_id: RowId | None = None
    alarm_id: RowId | None = None
    idempotency_key: str | None = Field(None, min_length=1, max_length=80)


class CommandConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool = True


class CommandRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    enterprise_id: int | None
    device_id: int
    name: str
    params: dict[str, Any]
    channel: str
    state: str
    reason: str
    requested_by: str
    safety: bool
    confirmed_by: str | None
    incident_id: int | None
    alarm_id: int | None
    idempotency_key: str | None
    attempts: int
    max_attempts: int
    expires_at: dt.datetime
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None
    finished_at: dt.datetime | None
    result: dict[str, Any] | None
    error: str | None
    created_at: dt.datetime


class DeviceCommandOut(BaseModel):
    """A command as an HTTP long-poll device receives it."""

    id: int
    name: str
    params: dict[str, Any]
    expires_ms: int


class CommandAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: str = Field(pattern="^(delivered|succeeded|failed)$")
    result: dict[str, Any] | None = None
    error: str | None = Field(None, max_length=500)


class AnswerResult(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    state: str


class ConnectionRead(BaseModel):
    """How a field-protocol connector reaches a device, and how that went (its health for this device)."""

    model_config = ConfigDict(from_attributes=True)

    protocol: str
    address: str
    profile: str | None
    active: bool
    last_ok_at: dt.datetime | None = Field(description="when the connector last read (or heard from) the device")
    last_error: str | None = Field(description="why the connector cannot read the device now; null: it can")


class ProvisioningKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    kind: str = Field(min_length=1, max_length=40, description="device kind of the catalogue the key's devices get")
    max_devices: int = Field(100, ge=1, le=100_000)
    enterprise_id: int | None = Field(None, ge=1, le=2**31 - 1)
    park_id: int | None = Field(None, ge=1, le=2**31 - 1)


class ProvisioningKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    enterprise_id: int | None
    name: str
    key: str
    kind: str
    profile_key: str | None = None
    max_devices: int
    devices_made: int
    active: bool
    created_by: str


class ProvisioningKeyIssued(ProvisioningKeyRead):
    secret: str = Field(description="shown once: only its digest is kept")


class ProvisionRequest(BaseModel):
    """ThingsBoard's provisioning request body."""

    model_config = ConfigDict(extra="forbid")

    deviceName: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$")
    provisionDeviceKey: str = Field(min_length=1, max_length=40)
    provisionDeviceSecret: str = Field(min_length=1, max_length=100)


class ProvisionResponse(BaseModel):
    """ThingsBoard's answer: the device's own access token, given once."""

    status: str = "SUCCESS"
    credentialsType: str = "ACCESS_TOKEN"
    credentialsValue: str
    deviceId: int


class DeviceClaimRequest(BaseModel):
    """ThingsBoard's device-side claiming body: the device's own claim secret and how long it holds."""

    secretKey: str = Field(min_length=1, max_length=64)
    durationMs: int | None = Field(None, ge=1, le=90 * 86_400_000, description="at most 90 days; default a day")
