"""Device profiles (a park's editable, versioned device kinds), which version each device is on, and claim codes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin
from digipark.core.tenancy import Audited, EnterpriseScoped, ParkScoped


class DeviceProfile(Audited, TimestampMixin, ParkScoped, Base):
    """One version of a park's device profile: the points (units, valid ranges), the commands and the Modbus
    register map of a kind of device. A version is never changed: an edit adds the next version."""

    __tablename__ = "device_profile"
    __table_args__ = (UniqueConstraint("park_id", "key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40), doc="the catalogue's device kind the devices of it are")
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    protocol: Mapped[str] = mapped_column(String(20))
    points: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    commands: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    register_map: Mapped[dict[str, Any] | None] = mapped_column(JSON, doc="Modbus: registers and command writes")
    note: Mapped[str] = mapped_column(String(500), default="", doc="what this version changed")
    created_by: Mapped[str] = mapped_column(String(120))


class DeviceProfileUse(Audited, TimestampMixin, EnterpriseScoped, Base):
    """The profile version a device is on (set when it is provisioned, moved when a new version is applied); a
    device without one is on its kind's catalogue entry."""

    __tablename__ = "device_profile_use"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), unique=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("device_profile.id", ondelete="RESTRICT"), index=True)


class DeviceClaim(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A claim code of a park's device: an enterprise presenting the device's code and the claim code becomes its
    owner. The code is kept as its SHA-256 digest; it works once, until `expires_at`."""

    __tablename__ = "device_claim"
    __audit_exclude__ = frozenset({"code_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(120))
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[dt.datetime | None] = mapped_column()
