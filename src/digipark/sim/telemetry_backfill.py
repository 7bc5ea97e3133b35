"""The demo park's history: one year of rollups and the last days of raw readings, written from the model.

The back-fill writes one year of history (readings every `history.step_s` kept as rollup_15m rows, inserted in
bulk, then `rollups_refresh.refresh_coarser`) for the meters and a few measured quantities, then the last
`history.raw_days` of raw readings of every point through `store.write_readings`, in short transactions so live
ingestion keeps going. `backfill_progress()` tells the overview page how far it is. A restart skips history that
is there and fills only the gap since the last reading.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from digipark.core import progress
from digipark.sim.telemetry_model import (
    DAY_MS,
    DEFAULT_SEED,
    HOUR_MS,
    M15_MS,
    SimDevice,
    SimModel,
    SimPoint,
    load_devices,
    spec,
)
from digipark.telemetry.models import Quality, Reading, Rollup15m

BACKFILL = progress.DEMO_HISTORY  # its name in core.progress
# Short transactions, each followed by a pause: SQLite has one writer, and web requests (a login writes its
# session) and live ingestion wait for the lock at most `busy_timeout`; they must get their turn between chunks.
HISTORY_ROWS_PER_CHUNK = 10_000
RAW_ROWS_PER_CHUNK = 2_000
PAUSE_BETWEEN_CHUNKS_S = 0.05
REFRESH_POINTS_PER_CHUNK = 100


class StopSignal(Protocol):
    """What tells a back-fill to stop (a threading or multiprocessing event)."""

    def is_set(self) -> bool: ...


# ----------------------------------------------------------------------------------------------------------
# progress shown on the overview page


def backfill_progress() -> tuple[str, int, int]:
    """(stage, done, total) of this process's back-fill: idle, checking, history, rollups, raw, done, failed."""
    return progress.progress(BACKFILL)


# ----------------------------------------------------------------------------------------------------------
# back-fill


@dataclasses.dataclass
class BackfillReport:
    history_rows: int = 0
    history_points: int = 0
    raw_readings: int = 0
    raw_points: int = 0
    seconds: float = 0.0
    skipped_history: int = 0  # points whose history was already there


@dataclasses.dataclass(frozen=True)
class Backfill:
    """What a back-fill covers: `now_ms` ends it; history days before the raw days."""

    now_ms: int
    days: int = 365
    raw_days: int = 7
    step_s: int = 3600
    raw_step_s: int = 3600
    raw_recent_hours: float = 24.0
    raw_recent_step_s: int = 900
    raw_native_hours: float = 0.25

    @classmethod
    def from_spec(cls, now_ms: int) -> Backfill:
        h = spec()["history"]
        return cls(
            now_ms=now_ms,
            days=int(h["days"]),
            raw_days=int(h["raw_days"]),
            step_s=int(h["step_s"]),
            raw_step_s=int(h["raw_step_s"]),
            raw_recent_hours=float(h["raw_recent_hours"]),
            raw_recent_step_s=int(h["raw_recent_step_s"]),
            raw_native_hours=float(h["raw_native_hours"]),
        )

    @property
    def anchor(self) -> int:
        return self.now_ms // HOUR_MS * HOUR_MS

    @property
    def raw_start(self) -> int:
        return self.anchor - self.raw_days * DAY_MS

    @property
    def history_start(self) -> int:
        return self.anchor - self.days * DAY_MS


def _history_wanted(device: SimDevice, point: SimPoint) -> bool:
    h = spec()["history"]
    return (
        point.state_class in set(h["state_classes"])
        or point.quantity in set(h["quantities"])
        or device.kind in set(h.get("device_kinds", ()))
    )


_ROLLUP_COLUMNS = "point_id, bucket, count, bad_count, min, max, sum, first_ts, first_value, last_ts, last_value, delta"
_HISTORY_TABLES = ("rollup_15m", "rollup_1h", "rollup_1d", "rollup_1mo")


def _insert_rollups(session: Session, table: str, rows: list[tuple[Any, ...]]) -> None:
    """Bulk insert of rollup rows; rows already there (a restart, or buckets the raw days made) are kept."""
    if not rows:
        return
    if table not in _HISTORY_TABLES:
        raise ValueError(table)
    columns = _ROLLUP_COLUMNS
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:  # COPY into a scratch table, then one INSERT ... ON CONFLICT
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS _sim_rollup (LIKE rollup_15m INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
            with cursor.copy(f"COPY _sim_rollup ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _sim_rollup ON CONFLICT DO NOTHING")
            cursor.execute("DELETE FROM _sim_rollup")
        return
    marks = ", ".join("?" * 12)
    connection.exec_driver_sql(f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING", rows)


class _Bucket:
    """Statistics of the good readings of one point in one bucket, in time order (as telemetry.rollups keeps)."""

    __slots__ = ("bad", "bucket", "count", "delta", "first", "first_ts", "hi", "last", "last_ts", "lo", "total")

    def __init__(self, bucket: int) -> None:
        self.bucket = bucket
        self.count = 0
        self.bad = 0
        self.lo: float | None = None
        self.hi: float | None = None
        self.total: float | None = None
        self.first_ts: int | None = None
        self.first: float | None = None
        self.last_ts: int | None = None
        self.last: float | None = None
        self.delta: float | None = None

    def add(self, ts: int, value: float | None, delta: float | None) -> None:
        if value is None:
            self.bad += 1
            return
        if self.count == 0:
            self.lo = self.hi = self.total = value
            self.first_ts, self.first = ts, value
        else:
            assert self.lo is not None and self.hi is not None and self.total is not None
            self.lo, self.hi, self.total = min(self.lo, value), max(self.hi, value), self.total + value
        self.count += 1
        self.last_ts, self.last = ts, value
        if delta is not None:
            self.delta = delta if self.delta is None else self.delta + delta

    def row(self, point_id: int) -> tuple[Any, ...]:
        delta = None if self.delta is None else round(self.delta, 6)
        return (
            point_id,
            self.bucket,
            self.count,
            self.bad,
            self.lo,
            self.hi,
            self.total,
            self.first_ts,
            self.first,
            self.last_ts,
            self.last,
            delta,
        )


class _Calendar:
    """Local day and month bucket starts (as telemetry.rollups.bucket_start), cached per local day."""

    def __init__(self, offset_ms: int) -> None:
        self.offset_ms = offset_ms
        self._days: dict[int, tuple[int, int]] = {}

    def buckets(self, ts: int) -> tuple[int, int]:
        day = (ts + self.offset_ms) // DAY_MS
        found = self._days.get(day)
        if found is None:
            from digipark.telemetry.models import Resolution
            from digipark.telemetry.rollups import bucket_start

            found = self._days[day] = (bucket_start(Resolution.D1, ts), bucket_start(Resolution.MO1, ts))
        return found


def _history_rows(
    model: SimModel,
    device: SimDevice,
    point: SimPoint,
    start: int,
    end: int,
    step_ms: int,
    calendar: _Calendar,
) -> tuple[list[tuple[Any, ...]], ...]:
    """Rows of rollup_15m, _1h, _1d and _1mo from readings every `step_ms` in [start, end)."""
    out: tuple[list[tuple[Any, ...]], ...] = ([], [], [], [])
    open_buckets: list[_Bucket | None] = [None, None, None, None]
    previous: float | None = None
    first = -(-start // step_ms) * step_ms
    if device.installed_ms is not None and device.installed_ms > first:
        first = -(-device.installed_ms // step_ms) * step_ms
    pid = point.point_id
    for ts in range(first, end, step_ms):
        if model.offline(device, ts):
            continue
        value: float | None = model.value(device, point, ts)
        assert value is not None
        delta = None
        if point.quality(value) != Quality.GOOD:
            value = None
        elif point.cumulative:
            delta = None if previous is None else max(0.0, value - previous)
            previous = value
        day, month = calendar.buckets(ts)
        starts = (ts - ts % M15_MS, ts - ts % HOUR_MS, day, month)
        for level in range(4):
            current = open_buckets[level]
            if current is None or current.bucket != starts[level]:
                if current is not None:
                    out[level].append(current.row(pid))
                current = open_buckets[level] = _Bucket(starts[level])
            current.add(ts, value, delta)
    for level in range(4):
        current = open_buckets[level]
        if current is not None:
            out[level].append(current.row(pid))
    return out


def _meter_history(
    model: SimModel,
    device: SimDevice,
    point: SimPoint,
    start: int,
    end: int,
    step_ms: int,
    calendar: _Calendar,
) -> tuple[list[tuple[Any, ...]], ...]:
    """`_history_rows` for a cumulative meter read on the hour: the register rises monotonically, so a bucket's
    min and max are its first and last reading; one reading per hour makes the 15-minute and the hourly row
    the same. A few times faster than the general path, which matters for a year of every meter."""
    if step_ms % HOUR_MS or start % HOUR_MS:
        return _history_rows(model, device, point, start, end, step_ms, calendar)
    rows: list[tuple[Any, ...]] = []
    days: list[tuple[Any, ...]] = []
    months: list[tuple[Any, ...]] = []
    pid = point.point_id
    first = start
    if device.installed_ms is not None and device.installed_ms > first:
        first = -(-device.installed_ms // step_ms) * step_ms
    previous: float | None = None
    month_acc: list[Any] | None = None  # [bucket, count, sum, first_ts, first, last_ts, last, delta]
    ts = first
    while ts < end:
        day_bucket, month_bucket = calendar.buckets(ts)
        day_end = min(end, day_bucket + DAY_MS)
        count, total, delta_sum = 0, 0.0, None
        first_ts = first_value = last_ts = last_value = None
        while ts < day_end:
            if not model.offline(device, ts):
                value = model.value(device, point, ts)
                delta = None if previous is None else max(0.0, round(value - previous, 6))
                previous = value
                rows.append((pid, ts, 1, 0, value, value, value, ts, value, ts, value, delta))
                if count == 0:
                    first_ts, first_value = ts, value
                count += 1
                total += value
                last_ts, last_value = ts, value
                if delta is not None:
                    delta_sum = delta if delta_sum is None else delta_sum + delta
            ts += step_ms
        if count:
            day_delta = None if delta_sum is None else round(delta_sum, 6)
            days.append(
                (
                    pid,
                    day_bucket,
                    count,
                    0,
                    first_value,
                    last_value,
                    total,
                    first_ts,
                    first_value,
                    last_ts,
                    last_value,
                    day_delta,
                )
            )
            if month_acc is None or month_acc[0] != month_bucket:
                if month_acc is not None:
                    months.append(_month_row(pid, month_acc))
                month_acc = [month_bucket, 0, 0.0, first_ts, first_value, None, None, None]
            month_acc[1] += count
            month_acc[2] += total
            month_acc[5], month_acc[6] = last_ts, last_value
            if day_delta is not None:
                month_acc[7] = day_delta if month_acc[7] is None else month_acc[7] + day_delta
    if month_acc is not None:
        months.append(_month_row(pid, month_acc))
    return rows, list(rows), days, months


def _month_row(pid: int, acc: list[Any]) -> tuple[Any, ...]:
    bucket, count, total, first_ts, first, last_ts, last, delta = acc
    delta = None if delta is None else round(delta, 6)
    return (pid, bucket, count, 0, first, last, total, first_ts, first, last_ts, last, delta)


def _raw_times(point: SimPoint, start: int, end: int, plan: Backfill) -> Iterator[int]:
    """Reading times of a point in [start, end): at its interval, but at most every raw_step_s, in the last
    raw_recent_hours at most every raw_recent_step_s, and in the last raw_native_hours at its own interval."""
    zones = (
        (end - int(plan.raw_recent_hours * HOUR_MS), max(point.interval_s, plan.raw_step_s) * 1000),
        (end - int(plan.raw_native_hours * HOUR_MS), max(point.interval_s, plan.raw_recent_step_s) * 1000),
        (end, point.interval_s * 1000),
    )
    t = start
    for zone_end, step in zones:
        t = -(-t // step) * step
        while t < min(zone_end, end):
            yield t
            t += step


def _existing_history(session: Session, point_ids: list[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for i in range(0, len(point_ids), 500):
        chunk = point_ids[i : i + 500]
        rows = session.execute(
            select(Rollup15m.point_id, func.min(Rollup15m.bucket))
            .where(Rollup15m.point_id.in_(chunk))
            .group_by(Rollup15m.point_id)
        )
        found.update({int(pid): int(bucket) for pid, bucket in rows if bucket is not None})
    return found


def _existing_raw(session: Session, point_ids: list[int], start: int, end: int) -> dict[int, tuple[int, int]]:
    """point -> (readings in [start, end), newest of them)."""
    found: dict[int, tuple[int, int]] = {}
    for i in range(0, len(point_ids), 500):
        chunk = point_ids[i : i + 500]
        rows = session.execute(
            select(Reading.point_id, func.count(), func.max(Reading.ts))
            .where(Reading.point_id.in_(chunk), and_(Reading.ts >= start, Reading.ts < end))
            .group_by(Reading.point_id)
        )
        found.update({int(pid): (int(n), int(newest)) for pid, n, newest in rows})
    return found


def run_backfill(
    *,
    park_id: int,
    plan: Backfill,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str, int, int], None] | None = None,
    stop: StopSignal | None = None,
    devices: Sequence[SimDevice] | None = None,
) -> BackfillReport:
    """Write the park's raw last days and its history, each chunk in its own transaction. Idempotent.

    Raw readings first (the device pages' last 24 hours fill soonest), through the store, from where each
    point's data stops; then the history of the chosen points as rollup_15m rows for the points that have none,
    then their coarser rollups; then the coarser buckets where history meets the raw days, and an audit entry."""
    from digipark.audit import service as audit
    from digipark.audit.service import Actor
    from digipark.core.db import transaction
    from digipark.telemetry import rollups_refresh, store

    started = time.perf_counter()
    report = BackfillReport()

    def tell(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    def stopped() -> bool:
        return stop is not None and stop.is_set()

    tell("checking", 0, 1)
    with transaction(write=True) as session:
        if devices is None:
            devices = load_devices(session, park_id=park_id, seed=seed)
        history_points = [(d, p) for d in devices for p in d.points if _history_wanted(d, p)]
        existing = _existing_history(session, [p.point_id for _, p in history_points])
        all_points = [(d, p) for d in devices for p in d.points]
        raw_existing = _existing_raw(session, [p.point_id for _, p in all_points], plan.raw_start, plan.now_ms)
    model = SimModel(seed)

    # 1. raw readings of the last days through the store
    raw_plan: list[tuple[SimDevice, SimPoint, int]] = []
    expected_total = 0
    for device, point in all_points:
        start = plan.raw_start
        count, newest = raw_existing.get(point.point_id, (0, 0))
        if count and count >= 0.5 * sum(1 for _ in _raw_times(point, plan.raw_start, newest + 1, plan)):
            start = newest + 1  # there already: only the gap since the last run
        raw_plan.append((device, point, start))
        expected_total += sum(1 for _ in _raw_times(point, start, plan.now_ms, plan))
    tell("raw", 0, expected_total)
    rows: list[store.ReadingRow] = []
    done = 0
    raw_points: set[int] = set()

    def write() -> None:
        nonlocal rows, done
        with transaction(write=True) as session:
            store.write_readings(session, rows)
        time.sleep(PAUSE_BETWEEN_CHUNKS_S)
        done += len(rows)
        report.raw_readings += len(rows)
        rows = []
        tell("raw", min(done, expected_total), expected_total)

    for device, point, start in raw_plan:
        if stopped():
            return report
        for ts in _raw_times(point, start, plan.now_ms, plan):
            if model.offline(device, ts) or (device.installed_ms is not None and ts < device.installed_ms):
                continue
            value = model.value(device, point, ts)
            rows.append(store.ReadingRow(point.point_id, ts, value, point.quality(value)))
            raw_points.add(point.point_id)
        if len(rows) >= RAW_ROWS_PER_CHUNK:
            write()
    if rows:
        write()
    report.raw_points = len(raw_points)

    # 2. history as rollup_15m rows, for points that have none yet
    step_ms = plan.step_s * 1000
    history_end = plan.raw_start
    todo: list[tuple[SimDevice, SimPoint, int]] = []
    for device, point in history_points:
        start = max(plan.history_start, device.installed_ms or plan.history_start)
        oldest = existing.get(point.point_id)
        if oldest is not None and oldest <= start + DAY_MS:
            report.skipped_history += 1
            continue
        if start < history_end:
            todo.append((device, point, start))
    total_rows = sum((history_end - start) // step_ms for _, _, start in todo)
    buffers: tuple[list[tuple[Any, ...]], ...] = ([], [], [], [])
    calendar = _Calendar(model.offset_ms)
    tell("history", 0, total_rows)

    def flush() -> None:
        with transaction(write=True) as session:
            for table, level_rows in zip(_HISTORY_TABLES, buffers, strict=True):
                _insert_rollups(session, table, level_rows)
        time.sleep(PAUSE_BETWEEN_CHUNKS_S)
        report.history_rows += len(buffers[0])
        for level_rows in buffers:
            level_rows.clear()
        tell("history", min(report.history_rows, total_rows), total_rows)

    for device, point, start in todo:
        if stopped():
            return report
        for level_rows, more in zip(
            buffers,
            (_meter_history if point.cumulative else _history_rows)(
                model, device, point, start, history_end, step_ms, calendar
            ),
            strict=True,
        ):
            level_rows.extend(more)
        report.history_points += 1
        if len(buffers[0]) >= HISTORY_ROWS_PER_CHUNK:
            flush()
    if buffers[0]:
        flush()
    tell("history", total_rows, total_rows)

    # 3. where the history meets the raw days, the hour, day and month there hold both: recompute them
    refreshed = [p.point_id for _, p, _ in todo]
    tell("rollups", 0, len(refreshed))
    for i in range(0, len(refreshed), REFRESH_POINTS_PER_CHUNK):
        if stopped():
            return report
        chunk = refreshed[i : i + REFRESH_POINTS_PER_CHUNK]
        with transaction(write=True) as session:
            rollups_refresh.refresh_coarser(session, chunk, history_end - HOUR_MS, history_end + HOUR_MS)
        time.sleep(PAUSE_BETWEEN_CHUNKS_S)
        tell("rollups", min(i + len(chunk), len(refreshed)), len(refreshed))

    with transaction(write=True) as session:
        audit.set_actor(session, Actor("system:demo"))
        audit.record(
            session,
            action="seed",
            entity_type="telemetry",
            park_id=park_id,
            after={
                "history_rows": report.history_rows,
                "history_points": report.history_points,
                "raw_readings": report.raw_readings,
                "from_ms": plan.history_start,
                "to_ms": plan.now_ms,
            },
        )
    report.seconds = time.perf_counter() - started
    tell("done", 1, 1)
    return report
