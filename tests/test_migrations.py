"""The Alembic history: upgrade to head, downgrade to base, upgrade again, on SQLite and on PostgreSQL; and the
migrated schema is exactly what the models declare."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from digipark.core import migrate
from digipark.core.config import normalise_database_url
from digipark.models import metadata
from tests.conftest import TEST_DATABASE_URL, service_unavailable, tcp_reachable

MIGRATION_TEST_PREFIX = "digipark_migration_test"


def _head() -> str:
    head = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'migrations.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    if not TEST_DATABASE_URL:
        pytest.skip("DIGIPARK_TEST_DATABASE_URL is not set")
    if not tcp_reachable(TEST_DATABASE_URL, 5432):
        service_unavailable(f"PostgreSQL at {TEST_DATABASE_URL}")
    server = make_url(normalise_database_url(TEST_DATABASE_URL))
    # one scratch database per test database, so runs against different test databases never drop each other's
    scratch = f"{MIGRATION_TEST_PREFIX}_{server.database}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{scratch}"'))
        yield server.set(database=scratch).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return list(compare_metadata(context, metadata))


def _assert_audit_append_only(engine: Engine) -> None:
    """The append-only triggers are part of the schema: UPDATE and DELETE of an audit entry are refused."""
    with engine.connect() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_entry (id, ts, actor, action, entity_type, prev_hash, hash) "
                "VALUES (1, CURRENT_TIMESTAMP, 'migration-test', 'test', 'test', :h, :h)"
            ),
            {"h": "0" * 64},
        )
        for statement in ("UPDATE audit_entry SET actor = 'someone else'", "DELETE FROM audit_entry"):
            savepoint = conn.begin_nested()
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text(statement))
            savepoint.rollback()
        conn.rollback()


def _round_trip(url: str) -> None:
    engine = create_engine(normalise_database_url(url))
    try:
        migrate.upgrade(url)
        assert migrate.current(url) == _head()
        assert _tables(engine) == set(metadata.tables)
        assert _differences(engine) == []
        _assert_audit_append_only(engine)

        migrate.downgrade(url, "base")
        assert migrate.current(url) is None
        assert _tables(engine) == set()

        migrate.upgrade(url)
        assert migrate.current(url) == _head()
        assert _tables(engine) == set(metadata.tables)
        assert _differences(engine) == []
        _assert_audit_append_only(engine)
    finally:
        engine.dispose()


def test_sqlite_upgrade_downgrade_upgrade(sqlite_url: str) -> None:
    _round_trip(sqlite_url)


def test_postgresql_upgrade_downgrade_upgrade(postgres_url: str) -> None:
    _round_trip(postgres_url)


def test_history_is_linear() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1
    revisions = list(script.walk_revisions())
    assert all(rev.down_revision is None or isinstance(rev.down_revision, str) for rev in revisions)


def test_session_database_matches_the_models(engine: Engine) -> None:
    """The database the rest of the suite runs on was built by the migrations, not by create_all."""
    assert _differences(engine) == []
