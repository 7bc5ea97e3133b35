"""Bookings of shared resources: slots held per unit (no double booking), provider approval, cancellation rule,
maintenance windows, check-in/out with usage and the monthly statement, utilisation, and who reads what."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.services import booking
from digipark.services.schemas import BookingCreate, MaintenanceCreate
from tests.conftest import World
from tests.services.helpers import admin, at, enterprise, machine, new_enterprise, scope


def request(db: Session, who, offering_id: int, start: dt.datetime, hours: int = 2):  # type: ignore[no-untyped-def]
    data = BookingCreate(offering_id=offering_id, starts_at=start, ends_at=start + dt.timedelta(hours=hours))
    return booking.create_booking(db, scope=who, data=data)


def test_a_slot_is_booked_once_per_unit(db: Session, world: World) -> None:
    one = machine(db, world.a)
    first = request(db, enterprise(world.a, 0), one.id, at(3, 9))
    with pytest.raises(Conflict):  # overlapping by one hour
        request(db, enterprise(world.a, 1), one.id, at(3, 10))
    request(db, enterprise(world.a, 1), one.id, at(3, 11))  # adjacent: free
    two = machine(db, world.a, units=2)
    request(db, enterprise(world.a, 0), two.id, at(3, 9))
    request(db, enterprise(world.a, 1), two.id, at(3, 9))
    with pytest.raises(Conflict):
        request(db, admin(world.a) and enterprise(world.a, 0), two.id, at(3, 10))
    # a declined request frees its slots
    booking.decide(db, scope=admin(world.a), ident=first.id, approve=False)
    request(db, enterprise(world.a, 1), one.id, at(3, 9))


def test_bad_times_are_refused_on_their_field(db: Session, world: World) -> None:
    one = machine(db, world.a)
    with pytest.raises(ValidationFailed):  # off the slot grid
        request(db, enterprise(world.a, 0), one.id, at(3, 9) + dt.timedelta(minutes=20))
    with pytest.raises(ValidationFailed):  # in the past, for an enterprise
        request(db, enterprise(world.a, 0), one.id, at(-3, 9))
    with pytest.raises(ValidationFailed):  # ends before it starts
        booking.create_booking(
            db,
            scope=enterprise(world.a, 0),
            data=BookingCreate(offering_id=one.id, starts_at=at(3, 10), ends_at=at(3, 9)),
        )


def test_the_provider_decides_and_the_booker_cancels_within_the_rule(db: Session, world: World) -> None:
    provider, booker = world.a.enterprise_ids[0], enterprise(world.a, 1)
    other = scope(world.a, Role.ENTERPRISE, new_enterprise(db, world.a, "第三方企业"))
    offered = machine(db, world.a, provider=provider)
    row = request(db, booker, offered.id, at(5, 9))
    with pytest.raises(PermissionDenied):  # the booker does not approve its own request
        booking.decide(db, scope=booker, ident=row.id, approve=True)
    with pytest.raises(NotFound):  # a third enterprise does not see it
        booking.decide(db, scope=other, ident=row.id, approve=True)
    assert booking.decide(db, scope=enterprise(world.a, 0), ident=row.id, approve=True).status == "approved"
    assert booking.cancel(db, scope=booker, ident=row.id).status == "cancelled"
    next_hour = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=2)
    soon = request(db, booker, offered.id, next_hour)  # well inside the 24-hour rule
    booking.decide(db, scope=enterprise(world.a, 0), ident=soon.id, approve=True)
    with pytest.raises(Conflict):  # less than 24 hours ahead
        booking.cancel(db, scope=booker, ident=soon.id)
    assert booking.cancel(db, scope=enterprise(world.a, 0), ident=soon.id).status == "cancelled"


def test_maintenance_holds_every_unit_and_yields_to_bookings(db: Session, world: World) -> None:
    two = machine(db, world.a, units=2)
    booking.add_maintenance(
        db, scope=admin(world.a), offering_id=two.id, data=MaintenanceCreate(starts_at=at(4, 8), ends_at=at(4, 12))
    )
    with pytest.raises(Conflict):
        request(db, enterprise(world.a, 0), two.id, at(4, 10))
    request(db, enterprise(world.a, 0), two.id, at(4, 14))
    with pytest.raises(Conflict):  # a booking holds a slot of the window
        booking.add_maintenance(
            db, scope=admin(world.a), offering_id=two.id, data=MaintenanceCreate(starts_at=at(4, 14), ends_at=at(4, 15))
        )
    slots = booking.calendar(db, scope=enterprise(world.a, 1), offering_id=two.id, day=at(4, 0).date())
    by_hour = {s.starts_at.hour: s for s in slots}
    assert by_hour[9].maintenance and by_hour[9].free_units == 0
    assert by_hour[14].free_units == 1 and by_hour[16].free_units == 2


def test_check_out_records_usage_billed_in_the_month(db: Session, world: World) -> None:
    one = machine(db, world.a)
    start = at(-2, 9)
    row = booking.create_booking(
        db,
        scope=admin(world.a),
        data=BookingCreate(
            offering_id=one.id,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=3),
            enterprise_id=world.a.enterprise_ids[1],
        ),
    )
    booking.decide(db, scope=admin(world.a), ident=row.id, approve=True)
    booking.check_in(db, scope=admin(world.a), ident=row.id)
    booking.check_out(db, scope=admin(world.a), ident=row.id)
    bill = booking.statement(db, scope=enterprise(world.a, 1), enterprise_id=None, month=start.date())
    line = next(x for x in bill.lines if x.offering_id == one.id)
    assert (line.quantity, line.unit, line.amount_yuan) == (3.0, "hour", 540.0)
    other = booking.statement(db, scope=enterprise(world.a, 0), enterprise_id=None, month=start.date())
    assert all(x.offering_id != one.id for x in other.lines)
    use = booking.utilisation(db, scope=admin(world.a), since=start.date(), until=start.date())
    found = next(u for u in use if u.offering_id == one.id)
    assert found.booked_hours == 3 and found.utilisation == pytest.approx(3 / 24)


def test_an_enterprise_reads_its_own_bookings_and_those_to_it(db: Session, world: World) -> None:
    provider = world.a.enterprise_ids[0]
    offered = machine(db, world.a, provider=provider)
    parks = machine(db, world.a)
    to_provider = request(db, enterprise(world.a, 1), offered.id, at(6, 9))
    own = request(db, enterprise(world.a, 1), parks.id, at(6, 9))
    seen = {b.id for b in booking.list_bookings(db, scope=enterprise(world.a, 0), query=ListQuery(page_size=500))[0]}
    assert to_provider.id in seen and own.id not in seen
    seen = {b.id for b in booking.list_bookings(db, scope=enterprise(world.a, 1), query=ListQuery(page_size=500))[0]}
    assert {to_provider.id, own.id} <= seen
    assert not booking.list_bookings(db, scope=enterprise(world.b, 0), query=ListQuery(page_size=500))[0] or all(
        b.park_id == world.b.park_id
        for b in booking.list_bookings(db, scope=enterprise(world.b, 0), query=ListQuery(page_size=500))[0]
    )


def test_a_service_delivered_between_enterprises_makes_them_partners(db: Session, world: World) -> None:
    from digipark.services import provides

    provider, customer = world.a.enterprise_ids
    offered = machine(db, world.a, provider=provider)
    start = at(-3, 9)
    row = booking.create_booking(
        db,
        scope=admin(world.a),
        data=BookingCreate(
            offering_id=offered.id, starts_at=start, ends_at=start + dt.timedelta(hours=2), enterprise_id=customer
        ),
    )
    booking.decide(db, scope=enterprise(world.a, 0), ident=row.id, approve=True)
    graph = provides.partner_relations(db, scope=admin(world.a), park_id=world.a.park_id)
    assert all(r["goods"] != offered.name for r in graph)  # not before the service is delivered
    booking.check_in(db, scope=enterprise(world.a, 0), ident=row.id)
    booking.check_out(db, scope=enterprise(world.a, 0), ident=row.id)
    graph = provides.partner_relations(db, scope=enterprise(world.a, 1), park_id=world.a.park_id)
    assert {"supplier_id": provider, "customer_id": customer, "goods": offered.name, "source": "platform"} in graph
