"""What ingest writes besides readings: the per-device counters and the dead letters.

Counters: per device and batch, `DeviceTraffic` (messages, readings stored, duplicates, bad_quality, rejected,
last_seen_ms = newest receive time) and `DeviceRejection` (per reason) are incremented with one atomic upsert
each (`INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`), rows in id order, so concurrent ingest
workers neither lose counts nor deadlock. `rejected` counts dead-lettered values; a message rejected whole
without readable values (malformed, bad timestamp, empty) counts 1. A gateway message counts as one message for
the gateway and one for each device it reports for. `bad_quality` counts the out-of-range values sent (a
repeated bad value counts again).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from sqlalchemy import bindparam, case, cast, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from digipark.telemetry.models import DeadLetter, DeadLetterStatus, DeviceRejection, DeviceTraffic

DETAIL_LENGTH = 500  # DeadLetter.detail


@dataclasses.dataclass(frozen=True, slots=True)
class DeadLetterDraft:
    """A dead letter before it is stored; `message` is the index of its message in the batch."""

    message: int
    park_id: int | None
    device_id: int | None
    source: str
    topic: str | None
    token: str | None
    payload: str
    reason: str
    detail: str
    received_ms: int
    count: int  # values it holds (1 for a message rejected whole without readable values)


def traffic_conflict(stmt: Any) -> Any:
    table = DeviceTraffic.__table__
    new = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=[table.c.device_id],
        set_={
            "park_id": new.park_id,
            "enterprise_id": new.enterprise_id,
            "messages": table.c.messages + new.messages,
            "readings": table.c.readings + new.readings,
            "duplicates": table.c.duplicates + new.duplicates,
            "bad_quality": table.c.bad_quality + new.bad_quality,
            "rejected": table.c.rejected + new.rejected,
            "last_seen_ms": case(
                (new.last_seen_ms.is_(None), table.c.last_seen_ms),
                (table.c.last_seen_ms.is_(None), new.last_seen_ms),
                (new.last_seen_ms > table.c.last_seen_ms, new.last_seen_ms),
                else_=table.c.last_seen_ms,
            ),
        },
    )


def rejection_conflict(stmt: Any) -> Any:
    table = DeviceRejection.__table__
    new = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=[table.c.device_id, table.c.reason],
        set_={
            "park_id": new.park_id,
            "enterprise_id": new.enterprise_id,
            "count": table.c.count + new.count,
            "last_ms": case(
                (table.c.last_ms.is_(None), new.last_ms),
                (new.last_ms > table.c.last_ms, new.last_ms),
                else_=table.c.last_ms,
            ),
        },
    )


def existing_devices(session: Session, ids: set[int]) -> set[int]:
    """Which of these device ids exist, with one bound parameter however many (an IN list of thousands of
    parameters costs more to build than to run, and SQLite limits their number)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        sql = "SELECT id FROM device WHERE id = ANY(%(ids)s)"
        rows = connection.exec_driver_sql(sql, {"ids": sorted(ids)})
    else:
        sql = "SELECT id FROM device WHERE id IN (SELECT value FROM json_each(?))"
        rows = connection.exec_driver_sql(sql, (orjson.dumps(sorted(ids)).decode(),))
    return {int(row[0]) for row in rows}


_SQLITE_UPSERTS: dict[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...]]] = {}


def upsert(session: Session, model: Any, conflict: Callable[[Any], Any], rows: list[dict[str, Any]]) -> None:
    """`INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n` of many rows (one per key) in one statement on
    PostgreSQL (the rows as arrays, `SELECT unnest(...)`), as a prepared executemany on SQLite; either way
    without SQLAlchemy's per-row parameter processing, which cost more than the upsert itself with thousands
    of devices per batch."""
    columns = tuple(rows[0])
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        table = model.__table__
        arrays = [cast(bindparam(name), postgresql.ARRAY(table.c[name].type)) for name in columns]
        stmt = conflict(
            postgresql.insert(model).from_select(
                [table.c[name] for name in columns], select(*(func.unnest(a) for a in arrays))
            )
        )
        session.connection().execute(stmt, {name: [row[name] for row in rows] for name in columns})
        return
    key = (model.__tablename__, columns)
    prepared = _SQLITE_UPSERTS.get(key)
    if prepared is None:
        compiled = conflict(sqlite.insert(model)).compile(dialect=dialect, column_keys=list(columns))
        prepared = _SQLITE_UPSERTS[key] = (str(compiled), tuple(compiled.positiontup or ()))
    sql, order = prepared
    session.connection().exec_driver_sql(sql, [tuple(row[name] for name in order) for row in rows])


def _text(value: str, length: int | None = None) -> str:
    """Text a database stores: PostgreSQL refuses NUL characters (they are never valid JSON outside strings,
    and raw inside them, so replacing them changes no readable message)."""
    value = value if length is None else value[:length]
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def dead_letter_values(draft: DeadLetterDraft) -> dict[str, Any]:
    return {
        "park_id": draft.park_id,
        "device_id": draft.device_id,
        "received_at": dt.datetime.fromtimestamp(draft.received_ms / 1000, dt.UTC),
        "source": _text(draft.source, 20),
        "topic": None if draft.topic is None else _text(draft.topic, 300),
        "token": None if draft.token is None else _text(draft.token, 64),
        "payload": _text(draft.payload),
        "reason": draft.reason,
        "detail": _text(draft.detail, DETAIL_LENGTH),
        "status": DeadLetterStatus.OPEN.value,
    }


def store_dead_letters(session: Session, drafts: Sequence[DeadLetterDraft]) -> None:
    session.connection().execute(insert(DeadLetter), [dead_letter_values(draft) for draft in drafts])
