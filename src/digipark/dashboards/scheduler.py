"""The scheduled reports' sweep in the background: every minute, in its own write transaction, `run_due`."""

from __future__ import annotations

import datetime as dt
import logging

from digipark.audit.service import Actor, set_actor
from digipark.core.background import Handle, SharedService
from digipark.core.periodic import PeriodicThread
from digipark.dashboards.subscriptions import SweepResult, run_due

log = logging.getLogger("digipark.dashboards.scheduler")
ACTOR = Actor("scheduled-reports", role="system")
FIRST_RUN_AFTER_S = 30.0
EVERY_S = 60.0


class ReportScheduler(PeriodicThread):
    """A daemon thread running `run_due` every EVERY_S seconds."""

    thread_name, failure, logger = "digipark-scheduled-reports", "reports: scheduled sweep failed", log

    def __init__(self, *, first_after_s: float = FIRST_RUN_AFTER_S, every_s: float = EVERY_S) -> None:
        super().__init__(first_after_s=first_after_s, every_s=every_s)

    def run_once(self) -> SweepResult:
        from digipark.core.db import transaction

        with transaction(write=True) as session:
            set_actor(session, ACTOR)
            result = run_due(session, now=dt.datetime.now(dt.UTC))
        if result.sent or result.failed:
            log.info("reports: %d sent, %d failed", len(result.sent), len(result.failed))
        return result


_scheduler: SharedService[ReportScheduler] = SharedService(ReportScheduler)


def start_report_scheduler() -> Handle[ReportScheduler]:
    return _scheduler.acquire()
