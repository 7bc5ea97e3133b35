"""The demo's year of service use, the archive's "services used" section, and the coverage indicator's sources."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.registry.models import Enterprise
from digipark.services import booking, demo, provides
from digipark.services.common import today
from digipark.services.coverage import services_used, window_start
from digipark.services.models import Booking, ServiceUsage
from digipark.services.schemas import BookingCreate, UsageCreate
from tests.conftest import World
from tests.services.helpers import admin, at, enterprise, machine, new_enterprise


def test_the_demo_has_a_year_of_service_use(db: Session, world: World) -> None:
    for i in range(8):
        new_enterprise(db, world.a, f"演示工业企业{i}", "3311", serial=40 + i)
    as_of = today()
    counts = demo.build_services_demo(db, park_id=world.a.park_id, as_of=as_of, seed=7)
    counts |= demo.build_services_bookings_demo(db, park_id=world.a.park_id, as_of=as_of, seed=7)
    assert counts["service_bookings"] > 200 and counts["service_usage"] > 20 and counts["group_purchases"] > 20
    first, last = db.execute(
        select(func.min(ServiceUsage.used_on), func.max(ServiceUsage.used_on)).where(
            ServiceUsage.park_id == world.a.park_id
        )
    ).one()
    assert (last - first).days > 300
    used = services_used(db, park_id=world.a.park_id, since=window_start(as_of), as_of=as_of)
    above = db.scalars(
        select(Enterprise.id).where(Enterprise.park_id == world.a.park_id, Enterprise.above_scale.is_(True))
    ).all()
    assert 0 < len(set(used) & set(above)) <= len(above)
    assert provides.production_service_in_use(db, world.a.park_id, as_of - dt.timedelta(days=30))
    assert demo.build_services_demo(db, park_id=world.a.park_id, as_of=as_of, seed=7) == {"services": 0}
    assert demo.build_services_bookings_demo(db, park_id=world.a.park_id, as_of=as_of, seed=7) == {
        "service_bookings": 0
    }


def test_the_archive_shows_the_services_an_enterprise_used(db: Session, world: World) -> None:
    one = machine(db, world.a)
    start = at(-5, 9)
    row = booking.create_booking(
        db,
        scope=admin(world.a),
        data=BookingCreate(
            offering_id=one.id,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            enterprise_id=world.a.enterprise_ids[0],
        ),
    )
    booking.decide(db, scope=admin(world.a), ident=row.id, approve=True)
    booking.check_in(db, scope=admin(world.a), ident=row.id)
    booking.check_out(db, scope=admin(world.a), ident=row.id)
    company = db.get(Enterprise, world.a.enterprise_ids[0])
    assert company is not None
    section = provides.archive_section(db, enterprise(world.a, 0), company)
    [used] = [s for s in section["services"] if s["name"] == one.name]
    assert (used["uses"], used["amount_yuan"]) == (1, 360.0) and section["bookings"] >= 1
    # the other enterprise of the park reads nothing of it
    other = provides.archive_section(db, enterprise(world.a, 1), company)
    assert other["services"] == [] and other["bookings"] == 0


def test_coverage_counts_usage_and_ignores_what_is_older_than_a_year(db: Session, world: World) -> None:
    lab = machine(db, world.a, bookable=False, kind="testing", price_unit="sample", unit_price_yuan=500)
    recent, old = new_enterprise(db, world.a, "近期用户", serial=60), new_enterprise(db, world.a, "早期用户", serial=61)
    as_of = dt.date(2026, 6, 30)
    booking.record_usage(
        db,
        scope=admin(world.a),
        data=UsageCreate(offering_id=lab.id, enterprise_id=recent, used_on=dt.date(2025, 7, 1), quantity=2),
    )
    booking.record_usage(
        db,
        scope=admin(world.a),
        data=UsageCreate(offering_id=lab.id, enterprise_id=old, used_on=dt.date(2025, 6, 30), quantity=2),
    )
    used = services_used(db, park_id=world.a.park_id, since=window_start(as_of), as_of=as_of)
    assert recent in used and old not in used
    assert db.scalar(select(func.count()).select_from(Booking).where(Booking.offering_id == lab.id)) == 0
