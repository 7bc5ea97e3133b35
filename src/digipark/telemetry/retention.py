"""Retention of raw readings: rows older than `settings.raw_retention_days` are removed; rollups are kept.

On PostgreSQL whole monthly partitions of `reading` whose end lies before the limit are dropped (cheap, no
dead rows); the partition holding the limit is kept whole until it has entirely expired. On SQLite the old
rows are deleted. `purge_raw` is what the scheduler and the CLI call, in their own transaction.
"""

from __future__ import annotations

from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from digipark.core.config import get_settings
from digipark.telemetry.models import Reading
from digipark.telemetry.status import now_ms as current_ms

DAY_MS = 86_400_000


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
            WHERE i.inhparent = 'reading'::regclass
            """
        )
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
        return removed
    result = session.execute(delete(Reading).where(Reading.ts < limit))
    return int(getattr(result, "rowcount", 0) or 0)
