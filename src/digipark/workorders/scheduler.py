"""The SLA timer that runs by itself: every EVERY_S seconds it escalates the overdue open work orders
(`service.escalate_overdue`) in a write transaction of its own."""

from __future__ import annotations

import logging
import threading

from digipark.audit.service import Actor, set_actor
from digipark.core.background import Handle, SharedService
from digipark.workorders import service

log = logging.getLogger("digipark.workorders.scheduler")

ACTOR = Actor("workorder-sla", role="system")
FIRST_RUN_AFTER_S = 30.0
EVERY_S = 60.0


class SlaTimer:
    def __init__(self, *, first_after_s: float = FIRST_RUN_AFTER_S, every_s: float = EVERY_S) -> None:
        self.first_after_s, self.every_s = first_after_s, every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        from digipark.core.db import transaction

        with transaction(write=True) as session:
            set_actor(session, ACTOR)
            return len(service.escalate_overdue(session))

    def _loop(self) -> None:
        wait = self.first_after_s
        while not self._stop.wait(wait):
            wait = self.every_s
            try:
                self.run_once()
            except Exception:  # a database without the work-order tables, or not reachable: next time
                log.exception("workorders: SLA escalation failed")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="digipark-workorder-sla", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


_timer: SharedService[SlaTimer] = SharedService(SlaTimer)


def start_sla_timer() -> Handle[SlaTimer]:
    """Start the process's SLA timer (or join the running one)."""
    return _timer.acquire()
