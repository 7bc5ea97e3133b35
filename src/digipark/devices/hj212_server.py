"""The HJ 212 connector: a TCP server that data collectors (数采仪) connect to (`digipark connect hj212`).

Each frame is checked (length, CRC: `devices.hj212`) and authenticated: its MN must be bound to a device
(`DeviceBinding`, protocol hj212) and its PW must match the binding's (kept as a SHA-256 digest). Data uploads (CN
2011, 2051, 2061, 2031) become native messages of the device and go through the same ingest path as MQTT and HTTP
(same checks, dead letters, rollups); the frames read in one pass over a connection are one batch, committed before
the answers (CN 9014, when the frame's Flag asks for one) are written back, so an answered frame is stored. A
collector that gets no answer sends the frame again (HJ 212's retransmission): the repeat is stored once (same
point and time) and answered again. A frame with a bad length or CRC, an unknown MN or a wrong PW is kept as a dead
letter with its reason and not answered.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import functools
import hashlib
import logging
import threading
import time
from typing import Any

from sqlalchemy import select

from digipark.audit.service import Actor, set_actor
from digipark.core.config import get_settings
from digipark.core.db import get_engine, transaction
from digipark.devices import hj212
from digipark.devices.hj212_requests import Link, Requests
from digipark.devices.models import BindingProtocol, DeviceBinding
from digipark.registry.models import Device, DeviceStatus
from digipark.telemetry import provides as telemetry

log = logging.getLogger("digipark.devices.hj212")
SOURCE = "hj212"
CACHE_S = 5.0


@functools.lru_cache(maxsize=1024)
def pw_digest(pw: str) -> str:
    return hashlib.sha256(pw.encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True, slots=True)
class Station:
    device_id: int
    park_id: int
    kind: str
    token_hash: str
    secret_hash: str | None
    active: bool
    enterprise_id: int | None = None


@dataclasses.dataclass(slots=True)
class Stats:
    frames: int = 0
    stored: int = 0
    answered: int = 0
    dead_letters: int = 0
    flagged: int = 0
    requests_sent: int = 0
    request_answers: dict[str, int] = dataclasses.field(default_factory=dict)  # delivered, succeeded, failed…
    by_reason: dict[str, int] = dataclasses.field(default_factory=dict)


class Stations:
    """MN → station, reloaded at most every CACHE_S (a station bound a moment ago is looked up at once)."""

    def __init__(self) -> None:
        self._by_mn: dict[str, Station] = {}
        self._loaded = -1e9
        self._lock = threading.Lock()

    def get(self, session: Any, mn: str) -> Station | None:
        now = time.monotonic()
        found = self._by_mn.get(mn)
        if found is not None and now - self._loaded < CACHE_S:
            return found
        with self._lock:
            if now - self._loaded >= CACHE_S or (found is None and now - self._loaded >= 0.5):
                rows = session.execute(
                    select(DeviceBinding, Device)
                    .join(Device, Device.id == DeviceBinding.device_id)
                    .where(DeviceBinding.protocol == BindingProtocol.HJ212.value)
                ).all()
                self._by_mn = {
                    b.address: Station(
                        d.id,
                        d.park_id,
                        d.kind,
                        d.token_hash,
                        b.secret_hash,
                        b.active and d.status != DeviceStatus.RETIRED.value,
                        d.enterprise_id,
                    )
                    for b, d in rows
                }
                self._loaded = now
        return self._by_mn.get(mn)


Pass = tuple[list[bytes | hj212.FrameError], str]  # the frames of one read of a connection, and its peer


@dataclasses.dataclass(slots=True)
class PassResult:
    answers: list[bytes]  # to write back after the commit
    seen: dict[str, Link]  # the collectors authenticated on this connection (no writer yet)


class Hj212Connector:
    """Turns frames into ingest messages and dead letters; `handle_many(passes)` runs in a worker thread.

    `defer_coarse` (PostgreSQL, as the ingest sink): a batch merges only the 15 min rollups and marks the coarser
    buckets pending; the connector refreshes them at most every `refresh_interval_s` (after a batch) and on
    `close`."""

    def __init__(self, *, defer_coarse: bool | None = None, refresh_interval_s: float | None = None) -> None:
        self.stations = Stations()
        self.stats = Stats()
        self.requests = Requests()
        settings = get_settings()
        interval = settings.rollup_refresh_interval_s if refresh_interval_s is None else refresh_interval_s
        if defer_coarse is None:
            defer_coarse = interval > 0 and get_engine().dialect.name == "postgresql"
        self.defer_coarse = defer_coarse
        self.refresh_interval_s = interval
        self._refreshed = time.monotonic()

    def _reject(self, session: Any, frame: bytes, reason: Any, detail: str, peer: str, station: Station | None) -> None:
        self.stats.dead_letters += 1
        self.stats.by_reason[detail.split(":")[0]] = self.stats.by_reason.get(detail.split(":")[0], 0) + 1
        telemetry.dead_letter(
            session,
            source=SOURCE,
            payload=frame.decode("ascii", errors="replace"),
            reason=reason,
            detail=f"HJ 212: {detail}",
            received_ms=int(time.time() * 1000),
            origin=peer,
            park_id=station.park_id if station else None,
            device_id=station.device_id if station else None,
        )

    def handle(self, items: list[bytes | hj212.FrameError], peer: str) -> list[bytes]:
        """Ingest one pass of frames (one transaction); returns the answers to write back after the commit."""
        return self.handle_many([(items, peer)])[0].answers

    def handle_many(self, passes: list[Pass]) -> list[PassResult]:
        """Ingest the passes of several connections in one transaction: frames checked one by one (length, CRC,
        fields, MN, PW; dead letters with their reason), their readings stored in bulk by the ingest path (one
        COPY on PostgreSQL, one executemany on SQLite); the answers of each pass, to write after the commit."""
        out: list[PassResult] = []
        messages: list[Any] = []
        now = int(time.time() * 1000)
        with transaction(write=True, name="hj212 frames") as session:
            set_actor(session, Actor("hj212"))
            for items, peer in passes:
                out.append(self._read(session, items, peer, now, messages))
            if messages:
                options = telemetry.WriteOptions(defer_coarse=self.defer_coarse)
                summary = telemetry.get_ingestor().ingest(session, messages, options=options)
                self.stats.stored += summary.stored
        self.stats.answered += sum(len(result.answers) for result in out)
        if self.defer_coarse and time.monotonic() - self._refreshed >= self.refresh_interval_s:
            self.refresh()
        return out

    def refresh(self) -> None:
        """Bring the deferred coarser rollups up to date (own transaction; a failure leaves them for the next)."""
        self._refreshed = time.monotonic()
        try:
            with transaction(write=True, name="hj212 rollups") as session:
                telemetry.refresh_pending(session)
        except Exception:
            log.exception("refreshing the deferred rollups failed; retried after the next batch")

    def close(self) -> None:
        if self.defer_coarse:
            self.refresh()

    def _read(
        self, session: Any, items: list[bytes | hj212.FrameError], peer: str, now: int, messages: list[Any]
    ) -> PassResult:
        answers: list[bytes] = []
        seen: dict[str, Link] = {}
        facts = hj212.facts()
        replies = (facts["answer_commands"]["request_answer"], facts["answer_commands"]["execution_result"])
        malformed = telemetry.RejectReason.MALFORMED
        unknown = telemetry.RejectReason.UNKNOWN_TOKEN
        stats = self.stats
        for item in items:
            stats.frames += 1
            if isinstance(item, hj212.FrameError):
                self._reject(session, item.frame, malformed, item.detail, peer, None)
                continue
            try:
                segment = hj212.parse_segment(item)
            except hj212.FrameError as exc:
                self._reject(session, item, malformed, exc.detail, peer, None)
                continue
            station = self.stations.get(session, segment.mn)
            if station is None or not station.active:
                self._reject(session, item, unknown, f"unknown MN {segment.mn[:30]!r}", peer, None)
                continue
            if station.secret_hash is None or pw_digest(segment.pw) != station.secret_hash:
                self._reject(session, item, unknown, f"wrong PW for MN {segment.mn[:30]!r}", peer, station)
                continue
            link = seen[segment.mn] = Link(segment.mn, station.device_id, station.kind, segment.st, segment.pw, None)
            if segment.cn in replies:  # 9011 / 9012: an answer to a request of the platform
                outcome = self.requests.answer(session, station.device_id, segment) or "unmatched"
                stats.request_answers[outcome] = stats.request_answers.get(outcome, 0) + 1
                continue
            if segment.cn == facts["time_calibration_request"]:
                request = self.requests.calibrate(session, link, station.park_id, station.enterprise_id)
                if request is not None:
                    answers.append(request)
                    stats.requests_sent += 1
                continue
            try:
                values = hj212.readings_of(segment, station.kind)
            except hj212.FrameError as exc:
                self._reject(session, item, malformed, exc.detail, peer, station)
                continue
            if values is not None:
                stats.flagged += values.flagged
                if values.unknown:
                    codes = ", ".join(sorted(values.unknown)[:10])
                    reason = telemetry.RejectReason.UNKNOWN_POINT
                    self._reject(session, item, reason, f"no point for {codes}", peer, station)
                if values.values:
                    entries: list[tuple[int | None, dict[str, Any]]] = [(values.ts, dict(values.values))]
                    messages.append(
                        telemetry.InboundMessage(SOURCE, None, None, b"", now, peer, station.token_hash, entries)
                    )
            if segment.wants_answer:
                answers.append(hj212.data_answer(segment))
        return PassResult(answers, seen)


class _Batches:
    """Group commit: the passes of all connections that arrive while a batch is being stored are stored together
    next (up to `max_frames`), so a busy server stores thousands of frames per transaction and an idle one
    stores a pass at once. Runs on the event loop; the storing in the default executor."""

    def __init__(self, connector: Hj212Connector, max_frames: int) -> None:
        self.connector = connector
        self.max_frames = max_frames
        self.waiting: collections.deque[tuple[_Protocol, list[bytes | hj212.FrameError]]] = collections.deque()
        self.running = False

    def submit(self, protocol: _Protocol, items: list[bytes | hj212.FrameError]) -> None:
        self.waiting.append((protocol, items))
        if not self.running:
            self._next()

    def _next(self) -> None:
        taken: list[tuple[_Protocol, list[bytes | hj212.FrameError]]] = []
        frames = 0
        while self.waiting and (not taken or frames + len(self.waiting[0][1]) <= self.max_frames):
            protocol, items = self.waiting.popleft()
            taken.append((protocol, items))
            frames += len(items)
        if not taken:
            return
        self.running = True
        passes = [(items, protocol.peer) for protocol, items in taken]
        task = asyncio.get_running_loop().run_in_executor(None, self.connector.handle_many, passes)
        task.add_done_callback(lambda done: self._done(taken, done))

    def _done(self, taken: list[tuple[_Protocol, list[bytes | hj212.FrameError]]], task: asyncio.Future[Any]) -> None:
        self.running = False
        error = task.exception()
        if error is not None:
            log.error("HJ 212 frames of %s failed: %s", ", ".join(p.peer for p, _ in taken), error)
        results = [PassResult([], {}) for _ in taken] if error is not None else task.result()
        for (protocol, _items), result in zip(taken, results, strict=True):
            protocol.stored(result)
        self._next()


class _Protocol(asyncio.Protocol):
    def __init__(self, server: Hj212Server) -> None:
        self.server = server
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.busy = False
        self.mns: set[str] = set()  # the collectors seen on this connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)

    def connection_lost(self, exc: Exception | None) -> None:
        links = self.server.connector.requests.links
        assert self.transport is not None
        for mn in self.mns:
            link = links.get(mn)
            if link is not None and link.write == self.transport.write:
                del links[mn]
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > self.server.max_buffer:
            log.info("HJ 212 client %s: buffer over %d bytes, closing", self.peer, self.server.max_buffer)
            assert self.transport is not None
            self.transport.abort()
            return
        if not self.busy:
            self._drain()

    def _drain(self) -> None:
        items, used = hj212.split_frames(self.buffer)
        if not items:
            return
        del self.buffer[:used]
        self.busy = True
        assert self.transport is not None
        self.transport.pause_reading()
        self.server.batches.submit(self, items)

    def stored(self, result: PassResult) -> None:
        self.busy = False
        if self.transport is None or self.transport.is_closing():
            return
        links = self.server.connector.requests.links
        for mn, link in result.seen.items():
            links[mn] = dataclasses.replace(link, write=self.transport.write)
            self.mns.add(mn)
        for answer in result.answers:
            self.transport.write(answer)
        self.transport.resume_reading()
        self._drain()


class Hj212Server:
    def __init__(
        self,
        connector: Hj212Connector | None = None,
        *,
        max_buffer: int = 1 << 20,
        max_batch: int = 10_000,
        command_poll_s: float = 0.5,
    ) -> None:
        self.connector = connector or Hj212Connector()
        self.max_buffer = max_buffer
        self.batches = _Batches(self.connector, max_batch)
        self.command_poll_s = command_poll_s
        self._commands: asyncio.Task[None] | None = None
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> Hj212Server:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: _Protocol(self), host, port, reuse_address=True)
        self.port = int(self.server.sockets[0].getsockname()[1])
        log.info("HJ 212 connector listening on %s:%d", host, self.port)
        self._commands = asyncio.create_task(self._send_commands(), name="hj212-commands")
        return self

    async def _send_commands(self) -> None:
        """Every `command_poll_s`: the due commands of connected collectors written to their connections."""
        loop = asyncio.get_running_loop()
        requests = self.connector.requests
        while True:
            await asyncio.sleep(self.command_poll_s)
            try:
                frames = await loop.run_in_executor(None, requests.send_due)
            except Exception:
                log.exception("HJ 212 commands: a round failed")
                continue
            for link, frame in frames:
                link.write(frame)
                self.connector.stats.requests_sent += 1

    async def stop(self) -> None:
        if self._commands is not None:
            self._commands.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._commands
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        self.connector.close()


class Hj212Thread:
    """An Hj212Server on an event loop of its own thread (tests, the demo, `digipark connect hj212`)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.requested = host, port
        self.loop = asyncio.new_event_loop()
        self.server = Hj212Server()
        self.thread = threading.Thread(target=self.loop.run_forever, name="digipark-hj212", daemon=True)

    @property
    def port(self) -> int:
        return self.server.port

    def start(self) -> Hj212Thread:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(self.host, self.requested), self.loop).result(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
