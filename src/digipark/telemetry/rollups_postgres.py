"""Rollup maintenance on PostgreSQL: set-based SQL over temporary tables of the new readings and the touched
buckets (telemetry.store fills them), computing the same statistics as `rollups.bucket_stats`."""

from __future__ import annotations

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
    bucket_map,
    group_merge_clause,
    has_group_table,
    recompute_groups,
    rollup_table,
)

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


def pg_merge_in_order(session: Session, *, defer_coarse: bool = False, staged: bool = False) -> None:
    """Merge the new readings of in-order points into all four levels and the group sums (group rows in key
    order: concurrent writers of different points of one group lock them in the same order). Expects the temp
    tables of telemetry.store: _tel_new (new rows) and _tel_pts (per point: cumulative, vmax, prev = the last good value
    stored before, late); `staged`: the caller has put the new readings' 15 min statistics into _tel_c15 already
    (and _tel_new is not used). `defer_coarse`: merge rollup_15m only and mark its touched buckets in
    rollup_pending for `refresh_pending`."""
    if not staged:
        inc = _pg_increment_sql("coalesce(r.prev_good, r.prev)", "r.value", "r.vmax")
        session.execute(
            text(f"""
            INSERT INTO _tel_c15 ({ROLLUP_COLUMNS_SQL})
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
        f"INSERT INTO rollup_15m ({ROLLUP_COLUMNS_SQL}) SELECT {ROLLUP_COLUMNS_SQL} FROM _tel_c15 "
        + _merge_clause("rollup_15m")
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
        table = rollup_table(level).name
        params = _map_params(level, buckets)
        if len(set(params["starts"])) == len(params["subs"]):
            # one 15 min bucket per coarser bucket (live data: a batch rarely spans two): no aggregation needed
            select_sql = f"SELECT s.point_id, m.start, {stats} FROM _tel_c15 s JOIN {_MAP_SQL} ON m.sub = s.bucket"
        else:
            select_sql = (
                f"SELECT s.point_id, m.start, {_COMBINE_AGGREGATES} "
                f"FROM _tel_c15 s JOIN {_MAP_SQL} ON m.sub = s.bucket GROUP BY 1, 2"
            )
        session.execute(text(f"INSERT INTO {table} ({ROLLUP_COLUMNS_SQL}) {select_sql} {_merge_clause(table)}"), params)
        if level in GROUP_LEVELS and has_group_table(session):
            session.execute(
                text(f"""
                INSERT INTO rollup_group ({GROUP_KEY_SQL}, {", ".join(GROUP_STATS)})
                SELECT t.park_id, t.ent, t.quantity, '{level.value}', m.start, sum(s.count), sum(s.bad_count),
                       min(s.min), max(s.max), sum(s.sum), sum(s.delta)
                FROM _tel_c15 s JOIN _tel_pts t ON t.point_id = s.point_id JOIN {_MAP_SQL} ON m.sub = s.bucket
                GROUP BY 1, 2, 3, 4, 5
                ORDER BY 1, 2, 3, 4, 5
                {group_merge_clause()}
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
    parks = _parks_of_touched(session)
    connection.exec_driver_sql(
        f"""
        INSERT INTO _tel_t15 (point_id, bucket)
        SELECT x.point_id, x.ts - mod(x.ts, {M15_MS}) FROM _tel_t15 t CROSS JOIN LATERAL (
            SELECT r.point_id, r.ts FROM reading r
            WHERE r.park_id IN ({parks}) AND r.point_id = t.point_id AND r.ts >= t.bucket + {M15_MS}
              AND r.quality = 0
            ORDER BY r.ts LIMIT 1
        ) x
        ON CONFLICT DO NOTHING
        """
    )
    pg_recompute_15m_from_raw(session)
    pg_recompute_coarser(session)


def _parks_of_touched(session: Session) -> str:
    """The parks of the points in _tel_t15 as SQL constants: with them in a query's WHERE, PostgreSQL leaves the
    partitions of `reading` of other parks out when planning (another server's, reachable or not, is not asked)."""
    parks = session.execute(
        text("SELECT DISTINCT p.park_id FROM point p WHERE p.id IN (SELECT point_id FROM _tel_t15)")
    ).scalars()
    return ", ".join(str(int(park)) for park in sorted(parks)) or "NULL"


def pg_recompute_15m_from_raw(session: Session) -> None:
    """Recompute the 15 min buckets listed in _tel_t15 from raw readings (buckets without raw rows are kept)."""
    inc = _pg_increment_sql("coalesce(g.prev_in_bucket, pv.value)", "g.value", "g.vmax")
    parks = _parks_of_touched(session)
    session.execute(
        text(f"""
        INSERT INTO rollup_15m ({ROLLUP_COLUMNS_SQL})
        WITH rows AS (
            SELECT t.point_id, t.bucket, rd.ts, rd.value, rd.quality,
                   p.state_class = 'total_increasing' AS cumulative, p.valid_max AS vmax
            FROM _tel_t15 t
            JOIN point p ON p.id = t.point_id
            JOIN reading rd ON rd.park_id IN ({parks}) AND rd.point_id = t.point_id
                AND rd.ts >= t.bucket AND rd.ts < t.bucket + {M15_MS}
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
                     WHERE x.park_id IN ({parks}) AND x.point_id = g.point_id AND x.ts < g.bucket AND x.quality = 0
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
        {REPLACE_ROLLUP_SQL}
        """),
        _band(),
    )


def pg_recompute_coarser(session: Session) -> None:
    """Recompute 1 h, 1 d and 1 mo rollups above the 15 min buckets listed in _tel_t15, each from the level below."""
    connection = session.connection()
    buckets = [int(b) for (b,) in connection.exec_driver_sql("SELECT DISTINCT bucket FROM _tel_t15")]
    below = Resolution.M15
    for level in LEVELS[1:]:
        table, below_table = rollup_table(level).name, rollup_table(below).name
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
            INSERT INTO {table} ({ROLLUP_COLUMNS_SQL})
            SELECT t.point_id, t.bucket, {_COMBINE_AGGREGATES}
            FROM {_TOUCH[level]} t
            JOIN {below_table} s ON s.point_id = t.point_id AND s.bucket >= t.bucket AND s.bucket < t.stop
            GROUP BY t.point_id, t.bucket
            {REPLACE_ROLLUP_SQL}
            """
        )
        if level in GROUP_LEVELS and has_group_table(session):
            recompute_groups(session, level, f"SELECT point_id, bucket FROM {_TOUCH[level]}")
        below = level


def ensure_pg_temp_tables(session: Session) -> None:
    session.connection().exec_driver_sql(PG_TEMP_TABLES)


def refresh_coarser_postgres(session: Session, point_ids: Sequence[int] | None, start: int, to_ms: int) -> None:
    """`rollups_refresh.refresh_coarser` on PostgreSQL: the 15 min buckets in range are marked, then recomputed."""
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
