"""Monthly output-value forecasts (for the economy's early warning) per enterprise and for the park, each with the
seasonal naive baseline beside it and a rolling-origin backtest (automation/forecast.py: additive Holt-Winters of
statsmodels, season 12 months; MAPE and MASE of both methods).

The series come from the economy domain (`economy.provides.output_value_by_enterprise_month`, 万元 per month, the
caller's scope: an enterprise forecasts only its own). A month without a submission counts as missing: the series
starts at the enterprise's first reported month and a gap inside it is filled with the value one season before
(or the previous month's), so a late submission does not look like a collapse."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.automation import forecast
from digipark.economy.provides import add_months, output_value_by_enterprise_month

SEASON = 12
HORIZON = 6  # months ahead shown
HISTORY_MONTHS = 60
MIN_MONTHS = 3 * SEASON  # Holt-Winters with two seasons to fit and one to backtest


@dataclasses.dataclass(frozen=True)
class OutputForecast:
    enterprise_id: int | None  # None: the park
    months: list[dt.date]  # the history's months
    history: list[float]
    ahead: list[dt.date]  # the forecast's months
    result: forecast.Forecast


def monthly_series(values: Mapping[dt.date, float], last: dt.date) -> tuple[list[dt.date], list[float]]:
    """The months from the first reported one to `last` with their values; a missing month takes the value of
    the same month a year before, else the previous month's."""
    if not values:
        return [], []
    first = min(values)
    months: list[dt.date] = []
    series: list[float] = []
    month = first
    while month <= last:
        value = values.get(month)
        if value is None:
            value = series[-SEASON] if len(series) >= SEASON else (series[-1] if series else 0.0)
        months.append(month)
        series.append(float(value))
        month = add_months(month, 1)
    return months, series


def backtest_origins(length: int) -> int:
    """Where the rolling-origin backtest starts: the last season (each origin a Holt-Winters fit)."""
    return max(2 * SEASON + 2, length - SEASON)


def forecast_series(series: Sequence[float], horizon: int = HORIZON) -> forecast.Forecast | None:
    if len(series) < MIN_MONTHS:
        return None
    return forecast.forecast(series, SEASON, horizon, min_train=backtest_origins(len(series)))


def output_forecast(
    session: Session, *, scope: Scope, park_id: int, last: dt.date, enterprise_id: int | None = None
) -> OutputForecast | None:
    """The park's forecast (no `enterprise_id`) or one enterprise's, from the months up to `last`."""
    last = last.replace(day=1)
    start = add_months(last, -(HISTORY_MONTHS - 1))
    rows = output_value_by_enterprise_month(
        session, scope=scope, park_id=park_id, start=start, end=last, enterprise_id=enterprise_id
    )
    totals: dict[dt.date, float] = defaultdict(float)
    for (_ident, month), value in rows.items():
        totals[month] += value
    months, series = monthly_series(totals, last)
    made = forecast_series(series)
    if made is None:
        return None
    return OutputForecast(enterprise_id, months, series, [add_months(last, i + 1) for i in range(HORIZON)], made)
