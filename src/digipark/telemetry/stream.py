"""Scale-out on NATS JetStream: MQTT messages go into one stream, any number of workers store them.

`digipark ingest` (the bridge) publishes every MQTT message to the stream — payload as is, the MQTT topic,
publisher user name and receipt time in headers — and acknowledges it to the MQTT broker only after JetStream
acknowledged the publish (`JetStreamSink`). `digipark ingest --worker` processes share one durable pull
consumer (`JetStreamSource`): each fetches a batch, stores it in one transaction and acknowledges the
messages after the commit. A worker killed mid-batch never acknowledged that batch, so JetStream delivers it
again after `ack_wait` to whichever worker asks next; what the dead worker may already have committed is
stored once because a reading (point, ts) is idempotent. The stream uses work-queue retention: a message is
removed once acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from digipark.telemetry.runner import BatchResult, IngestRunner

if TYPE_CHECKING:
    from nats.aio.client import Client as NATS
    from nats.aio.msg import Msg
    from nats.js import JetStreamContext

    from digipark.telemetry.ingest import InboundMessage

log = logging.getLogger("digipark.telemetry.stream")

HEADER_TOPIC = "Digipark-Topic"
HEADER_USERNAME = "Digipark-Username"
HEADER_RECEIVED = "Digipark-Received-Ms"
HEADER_SOURCE = "Digipark-Source"


@dataclass(frozen=True, slots=True)
class StreamSettings:
    url: str
    stream: str = "DIGIPARK_TELEMETRY"
    subject: str = "digipark.telemetry.in"
    consumer: str = "digipark-ingest"
    ack_wait_s: float = 30.0
    max_ack_pending: int = 100_000

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
        )


async def connect(settings: StreamSettings) -> tuple[NATS, JetStreamContext]:
    """Connect (retrying until the server answers) and make sure the stream exists."""
    import nats
    from nats.js.api import RetentionPolicy, StorageType, StreamConfig
    from nats.js.errors import NotFoundError

    nc = await nats.connect(
        settings.url,
        name="digipark-ingest",
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        allow_reconnect=True,
        connect_timeout=5,
    )
    js = nc.jetstream(publish_async_max_pending=20_000)
    try:
        await js.stream_info(settings.stream)
    except NotFoundError:
        await js.add_stream(
            StreamConfig(
                name=settings.stream,
                subjects=[settings.subject],
                retention=RetentionPolicy.WORK_QUEUE,
                storage=StorageType.FILE,
            )
        )
        log.info("created JetStream stream %s (%s)", settings.stream, settings.subject)
    return nc, js


class JetStreamSink:
    """The bridge's sink: publish the batch to the stream and return once JetStream acknowledged all of it."""

    def __init__(self, js: JetStreamContext, settings: StreamSettings) -> None:
        self.js = js
        self.settings = settings

    async def __call__(self, messages: list[InboundMessage]) -> BatchResult:
        subject = self.settings.subject
        futures: list[asyncio.Future[Any]] = []
        for message in messages:
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


class JetStreamSource:
    """A worker's source: fetch batches from the durable pull consumer, ack each message after the commit."""

    def __init__(self, runner: IngestRunner, js: JetStreamContext, settings: StreamSettings, *, fetch: int) -> None:
        self.runner = runner
        self.js = js
        self.settings = settings
        self.fetch = fetch
        self._stopping = False

    async def _subscription(self) -> Any:
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        config = ConsumerConfig(
            durable_name=self.settings.consumer,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.settings.ack_wait_s,
            max_ack_pending=self.settings.max_ack_pending,
            max_waiting=512,
        )
        return await self.js.pull_subscribe(
            self.settings.subject, durable=self.settings.consumer, stream=self.settings.stream, config=config
        )

    async def ack(self, tokens: list[Any]) -> None:
        for msg in tokens:  # one after the other: a task per message (gather) costs more than the publish
            await msg.ack()

    async def run(self) -> None:
        from nats.errors import TimeoutError as NatsTimeout

        sub = await self._subscription()
        log.info("worker consuming %s as %s", self.settings.stream, self.settings.consumer)
        while not self._stopping:
            while not self.runner.has_room() and not self._stopping:
                await asyncio.sleep(0.01)
            try:
                msgs: Sequence[Msg] = await sub.fetch(self.fetch, timeout=1.0)
            except (NatsTimeout, TimeoutError):
                continue
            except Exception as exc:
                if self._stopping:
                    break
                log.warning("fetching from JetStream failed: %s; retrying", exc)
                await asyncio.sleep(1.0)
                continue
            if self._stopping:
                break  # not acknowledged: JetStream delivers them again
            self.runner.submit_many([message_of(msg) for msg in msgs], self, list(msgs))

    def stop(self) -> None:
        self._stopping = True


async def close(nc: NATS) -> None:
    with contextlib.suppress(Exception):
        await nc.flush(timeout=5)
    with contextlib.suppress(Exception):
        await nc.close()
