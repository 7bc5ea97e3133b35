"""Writing readings: the hot path of ingestion.

`write_readings` stores a batch of readings in the caller's transaction (never commits): repeats of a stored
(point, ts) are ignored (first value wins, also within the batch), a finite value outside the point's
[valid_min, valid_max] is stored with quality BAD, the rollups the new readings touch are updated (late data
included, see telemetry.rollups), `point_latest` moves forward, and a `ReadingsStored` event is queued.

PostgreSQL: missing monthly partitions of `reading` are created, the points of the batch are locked
(transaction-level advisory locks, in id order, so concurrent ingest workers writing the same point serialise and
their rollup merges stay exact). A batch of in-order data (every reading newer than the newest stored of its point:
live ingest) is COPYed (binary) straight into `reading` and its 15 min statistics, computed in Python, into a
temporary table the rollup merge reads; any other batch (late data, repeats) is COPYed into a temporary table,
inserted into `reading` optimistically and its rollups computed set-based from there (see `_write_postgresql`).
SQLite: existing keys are looked up per point, new rows inserted with executemany, rollups in Python.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, NamedTuple

import psycopg
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from digipark.core.config import get_settings
from digipark.core.events import queue_event
from digipark.telemetry import rollups, rollups_postgres, rollups_sqlite
from digipark.telemetry.events import ReadingsStored
from digipark.telemetry.models import Quality

log = logging.getLogger(__name__)
ADVISORY_LOCK_CLASS = 7404  # first key of the per-point advisory locks (the second is the point id)


class ReadingRow(NamedTuple):
    """One reading to store; any (point_id, ts, value, quality) tuple is one (the ingest hot path makes plain
    tuples, cheaper to build)."""

    point_id: int
    ts: int
    value: float
    quality: int = 0


Row = tuple[int, int, float, int]  # (point_id, ts, value, quality), as ReadingRow


@dataclasses.dataclass(frozen=True, slots=True)
class WriteResult:
    stored: int
    duplicates: int
    stored_by_point: dict[int, int]


def write_readings(session: Session, rows: Sequence[Row], *, defer_coarse: bool = False) -> WriteResult:
    """Store new readings (repeats of (point, ts) ignored), update the rollups they touch (late data
    included), point_latest, and queue a ReadingsStored event. Fast path: PostgreSQL COPY. Never commits.

    `defer_coarse` (PostgreSQL, in-order data): merge only rollup_15m now and mark the touched buckets in
    `rollup_pending`; `rollups_refresh.refresh_pending` brings 1 h, 1 day, 1 month and the group sums up to date later
    (the ingest sink runs it every `rollup_refresh_interval_s`), which saves most of a batch's rollup work."""
    if not rows:
        return WriteResult(0, 0, {})
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        stored_by_point, latest, new, unknown = _write_postgresql(session, rows, defer_coarse)
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
CREATE TEMP TABLE IF NOT EXISTS _tel_new (point_id integer, ts bigint, value float8, quality smallint)
    ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS _tel_pts (
    point_id integer PRIMARY KEY, cumulative boolean, vmin float8, vmax float8, prior bigint, prev float8,
    park_id integer, ent integer, quantity text, late boolean NOT NULL DEFAULT false
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS _tel_far (
    point_id integer, ts bigint, value float8, quality smallint, park_id integer
) ON COMMIT DELETE ROWS;
"""
_PG_CLEAR = "DELETE FROM _tel_new; DELETE FROM _tel_pts; DELETE FROM _tel_far; " + rollups_postgres.PG_TEMP_CLEAR
_INSERT_FAR = "INSERT INTO reading (point_id, ts, value, quality, park_id) SELECT * FROM _tel_far"
# the parks whose readings are on another server: `reading`'s partitions that are foreign tables (telemetry.shards)
_FAR_PARKS = """
SELECT coalesce(array_agg(v.park::int), '{}') FROM pg_inherits i
JOIN pg_foreign_table f ON f.ftrelid = i.inhrelid
JOIN pg_class c ON c.oid = i.inhrelid
CROSS JOIN LATERAL unnest(string_to_array(
    regexp_replace(pg_get_expr(c.relpartbound, c.oid), '[^0-9,]', '', 'g'), ',')) AS v(park)
WHERE i.inhparent = 'reading'::regclass
"""


def far_parks(cursor: Any) -> frozenset[int]:
    """The parks whose readings are on another server (one catalogue query)."""
    cursor.execute(_FAR_PARKS)
    row = cursor.fetchone()
    return frozenset(int(park) for park in (row[0] if row else None) or ())


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
LOCAL_READINGS = f"{PARTITION_SCHEMA}.reading_local"  # `reading`'s default partition: the parks kept on this server


def ensure_partitions(session: Session, month_starts: set[int]) -> None:
    """Create the monthly partitions of the local readings (`reading_local`, the default partition of `reading`,
    itself partitioned by park) for these UTC month starts unless they exist (one catalogue
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
                WHERE i.inhparent = CAST(:parent AS regclass) AND c.relname = n
            )
            """
        ),
        {"names": sorted(names), "parent": LOCAL_READINGS},
    ).scalars()
    for name in sorted(missing):
        start = names[name]
        qualified = f"{PARTITION_SCHEMA}.{name}"
        try:
            with session.begin_nested():
                session.execute(text(f"CREATE SCHEMA IF NOT EXISTS {PARTITION_SCHEMA}"))
                session.execute(
                    text(
                        f"CREATE TABLE IF NOT EXISTS {qualified} PARTITION OF {LOCAL_READINGS} "
                        f"FOR VALUES FROM ({start}) TO ({next_month_utc(start)})"
                    )
                )
        except DBAPIError:
            # created by someone else in between (duplicate type/relation): fine if it now exists
            if session.execute(text("SELECT to_regclass(:name)"), {"name": qualified}).scalar() is None:
                raise


_Written = tuple[dict[int, int], dict[int, tuple[int, float, int]], tuple[tuple[int, int, float, int], ...], int]
_SAVEPOINT = "tel_insert"


def _write_postgresql(session: Session, rows: Sequence[Row], defer_coarse: bool) -> _Written:
    """Optimistic: the batch's new rows are expected to be new. Per point the facts and the newest stored reading
    are read once and quality is settled in Python. When every row is newer than the newest stored reading of its
    point, the rows are COPYed into `reading` under a savepoint (`_insert_in_order`). Otherwise, or when that
    COPY meets a repeat (twice in the batch), the rows are COPYed into `_tel_new` and inserted into `reading` in
    one plain INSERT under a savepoint; a repeat (of a stored reading, or twice in the batch) fails that INSERT,
    then the savepoint is rolled back, the repeats are removed from `_tel_new` (first in the batch wins) and the
    rest inserted. The point locks make the removal exact against concurrent writers."""
    connection = session.connection()
    # created once per connection; emptied here too, not only at commit: an earlier batch of this transaction, or
    # of a savepoint-scoped session on the same connection (tests), may have left rows
    connection.exec_driver_sql(_PG_TEMP + rollups_postgres.PG_TEMP_TABLES + _PG_CLEAR)
    point_ids = sorted({row[0] for row in rows})
    lo = min(row[1] for row in rows)
    hi = max(row[1] for row in rows)
    months: set[int] = set()
    month = month_start_utc(lo)
    last = month_start_utc(hi)
    if (last - month) // (31 * 86_400_000) <= 3:
        while month <= last:
            months.add(month)
            month = next_month_utc(month)
    else:
        months.update(month_start_utc(ts) for ts in {row[1] - row[1] % 86_400_000 for row in rows})
    months.add(next_month_utc(last))  # created ahead, so live data rarely creates one while others insert
    ensure_partitions(session, months)

    raw: Any = connection.connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(
            f"SELECT count(pg_advisory_xact_lock({ADVISORY_LOCK_CLASS}, p)) FROM unnest(%s::int[]) p",
            (point_ids,),
        )
        # the batch's points: facts, newest stored reading (before this batch), last good value stored before
        # (the newest reading's when it is good, else the newest non-empty 15 min bucket's last value)
        cursor.execute(
            """
            SELECT p.id, p.state_class = 'total_increasing', p.valid_min, p.valid_max, pl.ts,
                   CASE WHEN p.state_class <> 'total_increasing' THEN NULL
                        WHEN pl.quality = 0 THEN pl.value
                        ELSE (SELECT ro.last_value FROM rollup_15m ro
                              WHERE ro.point_id = p.id AND ro.count > 0 ORDER BY ro.bucket DESC LIMIT 1) END,
                   p.park_id, coalesce(p.enterprise_id, 0), p.quantity
            FROM point p LEFT JOIN point_latest pl ON pl.point_id = p.id
            WHERE p.id = ANY(%s::int[])
            """,
            (point_ids,),
        )
        points = cursor.fetchall()
        far = far_parks(cursor)
        facts: dict[int, _PointRow] = {row[0]: _PointRow(*row[1:7]) for row in points}
        # per point (lowest valid, highest valid, newest stored ts or -1)
        limits = {
            pid: (
                -math.inf if fact.vmin is None else fact.vmin,
                math.inf if fact.vmax is None else fact.vmax,
                -1 if fact.prior is None else fact.prior,
            )
            for pid, fact in facts.items()
        }
        new: list[Row] = []
        unknown = 0
        in_order = True  # every new reading newer than the newest stored of its point
        bad = int(Quality.BAD)
        append = new.append
        for pid, ts, value, quality in rows:
            limit = limits.get(pid)
            if limit is None:
                unknown += 1
                continue
            low, high, prior = limit
            append((pid, ts, value, bad if value < low or value > high else quality))
            if ts <= prior:
                in_order = False
        if not new:
            return {}, {}, (), unknown
        in_order_points = _insert_in_order(cursor, new, facts, far) if in_order else None
        staged = in_order_points is not None
        if not (staged and defer_coarse):  # the SQL of late data, repeats and coarse merges reads the points there
            _copy(cursor, "_tel_pts", _POINT_COLUMNS, _POINT_TYPES, points)
        if in_order_points is None:
            _copy(cursor, "_tel_new", _READING_COLUMNS, _READING_TYPES, new)
            cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
            try:
                cursor.execute(_INSERT_STAGED)
                cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
            except psycopg.errors.UniqueViolation:
                cursor.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
                new = _insert_without_repeats(cursor, {fact.park for fact in facts.values()}, point_ids, lo, hi)
                if not new:
                    return {}, {}, (), unknown
    stored_by_point: dict[int, int] = {}
    latest: dict[int, tuple[int, float, int]] = {}
    late: set[int] = set()  # points with a new reading not newer than the newest stored before the batch
    if in_order_points is not None:
        for pid, readings in in_order_points.items():
            stored_by_point[pid] = len(readings)
            latest[pid] = readings[-1]
    else:
        for pid, ts, value, quality in new:
            stored_by_point[pid] = stored_by_point.get(pid, 0) + 1
            held = latest.get(pid)
            if held is None or ts > held[0]:
                latest[pid] = (ts, value, quality)
            if ts <= limits[pid][2]:
                late.add(pid)
    if late:
        connection.exec_driver_sql(
            "UPDATE _tel_pts SET late = true WHERE point_id = ANY(%(late)s::int[])", {"late": sorted(late)}
        )
    if len(late) < len(stored_by_point):
        rollups_postgres.pg_merge_in_order(session, defer_coarse=defer_coarse, staged=staged)
    if late:
        rollups_postgres.pg_recompute_late(session)
    ordered = sorted(latest)
    connection.exec_driver_sql(
        """
        INSERT INTO point_latest (point_id, ts, value, quality)
        SELECT * FROM unnest(%(ids)s::int[], %(ts)s::bigint[], %(values)s::float8[], %(qualities)s::int2[])
        ON CONFLICT (point_id) DO UPDATE SET ts = excluded.ts, value = excluded.value, quality = excluded.quality
            WHERE point_latest.ts < excluded.ts
        """,
        {
            "ids": ordered,
            "ts": [latest[pid][0] for pid in ordered],
            "values": [latest[pid][1] for pid in ordered],
            "qualities": [latest[pid][2] for pid in ordered],
        },
    )
    return stored_by_point, latest, tuple(new), unknown


class _PointRow(NamedTuple):
    """What the store reads of a point before writing its readings (`_tel_pts`)."""

    cumulative: bool
    vmin: float | None
    vmax: float | None
    prior: int | None  # ts of its newest stored reading
    prev: float | None  # the last good value stored (cumulative meters)
    park: int


_POINT_COLUMNS = ("point_id", "cumulative", "vmin", "vmax", "prior", "prev", "park_id", "ent", "quantity")
_POINT_TYPES = ("int4", "bool", "float8", "float8", "int8", "float8", "int4", "int4", "text")


_READING_COLUMNS = ("point_id", "ts", "value", "quality")
_READING_TYPES = ("int4", "int8", "float8", "int2")
_STORED_COLUMNS = (*_READING_COLUMNS, "park_id")
_STORED_TYPES = (*_READING_TYPES, "int4")
# from the staging table, each reading with its point's park (_tel_pts is filled whenever _tel_new is)
_INSERT_STAGED = (
    "INSERT INTO reading (point_id, ts, value, quality, park_id) "
    "SELECT n.point_id, n.ts, n.value, n.quality, t.park_id FROM _tel_new n JOIN _tel_pts t USING (point_id)"
)
_STAT_TYPES = (
    "int4",
    "int8",
    "int4",
    "int4",
    "float8",
    "float8",
    "float8",
    "int8",
    "float8",
    "int8",
    "float8",
    "float8",
)


def int_list(values: Any) -> str:
    """Integers as an SQL list of constants (for partition pruning at planning time, which a join or a parameter
    of a prepared statement would not give)."""
    return ", ".join(str(int(value)) for value in sorted(values)) or "NULL"


def _copy(cursor: Any, table: str, columns: Sequence[str], types: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(list(types))
        write_row = copy.write_row
        for row in rows:
            write_row(row)


def _insert_in_order(
    cursor: Any, new: list[Row], facts: dict[int, _PointRow], far_parks: frozenset[int]
) -> dict[int, list[tuple[int, float, int]]] | None:
    """The usual batch: every reading newer than those stored of its point. COPYed straight into `reading` under a
    savepoint, and its 15 min statistics computed here (`rollups.point_contributions`, as SQLite does) and COPYed
    into `_tel_c15`, instead of staging the readings in `_tel_new` and aggregating them there. Returns the new
    readings by point, sorted by ts; None (nothing written) when the batch repeats a reading within itself: then
    the caller takes the general path.

    Readings of parks kept on another server (`far_parks`, telemetry.shards) are not COPYed into `reading`: COPY
    routes each row to a foreign partition as one remote INSERT (PostgreSQL 15); they are COPYed into `_tel_far`
    and inserted from there with one INSERT … SELECT, which postgres_fdw sends in batches (`batch_size`)."""
    cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
    try:
        park_of = {pid: fact.park for pid, fact in facts.items()}
        stored = [(pid, ts, value, quality, park_of[pid]) for pid, ts, value, quality in new]
        if far_parks.isdisjoint(park_of.values()):
            _copy(cursor, "reading", _STORED_COLUMNS, _STORED_TYPES, stored)
        else:
            _copy(cursor, "reading", _STORED_COLUMNS, _STORED_TYPES, [r for r in stored if r[4] not in far_parks])
            _copy(cursor, "_tel_far", _STORED_COLUMNS, _STORED_TYPES, [r for r in stored if r[4] in far_parks])
            cursor.execute(_INSERT_FAR)
        cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
    except psycopg.errors.UniqueViolation:
        cursor.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
        return None
    by_point: dict[int, list[tuple[int, float, int]]] = defaultdict(list)
    for pid, ts, value, quality in new:
        by_point[pid].append((ts, value, quality))
    band = get_settings().rollover_band
    stats_rows = []
    for pid, readings in by_point.items():
        readings.sort()
        fact = facts[pid]
        for bucket, stats in rollups.point_contributions(
            readings,
            previous=fact.prev if fact.cumulative else None,
            cumulative=fact.cumulative,
            valid_max=fact.vmax,
            band=band,
        ):
            stats_rows.append((pid, bucket, *stats.as_tuple()))
    _copy(cursor, "_tel_c15", ("point_id", "bucket", *rollups.STAT_COLUMNS), _STAT_TYPES, stats_rows)
    return by_point


def _insert_without_repeats(
    cursor: Any, parks: set[int], point_ids: list[int], lo: int, hi: int
) -> list[tuple[int, int, float, int]]:
    """After the optimistic INSERT met a repeat: drop from `_tel_new` the repeats inside the batch (the first
    row in COPY order wins) and the readings already stored, insert the rest, return them. The stored readings
    are looked up with the batch's parks, points and times as constants: the partitions of other parks are left
    out when the query is planned (another server's, down or not, is not asked), and a foreign partition is sent
    the points and times to look up rather than asked for all its readings."""
    cursor.execute(
        """
        DELETE FROM _tel_new a USING _tel_new b
        WHERE a.point_id = b.point_id AND a.ts = b.ts AND a.ctid > b.ctid
        """
    )
    cursor.execute(
        "DELETE FROM _tel_new n USING reading r WHERE r.point_id = n.point_id AND r.ts = n.ts "
        f"AND r.park_id IN ({int_list(parks)}) AND r.point_id IN ({int_list(point_ids)}) "
        f"AND r.ts BETWEEN {int(lo)} AND {int(hi)}"
    )
    cursor.execute(_INSERT_STAGED)
    cursor.execute("SELECT point_id, ts, value, quality FROM _tel_new")
    return list(cursor.fetchall())


# --- generic (SQLite) ---------------------------------------------------------------------------------------------

_NEVER = -(1 << 63)


def _newest_stored(cursor: Any, point_ids: list[int]) -> dict[int, int]:
    """Per point the ts of its newest stored reading: one query each, which SQLite answers with one seek of the
    primary key (an IN list with GROUP BY would read every reading of the points)."""
    out: dict[int, int] = {}
    for pid in point_ids:
        found = cursor.execute("SELECT max(ts) FROM reading WHERE point_id = ?", (pid,)).fetchone()
        if found is not None and found[0] is not None:
            out[pid] = int(found[0])
    return out


def _write_generic(session: Session, rows: Sequence[Row]) -> _Written:
    """SQLite: readings newer than every stored reading of their point (the usual case) are inserted with one
    executemany; the others (late data, repeats) row by row with INSERT OR IGNORE, whose row count says whether
    the reading was new. Rollups in Python (telemetry.rollups_sqlite.apply_new_readings_python)."""
    facts = rollups.point_facts(session, {row[0] for row in rows})
    cursor: Any = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    prior_latest: dict[int, int] = {}
    for pid in facts:
        found = cursor.execute("SELECT ts FROM point_latest WHERE point_id = ?", (pid,)).fetchone()
        if found is not None:
            prior_latest[pid] = int(found[0])
    newest = _newest_stored(cursor, sorted(facts))
    new_by_point: dict[int, list[tuple[int, float, int]]] = defaultdict(list)
    unknown = 0
    insert_sql = "INSERT OR IGNORE INTO reading (point_id, ts, value, quality, park_id) VALUES (?, ?, ?, ?, ?)"
    fresh_rows: list[tuple[int, int, float, int, int]] = []
    seen: set[tuple[int, int]] = set()
    others: list[tuple[int, int, float, int, int]] = []
    for pid, ts, raw_value, quality in rows:
        fact = facts.get(pid)
        if fact is None:
            unknown += 1
            continue
        value = float(raw_value)
        if (fact.valid_min is not None and value < fact.valid_min) or (
            fact.valid_max is not None and value > fact.valid_max
        ):
            quality = Quality.BAD
        reading = (pid, ts, value, int(quality), fact.group[0])
        key = (pid, ts)
        if ts > newest.get(pid, _NEVER) and key not in seen:
            seen.add(key)
            fresh_rows.append(reading)
        else:
            others.append(reading)
    if fresh_rows:
        cursor.executemany(insert_sql, fresh_rows)
        if cursor.rowcount != len(fresh_rows):  # cannot happen: newer than any stored, and unique in the batch
            raise RuntimeError(f"{len(fresh_rows) - cursor.rowcount} new readings were repeats")
        for pid, ts, value, quality, _park in fresh_rows:
            new_by_point[pid].append((ts, value, quality))
    for reading in others:
        cursor.execute(insert_sql, reading)
        if cursor.rowcount == 1:
            new_by_point[reading[0]].append(reading[1:4])
    if not new_by_point:
        return {}, {}, (), unknown
    for fresh in new_by_point.values():
        fresh.sort()
    late = {pid for pid, fresh in new_by_point.items() if pid in prior_latest and fresh[0][0] <= prior_latest[pid]}
    rollups_sqlite.apply_new_readings_python(session, new_by_point, facts, late)
    latest: dict[int, tuple[int, float, int]] = {pid: fresh[-1] for pid, fresh in new_by_point.items()}
    cursor.executemany(
        "INSERT INTO point_latest (point_id, ts, value, quality) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (point_id) DO UPDATE SET ts = excluded.ts, value = excluded.value, quality = excluded.quality "
        "WHERE point_latest.ts < excluded.ts",
        [(pid, ts, value, quality) for pid, (ts, value, quality) in latest.items()],
    )
    new = tuple((pid, ts, value, quality) for pid, fresh in new_by_point.items() for ts, value, quality in fresh)
    return {pid: len(fresh) for pid, fresh in new_by_point.items()}, latest, new, unknown
