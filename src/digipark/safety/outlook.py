"""The risk picture's next-week trend: a forecast of the daily count of safety events — alarms raised, hidden
dangers found and incidents opened (drills excepted) — for the next seven days, with its 80 % interval, beside the
weekly seasonal naive baseline and a rolling-origin backtest (digipark.core.forecast: additive Holt-Winters of
statsmodels, season 7 days; MAE, MAPE, MASE).

Whose events: what the caller may read — staff the park's, an enterprise its own (its alarms, hidden dangers and
incidents), so the trend is per enterprise where the data names one. The next week's total is the sum of the seven
daily forecasts; its interval is ± z × RMSE of the one-day-ahead backtest × √7 (the days' errors taken as
independent), never below zero. Safety events are few and lumpy: where the backtest finds the baseline more accurate
(a lower MAE, or an equal one), the forecast shown is the baseline's, with its own interval, and the page says which."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import zoneinfo
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core import forecast
from digipark.core.config import get_settings
from digipark.safety import alarm_link
from digipark.safety.common import VIEW
from digipark.safety.models import HiddenDanger, Incident

SEASON = 7
HORIZON = 7
HISTORY_DAYS = 84  # twelve weeks read
BACKTEST_DAYS = 28  # one day ahead from each of the last four weeks' days


@dataclasses.dataclass(frozen=True)
class WeekAhead:
    days: list[dt.date]  # the history's days
    history: list[float]  # events per day
    ahead: list[dt.date]
    result: forecast.Forecast
    week_total: float  # the next seven days' forecast events
    week_low: float
    week_high: float
    last_week: float  # the last seven days' events
    by_kind: dict[str, int]  # events of the history by kind: alarms, hidden_dangers, incidents


def daily_counts(local_days: Iterable[dt.date], first: dt.date, days: int) -> list[float]:
    """How many of `local_days` fall on each of the `days` days from `first`."""
    counts = [0.0] * days
    for day in local_days:
        index = (day - first).days
        if 0 <= index < days:
            counts[index] += 1
    return counts


def week_ahead_of(
    series: Sequence[float], *, backtest_days: int = BACKTEST_DAYS, horizon: int = HORIZON
) -> tuple[forecast.Forecast, float, float, float] | None:
    """The forecast of a daily series (Holt-Winters, season 7) backtested from each of its last `backtest_days`
    days beside the seasonal naive baseline, and the next week's total with its interval; None when the series is
    too short or holds no event at all."""
    values = [float(v) for v in series]
    if len(values) < 2 * SEASON + 2 + backtest_days or not any(values):
        return None
    return _week_ahead_of(values, backtest_days, horizon)


def _week_ahead_of(
    values: list[float], backtest_days: int, horizon: int
) -> tuple[forecast.Forecast, float, float, float]:
    made = forecast.forecast(values, SEASON, horizon, min_train=len(values) - backtest_days)
    if made.baseline.mae <= made.backtest.mae:  # the backtest favours the (simpler) baseline: shown instead
        naive = forecast.forecast(
            values, SEASON, horizon, method="seasonal_naive", min_train=len(values) - backtest_days
        )
        made = dataclasses.replace(naive, backtest=made.backtest)
    clipped = [max(v, 0.0) for v in made.values]
    made = dataclasses.replace(
        made, values=clipped, low=[max(v, 0.0) for v in made.low], high=[max(v, 0.0) for v in made.high]
    )
    total = sum(clipped)
    chosen = made.baseline if made.method == "seasonal_naive" else made.backtest
    width = forecast.Z80 * chosen.rmse * math.sqrt(horizon)
    return made, total, max(total - width, 0.0), total + width


@dataclasses.dataclass(frozen=True)
class Events:
    """The daily counts of the safety events a reader may read over the HISTORY_DAYS days before `today`."""

    today: dt.date
    series: list[float]
    by_kind: dict[str, int]


def events(session: Session, *, scope: Scope, park_id: int, today: dt.date) -> Events:
    """The safety events the caller may read, a day at a time, over the twelve weeks before `today` (no fitting)."""
    scope.require(VIEW)
    park = scope.acting_park(park_id)
    local = zoneinfo.ZoneInfo(get_settings().timezone)
    first = today - dt.timedelta(days=HISTORY_DAYS)
    since = dt.datetime.combine(first, dt.time(), tzinfo=local)
    until = dt.datetime.combine(today, dt.time(), tzinfo=local)

    def local_day(at: dt.datetime) -> dt.date:
        return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(local).date()

    alarms = [
        local_day(at) for at in alarm_link.raised_times(session, scope=scope, park_id=park, since=since, until=until)
    ]
    dangers = list(
        session.scalars(
            select(HiddenDanger.found_on).where(
                scope.condition(HiddenDanger),
                HiddenDanger.park_id == park,
                HiddenDanger.found_on >= first,
                HiddenDanger.found_on < today,
            )
        )
    )
    incidents = [
        local_day(at)
        for at in session.scalars(
            select(Incident.occurred_at).where(
                scope.condition(Incident),
                Incident.park_id == park,
                Incident.drill.is_(False),
                Incident.occurred_at >= since,
                Incident.occurred_at < until,
            )
        )
    ]
    return Events(
        today=today,
        series=daily_counts([*alarms, *dangers, *incidents], first, HISTORY_DAYS),
        by_kind={"alarms": len(alarms), "hidden_dangers": len(dangers), "incidents": len(incidents)},
    )


def forecast_of(found: Events) -> WeekAhead | None:
    """The next week's trend of `found` (fits the model: a background job's work, never a request's)."""
    made = week_ahead_of(found.series)
    if made is None:
        return None
    result, total, low, high = made
    first = found.today - dt.timedelta(days=HISTORY_DAYS)
    return WeekAhead(
        days=[first + dt.timedelta(days=i) for i in range(HISTORY_DAYS)],
        history=found.series,
        ahead=[found.today + dt.timedelta(days=i) for i in range(HORIZON)],
        result=result,
        week_total=total,
        week_low=low,
        week_high=high,
        last_week=sum(found.series[-SEASON:]),
        by_kind=found.by_kind,
    )


def week_ahead(session: Session, *, scope: Scope, park_id: int, today: dt.date) -> WeekAhead | None:
    """The next week's trend of the safety events the caller may read, from the twelve weeks before `today`."""
    return forecast_of(events(session, scope=scope, park_id=park_id, today=today))
