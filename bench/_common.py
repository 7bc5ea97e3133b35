"""Helpers shared by the benchmark scripts: databases of their own, percentiles, JSON figure lines."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Sequence
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from digipark.core.config import normalise_database_url

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/test"


def bench_database_url(database: str, env: str = "DIGIPARK_BENCH_DATABASE_URL") -> str:
    """The PostgreSQL URL a benchmark runs on, created if absent.

    `env` names a database URL to use as is; by default the benchmark gets a database `database` of its own on
    the test server, so the test database is never disturbed and a filled database is reused between runs.
    """
    configured = os.environ.get(env)
    url = make_url(normalise_database_url(configured or DEFAULT_SERVER_URL))
    if not configured:
        url = url.set(database=database)
    if not url.drivername.startswith("postgresql"):
        raise SystemExit(f"{env} must be a PostgreSQL URL, got {url.drivername}")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    finally:
        admin.dispose()
    return url.render_as_string(hide_password=False)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (p95: fraction=0.95) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def emit(figure: str, value: float, unit: str, **context: Any) -> None:
    print(json.dumps({"figure": figure, "value": round(value, 2), "unit": unit, **context}, ensure_ascii=False))
    sys.stdout.flush()


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
