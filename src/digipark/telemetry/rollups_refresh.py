"""Refreshing the coarser rollups after the fact: the buckets deferred writes marked pending (PostgreSQL ingest),
and a range of buckets after a bulk insert of rollup_15m rows (the demo back-fill)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from digipark.telemetry.models import Resolution
from digipark.telemetry.rollups import bucket_start
from digipark.telemetry.rollups_postgres import (
    PG_TEMP_CLEAR,
    ensure_pg_temp_tables,
    pg_recompute_coarser,
    refresh_coarser_postgres,
)
from digipark.telemetry.rollups_sqlite import refresh_coarser_sqlite

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


def refresh_coarser(session: Session, point_ids: Sequence[int] | None, from_ms: int, to_ms: int) -> None:
    """Recompute rollup_1h, rollup_1d, rollup_1mo from rollup_15m for these points (None: all) over the
    buckets overlapping [from_ms, to_ms). The demo back-fill writes rollup_15m rows itself (bulk insert of
    history without raw rows) and then calls this."""
    if to_ms <= from_ms:
        return
    start = bucket_start(Resolution.M15, from_ms)
    if session.get_bind().dialect.name == "postgresql":
        refresh_coarser_postgres(session, point_ids, start, to_ms)
        return
    refresh_coarser_sqlite(session, point_ids, start, to_ms)
