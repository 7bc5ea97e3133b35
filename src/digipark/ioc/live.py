"""The operations screen live: a server-sent event stream of the screen's figures (`event: figures`).

Each stream is a telemetry Subscription without points (`telemetry.hub().subscribe([])`), woken whenever readings
are stored (`ReadingsStored`) or an alarm is raised (`AlarmRaised`) in this process; it then reads the figures again
— at most once per `MIN_INTERVAL_S`, however fast readings arrive — and sends them when they changed. It also reads
them every `REFRESH_S` without being woken (readings stored by ingest workers in other processes, incidents, the
slow figures), so a quiet park still gets a message at least that often: the page marks its data stale when none
came for a few of those periods, and the browser's EventSource reconnects by itself after `RETRY_MS`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from digipark.alarms.provides import AlarmRaised
from digipark.auth.scope import Scope
from digipark.core.db import transaction
from digipark.core.events import bus
from digipark.ioc import service
from digipark.telemetry import provides as telemetry

FIGURES = "figures"
WAKE = "wake"
MIN_INTERVAL_S = 1.0
REFRESH_S = 10.0


class ScreenStreams:
    """The open screen streams, woken by the bus events that can change a figure."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: set[telemetry.Subscription] = set()
        self._installed = False

    def install(self) -> None:
        with self._lock:
            if not self._installed:
                bus.subscribe(telemetry.ReadingsStored, self._wake)
                bus.subscribe(AlarmRaised, self._wake)
                self._installed = True

    def _wake(self, _event: object) -> None:
        with self._lock:
            subs = list(self._subs)
        stamp = time.time()
        for sub in subs:
            sub.offer(WAKE, 0, stamp)

    def subscribe(self) -> telemetry.Subscription:
        self.install()
        sub = telemetry.hub().subscribe([])
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: telemetry.Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)
        telemetry.hub().unsubscribe(sub)

    def subscriptions(self) -> int:
        with self._lock:
            return len(self._subs)


_streams = ScreenStreams()


def streams() -> ScreenStreams:
    return _streams


def read_figures(
    scope: Scope, park_id: int, user_id: int | None, translate: Callable[[str], str] | None = None
) -> dict[str, Any]:
    with transaction() as db:
        return service.screen_figures(db, scope=scope, park_id=park_id, user_id=user_id, translate=translate)


def _comparable(figures: dict[str, Any]) -> bytes:
    return orjson.dumps({k: v for k, v in figures.items() if k != "at"}, option=orjson.OPT_SORT_KEYS)


async def figure_stream(
    sub: telemetry.Subscription,
    scope: Scope,
    park_id: int,
    user_id: int | None,
    first: dict[str, Any],
    *,
    translate: Callable[[str], str] | None = None,
    refresh_s: float = REFRESH_S,
    min_interval_s: float = MIN_INTERVAL_S,
) -> AsyncIterator[str]:
    """The retry hint and the figures now, then the figures again when they changed (and every `refresh_s`)."""
    try:
        sub.bind()
        yield f"retry: {telemetry.RETRY_MS}\n\n"
        yield telemetry.format_event(FIGURES, first)
        last = _comparable(first)
        last_read = time.monotonic()
        complete = first.get("economy") is not None or bool(first.get("standards"))
        while not sub.closed:
            # the first figures may lack the slow ones (the page's quick read): read them all at once
            woken = await sub.next(refresh_s if complete else 0.01)
            complete = True
            wait = min_interval_s - (time.monotonic() - last_read)
            if woken and wait > 0:
                await asyncio.sleep(wait)
                sub.take()  # what came meanwhile is covered by the read below
            figures = await run_in_threadpool(read_figures, scope, park_id, user_id, translate)
            last_read = time.monotonic()
            now = _comparable(figures)
            if now != last or not woken:  # unchanged: still one message per refresh, the client's sign of life
                yield telemetry.format_event(FIGURES, figures)
                last = now
    finally:
        _streams.unsubscribe(sub)


def open_stream(
    scope: Scope,
    park_id: int,
    user_id: int | None,
    first: dict[str, Any],
    translate: Callable[[str], str] | None = None,
) -> StreamingResponse:
    """The stream's response; the caller read `first` (checking the permission) before it starts. The pages give
    `translate` (their language's gettext) for the alarm ticker's messages."""
    sub = _streams.subscribe()
    return StreamingResponse(
        figure_stream(sub, scope, park_id, user_id, first, translate=translate),
        media_type="text/event-stream",
        headers=telemetry.SSE_HEADERS,
    )
