"""The ingest pipeline: sources → batches → one committed transaction per batch → acknowledgements.

Sources (the embedded broker, an external MQTT broker, a NATS JetStream consumer) `submit` each message with
an ack token. The runner takes whatever has arrived (up to `batch_size`; while the sink holds as many batches
as it takes at a time — `concurrency`, DatabaseSink(concurrency=2): one parsed and COPYed while the other
waits on PostgreSQL — the next one fills, so batches grow with the load and stay small when it is light),
hands it to a sink
— normally `DatabaseSink`: `with transaction() as s: ingestor.ingest(s, batch)` in a worker thread — and only
after the sink returns (the transaction is committed) gives the tokens back to their sources to acknowledge.
A failing sink is retried with back-off; nothing is acknowledged until it succeeds, so a crash loses nothing.

Back-pressure: when more than `max_pending` messages wait, `submit` answers False and the source stops
reading its socket until the runner calls the resume callbacks it registered.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import itertools
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from digipark.core import metrics as prometheus
from digipark.telemetry.mqtt import backoff_delay

if TYPE_CHECKING:
    from digipark.telemetry.ingest import InboundMessage, Ingestor

log = logging.getLogger("digipark.telemetry.runner")


class Acker(Protocol):
    """A source: acknowledges the tokens of committed messages (may return an awaitable)."""

    def ack(self, tokens: list[Any]) -> Awaitable[None] | None: ...


@dataclass(slots=True)
class BatchResult:
    messages: int
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0


Sink = Callable[[list["InboundMessage"]], Awaitable[BatchResult]]


@dataclass(slots=True)
class Metrics:
    received: int = 0
    messages: int = 0  # committed
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0
    failures: int = 0
    max_lag_ms: int = 0  # receipt to commit, since the last report
    started: float = field(default_factory=time.monotonic)


class IngestRunner:
    """Batches submitted messages through a sink and acknowledges them after it succeeds."""

    def __init__(
        self,
        sink: Sink,
        *,
        batch_size: int = 5000,
        max_pending: int = 50_000,
        linger_s: float = 0.0,
        report_every_s: float = 10.0,
        name: str = "ingest",
        concurrency: int | None = None,
    ) -> None:
        self.sink = sink
        # batches handed to the sink at a time: while one commits (waiting on the database) the next one is
        # parsed and staged; the sink says how many it can take (DatabaseSink: 2), default 1
        self.concurrency = max(1, concurrency if concurrency is not None else int(getattr(sink, "concurrency", 1)))
        self._slots = asyncio.Semaphore(self.concurrency)
        self._inflight: set[asyncio.Task[None]] = set()
        self.batch_size = batch_size
        self.max_pending = max_pending
        self.linger_s = linger_s
        self.report_every_s = report_every_s
        self.name = name
        self.metrics = Metrics()
        # chunks in arrival order: (source, messages, tokens), as the sources hand them in
        self._chunks: collections.deque[tuple[Acker, list[InboundMessage], list[Any]]] = collections.deque()
        self._pending = 0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False
        self._resume: list[Callable[[], None]] = []
        self._paused = False
        self._last_report = time.monotonic()
        self._reported = Metrics()
        self.on_batch: Callable[[list[InboundMessage], BatchResult], None] | None = None
        # sees each message as it is submitted, before it is stored (the rules engine's `on_received`)
        self.on_receive: Callable[[list[InboundMessage]], None] | None = None

    # -- sources

    def submit(self, message: InboundMessage, source: Acker, token: Any) -> bool:
        """Queue one message; False when the queue is over its limit (the caller should stop reading)."""
        return self.submit_many([message], source, [token])

    def submit_many(self, messages: list[InboundMessage], source: Acker, tokens: list[Any]) -> bool:
        """Queue messages of one source with their ack tokens; False when over the limit (stop reading)."""
        if not messages:
            return True
        if self.on_receive is not None:
            try:
                with prometheus.RULE_SECONDS.time():  # the rules engine's evaluation of these messages
                    self.on_receive(messages)
            except Exception:  # storing goes on whatever a consumer does
                log.exception("%s: on_receive failed", self.name)
        self._chunks.append((source, messages, tokens))
        self._pending += len(messages)
        self.metrics.received += len(messages)
        self._idle.clear()
        self._wake.set()
        if self._pending >= self.max_pending:
            self._paused = True
            return False
        return True

    def on_capacity(self, resume: Callable[[], None]) -> None:
        """Register a callback run when the queue has room again after submit answered False."""
        self._resume.append(resume)

    @property
    def pending(self) -> int:
        return self._pending

    def has_room(self) -> bool:
        return self._pending < self.max_pending

    async def wait_idle(self) -> None:
        """Until every submitted message is committed and acknowledged."""
        await self._idle.wait()

    # -- the loop

    def _take(self) -> list[tuple[Acker, list[InboundMessage], list[Any]]]:
        """Up to batch_size messages from the front of the queue, as chunks (the last one may be split)."""
        taken: list[tuple[Acker, list[InboundMessage], list[Any]]] = []
        room = self.batch_size
        chunks = self._chunks
        while chunks and room > 0:
            source, messages, tokens = chunks.popleft()
            if len(messages) > room:
                chunks.appendleft((source, messages[room:], tokens[room:]))
                messages, tokens = messages[:room], tokens[:room]
            taken.append((source, messages, tokens))
            room -= len(messages)
        self._pending -= self.batch_size - room
        return taken

    async def run(self) -> None:
        try:
            while True:
                if not self._chunks:
                    if not self._inflight:
                        self._idle.set()
                        if self._stopping:
                            return
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                await self._slots.acquire()
                if not self._chunks:
                    self._slots.release()
                    continue
                if self.linger_s and self._pending < self.batch_size:
                    await asyncio.sleep(self.linger_s)
                batch = self._take()
                if self._paused and self._pending < self.max_pending // 2:
                    self._paused = False
                    for resume in self._resume:
                        resume()
                task = asyncio.create_task(self._run_one(batch))
                self._inflight.add(task)
        finally:
            for task in list(self._inflight):
                task.cancel()

    async def _run_one(self, batch: list[tuple[Acker, list[InboundMessage], list[Any]]]) -> None:
        try:
            await self._process(batch)
            self._maybe_report()
        finally:
            task = asyncio.current_task()
            if task is not None:
                self._inflight.discard(task)
            self._slots.release()
            self._wake.set()  # run() re-checks whether everything is done

    async def _process(self, batch: list[tuple[Acker, list[InboundMessage], list[Any]]]) -> None:
        messages = batch[0][1] if len(batch) == 1 else [m for chunk in batch for m in chunk[1]]
        attempt = 0
        while True:
            began = time.perf_counter()
            try:
                result = await self.sink(messages)
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                prometheus.INGEST_FAILURES.inc()
                self.metrics.failures += 1
                delay = backoff_delay(attempt, base=0.2, cap=10.0)
                attempt += 1
                log.exception("%s: batch of %d messages failed; retrying in %.1f s", self.name, len(messages), delay)
                await asyncio.sleep(delay)
        now_ms = time.time_ns() // 1_000_000
        metrics = self.metrics
        metrics.max_lag_ms = max(metrics.max_lag_ms, now_ms - messages[0].received_ms)
        metrics.batches += 1
        metrics.messages += result.messages
        metrics.stored += result.stored
        metrics.duplicates += result.duplicates
        metrics.rejected += result.rejected
        prometheus.observe_batch(
            messages=result.messages,
            stored=result.stored,
            duplicates=result.duplicates,
            rejected=result.rejected,
            seconds=time.perf_counter() - began,
            lag_s=(now_ms - messages[0].received_ms) / 1000,
        )
        await self._ack(batch)
        if self.on_batch is not None:
            self.on_batch(messages, result)

    @staticmethod
    async def _ack(batch: Sequence[tuple[Acker, list[InboundMessage], list[Any]]]) -> None:
        by_source: dict[int, tuple[Acker, list[Any]]] = {}
        for source, _, tokens in batch:
            entry = by_source.get(id(source))
            if entry is None:
                by_source[id(source)] = (source, list(tokens))
            else:
                entry[1].extend(tokens)
        for source, all_tokens in by_source.values():
            try:
                outcome = source.ack(all_tokens)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:  # the source redelivers what it did not get acknowledged
                log.warning("acknowledging %d messages failed", len(all_tokens), exc_info=True)

    def _maybe_report(self, force: bool = False) -> None:
        now = time.monotonic()
        elapsed = now - self._last_report
        if not force and elapsed < self.report_every_s:
            return
        m, r = self.metrics, self._reported
        log.info(
            "%s: %d messages (%.0f/s), %d readings stored (%.0f/s), %d duplicates, %d rejected, %d pending, "
            "max lag %d ms",
            self.name,
            m.messages,
            (m.messages - r.messages) / max(elapsed, 1e-9),
            m.stored,
            (m.stored - r.stored) / max(elapsed, 1e-9),
            m.duplicates,
            m.rejected,
            self._pending,
            m.max_lag_ms,
        )
        self._reported = Metrics(messages=m.messages, stored=m.stored)
        m.max_lag_ms = 0
        self._last_report = now

    async def stop(self, timeout: float = 30.0) -> None:
        """Finish (commit and acknowledge) what was submitted, then end run()."""
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=timeout)
        except TimeoutError:
            log.warning("%s: stopped with %d messages uncommitted (the broker keeps them)", self.name, self.pending)
        self._maybe_report(force=True)


class DatabaseSink:
    """Stores a batch in one transaction: `with transaction() as s: ingestor.ingest(s, batch)`, in a worker
    thread (`concurrency` of them; the Ingestor is thread-safe).

    On PostgreSQL (with `rollup_refresh_interval_s` > 0) batches defer their coarser rollups
    (`store.write_readings(defer_coarse=True)`) and the sink refreshes them (`rollups_refresh.refresh_pending`, its own
    transaction) after a batch once `rollup_refresh_interval_s` has passed since the last refresh, one interval
    after the last batch, and on close: coarse charts lag live data by about one interval."""

    def __init__(
        self,
        ingestor: Ingestor | None = None,
        *,
        concurrency: int | None = None,
        refresh_interval_s: float | None = None,
    ) -> None:
        from digipark.core.config import get_settings
        from digipark.core.db import get_engine

        self._ingestor = ingestor
        postgresql = get_engine().dialect.name == "postgresql"
        # batches at a time, each in its own thread and transaction: on PostgreSQL 2, so that one batch is parsed
        # and COPYed while the other waits on the server (the point locks order their writes); SQLite has one writer
        concurrency = (2 if postgresql else 1) if concurrency is None else concurrency
        self.concurrency = concurrency
        self._executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="digipark-ingest")
        self._refresher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digipark-rollup-refresh")
        settings = get_settings()
        interval = settings.rollup_refresh_interval_s if refresh_interval_s is None else refresh_interval_s
        self.refresh_interval_s = interval
        self.defer_coarse = interval > 0 and postgresql
        self._refreshed = time.monotonic()
        self._tail: asyncio.TimerHandle | None = None
        # concurrent batches write in the order they were taken (a later batch overtaking an earlier one would
        # make the earlier one's readings late data): batch n writes once batch n-1 has committed or failed
        self._tickets = itertools.count()
        self._turn = threading.Condition()
        self._writing = 0  # the ticket whose turn it is
        self._finished: set[int] = set()

    def _wait_turn(self, ticket: int) -> None:
        with self._turn:
            self._turn.wait_for(lambda: self._writing >= ticket)

    def _end_turn(self, ticket: int) -> None:
        with self._turn:
            self._finished.add(ticket)
            while self._writing in self._finished:
                self._finished.discard(self._writing)
                self._writing += 1
            self._turn.notify_all()

    def _ingest(self, messages: list[InboundMessage], ticket: int) -> BatchResult:
        from digipark.core.db import transaction
        from digipark.telemetry.ingest import WriteOptions, get_ingestor

        # the process-wide Ingestor is replaced when the registry changes; ask for it on every batch
        ingestor = self._ingestor or get_ingestor()
        options = WriteOptions(defer_coarse=self.defer_coarse, before_write=lambda: self._wait_turn(ticket))
        try:
            with transaction(write=True) as session:
                summary = ingestor.ingest(session, messages, options=options)
        finally:
            self._end_turn(ticket)
        return BatchResult(
            messages=len(messages),
            stored=int(getattr(summary, "stored", 0)),
            duplicates=int(getattr(summary, "duplicates", 0)),
            rejected=int(getattr(summary, "rejected", 0)),
        )

    def refresh(self) -> int:
        """Refresh the deferred coarser rollups now; how many 15 min buckets it covered (errors are logged: the
        markers stay for the next refresh)."""
        from digipark.core.db import transaction
        from digipark.telemetry.rollups_refresh import refresh_pending

        self._refreshed = time.monotonic()
        try:
            with transaction(write=True) as session:
                return refresh_pending(session)
        except Exception:
            log.exception("refreshing the deferred rollups failed; retried with the next batch")
            return 0

    async def __call__(self, messages: list[InboundMessage]) -> BatchResult:
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self._executor, self._ingest, messages, next(self._tickets))
        if self.defer_coarse:  # in a thread of its own: batches go on meanwhile
            if time.monotonic() - self._refreshed >= self.refresh_interval_s:
                self._refreshed = time.monotonic()
                loop.run_in_executor(self._refresher, self.refresh)
            if self._tail is not None:  # and one interval after the last batch, whatever it was
                self._tail.cancel()
            self._tail = loop.call_later(
                self.refresh_interval_s, lambda: loop.run_in_executor(self._refresher, self.refresh)
            )
        return result

    def close(self) -> None:
        if self._tail is not None:
            self._tail.cancel()
        self._executor.shutdown(wait=True)
        if self.defer_coarse:
            self._refresher.submit(self.refresh)
        self._refresher.shutdown(wait=True)


class MqttSource:
    """The platform's subscription at an external broker (DIGIPARK_MQTT_URL) as a runner source."""

    def __init__(
        self,
        runner: IngestRunner,
        url: str,
        *,
        client_id: str,
        topics: Sequence[str] | None = None,
        keepalive: int = 30,
    ) -> None:
        from digipark.telemetry.ingest import InboundMessage
        from digipark.telemetry.mqtt import PLATFORM_TOPICS, MqttSubscriber

        self.runner = runner
        self._message = InboundMessage
        self.subscriber = MqttSubscriber(
            url, self._deliver, client_id=client_id, topics=topics or PLATFORM_TOPICS, keepalive=keepalive
        )
        runner.on_capacity(self.subscriber.resume)
        self._paused = False

    def pause(self) -> None:
        """Take no more messages (those arriving now are not acknowledged: the broker keeps them)."""
        self._paused = True

    def _deliver(self, topics: list[str], payloads: list[bytes], tokens: list[int], received_ms: int) -> bool:
        if self._paused:
            return False
        make = self._message
        messages = [
            make("mqtt", topic, None, payload, received_ms) for topic, payload in zip(topics, payloads, strict=True)
        ]
        return self.runner.submit_many(messages, self, tokens)

    def ack(self, tokens: list[Any]) -> None:
        self.subscriber.ack(tokens)

    async def run(self) -> None:
        await self.subscriber.run()

    async def stop(self) -> None:
        await self.subscriber.stop()


class BrokerSource:
    """The embedded broker as a runner source: telemetry publishes in, PUBACKs out after the commit."""

    def __init__(self, runner: IngestRunner, **broker_options: Any) -> None:
        from digipark.telemetry.broker import EmbeddedBroker
        from digipark.telemetry.ingest import InboundMessage

        self.runner = runner
        self._message = InboundMessage
        self.broker = EmbeddedBroker(self._on_telemetry, **broker_options)
        runner.on_capacity(self.broker.resume)
        self._paused = False

    def pause(self) -> None:
        """Take no more publishes (QoS 1 ones are not acknowledged, so their publishers send them again)."""
        self._paused = True

    def _on_telemetry(
        self, topics: list[str], username: str | None, payloads: list[bytes], tokens: list[Any], received_ms: int
    ) -> bool:
        if self._paused:
            return False
        make = self._message
        messages = [
            make("mqtt", topic, username, payload, received_ms) for topic, payload in zip(topics, payloads, strict=True)
        ]
        return self.runner.submit_many(messages, self, tokens)

    def ack(self, tokens: list[Any]) -> None:
        self.broker.ack(tokens)

    async def start(self, host: str, port: int) -> None:
        await self.broker.start(host, port)

    async def stop(self) -> None:
        await self.broker.stop()
