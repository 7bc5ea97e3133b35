"""Dashboards as data, scheduled report subscriptions with their delivery log, and duty staff's Web Push
subscriptions."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin, utcnow
from digipark.core.tenancy import Audited, ParkScoped, Visibility


class Dashboard(Audited, TimestampMixin, ParkScoped, Base):
    """A dashboard an admin composed: its widgets and time range (`spec`, checked by `spec.DashboardSpec`) and
    the roles it is shared with (besides its writers)."""

    __tablename__ = "dashboard"
    __table_args__ = (UniqueConstraint("park_id", "name"),)
    __visibility__ = Visibility.PARK

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, doc="time_range and widgets (spec.DashboardSpec)")
    shared_roles: Mapped[list[str]] = mapped_column(JSON, default=list, doc="roles that may open it")
    created_by: Mapped[str | None] = mapped_column(String(80))


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # to be tried (again) at next_try_at
    SENT = "sent"
    FAILED = "failed"  # every attempt failed; the subscriber was told


class ReportSubscription(Audited, TimestampMixin, ParkScoped, Base):
    """A report the platform makes, sent on a schedule (cron in the park's time zone, optionally only on Chinese
    working days) by e-mail and/or to a chat robot."""

    __tablename__ = "report_subscription"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    report: Mapped[str] = mapped_column(String(40), doc="key of reports.REPORTS")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, doc="e.g. enterprise_id of a carbon report")
    formats: Mapped[list[str]] = mapped_column(JSON, doc="pdf and/or xlsx")
    language: Mapped[str] = mapped_column(String(5), default="zh")
    cron: Mapped[str] = mapped_column(String(120), doc="five-field cron, the park's time zone")
    working_days_only: Mapped[bool] = mapped_column(Boolean, default=False)
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    robot_channel: Mapped[str | None] = mapped_column(String(20), doc="dingtalk, wecom or feishu")
    robot_url: Mapped[str | None] = mapped_column(String(500))
    robot_secret: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    subscriber: Mapped[str | None] = mapped_column(String(80))
    next_run_at: Mapped[dt.datetime | None] = mapped_column(doc="the next scheduled run (UTC)")


class ReportDelivery(ParkScoped, Base):
    """One scheduled run of a subscription and its delivery: attempts, the last error, when to try again. Not
    audited: the log is itself the record of what the scheduler did."""

    __tablename__ = "report_delivery"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("report_subscription.id", ondelete="CASCADE"), index=True)
    scheduled_for: Mapped[dt.datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[dt.datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    files: Mapped[list[str]] = mapped_column(JSON, default=list, doc="names of the attached files")
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PushSubscription(ParkScoped, Base):
    """A browser's Web Push subscription of a duty user (endpoint and keys, as PushManager gives them)."""

    __tablename__ = "push_subscription"
    __table_args__ = (UniqueConstraint("endpoint"),)
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000))
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    on_duty: Mapped[bool] = mapped_column(Boolean, default=True, doc="alarms are pushed while the user is on duty")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PushServerKey(Base):
    """The application server's VAPID key pair (RFC 8292), made once per deployment: the private key as PEM."""

    __tablename__ = "push_server_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
