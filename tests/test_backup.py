"""`digipark backup` → `digipark restore` into a fresh database: every table's row count comes back, uploaded
files (columns) are byte-identical, and `digipark audit verify` passes on the restored database — on SQLite and,
with DIGIPARK_TEST_DATABASE_URL, on PostgreSQL (in two databases of this test's own, next to the test database)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from digipark.core import db as core_db
from digipark.core import migrate
from digipark.core.backup import MANIFEST, row_counts
from digipark.core.config import get_settings, normalise_database_url
from digipark.core.db import make_engine
from tests.conftest import TEST_DATABASE_URL, service_unavailable, tcp_reachable
from tests.test_cli import one_error_line, run, seed_park


@pytest.fixture(autouse=True)
def _own_engine() -> Iterator[None]:
    saved = core_db._engine, core_db._factory
    yield
    core_db.use_engine(*saved)
    get_settings.cache_clear()


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A source database (migrated, empty) and a target URL for the restore."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'source.db'}", f"sqlite:///{tmp_path / 'restored' / 'target.db'}"
        return
    if not TEST_DATABASE_URL:
        pytest.skip("DIGIPARK_TEST_DATABASE_URL is not set")
    if not tcp_reachable(TEST_DATABASE_URL, 5432):
        service_unavailable(f"PostgreSQL at {TEST_DATABASE_URL}")
    server = make_url(normalise_database_url(TEST_DATABASE_URL))
    suffix = uuid.uuid4().hex[:8]
    names = [f"{server.database}_backup_{suffix}_src", f"{server.database}_backup_{suffix}_dst"]
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f"CREATE DATABASE {name}"))
        source, target = (server.set(database=name).render_as_string(hide_password=False) for name in names)
        yield source, target
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        admin.dispose()


def _add_upload(url: str) -> bytes:
    """An uploaded file as the domains keep them: bytes in a column."""
    content = b"%PDF-1.7\n" + uuid.uuid4().bytes * 64
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            blob = "BYTEA" if engine.dialect.name == "postgresql" else "BLOB"
            conn.execute(text(f"CREATE TABLE backup_probe (id INTEGER PRIMARY KEY, content {blob})"))
            conn.execute(text("INSERT INTO backup_probe (id, content) VALUES (1, :c)"), {"c": content})
    finally:
        engine.dispose()
    return content


def test_backup_then_restore_gives_back_every_row_and_a_sound_audit_chain(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    source, target = databases
    migrate.upgrade(source)
    seed_park(source, "B1")
    seed_park(source, "B2", "110000")
    upload = _add_upload(source)
    engine = make_engine(source)
    try:
        before = row_counts(engine)
    finally:
        engine.dispose()
    assert before["audit_entry"] >= 4 and before["park"] == 2

    folder = tmp_path / "backup"
    result = run("backup", str(folder), "--database", source)
    assert result.exit_code == 0, result.output
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["rows"] == before and manifest["revision"]

    result = run("restore", str(folder), "--database", target)
    assert result.exit_code == 0, result.output
    assert "row counts match the backup" in result.stdout
    assert f"audit chain OK: {before['audit_entry']} entries" in result.stdout
    restored = make_engine(target)
    try:
        assert row_counts(restored) == before
        with restored.connect() as conn:
            assert conn.execute(text("SELECT content FROM backup_probe WHERE id = 1")).scalar_one() == upload
    finally:
        restored.dispose()

    # a second restore into the now filled database is refused and changes nothing
    result = run("restore", str(folder), "--database", target)
    assert result.exit_code == 1
    assert "error: " in one_error_line(result) and ("not empty" in result.stderr or "exists" in result.stderr)
    restored = make_engine(target)
    try:
        assert row_counts(restored) == before
    finally:
        restored.dispose()


def test_a_restore_whose_rows_differ_from_the_manifest_fails(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    migrate.upgrade(source)
    seed_park(source, "B3")
    folder = tmp_path / "backup"
    assert run("backup", str(folder), "--database", source).exit_code == 0
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["rows"]["park"] += 1  # a backup whose copy lost a row
    (folder / MANIFEST).write_text(json.dumps(manifest))
    result = run("restore", str(folder), "--database", f"sqlite:///{tmp_path / 'target.db'}")
    assert result.exit_code == 1
    assert "row count differs in park: backup 2, restored 1" in result.stdout


def test_backup_refuses_a_filled_folder_and_restore_a_folder_that_is_no_backup(tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    result = run("backup", str(tmp_path / "full"), "--database", f"sqlite:///{tmp_path / 's.db'}")
    assert result.exit_code == 1 and "is not empty" in one_error_line(result)
    result = run("restore", str(tmp_path / "full"), "--database", f"sqlite:///{tmp_path / 't.db'}")
    assert result.exit_code == 1 and "is not a digipark backup" in one_error_line(result)
    assert not (tmp_path / "t.db").exists()


def test_backup_and_restore_refuse_the_transaction_pooler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pg_dump / pg_restore through a transaction-pooling PgBouncer would leave `search_path = ''` on its server
    connections (seen: a restore through one counted 0 tables): refused, nothing written; a URL straight to
    PostgreSQL (another port) is not refused for that reason."""
    pooler = "postgresql://postgres@127.0.0.1:6432/digipark"
    monkeypatch.setenv("DIGIPARK_DATABASE_URL", pooler)
    monkeypatch.setenv("DIGIPARK_DATABASE_POOLER", "transaction")
    get_settings.cache_clear()
    folder = tmp_path / "backup"
    for result in (
        run("backup", str(folder)),
        run("restore", str(folder), "--database", "postgresql://postgres@127.0.0.1:6432/other"),
    ):
        assert result.exit_code == 1
        assert "transaction pooler" in one_error_line(result)
    assert not folder.exists()
    direct = run("restore", str(folder), "--database", "postgresql://postgres@127.0.0.1:5432/other")
    assert "transaction pooler" not in direct.output  # refused for another reason: no backup in the folder
    monkeypatch.setenv("DIGIPARK_DATABASE_POOLER", "none")
    get_settings.cache_clear()
    assert "transaction pooler" not in run("backup", str(folder)).output
