"""The forecasting methods and backtests now live in `digipark.core.forecast` (safety's next-week trend uses them
too); this name is kept for automation's code."""

from digipark.core.forecast import (
    FORECASTERS,
    METHODS,
    Z80,
    Backtest,
    Forecast,
    Forecaster,
    backtest,
    forecast,
    holt_winters,
    naive_scale,
    seasonal_naive,
)

__all__ = [
    "FORECASTERS",
    "METHODS",
    "Z80",
    "Backtest",
    "Forecast",
    "Forecaster",
    "backtest",
    "forecast",
    "holt_winters",
    "naive_scale",
    "seasonal_naive",
]
