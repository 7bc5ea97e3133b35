"""The park registry: the digital twin's skeleton."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin
from digipark.core.tenancy import Audited, EnterpriseScoped, ParkScoped, Visibility
from digipark.core.units import convert

MU_DIGITS = 4  # an area in 亩 to 0.0001 亩 (0.07 m²)

GeoJSON = dict[str, Any]


class DeviceStatus(enum.StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    MAINTENANCE = "maintenance"
    RETIRED = "retired"


class Park(Audited, TimestampMixin, Base):
    __tablename__ = "park"
    __visibility__: ClassVar[Visibility] = Visibility.PARK
    __park_column__: ClassVar[str] = "id"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6))
    address: Mapped[str | None] = mapped_column(String(300))
    address_en: Mapped[str | None] = mapped_column(String(300))
    level: Mapped[str | None] = mapped_column(String(40), doc="national / provincial approval")
    leading_industries: Mapped[list[str]] = mapped_column(JSON, default=list)
    area_m2: Mapped[float | None] = mapped_column(Float)
    centre_lon: Mapped[float | None] = mapped_column(Float)
    centre_lat: Mapped[float | None] = mapped_column(Float)
    boundary: Mapped[GeoJSON | None] = mapped_column(JSON)


class Zone(Audited, TimestampMixin, ParkScoped, Base):
    __tablename__ = "zone"
    __visibility__ = Visibility.PARK
    __table_args__ = (UniqueConstraint("park_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    function: Mapped[str] = mapped_column(String(40), doc="industrial, logistics, office, living, utility ...")
    geometry: Mapped[GeoJSON | None] = mapped_column(JSON)
    area_m2: Mapped[float | None] = mapped_column(Float)


class LandParcel(Audited, TimestampMixin, ParkScoped, Base):
    __tablename__ = "land_parcel"
    __visibility__ = Visibility.STAFF
    __table_args__ = (UniqueConstraint("park_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    geometry: Mapped[GeoJSON | None] = mapped_column(JSON)
    area_m2: Mapped[float] = mapped_column(Float)
    land_use: Mapped[str] = mapped_column(String(40), doc="industrial (M1/M2), warehouse (W), commercial ...")
    owner: Mapped[str | None] = mapped_column(String(200))
    owner_en: Mapped[str | None] = mapped_column(String(200), doc="the land user's English name")
    lease_start: Mapped[dt.date | None] = mapped_column(Date)
    lease_end: Mapped[dt.date | None] = mapped_column(Date)

    @property
    def area_mu(self) -> float | None:
        """The area in 亩 (市亩, defined in `core/units.py`), to 4 decimals as forms show it."""
        return round(convert(self.area_m2, "m**2", "mu"), MU_DIGITS) if self.area_m2 is not None else None


class Building(Audited, TimestampMixin, ParkScoped, Base):
    __tablename__ = "building"
    __visibility__ = Visibility.PARK
    __table_args__ = (UniqueConstraint("park_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id", ondelete="RESTRICT"), index=True)
    parcel_id: Mapped[int | None] = mapped_column(ForeignKey("land_parcel.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    footprint: Mapped[GeoJSON | None] = mapped_column(JSON)
    floors: Mapped[int] = mapped_column(Integer, default=1)
    gross_floor_area_m2: Mapped[float | None] = mapped_column(Float)
    use: Mapped[str] = mapped_column(String(40), doc="factory, office, warehouse, dormitory, utility ...")
    year_built: Mapped[int | None] = mapped_column(Integer)
    gigabit_fibre: Mapped[bool] = mapped_column(Boolean, default=False)
    coverage_5g: Mapped[bool] = mapped_column(Boolean, default=False)


class Floor(Audited, TimestampMixin, ParkScoped, Base):
    __tablename__ = "floor"
    __visibility__ = Visibility.PARK
    __table_args__ = (UniqueConstraint("building_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer, doc="1 = ground floor, -1 = first basement")
    name: Mapped[str | None] = mapped_column(String(100))
    area_m2: Mapped[float | None] = mapped_column(Float)


class Room(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A room or leasable unit; `enterprise_id` is the tenant while leased."""

    __tablename__ = "room"
    __table_args__ = (UniqueConstraint("floor_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"), index=True)
    floor_id: Mapped[int] = mapped_column(ForeignKey("floor.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    area_m2: Mapped[float] = mapped_column(Float)
    use: Mapped[str | None] = mapped_column(String(40))
    lease_from: Mapped[dt.date | None] = mapped_column(Date)
    lease_to: Mapped[dt.date | None] = mapped_column(Date)


class Enterprise(Audited, TimestampMixin, ParkScoped, Base):
    __tablename__ = "enterprise"
    __visibility__ = Visibility.ENTERPRISE
    __enterprise_column__: ClassVar[str] = "id"
    __table_args__ = (UniqueConstraint("park_id", "uscc"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_en: Mapped[str | None] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), doc="统一社会信用代码 (GB 32100)")
    industry_code: Mapped[str] = mapped_column(String(5), index=True, doc="GB/T 4754-2017")
    above_scale: Mapped[bool] = mapped_column(Boolean, default=False, index=True, doc="规模以上")
    industrial: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    registered_capital_wan_yuan: Mapped[float | None] = mapped_column(Float)
    employees: Mapped[int | None] = mapped_column(Integer)
    established_on: Mapped[dt.date | None] = mapped_column(Date)
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="active")


class Device(Audited, TimestampMixin, EnterpriseScoped, Base):
    __tablename__ = "device"
    __table_args__ = (UniqueConstraint("park_id", "code"),)
    __audit_exclude__ = frozenset({"token_hash"})
    __allow_unmapped__ = True  # issued_token below is no column

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(60), index=True, doc="a key of the device-kind catalogue")
    model: Mapped[str | None] = mapped_column(String(100))
    manufacturer: Mapped[str | None] = mapped_column(String(100))
    protocol: Mapped[str] = mapped_column(String(40), default="mqtt")
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id", ondelete="SET NULL"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"))
    location: Mapped[str | None] = mapped_column(String(200))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    installed_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=DeviceStatus.ACTIVE.value, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, doc="SHA-256 hex digest of the device token")
    # the plain token issued to this instance in this request, for the answer that shows it once; never stored
    issued_token: str | None = None


class Point(Audited, TimestampMixin, EnterpriseScoped, Base):
    """One measured quantity of a device, described as data (key, quantity, unit, class, interval, range)."""

    __tablename__ = "point"
    __table_args__ = (
        UniqueConstraint("device_id", "key"),
        Index("ix_point_park_id_id", "park_id", "id"),
        # a park's points of one quantity, counted from the index alone and paged in id order (0002)
        Index("ix_point_park_id_quantity_id", "park_id", "quantity", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[str] = mapped_column(String(60), index=True, doc="electric_energy, water_volume, ...")
    unit: Mapped[str] = mapped_column(String(30))
    device_class: Mapped[str] = mapped_column(String(60))
    state_class: Mapped[str] = mapped_column(
        String(20), default="measurement", doc="measurement | total_increasing (cumulative meter)"
    )
    expected_interval_s: Mapped[int] = mapped_column(Integer, default=60)
    valid_min: Mapped[float | None] = mapped_column(Float)
    valid_max: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str | None] = mapped_column(Text)
