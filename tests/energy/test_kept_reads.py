"""The energy centre reads a year's figures and its 15-minute series once per page: kept only inside a unit of work
declared as reading, never where anything writes, and the week of load cut from the 30 days is what a read of the
week gives."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from digipark.auth.scope import system_scope
from digipark.core.db import transaction
from digipark.energy import load, service
from digipark.energy.accounts import YearData, year_data
from digipark.energy.schemas import EntryCreate, MeterCreate
from digipark.telemetry.store import ReadingRow, write_readings
from tests.conftest import World

DAY_MS = 86_400_000


def _coal(data: YearData, enterprise: int) -> float:
    return sum(sum(months) for months in data.activities.get(enterprise, {}).values())


def _electricity_meter(db: Session, world: World, code: str) -> None:
    """An enterprise's purchased-electricity meter on the park's first point."""
    data = MeterCreate(
        code=code,
        name="总表",
        level="enterprise",
        carrier="electricity",
        source="telemetry",
        enterprise_id=world.a.enterprise_ids[0],
        point_id=world.a.point_ids[0],
    )
    service.create_meter(db, scope=system_scope(world.a.park_id), data=data)


def test_a_year_is_read_once_in_a_reading_unit_and_afresh_after_a_write(db: Session, world: World) -> None:
    scope, park, enterprise = system_scope(world.a.park_id), world.a.park_id, world.a.enterprise_ids[0]
    with transaction() as reading:
        first = year_data(reading, park, 2025)
        assert year_data(reading, park, 2025) is first  # the page's second and third asks
    kept_before = _coal(first, enterprise)
    # where it writes, nothing is kept: the entry counts at once
    assert year_data(db, park, 2025) is not year_data(db, park, 2025)
    service.create_entry(
        db,
        scope=scope,
        data=EntryCreate(enterprise_id=enterprise, carrier="bituminous", period="2025-03", quantity=100_000, unit="kg"),
    )
    assert _coal(year_data(db, park, 2025), enterprise) == pytest.approx(kept_before + 100.0)
    with transaction() as reading:  # a new unit reads afresh
        assert _coal(year_data(reading, park, 2025), enterprise) == pytest.approx(kept_before + 100.0)


def test_the_week_cut_from_the_month_is_the_weeks_read(db: Session, world: World) -> None:
    scope, park, point = system_scope(world.a.park_id), world.a.park_id, world.a.point_ids[0]
    _electricity_meter(db, world, "E-KEPT")
    now_ms = int(dt.datetime(2026, 3, 31, tzinfo=dt.UTC).timestamp() * 1000)
    start = now_ms - 10 * DAY_MS
    readings = [ReadingRow(point, start + i * 900_000, 1000.0 + 2.5 * i) for i in range(10 * 96)]
    write_readings(db, readings)
    with transaction() as reading:
        month = load._series_15m(reading, park, None, now_ms - 30 * DAY_MS, now_ms)
        week = load._series_15m(reading, park, None, now_ms - 7 * DAY_MS, now_ms)  # cut from the month
        assert week == load._read_series(reading, park, None, now_ms - 7 * DAY_MS, now_ms)
        assert len(week) == 7 * 96 and len(month) > len(week)
        assert week == [(b, v) for b, v in month if b >= now_ms - 7 * DAY_MS]
        split = service.tariff_split(reading, scope=scope, park_id=park, from_ms=now_ms - 30 * DAY_MS, to_ms=now_ms)
        curve = service.load_curve(reading, scope=scope, park_id=park, from_ms=now_ms - 7 * DAY_MS, to_ms=now_ms)
    with transaction() as fresh:  # the same figures read without anything kept
        curve_alone = service.load_curve(fresh, scope=scope, park_id=park, from_ms=now_ms - 7 * DAY_MS, to_ms=now_ms)
    assert curve == curve_alone and split.kwh == pytest.approx(sum(v for _, v in month))


def test_the_split_from_hour_rollups_is_the_split_from_quarters(
    db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope, park, point = system_scope(world.a.park_id), world.a.park_id, world.a.point_ids[0]
    _electricity_meter(db, world, "E-SPLIT")
    now_ms = int(dt.datetime(2026, 3, 31, tzinfo=dt.UTC).timestamp() * 1000)
    start = now_ms - 3 * DAY_MS
    write_readings(db, [ReadingRow(point, start + i * 300_000, 1000.0 + (i % 7) * 0.5 + i) for i in range(3 * 288)])
    hourly = service.tariff_split(db, scope=scope, park_id=park, from_ms=start, to_ms=now_ms)
    assert load._hours_split_exactly(load.default_tariff()["periods"], start, now_ms)  # the demo's tariff: full hours
    monkeypatch.setattr(load, "_hours_split_exactly", lambda *_: False)
    quarters = service.tariff_split(db, scope=scope, park_id=park, from_ms=start, to_ms=now_ms)
    assert hourly.kwh == pytest.approx(quarters.kwh) and hourly.kwh > 0
    assert [(b.band, b.kwh, b.cost_yuan) for b in hourly.bands] == [
        (b.band, pytest.approx(b.kwh), pytest.approx(b.cost_yuan)) for b in quarters.bands
    ]
    assert {b.band for b in hourly.bands if b.kwh > 0} >= {"peak", "valley"}
