"""A park's raw readings on another PostgreSQL server (`digipark shard attach`, telemetry.shards): two servers of
their own (a migrated coordinator and a second one). Park B's readings — those stored before and those written
after, in order, late and repeated — land on server 2 (counted there directly), the API's point history and the
park-wide sums return them through the coordinator; attach and detach are idempotent, detach brings them back;
retention deletes them over there. When server 2 is lost, park B's raw history fails with a clear 503 while park
A's history and ingest, park B's sums from rollups, and retention keep working.

Needs Debian's PostgreSQL 15 server binaries; skipped without them, or failed under DIGIPARK_REQUIRE_SERVICES=1."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from digipark.app import create_app
from digipark.audit.service import Actor, set_actor
from digipark.core import db as core_db
from digipark.registry.models import Point
from digipark.telemetry.retention import purge_raw
from digipark.telemetry.store import LOCAL_READINGS, ReadingRow, write_readings
from tests.conftest import World, _build_park, bearer, service_unavailable
from tests.shard_harness import Servers, count_there, kill, missing_binaries, servers

pytestmark = [pytest.mark.cluster, pytest.mark.engine_neutral]  # servers of its own, whatever the test database

BASE_PORT = 24790  # the cluster tests use 24500–24651, bench/cluster.py 24700–24751
T0 = 1_796_083_200_000  # 2026-12-01T00:00:00Z
MINUTE = 60_000
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[Servers]:
    missing = missing_binaries()
    if missing:
        service_unavailable(f"PostgreSQL server binaries: {', '.join(missing)}")
    with servers(tmp_path, BASE_PORT) as running:
        yield running


def _write(engine: Engine, rows: list[ReadingRow]) -> tuple[int, int]:
    with Session(engine) as db, db.begin():
        result = write_readings(db, rows)
    return result.stored, result.duplicates


def _shard_command(servers: Servers, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "digipark", "shard", *args, "--database", servers.coordinator_url],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_parks_readings_on_another_server(two_servers: Servers) -> None:
    servers = two_servers
    engine = servers.engine
    with sessionmaker(bind=engine, expire_on_commit=False)() as db, db.begin():
        set_actor(db, Actor("shard-test"))
        park_a = _build_park(db, "SA", "320500", 1, World.password)
        park_b = _build_park(db, "SB", "110000", 2, World.password)
        measured = {p.id: p for p in db.scalars(select(Point).where(Point.state_class == "measurement"))}
        point_a = next(pid for pid in park_a.point_ids if pid in measured)
        point_b = next(pid for pid in park_b.point_ids if pid in measured)
        quantity_b = measured[point_b].quantity
    before = [ReadingRow(point_b, T0 + i * MINUTE, float(i)) for i in range(10)]
    assert _write(engine, [ReadingRow(point_a, T0 + i * MINUTE, 100.0 + i) for i in range(10)] + before) == (20, 0)

    out = _shard_command(servers, "attach", "--park", "SB", "--server", servers.shard_urls[0])
    assert "10 moved there" in out
    out = _shard_command(servers, "attach", "--park", "SB", "--server", servers.shard_urls[0])
    assert "nothing changed" in out  # idempotent
    assert "SB" in _shard_command(servers, "list")

    # in order (through the foreign partition), late, and repeats of readings stored there
    assert _write(engine, [ReadingRow(point_b, T0 + i * MINUTE, float(i)) for i in range(10, 20)]) == (10, 0)
    late = ReadingRow(point_b, T0 + 30_000, 0.5)
    assert _write(engine, [late, *before[:3]]) == (1, 3)
    assert _write(engine, [ReadingRow(point_a, T0 + 10 * MINUTE, 110.0)]) == (1, 0)
    expected_sum = sum(float(i) for i in range(20)) + 0.5

    assert count_there(servers.shard_urls[0], park_b.park_id) == (21, expected_sum)
    assert "21 moved back" in _shard_command(servers, "detach", "--park", "SB")
    assert count_there(servers.shard_urls[0], park_b.park_id) == (0, None)
    assert "nothing changed" in _shard_command(servers, "detach", "--park", "SB")
    assert "21 moved there" in _shard_command(servers, "attach", "--park", "SB", "--server", servers.shard_urls[0])
    with engine.connect() as conn:
        local = conn.execute(text(f"SELECT park_id, count(*) FROM {LOCAL_READINGS} GROUP BY 1")).all()
        assert dict(local) == {park_a.park_id: 11}  # none of park B's left here
        through = conn.execute(
            text("SELECT count(*), sum(value) FROM reading WHERE park_id = :park"), {"park": park_b.park_id}
        ).one()
        assert tuple(through) == (21, expected_sum)  # a park-wide aggregate of raw readings, through the coordinator

    saved = core_db._engine, core_db._factory
    core_db.use_engine(engine)
    try:
        with TestClient(create_app(), base_url="http://testserver") as client:
            window = {"from": str(T0), "to": str(T0 + 3_600_000)}
            headers_a, headers_b = bearer(park_a.tokens["park_admin"]), bearer(park_b.tokens["park_admin"])
            history = client.get(
                f"/api/v1/points/{point_b}/series", params={**window, "resolution": "raw"}, headers=headers_b
            )
            assert history.status_code == 200, history.text
            assert len(history.json()["points"]) == 21
            park_sum = {**window, "quantity": quantity_b, "resolution": "1h", "agg": "sum"}
            park_wide = client.get(f"/api/v1/parks/{park_b.park_id}/series", params=park_sum, headers=headers_b)
            assert park_wide.status_code == 200, park_wide.text
            assert sum(value or 0 for _, value in park_wide.json()["points"]) == expected_sum

            # retention deletes park B's old readings over there (local months are dropped whole: none is over)
            with Session(engine) as db, db.begin():
                assert purge_raw(db, now_ms=T0 + 5 * MINUTE, days=0) == 6
            assert count_there(servers.shard_urls[0], park_b.park_id)[0] == 15

            kill(servers, 1)  # server 2 lost

            lost = client.get(
                f"/api/v1/points/{point_b}/series", params={**window, "resolution": "raw"}, headers=headers_b
            )
            assert lost.status_code == 503
            assert lost.json()["type"].endswith("/readings-server-unreachable")
            still = client.get(
                f"/api/v1/points/{point_a}/series", params={**window, "resolution": "raw"}, headers=headers_a
            )
            assert still.status_code == 200, still.text
            assert len(still.json()["points"]) == 11
            # park B's sums come from the rollups, kept on the coordinator
            rolled = client.get(f"/api/v1/parks/{park_b.park_id}/series", params=park_sum, headers=headers_b)
            assert rolled.status_code == 200, rolled.text
    finally:
        core_db.use_engine(*saved)

    assert _write(engine, [ReadingRow(point_a, T0 + 11 * MINUTE, 111.0)]) == (1, 0)  # park A's ingest goes on
    with pytest.raises((OperationalError, psycopg.OperationalError)) as failed:  # the ingest retries such a batch
        _write(engine, [ReadingRow(point_b, T0 + 20 * MINUTE, 20.0)])
    assert str(getattr(getattr(failed.value, "orig", failed.value), "sqlstate", "")).startswith("08")
    with Session(engine) as db, db.begin():  # retention goes on without the lost server (logged, retried next run)
        assert purge_raw(db, now_ms=T0 + 10 * MINUTE, days=0) == 0
