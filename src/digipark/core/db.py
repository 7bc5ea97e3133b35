"""Database: declarative base, engine, sessions and the request-scoped transaction."""

from __future__ import annotations

import datetime as dt
import errno
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator

from digipark.core.config import database_connect_args, get_settings, normalise_database_url

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store UTC-aware datetimes")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


log = logging.getLogger("digipark.db")

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long SQLite waits for the write lock (and a locked table) before it answers `database is locked`."""
LOCK_RETRY_DELAYS_S = (0.1, 0.3, 0.9)
"""Back-off between further attempts to take SQLite's write lock after a wait of `busy_timeout` failed."""
RETRY_AFTER_S = 2
"""What a request refused for a busy database tells its client to wait (`Retry-After`)."""


class DatabaseBusy(Exception):
    """The database stayed locked by another writer longer than we wait: answered 503 with Retry-After."""

    def __init__(self, detail: str = "the database is busy with other writes; try again shortly") -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after_s = RETRY_AFTER_S


def is_database_locked(exc: BaseException) -> bool:
    """Whether `exc` is SQLite's `database is locked` / `database table is locked` (SQLITE_BUSY, SQLITE_LOCKED)."""
    if isinstance(exc, DatabaseBusy):
        return True
    orig = getattr(exc, "orig", exc) if isinstance(exc, OperationalError) else exc
    return type(orig).__name__ == "OperationalError" and "is locked" in str(orig)


def is_foreign_server_unreachable(exc: BaseException) -> bool:
    """Whether PostgreSQL answered that a server it reaches through postgres_fdw (a park's readings kept there,
    telemetry.shards) could not be reached: a connection-exception SQLSTATE (class 08) sent by the database server
    itself. Losing the database server itself raises no SQLSTATE (the client finds the connection gone)."""
    orig = getattr(exc, "orig", exc) if isinstance(exc, DBAPIError) else exc
    return str(getattr(orig, "sqlstate", None) or "").startswith("08")


STORAGE_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
POSTGRES_DISK_FULL = "53100"  # SQLSTATE disk_full
SQLITE_FULL = 13  # result code: "database or disk is full"


def is_storage_full(exc: BaseException) -> bool:
    """Whether `exc` says a disk is full: an OSError (no space, quota), PostgreSQL's disk_full, SQLite's SQLITE_FULL."""
    orig = getattr(exc, "orig", exc) if isinstance(exc, DBAPIError) else exc
    if isinstance(orig, OSError):
        return orig.errno in STORAGE_FULL_ERRNOS
    return (
        getattr(orig, "sqlstate", None) == POSTGRES_DISK_FULL or getattr(orig, "sqlite_errorcode", None) == SQLITE_FULL
    )


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, control transactions, so SAVEPOINTs work.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    return on_connect


def make_engine(url: str, *, sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS, pooler: str | None = None) -> Engine:
    """`pooler`: 'transaction' when `url` reaches PostgreSQL through a transaction-pooling PgBouncer (None: the
    setting DIGIPARK_DATABASE_POOLER)."""
    url = normalise_database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_busy_timeout_ms))
        event.listen(
            engine,
            "begin",
            lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE" if _sqlite_immediate.get() else "BEGIN"),
        )
        return engine
    return create_engine(
        url,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_pre_ping=True,
        connect_args=database_connect_args(url, pooler),
    )


POOL_SIZE = 10
POOL_OVERFLOW = 20
"""Connections a process keeps to PostgreSQL, and how many more it opens at busy moments."""


def pool_capacity(engine: Engine) -> int:
    """How many connections `engine` hands out at once: its queue pool's size and overflow (other pools, a
    connection per thread or one shared, do not make a request wait: as PostgreSQL's)."""
    pool = engine.pool
    if isinstance(pool, QueuePool):
        return pool.size() + max(getattr(pool, "_max_overflow", 0), 0)
    return POOL_SIZE + POOL_OVERFLOW


_engine: Engine | None = None
_factory: sessionmaker[Session] | None = None


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        _engine = make_engine(get_settings().database_url)
    return _engine


def use_engine(engine: Engine | None, factory: sessionmaker[Session] | None = None) -> None:
    """Point the process at another engine (CLI --database, tests); None returns to the settings."""
    global _engine, _factory
    _engine = engine
    _factory = factory


def new_session() -> Session:
    global _factory
    if _factory is None:
        _factory = sessionmaker(bind=get_engine(), expire_on_commit=False)
    return _factory()


# SQLite has one writer. A transaction that reads and then writes fails at once with "database is locked" when
# another connection committed in between (a deferred transaction cannot upgrade its snapshot); one that is
# known to write takes the write lock when it begins (BEGIN IMMEDIATE) and waits for it up to busy_timeout.
_sqlite_immediate: ContextVar[bool] = ContextVar("digipark_sqlite_immediate", default=False)


def _begin_writing(db: Session) -> None:
    """Begin `db`'s transaction now, in this thread, holding SQLite's write lock (BEGIN IMMEDIATE). SQLite waits
    `busy_timeout` for it; a wait that fails is tried again after a back-off, then the database is busy."""
    for delay in (*LOCK_RETRY_DELAYS_S, None):
        token = _sqlite_immediate.set(True)
        try:
            db.connection()
            return
        except OperationalError as exc:
            if not is_database_locked(exc):
                raise
            db.rollback()
            if delay is None:
                raise DatabaseBusy() from exc
            log.info("database locked; taking the write lock again in %.1f s", delay)
            time.sleep(delay)
        finally:
            _sqlite_immediate.reset(token)


_READING_UNIT = "digipark.reading_unit"


def in_reading_unit(session: Session) -> bool:
    """Whether `session` is a unit of work declared as reading (`transaction()` without `write`): nothing in it
    writes, so what it read stays true until it ends (it reads one snapshot on SQLite)."""
    return bool(session.info.get(_READING_UNIT))


def report_write_in_read(what: str) -> None:
    """Called when a unit of work declared as reading wrote (tests replace it to fail). On SQLite such a unit
    fails with `database is locked` as soon as another connection writes: it must say `write=True`."""
    log.warning("a reading transaction wrote: %s; declare it a writing one", what)


def _sqlite_changes(db: Session) -> int | None:
    """Rows this session's SQLite connection has changed since it opened (None on other databases)."""
    connection = db.connection()
    if connection.dialect.name != "sqlite":
        return None
    dbapi = connection.connection.dbapi_connection
    return int(getattr(dbapi, "total_changes", 0))


@contextmanager
def transaction(session: Session | None = None, *, write: bool = False, name: str | None = None) -> Iterator[Session]:
    """One unit of work: commits at the end, rolls back on error, then publishes queued events. `write`: the
    unit will write (on SQLite it takes the write lock at once, waiting for it with back-off, else
    `DatabaseBusy`). A reading unit that writes anyway is reported (`report_write_in_read`, with `name`)."""
    from digipark.core.events import discard_pending, publish_pending

    own = session is None
    db = session if session is not None else new_session()
    if own:
        db.info[_READING_UNIT] = not write
    changes_at_begin: int | None = None
    try:
        if write and own:
            _begin_writing(db)
        elif own:
            changes_at_begin = _sqlite_changes(db)
        yield db
        if changes_at_begin is not None and _sqlite_changes(db) != changes_at_begin:
            report_write_in_read(name or "a unit of work")
        db.commit()
        publish_pending(db)
    except BaseException:
        db.rollback()
        discard_pending(db)
        raise
    finally:
        if own:
            db.close()
