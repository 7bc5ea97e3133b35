"""telemetry.store: idempotent writes, BAD out-of-range values, latest values, events, partitions, retention."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from digipark.core import events
from digipark.registry.models import Point
from digipark.telemetry import retention, rollups
from digipark.telemetry.events import ReadingsStored
from digipark.telemetry.models import PointLatest, Quality, Reading, Resolution, Rollup1d, Rollup15m
from digipark.telemetry.store import ReadingRow, partition_name, write_readings
from tests.conftest import World

T0 = int(dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC).timestamp() * 1000)  # a 15 min boundary
MIN = 60_000


def readings(db: Session, point_id: int) -> list[tuple[int, float, int]]:
    rows = db.execute(
        select(Reading.ts, Reading.value, Reading.quality).where(Reading.point_id == point_id).order_by(Reading.ts)
    )
    return [(int(ts), float(v), int(q)) for ts, v, q in rows]


def rollup15(db: Session, point_id: int, bucket: int) -> Rollup15m:
    row = db.execute(select(Rollup15m).where(Rollup15m.point_id == point_id, Rollup15m.bucket == bucket)).scalar_one()
    db.expunge(row)
    return row


def test_repeats_are_idempotent_and_the_first_value_wins(db: Session, world: World) -> None:
    power = world.a.point_ids[1]
    rows = [ReadingRow(power, T0 + i * MIN, 10.0 + i) for i in range(5)]
    first = write_readings(db, [*rows, ReadingRow(power, T0, 99.0)])  # repeat inside the batch
    assert (first.stored, first.duplicates, first.stored_by_point) == (5, 1, {power: 5})
    again = write_readings(db, [*rows[2:], ReadingRow(power, T0 + MIN, 42.0)])
    assert (again.stored, again.duplicates, again.stored_by_point) == (0, 4, {})
    assert readings(db, power) == [(T0 + i * MIN, 10.0 + i, 0) for i in range(5)]
    stats = rollup15(db, power, T0)
    assert (stats.count, stats.bad_count, stats.min, stats.max, stats.sum) == (5, 0, 10.0, 14.0, 60.0)
    assert (stats.first_value, stats.last_value, stats.delta) == (10.0, 14.0, None)


def test_out_of_range_values_are_stored_bad_and_left_out_of_statistics(db: Session, world: World) -> None:
    gas = world.a.point_ids[4]  # lel_pct, valid 0..100
    result = write_readings(
        db, [ReadingRow(gas, T0, 20.0), ReadingRow(gas, T0 + MIN, 150.0), ReadingRow(gas, T0 + 2 * MIN, 40.0)]
    )
    assert result.stored == 3
    assert readings(db, gas) == [(T0, 20.0, 0), (T0 + MIN, 150.0, Quality.BAD), (T0 + 2 * MIN, 40.0, 0)]
    stats = rollup15(db, gas, T0)
    assert (stats.count, stats.bad_count, stats.min, stats.max, stats.sum) == (2, 1, 20.0, 40.0, 60.0)
    latest = db.get(PointLatest, gas)
    assert latest is not None and (latest.ts, latest.value, latest.quality) == (T0 + 2 * MIN, 40.0, 0)


def test_point_latest_only_moves_forward_and_the_event_carries_new_rows(db: Session, world: World) -> None:
    power = world.a.point_ids[1]
    write_readings(db, [ReadingRow(power, T0 + 10 * MIN, 5.0)])
    pending_before = len(db.info.get("digipark.pending_events", []))
    write_readings(
        db, [ReadingRow(power, T0, 1.0), ReadingRow(power, T0 + MIN, 2.0), ReadingRow(power, T0 + 10 * MIN, 9.0)]
    )
    latest = db.get(PointLatest, power)
    assert latest is not None
    db.refresh(latest)
    assert (latest.ts, latest.value) == (T0 + 10 * MIN, 5.0)
    queued = [e for e in db.info.get("digipark.pending_events", [])[pending_before:] if isinstance(e, ReadingsStored)]
    assert len(queued) == 1
    assert queued[0].latest == {power: (T0 + MIN, 2.0, 0)}
    assert queued[0].readings == ((power, T0, 1.0, 0), (power, T0 + MIN, 2.0, 0))
    assert events  # the module the pending key belongs to


def test_two_batches_in_one_transaction(db: Session, world: World) -> None:
    power = world.a.point_ids[1]
    write_readings(db, [ReadingRow(power, T0, 1.0)])
    write_readings(db, [ReadingRow(power, T0 + MIN, 3.0)])
    stats = rollup15(db, power, T0)
    assert (stats.count, stats.sum, stats.first_value, stats.last_value) == (2, 4.0, 1.0, 3.0)


def test_a_partition_is_created_for_a_new_month(db: Session, world: World) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("monthly partitions exist on PostgreSQL only")
    power = world.a.point_ids[1]
    ts = int(dt.datetime(2031, 5, 17, tzinfo=dt.UTC).timestamp() * 1000)
    assert db.execute(text("SELECT to_regclass('reading_partitions.reading_y2031m05')")).scalar() is None
    write_readings(db, [ReadingRow(power, ts, 1.0)])
    assert partition_name(ts - ts % 1000) == "reading_y2031m05"
    assert db.execute(text("SELECT to_regclass('reading_partitions.reading_y2031m05')")).scalar() is not None
    assert (
        db.execute(text("SELECT to_regclass('reading_partitions.reading_y2031m06')")).scalar() is not None
    )  # created ahead
    assert readings(db, power) == [(ts, 1.0, 0)]


def test_retention_purges_old_raw_rows_and_keeps_rollups(db: Session, world: World) -> None:
    power = world.a.point_ids[1]
    old = int(dt.datetime(2020, 1, 10, tzinfo=dt.UTC).timestamp() * 1000)
    recent = int(dt.datetime(2020, 6, 10, tzinfo=dt.UTC).timestamp() * 1000)
    write_readings(db, [ReadingRow(power, old, 1.0), ReadingRow(power, old + MIN, 2.0), ReadingRow(power, recent, 3.0)])
    now = int(dt.datetime(2020, 6, 11, tzinfo=dt.UTC).timestamp() * 1000)
    removed = retention.purge_raw(db, now_ms=now, days=60)
    assert removed == 2
    assert readings(db, power) == [(recent, 3.0, 0)]
    assert rollup15(db, power, old - old % 900_000).count == 2
    assert retention.purge_raw(db, now_ms=now, days=60) == 0


def test_a_point_without_range_accepts_any_value(db: Session, world: World) -> None:
    power = world.a.point_ids[1]
    db.execute(update(Point).where(Point.id == power).values(valid_min=None, valid_max=None))
    write_readings(db, [ReadingRow(power, T0, -1e9)])
    assert readings(db, power) == [(T0, -1e9, 0)]


def test_concurrent_writers_stay_exact(engine: Engine, world: World) -> None:
    """Two writers at once (as two ingest workers): the same point, and points of one group, interleaved
    batches committed in their own transactions; no deadlock, every rollup exact. PostgreSQL only (SQLite has
    one writer)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL")
    energy, power = world.a.point_ids[0], world.a.point_ids[1]
    base = int(dt.datetime(2035, 6, 1, tzinfo=dt.UTC).timestamp() * 1000)
    tables = ("reading", "rollup_15m", "rollup_1h", "rollup_1d", "rollup_1mo")
    with engine.begin() as conn:
        saved = conn.execute(
            text("SELECT * FROM point_latest WHERE point_id IN (:a, :b)"), {"a": energy, "b": power}
        ).all()
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for batch in range(10):
                rows = [
                    ReadingRow(pid, base + (batch * 20 + i * 2 + offset) * MIN, float(batch * 20 + i * 2 + offset))
                    for i in range(10)
                    for pid in (energy, power)
                ]
                with Session(engine) as session, session.begin():
                    write_readings(session, rows)
        except BaseException as exc:  # reported by the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in (0, 1)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        with Session(engine) as session:
            for pid in (energy, power):
                assert len(readings(session, pid)) == 200
                day = rollups.bucket_start(Resolution.D1, base)
                stats = session.execute(
                    select(Rollup1d.count, Rollup1d.sum, Rollup1d.delta).where(
                        Rollup1d.point_id == pid, Rollup1d.bucket == day
                    )
                ).one()
                values = [v for ts, v, _ in readings(session, pid) if ts >= day and ts < day + 86_400_000]
                assert stats.count == len(values) and stats.sum == pytest.approx(sum(values))
                if pid == energy:  # cumulative: the day's delta is last - first, whatever the interleaving
                    assert stats.delta == pytest.approx(values[-1] - values[0])
    finally:
        with engine.begin() as conn:
            for table in tables:
                column = "ts" if table == "reading" else "bucket"
                conn.execute(
                    text(f"DELETE FROM {table} WHERE point_id IN (:a, :b) AND {column} >= :t"),
                    {"a": energy, "b": power, "t": base - 40 * 86_400_000},
                )
            conn.execute(text("DELETE FROM rollup_group WHERE bucket >= :t"), {"t": base - 40 * 86_400_000})
            conn.execute(text("DELETE FROM point_latest WHERE point_id IN (:a, :b)"), {"a": energy, "b": power})
            for row in saved:
                conn.execute(
                    text("INSERT INTO point_latest (point_id, ts, value, quality) VALUES (:p, :t, :v, :q)"),
                    {"p": row.point_id, "t": row.ts, "v": row.value, "q": row.quality},
                )


def test_readings_of_a_missing_point_are_not_stored_nor_duplicates(db: Session, world: World) -> None:
    power = world.a.point_ids[1]
    result = write_readings(db, [ReadingRow(power, T0, 1.0), ReadingRow(2_000_000_000, T0, 1.0)])
    assert (result.stored, result.duplicates, result.stored_by_point) == (1, 0, {power: 1})
