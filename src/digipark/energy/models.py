"""Energy and carbon tables: meters (a hierarchy, telemetry-linked, manual or virtual), monthly manual energy
entries with their evidence, enterprises' monthly carbon declarations (process emissions, product output),
time-of-use tariffs and each park's accounting settings.

Quantities are stored in the carrier's canonical unit (kWh, m³, t, GJ; see data/carriers.yaml); what the user
typed is kept next to it (`entered_quantity`, `entered_unit`)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin, utcnow
from digipark.core.tenancy import Audited, EnterpriseScoped, ParkScoped, Visibility


class MeterLevel(enum.StrEnum):
    PARK = "park"
    ZONE = "zone"
    BUILDING = "building"
    ENTERPRISE = "enterprise"
    SUB = "sub"  # a sub-meter under an enterprise's (or a building's) meter


class MeterSource(enum.StrEnum):
    TELEMETRY = "telemetry"  # a cumulative register point; consumption from its rollups' delta
    MANUAL = "manual"  # monthly entries
    VIRTUAL = "virtual"  # a sum/difference of other meters


class Flow(enum.StrEnum):
    PURCHASED = "purchased"  # bought in (or consumed, for fuels)
    EXPORTED = "exported"  # sold or delivered out of the boundary (electricity, heat, steam)
    GENERATED = "generated"  # own generation (PV)


class EnergyMeter(Audited, TimestampMixin, EnterpriseScoped, Base):
    """One meter of one energy carrier. An enterprise's meters (enterprise_id set) count in its account only
    at level `enterprise` (sub-meters break it down; park, zone and building meters measure the supply)."""

    __tablename__ = "energy_meter"
    __table_args__ = (UniqueConstraint("park_id", "code"), Index("ix_energy_meter_park_id_level", "park_id", "level"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    carrier: Mapped[str] = mapped_column(String(30), doc="a carrier of data/carriers.yaml")
    flow: Mapped[str] = mapped_column(String(20), default=Flow.PURCHASED.value)
    source: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(20), doc="the carrier's canonical unit")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("energy_meter.id", ondelete="RESTRICT"), index=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id", ondelete="SET NULL"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id", ondelete="SET NULL"), index=True)
    point_id: Mapped[int | None] = mapped_column(ForeignKey("point.id", ondelete="SET NULL"), index=True)
    terms: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, doc="virtual meters: [{meter_id, sign: 1 | -1}]"
    )
    flexible_share: Mapped[float] = mapped_column(
        Float, default=0.0, doc="share of the load that could move to other hours (optimisation)"
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class EnergyEntry(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A monthly quantity entered by hand (coal deliveries, diesel, a manual meter's monthly reading)."""

    __tablename__ = "energy_entry"
    __audit_exclude__ = frozenset({"evidence"})
    __table_args__ = (Index("ix_energy_entry_park_id_period", "park_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int | None] = mapped_column(ForeignKey("energy_meter.id", ondelete="RESTRICT"), index=True)
    carrier: Mapped[str] = mapped_column(String(30))
    flow: Mapped[str] = mapped_column(String(20), default=Flow.PURCHASED.value)
    period: Mapped[dt.date] = mapped_column(Date, doc="first day of the month")
    quantity: Mapped[float] = mapped_column(Float, doc="in the carrier's canonical unit")
    entered_quantity: Mapped[float] = mapped_column(Float)
    entered_unit: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(500))
    evidence_name: Mapped[str | None] = mapped_column(String(200))
    evidence_type: Mapped[str | None] = mapped_column(String(100))
    evidence_size: Mapped[int] = mapped_column(Integer, default=0)
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence: Mapped[bytes | None] = mapped_column(LargeBinary)
    entered_by: Mapped[str] = mapped_column(String(120))
    entered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CarbonDeclaration(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An enterprise's monthly declaration: process emissions (a carbonate quantity, or tCO2 declared directly)
    and its product output (for the intensity per tonne of product)."""

    __tablename__ = "carbon_declaration"
    __table_args__ = (UniqueConstraint("enterprise_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[dt.date] = mapped_column(Date, doc="first day of the month")
    process_material: Mapped[str | None] = mapped_column(String(30), doc="a process material of the factor set")
    process_quantity_t: Mapped[float | None] = mapped_column(Float)
    process_tco2: Mapped[float | None] = mapped_column(Float, doc="declared directly (sector-guide method)")
    product_output_t: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(String(500))
    declared_by: Mapped[str] = mapped_column(String(120))


class Tariff(Audited, TimestampMixin, ParkScoped, Base):
    """A time-of-use electricity tariff of the park, in force from `valid_from` (the latest one applies)."""

    __tablename__ = "energy_tariff"
    __visibility__ = Visibility.PARK
    __table_args__ = (UniqueConstraint("park_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    periods: Mapped[list[dict[str, Any]]] = mapped_column(JSON, doc='[{start: "08:00", end: "11:00", band}]')
    prices: Mapped[dict[str, float]] = mapped_column(JSON, doc="band -> yuan/kWh")
    source: Mapped[str | None] = mapped_column(String(300))


class EnergySetting(Audited, TimestampMixin, ParkScoped, Base):
    """How a park accounts: national or regional grid factor (and which region)."""

    __tablename__ = "energy_setting"
    __visibility__ = Visibility.PARK
    __table_args__ = (UniqueConstraint("park_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_basis: Mapped[str] = mapped_column(String(20), default="national", doc="national | regional")
    grid_region: Mapped[str | None] = mapped_column(String(20), doc="华东, 华北 ... when regional")
    baseline_months: Mapped[int] = mapped_column(Integer, default=6, doc="months a meter's baseline averages")
    anomaly_threshold_pct: Mapped[float] = mapped_column(Float, default=30.0)
