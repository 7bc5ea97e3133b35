"""Live push: server-sent events of the newest values of a set of points (and, later, alarms).

`LiveHub` (one per process, `hub()`) subscribes to `ReadingsStored` on the in-process event bus. Events are
published by whichever thread committed the batch (the ingest runner's); the hub hands each subscribed value to
the subscriptions of that point under a lock and wakes their event loop with `call_soon_threadsafe`.

Each connection has a `Subscription`: a mailbox keyed by (event, key) that keeps only the newest value per key,
so a client that falls behind receives the newest values at its next turn, never an unbounded backlog. Every
event carries a name (`readings` now; `alarm` later, through `LiveHub.offer(event, ...)`), so the same stream
carries other kinds of live data.

Several processes: with `DIGIPARK_STREAM_URL` set, ingestion runs in worker processes (NATS) and the API process
never sees their bus events. The hub then also polls `point_latest` for the points anyone subscribes to, once a
second (`POLL_INTERVAL_S`), and offers what it finds; the mailbox drops values not newer than those already sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import select

from digipark.core.config import get_settings
from digipark.core.events import bus
from digipark.telemetry.events import ReadingsStored
from digipark.telemetry.models import PointLatest

log = logging.getLogger("digipark.telemetry.live")

READINGS = "readings"
HEARTBEAT_S = 15.0
POLL_INTERVAL_S = 1.0
RETRY_MS = 3000
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # of every event-stream response
MAX_POINTS = 200

Value = tuple[int, float, int]  # ts ms, value, quality


def format_event(event: str, data: Any, ident: int | None = None) -> str:
    """One SSE message (`data` as compact JSON)."""
    lines = [f"event: {event}"]
    if ident is not None:
        lines.append(f"id: {ident}")
    lines.append("data: " + orjson.dumps(data).decode())
    return "\n".join(lines) + "\n\n"


def readings_payload(values: Mapping[int, Value]) -> dict[str, Any]:
    return {
        "points": {
            str(pid): {"ts": ts, "value": value, "quality": quality} for pid, (ts, value, quality) in values.items()
        }
    }


class Subscription:
    """One client's mailbox: the newest value per point (per key of any event), woken across threads."""

    def __init__(self, point_ids: Iterable[int]) -> None:
        self.point_ids = frozenset(point_ids)
        self._lock = threading.Lock()
        self._pending: dict[str, dict[int, Any]] = {}
        self._sent: dict[int, int] = {}  # point -> ts of the newest value handed out
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self.closed = False

    # -- producer side (any thread) ----------------------------------------------------------------------
    def offer_readings(self, values: Mapping[int, Value]) -> None:
        changed = False
        with self._lock:
            box = self._pending.setdefault(READINGS, {})
            for pid, value in values.items():
                if pid not in self.point_ids or value[0] <= self._sent.get(pid, -1):
                    continue
                held = box.get(pid)
                if held is None or value[0] > held[0]:
                    box[pid] = value
                    changed = True
        if changed:
            self._signal()

    def offer(self, event: str, key: int, data: Any) -> None:
        """Any other live event (e.g. an alarm), newest per key."""
        with self._lock:
            self._pending.setdefault(event, {})[key] = data
        self._signal()

    def _signal(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(wake.set)

    # -- consumer side (the connection's event loop) -------------------------------------------------------
    def bind(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        with self._lock:
            if any(self._pending.values()):
                self._wake.set()

    def take(self) -> list[tuple[str, Any]]:
        """What is waiting, as (event, data), oldest kinds first; readings as one message."""
        with self._lock:
            pending, self._pending = self._pending, {}
            out: list[tuple[str, Any]] = []
            for event, box in pending.items():
                if not box:
                    continue
                if event == READINGS:
                    for pid, value in box.items():
                        self._sent[pid] = max(self._sent.get(pid, -1), value[0])
                    out.append((event, readings_payload(box)))
                else:
                    out.extend((event, data) for data in box.values())
            return out

    async def next(self, timeout: float) -> list[tuple[str, Any]]:
        """Wait up to `timeout` s for something to send; [] when nothing came (time for a heartbeat)."""
        if self._wake is None:
            self.bind()
        assert self._wake is not None
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except TimeoutError:
            return []
        self._wake.clear()
        return self.take()


class LiveHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_point: dict[int, set[Subscription]] = {}
        self._all: set[Subscription] = set()
        self._installed = False
        self._poller: threading.Thread | None = None
        self._stop = threading.Event()

    def install(self) -> None:
        """Listen to the bus (idempotent)."""
        with self._lock:
            if self._installed:
                return
            bus.subscribe(ReadingsStored, self._on_readings)
            self._installed = True

    def uninstall(self) -> None:
        with self._lock:
            if self._installed:
                bus.unsubscribe(ReadingsStored, self._on_readings)
                self._installed = False
            self._stop.set()

    def _on_readings(self, event: ReadingsStored) -> None:
        self.offer_readings(event.latest)

    def offer_readings(self, latest: Mapping[int, Value]) -> None:
        with self._lock:
            targets: dict[Subscription, dict[int, Value]] = {}
            for pid, value in latest.items():
                for sub in self._by_point.get(pid, ()):
                    targets.setdefault(sub, {})[pid] = value
        for sub, values in targets.items():
            sub.offer_readings(values)

    def offer(self, event: str, key: int, data: Any) -> None:
        """Send another kind of live event to every subscription (callers filter by scope first)."""
        with self._lock:
            subs = list(self._all)
        for sub in subs:
            sub.offer(event, key, data)

    def subscribe(self, point_ids: Iterable[int]) -> Subscription:
        self.install()
        sub = Subscription(point_ids)
        with self._lock:
            self._all.add(sub)
            for pid in sub.point_ids:
                self._by_point.setdefault(pid, set()).add(sub)
        if get_settings().stream_url:
            self._ensure_poller()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        sub.closed = True
        with self._lock:
            self._all.discard(sub)
            for pid in sub.point_ids:
                subs = self._by_point.get(pid)
                if subs is not None:
                    subs.discard(sub)
                    if not subs:
                        del self._by_point[pid]

    def subscriptions(self) -> int:
        with self._lock:
            return len(self._all)

    # -- the fallback for ingestion in other processes ----------------------------------------------------
    def _ensure_poller(self) -> None:
        with self._lock:
            if self._poller is not None and self._poller.is_alive():
                return
            self._stop.clear()
            self._poller = threading.Thread(target=self._poll, name="digipark-live-poller", daemon=True)
            self._poller.start()

    def poll_once(self) -> int:
        """Read point_latest of the subscribed points and offer it; returns how many rows were read."""
        from digipark.core.db import new_session

        with self._lock:
            ids = sorted(self._by_point)
        if not ids:
            return 0
        found: dict[int, Value] = {}
        with new_session() as session:
            for i in range(0, len(ids), 500):
                rows = session.execute(
                    select(PointLatest.point_id, PointLatest.ts, PointLatest.value, PointLatest.quality).where(
                        PointLatest.point_id.in_(ids[i : i + 500])
                    )
                )
                found.update({int(p): (int(ts), float(v), int(q)) for p, ts, v, q in rows})
        self.offer_readings(found)
        return len(found)

    def _poll(self) -> None:
        while not self._stop.wait(POLL_INTERVAL_S):
            if not self.subscriptions():
                continue
            try:
                self.poll_once()
            except Exception:  # a database hiccup must not end live updates
                log.exception("live: polling point_latest failed")


_hub = LiveHub()


def hub() -> LiveHub:
    return _hub


async def event_stream(
    sub: Subscription, initial: Mapping[int, Value], *, heartbeat_s: float = HEARTBEAT_S, live: LiveHub | None = None
) -> AsyncIterator[str]:
    """The SSE body: the retry hint, the current values, then new values as they come, heartbeats between."""
    owner = live or _hub
    try:
        sub.bind()
        yield f"retry: {RETRY_MS}\n\n"
        if initial:
            sub.offer_readings(initial)
        for event, data in sub.take():
            yield format_event(event, data)
        while not sub.closed:
            batch = await sub.next(heartbeat_s)
            if not batch:
                yield ": keep-alive\n\n"
                continue
            for event, data in batch:
                yield format_event(event, data)
    finally:
        owner.unsubscribe(sub)
