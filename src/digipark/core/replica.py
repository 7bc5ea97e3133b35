"""Reads from a PostgreSQL streaming replica with a bounded staleness (DIGIPARK_DATABASE_REPLICA_URL).

A page that may show data a few seconds old (a dashboard) reads through `replica_reads(session)`: it gets a
read-only session on the replica, with how far behind the replica is at most, when the replica answers and is
within DIGIPARK_REPLICA_MAX_STALENESS_S (a primary at that URL counts as 0 behind); otherwise — no replica
configured, unreachable (during a failover), too far behind — the caller's own session and no staleness. The page
shows the staleness it was given.

The bound: a replica that has replayed all the WAL it received is behind by at most the time since it last heard
from the primary (`pg_stat_wal_receiver.last_msg_receipt_time`: the primary sends WAL or a keep-alive); one still
replaying is behind by at most the time since the last transaction it replayed committed."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from digipark.core.config import get_settings

log = logging.getLogger("digipark.replica")

STALENESS_SQL = """
SELECT pg_is_in_recovery() AS replica,
       CASE WHEN NOT pg_is_in_recovery() THEN 0
            WHEN pg_last_wal_receive_lsn() IS NOT NULL AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
                 THEN extract(epoch FROM clock_timestamp() - coalesce(
                      (SELECT last_msg_receipt_time FROM pg_stat_wal_receiver), pg_last_xact_replay_timestamp()))
            ELSE extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) END AS behind_s
"""

_engines: dict[str, Engine] = {}


@dataclasses.dataclass(frozen=True)
class ReplicaRead:
    session: Session
    staleness_s: float | None  # None: read from the primary (the caller's session)


def staleness_s(session: Session) -> float | None:
    """How many seconds the server of `session` is behind its primary at most (0 on a primary); None when it
    cannot tell (a replica that has replayed nothing yet)."""
    row = session.execute(text(STALENESS_SQL)).one()
    return None if row.behind_s is None else max(0.0, float(row.behind_s))


def usable(behind_s: float | None, bound_s: float) -> bool:
    return behind_s is not None and behind_s <= bound_s


def _engine(url: str) -> Engine:
    from digipark.core.db import make_engine

    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


@contextmanager
def replica_reads(primary: Session) -> Iterator[ReplicaRead]:
    """A session to read from: the replica's (read-only, rolled back at the end) with its staleness, or `primary`
    with None. Never writes; the caller must not either."""
    settings = get_settings()
    url = settings.database_replica_url
    if not url or primary.get_bind().dialect.name != "postgresql":
        yield ReplicaRead(primary, None)
        return
    session = Session(_engine(url))
    try:
        try:
            session.execute(text("SET TRANSACTION READ ONLY"))
            behind = staleness_s(session)
        except Exception as exc:  # unreachable, failing over: the primary serves
            log.warning("replica not read: %s", exc)
            session.rollback()
            yield ReplicaRead(primary, None)
            return
        if not usable(behind, settings.replica_max_staleness_s):
            log.info("replica not read: %s s behind (bound %s s)", behind, settings.replica_max_staleness_s)
            yield ReplicaRead(primary, None)
            return
        yield ReplicaRead(session, behind)
    finally:
        session.rollback()
        session.close()
