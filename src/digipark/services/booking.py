"""Booking shared resources: a bookable offering has a calendar of slots (`slot_minutes` long) with `units`
identical units. A request holds one unit in each of its slots (a row of `service_booking_slot`) until the provider
declines it or it is cancelled; maintenance windows hold every unit. The unique index on (offering, slot, unit) is
what forbids double booking — on SQLite and PostgreSQL alike, whatever requests run at the same time: of two
requests taking the last unit, one commits and the other's insert fails (409).

Who acts: the booker's enterprise (or staff for it) requests and cancels (within the offering's cancellation rule);
the provider (the providing enterprise, or park staff for the park's own services) approves or declines, checks in
and out; check-out records the usage and its price, which the monthly statements sum."""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, false, func, insert, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound, PermissionDenied, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.services.catalogue import OFFERINGS
from digipark.services.common import (
    READ_ALL,
    USE,
    VIEW,
    WRITE,
    any_park_enterprise,
    park_enterprise,
    write_permission,
    zone,
)
from digipark.services.events import emit
from digipark.services.models import (
    USED,
    Booking,
    BookingSlot,
    BookingStatus,
    MaintenanceWindow,
    PartnerRelation,
    PriceUnit,
    RelationSource,
    ServiceOffering,
    ServiceUsage,
)
from digipark.services.schemas import (
    BookingCreate,
    CalendarSlot,
    MaintenanceCreate,
    Statement,
    StatementLine,
    UsageCreate,
    Utilisation,
)

MAX_BOOKING = dt.timedelta(days=31)
ATTEMPTS = 3  # a unit taken by a concurrent request: look again for another free unit


def booking_read_condition(scope: Scope) -> ColumnElement[bool]:
    """Staff and reviewers read every booking of the park; an enterprise its own and those made to it."""
    if scope.can(READ_ALL):
        return true()
    if scope.own_enterprise_only and scope.enterprise_id is not None and scope.can(VIEW):
        return or_(Booking.enterprise_id == scope.enterprise_id, Booking.provider_enterprise_id == scope.enterprise_id)
    return false()


def usage_read_condition(scope: Scope) -> ColumnElement[bool]:
    if scope.can(READ_ALL):
        return true()
    if scope.own_enterprise_only and scope.enterprise_id is not None and scope.can(VIEW):
        return or_(
            ServiceUsage.enterprise_id == scope.enterprise_id,
            ServiceUsage.provider_enterprise_id == scope.enterprise_id,
        )
    return false()


BOOKING_LIST = ListSpec(
    filters={
        "park_id": Booking.park_id,
        "offering_id": Booking.offering_id,
        "enterprise_id": Booking.enterprise_id,
        "provider_enterprise_id": Booking.provider_enterprise_id,
        "status": Booking.status,
    },
    sort={"id": Booking.id, "starts_at": Booking.starts_at, "status": Booking.status},
    default_sort="-starts_at,-id",
)
USAGE_LIST = ListSpec(
    filters={
        "park_id": ServiceUsage.park_id,
        "offering_id": ServiceUsage.offering_id,
        "enterprise_id": ServiceUsage.enterprise_id,
        "used_on": ServiceUsage.used_on,
    },
    sort={"id": ServiceUsage.id, "used_on": ServiceUsage.used_on, "amount_yuan": ServiceUsage.amount_yuan},
    default_sort="-used_on,-id",
)


def readable_bookings(scope: Scope) -> Any:
    return scope.readable(Booking).where(booking_read_condition(scope))


def list_bookings(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[Booking], int]:
    return BOOKING_LIST.apply(session, readable_bookings(scope), query)


def get_booking(session: Session, *, scope: Scope, ident: int) -> Booking:
    row: Booking | None = session.scalar(readable_bookings(scope).where(Booking.id == ident))
    if row is None:
        raise NotFound(f"booking {ident} not found")
    return row


def list_usage(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[ServiceUsage], int]:
    return USAGE_LIST.apply(session, scope.readable(ServiceUsage).where(usage_read_condition(scope)), query)


# -- slots -----------------------------------------------------------------------------------------------------------
def slot_starts(offering: ServiceOffering, starts_at: dt.datetime, ends_at: dt.datetime) -> builtins.list[dt.datetime]:
    """The slots [starts_at, ends_at) covers; both ends on the offering's slot grid (local time), else 422."""
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value.tzinfo is None:
            raise field_error(field, "give a time zone (e.g. +08:00)")
        local = value.astimezone(zone())
        minutes = local.hour * 60 + local.minute
        if local.second or local.microsecond or minutes % offering.slot_minutes:
            raise field_error(field, f"must fall on the {offering.slot_minutes}-minute slot grid")
    if ends_at <= starts_at:
        raise field_error("ends_at", "must be after starts_at")
    if ends_at - starts_at > MAX_BOOKING:
        raise field_error("ends_at", f"a booking lasts at most {MAX_BOOKING.days} days")
    step = dt.timedelta(minutes=offering.slot_minutes)
    start = starts_at.astimezone(dt.UTC)
    count = int((ends_at - starts_at) / step)
    return [start + i * step for i in range(count)]


def _taken(session: Session, offering_id: int, slots: builtins.list[dt.datetime]) -> dict[dt.datetime, set[int]]:
    taken: dict[dt.datetime, set[int]] = {s: set() for s in slots}
    rows = session.execute(
        select(BookingSlot.slot_start, BookingSlot.unit_no).where(
            BookingSlot.offering_id == offering_id,
            BookingSlot.slot_start >= slots[0],
            BookingSlot.slot_start <= slots[-1],
        )
    )
    for start, unit in rows:
        taken.setdefault(start.astimezone(dt.UTC), set()).add(unit)
    return taken


def _hold(
    session: Session,
    offering: ServiceOffering,
    slots: builtins.list[dt.datetime],
    *,
    booking_id: int | None = None,
    maintenance_id: int | None = None,
) -> None:
    """Take one free unit in each slot for a booking (every unit for maintenance); 409 when a slot has none."""
    for _attempt in range(ATTEMPTS):
        taken = _taken(session, offering.id, slots)
        values: builtins.list[dict[str, Any]] = []
        for start in slots:
            free = [u for u in range(offering.units) if u not in taken[start]]
            if maintenance_id is not None and len(free) < offering.units:
                raise Conflict(f"the slot at {start.isoformat()} is booked; move or cancel its bookings first")
            if not free:
                raise Conflict(
                    f"the slot at {start.isoformat()} is fully booked",
                    errors=[{"field": "starts_at", "reason": "fully booked"}],
                )
            units = free if maintenance_id is not None else free[:1]
            values.extend(
                {
                    "park_id": offering.park_id,
                    "offering_id": offering.id,
                    "slot_start": start,
                    "unit_no": unit,
                    "booking_id": booking_id,
                    "maintenance_id": maintenance_id,
                }
                for unit in units
            )
        try:
            with session.begin_nested():
                session.execute(insert(BookingSlot), values)
            return
        except IntegrityError:
            continue  # a concurrent request took a unit between our read and our insert
    raise Conflict("the slots were just taken by another request", errors=[{"field": "starts_at", "reason": "taken"}])


def _check_free(session: Session, offering: ServiceOffering, slots: builtins.list[dt.datetime]) -> None:
    """409 at once when a slot has no free unit, before anything is written: a refused request then never waits
    for the audit log's lock that every write takes. (`_hold` decides; this only spares the losers the wait.)"""
    taken = _taken(session, offering.id, slots)
    for start in slots:
        if len(taken[start]) >= offering.units:
            raise Conflict(
                f"the slot at {start.isoformat()} is fully booked",
                errors=[{"field": "starts_at", "reason": "fully booked"}],
            )


def _release(session: Session, booking: Booking) -> None:
    session.execute(delete(BookingSlot).where(BookingSlot.booking_id == booking.id))


# -- requests and decisions ------------------------------------------------------------------------------------------
def _bookable(session: Session, scope: Scope, offering_id: int) -> ServiceOffering:
    try:
        offering = OFFERINGS.get(session, scope=scope, ident=offering_id)
    except NotFound:
        raise field_error("offering_id", f"no service {offering_id}") from None
    if not offering.bookable or not offering.active:
        raise field_error("offering_id", "this service is not bookable")
    return offering


def create_booking(session: Session, *, scope: Scope, data: BookingCreate) -> Booking:
    """Request a bookable service for the caller's enterprise (staff: for one they name)."""
    permission = write_permission(scope)
    scope.require(permission)
    offering = _bookable(session, scope, data.offering_id)
    enterprise_id = scope.acting_enterprise(data.enterprise_id)
    if enterprise_id is None:
        raise field_error("enterprise_id", "required: the enterprise booking")
    scope.authorize_write(permission, park_id=offering.park_id, enterprise_id=enterprise_id)
    park_enterprise(session, scope, offering.park_id, enterprise_id, "enterprise_id")
    slots = slot_starts(offering, data.starts_at, data.ends_at)
    if scope.own_enterprise_only and data.starts_at < utcnow():
        raise field_error("starts_at", "must be in the future")
    _check_free(session, offering, slots)
    row = Booking(
        park_id=offering.park_id,
        enterprise_id=enterprise_id,
        offering_id=offering.id,
        provider_enterprise_id=offering.enterprise_id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        status=BookingStatus.REQUESTED.value,
        purpose=data.purpose,
        requested_by=scope.username,
    )
    session.add(row)
    session.flush()
    _hold(session, offering, slots, booking_id=row.id)
    emit(session, row, "requested")
    return row


def authorize_provider(scope: Scope, park_id: int, provider_enterprise_id: int | None) -> None:
    """The provider of a service acts on it: its enterprise's users, or park staff (for any service of the park)."""
    if scope.own_enterprise_only:
        scope.require(USE)
        if provider_enterprise_id is None or provider_enterprise_id != scope.enterprise_id:
            raise PermissionDenied("only the provider of the service may do this")
        if park_id not in scope.write_parks:
            raise PermissionDenied("you may not change data of this park")
        return
    scope.authorize_write(WRITE, park_id=park_id)


def decide(session: Session, *, scope: Scope, ident: int, approve: bool, note: str | None = None) -> Booking:
    """The provider approves or declines a requested booking (a declined one frees its slots)."""
    row = get_booking(session, scope=scope, ident=ident)
    authorize_provider(scope, row.park_id, row.provider_enterprise_id)
    if row.status != BookingStatus.REQUESTED:
        raise Conflict(f"booking {ident} is {row.status}, not requested")
    row.status = (BookingStatus.APPROVED if approve else BookingStatus.DECLINED).value
    row.decided_by, row.decided_at, row.note = scope.username, utcnow(), note
    if not approve:
        _release(session, row)
    session.flush()
    emit(session, row, "approved" if approve else "declined")
    return row


def cancel(session: Session, *, scope: Scope, ident: int) -> Booking:
    """The booker cancels a requested or approved booking, no later than the offering's notice before the start;
    the provider may cancel at any time."""
    row = get_booking(session, scope=scope, ident=ident)
    offering = session.get(ServiceOffering, row.offering_id)
    assert offering is not None
    provider = is_provider(scope, row)
    if not provider:
        scope.authorize_write_row(write_permission(scope), row)
    if row.status not in (BookingStatus.REQUESTED, BookingStatus.APPROVED):
        raise Conflict(f"booking {ident} is {row.status}; only requested or approved bookings can be cancelled")
    deadline = row.starts_at - dt.timedelta(hours=offering.cancel_hours)
    if not provider and row.status == BookingStatus.APPROVED and utcnow() > deadline:
        raise Conflict(f"cancel at least {offering.cancel_hours} hours before the start; ask the provider")
    row.status = BookingStatus.CANCELLED.value
    row.note = f"cancelled by {scope.username}"
    _release(session, row)
    session.flush()
    emit(session, row, "cancelled")
    return row


def is_provider(scope: Scope, row: Booking) -> bool:
    try:
        authorize_provider(scope, row.park_id, row.provider_enterprise_id)
    except PermissionDenied:
        return False
    return True


def check_in(session: Session, *, scope: Scope, ident: int, at: dt.datetime | None = None) -> Booking:
    row = get_booking(session, scope=scope, ident=ident)
    authorize_provider(scope, row.park_id, row.provider_enterprise_id)
    if row.status != BookingStatus.APPROVED:
        raise Conflict(f"booking {ident} is {row.status}, not approved")
    row.status = BookingStatus.CHECKED_IN.value
    row.checked_in_at = at or utcnow()
    session.flush()
    emit(session, row, "checked_in")
    return row


def check_out(session: Session, *, scope: Scope, ident: int, at: dt.datetime | None = None) -> Booking:
    """End the use and record it: the booked time in the offering's price unit, at its price."""
    row = get_booking(session, scope=scope, ident=ident)
    authorize_provider(scope, row.park_id, row.provider_enterprise_id)
    if row.status != BookingStatus.CHECKED_IN:
        raise Conflict(f"booking {ident} is {row.status}, not checked in")
    offering = session.get(ServiceOffering, row.offering_id)
    assert offering is not None
    row.status = BookingStatus.COMPLETED.value
    row.checked_out_at = at or utcnow()
    quantity = _booked_quantity(offering, row.ends_at - row.starts_at)
    session.add(
        ServiceUsage(
            park_id=row.park_id,
            enterprise_id=row.enterprise_id,
            offering_id=offering.id,
            provider_enterprise_id=offering.enterprise_id,
            booking_id=row.id,
            used_on=row.starts_at.astimezone(zone()).date(),
            quantity=quantity,
            unit=offering.price_unit,
            amount_yuan=round(quantity * (offering.unit_price_yuan or 0.0), 2),
        )
    )
    _platform_relation(session, offering, row)
    session.flush()
    emit(session, row, "completed")
    return row


def _platform_relation(session: Session, offering: ServiceOffering, row: Booking) -> None:
    """A service one park enterprise delivered to another through the platform makes them supplier and customer."""
    supplier, customer = offering.enterprise_id, row.enterprise_id
    if supplier is None or customer is None or supplier == customer:
        return
    goods = offering.name[:200]
    known = session.scalar(
        select(PartnerRelation.id).where(
            PartnerRelation.enterprise_id == supplier,
            PartnerRelation.customer_enterprise_id == customer,
            PartnerRelation.goods == goods,
        )
    )
    if known is None:
        session.add(
            PartnerRelation(
                park_id=row.park_id,
                enterprise_id=supplier,
                customer_enterprise_id=customer,
                goods=goods,
                source=RelationSource.PLATFORM.value,
            )
        )


def _booked_quantity(offering: ServiceOffering, length: dt.timedelta) -> float:
    hours = length.total_seconds() / 3600
    if offering.price_unit == PriceUnit.HOUR:
        return round(hours, 2)
    if offering.price_unit in (PriceUnit.DAY, PriceUnit.PALLET_DAY):
        return round(hours / 24, 2)
    return 1.0


def record_usage(session: Session, *, scope: Scope, data: UsageCreate) -> ServiceUsage:
    """The provider records what an enterprise used of a service without a calendar (space, tests, shipments)."""
    try:
        offering = OFFERINGS.get(session, scope=scope, ident=data.offering_id)
    except NotFound:
        raise field_error("offering_id", f"no service {data.offering_id}") from None
    authorize_provider(scope, offering.park_id, offering.enterprise_id)
    any_park_enterprise(session, offering.park_id, data.enterprise_id, "enterprise_id")
    row = ServiceUsage(
        park_id=offering.park_id,
        enterprise_id=data.enterprise_id,
        offering_id=offering.id,
        provider_enterprise_id=offering.enterprise_id,
        used_on=data.used_on,
        quantity=data.quantity,
        unit=offering.price_unit,
        amount_yuan=round(data.quantity * (offering.unit_price_yuan or 0.0), 2),
        note=data.note,
    )
    session.add(row)
    session.flush()
    return row


# -- maintenance, calendar, statements, utilisation ------------------------------------------------------------------
def add_maintenance(session: Session, *, scope: Scope, offering_id: int, data: MaintenanceCreate) -> MaintenanceWindow:
    """Take a bookable service out of use; 409 while bookings hold any of its slots."""
    offering = OFFERINGS.get(session, scope=scope, ident=offering_id)
    authorize_provider(scope, offering.park_id, offering.enterprise_id)
    if not offering.bookable:
        raise Conflict(f"service {offering_id} has no calendar")
    slots = slot_starts(offering, data.starts_at, data.ends_at)
    row = MaintenanceWindow(
        park_id=offering.park_id,
        offering_id=offering.id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        reason=data.reason,
    )
    session.add(row)
    session.flush()
    _hold(session, offering, slots, maintenance_id=row.id)
    return row


def calendar(
    session: Session, *, scope: Scope, offering_id: int, day: dt.date, days: int = 1
) -> builtins.list[CalendarSlot]:
    """Each slot of `days` local days from `day`: how many units are free, and whether maintenance holds it."""
    scope.require(VIEW)
    offering = OFFERINGS.get(session, scope=scope, ident=offering_id)
    if not offering.bookable:
        raise Conflict(f"service {offering_id} has no calendar")
    start = dt.datetime.combine(day, dt.time(), zone())
    slots = slot_starts(offering, start, start + dt.timedelta(days=days))
    held: dict[dt.datetime, tuple[int, bool]] = {}
    rows = session.execute(
        select(BookingSlot.slot_start, func.count(), func.count(BookingSlot.maintenance_id))
        .where(
            BookingSlot.offering_id == offering.id,
            BookingSlot.slot_start >= slots[0],
            BookingSlot.slot_start <= slots[-1],
        )
        .group_by(BookingSlot.slot_start)
    )
    for slot_start, count, maintenance in rows:
        held[slot_start.astimezone(dt.UTC)] = (count, maintenance > 0)
    return [
        CalendarSlot(
            starts_at=s.astimezone(zone()),
            free_units=offering.units - held.get(s, (0, False))[0],
            maintenance=held.get(s, (0, False))[1],
        )
        for s in slots
    ]


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following


def statement(session: Session, *, scope: Scope, enterprise_id: int | None, month: dt.date) -> Statement:
    """An enterprise's bill of a month: its usage per service (an enterprise user: its own)."""
    scope.require(VIEW)
    enterprise = scope.acting_enterprise(enterprise_id)
    if enterprise is None:
        raise field_error("enterprise_id", "required: the enterprise billed")
    park_id = scope.acting_park()
    park_enterprise(session, scope, park_id, enterprise, "enterprise_id")
    first, following = month_bounds(month)
    rows = session.execute(
        select(
            ServiceOffering.id,
            ServiceOffering.name,
            ServiceOffering.name_en,
            ServiceOffering.provider_name,
            ServiceOffering.provider_name_en,
            ServiceUsage.unit,
            func.sum(ServiceUsage.quantity),
            func.sum(ServiceUsage.amount_yuan),
        )
        .join(ServiceOffering, ServiceOffering.id == ServiceUsage.offering_id)
        .where(
            scope.condition(ServiceUsage),
            usage_read_condition(scope),
            ServiceUsage.enterprise_id == enterprise,
            ServiceUsage.used_on >= first,
            ServiceUsage.used_on < following,
        )
        .group_by(
            ServiceOffering.id,
            ServiceOffering.name,
            ServiceOffering.name_en,
            ServiceOffering.provider_name,
            ServiceOffering.provider_name_en,
            ServiceUsage.unit,
        )
        .order_by(ServiceOffering.name)
    ).all()
    lines = [
        StatementLine(
            offering_id=o_id,
            offering=name,
            offering_en=name_en,
            provider_name=provider,
            provider_name_en=provider_en,
            quantity=float(q),
            unit=unit,
            amount_yuan=float(a),
        )
        for o_id, name, name_en, provider, provider_en, unit, q, a in rows
    ]
    return Statement(
        enterprise_id=enterprise, month=first, lines=lines, total_yuan=round(sum(x.amount_yuan for x in lines), 2)
    )


def utilisation(
    session: Session, *, scope: Scope, since: dt.date, until: dt.date, park_id: int | None = None
) -> builtins.list[Utilisation]:
    """Per bookable service of the park: hours booked (approved or used) of the hours its units were available
    between the local days `since` and `until` (inclusive), maintenance excluded."""
    scope.require(VIEW)
    if until < since or (until - since).days > 366:
        raise field_error("until", "from since, at most a year on")
    park = scope.acting_park(park_id)
    start = dt.datetime.combine(since, dt.time(), zone()).astimezone(dt.UTC)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), zone()).astimezone(dt.UTC)
    offerings = session.scalars(
        OFFERINGS.readable(scope)
        .where(ServiceOffering.park_id == park, ServiceOffering.bookable.is_(True))
        .order_by(ServiceOffering.name, ServiceOffering.id)
    ).all()
    in_range = and_(BookingSlot.park_id == park, BookingSlot.slot_start >= start, BookingSlot.slot_start < end)
    booked = dict(
        session.execute(
            select(BookingSlot.offering_id, func.count())
            .join(Booking, Booking.id == BookingSlot.booking_id)
            .where(in_range, Booking.status.in_([s.value for s in USED]))
            .group_by(BookingSlot.offering_id)
        ).all()
    )
    maintenance = dict(
        session.execute(
            select(BookingSlot.offering_id, func.count())
            .where(in_range, BookingSlot.maintenance_id.is_not(None))
            .group_by(BookingSlot.offering_id)
        ).all()
    )
    hours = (end - start).total_seconds() / 3600
    result = []
    for o in offerings:
        per_slot = o.slot_minutes / 60
        booked_h = booked.get(o.id, 0) * per_slot
        maintenance_h = maintenance.get(o.id, 0) * per_slot
        available = o.units * hours - maintenance_h
        result.append(
            Utilisation(
                offering_id=o.id,
                name=o.name,
                units=o.units,
                available_hours=available,
                booked_hours=booked_h,
                maintenance_hours=maintenance_h,
                utilisation=round(booked_h / available, 4) if available > 0 else None,
            )
        )
    return result
