"""PostgreSQL servers of their own for a park's readings on another server (telemetry.shards): a coordinator
(the application's database, migrated) and servers for parks' readings, started with deploy/local_cluster.py's
`start_postgres` on loopback ports; what tests/test_shards.py asserts and bench/shard.py measures."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from digipark.audit.service import Actor, set_actor
from digipark.core import migrate
from digipark.core.db import make_engine
from digipark.registry import service as registry
from digipark.registry.models import Park
from digipark.telemetry import shards
from tests.cluster_harness import local_cluster
from tests.telemetry.test_mqtt_ingest import make_meter


@dataclasses.dataclass
class Servers:
    coordinator_url: str
    shard_urls: list[str]
    folders: list[Path]
    engine: Engine


def missing_binaries() -> list[str]:
    module = local_cluster()
    return [str(module.PG_BIN / name) for name in ("initdb", "pg_ctl", "psql") if not (module.PG_BIN / name).exists()]


@contextlib.contextmanager
def servers(folder: Path, base_port: int, shard_count: int = 1) -> Iterator[Servers]:
    """A migrated coordinator on `base_port` and `shard_count` empty servers on the next ports; all stopped and
    removed afterwards."""
    module = local_cluster()
    folders: list[Path] = []
    engine: Engine | None = None
    try:
        urls = []
        for index in range(shard_count + 1):
            folders.append(folder / f"pg{index}")
            urls.append(module.start_postgres(folders[-1], base_port + index)["url"])
        migrate.upgrade(urls[0])
        engine = make_engine(urls[0], pooler="none")
        yield Servers(urls[0], urls[1:], folders, engine)
    finally:
        if engine is not None:
            engine.dispose()
        for server in folders:
            with contextlib.suppress(SystemExit):
                module.stop(server)


def kill(servers: Servers, index: int) -> None:
    """SIGKILL server `index` (1 = the first server of parks' readings): a lost machine."""
    local_cluster().kill_postgres(servers.folders[index])


def park_with_points(engine: Engine, code: str, count: int) -> tuple[int, list[int]]:
    """A park and `count` power points of one meter in it (committed)."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as db, db.begin():
        set_actor(db, Actor("shard-test"))
        park_id = registry.create_park(db, code=code, name=f"分片园区{code}", region_code="320507").id
    meter = make_meter(engine, park_id, tuple(f"p{index}" for index in range(count)))
    return park_id, list(meter.points.values())


def attach(engine: Engine, park_id: int, url: str) -> shards.Moved:
    with Session(engine) as db, db.begin():
        set_actor(db, Actor("shard-test"))
        park = db.get(Park, park_id)
        assert park is not None
        return shards.attach(db, park, url)


def count_there(url: str, park_id: int) -> tuple[int, Any]:
    """(rows, sum of values) of the park's readings, counted on that server directly."""
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*), sum(value) FROM {shards.table_name(park_id)}").fetchone()
        assert row is not None
        return int(row[0]), row[1]
