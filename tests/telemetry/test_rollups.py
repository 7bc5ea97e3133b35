"""telemetry.rollups: bucket boundaries, cumulative deltas (resets, rollover), late data, and the incremental
maintenance (Python on SQLite, SQL on PostgreSQL) against the pure-Python reference on random series."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from digipark.registry.models import Point
from digipark.telemetry.models import (
    ROLLUP_TABLES,
    PointLatest,
    Reading,
    Resolution,
    Rollup1d,
    Rollup1h,
    Rollup1mo,
    Rollup15m,
    RollupGroup,
    RollupPending,
)
from digipark.telemetry.rollups import (
    GROUP_LEVELS,
    LEVELS,
    M15_MS,
    STAT_COLUMNS,
    Stats,
    bucket_end,
    bucket_start,
    bucket_stats,
    combine,
    increment,
    point_contributions,
    rebuild_groups,
)
from digipark.telemetry.rollups_refresh import refresh_coarser, refresh_pending
from digipark.telemetry.store import ReadingRow, write_readings
from tests.conftest import World

UTC = dt.UTC
MIN = 60_000
Q = 900_000


def ms(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=UTC).timestamp() * 1000)  # type: ignore[misc]


T0 = ms(2026, 3, 2, 8, 0)  # 16:00 in Shanghai


def stored(db: Session, resolution: Resolution, point_id: int) -> dict[int, Stats]:
    model: Any = ROLLUP_TABLES[resolution]
    rows = db.execute(select(model.__table__).where(model.point_id == point_id))
    return {int(r.bucket): Stats(**{c: getattr(r, c) for c in STAT_COLUMNS}) for r in rows}


def as_meter(db: Session, point_id: int, valid_max: float | None = 1000.0) -> None:
    db.execute(
        update(Point)
        .where(Point.id == point_id)
        .values(state_class="total_increasing", valid_min=0, valid_max=valid_max)
    )


# --- buckets ----------------------------------------------------------------------------------------------------


def test_days_and_months_start_at_shanghai_midnight() -> None:
    before, after = ms(2026, 3, 1, 15, 59, 59), ms(2026, 3, 1, 16, 0)
    assert bucket_start(Resolution.D1, before) == ms(2026, 2, 28, 16, 0)
    assert bucket_start(Resolution.D1, after) == ms(2026, 3, 1, 16, 0)
    assert bucket_start(Resolution.MO1, before) == ms(2026, 2, 28, 16, 0)  # 1 March, 23:59:59 local
    assert bucket_start(Resolution.MO1, ms(2026, 2, 28, 15, 59, 59)) == ms(2026, 1, 31, 16, 0)  # still February
    assert bucket_start(Resolution.MO1, after) == ms(2026, 2, 28, 16, 0)
    assert bucket_end(Resolution.MO1, ms(2026, 1, 31, 16, 0)) == ms(2026, 2, 28, 16, 0)
    assert bucket_end(Resolution.MO1, ms(2025, 11, 30, 16, 0)) == ms(2025, 12, 31, 16, 0)
    assert bucket_start(Resolution.H1, ms(2026, 3, 1, 16, 59)) == ms(2026, 3, 1, 16, 0)
    assert bucket_start(Resolution.M15, ms(2026, 3, 1, 16, 29, 59)) == ms(2026, 3, 1, 16, 15)
    assert bucket_end(Resolution.D1, ms(2026, 3, 1, 16, 0)) == ms(2026, 3, 2, 16, 0)


def test_day_boundary_in_rollups(db: Session, world: World) -> None:
    power = world.a.point_ids[1]
    write_readings(db, [ReadingRow(power, ms(2026, 3, 1, 15, 59), 1.0), ReadingRow(power, ms(2026, 3, 1, 16, 1), 3.0)])
    days = stored(db, Resolution.D1, power)
    assert sorted(days) == [ms(2026, 2, 28, 16, 0), ms(2026, 3, 1, 16, 0)]
    assert days[ms(2026, 2, 28, 16, 0)].sum == 1.0 and days[ms(2026, 3, 1, 16, 0)].sum == 3.0
    months = stored(db, Resolution.MO1, power)
    assert sorted(months) == [ms(2026, 2, 28, 16, 0)] and months[ms(2026, 2, 28, 16, 0)].sum == 4.0


# --- cumulative meters ------------------------------------------------------------------------------------------


def test_increment_reset_and_rollover() -> None:
    assert increment(None, 5.0, 1000.0, 0.1) == 0.0
    assert increment(10.0, 15.0, 1000.0, 0.1) == 5.0
    assert increment(995.0, 3.0, 1000.0, 0.1) == 8.0  # rollover near the top of the register
    assert increment(500.0, 3.0, 1000.0, 0.1) == 3.0  # reset: the new value was consumed since
    assert increment(995.0, 300.0, 1000.0, 0.1) == 300.0  # too far from zero for a rollover: a reset
    assert increment(10.0, 3.0, None, 0.1) == 3.0


def test_meter_reset_and_rollover_hand_computed(db: Session, world: World) -> None:
    energy = world.a.point_ids[0]
    as_meter(db, energy)
    series = [(0, 100.0), (1, 110.0), (2, 5.0), (3, 15.0), (15, 995.0), (16, 3.0), (17, 1500.0), (18, 4.0)]
    write_readings(db, [ReadingRow(energy, T0 + m * MIN, v) for m, v in series])
    q = stored(db, Resolution.M15, energy)
    # first bucket: 0 (first reading ever) + 10 + 5 (reset to 5) + 10
    assert q[T0].delta == pytest.approx(25.0)
    # second: 15 -> 995 (+980), 995 -> 3 rollover (1000 - 995 + 3 = 8), 1500 is BAD (> valid_max), 3 -> 4 (+1)
    assert q[T0 + Q].delta == pytest.approx(989.0)
    assert (q[T0 + Q].count, q[T0 + Q].bad_count, q[T0 + Q].max) == (3, 1, 995.0)
    hour = stored(db, Resolution.H1, energy)[T0]
    assert hour.delta == pytest.approx(1014.0)
    assert (hour.first_value, hour.last_value, hour.count, hour.bad_count) == (100.0, 4.0, 7, 1)
    assert stored(db, Resolution.D1, energy)[bucket_start(Resolution.D1, T0)].delta == pytest.approx(1014.0)
    assert stored(db, Resolution.MO1, energy)[bucket_start(Resolution.MO1, T0)].delta == pytest.approx(1014.0)


def test_late_data_updates_every_level(db: Session, world: World) -> None:
    energy, power = world.a.point_ids[0], world.a.point_ids[1]
    as_meter(db, energy, valid_max=1e10)
    write_readings(db, [ReadingRow(energy, T0 + i * Q, 10.0 * (i + 1)) for i in range(4)])  # 10, 20, 30, 40
    write_readings(db, [ReadingRow(power, T0 + i * Q, 1.0) for i in range(4)])
    assert [s.delta for _, s in sorted(stored(db, Resolution.M15, energy).items())] == [0.0, 10.0, 10.0, 10.0]
    # a late reading inside the second bucket: 20 -> 25 there, and the third bucket now starts from 25
    write_readings(db, [ReadingRow(energy, T0 + Q + 5 * MIN, 25.0), ReadingRow(power, T0 + Q + 5 * MIN, 5.0)])
    q = stored(db, Resolution.M15, energy)
    assert [q[T0 + i * Q].delta for i in range(4)] == [0.0, 15.0, 5.0, 10.0]
    assert stored(db, Resolution.H1, energy)[T0].delta == pytest.approx(30.0)
    assert stored(db, Resolution.H1, energy)[T0].count == 5
    p_hour = stored(db, Resolution.H1, power)[T0]
    assert (p_hour.count, p_hour.sum, p_hour.max) == (5, 9.0, 5.0)
    # a late reading in an earlier day, month: every level above it is recomputed
    early = ms(2026, 2, 10, 3, 0)
    write_readings(db, [ReadingRow(power, early, 7.0), ReadingRow(energy, early, 4.0)])
    assert stored(db, Resolution.D1, power)[bucket_start(Resolution.D1, early)].sum == 7.0
    assert stored(db, Resolution.MO1, power)[bucket_start(Resolution.MO1, early)].count == 1
    assert stored(db, Resolution.MO1, power)[bucket_start(Resolution.MO1, T0)].sum == 9.0
    # the meter's first reading is now 4 (February); March's first bucket counts 4 -> 10
    assert stored(db, Resolution.M15, energy)[T0].delta == pytest.approx(6.0)
    assert stored(db, Resolution.MO1, energy)[bucket_start(Resolution.MO1, T0)].delta == pytest.approx(36.0)


def test_refresh_coarser_from_back_filled_15m_rows(db: Session, world: World) -> None:
    energy = world.a.point_ids[0]
    start = ms(2026, 1, 31, 16, 0)  # 1 Feb local
    rows = []
    for i in range(96 * 3):  # three local days of 15 min rows, 1 kWh each
        bucket = start + i * Q
        rows.append(
            {
                "point_id": energy,
                "bucket": bucket,
                "count": 1,
                "bad_count": 0,
                "min": float(i),
                "max": float(i),
                "sum": float(i),
                "first_ts": bucket,
                "first_value": float(i),
                "last_ts": bucket,
                "last_value": float(i),
                "delta": 1.0,
            }
        )
    db.execute(insert(Rollup15m), rows)
    refresh_coarser(db, [energy], start, start + 3 * 86_400_000)
    days = stored(db, Resolution.D1, energy)
    assert sorted(days) == [start, start + 86_400_000, start + 2 * 86_400_000]
    assert days[start + 86_400_000].delta == 96.0
    assert (days[start + 86_400_000].first_value, days[start + 86_400_000].last_value) == (96.0, 191.0)
    assert len(stored(db, Resolution.H1, energy)) == 72
    month = stored(db, Resolution.MO1, energy)[start]
    assert (month.count, month.delta, month.min, month.max) == (288, 288.0, 0.0, 287.0)
    refresh_coarser(db, None, start, start + 3 * 86_400_000)  # all points: same result
    assert stored(db, Resolution.MO1, energy)[start].delta == 288.0


# --- against the reference ----------------------------------------------------------------------------------------


def reference(readings: dict[int, tuple[float, int]], resolution: Resolution, *, cumulative: bool) -> dict[int, Stats]:
    """Every bucket's statistics computed from the whole series at once."""
    series = sorted((ts, v, q) for ts, (v, q) in readings.items())
    groups: dict[int, list[tuple[int, float, int]]] = defaultdict(list)
    for row in series:
        groups[bucket_start(resolution, row[0])].append(row)
    out: dict[int, Stats] = {}
    for bucket, rows in groups.items():
        before = [v for ts, v, q in series if ts < bucket and q == 0]
        out[bucket] = bucket_stats(
            rows, previous=before[-1] if before else None, cumulative=cumulative, valid_max=1000.0, band=0.1
        )
    return out


def assert_same(actual: dict[int, Stats], expected: dict[int, Stats]) -> None:
    assert sorted(actual) == sorted(expected)
    for bucket, exp in expected.items():
        got = actual[bucket]
        for name in STAT_COLUMNS:
            a, e = getattr(got, name), getattr(exp, name)
            if isinstance(e, float):
                assert a == pytest.approx(e, rel=1e-9, abs=1e-6), (bucket, name)
            else:
                assert a == e, (bucket, name)


readings_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=60 * 30),  # minutes over 30 hours: crosses a local midnight
        st.one_of(st.floats(min_value=0, max_value=1000, allow_nan=False), st.just(1200.0)),  # 1200: out of range
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(series=readings_strategy, cuts=st.lists(st.integers(0, 40), max_size=4), order=st.randoms(use_true_random=False))
def test_incremental_rollups_match_the_reference(
    db: Session, world: World, series: list[tuple[int, float]], cuts: list[int], order: Any
) -> None:
    energy = world.a.point_ids[0]
    as_meter(db, energy)
    clear_park(db, world.a.park_id)
    start = ms(2026, 3, 31, 10, 0)  # spans local midnight and the end of the month
    rows = [ReadingRow(energy, start + m * MIN, v) for m, v in series]
    order.shuffle(rows)
    truth: dict[int, tuple[float, int]] = {}
    for row in rows:  # the first value of a (point, ts) wins
        truth.setdefault(row.ts, (row.value, 0 if row.value <= 1000 else 1))
    bounds = sorted({0, len(rows), *[min(c, len(rows)) for c in cuts]})
    for lo, hi in itertools.pairwise(bounds):
        write_readings(db, rows[lo:hi] + rows[lo : lo + 1])  # a repeat in every batch
    for level in LEVELS:
        assert_same(stored(db, level, energy), reference(truth, level, cumulative=True))
    assert_groups_consistent(db, world.a.park_id)
    latest = db.execute(select(PointLatest.ts, PointLatest.value).where(PointLatest.point_id == energy)).one()
    assert tuple(latest) == (max(truth), truth[max(truth)][0])


def test_combine_of_parts_equals_stats_of_the_whole() -> None:
    rows = [(i * MIN, float(v), 0 if v < 900 else 1) for i, v in enumerate([5, 7, 2, 950, 4, 990, 6, 8])]
    whole = bucket_stats(rows, previous=1.0, cumulative=True, valid_max=1000.0, band=0.1)
    first = bucket_stats(rows[:3], previous=1.0, cumulative=True, valid_max=1000.0, band=0.1)
    second = bucket_stats(rows[3:], previous=first.last_value, cumulative=True, valid_max=1000.0, band=0.1)
    assert combine([first, second]) == whole


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(series=readings_strategy, cuts=st.lists(st.integers(0, 40), max_size=4))
def test_in_order_batches_match_the_reference(
    db: Session, world: World, series: list[tuple[int, float]], cuts: list[int]
) -> None:
    """Live ingest: every batch newer than what is stored, no repeats (PostgreSQL's COPY-first path)."""
    energy = world.a.point_ids[0]
    as_meter(db, energy)
    clear_park(db, world.a.park_id)
    start = ms(2026, 3, 31, 10, 0)
    rows = sorted({m: ReadingRow(energy, start + m * MIN, v) for m, v in series}.values())
    truth = {row.ts: (row.value, 0 if row.value <= 1000 else 1) for row in rows}
    bounds = sorted({0, len(rows), *[min(c, len(rows)) for c in cuts]})
    for lo, hi in itertools.pairwise(bounds):
        assert write_readings(db, rows[lo:hi]).stored == hi - lo
    for level in LEVELS:
        assert_same(stored(db, level, energy), reference(truth, level, cumulative=True))
    assert_groups_consistent(db, world.a.park_id)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.tuples(st.integers(0, 40 * MIN), st.floats(0, 1100, allow_nan=False), st.integers(0, 4)), max_size=60
    ),
    previous=st.none() | st.floats(0, 1000),
    cumulative=st.booleans(),
)
def test_point_contributions_equal_bucket_stats_per_bucket(
    values: list[tuple[int, float, int]], previous: float | None, cumulative: bool
) -> None:
    rows = sorted({ts: (ts, value, 1 if q == 0 else 0) for ts, value, q in values}.values())
    expected = []
    prev = previous
    for bucket in sorted({ts - ts % M15_MS for ts, _v, _q in rows}):
        part = [row for row in rows if bucket <= row[0] < bucket + M15_MS]
        stats = bucket_stats(part, previous=prev, cumulative=cumulative, valid_max=1000.0, band=0.1)
        prev = stats.last_value if stats.last_value is not None else prev
        expected.append((bucket, stats))
    found = point_contributions(rows, previous=previous, cumulative=cumulative, valid_max=1000.0, band=0.1)
    assert found == expected


def assert_groups_consistent(db: Session, park_id: int) -> None:
    """rollup_group rows of the park equal the sums of the per-point rollups of their groups."""
    for level in GROUP_LEVELS:
        model: Any = ROLLUP_TABLES[level]
        owner = func.coalesce(Point.enterprise_id, 0)
        expected = {
            (park, ent, qty, bucket): (int(count), int(bad), vmin, vmax, total, delta)
            for park, ent, qty, bucket, count, bad, vmin, vmax, total, delta in db.execute(
                select(
                    Point.park_id,
                    owner,
                    Point.quantity,
                    model.bucket,
                    func.sum(model.count),
                    func.sum(model.bad_count),
                    func.min(model.min),
                    func.max(model.max),
                    func.sum(model.sum),
                    func.sum(model.delta),
                )
                .join(Point, Point.id == model.point_id)
                .where(Point.park_id == park_id)
                .group_by(Point.park_id, owner, Point.quantity, model.bucket)
            )
        }
        g = RollupGroup
        actual = {
            (park, ent, qty, bucket): (int(count), int(bad), vmin, vmax, total, delta)
            for park, ent, qty, bucket, count, bad, vmin, vmax, total, delta in db.execute(
                select(
                    g.park_id, g.enterprise_id, g.quantity, g.bucket, g.count, g.bad_count, g.min, g.max, g.sum, g.delta
                ).where(g.resolution == level.value, g.park_id == park_id)
            )
        }
        assert sorted(actual) == sorted(expected), level
        for key, values in expected.items():
            for got, want in zip(actual[key], values, strict=True):
                assert (got is None and want is None) or got == pytest.approx(want, rel=1e-9, abs=1e-6), (level, key)


def clear_park(db: Session, park_id: int) -> None:
    """Forget telemetry of the park's points (inside the test's transaction: other tests may have committed some)."""
    points = select(Point.id).where(Point.park_id == park_id)
    for model in (Reading, Rollup15m, Rollup1h, Rollup1d, Rollup1mo, PointLatest):
        db.execute(delete(model).where(model.point_id.in_(points)))  # type: ignore[attr-defined]
    db.execute(delete(RollupGroup).where(RollupGroup.park_id == park_id))


def test_group_sums_follow_in_order_late_and_refreshed_data(db: Session, world: World) -> None:
    energy, power, gas = world.a.point_ids[0], world.a.point_ids[1], world.a.point_ids[4]
    clear_park(db, world.a.park_id)
    as_meter(db, energy, valid_max=1e10)
    write_readings(db, [ReadingRow(p, T0 + i * Q, 10.0 * (i + 1)) for i in range(6) for p in (energy, power, gas)])
    assert_groups_consistent(db, world.a.park_id)
    write_readings(db, [ReadingRow(energy, T0 + Q + MIN, 15.0), ReadingRow(gas, T0 - 40 * 86_400_000, 7.0)])
    assert_groups_consistent(db, world.a.park_id)
    start = ms(2025, 12, 31, 16, 0)
    db.execute(
        insert(Rollup15m),
        [
            {
                "point_id": energy,
                "bucket": start + i * Q,
                "count": 1,
                "bad_count": 0,
                "min": 1.0,
                "max": 1.0,
                "sum": 1.0,
                "first_ts": start + i * Q,
                "first_value": 1.0,
                "last_ts": start + i * Q,
                "last_value": 1.0,
                "delta": 2.0,
            }
            for i in range(200)
        ],
    )
    refresh_coarser(db, [energy], start, start + 200 * Q)
    assert_groups_consistent(db, world.a.park_id)
    day = db.execute(
        select(RollupGroup.delta).where(
            RollupGroup.resolution == "1d", RollupGroup.bucket == start, RollupGroup.quantity == "electric_energy"
        )
    ).scalar_one()
    assert day == 192.0
    db.execute(update(Point).where(Point.id == gas).values(quantity="electric_energy"))  # a registry edit
    rebuild_groups(db, world.a.park_id)
    assert_groups_consistent(db, world.a.park_id)


def test_deferred_coarse_rollups_equal_immediate_ones_after_refresh(db: Session, world: World) -> None:
    """PostgreSQL ingest defers the 1 h / 1 day / 1 month rollups and the group sums (store.write_readings with
    defer_coarse): until rollups_refresh.refresh_pending runs only rollup_15m moves and the touched buckets are marked;
    after it, every level equals what immediate maintenance gives for the same readings."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("deferred coarse rollups are PostgreSQL's")
    energy, power = world.a.point_ids[0], world.a.point_ids[1]
    clear_park(db, world.a.park_id)
    db.execute(delete(RollupPending))
    as_meter(db, energy, valid_max=1e10)
    first = [ReadingRow(p, T0 + i * MIN, 10.0 * (i + 1)) for i in range(20) for p in (energy, power)]
    second = [ReadingRow(p, T0 + 90 * MIN + i * MIN, 500.0 + i) for i in range(5) for p in (energy, power)]

    write_readings(db, first)
    write_readings(db, second)
    immediate = {level: {p: stored(db, level, p) for p in (energy, power)} for level in LEVELS}
    immediate_groups = set(db.execute(select(RollupGroup.__table__).where(RollupGroup.park_id == world.a.park_id)))
    assert immediate[Resolution.H1][energy] and immediate_groups

    clear_park(db, world.a.park_id)
    write_readings(db, first, defer_coarse=True)
    write_readings(db, second, defer_coarse=True)
    assert {p: stored(db, Resolution.M15, p) for p in (energy, power)} == immediate[Resolution.M15]
    assert stored(db, Resolution.H1, energy) == {} and stored(db, Resolution.MO1, power) == {}
    pending = {(int(p), int(b)) for p, b in db.execute(select(RollupPending.point_id, RollupPending.bucket))}
    assert pending == {(p, b) for p in (energy, power) for b in immediate[Resolution.M15][p]}

    assert refresh_pending(db) == len(pending)
    assert {level: {p: stored(db, level, p) for p in (energy, power)} for level in LEVELS} == immediate
    assert set(db.execute(select(RollupGroup.__table__).where(RollupGroup.park_id == world.a.park_id))) == (
        immediate_groups
    )
    assert db.scalar(select(func.count()).select_from(RollupPending)) == 0
    assert refresh_pending(db) == 0
