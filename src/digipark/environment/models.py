"""Environment tables: pollution outlets with their monitored factors (each linked to a telemetry point), permitted
annual quantities (排污许可量), exceedance records, the general industrial solid waste ledger (monthly, by category),
hazardous waste batches in storage and their transfer manifests (转移联单).

Figures are stored in canonical units: masses in t (tonnes), concentrations in the factor's unit of
data/pollution.yaml. Every row belongs to an enterprise of the park (the discharger or the waste holder)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin, utcnow
from digipark.core.tenancy import Audited, EnterpriseScoped


class Medium(enum.StrEnum):
    WATER = "water"  # 废水排放口
    AIR = "air"  # 废气排放口（烟囱）


class Period(enum.StrEnum):
    HOUR = "hour"
    DAY = "day"


class ManifestStatus(enum.StrEnum):
    CREATED = "created"  # 已填写，未转移
    IN_TRANSIT = "in_transit"  # 已交运输单位
    RECEIVED = "received"  # 接收单位已签收
    CANCELLED = "cancelled"


class Outlet(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An online-monitored discharge outlet (排放口) of an enterprise, with the emission standard it must meet."""

    __tablename__ = "env_outlet"
    __table_args__ = (UniqueConstraint("park_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(40), doc="排放口编号, e.g. DW001 (water) or DA001 (air)")
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    medium: Mapped[str] = mapped_column(String(10), doc="water | air")
    standard: Mapped[str] = mapped_column(String(60), doc="key of a limit set in data/pollution.yaml")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str | None] = mapped_column(Text)


class OutletFactor(Audited, EnterpriseScoped, Base):
    """One monitored factor of an outlet (COD, NH3-N, pH, flow, SO2, NOx, PM, O2) and the point measuring it."""

    __tablename__ = "env_outlet_factor"
    __table_args__ = (UniqueConstraint("outlet_id", "factor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("env_outlet.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    factor: Mapped[str] = mapped_column(String(20), doc="key of data/pollution.yaml factors")
    point_id: Mapped[int] = mapped_column(ForeignKey("point.id", ondelete="RESTRICT"), index=True)
    alarm_rule_id: Mapped[int | None] = mapped_column(Integer, doc="the threshold rule kept by the alarms domain")


class PermitQuota(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An enterprise's permitted annual discharge of one factor (排污许可量) in one year, in t."""

    __tablename__ = "env_permit_quota"
    __table_args__ = (UniqueConstraint("enterprise_id", "year", "factor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    permit_no: Mapped[str] = mapped_column(String(60), doc="排污许可证编号")
    year: Mapped[int] = mapped_column(Integer)
    factor: Mapped[str] = mapped_column(String(20))
    annual_t: Mapped[float] = mapped_column(Float, doc="permitted quantity, t per year")
    valid_to: Mapped[dt.date | None] = mapped_column(Date, doc="the permit's expiry")


class Exceedance(Audited, EnterpriseScoped, Base):
    """An hourly or daily average of a factor outside its limit (one per outlet, factor, period and bucket)."""

    __tablename__ = "env_exceedance"
    __table_args__ = (
        UniqueConstraint("outlet_id", "factor", "period", "bucket"),
        Index("ix_env_exceedance_park_id_bucket", "park_id", "bucket"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("env_outlet.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    factor: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(10), doc="hour | day")
    bucket: Mapped[int] = mapped_column(BigInteger, doc="start of the hour or local day, epoch ms")
    value: Mapped[float] = mapped_column(Float, doc="the average (pH: the value outside the range)")
    limit_min: Mapped[float | None] = mapped_column(Float)
    limit_max: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    detected_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WasteEntry(Audited, TimestampMixin, EnterpriseScoped, Base):
    """One month of one general industrial solid waste category of an enterprise, in t: opening storage (the
    previous month's closing), generated, utilised, disposed and the closing storage at the month's end."""

    __tablename__ = "env_waste_entry"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "category", "month"),
        Index("ix_env_waste_entry_park_id_month", "park_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    category: Mapped[str] = mapped_column(String(10), doc="SWxx of data/waste.yaml")
    month: Mapped[dt.date] = mapped_column(Date, doc="first day of the month")
    opening_t: Mapped[float] = mapped_column(Float, default=0.0)
    generated_t: Mapped[float] = mapped_column(Float, default=0.0)
    utilised_t: Mapped[float] = mapped_column(Float, default=0.0)
    disposed_t: Mapped[float] = mapped_column(Float, default=0.0)
    stored_t: Mapped[float] = mapped_column(Float, default=0.0, doc="in storage at the month's end")
    notes: Mapped[str | None] = mapped_column(String(500))


class HazardousBatch(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A batch of hazardous waste put into the enterprise's storage on `stored_on`; what leaves goes with
    transfer manifests, the rest stays in storage and must leave within the storage limit."""

    __tablename__ = "env_hazardous_batch"
    __table_args__ = (UniqueConstraint("park_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(40), doc="the enterprise's batch number")
    category: Mapped[str] = mapped_column(String(10), doc="HWxx of data/waste.yaml")
    waste_code: Mapped[str] = mapped_column(String(20), doc="废物代码, e.g. 900-249-08")
    name: Mapped[str] = mapped_column(String(200))
    quantity_t: Mapped[float] = mapped_column(Float)
    stored_on: Mapped[dt.date] = mapped_column(Date, index=True)
    extended_to: Mapped[dt.date | None] = mapped_column(Date, doc="a longer storage approved by the authority")
    notes: Mapped[str | None] = mapped_column(String(500))


class TransferManifest(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A hazardous waste transfer manifest (转移联单): a quantity of one batch from the enterprise, by a carrier,
    to a licensed receiver."""

    __tablename__ = "env_transfer_manifest"
    __table_args__ = (UniqueConstraint("park_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("env_hazardous_batch.id", ondelete="RESTRICT"), index=True)
    number: Mapped[str] = mapped_column(String(40), doc="联单编号")
    quantity_t: Mapped[float] = mapped_column(Float)
    carrier: Mapped[str] = mapped_column(String(200))
    carrier_licence: Mapped[str | None] = mapped_column(String(60), doc="道路危险货物运输许可证号")
    receiver: Mapped[str] = mapped_column(String(200))
    receiver_licence: Mapped[str] = mapped_column(String(60), doc="危险废物经营许可证编号")
    shipped_on: Mapped[dt.date] = mapped_column(Date)
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=ManifestStatus.CREATED.value, index=True)


class KeptDischarge(Base):
    """The discharge of one (concentration, flow) pair in one month that is over: Σ mean C × mean Q over its valid
    hours, in the points' units (`pollution.discharge_of_pairs`). Derived from the hour rollups like the rollups
    themselves (not audited), kept by a background job (`environment.scheduler.DischargeKeeper`) so that no
    request recomputes a year; read only while `fingerprint` still matches the month rollups of both points (a
    late reading of the month changes them), and deleted with either point."""

    __tablename__ = "env_kept_discharge"

    concentration_point_id: Mapped[int] = mapped_column(ForeignKey("point.id", ondelete="CASCADE"), primary_key=True)
    flow_point_id: Mapped[int] = mapped_column(ForeignKey("point.id", ondelete="CASCADE"), primary_key=True, index=True)
    required_c: Mapped[int] = mapped_column(Integer, primary_key=True, doc="readings a valid hour of C needs")
    required_q: Mapped[int] = mapped_column(Integer, primary_key=True, doc="readings a valid hour of Q needs")
    month: Mapped[int] = mapped_column(BigInteger, primary_key=True, doc="local midnight of the 1st, epoch ms")
    total: Mapped[float] = mapped_column(Float)
    fingerprint: Mapped[str] = mapped_column(String(64), doc="SHA-256 of both points' month rollups")
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
