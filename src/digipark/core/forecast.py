"""Forecasts with rolling-origin backtests (free of the database).

Methods: the seasonal naive baseline (the value one season earlier) and additive Holt-Winters exponential
smoothing (statsmodels' `ExponentialSmoothing`, trend and season additive). A backtest forecasts from every origin
`t` (training on the values before `t`) `horizon` steps ahead and scores the forecasts against what happened:
MAE, MAPE (%) and MASE (MAE divided by the in-sample MAE of the seasonal naive method on the whole training
part of the series, Hyndman & Koehler 2006). The forecast's interval is ± z × the backtest errors' RMSE (z of a
central 80 % normal interval)."""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Sequence

METHODS = ("seasonal_naive", "holt_winters")
Z80 = 1.2815515655446004  # the 0.9 quantile of the standard normal distribution (a central 80 % interval)

Forecaster = Callable[[Sequence[float], int, int], list[float]]


def seasonal_naive(history: Sequence[float], season: int, horizon: int) -> list[float]:
    """Each step's forecast: the value one season before it (the last season repeated)."""
    if len(history) < season:
        raise ValueError("a seasonal naive forecast needs one full season of history")
    last = list(history[-season:])
    return [last[i % season] for i in range(horizon)]


def holt_winters(history: Sequence[float], season: int, horizon: int) -> list[float]:
    """Additive Holt-Winters (statsmodels); with less than two seasons of history, the seasonal naive forecast."""
    if len(history) < 2 * season + 2:
        return seasonal_naive(history, season, horizon)
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ExponentialSmoothing(
            [float(v) for v in history],
            trend="add",
            seasonal="add",
            seasonal_periods=season,
            initialization_method="estimated",
        ).fit()
        return [float(v) for v in model.forecast(horizon)]


FORECASTERS: dict[str, Forecaster] = {"seasonal_naive": seasonal_naive, "holt_winters": holt_winters}


@dataclasses.dataclass(frozen=True)
class Backtest:
    method: str
    origins: int
    mae: float
    mape: float | None  # None when an actual value is 0
    mase: float | None  # None when the seasonal naive in-sample error is 0
    rmse: float


def naive_scale(values: Sequence[float], season: int) -> float:
    diffs = [abs(values[i] - values[i - season]) for i in range(season, len(values))]
    return sum(diffs) / len(diffs) if diffs else 0.0


def backtest(
    series: Sequence[float],
    season: int,
    *,
    method: str = "seasonal_naive",
    horizon: int = 1,
    min_train: int | None = None,
) -> Backtest:
    """Rolling-origin backtest: for every origin from `min_train` (default two seasons) to the end, forecast
    `horizon` steps from the values before it."""
    forecaster = FORECASTERS[method]
    start = min_train if min_train is not None else 2 * season
    if start < season or start + horizon > len(series):
        raise ValueError("the series is too short for this backtest")
    errors: list[float] = []
    relative: list[float] = []
    zero = False
    for origin in range(start, len(series) - horizon + 1):
        predicted = forecaster(series[:origin], season, horizon)
        for step in range(horizon):
            actual = series[origin + step]
            error = actual - predicted[step]
            errors.append(error)
            if actual == 0:
                zero = True
            else:
                relative.append(abs(error / actual))
    mae = sum(abs(e) for e in errors) / len(errors)
    scale = naive_scale(series[: len(series) - horizon], season)
    return Backtest(
        method,
        len(series) - horizon + 1 - start,
        mae,
        None if zero else 100 * sum(relative) / len(relative),
        mae / scale if scale else None,
        math.sqrt(sum(e * e for e in errors) / len(errors)),
    )


@dataclasses.dataclass(frozen=True)
class Forecast:
    method: str
    values: list[float]
    low: list[float]
    high: list[float]
    backtest: Backtest
    baseline: Backtest


def forecast(
    series: Sequence[float], season: int, horizon: int, *, method: str = "holt_winters", min_train: int | None = None
) -> Forecast:
    """The forecast of the next `horizon` values with its 80 % interval, its backtest and the baseline's."""
    values = FORECASTERS[method](series, season, horizon)
    test = backtest(series, season, method=method, min_train=min_train)
    base = (
        test if method == "seasonal_naive" else backtest(series, season, method="seasonal_naive", min_train=min_train)
    )
    width = Z80 * test.rmse
    return Forecast(method, values, [v - width for v in values], [v + width for v in values], test, base)
