"""Database: declarative base, engine, sessions and the request-scoped transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from digipark.core.config import get_settings, normalise_database_url

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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, control transactions, so SAVEPOINTs work.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    url = normalise_database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(
            engine,
            "begin",
            lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE" if _sqlite_immediate.get() else "BEGIN"),
        )
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


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


@contextmanager
def transaction(session: Session | None = None, *, write: bool = False) -> Iterator[Session]:
    """One unit of work: commits at the end, rolls back on error, then publishes queued events. `write`: the
    unit will write (on SQLite it takes the write lock at once)."""
    from digipark.core.events import discard_pending, publish_pending

    own = session is None
    db = session if session is not None else new_session()
    try:
        if write and own:
            token = _sqlite_immediate.set(True)
            try:
                db.connection()  # begins now, in this thread, while the flag is set
            finally:
                _sqlite_immediate.reset(token)
        yield db
        db.commit()
        publish_pending(db)
    except BaseException:
        db.rollback()
        discard_pending(db)
        raise
    finally:
        if own:
            db.close()
