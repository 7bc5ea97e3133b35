"""Backups of a digipark database, and their restore into a fresh one.

A backup is a folder:
- `database.dump` — PostgreSQL: `pg_dump --format=custom` (every schema, so the monthly partitions of the readings
  in `reading_partitions` too), restored by `pg_restore`;
- `database.sqlite` — SQLite: a consistent copy made with SQLite's online backup API (a running server may keep
  writing while it is taken);
- `manifest.json` — the engine, the schema revision, when it was taken, and the row count of every table.

Uploaded files (evidence, photos, attachments, reports) are columns of their tables (`LargeBinary`), so the
database backup holds them; there is no separate file store to copy.

A restore goes only into an empty database (it refuses to mix a backup into existing data), then counts the rows
of every table again and compares them with the manifest: `RestoreResult.mismatches` lists any difference. The
audit chain of the restored database is checked by `digipark audit verify` (the `digipark restore` command runs
it). Point-in-time recovery is pgBackRest's (docs/operations.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import URL, make_url

from digipark.core.config import normalise_database_url

MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite"
FORMAT_VERSION = 1


class BackupError(Exception):
    """A backup or restore that cannot be done (wrong engine, target not empty, a tool failed)."""


@dataclasses.dataclass(frozen=True)
class BackupResult:
    folder: Path
    engine: str
    revision: str | None
    rows: dict[str, int]
    bytes: int
    seconds: float


@dataclasses.dataclass(frozen=True)
class RestoreResult:
    engine: str
    revision: str | None
    rows: dict[str, int]
    mismatches: dict[str, tuple[int, int | None]]
    """table -> (rows in the backup, rows restored or None when the table is missing)"""
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _engine_name(url: str) -> str:
    name = make_url(normalise_database_url(url)).get_backend_name()
    if name not in ("postgresql", "sqlite"):
        raise BackupError(f"backups support PostgreSQL and SQLite, not {name}")
    return name


def _sqlite_path(url: str) -> Path:
    database = make_url(normalise_database_url(url)).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored into")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URL for the PostgreSQL tools, and the environment that carries its password (never on
    the command line, where `ps` would show it)."""
    parsed: URL = make_url(normalise_database_url(url))
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install PostgreSQL's client tools (Debian: postgresql-client)")
    return found


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {(done.stderr or done.stdout).strip()[-500:]}")


def _count(conn: Connection, names: list[str]) -> dict[str, int]:
    quote = conn.dialect.identifier_preparer.quote
    return {name: int(conn.execute(text(f"SELECT count(*) FROM {quote(name)}")).scalar_one()) for name in names}


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows of every table of the application's schema (a partitioned table counts its partitions' rows)."""
    names = sorted(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return _count(conn, names)


def _revision(counts: dict[str, int], conn: Engine | Connection) -> str | None:
    if "alembic_version" not in counts:
        return None
    if isinstance(conn, Engine):
        with conn.connect() as own:
            return _revision(counts, own)
    value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return str(value) if value is not None else None


def _engine(url: str) -> Engine:
    from digipark.core.db import make_engine

    return make_engine(url)


def backup(url: str, folder: Path) -> BackupResult:
    """Write a backup of the database at `url` into `folder` (created; it must be empty or new)."""
    engine_name = _engine_name(url)
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: back up into a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    engine = _engine(url)
    try:
        if engine_name == "postgresql":
            # the counts and the dump read one snapshot: the dump runs with the snapshot this transaction exported
            target = folder / PG_DUMP
            libpq, env = _libpq(url)
            with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
                snapshot = str(conn.execute(text("SELECT pg_export_snapshot()")).scalar_one())
                counts = _count(conn, sorted(inspect(conn).get_table_names()))
                revision = _revision(counts, conn)
                _run(
                    [
                        _tool("pg_dump"),
                        "--format=custom",
                        "--no-owner",
                        f"--snapshot={snapshot}",
                        f"--file={target}",
                        f"--dbname={libpq}",
                    ],
                    env,
                )
        else:
            source = _sqlite_path(url)
            if not source.exists():
                raise BackupError(f"no database at {source}")
            target = folder / SQLITE_COPY
            with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
                src.backup(dst)
            src.close()
            dst.close()
            copy = _engine(f"sqlite:///{target}")
            try:
                counts = row_counts(copy)  # of the copy itself: exactly what a restore must give back
                revision = _revision(counts, copy)
            finally:
                copy.dispose()
    finally:
        engine.dispose()
    manifest: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "engine": engine_name,
        "revision": revision,
        "taken_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "file": target.name,
        "rows": counts,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    return BackupResult(
        folder, engine_name, revision, counts, target.stat().st_size, round(time.perf_counter() - started, 3)
    )


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} is not a digipark backup (no {MANIFEST})")
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"backup format {manifest.get('format')!r} is not supported (expected {FORMAT_VERSION})")
    return manifest


def restore(folder: Path, url: str) -> RestoreResult:
    """Restore the backup in `folder` into the empty database at `url` and compare its row counts with the
    backup's manifest."""
    manifest = read_manifest(folder)
    engine_name = _engine_name(url)
    if manifest["engine"] != engine_name:
        raise BackupError(f"a {manifest['engine']} backup cannot be restored into {engine_name}")
    source = folder / str(manifest["file"])
    if not source.is_file():
        raise BackupError(f"the backup's database file {source} is missing")
    started = time.perf_counter()
    if engine_name == "postgresql":
        engine = _engine(url)
        try:
            if inspect(engine).get_table_names():
                raise BackupError("the target database is not empty: restore into a new database (createdb)")
        finally:
            engine.dispose()
        libpq, env = _libpq(url)
        _run(
            [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={libpq}", str(source)],
            env,
        )
    else:
        target = _sqlite_path(url)
        if target.exists() and target.stat().st_size > 0:
            raise BackupError(f"{target} exists: restore into a new file")
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        src.close()
        dst.close()
    engine = _engine(url)
    try:
        counts = row_counts(engine)
        revision = _revision(counts, engine)
    finally:
        engine.dispose()
    expected: dict[str, int] = {str(k): int(v) for k, v in manifest["rows"].items()}
    mismatches = {table: (rows, counts.get(table)) for table, rows in expected.items() if counts.get(table) != rows}
    return RestoreResult(engine_name, revision, counts, mismatches, round(time.perf_counter() - started, 3))
