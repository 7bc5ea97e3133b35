"""Commands sent to devices and the field-protocol bindings of devices (HJ 212 station, Modbus TCP source)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin
from digipark.core.tenancy import Audited, EnterpriseScoped


class CommandState(enum.StrEnum):
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # a safety command before a second person confirms it
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    REFUSED = "refused"  # the second person refused it


OPEN_STATES = (
    CommandState.AWAITING_CONFIRMATION.value,
    CommandState.QUEUED.value,
    CommandState.SENT.value,
    CommandState.DELIVERED.value,
)


class Channel(enum.StrEnum):
    MQTT = "mqtt"  # native: digipark/v1/<token>/downlink/command/<id>, reply digipark/v1/<token>/reply/<id>
    THINGSBOARD = "thingsboard"  # v1/devices/me/rpc/request/<id>, reply v1/devices/me/rpc/response/<id>
    HTTP = "http"  # long-poll GET /api/v1/devices/{token}/commands, result POSTed back
    MODBUS = "modbus"  # written to registers by the Modbus connector
    OPCUA = "opcua"  # a method call by the OPC UA connector
    HJ212 = "hj212"  # an HJ 212 request (CN 1062, 1012…) on the data collector's connection, answered 9011/9012


class DeviceCommand(Audited, TimestampMixin, EnterpriseScoped, Base):
    """One command to one device, from the request to its outcome; owned as its device is."""

    __tablename__ = "device_command"
    __table_args__ = (
        UniqueConstraint("device_id", "idempotency_key"),
        Index("ix_device_command_state_next", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    channel: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(24), default=CommandState.QUEUED.value)
    reason: Mapped[str] = mapped_column(String(500), doc="why it was sent (audited with who)")
    requested_by: Mapped[str] = mapped_column(String(120))
    requested_by_id: Mapped[int | None] = mapped_column(Integer)
    safety: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed_by: Mapped[str | None] = mapped_column(String(120))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column()
    incident_id: Mapped[int | None] = mapped_column(Integer, index=True, doc="the incident that prompted it")
    alarm_id: Mapped[int | None] = mapped_column(Integer, index=True, doc="the alarm that prompted it")
    idempotency_key: Mapped[str | None] = mapped_column(String(80))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    retry_after_s: Mapped[int] = mapped_column(Integer, default=10)
    expires_at: Mapped[dt.datetime] = mapped_column()
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column()
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    delivered_at: Mapped[dt.datetime | None] = mapped_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class BindingProtocol(enum.StrEnum):
    HJ212 = "hj212"
    MODBUS = "modbus"
    OPCUA = "opcua"
    BACNET = "bacnet"
    DLT645 = "dlt645"


class DeviceBinding(Audited, TimestampMixin, EnterpriseScoped, Base):
    """How a field-protocol connector reaches a device: an HJ 212 data collector by its MN (and the digest of its
    PW), or a Modbus TCP server by host, port, unit id and a register map of `data/modbus_maps.yaml`."""

    __tablename__ = "device_binding"
    __table_args__ = (UniqueConstraint("protocol", "address", "unit_id"),)
    __audit_exclude__ = frozenset({"secret_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), index=True)
    protocol: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(120), doc="HJ 212: the MN; Modbus: host:port")
    unit_id: Mapped[int] = mapped_column(Integer, default=0, doc="Modbus unit (slave) id; 0 for HJ 212")
    secret_hash: Mapped[str | None] = mapped_column(String(64), doc="HJ 212: SHA-256 of the PW")
    profile: Mapped[str | None] = mapped_column(String(60), doc="Modbus: the register map's name")
    poll_interval_s: Mapped[int] = mapped_column(Integer, default=60)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_ok_at: Mapped[dt.datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(500))


class ProvisioningKey(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A provisioning key of a park (or of one enterprise): a device presenting the key, its secret and a name
    is created with the key's device kind and receives its own token once (ThingsBoard's device provisioning).
    The secret is kept as its SHA-256 digest; `max_devices` bounds how many devices the key makes."""

    __tablename__ = "provisioning_key"
    __audit_exclude__ = frozenset({"secret_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(40), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40), doc="the device kind of the devices it makes")
    profile_key: Mapped[str | None] = mapped_column(String(40), doc="the park's device profile they are made with")
    max_devices: Mapped[int] = mapped_column(Integer, default=100)
    devices_made: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(120))
