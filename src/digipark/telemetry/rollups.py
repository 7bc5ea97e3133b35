"""Rollups at 15 min, 1 h, 1 day and 1 month, maintained incrementally as readings arrive.

Buckets: 15 min buckets are aligned on the epoch (every time zone's offset is a multiple of 15 min); hours,
days and months begin at local boundaries of `settings.timezone` (Asia/Shanghai: midnight is 16:00 UTC).

How a batch of new readings updates the rollups (telemetry.store calls `apply_new_readings_*`):
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
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, inspect, select, text
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


def _table(resolution: Resolution) -> Table:
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
_GROUP_KEY = "park_id, enterprise_id, quantity, resolution, bucket"
_group_table_known: dict[str, bool] = {}


def has_group_table(session: Session) -> bool:
    """Whether rollup_group exists (a database migrated to 0005 before it was added lacks it: then park series
    sum per point, and nothing breaks)."""
    url = str(session.get_bind().engine.url)
    if url not in _group_table_known:
        _group_table_known[url] = inspect(session.connection()).has_table("rollup_group")
    return _group_table_known[url]


def _group_merge_clause() -> str:
    g = "rollup_group"
    return f"""ON CONFLICT ({_GROUP_KEY}) DO UPDATE SET
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
    table = _table(level).name
    stats = "sum(r.count), sum(r.bad_count), min(r.min), max(r.max), sum(r.sum), sum(r.delta)"
    session.execute(
        text(f"""
        INSERT INTO rollup_group ({_GROUP_KEY}, {", ".join(GROUP_STATS)})
        SELECT k.park_id, k.ent, k.quantity, '{level.value}', k.bucket, {stats}
        FROM (
            SELECT DISTINCT p.park_id, coalesce(p.enterprise_id, 0) AS ent, p.quantity, t.bucket
            FROM ({keys_sql}) t JOIN point p ON p.id = t.point_id
        ) k
        JOIN point q ON q.park_id = k.park_id AND q.quantity = k.quantity AND coalesce(q.enterprise_id, 0) = k.ent
        JOIN {table} r ON r.point_id = q.id AND r.bucket = k.bucket
        GROUP BY k.park_id, k.ent, k.quantity, k.bucket
        ORDER BY k.park_id, k.ent, k.quantity, k.bucket
        ON CONFLICT ({_GROUP_KEY}) DO UPDATE SET {", ".join(f"{c} = excluded.{c}" for c in GROUP_STATS)}
        """),
        params or {},
    )


def rebuild_groups(session: Session, park_id: int) -> None:
    """Recompute a park's rollup_group rows from its points' rollups, after points changed owner or quantity
    or were deleted (the incremental maintenance follows readings, not registry edits)."""
    session.execute(text("DELETE FROM rollup_group WHERE park_id = :park"), {"park": park_id})
    for level in GROUP_LEVELS:
        keys = (
            f"SELECT r.point_id, r.bucket FROM {_table(level).name} r "
            "WHERE r.point_id IN (SELECT id FROM point WHERE park_id = :park)"
        )
        recompute_groups(session, level, keys, {"park": park_id})


# --- generic (Python) maintenance: SQLite --------------------------------------------------------------------------
# Plain DB-API statements ("?" parameters) on the session's connection: SQLite answers a keyed lookup in a few
# microseconds, so per-point and per-bucket statements are cheap as long as no ORM/Core compilation sits in between.

_STATS_SQL = ", ".join(STAT_COLUMNS)


def _cursor(session: Session) -> Any:
    return session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]


def _load_rows(cursor: Any, resolution: Resolution, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Stats]:
    table = _table(resolution).name
    out: dict[tuple[int, int], Stats] = {}
    for key in keys:
        row = cursor.execute(f"SELECT {_STATS_SQL} FROM {table} WHERE point_id = ? AND bucket = ?", key).fetchone()
        if row is not None:
            out[key] = Stats(*row)
    return out


def _upsert(cursor: Any, resolution: Resolution, values: dict[tuple[int, int], Stats]) -> None:
    if not values:
        return
    table = _table(resolution).name
    marks = ", ".join("?" for _ in range(len(STAT_COLUMNS) + 2))
    update = ", ".join(f"{c} = excluded.{c}" for c in STAT_COLUMNS)
    cursor.executemany(
        f"INSERT INTO {table} (point_id, bucket, {_STATS_SQL}) VALUES ({marks}) "
        f"ON CONFLICT (point_id, bucket) DO UPDATE SET {update}",
        [
            (
                pid,
                bucket,
                st.count,
                st.bad_count,
                st.min,
                st.max,
                st.sum,
                st.first_ts,
                st.first_value,
                st.last_ts,
                st.last_value,
                st.delta,
            )
            for (pid, bucket), st in values.items()
        ],
    )


def _previous_good_value(cursor: Any, point_id: int, before_ms: int, *, raw: bool) -> float | None:
    """The last good value before `before_ms`: from raw readings (if asked), else from the 15 min rollups."""
    if raw:
        row = cursor.execute(
            "SELECT value FROM reading WHERE point_id = ? AND ts < ? AND quality = 0 ORDER BY ts DESC LIMIT 1",
            (point_id, before_ms),
        ).fetchone()
        if row is not None:
            return float(row[0])
    row = cursor.execute(
        "SELECT last_value FROM rollup_15m WHERE point_id = ? AND bucket < ? AND count > 0 "
        "ORDER BY bucket DESC LIMIT 1",
        (point_id, before_ms),
    ).fetchone()
    return None if row is None or row[0] is None else float(row[0])


class _BucketCache:
    def __init__(self) -> None:
        self._starts: dict[tuple[Resolution, int], int] = {}

    def start(self, level: Resolution, ts: int) -> int:
        if level is Resolution.M15:
            return ts - ts % M15_MS
        key = (level, ts - ts % M15_MS)
        found = self._starts.get(key)
        if found is None:
            found = self._starts[key] = bucket_start(level, key[1])
        return found


def apply_new_readings_python(
    session: Session,
    new_by_point: dict[int, list[tuple[int, float, int]]],
    facts: dict[int, PointFacts],
    late_points: set[int],
) -> None:
    """Update the rollups for new readings (per point, sorted by ts) already inserted into `reading`."""
    band = get_settings().rollover_band
    cursor = _cursor(session)
    buckets = _BucketCache()
    contributions: dict[tuple[int, int], Stats] = {}
    touched_late: set[tuple[int, int]] = set()
    for pid, rows in new_by_point.items():
        fact = facts[pid]
        if pid in late_points:
            touched_late.update((pid, ts - ts % M15_MS) for ts, _, _ in rows)
            continue
        previous = _previous_good_value(cursor, pid, 2**62, raw=False) if fact.cumulative else None
        groups: dict[int, list[tuple[int, float, int]]] = defaultdict(list)
        for row in rows:
            groups[row[0] - row[0] % M15_MS].append(row)
        for bucket in sorted(groups):
            stats = bucket_stats(
                groups[bucket], previous=previous, cumulative=fact.cumulative, valid_max=fact.valid_max, band=band
            )
            if stats.last_value is not None:
                previous = stats.last_value
            contributions[(pid, bucket)] = stats
    if contributions:
        for level in LEVELS:
            grouped: dict[tuple[int, int], list[Stats]] = defaultdict(list)
            for (pid, bucket), stats in sorted(contributions.items()):
                grouped[(pid, buckets.start(level, bucket))].append(stats)
            stored = _load_rows(cursor, level, grouped)
            merged = {
                key: combine([stored[key], *parts]) if key in stored else combine(parts)
                for key, parts in grouped.items()
            }
            _upsert(cursor, level, merged)
            if level in GROUP_LEVELS and has_group_table(session):
                _merge_groups_python(cursor, level, grouped, facts)
    if touched_late:
        _recompute_15m_python(session, touched_late, facts, band)


def _merge_groups_python(
    cursor: Any, level: Resolution, contributions: dict[tuple[int, int], list[Stats]], facts: dict[int, PointFacts]
) -> None:
    grouped: dict[tuple[int, int, str, int], list[Stats]] = defaultdict(list)
    for (pid, bucket), parts in contributions.items():
        park, enterprise, quantity = facts[pid].group
        grouped[(park, enterprise, quantity, bucket)].extend(parts)
    rows = []
    for (park, enterprise, quantity, bucket), parts in grouped.items():
        st = combine(parts)
        rows.append(
            (park, enterprise, quantity, level.value, bucket, st.count, st.bad_count, st.min, st.max, st.sum, st.delta)
        )
    cursor.executemany(
        f"INSERT INTO rollup_group ({_GROUP_KEY}, {', '.join(GROUP_STATS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        + _group_merge_clause(),
        rows,
    )


def _recompute_15m_python(
    session: Session, touched: set[tuple[int, int]], facts: dict[int, PointFacts], band: float
) -> None:
    cursor = _cursor(session)
    touched = set(touched)
    for pid, bucket in list(touched):  # the next good reading's bucket: its first increment changes
        row = cursor.execute(
            "SELECT ts FROM reading WHERE point_id = ? AND ts >= ? AND quality = 0 ORDER BY ts LIMIT 1",
            (pid, bucket + M15_MS),
        ).fetchone()
        if row is not None:
            touched.add((pid, row[0] - row[0] % M15_MS))
    values: dict[tuple[int, int], Stats] = {}
    for pid, bucket in sorted(touched):
        fact = facts.get(pid) or point_facts(session, [pid])[pid]
        rows = cursor.execute(
            "SELECT ts, value, quality FROM reading WHERE point_id = ? AND ts >= ? AND ts < ? ORDER BY ts",
            (pid, bucket, bucket + M15_MS),
        ).fetchall()
        if not rows:
            continue  # no raw rows (purged, or back-filled as rollups only): keep the stored rollup
        previous = _previous_good_value(cursor, pid, bucket, raw=True) if fact.cumulative else None
        values[(pid, bucket)] = bucket_stats(
            rows, previous=previous, cumulative=fact.cumulative, valid_max=fact.valid_max, band=band
        )
    _upsert(cursor, Resolution.M15, values)
    _recompute_coarser_python(session, set(values))


def _recompute_coarser_python(session: Session, touched_15m: set[tuple[int, int]]) -> None:
    cursor = _cursor(session)
    buckets = _BucketCache()
    below = Resolution.M15
    touched = touched_15m
    for level in LEVELS[1:]:
        keys = {(pid, buckets.start(level, bucket)) for pid, bucket in touched}
        below_table = _table(below).name
        values: dict[tuple[int, int], Stats] = {}
        for pid, bucket in sorted(keys):
            rows = cursor.execute(
                f"SELECT {_STATS_SQL} FROM {below_table} WHERE point_id = ? AND bucket >= ? AND bucket < ? "
                "ORDER BY bucket",
                (pid, bucket, bucket_end(level, bucket)),
            ).fetchall()
            if rows:
                values[(pid, bucket)] = combine(Stats(*row) for row in rows)
        _upsert(cursor, level, values)
        if level in GROUP_LEVELS and keys and has_group_table(session):
            cursor.execute("CREATE TEMP TABLE IF NOT EXISTS _tel_gkeys (point_id INTEGER, bucket BIGINT)")
            cursor.execute("DELETE FROM _tel_gkeys")
            cursor.executemany("INSERT INTO _tel_gkeys (point_id, bucket) VALUES (?, ?)", sorted(keys))
            recompute_groups(session, level, "SELECT point_id, bucket FROM _tel_gkeys")
        below, touched = level, keys


# --- PostgreSQL set-based maintenance ---------------------------------------------------------------------------


def bucket_map(resolution: Resolution, buckets: Iterable[int]) -> tuple[list[int], list[int], list[int]]:
    """(15 min buckets, their `resolution` buckets, those buckets' ends) as three arrays for SQL: the mapping is
    the same for every point and a batch touches few distinct 15 min buckets, so it is computed here once."""
    subs = sorted(set(buckets))
    starts = [bucket_start(resolution, b) for b in subs]
    ends_by_start = {start: bucket_end(resolution, start) for start in set(starts)}
    return subs, starts, [ends_by_start[start] for start in starts]


_MAP_SQL = "unnest(CAST(:subs AS bigint[]), CAST(:starts AS bigint[]), CAST(:ends AS bigint[])) AS m(sub, start, stop)"


def _map_params(resolution: Resolution, buckets: Iterable[int]) -> dict[str, Any]:
    subs, starts, ends = bucket_map(resolution, buckets)
    return {"subs": subs, "starts": starts, "ends": ends}


def _pg_increment_sql(prev: str, value: str, vmax: str) -> str:
    return (
        f"CASE WHEN {prev} IS NULL THEN 0.0 WHEN {value} >= {prev} THEN {value} - {prev} "
        f"WHEN {vmax} IS NOT NULL AND {prev} >= {vmax} * (1 - :band) AND {value} <= {vmax} * :band "
        f"THEN {vmax} - {prev} + {value} ELSE {value} END"
    )


# aggregates of readings rows r(point_id, bucket, ts, value, quality, inc, cumulative) into bucket statistics
_READING_AGGREGATES = """
    count(*) FILTER (WHERE r.quality = 0),
    count(*) FILTER (WHERE r.quality <> 0),
    min(r.value) FILTER (WHERE r.quality = 0),
    max(r.value) FILTER (WHERE r.quality = 0),
    sum(r.value) FILTER (WHERE r.quality = 0),
    min(r.ts) FILTER (WHERE r.quality = 0),
    (array_agg(r.value ORDER BY r.ts) FILTER (WHERE r.quality = 0))[1],
    max(r.ts) FILTER (WHERE r.quality = 0),
    (array_agg(r.value ORDER BY r.ts DESC) FILTER (WHERE r.quality = 0))[1],
    CASE WHEN bool_or(r.cumulative) AND count(*) FILTER (WHERE r.quality = 0) > 0
         THEN coalesce(sum(r.inc) FILTER (WHERE r.quality = 0), 0.0) END
"""

# aggregates of rollup rows s into the statistics of their union
_COMBINE_AGGREGATES = """
    sum(s.count), sum(s.bad_count), min(s.min), max(s.max), sum(s.sum),
    min(s.first_ts), (array_agg(s.first_value ORDER BY s.first_ts) FILTER (WHERE s.first_ts IS NOT NULL))[1],
    max(s.last_ts), (array_agg(s.last_value ORDER BY s.last_ts DESC) FILTER (WHERE s.last_ts IS NOT NULL))[1],
    sum(s.delta)
"""

_COLUMNS = "point_id, bucket, " + ", ".join(STAT_COLUMNS)
_REPLACE = "ON CONFLICT (point_id, bucket) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in STAT_COLUMNS)


def _merge_clause(table: str) -> str:
    t = table
    return f"""ON CONFLICT (point_id, bucket) DO UPDATE SET
    count = {t}.count + excluded.count,
    bad_count = {t}.bad_count + excluded.bad_count,
    min = least({t}.min, excluded.min),
    max = greatest({t}.max, excluded.max),
    sum = CASE WHEN {t}.sum IS NULL THEN excluded.sum WHEN excluded.sum IS NULL THEN {t}.sum
               ELSE {t}.sum + excluded.sum END,
    first_ts = CASE WHEN excluded.first_ts < {t}.first_ts OR {t}.first_ts IS NULL
                    THEN excluded.first_ts ELSE {t}.first_ts END,
    first_value = CASE WHEN excluded.first_ts < {t}.first_ts OR {t}.first_ts IS NULL
                       THEN excluded.first_value ELSE {t}.first_value END,
    last_ts = CASE WHEN excluded.last_ts > {t}.last_ts OR {t}.last_ts IS NULL
                   THEN excluded.last_ts ELSE {t}.last_ts END,
    last_value = CASE WHEN excluded.last_ts > {t}.last_ts OR {t}.last_ts IS NULL
                      THEN excluded.last_value ELSE {t}.last_value END,
    delta = CASE WHEN {t}.delta IS NULL THEN excluded.delta WHEN excluded.delta IS NULL THEN {t}.delta
                 ELSE {t}.delta + excluded.delta END"""


PG_TEMP_TABLES = """
CREATE TEMP TABLE IF NOT EXISTS _tel_c15 (
    point_id integer, bucket bigint, count integer, bad_count integer, min float8, max float8, sum float8,
    first_ts bigint, first_value float8, last_ts bigint, last_value float8, delta float8
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS _tel_t15 (point_id integer, bucket bigint, PRIMARY KEY (point_id, bucket))
    ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS _tel_t1h (point_id integer, bucket bigint, stop bigint, PRIMARY KEY (point_id, bucket))
    ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS _tel_t1d (point_id integer, bucket bigint, stop bigint, PRIMARY KEY (point_id, bucket))
    ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS _tel_t1mo (point_id integer, bucket bigint, stop bigint, PRIMARY KEY (point_id, bucket))
    ON COMMIT DELETE ROWS;
"""
PG_TEMP_CLEAR = "DELETE FROM _tel_c15; DELETE FROM _tel_t15; DELETE FROM _tel_t1h; DELETE FROM _tel_t1d; " + (
    "DELETE FROM _tel_t1mo;"
)
_TOUCH = {Resolution.M15: "_tel_t15", Resolution.H1: "_tel_t1h", Resolution.D1: "_tel_t1d", Resolution.MO1: "_tel_t1mo"}


def _band() -> dict[str, Any]:
    return {"band": get_settings().rollover_band}


def pg_merge_in_order(session: Session, *, defer_coarse: bool = False) -> None:
    """Merge the new readings of in-order points into all four levels and the group sums (group rows in key
    order: concurrent writers of different points of one group lock them in the same order). Expects the temp
    tables of telemetry.store: _tel_new (new rows) and _tel_pts (per point: cumulative, vmax, prev = the last good value
    stored before, late). `defer_coarse`: merge rollup_15m only and mark its touched buckets in rollup_pending
    for `refresh_pending`."""
    inc = _pg_increment_sql("coalesce(r.prev_good, r.prev)", "r.value", "r.vmax")
    session.execute(
        text(f"""
        INSERT INTO _tel_c15 ({_COLUMNS})
        SELECT r.point_id, r.bucket, {_READING_AGGREGATES.replace("sum(r.inc)", f"sum({inc})")}
        FROM (
            SELECT n.point_id, n.ts - mod(n.ts, {M15_MS}) AS bucket, n.ts, n.value, n.quality, t.cumulative,
                   t.vmax, t.prev,
                   lag(n.value) OVER (PARTITION BY n.point_id, n.quality = 0 ORDER BY n.ts) AS prev_good
            FROM _tel_new n JOIN _tel_pts t ON t.point_id = n.point_id AND NOT t.late
        ) r
        GROUP BY 1, 2
        """),
        _band(),
    )
    connection = session.connection()
    connection.exec_driver_sql(
        f"INSERT INTO rollup_15m ({_COLUMNS}) SELECT {_COLUMNS} FROM _tel_c15 {_merge_clause('rollup_15m')}"
    )
    if defer_coarse:
        connection.exec_driver_sql(
            "INSERT INTO rollup_pending (point_id, bucket) SELECT point_id, bucket FROM _tel_c15 "
            "ORDER BY point_id, bucket ON CONFLICT DO NOTHING"
        )
        return
    buckets = [int(b) for (b,) in connection.exec_driver_sql("SELECT DISTINCT bucket FROM _tel_c15")]
    stats = ", ".join(f"s.{c}" for c in STAT_COLUMNS)
    for level in LEVELS[1:]:
        table = _table(level).name
        params = _map_params(level, buckets)
        if len(set(params["starts"])) == len(params["subs"]):
            # one 15 min bucket per coarser bucket (live data: a batch rarely spans two): no aggregation needed
            select_sql = f"SELECT s.point_id, m.start, {stats} FROM _tel_c15 s JOIN {_MAP_SQL} ON m.sub = s.bucket"
        else:
            select_sql = (
                f"SELECT s.point_id, m.start, {_COMBINE_AGGREGATES} "
                f"FROM _tel_c15 s JOIN {_MAP_SQL} ON m.sub = s.bucket GROUP BY 1, 2"
            )
        session.execute(text(f"INSERT INTO {table} ({_COLUMNS}) {select_sql} {_merge_clause(table)}"), params)
        if level in GROUP_LEVELS and has_group_table(session):
            session.execute(
                text(f"""
                INSERT INTO rollup_group ({_GROUP_KEY}, {", ".join(GROUP_STATS)})
                SELECT t.park_id, t.ent, t.quantity, '{level.value}', m.start, sum(s.count), sum(s.bad_count),
                       min(s.min), max(s.max), sum(s.sum), sum(s.delta)
                FROM _tel_c15 s JOIN _tel_pts t ON t.point_id = s.point_id JOIN {_MAP_SQL} ON m.sub = s.bucket
                GROUP BY 1, 2, 3, 4, 5
                ORDER BY 1, 2, 3, 4, 5
                {_group_merge_clause()}
                """),
                params,
            )


def pg_recompute_late(session: Session) -> None:
    """Recompute from raw the 15 min buckets touched by the new readings of late points (and the bucket of the
    next good reading after each), then the coarser levels above them."""
    connection = session.connection()
    connection.exec_driver_sql(
        f"""
        INSERT INTO _tel_t15 (point_id, bucket)
        SELECT DISTINCT n.point_id, n.ts - mod(n.ts, {M15_MS})
        FROM _tel_new n JOIN _tel_pts t ON t.point_id = n.point_id AND t.late
        ON CONFLICT DO NOTHING
        """
    )
    connection.exec_driver_sql(
        f"""
        INSERT INTO _tel_t15 (point_id, bucket)
        SELECT x.point_id, x.ts - mod(x.ts, {M15_MS}) FROM _tel_t15 t CROSS JOIN LATERAL (
            SELECT r.point_id, r.ts FROM reading r
            WHERE r.point_id = t.point_id AND r.ts >= t.bucket + {M15_MS} AND r.quality = 0
            ORDER BY r.ts LIMIT 1
        ) x
        ON CONFLICT DO NOTHING
        """
    )
    pg_recompute_15m_from_raw(session)
    pg_recompute_coarser(session)


def pg_recompute_15m_from_raw(session: Session) -> None:
    """Recompute the 15 min buckets listed in _tel_t15 from raw readings (buckets without raw rows are kept)."""
    inc = _pg_increment_sql("coalesce(g.prev_in_bucket, pv.value)", "g.value", "g.vmax")
    session.execute(
        text(f"""
        INSERT INTO rollup_15m ({_COLUMNS})
        WITH rows AS (
            SELECT t.point_id, t.bucket, rd.ts, rd.value, rd.quality,
                   p.state_class = 'total_increasing' AS cumulative, p.valid_max AS vmax
            FROM _tel_t15 t
            JOIN point p ON p.id = t.point_id
            JOIN reading rd ON rd.point_id = t.point_id AND rd.ts >= t.bucket AND rd.ts < t.bucket + {M15_MS}
        ), good AS (
            SELECT rows.*,
                   lag(rows.value) OVER (PARTITION BY rows.point_id, rows.bucket ORDER BY rows.ts) AS prev_in_bucket
            FROM rows WHERE rows.quality = 0
        ), r AS (
            SELECT g.point_id, g.bucket, g.ts, g.value, 0 AS quality, g.cumulative,
                   CASE WHEN g.cumulative THEN {inc} END AS inc
            FROM good g LEFT JOIN LATERAL (
                SELECT coalesce(
                    (SELECT x.value FROM reading x
                     WHERE x.point_id = g.point_id AND x.ts < g.bucket AND x.quality = 0
                     ORDER BY x.ts DESC LIMIT 1),
                    (SELECT ro.last_value FROM rollup_15m ro
                     WHERE ro.point_id = g.point_id AND ro.bucket < g.bucket AND ro.count > 0
                     ORDER BY ro.bucket DESC LIMIT 1)
                ) AS value
                WHERE g.prev_in_bucket IS NULL AND g.cumulative
            ) pv ON true
            UNION ALL
            SELECT point_id, bucket, ts, value, quality, cumulative, NULL FROM rows WHERE quality <> 0
        )
        SELECT r.point_id, r.bucket, {_READING_AGGREGATES}
        FROM r GROUP BY 1, 2
        {_REPLACE}
        """),
        _band(),
    )


def pg_recompute_coarser(session: Session) -> None:
    """Recompute 1 h, 1 d and 1 mo rollups above the 15 min buckets listed in _tel_t15, each from the level below."""
    connection = session.connection()
    buckets = [int(b) for (b,) in connection.exec_driver_sql("SELECT DISTINCT bucket FROM _tel_t15")]
    below = Resolution.M15
    for level in LEVELS[1:]:
        table, below_table = _table(level).name, _table(below).name
        session.execute(
            text(f"""
            INSERT INTO {_TOUCH[level]} (point_id, bucket, stop)
            SELECT DISTINCT t.point_id, m.start, m.stop FROM _tel_t15 t JOIN {_MAP_SQL} ON m.sub = t.bucket
            ON CONFLICT DO NOTHING
            """),
            _map_params(level, buckets),
        )
        connection.exec_driver_sql(
            f"""
            INSERT INTO {table} ({_COLUMNS})
            SELECT t.point_id, t.bucket, {_COMBINE_AGGREGATES}
            FROM {_TOUCH[level]} t
            JOIN {below_table} s ON s.point_id = t.point_id AND s.bucket >= t.bucket AND s.bucket < t.stop
            GROUP BY t.point_id, t.bucket
            {_REPLACE}
            """
        )
        if level in GROUP_LEVELS and has_group_table(session):
            recompute_groups(session, level, f"SELECT point_id, bucket FROM {_TOUCH[level]}")
        below = level


REFRESH_LOCK = (7405, 0)  # advisory lock key: one refresh of pending rollups at a time, park-wide


def refresh_pending(session: Session, *, limit: int = 200_000) -> int:
    """Bring rollup_1h, rollup_1d, rollup_1mo and the group sums up to date above the 15 min buckets that
    deferred writes marked in rollup_pending (at most `limit` of them); returns how many were refreshed, 0 when
    another process is refreshing. Each coarser bucket is recomputed from the level below, so a refresh is
    exact whatever order batches committed in; a marker committed after this refresh took its rows stays for the
    next one. Never commits."""
    if session.get_bind().dialect.name != "postgresql":
        return 0  # deferred writes are PostgreSQL's only
    connection = session.connection()
    if not connection.exec_driver_sql(f"SELECT pg_try_advisory_xact_lock{REFRESH_LOCK}").scalar():
        return 0
    ensure_pg_temp_tables(session)
    connection.exec_driver_sql(PG_TEMP_CLEAR)
    taken = connection.exec_driver_sql(
        f"""
        WITH taken AS (
            DELETE FROM rollup_pending WHERE (point_id, bucket) IN (
                SELECT point_id, bucket FROM rollup_pending ORDER BY point_id, bucket LIMIT {int(limit)}
            ) RETURNING point_id, bucket
        )
        INSERT INTO _tel_t15 (point_id, bucket) SELECT point_id, bucket FROM taken ON CONFLICT DO NOTHING
        """
    ).rowcount
    if taken:
        pg_recompute_coarser(session)
    connection.exec_driver_sql(PG_TEMP_CLEAR)
    return int(taken)


def ensure_pg_temp_tables(session: Session) -> None:
    session.connection().exec_driver_sql(PG_TEMP_TABLES)


# --- the public refresh ---------------------------------------------------------------------------------------


def refresh_coarser(session: Session, point_ids: Sequence[int] | None, from_ms: int, to_ms: int) -> None:
    """Recompute rollup_1h, rollup_1d, rollup_1mo from rollup_15m for these points (None: all) over the
    buckets overlapping [from_ms, to_ms). The demo back-fill writes rollup_15m rows itself (bulk insert of
    history without raw rows) and then calls this."""
    if to_ms <= from_ms:
        return
    start = bucket_start(Resolution.M15, from_ms)
    if session.get_bind().dialect.name == "postgresql":
        ensure_pg_temp_tables(session)
        session.connection().exec_driver_sql(PG_TEMP_CLEAR)
        stmt = (
            "INSERT INTO _tel_t15 (point_id, bucket) SELECT point_id, bucket FROM rollup_15m "
            "WHERE bucket >= :start AND bucket < :end"
        )
        params: dict[str, Any] = {"start": start, "end": to_ms}
        if point_ids is not None:
            stmt += " AND point_id IN :ids"
            session.execute(text(stmt).bindparams(bindparam("ids", expanding=True)), {**params, "ids": list(point_ids)})
        else:
            session.execute(text(stmt), params)
        pg_recompute_coarser(session)
        session.connection().exec_driver_sql(PG_TEMP_CLEAR)
        return
    _refresh_coarser_generic(session, point_ids, start, to_ms)


def _refresh_coarser_generic(session: Session, point_ids: Sequence[int] | None, from_ms: int, to_ms: int) -> None:
    """Set-based refresh for SQLite: a temporary map of sub-bucket -> bucket (the same for every point) joined to
    the level below; first/last values are read from the first/last non-empty sub-bucket."""
    conn = session.connection()
    conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS _tel_map (b BIGINT PRIMARY KEY, cb BIGINT NOT NULL)")
    below = Resolution.M15
    lo, hi = from_ms, to_ms
    for level in LEVELS[1:]:
        lo = bucket_start(level, lo)
        hi = bucket_end(level, bucket_start(level, hi - 1))
        conn.exec_driver_sql("DELETE FROM _tel_map")
        mapping: list[tuple[int, int]] = []
        for cb in buckets_between(level, lo, hi):
            mapping.extend((b, cb) for b in buckets_between(below, cb, bucket_end(level, cb)))
        conn.exec_driver_sql("INSERT INTO _tel_map (b, cb) VALUES (?, ?)", mapping)
        table, below_table = _table(level).name, _table(below).name
        where = "s.bucket >= :lo AND s.bucket < :hi"
        params: dict[str, Any] = {"lo": lo, "hi": hi}
        stmt = text(f"""
            INSERT INTO {table} ({_COLUMNS})
            SELECT g.point_id, g.cb, g.count, g.bad_count, g.min, g.max, g.sum,
                   g.first_ts, f.first_value, g.last_ts, l.last_value, g.delta
            FROM (
                SELECT s.point_id, m.cb, sum(s.count) AS count, sum(s.bad_count) AS bad_count, min(s.min) AS min,
                       max(s.max) AS max, sum(s.sum) AS sum, min(s.first_ts) AS first_ts, max(s.last_ts) AS last_ts,
                       sum(s.delta) AS delta,
                       min(CASE WHEN s.first_ts IS NOT NULL THEN s.bucket END) AS fb,
                       max(CASE WHEN s.last_ts IS NOT NULL THEN s.bucket END) AS lb
                FROM {below_table} s JOIN _tel_map m ON m.b = s.bucket
                WHERE {where} {"AND s.point_id IN :ids" if point_ids is not None else ""}
                GROUP BY s.point_id, m.cb
            ) g
            LEFT JOIN {below_table} f ON f.point_id = g.point_id AND f.bucket = g.fb
            LEFT JOIN {below_table} l ON l.point_id = g.point_id AND l.bucket = g.lb
            WHERE true
            {_REPLACE}
        """)
        if point_ids is not None:
            stmt = stmt.bindparams(bindparam("ids", expanding=True))
            params["ids"] = list(point_ids)
        session.execute(stmt, params)
        if level in GROUP_LEVELS and has_group_table(session):
            keys = f"SELECT s.point_id, s.bucket FROM {table} s WHERE {where}"
            if point_ids is not None:
                keys += " AND s.point_id IN (" + ", ".join(str(int(p)) for p in point_ids) + ")"
            recompute_groups(session, level, keys, {"lo": lo, "hi": hi})
        below = level
