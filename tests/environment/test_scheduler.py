"""The exceedance scan that runs by itself: `scheduler.scan_due` scans the previous complete local days, records
each exceedance once however often it runs, and with a state rescans only days whose hour rollups changed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.environment import scheduler, service
from digipark.environment.models import Exceedance, Outlet
from digipark.environment.schemas import FactorLink, OutletCreate
from tests.conftest import World
from tests.environment.helpers import admin, wastewater_points, write

DAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 20, 4, 0, tzinfo=dt.UTC)  # 12:00 in Asia/Shanghai: 2026-03-19 is the last complete day


@pytest.fixture(autouse=True)
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _outlet(db: Session, world: World) -> tuple[Outlet, dict[str, int]]:
    points = wastewater_points(db, world.a)
    links = [
        FactorLink(factor="cod", point_id=points["cod_mgl"]),
        FactorLink(factor="water_flow", point_id=points["flow_m3h"]),
    ]
    data = OutletCreate(
        enterprise_id=world.a.enterprise_ids[0],
        code="DW001",
        name="总排口",
        medium="water",
        standard="GB8978-1996-1",  # COD ≤ 100 mg/L
        factors=links,
    )
    return service.create_outlet(db, scope=admin(world.a), data=data), points


def _count(db: Session, outlet: Outlet) -> int:
    return db.scalar(select(func.count()).select_from(Exceedance).where(Exceedance.outlet_id == outlet.id)) or 0


def test_scanning_twice_records_each_exceedance_once(db: Session, world: World) -> None:
    outlet, points = _outlet(db, world)
    # COD 80 mg/L in hours 0–21 and 200 mg/L in hours 22–23 at 10 m³/h: two hourly exceedances and a daily
    # average of (22 × 80 + 2 × 200) / 24 = 90 (valid, under the limit)
    write(db, points["cod_mgl"], DAY, {h: 80.0 for h in range(22)} | {22: 200.0, 23: 200.0})
    write(db, points["flow_m3h"], DAY, {h: 10.0 for h in range(24)})
    first = scheduler.scan_due(db, now=dt.datetime.now(dt.UTC))
    # one run, over the days with data in the look-back window (park B has no outlet)
    assert [(r.park_id, r.first, r.last) for r in first] == [(world.a.park_id, DAY, DAY)]
    assert (first[0].created, first[0].existing) == (2, 0)
    again = scheduler.scan_due(db, now=dt.datetime.now(dt.UTC))
    assert (again[0].created, again[0].existing) == (0, 2)
    assert _count(db, outlet) == 2
    rows = db.scalars(select(Exceedance).where(Exceedance.outlet_id == outlet.id)).all()
    assert {(r.factor, r.period, r.value) for r in rows} == {("cod", "hour", 200.0)}


def test_with_a_state_only_new_data_is_scanned_and_today_waits(db: Session, world: World) -> None:
    outlet, points = _outlet(db, world)
    write(db, points["cod_mgl"], DAY, {3: 150.0})
    state = scheduler.ScanState()
    now = dt.datetime.now(dt.UTC)
    assert sum(r.created for r in scheduler.scan_due(db, now=now, state=state)) == 1
    assert scheduler.scan_due(db, now=now, state=state) == []  # nothing changed: nothing scanned
    # late data for an older day, and today's (incomplete) data
    late, today = DAY - dt.timedelta(days=2), dt.date(2026, 3, 20)
    write(db, points["cod_mgl"], late, {7: 130.0})
    write(db, points["cod_mgl"], today, {1: 300.0})
    results = scheduler.scan_due(db, now=now, state=state)
    assert [(r.first, r.last, r.created) for r in results] == [(late, late, 1)]
    assert _count(db, outlet) == 2
    # the next day, today is complete and is scanned
    results = scheduler.scan_due(db, now=now + dt.timedelta(days=1), state=state)
    assert [(r.first, r.last, r.created) for r in results] == [(today, today, 1)]
    # a day given explicitly before the look-back window (the demo's history window) is scanned too
    old = DAY - dt.timedelta(days=60)
    write(db, points["cod_mgl"], old, {9: 111.0})
    results = scheduler.scan_due(db, now=now, first=old)
    assert sum(r.created for r in results) == 1 and _count(db, outlet) == 4


def test_the_scanner_thread_starts_and_stops() -> None:
    handle = scheduler.start_exceedance_scanner()
    running = scheduler.running_exceedance_scanner()
    assert running is not None and running._thread is not None and running._thread.is_alive()
    handle.stop()
    handle.stop()  # a second stop does nothing
    assert scheduler.running_exceedance_scanner() is None and running._thread is None
