"""Alarm tables: rules (as data), the per-(rule, point) evaluation state, alarms with their history, notification
contacts and deliveries.

A rule's `conditions` is a list of condition objects (see alarms/rules.py); one condition is a plain rule, several
are an AND-combination. A rule targets one point (`point_id`) or every point of a device class
(`device_class`, optionally narrowed by `quantity`) in a zone, a building, an enterprise or the whole park.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin, utcnow
from digipark.core.tenancy import Audited, EnterpriseScoped, ParkScoped, Visibility


class Severity(enum.StrEnum):
    INFO = "info"  # 提示
    MINOR = "minor"  # 一般
    MAJOR = "major"  # 严重
    CRITICAL = "critical"  # 紧急


SEVERITY_RANK = {Severity.INFO.value: 0, Severity.MINOR.value: 1, Severity.MAJOR.value: 2, Severity.CRITICAL.value: 3}


class AlarmState(enum.StrEnum):
    RAISED = "raised"  # the condition holds, nobody acknowledged it yet
    ACKNOWLEDGED = "acknowledged"  # the condition holds, someone is on it
    CLEARED = "cleared"  # the condition is gone; waiting to be closed
    CLOSED = "closed"  # done; history only


OPEN_STATES = frozenset({AlarmState.RAISED.value, AlarmState.ACKNOWLEDGED.value, AlarmState.CLEARED.value})
ACTIVE_STATES = frozenset({AlarmState.RAISED.value, AlarmState.ACKNOWLEDGED.value})


class AlarmRule(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A rule as data. enterprise_id: the owner of the targeted points (None: the park's own or park-wide)."""

    __tablename__ = "alarm_rule"
    __table_args__ = (UniqueConstraint("park_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(120), doc="stable identifier for rules other domains keep")
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20), doc="the condition type, or 'and' for several")
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    severity: Mapped[str] = mapped_column(String(10), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    point_id: Mapped[int | None] = mapped_column(ForeignKey("point.id", ondelete="CASCADE"), index=True)
    device_class: Mapped[str | None] = mapped_column(String(60))
    quantity: Mapped[str | None] = mapped_column(String(60))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id", ondelete="CASCADE"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"))
    target_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"))
    escalate_after_s: Mapped[int] = mapped_column(Integer, default=900, doc="unacknowledged this long: next level")
    flap_window_s: Mapped[int] = mapped_column(Integer, default=600)
    flap_max: Mapped[int] = mapped_column(Integer, default=3, doc="raise/clear cycles in the window = flapping")


class AlarmRuleState(Base):
    """Evaluation state of one rule on one point, written only when it changes state (pending, on, off)."""

    __tablename__ = "alarm_rule_state"

    rule_id: Mapped[int] = mapped_column(ForeignKey("alarm_rule.id", ondelete="CASCADE"), primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("point.id", ondelete="CASCADE"), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, doc="per condition: on, since (ms)")
    flips: Mapped[list[int]] = mapped_column(JSON, doc="ms of recent raise/clear transitions (flapping)")
    last_ts: Mapped[int | None] = mapped_column(BigInteger)
    normal_since: Mapped[int | None] = mapped_column(BigInteger, doc="flapping: when the condition last ended")
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    alarm_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Alarm(Audited, TimestampMixin, EnterpriseScoped, Base):
    """One alarm of one rule on one source (a point). `open_key` ("rule:point") is set while the alarm is not
    closed, so the database holds at most one open alarm per (rule, source)."""

    __tablename__ = "alarm"
    __table_args__ = (
        UniqueConstraint("open_key"),
        Index("ix_alarm_park_id_state", "park_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    open_key: Mapped[str | None] = mapped_column(String(40))
    rule_id: Mapped[int] = mapped_column(ForeignKey("alarm_rule.id", ondelete="CASCADE"), index=True)
    point_id: Mapped[int | None] = mapped_column(ForeignKey("point.id", ondelete="SET NULL"), index=True)
    device_id: Mapped[int | None] = mapped_column(Integer)
    zone_id: Mapped[int | None] = mapped_column(Integer)
    building_id: Mapped[int | None] = mapped_column(Integer)
    severity: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20), default=AlarmState.RAISED.value)
    message: Mapped[str] = mapped_column(String(500))
    message_en: Mapped[str | None] = mapped_column(String(500), doc="the text in English (English pages)")
    trigger_ts: Mapped[int] = mapped_column(BigInteger, doc="ms of the reading that raised it")
    trigger_value: Mapped[float | None] = mapped_column(Float)
    last_value: Mapped[float | None] = mapped_column(Float)
    raised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column()
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    cleared_at: Mapped[dt.datetime | None] = mapped_column()
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    closed_by: Mapped[str | None] = mapped_column(String(120))
    comment: Mapped[str | None] = mapped_column(String(2000), doc="the latest comment")
    occurrences: Mapped[int] = mapped_column(Integer, default=1, doc="raised again while still open")
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    next_escalation_at: Mapped[dt.datetime | None] = mapped_column(index=True)


class AlarmEvent(Audited, EnterpriseScoped, Base):
    """The history of an alarm: raised, acknowledged, cleared, closed, raised again, escalated, flapping."""

    __tablename__ = "alarm_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarm.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(120))
    comment: Mapped[str | None] = mapped_column(String(2000))
    value: Mapped[float | None] = mapped_column(Float)


class NotificationContact(Audited, TimestampMixin, ParkScoped, Base):
    """Who hears of alarms: by e-mail or signed webhook, from `min_severity` up, at an escalation level (0 first,
    1 when level 0 did not acknowledge in time, ...). enterprise_id set: only alarms of that enterprise."""

    __tablename__ = "alarm_contact"
    __visibility__ = Visibility.STAFF
    __audit_exclude__ = frozenset({"secret"})

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20), doc="email | webhook | dingtalk | wecom | feishu | sms")
    address: Mapped[str] = mapped_column(String(500), doc="e-mail address, https URL or mobile number")
    secret: Mapped[str | None] = mapped_column(String(200), doc="webhook HMAC key, or the robot's signing secret")
    min_severity: Mapped[str] = mapped_column(String(10), default=Severity.MINOR.value)
    level: Mapped[int] = mapped_column(Integer, default=0)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def has_secret(self) -> bool:
        """Whether a webhook secret is set (what the API shows instead of the secret)."""
        return bool(self.secret)


class NotificationDelivery(Audited, ParkScoped, Base):
    """One notification sent (or tried) to one contact about one alarm."""

    __tablename__ = "alarm_delivery"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarm.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("alarm_contact.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), doc="the person on the duty roster it went to"
    )
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(500))
    level: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20), doc="raised | escalated | changed")
    status: Mapped[str] = mapped_column(String(10), doc="sent | failed")
    error: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
