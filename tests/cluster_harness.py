"""Ingest through the local cluster (deploy/local-cluster) with faults: what tests/test_cluster.py asserts and
bench/cluster.py measures. Readings go in as the bridge puts them (JetStream publishes, with the topic header, to
the device's partition); a message counts as published once JetStream acknowledged it."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import sys
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
from sqlalchemy import Engine, func, select, text

from digipark.audit.service import Actor, set_actor
from digipark.core.db import make_engine
from digipark.telemetry.models import Reading
from digipark.telemetry.stream import HEADER_RECEIVED, HEADER_TOPIC, StreamSettings, partition_of
from tests.telemetry.test_mqtt_ingest import Meter, make_meter

ROOT = Path(__file__).resolve().parents[1]
KEYS = ("power_kw", "voltage_v", "energy_kwh")


def local_cluster() -> ModuleType:
    """deploy/local_cluster.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("local_cluster", ROOT / "deploy" / "local_cluster.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("local_cluster", module)
    spec.loader.exec_module(module)
    return module


def cluster_engine(state: dict[str, Any]) -> Engine:
    """An engine on the cluster's database as its processes reach it (through PgBouncer under Patroni)."""
    env = state["env"]
    return make_engine(env["DIGIPARK_DATABASE_URL"], pooler=env.get("DIGIPARK_DATABASE_POOLER", "none"))


def stream_settings(state: dict[str, Any]) -> StreamSettings:
    env = state["env"]
    return StreamSettings(
        url=env["DIGIPARK_STREAM_URL"],
        partitions=int(env["DIGIPARK_STREAM_PARTITIONS"]),
        replicas=int(env["DIGIPARK_STREAM_REPLICAS"]),
        ack_wait_s=float(env["DIGIPARK_STREAM_ACK_WAIT_S"]),
        lease_s=float(env["DIGIPARK_STREAM_LEASE_S"]),
    )


def seed(engine: Engine, code: str = "CL") -> Meter:
    """A park and one meter with three points on the cluster's database."""
    from sqlalchemy.orm import Session

    from digipark.registry.service import create_park

    with Session(engine) as db, db.begin():
        set_actor(db, Actor("cluster-test"))
        park = create_park(db, code=code, name=f"集群园区{code}", region_code="320507")
        park_id = park.id
    return make_meter(engine, park_id, KEYS)


def messages(meter: Meter, count: int, start_ms: int) -> list[tuple[str, bytes]]:
    topic = f"digipark/v1/{meter.token}/telemetry"
    return [
        (topic, orjson.dumps({"ts": start_ms - i * 100, "values": {"power_kw": i, "voltage_v": 220, "energy_kwh": i}}))
        for i in range(count)
    ]


def stored(engine: Engine, meter: Meter) -> tuple[int, int]:
    """(rows, distinct (point, ts)) of the meter's readings."""
    point_ids = list(meter.points.values())
    with engine.connect() as conn:
        rows = conn.scalar(select(func.count()).select_from(Reading).where(Reading.point_id.in_(point_ids)))
        distinct = conn.scalar(
            select(func.count()).select_from(
                select(Reading.point_id, Reading.ts).where(Reading.point_id.in_(point_ids)).distinct().subquery()
            )
        )
    return int(rows or 0), int(distinct or 0)


def stored_on(port: int, meter: Meter) -> int:
    """Readings of the meter on the PostgreSQL server at `port` itself (a replica too)."""
    engine = make_engine(f"postgresql://postgres@127.0.0.1:{port}/{local_cluster().DATABASE}", pooler="none")
    try:
        return stored(engine, meter)[0]
    finally:
        engine.dispose()


def stored_or_none(engine: Engine, meter: Meter) -> int | None:
    try:
        return stored(engine, meter)[0]
    except Exception:  # the primary is gone for a moment
        return None


async def _publish_one(js: Any, subject: str, payload: bytes, headers: dict[str, str]) -> None:
    """Publish until JetStream acknowledges (a node may be down, a stream leader being elected)."""
    for attempt in range(60):
        try:
            await js.publish(subject, payload, headers=headers, timeout=2)
            return
        except Exception:
            await asyncio.sleep(min(0.1 * (attempt + 1), 1.0))
    raise RuntimeError("JetStream did not acknowledge a publish for a minute")


async def publish(
    settings: StreamSettings,
    batch: list[tuple[str, bytes]],
    *,
    chunk: int = 50,
    pause_s: float = 0.0,
    on_chunk: Any = None,
) -> int:
    """Publish `batch` as the bridge would; returns how many JetStream acknowledged. `on_chunk(i)` is called
    (in a thread, not awaited) after chunk i, to inject faults while publishing goes on."""
    from digipark.telemetry import stream as streams

    nc, js = await streams.connect(settings)
    acked = 0
    faults: list[threading.Thread] = []
    try:
        for index in range(0, len(batch), chunk):
            now = str(int(time.time() * 1000))
            part = batch[index : index + chunk]
            sends = []
            for topic, payload in part:
                subject = settings.partition_subject(partition_of(topic, None, settings.partitions))
                sends.append(_publish_one(js, subject, payload, {HEADER_TOPIC: topic, HEADER_RECEIVED: now}))
            await asyncio.gather(*sends)
            acked += len(part)
            if on_chunk is not None:
                thread = threading.Thread(target=on_chunk, args=(index // chunk,), daemon=True)
                thread.start()
                faults.append(thread)
            if pause_s:
                await asyncio.sleep(pause_s)
        for thread in faults:
            await asyncio.to_thread(thread.join, 60)
    finally:
        await nc.close()
    return acked


@dataclasses.dataclass
class FaultRun:
    published_messages: int
    expected_readings: int
    rows: int
    distinct: int
    failover_s: float
    recovery_s: float | None
    drained: bool


def run_with_faults(
    folder: Path,
    state: dict[str, Any],
    *,
    count: int = 1500,
    chunk: int = 50,
    pause_s: float = 0.2,
    timeout: float = 90,
) -> FaultRun:
    """Publish `count` messages (3 readings each) paced over a while; a third of the way in kill NATS node 1,
    two thirds in fail PostgreSQL over (primary SIGKILLed, replica promoted), and wait for every acknowledged
    reading to be stored. recovery_s: from the primary's kill until the ingest stores readings again (more than
    the surviving server held just after the kill)."""
    cluster = local_cluster()
    engine = cluster_engine(state)
    try:
        meter = seed(engine)
        chunks = (count + chunk - 1) // chunk
        timeline: dict[str, float] = {}

        def baseline(survivor_port: int) -> None:
            """Right after the kill: what the surviving server holds (it is read-only until promoted; a moment
            for it to replay the last synchronously committed WAL)."""
            time.sleep(0.5)
            timeline["baseline"] = float(stored_on(survivor_port, meter))

        def fault(index: int) -> None:
            if index == chunks // 3:
                cluster.kill_nats(folder, 1)
            elif index == 2 * chunks // 3:
                timeline["kill"] = time.monotonic()
                timeline["failover_s"] = cluster.failover(folder, after_kill=baseline)
                while time.monotonic() < timeline["kill"] + timeout:  # until the ingest stores again
                    now_stored = stored_or_none(engine, meter)
                    if now_stored is not None and now_stored > timeline["baseline"]:
                        timeline["recovered"] = time.monotonic() - timeline["kill"]
                        return
                    time.sleep(0.1)

        batch = messages(meter, count, int(time.time() * 1000))
        published = asyncio.run(publish(stream_settings(state), batch, chunk=chunk, pause_s=pause_s, on_chunk=fault))
        expected = published * len(KEYS)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and stored_or_none(engine, meter) != expected:
            time.sleep(0.2)
        recovered = timeline.get("recovered")
        rows, distinct = stored(engine, meter)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT NOT pg_is_in_recovery()")).scalar_one()  # on the promoted primary
        return FaultRun(
            published,
            expected,
            rows,
            distinct,
            round(timeline.get("failover_s", float("nan")), 2),
            round(recovered, 2) if recovered is not None else None,
            rows == expected,
        )
    finally:
        engine.dispose()


def throughput(state: dict[str, Any], count: int) -> tuple[float, int]:
    """Readings per second that the workers store from a backlog of `count` messages published at once
    (from the first publish until the last reading is stored), and the readings stored."""
    engine = cluster_engine(state)
    try:
        meters = [seed(engine, f"TP{i}") for i in range(8)]  # several devices: several partitions, both workers
        per = count // len(meters)
        batch = [m for meter in meters for m in messages(meter, per, int(time.time() * 1000))]
        started = time.monotonic()
        asyncio.run(publish(stream_settings(state), batch, chunk=500))
        expected = per * len(meters) * len(KEYS)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and sum(stored(engine, m)[0] for m in meters) < expected:
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        total = sum(stored(engine, m)[0] for m in meters)
        return total / elapsed, total
    finally:
        engine.dispose()
