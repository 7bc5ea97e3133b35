"""A queued event subscriber: subscribes a handler to one event type of the in-process bus (`core.events.bus`)
and hands each event to a thread of its own, so the publisher (an alarm writer, after its commit) never waits.

A domain builds one with a `select` (event -> job, or None to ignore the event) and a `handle` (job -> the id of
what it made, or None), e.g. the automatic incidents (safety) and the work orders from condition alarms (assets).
Jobs are handled one at a time (never two results for one event); a failing job is logged and the next one runs.
`sync=True` handles each event in the publishing thread (tests). `drain()` waits until every queued job is done;
`stop()` unsubscribes, lets the queue run out and ends the thread. One instance per process through
`core.background.SharedService`.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from digipark.core.events import DomainEvent, bus

E = TypeVar("E", bound=DomainEvent)
J = TypeVar("J")


class QueuedSubscriber(Generic[E, J]):
    """`on_event` selects and queues; a thread (or, with `sync`, the caller) runs `handle`; `opened` lists the
    ids the handler returned."""

    def __init__(
        self,
        event_type: type[E],
        *,
        select: Callable[[E], J | None],
        handle: Callable[[J], int | None],
        name: str,
        sync: bool = False,
    ) -> None:
        self.event_type = event_type
        self.sync = sync
        self.name = name
        self._select = select
        self._handle_job = handle
        self._queue: queue.Queue[J | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._log = logging.getLogger(f"digipark.{name}")
        self.opened: list[int] = []

    def on_event(self, event: E) -> None:
        job = self._select(event)
        if job is None:
            return
        if self.sync:
            self._handle(job)
        else:
            self._queue.put(job)

    def _handle(self, job: J) -> None:
        with self._lock:
            try:
                ident = self._handle_job(job)
            except Exception:
                self._log.exception("%s: handling %r failed", self.name, job)
                return
            if ident is not None:
                self.opened.append(ident)
                self._log.info("%s: %s made from %r", self.name, ident, job)

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                self._handle(job)
            finally:
                self._queue.task_done()

    def drain(self) -> None:
        """Wait until every queued event is handled."""
        if not self.sync:
            self._queue.join()

    def start(self) -> None:
        bus.subscribe(self.event_type, self.on_event)
        if not self.sync:
            self._thread = threading.Thread(target=self._loop, name=f"digipark-{self.name}", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        bus.unsubscribe(self.event_type, self.on_event)
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None
