"""The safety centre's next-week trend, computed off the request: a page reads the last stored forecast of its
reader's audience (`latest`); a background job (`start_forecast_refresh`, every EVERY_S seconds) and the demo's
build (`build_demo_forecasts`) fit the forecasts whose inputs changed (`refresh`).

An audience is what one kind of reader sees of a park: its staff (every event of the park) or one enterprise (its
own). The job keeps the park's and those of the enterprises with an active user. A stored forecast carries the
SHA-256 of its inputs — the day it starts and the daily event counts of the twelve weeks before — and is fitted
again only when they change: a new day, or an event recorded in those weeks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit.service import Actor, set_actor
from digipark.auth.models import Role, User
from digipark.auth.scope import Scope, system_scope
from digipark.core import forecast
from digipark.core.background import Handle, SharedService
from digipark.core.db import utcnow
from digipark.core.periodic import PeriodicThread
from digipark.registry.models import Park
from digipark.safety import outlook
from digipark.safety.common import VIEW, today
from digipark.safety.models import SafetyForecast

log = logging.getLogger("digipark.safety.forecasts")

ACTOR = Actor("safety-forecast", role="system")
FIRST_RUN_AFTER_S = 30.0
EVERY_S = 900.0

Audience = tuple[int, int | None]  # (park, enterprise; None: the park's staff)


@dataclasses.dataclass(frozen=True)
class StoredTrend:
    computed_at: dt.datetime | None  # None: nothing to compute for this reader
    trend: outlook.WeekAhead | None  # None: too few events for a forecast


@dataclasses.dataclass(frozen=True)
class Due:
    audience: Audience
    found: outlook.Events
    fingerprint: str


def audience_of(scope: Scope, park_id: int) -> Audience | None:
    """Whose events the reader sees: the park's (staff, reviewers), or its own enterprise's (None: an enterprise
    user of no enterprise, who sees none)."""
    park = scope.acting_park(park_id)
    if scope.own_enterprise_only:
        return None if scope.enterprise_id is None else (park, scope.enterprise_id)
    return park, None


def reader_of(audience: Audience) -> Scope:
    """A scope reading exactly what the audience reads (every role that opens the safety centre reads alarms)."""
    park, enterprise = audience
    if enterprise is None:
        return dataclasses.replace(system_scope(park), username=ACTOR.name)
    return Scope.for_user(
        role=Role.ENTERPRISE, username=ACTOR.name, user_id=None, park_id=park, enterprise_id=enterprise
    )


def audiences(session: Session, *, park_id: int) -> list[Audience]:
    """The park's staff and every enterprise of the park with an active user."""
    enterprises = session.scalars(
        select(User.enterprise_id)
        .where(
            User.park_id == park_id,
            User.role == Role.ENTERPRISE.value,
            User.is_active.is_(True),
            User.enterprise_id.is_not(None),
        )
        .distinct()
    )
    return [(park_id, None), *((park_id, e) for e in sorted(e for e in enterprises if e is not None))]


def fingerprint(found: outlook.Events) -> str:
    inputs = json.dumps([found.today.isoformat(), found.series, found.by_kind], sort_keys=True)
    return hashlib.sha256(inputs.encode()).hexdigest()


def due(session: Session, *, park_id: int, on: dt.date) -> list[Due]:
    """The audiences of the park whose stored forecast is missing or was made from other inputs (no fitting)."""
    stored = {
        (row.park_id, row.enterprise_id): row.fingerprint
        for row in session.scalars(select(SafetyForecast).where(SafetyForecast.park_id == park_id))
    }
    found_due: list[Due] = []
    for audience in audiences(session, park_id=park_id):
        found = outlook.events(session, scope=reader_of(audience), park_id=park_id, today=on)
        made_from = fingerprint(found)
        if stored.get(audience) != made_from:
            found_due.append(Due(audience, found, made_from))
    return found_due


def store(session: Session, *, item: Due, trend: outlook.WeekAhead | None) -> SafetyForecast:
    """Keep `trend` as the audience's forecast (not committed)."""
    park, enterprise = item.audience
    row = session.scalar(
        select(SafetyForecast).where(SafetyForecast.park_id == park, SafetyForecast.audience == (enterprise or 0))
    )
    if row is None:
        row = SafetyForecast(park_id=park, enterprise_id=enterprise, audience=enterprise or 0)
        session.add(row)
    row.starts_on = item.found.today
    row.fingerprint = item.fingerprint
    row.computed_at = utcnow()
    row.result = to_json(trend)
    session.flush()
    return row


def refresh(session: Session, *, park_id: int, on: dt.date) -> int:
    """Fit and keep, in `session` (not committed), the park's forecasts whose inputs changed; how many."""
    items = due(session, park_id=park_id, on=on)
    for item in items:
        store(session, item=item, trend=outlook.forecast_of(item.found))
    return len(items)


def latest(session: Session, *, scope: Scope, park_id: int) -> StoredTrend | None:
    """The last forecast computed for the reader's audience (None: not computed yet). Never fits."""
    scope.require(VIEW)
    audience = audience_of(scope, park_id)
    if audience is None:
        return StoredTrend(None, None)
    park, enterprise = audience
    row = session.scalar(
        select(SafetyForecast).where(
            scope.condition(SafetyForecast),
            SafetyForecast.park_id == park,
            SafetyForecast.audience == (enterprise or 0),
        )
    )
    if row is None:
        return None
    return StoredTrend(row.computed_at, from_json(row.result))


# -- stored form ------------------------------------------------------------------------------------------------
def to_json(trend: outlook.WeekAhead | None) -> dict[str, Any] | None:
    if trend is None:
        return None
    return {
        "days": [d.isoformat() for d in trend.days],
        "history": trend.history,
        "ahead": [d.isoformat() for d in trend.ahead],
        "result": dataclasses.asdict(trend.result),
        "week_total": trend.week_total,
        "week_low": trend.week_low,
        "week_high": trend.week_high,
        "last_week": trend.last_week,
        "by_kind": trend.by_kind,
    }


def from_json(data: dict[str, Any] | None) -> outlook.WeekAhead | None:
    if data is None:
        return None
    result = data["result"]
    return outlook.WeekAhead(
        days=[dt.date.fromisoformat(d) for d in data["days"]],
        history=[float(v) for v in data["history"]],
        ahead=[dt.date.fromisoformat(d) for d in data["ahead"]],
        result=forecast.Forecast(
            method=result["method"],
            values=result["values"],
            low=result["low"],
            high=result["high"],
            backtest=forecast.Backtest(**result["backtest"]),
            baseline=forecast.Backtest(**result["baseline"]),
        ),
        week_total=data["week_total"],
        week_low=data["week_low"],
        week_high=data["week_high"],
        last_week=data["last_week"],
        by_kind={k: int(v) for k, v in data["by_kind"].items()},
    )


# -- where it is computed -------------------------------------------------------------------------------------
def refresh_in_own_transactions(*, park_id: int, on: dt.date) -> int:
    """`refresh` for a job: the audiences due read in a reading transaction, each fitted outside any transaction
    (no write lock held while it fits) and kept in a short writing one; how many."""
    from digipark.core.db import transaction

    with transaction(name="safety forecasts due") as session:
        items = due(session, park_id=park_id, on=on)
    for item in items:
        trend = outlook.forecast_of(item.found)
        with transaction(write=True, name="safety forecast") as session:
            set_actor(session, ACTOR)
            store(session, item=item, trend=trend)
    return len(items)


def build_demo_forecasts(session: Session, *, park_id: int, as_of: dt.date, seed: int) -> dict[str, int]:
    """The demo park's forecasts, once its safety events and alarms are written (today's, as the page shows)."""
    return {"safety forecasts": refresh(session, park_id=park_id, on=today())}


def write_demo_forecasts(*, park_id: int) -> dict[str, int]:
    """`build_demo_forecasts` as the served demo writes its parts: in transactions of its own."""
    return {"safety forecasts": refresh_in_own_transactions(park_id=park_id, on=today())}


class ForecastRefresh(PeriodicThread):
    """Every EVERY_S seconds: the audiences whose inputs changed, read in a reading transaction, fitted outside
    any transaction, each kept in a short writing one."""

    thread_name, failure, logger = "digipark-safety-forecasts", "safety: forecast refresh failed", log

    def __init__(self, *, first_after_s: float = FIRST_RUN_AFTER_S, every_s: float = EVERY_S) -> None:
        super().__init__(first_after_s=first_after_s, every_s=every_s)

    def run_once(self) -> int:
        from digipark.core.db import transaction

        with transaction(name="safety forecast parks") as session:
            parks = list(session.scalars(select(Park.id).order_by(Park.id)))
        done = sum(refresh_in_own_transactions(park_id=park, on=today()) for park in parks)
        if done:
            log.info("safety: %d forecast(s) computed", done)
        return done


_refresh: SharedService[ForecastRefresh] = SharedService(ForecastRefresh)


def start_forecast_refresh() -> Handle[ForecastRefresh]:
    """Start the process's forecast refresh (or join the running one)."""
    return _refresh.acquire()
