"""One instance of a background service per process, shared by whoever needs it (the rules engine, the automatic
incidents, the exceedance scanner): the first `acquire` makes and starts it, the last handle's `stop` stops it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class Service(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


S = TypeVar("S", bound=Service)


class Handle(Generic[S]):
    """One user's share of a shared service: `stop()` / `await astop()` end it (a second stop does nothing)."""

    def __init__(self, shared: SharedService[S]) -> None:
        self._shared = shared
        self._stopped = False

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._shared.release()

    async def astop(self) -> None:
        self.stop()


class SharedService(Generic[S]):
    def __init__(self, make: Callable[[], S]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._running: S | None = None
        self._users = 0

    @property
    def running(self) -> S | None:
        return self._running

    def acquire(self) -> Handle[S]:
        """Start the service (or join the running one)."""
        with self._lock:
            if self._running is None:
                service = self._make()
                service.start()
                self._running = service
            self._users += 1
        return Handle(self)

    def release(self) -> None:
        with self._lock:
            self._users = max(0, self._users - 1)
            if self._users or self._running is None:
                return
            service, self._running = self._running, None
        service.stop()
