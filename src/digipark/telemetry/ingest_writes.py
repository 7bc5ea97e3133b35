"""What ingest writes besides readings: the per-device counters and the dead letters.

Counters: per device and batch, `DeviceTraffic` (messages, readings stored, duplicates, bad_quality, rejected,
last_seen_ms = newest receive time) and `DeviceRejection` (per reason) are incremented with one atomic upsert
each (`INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`), rows in id order, so concurrent ingest
workers neither lose counts nor deadlock. `rejected` and the per-reason counts count dead letters (a message, or
one device's share of a gateway message, per reason), however many values each holds: the dead letter keeps that
number (`value_count`; 1 for a message rejected whole without readable values). A gateway message counts as one
message for the gateway and one for each device it reports for. `bad_quality` counts the out-of-range values sent
(a repeated bad value counts again).

Dead letters: every payload is cut at DEAD_LETTER_PAYLOAD_BYTES whatever the reason; a source (a known device, else
the sender's address, user name or token) gets at most `settings.deadletter_per_source_per_minute` rows a minute,
the rest of that minute go into one summary row per source whose `messages` counts them (`DeadLetterLimiter`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from sqlalchemy import bindparam, case, cast, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from digipark.core import metrics as prometheus
from digipark.registry.device_tokens import token_hint
from digipark.telemetry.models import DeadLetter, DeadLetterStatus, DeviceRejection, DeviceTraffic
from digipark.telemetry.payloads import masked_topic

DETAIL_LENGTH = 500  # DeadLetter.detail
DEAD_LETTER_PAYLOAD_BYTES = 256 * 1024  # the most of a payload a dead letter keeps, whatever the reason
WINDOW_MS = 60_000  # the rate limit's window


def cut_payload(text: str, size: int | None = None) -> str:
    """Text cut to DEAD_LETTER_PAYLOAD_BYTES of UTF-8, saying so; `size`: the original's bytes when `text` is
    already a part of it."""
    data = text.encode("utf-8", errors="replace")
    total = len(data) if size is None else size
    if total <= DEAD_LETTER_PAYLOAD_BYTES:
        return text
    return data[:DEAD_LETTER_PAYLOAD_BYTES].decode("utf-8", errors="ignore") + f"... ({total} bytes, cut)"


@dataclasses.dataclass(frozen=True, slots=True)
class DeadLetterDraft:
    """A dead letter before it is stored; `message` is the index of its message in the batch."""

    message: int
    park_id: int | None
    device_id: int | None
    source: str
    topic: str | None
    token: str | None  # only the first characters of the token presented (device_tokens.token_hint)
    payload: str
    reason: str
    detail: str
    received_ms: int
    count: int  # values it holds (1 for a message rejected whole without readable values)
    source_key: str = ""  # whose rate limit it counts against (see DeadLetterLimiter)
    token_hash: str | None = None  # the digest of the token presented: what a replay finds the device by


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
        "topic": None if draft.topic is None else _text(masked_topic(draft.topic), 300),
        "token": None if draft.token is None else _text(token_hint(draft.token), 64),
        "token_hash": draft.token_hash,
        "payload": _text(cut_payload(draft.payload)),
        "value_count": draft.count,
        "messages": 1,
        "reason": draft.reason,
        "detail": _text(draft.detail, DETAIL_LENGTH),
        "status": DeadLetterStatus.OPEN.value,
    }


@dataclasses.dataclass(slots=True)
class _Window:
    start_ms: int
    stored: int = 0
    summary_id: int | None = None


class DeadLetterLimiter:
    """At most `per_minute` dead letters per source and minute in this process; the rest of the minute go into one
    summary row per source (the first of them, its `messages` counting all). Thread-safe."""

    def __init__(self, per_minute: int | None = None, *, max_sources: int = 100_000) -> None:
        self._per_minute = per_minute
        self._max_sources = max_sources
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    @property
    def per_minute(self) -> int:
        if self._per_minute is not None:
            return self._per_minute
        from digipark.core.config import get_settings

        return get_settings().deadletter_per_source_per_minute

    def split(
        self, drafts: Sequence[DeadLetterDraft]
    ) -> tuple[list[DeadLetterDraft], dict[str, tuple[_Window, list[DeadLetterDraft]]]]:
        """(drafts to store one by one, per source: its window and the drafts beyond its limit)."""
        limit = self.per_minute
        kept: list[DeadLetterDraft] = []
        over: dict[str, tuple[_Window, list[DeadLetterDraft]]] = {}
        with self._lock:
            if len(self._windows) > self._max_sources:
                self._windows.clear()
            for draft in drafts:
                start = draft.received_ms - draft.received_ms % WINDOW_MS
                window = self._windows.get(draft.source_key)
                if window is None or window.start_ms != start:
                    window = self._windows[draft.source_key] = _Window(start)
                if window.stored < limit:
                    window.stored += 1
                    kept.append(draft)
                else:
                    over.setdefault(draft.source_key, (window, []))[1].append(draft)
        return kept, over


def _summary_detail(first: DeadLetterDraft, limit: int) -> str:
    note = f" [beyond {limit} a minute from this source: this row stands for `messages` of them, the first kept]"
    return first.detail[: DETAIL_LENGTH - len(note)] + note


def store_dead_letters(
    session: Session, drafts: Sequence[DeadLetterDraft], limiter: DeadLetterLimiter | None = None
) -> None:
    for draft in drafts:  # counted when written (a batch that fails is retried and counts again: an upper bound)
        prometheus.DEAD_LETTERS.labels(draft.reason).inc()
    if limiter is None:
        session.connection().execute(insert(DeadLetter), [dead_letter_values(draft) for draft in drafts])
        return
    kept, over = limiter.split(drafts)
    if kept:
        session.connection().execute(insert(DeadLetter), [dead_letter_values(draft) for draft in kept])
    limit = limiter.per_minute
    for window, beyond in over.values():
        first = beyond[0]
        if window.summary_id is not None:
            table = DeadLetter.__table__
            changed = session.connection().execute(
                update(DeadLetter)
                .where(table.c.id == window.summary_id)
                .values(messages=table.c.messages + len(beyond))
            )
            if changed.rowcount:  # else the row went with a rolled-back batch, or was purged: a new one
                continue
        values = dead_letter_values(first)
        values["messages"] = len(beyond)
        values["detail"] = _text(_summary_detail(first, limit), DETAIL_LENGTH)
        inserted = session.connection().execute(insert(DeadLetter).values(values).returning(DeadLetter.id))
        window.summary_id = int(inserted.scalar_one())
