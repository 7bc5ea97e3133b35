"""Rollups at 15 min, 1 h, 1 day and 1 month, maintained incrementally as readings arrive.

Buckets: 15 min buckets are aligned on the epoch (every time zone's offset is a multiple of 15 min); hours,
days and months begin at local boundaries of `settings.timezone` (Asia/Shanghai: midnight is 16:00 UTC).

How a batch of new readings updates the rollups (telemetry.store runs it: `rollups_sqlite` in Python on SQLite,
`rollups_postgres` set-based in SQL; `rollups_refresh` brings coarser levels up to date after the fact):
- *In order* (the common case: every new reading of the point is newer than any stored one): the statistics of
  the new readings of each touched bucket are merged into the stored rows of all four levels (count and sum
  added, min/max widened, first/last moved, delta added). The delta's first increment starts from the last good
  value stored before (the newest non-empty 15 min bucket's `last_value`).
- *Late* (some new reading is older than the point's newest stored reading): the touched 15 min buckets, and the
  bucket of the next good reading after each of them (its first increment changes), are recomputed from the raw
  readings; then each coarser level is recomputed from the level below for the buckets above them.

Statistics of one bucket are those of `bucket_stats` (the pure-Python reference, also used on SQLite); the
PostgreSQL path computes the same numbers set-based in SQL. Cumulative meters (`state_class ==
"total_increasing"`) get `delta`, the consumption, robust to resets and rollover (see `increment`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, inspect, select, text
from sqlalchemy.orm import Session

from digipark.core.config import get_settings
from digipark.registry.models import Point
from digipark.telemetry.models import ROLLUP_TABLES, Quality, Resolution

M15_MS = 900_000
CUMULATIVE = "total_increasing"
LEVELS: tuple[Resolution, ...] = (Resolution.M15, Resolution.H1, Resolution.D1, Resolution.MO1)
STAT_COLUMNS = (
    "count",
    "bad_count",
    "min",
    "max",
    "sum",
    "first_ts",
    "first_value",
    "last_ts",
    "last_value",
    "delta",
)


ROLLUP_COLUMNS_SQL = "point_id, bucket, " + ", ".join(STAT_COLUMNS)
REPLACE_ROLLUP_SQL = "ON CONFLICT (point_id, bucket) DO UPDATE SET " + ", ".join(
    f"{c} = excluded.{c}" for c in STAT_COLUMNS
)


def rollup_table(resolution: Resolution) -> Table:
    table = ROLLUP_TABLES[resolution].__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


# --- buckets -------------------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_zone() -> ZoneInfo:
    return _zone(get_settings().timezone)


def _epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def bucket_start(resolution: Resolution, ts_ms: int) -> int:
    """Start (epoch ms) of the bucket of `resolution` holding `ts_ms`; days and months start at local midnight."""
    if resolution is Resolution.RAW:
        return ts_ms
    if resolution is Resolution.M15:
        return ts_ms - ts_ms % M15_MS
    local = dt.datetime.fromtimestamp(ts_ms / 1000, dt.UTC).astimezone(local_zone())
    if resolution is Resolution.H1:
        start = local.replace(minute=0, second=0, microsecond=0)
    elif resolution is Resolution.D1:
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return _epoch_ms(start)


def bucket_end(resolution: Resolution, bucket: int) -> int:
    """Start of the bucket after the one starting at `bucket`."""
    if resolution is Resolution.RAW:
        return bucket + 1
    if resolution is Resolution.M15:
        return bucket + M15_MS
    zone = local_zone()
    local = dt.datetime.fromtimestamp(bucket / 1000, dt.UTC).astimezone(zone).replace(tzinfo=None)
    if resolution is Resolution.H1:
        nxt = local + dt.timedelta(hours=1)
    elif resolution is Resolution.D1:
        nxt = local + dt.timedelta(days=1)
    else:
        nxt = (local.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return _epoch_ms(nxt.replace(tzinfo=zone))


def buckets_between(resolution: Resolution, from_ms: int, to_ms: int) -> list[int]:
    """Starts of the buckets overlapping [from_ms, to_ms)."""
    out: list[int] = []
    bucket = bucket_start(resolution, from_ms)
    while bucket < to_ms:
        out.append(bucket)
        bucket = bucket_end(resolution, bucket)
    return out


def bucket_map(resolution: Resolution, buckets: Iterable[int]) -> tuple[list[int], list[int], list[int]]:
    """(15 min buckets, their `resolution` buckets, those buckets' ends) as three arrays for SQL: the mapping is
    the same for every point and a batch touches few distinct 15 min buckets, so it is computed here once."""
    subs = sorted(set(buckets))
    starts = [bucket_start(resolution, b) for b in subs]
    ends_by_start = {start: bucket_end(resolution, start) for start in set(starts)}
    return subs, starts, [ends_by_start[start] for start in starts]


# --- statistics (reference implementation) --------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class Stats:
    count: int = 0
    bad_count: int = 0
    min: float | None = None
    max: float | None = None
    sum: float | None = None
    first_ts: int | None = None
    first_value: float | None = None
    last_ts: int | None = None
    last_value: float | None = None
    delta: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in STAT_COLUMNS}

    def as_tuple(self) -> tuple[Any, ...]:
        """The values in STAT_COLUMNS order."""
        return tuple(getattr(self, name) for name in STAT_COLUMNS)


def increment(previous: float | None, value: float, valid_max: float | None, band: float) -> float:
    """Consumption between two consecutive good readings of a cumulative meter.

    A decrease is a rollover when the previous value lies in the top `band` of the register (>= valid_max *
    (1 - band)) and the new one in the bottom band (<= valid_max * band): valid_max - previous + new; any other
    decrease is a reset of the meter, whose new value is what was consumed since. No previous reading: 0."""
    if previous is None:
        return 0.0
    if value >= previous:
        return value - previous
    if valid_max is not None and previous >= valid_max * (1 - band) and value <= valid_max * band:
        return valid_max - previous + value
    return value


def bucket_stats(
    readings: Iterable[tuple[int, float, int]],
    *,
    previous: float | None = None,
    cumulative: bool = False,
    valid_max: float | None = None,
    band: float | None = None,
) -> Stats:
    """Statistics of (ts, value, quality) readings of one bucket, sorted by ts; `previous`: the last good value
    before the bucket (for the delta of cumulative meters)."""
    band = get_settings().rollover_band if band is None else band
    stats = Stats()
    prev = previous
    total_delta = 0.0
    for ts, value, quality in readings:
        if quality != Quality.GOOD:
            stats.bad_count += 1
            continue
        if stats.count == 0:
            stats.min = stats.max = stats.sum = value
            stats.first_ts, stats.first_value = ts, value
        else:
            assert stats.min is not None and stats.max is not None and stats.sum is not None
            stats.min = min(stats.min, value)
            stats.max = max(stats.max, value)
            stats.sum += value
        stats.count += 1
        stats.last_ts, stats.last_value = ts, value
        if cumulative:
            total_delta += increment(prev, value, valid_max, band)
        prev = value
    if cumulative and stats.count:
        stats.delta = total_delta
    return stats


def point_contributions(
    readings: Sequence[tuple[int, float, int]],
    *,
    previous: float | None,
    cumulative: bool,
    valid_max: float | None,
    band: float,
) -> list[tuple[int, Stats]]:
    """(15 min bucket, statistics) of one point's new (ts, value, quality) readings, sorted by ts, in bucket order;
    `previous`: the last good value stored before them (cumulative meters). The numbers of `bucket_stats` over
    each bucket's readings, in one pass (the ingest path)."""
    out: list[tuple[int, Stats]] = []
    stats: Stats | None = None
    bucket_end_ms = -1
    delta = 0.0
    for ts, value, quality in readings:
        if ts >= bucket_end_ms or stats is None:
            if stats is not None and cumulative and stats.count:
                stats.delta = delta
            bucket = ts - ts % M15_MS
            bucket_end_ms = bucket + M15_MS
            stats = Stats()
            out.append((bucket, stats))
            delta = 0.0
        if quality != Quality.GOOD:
            stats.bad_count += 1
            continue
        if stats.count:
            if value < stats.min:  # type: ignore[operator]
                stats.min = value
            elif value > stats.max:  # type: ignore[operator]
                stats.max = value
            stats.sum += value  # type: ignore[operator]
        else:
            stats.min = stats.max = stats.sum = value
            stats.first_ts, stats.first_value = ts, value
        stats.count += 1
        stats.last_ts, stats.last_value = ts, value
        if cumulative:
            if previous is not None:
                delta += value - previous if value >= previous else increment(previous, value, valid_max, band)
            previous = value
    if stats is not None and cumulative and stats.count:
        stats.delta = delta
    return out


def _add(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def combine(parts: Iterable[Stats]) -> Stats:
    """Statistics of the union of disjoint sets of readings (consecutive sub-buckets, or stored + new)."""
    out = Stats()
    for part in parts:
        out.count += part.count
        out.bad_count += part.bad_count
        if part.min is not None:
            out.min = part.min if out.min is None else min(out.min, part.min)
        if part.max is not None:
            out.max = part.max if out.max is None else max(out.max, part.max)
        out.sum = _add(out.sum, part.sum)
        if part.first_ts is not None and (out.first_ts is None or part.first_ts < out.first_ts):
            out.first_ts, out.first_value = part.first_ts, part.first_value
        if part.last_ts is not None and (out.last_ts is None or part.last_ts > out.last_ts):
            out.last_ts, out.last_value = part.last_ts, part.last_value
        out.delta = _add(out.delta, part.delta)
    return out


# --- point facts ----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class PointFacts:
    cumulative: bool
    valid_min: float | None
    valid_max: float | None
    group: tuple[int, int, str] = (0, 0, "")  # (park, owning enterprise or 0, quantity): its rollup_group


def point_facts(session: Session, point_ids: Iterable[int]) -> dict[int, PointFacts]:
    ids = sorted(set(point_ids))
    out: dict[int, PointFacts] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(
                Point.id,
                Point.state_class,
                Point.valid_min,
                Point.valid_max,
                Point.park_id,
                Point.enterprise_id,
                Point.quantity,
            ).where(Point.id.in_(ids[start : start + 500]))
        )
        for pid, state_class, vmin, vmax, park, enterprise, quantity in rows:
            out[pid] = PointFacts(state_class == CUMULATIVE, vmin, vmax, (park, enterprise or 0, quantity))
    return out


# --- group sums (rollup_group: per park, owning enterprise and quantity; 1 d and 1 mo) ----------------------------

GROUP_LEVELS: tuple[Resolution, ...] = (Resolution.D1, Resolution.MO1)
GROUP_STATS = ("count", "bad_count", "min", "max", "sum", "delta")
GROUP_KEY_SQL = "park_id, enterprise_id, quantity, resolution, bucket"
_group_table_known: dict[str, bool] = {}


def has_group_table(session: Session) -> bool:
    """Whether rollup_group exists (a database migrated to 0005 before it was added lacks it: then park series
    sum per point, and nothing breaks)."""
    url = str(session.get_bind().engine.url)
    if url not in _group_table_known:
        _group_table_known[url] = inspect(session.connection()).has_table("rollup_group")
    return _group_table_known[url]


def group_merge_clause() -> str:
    g = "rollup_group"
    return f"""ON CONFLICT ({GROUP_KEY_SQL}) DO UPDATE SET
    count = {g}.count + excluded.count,
    bad_count = {g}.bad_count + excluded.bad_count,
    min = CASE WHEN {g}.min IS NULL OR excluded.min < {g}.min THEN excluded.min ELSE {g}.min END,
    max = CASE WHEN {g}.max IS NULL OR excluded.max > {g}.max THEN excluded.max ELSE {g}.max END,
    sum = CASE WHEN {g}.sum IS NULL THEN excluded.sum WHEN excluded.sum IS NULL THEN {g}.sum
               ELSE {g}.sum + excluded.sum END,
    delta = CASE WHEN {g}.delta IS NULL THEN excluded.delta WHEN excluded.delta IS NULL THEN {g}.delta
                 ELSE {g}.delta + excluded.delta END"""


def recompute_groups(session: Session, level: Resolution, keys_sql: str, params: dict[str, Any] | None = None) -> None:
    """Recompute the rollup_group rows of `level` for the groups and buckets of the (point_id, bucket) rows that
    `keys_sql` selects, from the per-point rollups of every point of those groups (both dialects)."""
    table = rollup_table(level).name
    stats = "sum(r.count), sum(r.bad_count), min(r.min), max(r.max), sum(r.sum), sum(r.delta)"
    session.execute(
        text(f"""
        INSERT INTO rollup_group ({GROUP_KEY_SQL}, {", ".join(GROUP_STATS)})
        SELECT k.park_id, k.ent, k.quantity, '{level.value}', k.bucket, {stats}
        FROM (
            SELECT DISTINCT p.park_id, coalesce(p.enterprise_id, 0) AS ent, p.quantity, t.bucket
            FROM ({keys_sql}) t JOIN point p ON p.id = t.point_id
        ) k
        JOIN point q ON q.park_id = k.park_id AND q.quantity = k.quantity AND coalesce(q.enterprise_id, 0) = k.ent
        JOIN {table} r ON r.point_id = q.id AND r.bucket = k.bucket
        GROUP BY k.park_id, k.ent, k.quantity, k.bucket
        ORDER BY k.park_id, k.ent, k.quantity, k.bucket
        ON CONFLICT ({GROUP_KEY_SQL}) DO UPDATE SET {", ".join(f"{c} = excluded.{c}" for c in GROUP_STATS)}
        """),
        params or {},
    )


def rebuild_groups(session: Session, park_id: int) -> None:
    """Recompute a park's rollup_group rows from its points' rollups, after points changed owner or quantity
    or were deleted (the incremental maintenance follows readings, not registry edits)."""
    session.execute(text("DELETE FROM rollup_group WHERE park_id = :park"), {"park": park_id})
    for level in GROUP_LEVELS:
        keys = (
            f"SELECT r.point_id, r.bucket FROM {rollup_table(level).name} r "
            "WHERE r.point_id IN (SELECT id FROM point WHERE park_id = :park)"
        )
        recompute_groups(session, level, keys, {"park": park_id})
