"""Writing readings: the hot path of ingestion.

`write_readings` stores a batch of readings in the caller's transaction (never commits): repeats of a stored
(point, ts) are ignored (first value wins, also within the batch), a finite value outside the point's
[valid_min, valid_max] is stored with quality BAD, the rollups the new readings touch are updated (late data
included, see telemetry.rollups), `point_latest` moves forward, and a `ReadingsStored` event is queued.

PostgreSQL: the batch is COPYed (binary) into a temporary staging table, missing monthly partitions of
`reading` are created, the points of the batch are locked (transaction-level advisory locks, in id order, so
concurrent ingest workers writing the same point serialise and their rollup merges stay exact), then one
`INSERT ... SELECT DISTINCT ON ... ON CONFLICT DO NOTHING RETURNING` keeps the new rows in a temporary table
from which everything else is computed set-based.
SQLite: existing keys are looked up per point, new rows inserted with executemany, rollups in Python.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from digipark.core.events import queue_event
from digipark.telemetry import rollups
from digipark.telemetry.events import ReadingsStored
from digipark.telemetry.models import Quality

log = logging.getLogger(__name__)
ADVISORY_LOCK_CLASS = 7404  # first key of the per-point advisory locks (the second is the point id)


@dataclasses.dataclass(frozen=True, slots=True)
class ReadingRow:
    point_id: int
    ts: int
    value: float
    quality: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class WriteResult:
    stored: int
    duplicates: int
    stored_by_point: dict[int, int]


def write_readings(session: Session, rows: Sequence[ReadingRow]) -> WriteResult:
    """Store new readings (repeats of (point, ts) ignored), update the rollups they touch (late data
    included), point_latest, and queue a ReadingsStored event. Fast path: PostgreSQL COPY. Never commits."""
    if not rows:
        return WriteResult(0, 0, {})
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        stored_by_point, latest, new, unknown = _write_postgresql(session, rows)
    else:
        stored_by_point, latest, new, unknown = _write_generic(session, rows)
    stored = sum(stored_by_point.values())
    if unknown:  # the ingestor dead-letters unknown points before; a point deleted since then ends here
        log.warning("%d readings of points that do not exist were not stored", unknown)
    if stored:
        queue_event(session, ReadingsStored(latest=latest, readings=new))
    return WriteResult(stored=stored, duplicates=len(rows) - stored - unknown, stored_by_point=stored_by_point)


# --- PostgreSQL ---------------------------------------------------------------------------------------------------

_PG_TEMP = """
CREATE TEMP TABLE IF NOT EXISTS _tel_stage (point_id integer, ts bigint, value float8, quality smallint)
    ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS _tel_new (point_id integer, ts bigint, value float8, quality smallint)
    ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS _tel_pts (
    point_id integer PRIMARY KEY, cumulative boolean, vmin float8, vmax float8, prior bigint, prev float8,
    park_id integer, ent integer, quantity text, late boolean NOT NULL DEFAULT false
) ON COMMIT DELETE ROWS;
"""
_PG_CLEAR = "DELETE FROM _tel_stage; DELETE FROM _tel_new; DELETE FROM _tel_pts; " + rollups.PG_TEMP_CLEAR


def partition_name(month_start_ms: int) -> str:
    month = dt.datetime.fromtimestamp(month_start_ms / 1000, dt.UTC)
    return f"reading_y{month.year:04d}m{month.month:02d}"


def month_start_utc(ts_ms: int) -> int:
    moment = dt.datetime.fromtimestamp(ts_ms / 1000, dt.UTC)
    return int(moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)


def next_month_utc(month_start_ms: int) -> int:
    moment = dt.datetime.fromtimestamp(month_start_ms / 1000, dt.UTC)
    nxt = (
        moment.replace(year=moment.year + 1, month=1) if moment.month == 12 else moment.replace(month=moment.month + 1)
    )
    return int(nxt.timestamp() * 1000)


PARTITION_SCHEMA = "reading_partitions"  # out of `public`, so schema comparisons see only the declared tables


def ensure_partitions(session: Session, month_starts: set[int]) -> None:
    """Create the monthly partitions of `reading` for these UTC month starts unless they exist (one catalogue
    query per batch; no process-wide cache, which a rolled-back creation would leave wrong). Partitions live in
    schema PARTITION_SCHEMA. Tolerates a concurrent creator: another worker creating the same partition at the
    same time."""
    names = {partition_name(start): start for start in month_starts}
    missing = session.execute(
        text(
            """
            SELECT n FROM unnest(CAST(:names AS text[])) AS n
            WHERE NOT EXISTS (
                SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'reading'::regclass AND c.relname = n
            )
            """
        ),
        {"names": sorted(names)},
    ).scalars()
    for name in sorted(missing):
        start = names[name]
        qualified = f"{PARTITION_SCHEMA}.{name}"
        try:
            with session.begin_nested():
                session.execute(text(f"CREATE SCHEMA IF NOT EXISTS {PARTITION_SCHEMA}"))
                session.execute(
                    text(
                        f"CREATE TABLE IF NOT EXISTS {qualified} PARTITION OF reading "
                        f"FOR VALUES FROM ({start}) TO ({next_month_utc(start)})"
                    )
                )
        except DBAPIError:
            # created by someone else in between (duplicate type/relation): fine if it now exists
            if session.execute(text("SELECT to_regclass(:name)"), {"name": qualified}).scalar() is None:
                raise


_Written = tuple[dict[int, int], dict[int, tuple[int, float, int]], tuple[tuple[int, int, float, int], ...], int]


def _write_postgresql(session: Session, rows: Sequence[ReadingRow]) -> _Written:
    connection = session.connection()
    # created once per connection; emptied here too, not only at commit: an earlier batch of this transaction, or
    # of a savepoint-scoped session on the same connection (tests), may have left rows
    connection.exec_driver_sql(_PG_TEMP + rollups.PG_TEMP_TABLES + _PG_CLEAR)
    raw: Any = connection.connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy("COPY _tel_stage (point_id, ts, value, quality) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "int8", "float8", "int2"])
            write_row = copy.write_row
            for row in rows:
                write_row((row.point_id, row.ts, row.value, row.quality))
        cursor.execute("SELECT min(ts), max(ts) FROM _tel_stage")
        lo, hi = cursor.fetchone()
    months: set[int] = set()
    month = month_start_utc(lo)
    last = month_start_utc(hi)
    if (last - month) // (31 * 86_400_000) <= 3:
        while month <= last:
            months.add(month)
            month = next_month_utc(month)
    else:
        for (ts,) in connection.exec_driver_sql(
            "SELECT DISTINCT ts - mod(ts, 86400000) FROM _tel_stage"
        ):  # days, then their months
            months.add(month_start_utc(int(ts)))
    months.add(next_month_utc(last))  # created ahead, so live data rarely creates one while others insert
    ensure_partitions(session, months)

    locked = connection.exec_driver_sql(
        f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_CLASS}, s.point_id) "
        "FROM (SELECT DISTINCT point_id FROM _tel_stage ORDER BY point_id) s"
    )
    # the batch's points: facts, newest stored reading (before this batch), last good value stored before
    known = connection.exec_driver_sql(
        """
        INSERT INTO _tel_pts (point_id, cumulative, vmin, vmax, prior, prev, park_id, ent, quantity)
        SELECT p.id, p.state_class = 'total_increasing', p.valid_min, p.valid_max, pl.ts, pv.last_value,
               p.park_id, coalesce(p.enterprise_id, 0), p.quantity
        FROM (SELECT DISTINCT point_id FROM _tel_stage) s
        JOIN point p ON p.id = s.point_id
        LEFT JOIN point_latest pl ON pl.point_id = s.point_id
        LEFT JOIN LATERAL (
            SELECT ro.last_value FROM rollup_15m ro
            WHERE p.state_class = 'total_increasing' AND ro.point_id = s.point_id AND ro.count > 0
            ORDER BY ro.bucket DESC LIMIT 1
        ) pv ON true
        """
    )
    unknown = 0
    if known.rowcount < locked.rowcount:
        unknown = int(
            connection.exec_driver_sql(
                "SELECT count(*) FROM _tel_stage s "
                "WHERE NOT EXISTS (SELECT 1 FROM _tel_pts t WHERE t.point_id = s.point_id)"
            ).scalar_one()
        )
    connection.exec_driver_sql(
        """
        WITH ins AS (
            INSERT INTO reading (point_id, ts, value, quality)
            SELECT DISTINCT ON (s.point_id, s.ts) s.point_id, s.ts, s.value,
                   CASE WHEN s.value < t.vmin OR s.value > t.vmax THEN 1 ELSE s.quality END
            FROM _tel_stage s JOIN _tel_pts t ON t.point_id = s.point_id
            ORDER BY s.point_id, s.ts, s.ctid
            ON CONFLICT DO NOTHING
            RETURNING point_id, ts, value, quality
        )
        INSERT INTO _tel_new SELECT point_id, ts, value, quality FROM ins
        """
    )
    with raw.cursor() as cursor:
        cursor.execute("SELECT point_id, ts, value, quality FROM _tel_new ORDER BY point_id, ts")
        new: list[tuple[int, int, float, int]] = cursor.fetchall()
    if not new:
        return {}, {}, (), unknown
    stored_by_point: dict[int, int] = {}
    latest: dict[int, tuple[int, float, int]] = {}
    for pid, ts, value, quality in new:  # sorted by (point, ts): the last row of a point is its newest
        latest[pid] = (ts, value, quality)
    first_index = 0
    for index in range(1, len(new) + 1):
        if index == len(new) or new[index][0] != new[first_index][0]:
            stored_by_point[new[first_index][0]] = index - first_index
            first_index = index
    # late points: some new reading not newer than the newest stored before the batch
    late = connection.exec_driver_sql(
        """
        UPDATE _tel_pts t SET late = true
        FROM (SELECT n.point_id FROM _tel_new n JOIN _tel_pts p ON p.point_id = n.point_id
              WHERE n.ts <= p.prior GROUP BY n.point_id) x
        WHERE t.point_id = x.point_id
        RETURNING t.point_id
        """
    ).all()
    if len(late) < len(stored_by_point):
        rollups.pg_merge_in_order(session)
    if late:
        rollups.pg_recompute_late(session)
    connection.exec_driver_sql(
        """
        INSERT INTO point_latest (point_id, ts, value, quality)
        SELECT DISTINCT ON (point_id) point_id, ts, value, quality FROM _tel_new ORDER BY point_id, ts DESC
        ON CONFLICT (point_id) DO UPDATE SET ts = excluded.ts, value = excluded.value, quality = excluded.quality
            WHERE point_latest.ts < excluded.ts
        """
    )
    return stored_by_point, latest, tuple(new), unknown


# --- generic (SQLite) ---------------------------------------------------------------------------------------------


def _write_generic(session: Session, rows: Sequence[ReadingRow]) -> _Written:
    """SQLite: INSERT OR IGNORE row by row on the DB-API cursor (a few microseconds each, and the row count says
    whether the reading was new), rollups in Python (telemetry.rollups.apply_new_readings_python)."""
    facts = rollups.point_facts(session, {row.point_id for row in rows})
    cursor: Any = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    prior_latest: dict[int, int] = {}
    for pid in facts:
        found = cursor.execute("SELECT ts FROM point_latest WHERE point_id = ?", (pid,)).fetchone()
        if found is not None:
            prior_latest[pid] = int(found[0])
    new_by_point: dict[int, list[tuple[int, float, int]]] = defaultdict(list)
    unknown = 0
    insert_sql = "INSERT OR IGNORE INTO reading (point_id, ts, value, quality) VALUES (?, ?, ?, ?)"
    for row in rows:
        fact = facts.get(row.point_id)
        if fact is None:
            unknown += 1
            continue
        value = float(row.value)
        quality = row.quality
        if (fact.valid_min is not None and value < fact.valid_min) or (
            fact.valid_max is not None and value > fact.valid_max
        ):
            quality = Quality.BAD
        cursor.execute(insert_sql, (row.point_id, row.ts, value, int(quality)))
        if cursor.rowcount == 1:
            new_by_point[row.point_id].append((row.ts, value, int(quality)))
    if not new_by_point:
        return {}, {}, (), unknown
    for fresh in new_by_point.values():
        fresh.sort()
    late = {pid for pid, fresh in new_by_point.items() if pid in prior_latest and fresh[0][0] <= prior_latest[pid]}
    rollups.apply_new_readings_python(session, new_by_point, facts, late)
    latest: dict[int, tuple[int, float, int]] = {pid: fresh[-1] for pid, fresh in new_by_point.items()}
    cursor.executemany(
        "INSERT INTO point_latest (point_id, ts, value, quality) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (point_id) DO UPDATE SET ts = excluded.ts, value = excluded.value, quality = excluded.quality "
        "WHERE point_latest.ts < excluded.ts",
        [(pid, ts, value, quality) for pid, (ts, value, quality) in latest.items()],
    )
    new = tuple((pid, ts, value, quality) for pid, fresh in new_by_point.items() for ts, value, quality in fresh)
    return {pid: len(fresh) for pid, fresh in new_by_point.items()}, latest, new, unknown
