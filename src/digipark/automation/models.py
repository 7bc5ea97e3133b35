"""Automation and energy-operations tables: scenes (named groups of actions), automation rules (trigger,
conditions, actions as data; see automation/logic.py), the log of every firing with its inputs, energy plans with
their yearly quota, meter replacements and each park's billing setting (how shared areas are apportioned)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin, utcnow
from digipark.core.tenancy import Audited, EnterpriseScoped, ParkScoped, Visibility


class Apportionment(enum.StrEnum):
    AREA = "area"  # by each enterprise's leased floor area
    CONSUMPTION = "consumption"  # by each enterprise's own metered consumption


class AutomationScene(Audited, TimestampMixin, ParkScoped, Base):
    """A named group of actions (e.g. "after hours": lights and air conditioning of the empty floors off)."""

    __tablename__ = "automation_scene"
    __visibility__ = Visibility.STAFF
    __table_args__ = (UniqueConstraint("park_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class AutomationRule(Audited, TimestampMixin, ParkScoped, Base):
    """A rule as data: when `trigger` fires and `conditions` hold, do `actions`. Created disabled; enabling it
    (after a dry-run) refuses a rule that would trigger itself."""

    __tablename__ = "automation_rule"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[dict[str, Any]] = mapped_column(JSON)
    conditions: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    scene_id: Mapped[int | None] = mapped_column(
        ForeignKey("automation_scene.id", ondelete="CASCADE"), index=True, doc="the scene this rule schedules"
    )


class AutomationFiring(ParkScoped, Base):
    """One firing of a rule with its inputs and what each action did. Not audited: the log is the record."""

    __tablename__ = "automation_firing"
    __visibility__ = Visibility.STAFF
    __table_args__ = (Index("ix_automation_firing_rule_ts", "rule_id", "ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("automation_rule.id", ondelete="CASCADE"))
    ts: Mapped[int] = mapped_column(BigInteger, doc="epoch ms of the input that fired it")
    fired_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, doc="each action with its outcome")
    unsent_actions: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0", index=True, doc="actions logged pending and not yet sent"
    )
    send_lease_until: Mapped[dt.datetime | None] = mapped_column(
        doc="a process is sending them until then; past it they are resent (automation/delivery.py)"
    )


class EnergyPlan(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A yearly energy quota (能耗定额) of an enterprise (enterprise_id) or a building (building_id) or the park,
    split by month (`weights`, 12 numbers; even when empty)."""

    __tablename__ = "automation_energy_plan"
    __table_args__ = (UniqueConstraint("park_id", "enterprise_id", "building_id", "year", "carrier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    carrier: Mapped[str] = mapped_column(String(30), default="electricity")
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"), index=True)
    quota: Mapped[float] = mapped_column(Float, doc="in the carrier's canonical unit")
    weights: Mapped[list[float]] = mapped_column(JSON, default=list)


class MeterReplacement(Audited, TimestampMixin, ParkScoped, Base):
    """A meter (of the energy module) replaced: the old register's final reading and the new one's first."""

    __tablename__ = "automation_meter_replacement"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("energy_meter.id", ondelete="CASCADE"), index=True)
    replaced_at: Mapped[dt.datetime] = mapped_column()
    old_final: Mapped[float] = mapped_column(Float)
    new_initial: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(String(300))


class BillingSetting(Audited, TimestampMixin, ParkScoped, Base):
    """How the park bills: the shared areas' meter and how its cost is apportioned."""

    __tablename__ = "automation_billing_setting"
    __visibility__ = Visibility.PARK
    __table_args__ = (UniqueConstraint("park_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shared_meter_id: Mapped[int | None] = mapped_column(ForeignKey("energy_meter.id", ondelete="SET NULL"))
    method: Mapped[str] = mapped_column(String(20), default=Apportionment.AREA.value)
    areas: Mapped[dict[str, float]] = mapped_column(JSON, default=dict, doc="enterprise id -> leased m²")


class AutomationNetworkAllow(Audited, TimestampMixin, ParkScoped, Base):
    """A network inside the platform's own that the park's admin lets webhooks and robot addresses reach
    (core/network.py refuses every other inside address)."""

    __tablename__ = "automation_network_allow"
    __visibility__ = Visibility.STAFF
    __table_args__ = (UniqueConstraint("park_id", "network"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(String(50), doc="an address or a network in CIDR notation")
    note: Mapped[str | None] = mapped_column(String(200))
