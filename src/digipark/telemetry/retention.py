"""Retention of raw readings: rows older than `settings.raw_retention_days` are removed; rollups are kept.

On PostgreSQL whole monthly partitions of the local readings whose end lies before the limit are dropped (cheap,
no dead rows); the partition holding the limit is kept whole until it has entirely expired. The readings of parks
kept on another server (telemetry.shards) are deleted there through the foreign partition, park by park: a server
that cannot be reached is logged and left for the next run. On SQLite the old rows are deleted. `purge_raw` is
what the scheduler and the CLI call, in their own transaction.

Dead letters older than `settings.deadletter_retention_days` (30 by default), whatever their status, are deleted
by `purge_dead_letters`, which `DeadLetterPurge` (a background service of the ingest processes, declared in the
telemetry record) runs every PURGE_EVERY_S.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from digipark.core.background import Handle, SharedService
from digipark.core.config import get_settings
from digipark.core.periodic import PeriodicThread
from digipark.telemetry.models import DeadLetter, Reading
from digipark.telemetry.status import now_ms as current_ms
from digipark.telemetry.store import LOCAL_READINGS, far_parks

DAY_MS = 86_400_000
PURGE_FIRST_AFTER_S = 60.0
PURGE_EVERY_S = 3600.0

log = logging.getLogger("digipark.telemetry.retention")


def cutoff_ms(*, now_ms: int | None = None, days: int | None = None) -> int:
    days = get_settings().raw_retention_days if days is None else days
    return (current_ms() if now_ms is None else now_ms) - days * DAY_MS


def reading_partitions(session: Session) -> list[tuple[str, int, int]]:
    """(name, schema-qualified where needed; from ms; to ms) of the partitions of `reading`, oldest first."""
    rows = session.execute(
        text(
            """
            SELECT c.oid::regclass::text, pg_get_expr(c.relpartbound, c.oid)
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = CAST(:parent AS regclass)
            """
        ),
        {"parent": LOCAL_READINGS},
    ).all()
    out: list[tuple[str, int, int]] = []
    for name, bound in rows:
        # FOR VALUES FROM ('1704067200000') TO ('1706745600000')
        parts = str(bound).replace("'", "").replace("(", " ").replace(")", " ").split()
        if "FROM" in parts and "TO" in parts:
            out.append((str(name), int(parts[parts.index("FROM") + 1]), int(parts[parts.index("TO") + 1])))
    return sorted(out, key=lambda p: p[1])


def purge_raw(session: Session, *, now_ms: int | None = None, days: int | None = None) -> int:
    """Remove raw readings older than the retention limit; returns how many rows were removed."""
    limit = cutoff_ms(now_ms=now_ms, days=days)
    if session.get_bind().dialect.name == "postgresql":
        removed = 0
        for name, _start, end in reading_partitions(session):
            if end > limit:
                break
            removed += int(session.execute(text(f"SELECT count(*) FROM {name}")).scalar_one())
            session.execute(text(f"DROP TABLE {name}"))
        with session.connection().connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            parks = far_parks(cursor)
        for park in sorted(parks):
            try:
                with session.begin_nested():
                    result = session.execute(
                        text(f"DELETE FROM reading WHERE park_id = {int(park)} AND ts < :limit"), {"limit": limit}
                    )
                    removed += int(getattr(result, "rowcount", 0) or 0)
            except DBAPIError as exc:
                log.warning("raw readings of park %d on its own server not purged: %s", park, exc.orig)
        return removed
    result = session.execute(delete(Reading).where(Reading.ts < limit))
    return int(getattr(result, "rowcount", 0) or 0)


def purge_dead_letters(session: Session, *, now: dt.datetime | None = None, days: int | None = None) -> int:
    """Delete the dead letters received more than the retention period ago; returns how many."""
    days = get_settings().deadletter_retention_days if days is None else days
    limit = (dt.datetime.now(dt.UTC) if now is None else now) - dt.timedelta(days=days)
    result = session.execute(delete(DeadLetter).where(DeadLetter.received_at < limit))
    return int(getattr(result, "rowcount", 0) or 0)


class DeadLetterPurge(PeriodicThread):
    thread_name, failure, logger = "digipark-dead-letter-purge", "telemetry: dead-letter purge failed", log

    """A daemon thread running `purge_dead_letters` every `every_s` (first after `first_after_s`), each run in
    its own write transaction."""

    def __init__(self, *, first_after_s: float = PURGE_FIRST_AFTER_S, every_s: float = PURGE_EVERY_S) -> None:
        super().__init__(first_after_s=first_after_s, every_s=every_s)

    def run_once(self) -> int:
        from digipark.core.db import transaction

        with transaction(write=True) as session:
            removed = purge_dead_letters(session)
        if removed:
            log.info("telemetry: %d dead letters past their retention removed", removed)
        return removed


_purge: SharedService[DeadLetterPurge] = SharedService(DeadLetterPurge)


def start_dead_letter_purge() -> Handle[DeadLetterPurge]:
    """Start the process's dead-letter purge (or join the running one)."""
    return _purge.acquire()
