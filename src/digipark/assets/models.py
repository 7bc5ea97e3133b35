"""Asset tables: classes (data), the register, lifecycle changes, maintenance plans, daily condition features,
prediction models (versioned), predictions and recorded failures."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin
from digipark.core.tenancy import Audited, EnterpriseScoped, ParkScoped, Visibility


class LifecycleState(enum.StrEnum):
    PLANNED = "planned"
    ACQUIRED = "acquired"
    IN_SERVICE = "in_service"
    UNDER_MAINTENANCE = "under_maintenance"
    RETIRED = "retired"
    DISPOSED = "disposed"


# state -> the states it may change to
TRANSITIONS: dict[str, tuple[str, ...]] = {
    LifecycleState.PLANNED: (LifecycleState.ACQUIRED, LifecycleState.DISPOSED),
    LifecycleState.ACQUIRED: (LifecycleState.IN_SERVICE, LifecycleState.DISPOSED),
    LifecycleState.IN_SERVICE: (LifecycleState.UNDER_MAINTENANCE, LifecycleState.RETIRED),
    LifecycleState.UNDER_MAINTENANCE: (LifecycleState.IN_SERVICE, LifecycleState.RETIRED),
    LifecycleState.RETIRED: (LifecycleState.DISPOSED,),
    LifecycleState.DISPOSED: (),
}


class DepreciationMethod(enum.StrEnum):
    STRAIGHT_LINE = "straight_line"  # 年限平均法
    DOUBLE_DECLINING = "double_declining"  # 双倍余额递减法
    SUM_OF_YEARS = "sum_of_years"  # 年数总和法


class PlanKind(enum.StrEnum):
    CALENDAR = "calendar"
    USAGE = "usage"  # run hours from a telemetry counter
    CYCLES = "cycles"  # starts (or other cycles) from a telemetry counter
    ENERGY = "energy"  # kWh from an energy meter's counter


#: the plan kinds that run on a usage counter, with the asset's point that counts it
USAGE_POINTS = {
    PlanKind.USAGE: "run_hours_point_id",
    PlanKind.CYCLES: "cycles_point_id",
    PlanKind.ENERGY: "energy_point_id",
}


class AssetClass(Audited, TimestampMixin, ParkScoped, Base):
    """A kind of asset, as data: default useful life and depreciation, condition indicators, maintenance
    templates."""

    __tablename__ = "asset_class"
    __visibility__ = Visibility.PARK
    __table_args__ = (UniqueConstraint("park_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), doc="buildings, machinery, tools, vehicles, electronics")
    useful_life_years: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(20), default=DepreciationMethod.STRAIGHT_LINE.value)
    salvage_rate: Mapped[float] = mapped_column(Float, default=0.05)
    rotating: Mapped[bool] = mapped_column(Boolean, default=False)
    vibration_group: Mapped[str | None] = mapped_column(String(40))
    temperature_limit_c: Mapped[float | None] = mapped_column(Float)
    templates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    attributes: Mapped[list[dict[str, Any]] | None] = mapped_column(
        JSON, default=list, doc="declared attributes: name, label_zh, label_en, type number/text/choice, unit, range"
    )
    condition_indicators: Mapped[list[dict[str, Any]] | None] = mapped_column(
        JSON, default=list, doc="telemetry quantities watched: quantity, label_zh, label_en, unit, low, high"
    )


class Asset(Audited, TimestampMixin, EnterpriseScoped, Base):
    """One asset of the park (enterprise_id None) or of an enterprise."""

    __tablename__ = "asset"
    __visibility__ = Visibility.ENTERPRISE

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("asset_class.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(60), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(100))
    supplier: Mapped[str | None] = mapped_column(String(100))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id", ondelete="SET NULL"), index=True)
    location: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default=LifecycleState.PLANNED.value, index=True)
    acquired_on: Mapped[dt.date | None] = mapped_column(Date)
    in_service_on: Mapped[dt.date | None] = mapped_column(Date)
    warranty_until: Mapped[dt.date | None] = mapped_column(Date)
    purchase_value: Mapped[float] = mapped_column(Float, default=0.0, doc="yuan")
    salvage_value: Mapped[float] = mapped_column(Float, default=0.0, doc="yuan")
    useful_life_months: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(20))
    run_hours_point_id: Mapped[int | None] = mapped_column(ForeignKey("point.id", ondelete="SET NULL"))
    vibration_point_id: Mapped[int | None] = mapped_column(ForeignKey("point.id", ondelete="SET NULL"))
    temperature_point_id: Mapped[int | None] = mapped_column(ForeignKey("point.id", ondelete="SET NULL"))
    cycles_point_id: Mapped[int | None] = mapped_column(ForeignKey("point.id", ondelete="SET NULL"))
    energy_point_id: Mapped[int | None] = mapped_column(ForeignKey("point.id", ondelete="SET NULL"))
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON, doc="values of the class's declared attributes")
    land_parcel_id: Mapped[int | None] = mapped_column(ForeignKey("land_parcel.id", ondelete="SET NULL"), index=True)
    source_ref: Mapped[str | None] = mapped_column(
        String(60), doc="the registry record it was imported from: building:<id> or land:<id>"
    )
    network: Mapped[str | None] = mapped_column(String(20), doc="road, water, drainage, gas, power, heat")
    geometry: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, doc="GeoJSON LineString or MultiLineString in WGS-84 (roads and pipes)"
    )
    material: Mapped[str | None] = mapped_column(String(60))
    diameter_mm: Mapped[int | None] = mapped_column(Integer)
    install_year: Mapped[int | None] = mapped_column(Integer)
    offering_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_offering.id", ondelete="SET NULL"), doc="the shared-equipment service it is booked as"
    )


class AssetDocument(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A document of an asset (manual, certificate, drawing, inspection report...): the checked upload's bytes, its
    type, size and SHA-256. It belongs to the asset's owner: an enterprise reads only its own assets' documents."""

    __tablename__ = "asset_document"
    __visibility__ = Visibility.ENTERPRISE
    __audit_exclude__ = frozenset({"content"})

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), doc="manual, certificate, drawing, inspection, other")
    title: Mapped[str | None] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer, default=1, doc="1, 2, ... per (asset, kind, title)")
    expires_on: Mapped[dt.date | None] = mapped_column(Date, doc="the day it stops being valid (a certificate)")


class IndicatorRule(ParkScoped, Base):
    """The alarm rule (alarms module) that watches one condition indicator of an asset's class on the asset's
    linked point, kept so the rule is written again only when the declaration or the link changed; for a computed
    feature (point 0), the alarm it last raised and the condition day evaluated. Bookkeeping of what the alarms
    module audits: not audited here."""

    __tablename__ = "asset_indicator_rule"
    __table_args__ = (UniqueConstraint("asset_id", "indicator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    indicator: Mapped[str] = mapped_column(String(60), doc="the indicator's quantity or feature")
    point_id: Mapped[int] = mapped_column(Integer, doc="0 for a computed feature")
    rule_id: Mapped[int] = mapped_column(Integer, doc="the rule; for a computed feature the alarm")
    signature: Mapped[str] = mapped_column(String(200), doc="point, limits and severity the rule was written with")


class LifecycleChange(Audited, ParkScoped, Base):
    """One change of an asset's lifecycle state."""

    __tablename__ = "asset_lifecycle_change"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    on: Mapped[dt.date] = mapped_column(Date)
    by: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(String(500))


class MaintenancePlan(Audited, TimestampMixin, ParkScoped, Base):
    """A preventive plan of one asset: every `every_days` (calendar), every `every_run_hours` (usage) or every
    `every_usage` starts (cycles) or kWh (energy)."""

    __tablename__ = "asset_maintenance_plan"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    every_days: Mapped[int | None] = mapped_column(Integer)
    every_run_hours: Mapped[float | None] = mapped_column(Float)
    last_done_on: Mapped[dt.date | None] = mapped_column(Date)
    last_done_run_hours: Mapped[float | None] = mapped_column(Float)
    every_usage: Mapped[float | None] = mapped_column(Float, doc="cycles or kWh between two orders")
    last_done_usage: Mapped[float | None] = mapped_column(Float, doc="the counter when the last order opened")
    last_order_id: Mapped[int | None] = mapped_column(Integer, doc="the work order the plan opened last")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ConditionDay(ParkScoped, Base):
    """Condition features of one asset on one day, computed from its vibration bursts and temperature readings
    (measurement data like readings: not audited)."""

    __tablename__ = "asset_condition_day"
    __table_args__ = (UniqueConstraint("asset_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    vib_rms: Mapped[float | None] = mapped_column(Float, doc="mm/s")
    vib_peak: Mapped[float | None] = mapped_column(Float, doc="mm/s")
    crest_factor: Mapped[float | None] = mapped_column(Float)
    kurtosis: Mapped[float | None] = mapped_column(Float)
    temperature_c: Mapped[float | None] = mapped_column(Float)
    run_hours: Mapped[float | None] = mapped_column(Float, doc="hours run that day")


class PredictionModel(Audited, TimestampMixin, ParkScoped, Base):
    """One version of the prediction model of an asset class: its method, fitted parameters and, once truth
    has arrived, its evaluation."""

    __tablename__ = "asset_prediction_model"
    __visibility__ = Visibility.STAFF
    __table_args__ = (UniqueConstraint("class_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("asset_class.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    trained_on: Mapped[dt.date] = mapped_column(Date)
    evaluated: Mapped[int] = mapped_column(Integer, default=0, doc="predictions evaluated against a failure")
    mae_days: Mapped[float | None] = mapped_column(Float)
    flagged_before_failure: Mapped[int] = mapped_column(Integer, default=0)


class Prediction(Audited, ParkScoped, Base):
    """A prediction of one asset made on `made_on` by one model version; evaluated when the failure is recorded."""

    __tablename__ = "asset_prediction"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("asset_prediction_model.id", ondelete="CASCADE"), index=True)
    made_on: Mapped[dt.date] = mapped_column(Date)
    health: Mapped[float] = mapped_column(Float, doc="0 (at the threshold) .. 100 (at the healthy baseline)")
    anomaly_z: Mapped[float | None] = mapped_column(Float, doc="robust z-score of the RMS against the baseline")
    anomaly_score: Mapped[float | None] = mapped_column(
        Float, doc="isolation-forest score of the day's features against the baseline (> 0: anomalous)"
    )
    current_rms: Mapped[float | None] = mapped_column(Float)
    threshold_rms: Mapped[float | None] = mapped_column(Float)
    slope_per_day: Mapped[float | None] = mapped_column(Float, doc="growth rate of ln(RMS) per day")
    rul_days: Mapped[float | None] = mapped_column(Float)
    rul_low_days: Mapped[float | None] = mapped_column(Float)
    rul_high_days: Mapped[float | None] = mapped_column(Float)
    failure_on: Mapped[dt.date | None] = mapped_column(Date, doc="predicted day the threshold is crossed")
    recommend: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    order_id: Mapped[int | None] = mapped_column(Integer, doc="the work order opened from the recommendation")
    actual_failure_on: Mapped[dt.date | None] = mapped_column(Date)
    error_days: Mapped[float | None] = mapped_column(Float, doc="predicted minus actual failure day")


class Failure(Audited, TimestampMixin, ParkScoped, Base):
    """A failure of an asset: the truth its predictions are evaluated against."""

    __tablename__ = "asset_failure"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    failed_on: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(500))
    repair_order_id: Mapped[int | None] = mapped_column(Integer, doc="the work order that repaired it (for MTTR)")


class AlarmOrder(Audited, ParkScoped, Base):
    """The work order a condition alarm opened for an asset (one per alarm)."""

    __tablename__ = "asset_alarm_order"
    __visibility__ = Visibility.STAFF
    __table_args__ = (UniqueConstraint("alarm_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alarm_id: Mapped[int] = mapped_column(Integer)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(Integer)


class MovementKind(enum.StrEnum):
    RECEIPT = "receipt"  # into the store
    CONSUMPTION = "consumption"  # used by a work order on an asset


class SparePart(Audited, TimestampMixin, ParkScoped, Base):
    """A spare part kept in the park's store: its stock, the level at which it is reordered and how many then."""

    __tablename__ = "asset_spare_part"
    __visibility__ = Visibility.STAFF
    __table_args__ = (UniqueConstraint("park_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20), default="pcs")
    class_id: Mapped[int | None] = mapped_column(ForeignKey("asset_class.id", ondelete="SET NULL"), index=True)
    stock: Mapped[float] = mapped_column(Float, default=0.0)
    reorder_level: Mapped[float] = mapped_column(Float, default=0.0)
    reorder_quantity: Mapped[float] = mapped_column(Float, default=0.0)
    unit_cost: Mapped[float] = mapped_column(Float, default=0.0, doc="yuan")


class PartMovement(Audited, ParkScoped, Base):
    """Stock into the store (receipt) or out of it for a work order on an asset (consumption, with its cost)."""

    __tablename__ = "asset_part_movement"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("asset_spare_part.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[float] = mapped_column(Float, doc="positive; the kind says in or out")
    unit_cost: Mapped[float] = mapped_column(Float, doc="yuan")
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id", ondelete="SET NULL"), index=True)
    order_id: Mapped[int | None] = mapped_column(Integer, doc="the work order that consumed it")
    on: Mapped[dt.date] = mapped_column(Date)
    by: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(String(500))


class LeaseState(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ENDED = "ended"
    TERMINATED = "terminated"


LEASE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    LeaseState.DRAFT: (LeaseState.ACTIVE, LeaseState.TERMINATED),
    LeaseState.ACTIVE: (LeaseState.ENDED, LeaseState.TERMINATED),
    LeaseState.ENDED: (),
    LeaseState.TERMINATED: (),
}


class Lease(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A park asset leased to an enterprise for a period at a monthly rent, linked to the unit (room) it serves."""

    __tablename__ = "asset_lease"
    __visibility__ = Visibility.ENTERPRISE

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    monthly_rent: Mapped[float] = mapped_column(Float, doc="yuan per month")
    state: Mapped[str] = mapped_column(String(20), default=LeaseState.DRAFT.value, index=True)
    note: Mapped[str | None] = mapped_column(String(500))


class InvoiceState(enum.StrEnum):
    ISSUED = "issued"
    PAID = "paid"


class LeaseInvoice(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A month's rent invoice of an in-force lease: the monthly rent pro-rated by the days of the calendar month the
    lease covers; issued, then paid. The leasing enterprise reads its own."""

    __tablename__ = "asset_lease_invoice"
    __visibility__ = Visibility.ENTERPRISE
    __table_args__ = (UniqueConstraint("lease_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lease_id: Mapped[int] = mapped_column(ForeignKey("asset_lease.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    month: Mapped[dt.date] = mapped_column(Date, doc="the first day of the invoiced month")
    days: Mapped[int] = mapped_column(Integer, doc="days of the month the lease covers")
    amount: Mapped[float] = mapped_column(Float, doc="yuan")
    state: Mapped[str] = mapped_column(String(20), default=InvoiceState.ISSUED.value)
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
