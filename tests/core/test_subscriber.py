"""The queued event subscriber (safety's automatic incidents and assets' alarm orders use it): published events are
selected, queued and handled in its own thread, one at a time; a failing job does not stop the next; `drain` waits;
after `stop` nothing more is handled."""

from __future__ import annotations

import dataclasses
import threading

from digipark.core.events import DomainEvent, bus
from digipark.core.subscriber import QueuedSubscriber


@dataclasses.dataclass(frozen=True, kw_only=True)
class Ping(DomainEvent):
    n: int


def test_events_are_handled_in_the_subscribers_thread_in_order() -> None:
    seen: list[tuple[int, str]] = []

    def handle(n: int) -> int | None:
        if n == 3:
            raise RuntimeError("a broken job")
        seen.append((n, threading.current_thread().name))
        return n * 10 if n % 2 == 0 else None

    subscriber: QueuedSubscriber[Ping, int] = QueuedSubscriber(
        Ping, select=lambda e: e.n if e.n >= 0 else None, handle=handle, name="test-pings"
    )
    subscriber.start()
    try:
        for n in (1, -1, 2, 3, 4):
            bus.publish(Ping(n=n))
        subscriber.drain()
        assert [n for n, _ in seen] == [1, 2, 4]  # -1 not selected, 3 failed and the next ran
        assert {name for _, name in seen} == {"digipark-test-pings"}
        assert subscriber.opened == [20, 40]
    finally:
        subscriber.stop()
    bus.publish(Ping(n=6))
    assert [n for n, _ in seen] == [1, 2, 4]


def test_sync_handles_in_the_publishing_thread() -> None:
    seen: list[str] = []
    subscriber: QueuedSubscriber[Ping, int] = QueuedSubscriber(
        Ping,
        select=lambda e: e.n,
        handle=lambda n: seen.append(threading.current_thread().name) or n,
        name="t",
        sync=True,
    )
    subscriber.on_event(Ping(n=1))
    assert seen == [threading.current_thread().name] and subscriber.opened == [1]
