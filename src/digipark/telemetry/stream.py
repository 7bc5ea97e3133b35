"""Scale-out on NATS JetStream: MQTT messages go into one stream, any number of workers store them.

`digipark ingest` (the bridge) publishes every MQTT message to the stream — payload as is, the MQTT topic,
publisher user name and receipt time in headers — and acknowledges it to the MQTT broker only after JetStream
acknowledged the publish (`JetStreamSink`). The subject names one of `partitions` partitions, chosen by the
device token (`partition_of`), so a device's messages keep their order within their partition.

`digipark ingest --worker` processes (`JetStreamSource`) share the partitions: each partition has a durable pull
consumer, and a worker pulls from the partitions it holds a lease on. Leases live in a JetStream key-value bucket
whose entries expire after `lease_s` unless renewed: every second a worker renews its own, counts the live workers
and takes free partitions up to its fair share (partitions / workers, rounded up), or lets go of the ones above
it once their open pull has ended. So a partition's readings are written by one worker at a time, in order, and
two workers never wait on each other's point locks or meet each other's readings as late data. Ownership is an
optimisation, never a condition for correctness: each batch is stored in one transaction and its messages are
acknowledged after the commit; a worker killed mid-batch never acknowledged that batch, so JetStream delivers it
again after `ack_wait` to whoever pulls that partition next (its lease expires after `lease_s`), and what the dead
worker may already have committed is stored once because a reading (point, ts) is idempotent. The stream uses
work-queue retention: a message is removed once acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import random
import time
import uuid
import zlib
from typing import TYPE_CHECKING, Any

from digipark.telemetry.runner import BatchResult, IngestRunner

if TYPE_CHECKING:
    from nats.aio.client import Client as NATS
    from nats.aio.msg import Msg
    from nats.js import JetStreamContext
    from nats.js.kv import KeyValue

    from digipark.telemetry.ingest import InboundMessage

log = logging.getLogger("digipark.telemetry.stream")

HEADER_TOPIC = "Digipark-Topic"
HEADER_USERNAME = "Digipark-Username"
HEADER_RECEIVED = "Digipark-Received-Ms"
HEADER_SOURCE = "Digipark-Source"
STATUS_HEADER = "Status"  # of JetStream's status messages on a pull request's inbox
STATUS_HEARTBEAT = "100"
LAG_EVERY_TICKS = 5  # a worker reports its partitions' queue lag every this many lease renewals


@dataclasses.dataclass(frozen=True, slots=True)
class StreamSettings:
    url: str
    stream: str = "DIGIPARK_TELEMETRY"
    subject: str = "digipark.telemetry.in"
    consumer: str = "digipark-ingest"
    ack_wait_s: float = 30.0
    max_ack_pending: int = 100_000
    partitions: int = 16
    lease_s: float = 5.0
    replicas: int = 1
    setup_timeout_s: float = 60.0  # how long connect() waits for JetStream to answer

    @property
    def servers(self) -> list[str]:
        """The NATS servers of `url`: one, or a cluster's as a comma-separated list (any of them answers)."""
        return [part.strip() for part in self.url.split(",") if part.strip()]

    def partition_subject(self, partition: int) -> str:
        return f"{self.subject}.{partition}"

    def partition_consumer(self, partition: int) -> str:
        return f"{self.consumer}-p{partition}"

    @property
    def lease_bucket(self) -> str:
        return f"{self.stream}_LEASES"

    @classmethod
    def from_settings(cls, url: str | None = None) -> StreamSettings:
        from digipark.core.config import get_settings

        settings = get_settings()
        chosen = url or settings.stream_url
        if not chosen:
            raise ValueError("no stream configured: set DIGIPARK_STREAM_URL=nats://host:port")
        return cls(
            url=chosen,
            stream=settings.stream_name,
            subject=settings.stream_subject,
            consumer=settings.stream_consumer,
            ack_wait_s=settings.stream_ack_wait_s,
            max_ack_pending=settings.stream_max_ack_pending,
            partitions=settings.stream_partitions,
            lease_s=settings.stream_lease_s,
            replicas=settings.stream_replicas,
        )


def partition_of(topic: str | None, username: str | None, partitions: int) -> int:
    """The partition of a message: by its device token (a gateway's for its devices), so one device's messages
    stay in order; a message naming no token goes to partition 0 (the worker dead-letters it)."""
    from digipark.telemetry.payloads import PayloadError, route

    try:
        _fmt, token = route(topic, username)
    except PayloadError:
        token = None
    return zlib.crc32(token.encode()) % partitions if token else 0


async def connect(settings: StreamSettings) -> tuple[NATS, JetStreamContext]:
    """Connect (retrying until the server answers) and make sure the stream exists — retried for
    `settings.setup_timeout_s` while JetStream does not answer (a cluster just started, or electing a leader)."""
    import nats

    nc = await nats.connect(
        settings.servers,
        name="digipark-ingest",
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        allow_reconnect=True,
        connect_timeout=5,
    )
    js = nc.jetstream(publish_async_max_pending=20_000)
    deadline = time.monotonic() + settings.setup_timeout_s
    while True:
        try:
            await _ensure_stream(js, settings)
            return nc, js
        except Exception as exc:
            if time.monotonic() > deadline:
                await nc.close()
                raise
            log.warning("JetStream does not answer yet (%s); retrying", exc or type(exc).__name__)
            await asyncio.sleep(1.0)


async def _ensure_stream(js: JetStreamContext, settings: StreamSettings) -> None:
    from nats.js.api import RetentionPolicy, StorageType, StreamConfig
    from nats.js.errors import NotFoundError

    subjects = [f"{settings.subject}.*"]
    try:
        info = await js.stream_info(settings.stream)
    except NotFoundError:
        await js.add_stream(
            StreamConfig(
                name=settings.stream,
                subjects=subjects,
                retention=RetentionPolicy.WORK_QUEUE,
                storage=StorageType.FILE,
                num_replicas=settings.replicas,
            )
        )
        log.info("created JetStream stream %s (%s)", settings.stream, subjects[0])
        return
    if info.config.subjects != subjects:  # a stream of the unpartitioned layout, or of another subject
        await js.update_stream(dataclasses.replace(info.config, subjects=subjects))
        log.info("JetStream stream %s now takes %s", settings.stream, subjects[0])


class JetStreamSink:
    """The bridge's sink: publish the batch to the stream and return once JetStream acknowledged all of it."""

    def __init__(self, js: JetStreamContext, settings: StreamSettings) -> None:
        self.js = js
        self.settings = settings

    async def __call__(self, messages: list[InboundMessage]) -> BatchResult:
        settings = self.settings
        futures: list[asyncio.Future[Any]] = []
        for message in messages:
            subject = settings.partition_subject(partition_of(message.topic, message.username, settings.partitions))
            headers = {HEADER_RECEIVED: str(message.received_ms), HEADER_SOURCE: message.source}
            if message.topic is not None:
                headers[HEADER_TOPIC] = message.topic
            if message.username is not None:
                headers[HEADER_USERNAME] = message.username
            futures.append(await self.js.publish_async(subject, message.payload, headers=headers))
        await asyncio.gather(*futures)
        return BatchResult(messages=len(messages))


def message_of(msg: Msg) -> InboundMessage:
    from digipark.telemetry.ingest import InboundMessage

    headers = msg.headers or {}
    received = headers.get(HEADER_RECEIVED)
    return InboundMessage(
        headers.get(HEADER_SOURCE, "mqtt"),
        headers.get(HEADER_TOPIC),
        headers.get(HEADER_USERNAME),
        msg.data,
        int(received) if received else 0,
    )


class _Puller:
    """Pull requests for one partition's consumer, one at a time, answered on an inbox of its own: the messages go
    to the runner (nats-py's `fetch` spends a task, a timer and a uuid on every message)."""

    def __init__(self, source: JetStreamSource, partition: int) -> None:
        self.source = source
        self.partition = partition
        self._buffer: list[Msg] = []
        self._wanted = 0  # messages the open request may still bring
        self._ended = asyncio.Event()  # the open request is done: all of it came, or the server ended it
        self._ended.set()
        self._stopping = False
        self.task: asyncio.Task[None] | None = None

    async def _on_message(self, msg: Msg) -> None:
        headers = msg.headers
        if headers is not None and (status := headers.get(STATUS_HEADER)) is not None:
            if status != STATUS_HEARTBEAT:  # 404 no messages, 408 request expired, 409 ...: the request is over
                self._ended.set()
            return
        if self.source.stopping:
            return  # not acknowledged: JetStream delivers it again
        if not self._buffer:
            asyncio.get_running_loop().call_soon(self._submit)  # once the messages read so far are queued
        self._buffer.append(msg)
        self._wanted -= 1
        if self._wanted <= 0:
            self._ended.set()

    def _submit(self) -> None:
        msgs, self._buffer = self._buffer, []
        if msgs and not self.source.stopping:
            runner = self.source.runner
            runner.submit_many([message_of(msg) for msg in msgs], self.source, msgs)

    async def run(self) -> None:
        import orjson

        source = self.source
        settings = source.settings
        nc = source.nc
        runner = source.runner
        inbox = nc.new_inbox()
        sub = await nc.subscribe(inbox, cb=self._on_message, pending_msgs_limit=-1, pending_bytes_limit=-1)
        pull = f"$JS.API.CONSUMER.MSG.NEXT.{settings.stream}.{settings.partition_consumer(self.partition)}"
        expires = int(source.expires_s * 1e9)
        try:
            while not self._stopping and not source.stopping:
                while not runner.has_room() and not self._stopping and not source.stopping:
                    await asyncio.sleep(0.01)
                if self._stopping or source.stopping:
                    break
                batch = max(1, source.fetch // max(1, len(source.pullers)))
                self._ended.clear()
                self._wanted = batch
                try:
                    await nc.publish(pull, orjson.dumps({"batch": batch, "expires": expires}), reply=inbox)
                    await asyncio.wait_for(self._ended.wait(), source.expires_s + 5)
                except TimeoutError:  # no answer (reconnecting): ask again
                    continue
                except Exception as exc:
                    if self._stopping or source.stopping:
                        break
                    log.warning("pulling partition %d failed: %s; retrying", self.partition, exc)
                    await asyncio.sleep(1.0)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def finish(self) -> None:
        """No new requests; the open one is answered and handed on before this returns."""
        self._stopping = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ended.wait(), self.source.expires_s + 5)
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self.task, 5)


class JetStreamSource:
    """A worker's source: holds leases on partitions (see the module docstring), pulls from their consumers, and
    acknowledges each message after its batch committed."""

    def __init__(
        self,
        runner: IngestRunner,
        nc: NATS,
        js: JetStreamContext,
        settings: StreamSettings,
        *,
        fetch: int,
        expires_s: float = 1.0,
        tick_s: float = 1.0,
    ) -> None:
        self.runner = runner
        self.nc = nc
        self.js = js
        self.settings = settings
        self.fetch = fetch
        self.expires_s = expires_s
        self.tick_s = tick_s
        self.worker_id = uuid.uuid4().hex[:16]
        self.stopping = False
        self._wake = asyncio.Event()
        self.pullers: dict[int, _Puller] = {}
        self._revisions: dict[int, int] = {}  # partition -> revision of our lease entry
        self._lag_reported: set[int] = set()

    async def ack(self, tokens: list[Msg]) -> None:
        for msg in tokens:  # one after the other: a task per message (gather) costs more than the publish
            await msg.ack()

    async def _ensure_consumers(self) -> None:
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
        from nats.js.errors import NotFoundError

        settings = self.settings
        existing = {c.name for c in await self.js.consumers_info(settings.stream)}
        if settings.consumer in existing:  # the unpartitioned layout's consumer would take every subject
            await self.js.delete_consumer(settings.stream, settings.consumer)
        for partition in range(settings.partitions):
            name = settings.partition_consumer(partition)
            if name in existing:
                continue
            config = ConsumerConfig(
                durable_name=name,
                filter_subject=settings.partition_subject(partition),
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=settings.ack_wait_s,
                max_ack_pending=settings.max_ack_pending,
                max_waiting=512,
            )
            try:
                await self.js.add_consumer(settings.stream, config)
            except Exception:  # another worker created it a moment ago
                with contextlib.suppress(NotFoundError):
                    await self.js.consumer_info(settings.stream, name)
                    continue
                raise

    async def _leases(self) -> KeyValue:
        from nats.js.api import KeyValueConfig
        from nats.js.errors import BucketNotFoundError

        bucket = self.settings.lease_bucket
        try:
            return await self.js.key_value(bucket)
        except BucketNotFoundError:
            return await self.js.create_key_value(
                KeyValueConfig(bucket=bucket, ttl=self.settings.lease_s, history=1, replicas=self.settings.replicas)
            )

    async def _rebalance(self, kv: KeyValue) -> None:
        """Renew this worker's entry and leases; take free partitions up to the fair share, let go of extra ones."""
        from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError, NoKeysError

        me = self.worker_id.encode()
        await kv.put(f"worker.{self.worker_id}", b"")
        try:
            keys = await kv.keys()
        except NoKeysError:
            keys = []
        workers = sum(1 for key in keys if key.startswith("worker.")) or 1
        held = {int(key.split(".")[1]) for key in keys if key.startswith("partition.")}
        fair = math.ceil(self.settings.partitions / workers)
        for partition in list(self._revisions):
            try:
                self._revisions[partition] = await kv.update(
                    f"partition.{partition}", me, last=self._revisions[partition]
                )
            except (KeyWrongLastSequenceError, KeyNotFoundError):  # expired, and taken by another worker
                log.warning("lost the lease on partition %d", partition)
                self._revisions.pop(partition)
                await self._drop(partition)
        extra = sorted(self._revisions)[fair:]
        await asyncio.gather(*(self._drop(partition) for partition in extra))
        for partition in extra:
            with contextlib.suppress(Exception):
                await kv.delete(f"partition.{partition}", last=self._revisions.pop(partition))
        free = [p for p in range(self.settings.partitions) if p not in held]
        random.shuffle(free)
        for partition in free[: max(0, fair - len(self._revisions))]:
            try:
                self._revisions[partition] = await kv.create(f"partition.{partition}", me)
            except KeyWrongLastSequenceError:  # another worker was quicker
                continue
            puller = _Puller(self, partition)
            self.pullers[partition] = puller
            puller.task = asyncio.create_task(puller.run(), name=f"digipark-jetstream-p{partition}")

    async def _drop(self, partition: int) -> None:
        puller = self.pullers.pop(partition, None)
        if puller is not None:
            await puller.finish()

    async def _set_up(self) -> KeyValue:
        """The consumers and the lease bucket, retried while JetStream is not ready (a cluster electing its
        leaders): a worker that gave up here would leave its share of the stream unread."""
        delay = 0.5
        while True:
            try:
                await self._ensure_consumers()
                return await self._leases()
            except Exception as exc:
                if self.stopping:
                    raise
                log.warning("setting up the stream's consumers failed (%s); retrying", exc or type(exc).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
                delay = min(2 * delay, 5.0)

    async def run(self) -> None:
        kv = await self._set_up()
        log.info("worker %s consuming %s", self.worker_id, self.settings.stream)
        ticks = 0
        try:
            while not self.stopping:
                try:
                    await self._rebalance(kv)
                except Exception as exc:
                    log.warning("renewing the partition leases failed: %s; retrying", exc)
                ticks += 1
                if ticks % LAG_EVERY_TICKS == 0:
                    await self._report_lag()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.tick_s)
        finally:
            self.stopping = True
            for puller in list(self.pullers.values()):
                if puller.task is not None:
                    puller.task.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self.runner.wait_idle(), 30)  # committed and acknowledged first
            with contextlib.suppress(Exception, asyncio.CancelledError):
                for partition, revision in self._revisions.items():
                    await kv.delete(f"partition.{partition}", last=revision)
                await kv.delete(f"worker.{self.worker_id}")

    async def _report_lag(self) -> None:
        """Queue lag of the partitions this worker holds, for Prometheus (gauges of partitions let go are
        removed)."""
        from digipark.core import metrics

        held = set(self.pullers)
        for partition in self._lag_reported - held:
            with contextlib.suppress(KeyError):
                metrics.STREAM_PENDING.remove(str(partition))
                metrics.STREAM_ACK_PENDING.remove(str(partition))
        self._lag_reported = held
        for partition in held:
            try:
                info = await self.js.consumer_info(self.settings.stream, self.settings.partition_consumer(partition))
            except Exception:  # a leader election in the cluster: the next report
                continue
            metrics.STREAM_PENDING.labels(str(partition)).set(info.num_pending or 0)
            metrics.STREAM_ACK_PENDING.labels(str(partition)).set(info.num_ack_pending or 0)

    def stop(self) -> None:
        self.stopping = True
        self._wake.set()


async def close(nc: NATS) -> None:
    with contextlib.suppress(Exception):
        await nc.flush(timeout=5)
    with contextlib.suppress(Exception):
        await nc.close()
