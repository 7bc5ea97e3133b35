"""When an API token was last used (`api_token.last_used_at`), kept to `LAST_USED_PRECISION`.

A request that writes records it in its own transaction. A reading request must not write in its reading
transaction (on SQLite that fails with `database is locked` while another connection writes), so it records the
use after its response, in a short writing transaction of its own; a busy database skips the note, never the
request. The column is bookkeeping, not business data: it is not audited.

A note made in a request's transaction is lost when that request fails (a 409 rolls it back). So that a token whose
requests keep failing does not write (and lock its row) on every request, each process remembers the notes it tried
(`due`): it tries again only after `LAST_USED_PRECISION`."""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from digipark.auth.models import ApiToken
from digipark.core.db import DatabaseBusy, is_database_locked, transaction, utcnow

log = logging.getLogger("digipark.auth")

LAST_USED_PRECISION = dt.timedelta(minutes=5)
"""A token's last use is written at most this often (a token used every second writes once per interval)."""


# token digest -> (its last_used_at when this process last tried to note a use, when it tried)
_tried: dict[str, tuple[dt.datetime | None, dt.datetime]] = {}
_tried_lock = threading.Lock()
_TRIED_KEPT = 100_000


def due(token_hash: str, last_used_at: dt.datetime | None, *, now: dt.datetime | None = None) -> bool:
    """Whether to note a use of the token now: its `last_used_at` (as read with it) is unset or older than
    `LAST_USED_PRECISION`, and this process has not already tried, within that time, to note it over the same
    `last_used_at` (a note rolled back with its failed request)."""
    now = now or utcnow()
    if last_used_at is not None and now - last_used_at < LAST_USED_PRECISION:
        return False
    with _tried_lock:
        tried = _tried.get(token_hash)
        if tried is not None and tried[0] == last_used_at and now - tried[1] < LAST_USED_PRECISION:
            return False
        if len(_tried) >= _TRIED_KEPT:
            _tried.clear()
        _tried[token_hash] = (last_used_at, now)
    return True


def forget_tried() -> None:
    """Forget the notes tried (tests that roll back what they noted)."""
    with _tried_lock:
        _tried.clear()


def token_use_to_note(session: Session, *, token_hash: str) -> int | None:
    """The id of the token with `token_hash` if its `last_used_at` is older than `LAST_USED_PRECISION` (or unset)."""
    row = session.execute(select(ApiToken.id, ApiToken.last_used_at).where(ApiToken.token_hash == token_hash)).first()
    if row is None:
        return None
    if row.last_used_at is not None and utcnow() - row.last_used_at < LAST_USED_PRECISION:
        return None
    return int(row.id)


def note_token_use(session: Session, *, token_id: int) -> None:
    """Set the token's `last_used_at` to now in `session` (a writing transaction)."""
    now = utcnow()
    session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USED_PRECISION),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def note_token_use_later(token_id: int) -> None:
    """`note_token_use` in a writing transaction of its own (after a reading request's response)."""
    try:
        with transaction(write=True, name="api token last use") as session:
            note_token_use(session, token_id=token_id)
    except DatabaseBusy:
        log.info("database busy: last use of api token %s not recorded this time", token_id)
    except Exception as exc:
        if not is_database_locked(exc):
            raise
        log.info("database locked: last use of api token %s not recorded this time", token_id)
