"""The discharge of months that are over, kept in env_kept_discharge so that no page recomputes a year of hour
rollups: `DischargeKeeper` (every EVERY_S seconds, in the ingest runtime) finds, per park, the pairs of the permitted
quantities of this year and last year whose kept months are missing or whose fingerprint changed (a late or
back-filled reading of the month) and keeps them. The pages read the kept months (`pollution.past_months`) and
compute only what is not kept yet, so a figure is never older than its month's rollups."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.core.background import Handle, SharedService
from digipark.core.db import utcnow
from digipark.core.periodic import PeriodicThread
from digipark.environment import pollution
from digipark.environment.models import KeptDischarge, PermitQuota
from digipark.environment.permits import quota_inputs
from digipark.registry.models import Park
from digipark.telemetry.provides import local_zone

log = logging.getLogger("digipark.environment.discharge_keeper")

FIRST_RUN_AFTER_S = 15.0
EVERY_S = 60.0  # a run that finds nothing changed reads two small statements per year


def due(session: Session, *, park_id: int, now: dt.datetime) -> list[pollution.FreshMonth]:
    """The months that are over, of this year and last year, of the park's permitted quantities' pairs, that are not
    kept with their current fingerprint; computed, not written."""
    year = now.astimezone(local_zone()).year
    quotas = session.scalars(
        select(PermitQuota).where(PermitQuota.park_id == park_id, PermitQuota.year.in_((year - 1, year)))
    ).all()
    fresh: list[pollution.FreshMonth] = []
    for quota_year, pairs in quota_inputs(session, quotas).pairs.items():
        bounds, _, over = pollution.months_over(quota_year)
        fresh += pollution.past_months(session, pairs, bounds, over)[1]
    return fresh


def keep(session: Session, fresh: list[pollution.FreshMonth]) -> int:
    """Write the fresh months over what was kept of them (not committed); how many."""
    if not fresh:
        return 0
    rows = {
        (r.concentration_point_id, r.flow_point_id, r.required_c, r.required_q, r.month): r
        for r in session.scalars(
            select(KeptDischarge).where(
                KeptDischarge.concentration_point_id.in_({f.pair.concentration_point for f in fresh}),
                KeptDischarge.month.in_({f.month for f in fresh}),
            )
        )
    }
    for f in fresh:
        p = f.pair
        key = (p.concentration_point, p.flow_point, p.required_c, p.required_q, f.month)
        row = rows.get(key)
        if row is None:
            row = KeptDischarge(
                concentration_point_id=p.concentration_point,
                flow_point_id=p.flow_point,
                required_c=p.required_c,
                required_q=p.required_q,
                month=f.month,
            )
            session.add(row)
            rows[key] = row
        row.total, row.fingerprint, row.computed_at = f.total, f.fingerprint, utcnow()
    session.flush()
    return len(fresh)


def keep_in_own_transactions(*, park_id: int) -> int:
    """`due` in a reading transaction, then `keep` in a short writing one (no write lock while it computes)."""
    from digipark.core.db import transaction

    with transaction(name="discharge months due") as session:
        fresh = due(session, park_id=park_id, now=dt.datetime.now(dt.UTC))
    if not fresh:
        return 0
    with transaction(write=True, name="kept discharge months") as session:
        return keep(session, fresh)


class DischargeKeeper(PeriodicThread):
    thread_name, failure, logger = "digipark-discharge-keeper", "environment: keeping discharge failed", log

    def __init__(self, *, first_after_s: float = FIRST_RUN_AFTER_S, every_s: float = EVERY_S) -> None:
        super().__init__(first_after_s=first_after_s, every_s=every_s)

    def run_once(self) -> int:
        from digipark.core.db import transaction

        with transaction(name="discharge keeper parks") as session:
            parks = list(session.scalars(select(Park.id).order_by(Park.id)))
        kept = sum(keep_in_own_transactions(park_id=park) for park in parks)
        if kept:
            log.info("environment: the discharge of %d month(s) kept", kept)
        return kept


_keeper: SharedService[DischargeKeeper] = SharedService(DischargeKeeper)


def start_discharge_keeper() -> Handle[DischargeKeeper]:
    """Start the process's discharge keeper (or join the running one)."""
    return _keeper.acquire()
