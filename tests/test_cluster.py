"""The local cluster (deploy/local-cluster): ingest through 3 NATS nodes and 2 workers into a PostgreSQL primary
with a synchronous replica, while one NATS node is SIGKILLed and PostgreSQL fails over — every reading JetStream
acknowledged is stored, none twice; the web processes answer through HAProxy on the promoted primary.

Twice: with the failover done by the script (`pg_ctl promote`), and under Patroni with etcd (`start --patroni`),
where the primary's node (Patroni and PostgreSQL) is SIGKILLed and Patroni promotes the replica by itself while
the application reaches PostgreSQL through PgBouncer (transaction pooling) and HAProxy (Patroni's /primary check).

Needs Debian's PostgreSQL 15 server binaries and nats-server (`./dev test` installs them as root); skipped
without them, or failed under DIGIPARK_REQUIRE_SERVICES=1. The Patroni run needs patroni, etcd, pgbouncer and
haproxy too; without them it is skipped with the reason (failed only under DIGIPARK_REQUIRE_SERVICES=1, and
`./dev test` installs them as root)."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster_harness import local_cluster, run_with_faults
from tests.conftest import service_unavailable

pytestmark = [pytest.mark.cluster, pytest.mark.engine_neutral]  # its own PostgreSQL, whatever the test database

BASE_PORT = 24500
PATRONI_BASE_PORT = 24600


def _cluster(folder: Path, base_port: int, patroni: bool) -> Iterator[tuple[Path, dict[str, Any]]]:
    module = local_cluster()
    missing = module.missing_patroni_binaries() if patroni else module.missing_binaries()
    if missing:
        service_unavailable(f"the local cluster's binaries{' (Patroni)' if patroni else ''}: {', '.join(missing)}")
    state = module.start(folder, base_port, patroni=patroni)
    try:
        yield folder, state
    finally:
        module.stop(folder)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    yield from _cluster(tmp_path, BASE_PORT, patroni=False)


@pytest.fixture
def patroni_cluster(tmp_path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    yield from _cluster(tmp_path, PATRONI_BASE_PORT, patroni=True)


def _get(port: int, path: str) -> tuple[int, dict[str, Any]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return int(response.status), json.loads(response.read())


def test_ingest_survives_a_nats_node_and_a_postgresql_failover(cluster: tuple[Path, dict[str, Any]]) -> None:
    _ingest_through_faults(*cluster)


def test_patroni_promotes_the_replica_and_ingest_resumes_through_pgbouncer(
    patroni_cluster: tuple[Path, dict[str, Any]],
) -> None:
    folder, state = patroni_cluster
    assert state["env"]["DIGIPARK_DATABASE_POOLER"] == "transaction"
    assert str(state["ports"]["pgbouncer"]) in state["env"]["DIGIPARK_DATABASE_URL"]  # the app goes through it
    module = local_cluster()
    assert module.leader(state) == 0
    _replica_is_read_with_its_staleness(state)
    _ingest_through_faults(folder, state)
    assert module.leader(state) == 1  # Patroni promoted node 1: the script only killed node 0


def _ingest_through_faults(folder: Path, state: dict[str, Any]) -> None:
    run = run_with_faults(folder, state, count=1200, chunk=40, pause_s=0.15)
    assert run.published_messages == 1200
    assert json.loads((folder / "cluster.json").read_text())["failed_primary"] == 0  # the failover happened
    assert run.rows == run.distinct == run.expected_readings, f"{run}\n{_log_tails(folder)}"
    assert run.recovery_s is not None, f"{run}\n{_log_tails(folder)}"

    # the web processes reconnect to the promoted primary by themselves
    proxy = state["ports"]["proxy"] if state.get("proxy_pid") else state["ports"]["web"][0]
    for _ in range(4):  # both backends, round robin
        status, body = _get(proxy, "/readyz")
        assert status == 200 and body["checks"]["database"] == "ok"


def _log_tails(folder: Path, lines: int = 25) -> str:
    """The end of each process's log, for a failure's message (the cluster's folder is gone after the test)."""
    tails = []
    for log in sorted(folder.glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        tails.append(f"--- {log.name}\n" + "\n".join(tail))
    return "\n".join(tails)


def _replica_is_read_with_its_staleness(state: dict[str, Any]) -> None:
    """HAProxy's replica front end (Patroni's /replica check) reaches the streaming replica, which core.replica
    measures (it is in recovery, so the staleness comes from its WAL receiver) and reads from."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from digipark.core import replica
    from digipark.core.config import get_settings
    from digipark.core.db import make_engine

    url = f"postgresql://postgres@127.0.0.1:{state['ports']['pg_replica']}/digipark"
    primary = make_engine(f"postgresql://postgres@127.0.0.1:{state['ports']['pg_primary']}/digipark", pooler="none")
    saved = os.environ.get("DIGIPARK_DATABASE_REPLICA_URL")
    os.environ["DIGIPARK_DATABASE_REPLICA_URL"] = url
    get_settings.cache_clear()
    try:
        with Session(primary) as db, replica.replica_reads(db) as read:
            assert read.session is not db and read.staleness_s is not None
            assert read.session.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is True
    finally:
        if saved is None:
            os.environ.pop("DIGIPARK_DATABASE_REPLICA_URL", None)
        else:
            os.environ["DIGIPARK_DATABASE_REPLICA_URL"] = saved
        get_settings.cache_clear()
        primary.dispose()
