"""Shared attributes of devices (ThingsBoard's "shared" scope): key → JSON value, set by the platform and sent to
the device (devices/attributes.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin
from digipark.core.tenancy import Audited, EnterpriseScoped


class DeviceSharedAttribute(Audited, TimestampMixin, EnterpriseScoped, Base):
    """One shared attribute of a device; owned as its device is. `version` grows with every change; the
    dispatcher publishes the attributes whose `sent_version` is behind it."""

    __tablename__ = "device_shared_attribute"
    __table_args__ = (UniqueConstraint("device_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    sent_version: Mapped[int] = mapped_column(Integer, default=0, index=True)
    set_by: Mapped[str] = mapped_column(String(120))
    sent_at: Mapped[dt.datetime | None] = mapped_column()
