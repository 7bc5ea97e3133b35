"""Daily electricity demand forecasts per building (and for the park), with the weekly seasonal naive baseline
beside them and a rolling-origin backtest (digipark.core.forecast: additive Holt-Winters of statsmodels, season 7
days; MAE, MAPE and MASE of both methods).

The series: the daily consumption (kWh, the registers' daily increase in the telemetry's 1-day rollups) of the
building's purchased electricity meters at the top of its tree — the building's own meters and the enterprises'
main meters in it (their sub-meters are inside those). The park's series sums its park-level meters, or, in a
park without any (the demo park), the top meters of all its buildings and enterprises. Days before
the first day with any consumption are not history yet (a meter installed, or the demo's back-fill not reached)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.automation import forecast
from digipark.automation.service import zone
from digipark.core.errors import NotFound
from digipark.energy.provides import meter_tree
from digipark.registry.models import Building
from digipark.telemetry.provides import point_series

SEASON = 7  # a week of days
HORIZON = 7  # days ahead shown
HISTORY_DAYS = 182  # the history read (a half year)
BACKTEST_DAYS = 28  # the rolling origins: the last four weeks, one day ahead from each
MIN_DAYS = 2 * SEASON + 2 + BACKTEST_DAYS  # Holt-Winters needs two seasons and a little more to fit
DAY_MS = 86_400_000


@dataclasses.dataclass(frozen=True)
class DemandForecast:
    building_id: int | None  # None: the park
    days: list[dt.date]  # the history's days
    history: list[float]
    ahead: list[dt.date]
    result: forecast.Forecast


def usable(series: Sequence[float]) -> list[float]:
    """The series from its first day with consumption (the leading zeros are days without history)."""
    start = next((i for i, v in enumerate(series) if v > 0), len(series))
    return [float(v) for v in series[start:]]


def demand_forecast_of(
    series: Sequence[float], *, horizon: int = HORIZON, backtest_days: int = BACKTEST_DAYS
) -> forecast.Forecast | None:
    """Holt-Winters (season 7) with its 80 % interval, backtested one day ahead from each of the last
    `backtest_days` origins beside the weekly seasonal naive baseline; None when the series is too short."""
    values = usable(series)
    if len(values) < 2 * SEASON + 2 + backtest_days:
        return None
    return forecast.forecast(values, SEASON, horizon, min_train=len(values) - backtest_days)


def meters_of(session: Session, *, park_id: int, building_id: int | None) -> list[dict[str, Any]]:
    """The purchased electricity meters whose sum is the building's (or the park's) demand."""
    meters = [
        m
        for m in meter_tree(session, park_id=park_id)
        if m["carrier"] == "electricity" and m["flow"] == "purchased" and m["point_id"] is not None
    ]
    if building_id is None:
        park = [m for m in meters if m["level"] == "park"]
        return park or [m for m in meters if m["level"] in ("building", "enterprise")]
    return [m for m in meters if m["building_id"] == building_id and m["level"] in ("building", "enterprise")]


def daily_demand(
    session: Session, *, scope: Scope, until: dt.date, days: int = HISTORY_DAYS, building_id: int | None = None
) -> list[float]:
    """The daily electricity (kWh) of the `days` days before `until` of the building (None: the park)."""
    park_id = scope.acting_park(None)
    end = int(dt.datetime.combine(until, dt.time(), tzinfo=zone()).timestamp() * 1000)
    start = int(dt.datetime.combine(until - dt.timedelta(days=days), dt.time(), tzinfo=zone()).timestamp() * 1000)
    totals = [0.0] * days
    for meter in meters_of(session, park_id=park_id, building_id=building_id):
        series = point_series(
            session, scope=scope, point_id=meter["point_id"], from_ms=start, to_ms=end, resolution="1d", agg="delta"
        )
        for ts, value in series.points:
            index = (ts - start) // DAY_MS
            if value is not None and 0 <= index < days:
                totals[int(index)] += max(float(value), 0.0)
    return totals


def buildings(session: Session, *, scope: Scope) -> list[tuple[int, str]]:
    """The park's buildings that have electricity meters, by code."""
    park_id = scope.acting_park(None)
    metered = {
        m["building_id"]
        for m in meter_tree(session, park_id=park_id)
        if m["carrier"] == "electricity" and m["building_id"] is not None and m["level"] in ("building", "enterprise")
    }
    rows = session.execute(
        select(Building.id, Building.name)
        .where(scope.condition(Building), Building.park_id == park_id)
        .order_by(Building.code)
    )
    return [(int(i), str(n)) for i, n in rows if i in metered]


_CACHE: dict[tuple[Any, ...], DemandForecast | None] = {}
MAX_CACHED = 64


def demand_forecast(
    session: Session, *, scope: Scope, until: dt.date, building_id: int | None = None
) -> DemandForecast | None:
    """The building's (None: the park's) forecast of the `HORIZON` days from `until` on, from the half year before
    it. A building outside the caller's park is not found. Kept per series (each backtest origin is one fit)."""
    scope.require("energyops.read")
    park_id = scope.acting_park(None)
    if (
        building_id is not None
        and session.scalar(
            select(Building.id).where(
                scope.condition(Building), Building.park_id == park_id, Building.id == building_id
            )
        )
        is None
    ):
        raise NotFound(f"building {building_id} not found")
    series = daily_demand(session, scope=scope, until=until, building_id=building_id)
    key = (building_id, until, *series)
    if key in _CACHE:
        return _CACHE[key]
    made = demand_forecast_of(series)
    found = None
    if made is not None:
        first = until - dt.timedelta(days=len(series))
        days = [first + dt.timedelta(days=i) for i in range(len(series))]
        found = DemandForecast(building_id, days, series, [until + dt.timedelta(days=i) for i in range(HORIZON)], made)
    if len(_CACHE) >= MAX_CACHED:
        _CACHE.clear()
    _CACHE[key] = found
    return found
