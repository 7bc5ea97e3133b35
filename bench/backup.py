"""Benchmark: `digipark backup` and `digipark restore` of the demo database.

Builds the demo park (`digipark demo --no-serve`) in a PostgreSQL database of its own, `digipark_bench_backup`
(or DIGIPARK_BENCH_DATABASE_URL; reused when it holds the demo already), and in a fresh SQLite file; backs each up
into a temporary folder and restores it into a new database, which must give back every table's row count and
pass `digipark audit verify` (the command's own checks).

Figures: `backup_s`, `restore_s` (restore + row-count comparison; the audit verification after it is timed apart as
`restore_verify_s`), per engine, with the rows and the backup's size.

    .venv/bin/python bench/backup.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import bench_database_url, emit, progress

from digipark.core.config import normalise_database_url


def _digipark(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "digipark", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DIGIPARK_LOG_LEVEL": "WARNING"},
    )
    if done.returncode != 0:
        raise SystemExit(f"digipark {' '.join(args[:2])} failed: {done.stdout[-1000:]}{done.stderr[-1000:]}")
    return time.perf_counter() - started, done.stdout


def _measure(engine: str, source: str, target: str) -> None:
    load = round(os.getloadavg()[0], 1)
    progress(f"{engine}: building the demo park")
    _digipark("demo", "--no-serve", "--database", source)
    with tempfile.TemporaryDirectory(prefix="digipark-bench-backup-") as tmp:
        folder = Path(tmp) / "backup"
        backup_s, _ = _digipark("backup", str(folder), "--database", source)
        size_mb = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
        restore_s, out = _digipark("restore", str(folder), "--database", target, "--no-verify-audit")
        rows = int(out.split(" rows")[0].rsplit(" ", 1)[1])
        verify_s, _ = _digipark("audit", "verify", "--database", target)
    common = {"engine": engine, "rows": rows, "backup_mb": round(size_mb, 1), "load_avg_1m": load}
    emit("backup_s", backup_s, "s", **common)
    emit("restore_s", restore_s, "s", **common)
    emit("restore_verify_s", verify_s, "s", **common)


def main() -> None:
    source = bench_database_url("digipark_bench_backup")
    server = make_url(normalise_database_url(source))
    restored = f"{server.database}_restored"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{restored}"'))
        _measure("postgresql", source, server.set(database=restored).render_as_string(hide_password=False))
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)'))
    finally:
        admin.dispose()
    with tempfile.TemporaryDirectory(prefix="digipark-bench-backup-sqlite-") as tmp:
        _measure("sqlite", f"sqlite:///{tmp}/demo.db", f"sqlite:///{tmp}/restored.db")


if __name__ == "__main__":
    main()
