"""Audit log: every business write, hash-chained.

Writes of models marked `Audited` are captured in one place, a session `after_flush` hook, so no service can
forget them. Non-row events (logins, lockouts, exports) go through `record`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import hashlib
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import insert, inspect, select, update
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

from digipark.audit.models import AuditEntry, AuditHead
from digipark.core.db import utcnow
from digipark.core.tenancy import Audited

GENESIS_HASH = "0" * 64
_HASHED_COLUMNS = (
    "id",
    "ts",
    "actor",
    "actor_role",
    "park_id",
    "enterprise_id",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
)
_ACTOR_KEY = "digipark.actor"


@dataclasses.dataclass(frozen=True)
class Actor:
    name: str
    role: str | None = None
    user_id: int | None = None


SYSTEM = Actor("system")


def set_actor(session: Session, actor: Actor) -> None:
    session.info[_ACTOR_KEY] = actor


def get_actor(session: Session) -> Actor:
    actor = session.info.get(_ACTOR_KEY)
    return actor if isinstance(actor, Actor) else SYSTEM


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = canonical_json({**fields, "prev_hash": prev_hash})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _hashed_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (_jsonable(row[k]) if k == "ts" else row[k]) for k in _HASHED_COLUMNS}


_PENDING_KEY = "digipark.audit_pending"


@dataclasses.dataclass
class _Pending:
    """Entries of a transaction not yet chained, each with the (nested) transaction that recorded it."""

    rows: list[tuple[SessionTransaction, dict[str, Any]]] = dataclasses.field(default_factory=list)


def _pending(session: Session) -> _Pending:
    pending = session.info.get(_PENDING_KEY)
    if not isinstance(pending, _Pending):
        pending = session.info[_PENDING_KEY] = _Pending()
    return pending


def _defer(session: Session, rows: list[dict[str, Any]]) -> None:
    """Entries are chained when the transaction commits (or when it reads the log first): the chain head's row lock
    is then held from that moment to the commit, not for the whole transaction, so writers do not queue behind a
    long request."""
    if rows:
        session.connection()  # begins the session's transaction if nothing else did yet
        transaction = session.get_nested_transaction() or session.get_transaction()
        assert transaction is not None
        _pending(session).rows.extend((transaction, row) for row in rows)


def _chain_pending(session: Session) -> None:
    pending = session.info.get(_PENDING_KEY)
    if isinstance(pending, _Pending) and pending.rows:
        rows = [row for _transaction, row in pending.rows]
        pending.rows.clear()
        _append(session, rows)


def _within(transaction: SessionTransaction, ended: SessionTransaction) -> bool:
    current: SessionTransaction | None = transaction
    while current is not None:
        if current is ended:
            return True
        current = current.parent
    return False


def _before_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:  # a savepoint released: its entries stay with the transaction
        return
    session.flush()  # the commit's own flush comes after this hook: its entries must be chained too
    _chain_pending(session)


def _after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    """A rolled-back transaction or savepoint takes its unchained entries with it."""
    pending = session.info.get(_PENDING_KEY)
    if isinstance(pending, _Pending) and pending.rows:
        pending.rows[:] = [(t, row) for t, row in pending.rows if not _within(t, previous_transaction)]


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """The session's transaction ended: committed (its entries are chained), rolled back, or closed without either
    (`Session.close()` fires no rollback event): nothing it recorded may reach the session's next transaction."""
    if transaction.parent is None:
        pending = session.info.get(_PENDING_KEY)
        if isinstance(pending, _Pending):
            pending.rows.clear()


_LOG_TABLES = frozenset({AuditEntry.__tablename__, AuditHead.__tablename__})


def _before_reading_the_log(state: ORMExecuteState) -> None:
    pending = state.session.info.get(_PENDING_KEY)
    if (
        isinstance(pending, _Pending)
        and pending.rows
        and isinstance(state.statement, ClauseElement)
        and any(getattr(table, "name", None) in _LOG_TABLES for table in find_tables(state.statement))
    ):
        _chain_pending(state.session)


def _append(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    conn = session.connection()
    head = conn.execute(
        select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1).with_for_update()
    ).first()
    if head is None:
        conn.execute(insert(AuditHead).values(id=1, last_id=0, last_hash=GENESIS_HASH))
        last_id, last_hash = 0, GENESIS_HASH
    else:
        last_id, last_hash = head
    for row in rows:
        last_id += 1
        row["id"] = last_id
        row["prev_hash"] = last_hash
        row["hash"] = last_hash = entry_hash(last_hash, _hashed_fields(row))
    conn.execute(insert(AuditEntry), rows)
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(last_id=last_id, last_hash=last_hash))


def _row(
    session: Session,
    action: str,
    entity_type: str,
    entity_id: Any,
    park_id: int | None,
    enterprise_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    actor = get_actor(session)
    return {
        "ts": utcnow(),
        "actor": actor.name,
        "actor_role": actor.role,
        "park_id": park_id,
        "enterprise_id": enterprise_id,
        "action": action,
        "entity_type": entity_type,
        "entity_id": None if entity_id is None else str(entity_id),
        "before": before,
        "after": after,
    }


def record(
    session: Session,
    *,
    action: str,
    entity_type: str,
    entity_id: Any = None,
    park_id: int | None = None,
    enterprise_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append an entry that is not a row change (login, lockout, export, import)."""
    _defer(session, [_row(session, action, entity_type, entity_id, park_id, enterprise_id, before, after)])


def _columns(obj: Audited) -> Iterator[str]:
    for attr in inspect(type(obj)).column_attrs:
        if attr.key not in obj.__audit_exclude__ and attr.key not in ("created_at", "updated_at"):
            yield attr.key


def _snapshot(obj: Audited) -> dict[str, Any]:
    return {key: _jsonable(getattr(obj, key)) for key in _columns(obj)}


def _changes(obj: Audited) -> tuple[dict[str, Any], dict[str, Any]]:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    state = inspect(obj)
    for key in _columns(obj):
        history = state.attrs[key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                before[key], after[key] = _jsonable(old), _jsonable(new)
    return before, after


def _owner(obj: Any) -> tuple[int | None, int | None]:
    park_column = getattr(type(obj), "__park_column__", "park_id")
    enterprise_column = getattr(type(obj), "__enterprise_column__", "enterprise_id")
    return getattr(obj, park_column, None), getattr(obj, enterprise_column, None)


def _entity(obj: Any) -> tuple[str, Any]:
    state = inspect(obj)
    # A row inserted by this flush has no identity key yet in after_flush; its primary key is already set.
    identity = state.identity or tuple(state.mapper.primary_key_from_instance(obj))
    return obj.__tablename__, identity[0] if identity else None


def _after_flush(session: Session, _flush_context: UOWTransaction) -> None:
    rows: list[dict[str, Any]] = []
    for obj in session.new:
        if isinstance(obj, Audited):
            rows.append(_row(session, "create", *_entity(obj), *_owner(obj), None, _snapshot(obj)))
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj)
            if after:
                rows.append(_row(session, "update", *_entity(obj), *_owner(obj), before, after))
    for obj in session.deleted:
        if isinstance(obj, Audited):
            rows.append(_row(session, "delete", *_entity(obj), *_owner(obj), _snapshot(obj), None))
    _defer(session, rows)


def install(session_class: type[Session] = Session) -> None:
    from sqlalchemy import event

    hooks = (
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_soft_rollback", _after_soft_rollback),
        ("after_transaction_end", _after_transaction_end),
        ("do_orm_execute", _before_reading_the_log),
    )
    for name, hook in hooks:
        if not event.contains(session_class, name, hook):
            event.listen(session_class, name, hook)


@dataclasses.dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str | None = None


def verify(session: Session, *, batch: int = 5000) -> VerifyResult:
    """Walk the chain in id order; report the first entry whose link or content does not match."""
    prev_hash = GENESIS_HASH
    expected_id = 1
    checked = 0
    last_seen = 0
    columns = [getattr(AuditEntry, c) for c in _HASHED_COLUMNS]
    while True:
        # plain rows, not ORM objects: verifying must not load (or expunge) anything in the caller's session
        entries = session.execute(
            select(*columns, AuditEntry.prev_hash, AuditEntry.hash)
            .where(AuditEntry.id > last_seen)
            .order_by(AuditEntry.id)
            .limit(batch)
        ).all()
        if not entries:
            break
        for entry in entries:
            if entry.id != expected_id:
                return VerifyResult(False, checked, expected_id, f"entry {expected_id} is missing")
            if entry.prev_hash != prev_hash:
                return VerifyResult(False, checked, entry.id, "link to the previous entry does not match")
            fields = _hashed_fields({c: getattr(entry, c) for c in _HASHED_COLUMNS})
            if entry_hash(prev_hash, fields) != entry.hash:
                return VerifyResult(False, checked, entry.id, "content does not match its hash")
            prev_hash = entry.hash
            expected_id += 1
            checked += 1
            last_seen = entry.id
    head = session.execute(select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1)).first()
    if head is not None:
        if head.last_id > checked:
            return VerifyResult(False, checked, checked + 1, "entries after the last one found are missing")
        if head.last_id < checked:
            return VerifyResult(False, checked, head.last_id + 1, "entries after the chain head were added")
        if head.last_hash != prev_hash:
            return VerifyResult(False, checked, checked, "the last entry does not match the chain head")
    elif checked:
        return VerifyResult(False, checked, 1, "the chain head is missing")
    return VerifyResult(True, checked)


# Any process that imports a writing domain records its writes: registering the hook is idempotent.
install()
