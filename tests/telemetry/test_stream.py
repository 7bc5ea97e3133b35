"""Scale-out on NATS JetStream (DIGIPARK_TEST_NATS_URL, default nats://127.0.0.1:4222): the bridge moves MQTT
messages into the stream; `digipark ingest --worker` processes store them; a worker killed with SIGKILL in the
middle of the stream and restarted loses nothing and stores nothing twice."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, func, select

from digipark.telemetry.models import Reading
from digipark.telemetry.runtime import IngestPlan, start_plan
from digipark.telemetry.stream import HEADER_RECEIVED, HEADER_TOPIC, StreamSettings, partition_of
from tests.conftest import TEST_NATS_URL, service_unavailable, tcp_reachable
from tests.telemetry.test_mqtt_ingest import Meter, count_readings, meters, publish_all, publisher, wait_for

__all__ = ["meters"]  # the fixture, imported for these tests

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stream() -> Iterator[StreamSettings]:
    """A stream, subject and consumer of this test only, deleted afterwards."""
    if not tcp_reachable(TEST_NATS_URL, 4222):
        service_unavailable(f"NATS at {TEST_NATS_URL}")
    name = f"T{uuid.uuid4().hex[:10]}".upper()
    settings = StreamSettings(
        url=TEST_NATS_URL,
        stream=name,
        subject=f"digipark.test.{name}",
        consumer=f"c{name}",
        ack_wait_s=2.0,
        partitions=4,
        lease_s=2.0,
    )
    yield settings
    asyncio.run(_delete(settings))


async def _delete(settings: StreamSettings) -> None:
    import nats

    nc = await nats.connect(settings.url)
    try:
        for name in (settings.stream, f"KV_{settings.lease_bucket}"):
            with contextlib.suppress(Exception):
                await nc.jetstream().delete_stream(name)
    finally:
        await nc.close()


def _env(settings: StreamSettings) -> dict[str, str]:
    return {
        **os.environ,
        "DIGIPARK_STREAM_URL": settings.url,
        "DIGIPARK_STREAM_NAME": settings.stream,
        "DIGIPARK_STREAM_SUBJECT": settings.subject,
        "DIGIPARK_STREAM_CONSUMER": settings.consumer,
        "DIGIPARK_STREAM_ACK_WAIT_S": str(settings.ack_wait_s),
        "DIGIPARK_STREAM_PARTITIONS": str(settings.partitions),
        "DIGIPARK_STREAM_LEASE_S": str(settings.lease_s),
        "DIGIPARK_LOG_LEVEL": "WARNING",
    }


async def _publish_to_stream(settings: StreamSettings, messages: list[tuple[str, bytes]]) -> None:
    from digipark.telemetry import stream as streams

    nc, js = await streams.connect(settings)
    try:
        now = str(int(time.time() * 1000))
        futures = [
            await js.publish_async(
                settings.partition_subject(partition_of(topic, None, settings.partitions)),
                payload,
                headers={HEADER_TOPIC: topic, HEADER_RECEIVED: now},
            )
            for topic, payload in messages
        ]
        await asyncio.gather(*futures)
    finally:
        await nc.close()


async def _stream_messages(settings: StreamSettings) -> int:
    import nats

    nc = await nats.connect(settings.url)
    try:
        return int((await nc.jetstream().stream_info(settings.stream)).state.messages)
    finally:
        await nc.close()


def _worker(database_url: str, settings: StreamSettings, batch: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "digipark",
            "ingest",
            "--worker",
            "--batch-size",
            str(batch),
            "--database",
            database_url,
        ],
        env=_env(settings),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_a_worker_killed_mid_stream_loses_nothing_and_stores_nothing_twice(
    engine: Engine, database_url: str, stream: StreamSettings, meters: Callable[..., Meter]
) -> None:
    meter = meters(("power_kw", "voltage_v", "energy_kwh"))
    count = 1500
    now = int(time.time() * 1000)
    topic = f"digipark/v1/{meter.token}/telemetry"
    messages = [
        (
            topic,
            orjson.dumps({"ts": now - i * 100, "values": {"power_kw": i, "voltage_v": 220 + i % 10, "energy_kwh": i}}),
        )
        for i in range(count)
    ]
    asyncio.run(_publish_to_stream(stream, messages))
    point_ids = list(meter.points.values())
    expected = count * 3

    worker = _worker(database_url, stream, batch=25)
    try:
        assert wait_for(lambda: count_readings(engine, point_ids) >= 300, timeout=60), "the worker stored nothing"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        stored_at_kill = count_readings(engine, point_ids)
        assert stored_at_kill < expected  # killed mid-stream
        worker = _worker(database_url, stream, batch=200)
        assert wait_for(lambda: count_readings(engine, point_ids) == expected, timeout=90)
        assert wait_for(lambda: asyncio.run(_stream_messages(stream)) == 0, timeout=30)  # all acknowledged
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err.decode()[-2000:]
    with engine.connect() as conn:
        distinct = conn.execute(
            select(func.count()).select_from(
                select(Reading.point_id, Reading.ts).where(Reading.point_id.in_(point_ids)).distinct().subquery()
            )
        ).scalar()
    assert distinct == expected == count_readings(engine, point_ids)


def test_the_bridge_moves_mqtt_messages_into_the_stream_before_acknowledging(
    stream: StreamSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in _env(stream).items():
        if key.startswith("DIGIPARK_STREAM"):
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("DIGIPARK_MQTT_SERVICE_PASSWORD", "bridge-test-password")
    from digipark.core.config import get_settings

    get_settings.cache_clear()
    try:
        runtime = start_plan(IngestPlan(listen=("127.0.0.1", 0), stream_url=stream.url, batch_size=20))
        try:
            assert runtime.port and runtime.info.mode == "bridge"
            # the broker's service account may publish to any topic (a device only to its own)
            client = publisher("127.0.0.1", runtime.port, username="digipark", password="bridge-test-password")
            publish_all(
                client,
                [("digipark/v1/abc/telemetry", {"ts": 1, "values": {"a": i}}) for i in range(30)]
                + [("v1/devices/me/telemetry", {"a": 1})],
            )
            client.disconnect()
            client.loop_stop()
            # every PUBACK came after JetStream's publish ack: all 31 are in the stream already
            assert asyncio.run(_stream_messages(stream)) == 31
        finally:
            runtime.stop()
    finally:
        get_settings.cache_clear()


class _Runner:
    """What a JetStreamSource needs of the ingest runner: it takes every message and acknowledges it at once."""

    def __init__(self, taken: list[bytes]) -> None:
        self.taken = taken
        self.acks: set[asyncio.Task[None]] = set()

    def has_room(self) -> bool:
        return True

    def submit_many(self, messages: list[Any], source: Any, tokens: list[Any]) -> bool:
        self.taken.extend(m.payload for m in messages)
        task = asyncio.create_task(source.ack(tokens))
        self.acks.add(task)
        task.add_done_callback(self.acks.discard)
        return True

    async def wait_idle(self) -> None:
        while self.acks:
            await asyncio.sleep(0.01)


async def _until(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


def test_workers_share_the_partitions_and_one_that_stops_hands_its_partitions_over(stream: StreamSettings) -> None:
    from digipark.telemetry import stream as streams

    async def scenario() -> tuple[list[set[int]], set[int], list[bytes]]:
        nc, js = await streams.connect(stream)
        taken: list[bytes] = []
        sources = [
            streams.JetStreamSource(_Runner(taken), nc, js, stream, fetch=50, expires_s=0.5, tick_s=0.2)  # type: ignore[arg-type]
            for _ in range(2)
        ]
        tasks = [asyncio.create_task(s.run()) for s in sources]
        try:
            assert await _until(lambda: all(len(s.pullers) == 2 for s in sources)), [s.pullers for s in sources]
            shared = [set(s.pullers) for s in sources]
            messages = [(f"digipark/v1/tok-{i}/telemetry", b'{"n":%d}' % i) for i in range(200)]
            await _publish_to_stream(stream, messages)
            assert await _until(lambda: len(taken) == 200)
            sources[0].stop()
            await tasks[0]
            assert await _until(lambda: len(sources[1].pullers) == stream.partitions)
            await _publish_to_stream(stream, [(f"digipark/v1/tok-{i}/telemetry", b"{}") for i in range(40)])
            assert await _until(lambda: len(taken) == 240)
            return shared, set(sources[1].pullers), taken
        finally:
            for s in sources:
                s.stop()
            await asyncio.gather(*tasks, return_exceptions=True)
            await nc.close()

    shared, after, taken = asyncio.run(scenario())
    assert shared[0].isdisjoint(shared[1]) and shared[0] | shared[1] == set(range(stream.partitions))
    assert after == set(range(stream.partitions))
    assert sorted(p for p in taken if p != b"{}") == sorted(b'{"n":%d}' % i for i in range(200))  # each once
    assert asyncio.run(_stream_messages(stream)) == 0  # all acknowledged


class _JetStreamNotReadyAtFirst:
    """A JetStream context whose first `failures` consumer listings fail as a cluster without a meta leader does."""

    def __init__(self, js: Any, failures: int) -> None:
        self._js = js
        self.failures = failures

    async def consumers_info(self, stream: str) -> Any:
        if self.failures:
            self.failures -= 1
            from nats.js.errors import ServiceUnavailableError

            raise ServiceUnavailableError(code=503, description="JetStream system temporarily unavailable")
        return await self._js.consumers_info(stream)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._js, name)


def test_a_worker_waits_for_jetstream_to_be_ready_instead_of_leaving_its_partitions_unread(
    stream: StreamSettings,
) -> None:
    from digipark.telemetry import stream as streams

    async def scenario() -> tuple[int, list[bytes]]:
        nc, js = await streams.connect(stream)
        flaky = _JetStreamNotReadyAtFirst(js, failures=2)
        taken: list[bytes] = []
        source = streams.JetStreamSource(_Runner(taken), nc, flaky, stream, fetch=50, expires_s=0.5, tick_s=0.2)  # type: ignore[arg-type]
        task = asyncio.create_task(source.run())
        try:
            await _publish_to_stream(stream, [(f"digipark/v1/tok-{i}/telemetry", b'{"n":%d}' % i) for i in range(30)])
            assert await _until(lambda: len(taken) == 30, timeout=20), (task.done() and task.exception(), taken)
            return flaky.failures, taken
        finally:
            source.stop()
            await asyncio.gather(task, return_exceptions=True)
            await nc.close()

    failures_left, taken = asyncio.run(scenario())
    assert failures_left == 0  # it was refused twice, and went on
    assert sorted(taken) == sorted(b'{"n":%d}' % i for i in range(30))
