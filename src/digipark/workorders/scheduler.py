"""The SLA timer that runs by itself: every EVERY_S seconds it escalates the overdue open work orders
(`service.escalate_overdue`) in a write transaction of its own."""

from __future__ import annotations

import logging

from digipark.audit.service import Actor, set_actor
from digipark.core.background import Handle, SharedService
from digipark.core.periodic import PeriodicThread
from digipark.workorders import service

log = logging.getLogger("digipark.workorders.scheduler")

ACTOR = Actor("workorder-sla", role="system")
FIRST_RUN_AFTER_S = 30.0
EVERY_S = 60.0


class SlaTimer(PeriodicThread):
    thread_name, failure, logger = "digipark-workorder-sla", "workorders: SLA escalation failed", log

    def __init__(self, *, first_after_s: float = FIRST_RUN_AFTER_S, every_s: float = EVERY_S) -> None:
        super().__init__(first_after_s=first_after_s, every_s=every_s)

    def run_once(self) -> int:
        from digipark.core.db import transaction

        with transaction(write=True) as session:
            set_actor(session, ACTOR)
            return len(service.escalate_overdue(session))


_timer: SharedService[SlaTimer] = SharedService(SlaTimer)


def start_sla_timer() -> Handle[SlaTimer]:
    """Start the process's SLA timer (or join the running one)."""
    return _timer.acquire()
