"""The exceedance scan that runs by itself: `scan_due` scans every park's complete local days whose hour rollups
are new or changed since this process last scanned them, and `start_exceedance_scanner` runs it on a timer in the
ingest runtime (next to the alarms engine).

A day is scanned when its data arrived: the scanner keeps, per park and local day, a fingerprint of the hour
rollups of the park's outlet points (rows and readings) and scans the days whose fingerprint changed — yesterday
once after midnight, and an older day again when late or back-filled history reaches it (the demo's telemetry
back-fill writes its year after the demo is built). A new process scans its look-back window once. Scanning is
idempotent: `service.scan_outlet` records an exceedance (outlet, factor, period, bucket) only once.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.audit.service import Actor, set_actor
from digipark.auth.scope import system_scope
from digipark.core.background import Handle, SharedService
from digipark.core.periodic import PeriodicThread
from digipark.environment import pollution, service
from digipark.environment.models import Outlet, OutletFactor
from digipark.environment.schemas import ScanRequest, ScanResult
from digipark.telemetry.provides import Rollup1h, local_zone

log = logging.getLogger("digipark.environment.scheduler")

ACTOR = Actor("exceedance-scan", role="system")
LOOKBACK_DAYS = 31  # the complete days a process looks at (a new process scans them once)
FIRST_RUN_AFTER_S = 60.0  # let the process start (and a test that started the runtime finish) first
EVERY_S = 900.0

Fingerprint = tuple[int, int]  # (hour rollup rows, readings) of the park's outlet points in a local day


@dataclasses.dataclass
class ScanState:
    """What this process has scanned: (park, local day) -> the fingerprint of the day when it was scanned."""

    seen: dict[tuple[int, dt.date], Fingerprint] = dataclasses.field(default_factory=dict)


def _fingerprints(
    session: Session, point_ids: list[int], days: list[tuple[dt.date, int, int]]
) -> dict[dt.date, Fingerprint]:
    """One aggregate over the hour rollups of the points, per hour, folded into local days."""
    starts = [start for _, start, _ in days]
    found: dict[dt.date, Fingerprint] = {}
    rows = session.execute(
        select(Rollup1h.bucket, func.count(), func.coalesce(func.sum(Rollup1h.count), 0))
        .where(Rollup1h.point_id.in_(point_ids), Rollup1h.bucket >= days[0][1], Rollup1h.bucket < days[-1][2])
        .group_by(Rollup1h.bucket)
    )
    for bucket, n, readings in rows:
        day = days[bisect.bisect_right(starts, int(bucket)) - 1][0]
        before = found.get(day, (0, 0))
        found[day] = (before[0] + int(n), before[1] + int(readings))
    return found


def _runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) runs."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + dt.timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def scan_due(
    session: Session,
    *,
    now: dt.datetime,
    first: dt.date | None = None,
    lookback_days: int = LOOKBACK_DAYS,
    state: ScanState | None = None,
) -> list[ScanResult]:
    """Scan every park's complete local days before `now` — from `first`, else the last `lookback_days` — that
    have hour rollups of an outlet point and that `state` has not scanned with their current data (every such day
    without a state). System job: writes
    through a system scope of each park; not committed. Returns one result per scanned run of days."""
    last = now.astimezone(local_zone()).date() - dt.timedelta(days=1)
    first = first if first is not None else last - dt.timedelta(days=lookback_days - 1)
    first = max(first, last - dt.timedelta(days=service.MAX_SCAN_DAYS - 1))
    if last < first:
        return []
    days = pollution.day_bounds(first, last)
    points_by_park: dict[int, list[int]] = {}
    for park_id, point_id in session.execute(
        select(Outlet.park_id, OutletFactor.point_id)
        .join(OutletFactor, OutletFactor.outlet_id == Outlet.id)
        .where(Outlet.active.is_(True))
        .order_by(Outlet.park_id, OutletFactor.point_id)
    ):
        points_by_park.setdefault(park_id, []).append(point_id)
    results: list[ScanResult] = []
    for park_id, point_ids in points_by_park.items():
        prints = _fingerprints(session, point_ids, days)
        # a day without hour rollups has nothing to judge; a day is due when its rollups changed since the state's scan
        due = [
            day
            for day, _, _ in days
            if day in prints and (state is None or state.seen.get((park_id, day)) != prints[day])
        ]
        for run_first, run_last in _runs(due):
            request = ScanRequest(park_id=park_id, first=run_first, last=run_last)
            results.append(service.scan_exceedances(session, scope=system_scope(park_id), data=request))
        if state is not None:
            for day in due:
                state.seen[(park_id, day)] = prints[day]
    return results


# -- the timer ------------------------------------------------------------------------------------------------
class ExceedanceScanner(PeriodicThread):
    """A daemon thread running `scan_due` every EVERY_S seconds (first after FIRST_RUN_AFTER_S), each run in
    its own write transaction."""

    thread_name, failure, logger = "digipark-exceedance-scan", "environment: exceedance scan failed", log

    def __init__(self, *, first_after_s: float = FIRST_RUN_AFTER_S, every_s: float = EVERY_S) -> None:
        super().__init__(first_after_s=first_after_s, every_s=every_s)
        self.state = ScanState()

    def run_once(self) -> list[ScanResult]:
        from digipark.core.db import transaction

        with transaction(write=True) as session:
            set_actor(session, ACTOR)
            results = scan_due(session, now=dt.datetime.now(dt.UTC), state=self.state)
        created = sum(r.created for r in results)
        if created:
            log.info("environment: %d exceedance(s) recorded in %d scan(s)", created, len(results))
        return results


_scanner: SharedService[ExceedanceScanner] = SharedService(ExceedanceScanner)


def start_exceedance_scanner() -> Handle[ExceedanceScanner]:
    """Start the process's exceedance scanner (or join the running one)."""
    return _scanner.acquire()


def running_exceedance_scanner() -> ExceedanceScanner | None:
    return _scanner.running
