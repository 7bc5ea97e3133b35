"""Production services of the park (专业服务): the service catalogue with bookable shared resources, group
purchasing and joint selling (集采集销), supply-chain collaboration, logistics and finance (产融对接).

Who reads what is the read condition of each record type in the service modules: offerings, rounds, suppliers,
board posts and sales listings are the park's public market; bookings, usage and finance applications are read by
the enterprise that asked and by the provider asked; demands, shipments and supplier shares by their owner (and a
share by its lead enterprise once the supplier consents)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin
from digipark.core.tenancy import Audited, EnterpriseScoped, ParkScoped, Visibility


class ServiceKind(enum.StrEnum):
    SHARED_EQUIPMENT = "shared_equipment"  # 共享制造: CNC centres, test benches, clean rooms
    SHARED_WAREHOUSE = "shared_warehouse"  # 共享仓储
    RND_DESIGN = "rnd_design"  # 共享研发 / 协同设计
    TESTING = "testing"  # 检验检测认证
    TRANSFORMATION = "transformation"  # 数字化转型服务 (the transformation catalogue)
    LOGISTICS = "logistics"  # 物流: loading docks, transport
    FINANCE = "finance"  # 金融产品 (产融对接)


class PriceUnit(enum.StrEnum):
    HOUR = "hour"
    DAY = "day"
    SQUARE_METRE_MONTH = "m2_month"
    PALLET_DAY = "pallet_day"
    SAMPLE = "sample"
    PROJECT = "project"
    SHIPMENT = "shipment"
    TONNE = "t"
    NONE = "none"  # free of charge, or priced per agreement (finance products)


class BookingStatus(enum.StrEnum):
    REQUESTED = "requested"  # holds its slots until the provider decides
    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"  # checked out; its usage is recorded


HOLDING = (BookingStatus.REQUESTED, BookingStatus.APPROVED, BookingStatus.CHECKED_IN, BookingStatus.COMPLETED)
USED = (BookingStatus.APPROVED, BookingStatus.CHECKED_IN, BookingStatus.COMPLETED)


class ServiceOffering(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A service in the park's catalogue. `enterprise_id`: the enterprise providing it (None: the park). A bookable
    one (a shared machine, a dock, a lab) has a calendar of `slot_minutes` slots and `units` identical units."""

    __tablename__ = "service_offering"
    __visibility__ = Visibility.PARK
    __table_args__ = (Index("ix_service_offering_park_id_kind", "park_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200), doc="shown on English pages, as the _en fields below")
    provider_name: Mapped[str] = mapped_column(String(200), doc="shown provider (a bank, a lab, the park company)")
    provider_name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[float | None] = mapped_column(Float)
    capacity_unit: Mapped[str | None] = mapped_column(String(30), doc="e.g. 台, m², 托盘位, 万元")
    capacity_unit_en: Mapped[str | None] = mapped_column(String(30), doc="e.g. machines, m², pallet places")
    unit_price_yuan: Mapped[float | None] = mapped_column(Float)
    price_unit: Mapped[str] = mapped_column(String(20), default=PriceUnit.NONE.value)
    rules: Mapped[str | None] = mapped_column(Text)
    bookable: Mapped[bool] = mapped_column(Boolean, default=False)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=60)
    units: Mapped[int] = mapped_column(Integer, default=1, doc="identical units booked at the same time")
    cancel_hours: Mapped[int] = mapped_column(Integer, default=24, doc="latest cancellation before the start")
    transformation_entry_id: Mapped[int | None] = mapped_column(
        Integer, doc="the transformation catalogue entry it stands for"
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class MaintenanceWindow(Audited, TimestampMixin, ParkScoped, Base):
    """A time a bookable service is out of use; it holds every unit's slots like a booking."""

    __tablename__ = "service_maintenance"
    __visibility__ = Visibility.PARK

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("service_offering.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    reason: Mapped[str | None] = mapped_column(String(200))


class Booking(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An enterprise's request for a bookable service over [starts_at, ends_at), decided by its provider."""

    __tablename__ = "service_booking"
    __visibility__ = Visibility.PARK  # narrowed by booking.read_condition: the booker and the provider
    __table_args__ = (Index("ix_service_booking_offering_id_starts_at", "offering_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("service_offering.id", ondelete="RESTRICT"))
    provider_enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True
    )
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(20), default=BookingStatus.REQUESTED.value, index=True)
    purpose: Mapped[str | None] = mapped_column(String(500))
    requested_by: Mapped[str] = mapped_column(String(120))
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[dt.datetime | None]
    note: Mapped[str | None] = mapped_column(String(500))
    checked_in_at: Mapped[dt.datetime | None]
    checked_out_at: Mapped[dt.datetime | None]


class BookingSlot(ParkScoped, Base):
    """One unit of a bookable service in one slot, held by a booking or a maintenance window. The unique index is
    what makes double booking impossible, whatever requests run at the same time. Not audited: slots follow their
    booking or window, which are."""

    __tablename__ = "service_booking_slot"
    __table_args__ = (UniqueConstraint("offering_id", "slot_start", "unit_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("service_offering.id", ondelete="CASCADE"))
    slot_start: Mapped[dt.datetime]
    unit_no: Mapped[int] = mapped_column(Integer)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("service_booking.id", ondelete="CASCADE"), index=True)
    maintenance_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_maintenance.id", ondelete="CASCADE"), index=True
    )


class ServiceUsage(Audited, TimestampMixin, EnterpriseScoped, Base):
    """What an enterprise used of a service on a day and what it costs: from a checked-out booking, or recorded by
    the provider (warehouse space, tests, shipments). Monthly statements sum these."""

    __tablename__ = "service_usage"
    __visibility__ = Visibility.PARK  # narrowed: the user and the provider
    __table_args__ = (Index("ix_service_usage_park_id_used_on", "park_id", "used_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("service_offering.id", ondelete="RESTRICT"), index=True)
    provider_enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True
    )
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("service_booking.id", ondelete="SET NULL"))
    used_on: Mapped[dt.date] = mapped_column(Date)
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20), doc="the offering's price unit")
    amount_yuan: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(String(500))


# -- 集采集销 ----------------------------------------------------------------------------------------------------
class PurchaseCategory(enum.StrEnum):
    STEEL = "steel"
    PACKAGING = "packaging"
    ELECTRICITY = "electricity"
    CHEMICALS = "chemicals"
    LOGISTICS = "logistics"
    OTHER = "other"


class DemandStatus(enum.StrEnum):
    OPEN = "open"
    AGGREGATED = "aggregated"
    AWARDED = "awarded"
    DELIVERED = "delivered"


class RoundStatus(enum.StrEnum):
    QUOTING = "quoting"  # aggregated; the RFQ is out to the registered suppliers
    AWARDED = "awarded"
    DELIVERED = "delivered"


class PurchaseDemand(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An enterprise's need of a common material in a month, and what it last paid for it on its own."""

    __tablename__ = "purchase_demand"
    __table_args__ = (Index("ix_purchase_demand_park_id_category_period", "park_id", "category", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(20))
    item: Mapped[str] = mapped_column(String(200), doc="specification, e.g. Q235 热轧卷板 4mm")
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    period: Mapped[dt.date] = mapped_column(Date, doc="first day of the month it is needed in")
    last_unit_price_yuan: Mapped[float | None] = mapped_column(Float, doc="own last purchase price per unit")
    status: Mapped[str] = mapped_column(String(20), default=DemandStatus.OPEN.value, index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_round.id", ondelete="SET NULL"), index=True)
    awarded_unit_price_yuan: Mapped[float | None] = mapped_column(Float)
    delivered_quantity: Mapped[float | None] = mapped_column(Float)
    delivered_at: Mapped[dt.datetime | None]


class PurchaseRound(Audited, TimestampMixin, ParkScoped, Base):
    """The park's aggregated demand of one item in one month, its request for quotation and award."""

    __tablename__ = "purchase_round"
    __visibility__ = Visibility.PARK

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(20))
    item: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))
    period: Mapped[dt.date] = mapped_column(Date)
    total_quantity: Mapped[float] = mapped_column(Float)
    demand_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=RoundStatus.QUOTING.value)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_supplier.id", ondelete="RESTRICT"))
    awarded_unit_price_yuan: Mapped[float | None] = mapped_column(Float)
    awarded_at: Mapped[dt.datetime | None]


class Supplier(Audited, TimestampMixin, ParkScoped, Base):
    """A supplier registered for the park's group purchasing."""

    __tablename__ = "purchase_supplier"
    __visibility__ = Visibility.PARK

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    categories: Mapped[list[str]] = mapped_column(JSON)
    contact: Mapped[str | None] = mapped_column(String(200))


class PurchaseQuote(Audited, TimestampMixin, ParkScoped, Base):
    """A supplier's unit price for a round (staff only)."""

    __tablename__ = "purchase_quote"
    __table_args__ = (UniqueConstraint("round_id", "supplier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("purchase_round.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("purchase_supplier.id", ondelete="RESTRICT"))
    unit_price_yuan: Mapped[float] = mapped_column(Float)


class SalesListing(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A park product offered for joint selling (集销)."""

    __tablename__ = "sales_listing"
    __visibility__ = Visibility.PARK

    id: Mapped[int] = mapped_column(primary_key=True)
    product: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(20))
    unit_price_yuan: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


# -- supply-chain collaboration --------------------------------------------------------------------------------------
class PostKind(enum.StrEnum):
    NEED = "need"  # an enterprise needs a part, a process or capacity
    CAPACITY = "capacity"  # idle capacity offered to others (产能共享)
    SCENARIO = "scenario"  # a lead enterprise opens an application scenario to its suppliers
    CAPABILITY = "capability"  # a lead enterprise shares a technical capability


class RelationSource(enum.StrEnum):
    DECLARED = "declared"
    PLATFORM = "platform"  # from orders placed through the platform


class PartnerRelation(Audited, TimestampMixin, EnterpriseScoped, Base):
    """`enterprise_id` supplies `customer_enterprise_id` (both of the park); read by both and by staff."""

    __tablename__ = "partner_relation"
    __visibility__ = Visibility.PARK  # narrowed to the two parties
    __table_args__ = (UniqueConstraint("enterprise_id", "customer_enterprise_id", "goods"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    goods: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20), default=RelationSource.DECLARED.value)


class BoardPost(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A post on the park's demand board: a need, a capacity offer, a lead enterprise's scenario or capability."""

    __tablename__ = "board_post"
    __visibility__ = Visibility.PARK

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    industry_codes: Mapped[list[str]] = mapped_column(JSON, doc="GB/T 4754 codes or prefixes of capable makers")
    products: Mapped[list[str]] = mapped_column(JSON, doc="product or process keywords")
    quantity: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(20))
    needed_by: Mapped[dt.date | None] = mapped_column(Date)
    open: Mapped[bool] = mapped_column(Boolean, default=True)


class SupplierShare(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A supplier's (`enterprise_id`) forecast orders, capacity and stock of an item for a month, shared with its
    lead enterprise once the supplier consents (`shared`)."""

    __tablename__ = "supplier_share"
    __visibility__ = Visibility.PARK  # narrowed: the supplier; the lead enterprise when shared
    __table_args__ = (UniqueConstraint("enterprise_id", "lead_enterprise_id", "item", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    item: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))
    period: Mapped[dt.date] = mapped_column(Date)
    forecast_order_qty: Mapped[float] = mapped_column(Float)
    capacity_qty: Mapped[float] = mapped_column(Float)
    stock_qty: Mapped[float] = mapped_column(Float)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)


# -- logistics -------------------------------------------------------------------------------------------------------
class ShipmentStatus(enum.StrEnum):
    PLANNED = "planned"
    ARRIVED = "arrived"  # through the gate in
    LOADING = "loading"
    DEPARTED = "departed"  # through the gate out
    CANCELLED = "cancelled"


class Shipment(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A shipment into or out of the park for an enterprise, with its gate events and dock booking."""

    __tablename__ = "shipment"

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(10), doc="in or out")
    consignee: Mapped[str] = mapped_column(String(200))
    carrier: Mapped[str | None] = mapped_column(String(200))
    plate: Mapped[str | None] = mapped_column(String(20))
    goods: Mapped[str] = mapped_column(String(200))
    weight_t: Mapped[float | None] = mapped_column(Float)
    expected_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(20), default=ShipmentStatus.PLANNED.value)
    dock_booking_id: Mapped[int | None] = mapped_column(ForeignKey("service_booking.id", ondelete="SET NULL"))
    gate_events: Mapped[list[dict[str, Any]]] = mapped_column(JSON, doc="[{kind, gate, at, by}] oldest first")


# -- 产融对接 ----------------------------------------------------------------------------------------------------
class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    REVIEWING = "reviewing"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class FinanceApplication(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An enterprise's application for a finance product. Its credit profile is assembled and shared with the
    provider only after the enterprise consents."""

    __tablename__ = "finance_application"
    __visibility__ = Visibility.PARK  # narrowed: the applicant, the provider, staff

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("service_offering.id", ondelete="RESTRICT"), index=True)
    provider_enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True
    )
    amount_wan_yuan: Mapped[float] = mapped_column(Float)
    term_months: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=ApplicationStatus.SUBMITTED.value, index=True)
    consent_at: Mapped[dt.datetime | None]
    consent_by: Mapped[str | None] = mapped_column(String(120))
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSON, doc="the credit profile shared with the provider")
    profile_shared_at: Mapped[dt.datetime | None]
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, doc="[{status, at, by, note}] oldest first")
