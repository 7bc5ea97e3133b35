"""Rollup maintenance on SQLite, in Python (`rollups.bucket_stats` is the reference): per point and bucket,
plain DB-API statements on the session's connection."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from digipark.core.config import get_settings
from digipark.telemetry.models import Resolution
from digipark.telemetry.rollups import (
    GROUP_KEY_SQL,
    GROUP_LEVELS,
    GROUP_STATS,
    LEVELS,
    M15_MS,
    REPLACE_ROLLUP_SQL,
    ROLLUP_COLUMNS_SQL,
    STAT_COLUMNS,
    PointFacts,
    Stats,
    bucket_end,
    bucket_start,
    bucket_stats,
    buckets_between,
    combine,
    group_merge_clause,
    has_group_table,
    point_contributions,
    point_facts,
    recompute_groups,
    rollup_table,
)

# Plain DB-API statements ("?" parameters) on the session's connection: SQLite answers a keyed lookup in a few
# microseconds, so per-point and per-bucket statements are cheap as long as no ORM/Core compilation sits in between.

_STATS_SQL = ", ".join(STAT_COLUMNS)


def _cursor(session: Session) -> Any:
    return session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]


def _load_rows(cursor: Any, resolution: Resolution, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Stats]:
    table = rollup_table(resolution).name
    out: dict[tuple[int, int], Stats] = {}
    for key in keys:
        row = cursor.execute(f"SELECT {_STATS_SQL} FROM {table} WHERE point_id = ? AND bucket = ?", key).fetchone()
        if row is not None:
            out[key] = Stats(*row)
    return out


def _upsert(cursor: Any, resolution: Resolution, values: dict[tuple[int, int], Stats]) -> None:
    if not values:
        return
    table = rollup_table(resolution).name
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
        for bucket, stats in point_contributions(
            rows, previous=previous, cumulative=fact.cumulative, valid_max=fact.valid_max, band=band
        ):
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
        f"INSERT INTO rollup_group ({GROUP_KEY_SQL}, {', '.join(GROUP_STATS)}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) " + group_merge_clause(),
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
        below_table = rollup_table(below).name
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


def refresh_coarser_sqlite(session: Session, point_ids: Sequence[int] | None, from_ms: int, to_ms: int) -> None:
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
        table, below_table = rollup_table(level).name, rollup_table(below).name
        where = "s.bucket >= :lo AND s.bucket < :hi"
        params: dict[str, Any] = {"lo": lo, "hi": hi}
        stmt = text(f"""
            INSERT INTO {table} ({ROLLUP_COLUMNS_SQL})
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
            {REPLACE_ROLLUP_SQL}
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
