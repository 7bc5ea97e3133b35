"""Remaining useful life by trend extrapolation, the simple and honest kind.

Bearing and gear wear makes vibration grow roughly exponentially once a defect has started, so ln(RMS) is fitted
with a straight line over the last `window_days`; where the line reaches the ln of the failure threshold (the
ISO 10816-3 C/D boundary of the class's machine group) is the predicted failure day. The fit starts at the
degradation's onset (the last day the RMS was within `onset_z` robust sigmas of the asset's own baseline) when there
are enough days after it, so that healthy days do not flatten the trend; with fewer (or while the RMS is still at
its baseline) there is no RUL yet — too early to tell a trend from noise. The uncertainty band comes
from the slope's standard error (slope +- 1.96 se). No trend (slope not significantly above zero) means no RUL.
Health is where today's level sits between the asset's own healthy baseline (100) and the threshold (0); the
anomaly score is the robust z-score of today's RMS against that baseline.

A model version of a class holds these parameters; `train` picks the window that would have predicted the class's
recorded failures best (backtest), or keeps the default when there are none."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from digipark.assets.condition import Baseline, baseline, robust_z, trend

METHOD = "log-linear-trend"
DEFAULTS: dict[str, Any] = {
    "window_days": 60,
    "baseline_days": 60,
    "horizon_days": 30,  # a failure predicted within the planning horizon makes a recommendation
    "z_alarm": 6.0,  # an RMS this many robust sigmas above the baseline is an anomaly
    "min_t": 3.0,  # the slope must be this many standard errors above zero to count as a trend
    "max_rul_days": 730,
    "onset_z": 3.0,  # a day under this robust z-score is still at the baseline
    "min_points": 7,
}
WINDOWS = (30, 45, 60, 90)
Z95 = 1.96


@dataclasses.dataclass(frozen=True)
class Outlook:
    health: float
    anomaly_z: float | None
    current_rms: float
    slope_per_day: float | None
    rul_days: float | None
    rul_low_days: float | None
    rul_high_days: float | None
    recommend: bool
    reason: str | None  # "rul" (failure inside the horizon), "anomaly", "limit" (already over) or None


def outlook(days: Sequence[float], rms: Sequence[float], *, threshold: float, params: dict[str, Any]) -> Outlook:
    """The outlook on the last day of a daily RMS series (`days` ascending, e.g. day numbers)."""
    p = {**DEFAULTS, **params}
    if len(days) != len(rms) or not days:
        raise ValueError("days and values must be non-empty and of one length")
    first = days[0]
    base_values = [v for d, v in zip(days, rms, strict=True) if d < first + p["baseline_days"] and v > 0]
    base: Baseline | None = baseline(base_values) if len(base_values) >= 5 else None
    today = days[-1]
    recent = [(d, v) for d, v in zip(days, rms, strict=True) if d > today - p["window_days"] and v > 0]
    if base is not None and base.scale > 0:
        # fit from the degradation's onset: after the last day the asset was still at its own baseline
        at_base = [i for i, (_, v) in enumerate(recent) if robust_z(v, base) < p["onset_z"]]
        if at_base:
            # too few days since the onset (or none: still at the baseline) is too early to tell a trend
            recent = recent[at_base[-1] :] if len(recent) - at_base[-1] - 1 >= p["min_points"] else []
    current = rms[-1]
    slope = rul = low = high = None
    if len(recent) >= p["min_points"]:
        fit = trend([d for d, _ in recent], [math.log(v) for _, v in recent])
        current = math.exp(fit.intercept + fit.slope * today)
        slope = fit.slope
        gap = math.log(threshold) - math.log(current)
        if gap <= 0:
            rul = low = high = 0.0
        elif fit.slope > 0 and fit.slope > p["min_t"] * fit.slope_se:
            rul = min(gap / fit.slope, p["max_rul_days"])
            low = min(gap / (fit.slope + Z95 * fit.slope_se), p["max_rul_days"])
            slow = fit.slope - Z95 * fit.slope_se
            high = min(gap / slow, p["max_rul_days"]) if slow > 0 else float(p["max_rul_days"])
    z = robust_z(rms[-1], base) if base is not None and base.scale > 0 else None
    healthy = base.median if base is not None else min(rms)
    span = math.log(threshold) - math.log(max(healthy, 1e-9))
    health = 100.0 if span <= 0 else 100.0 * (math.log(threshold) - math.log(max(current, 1e-9))) / span
    health = max(0.0, min(100.0, health))
    reason = None
    if rul == 0.0:
        reason = "limit"
    elif low is not None and low <= p["horizon_days"]:
        reason = "rul"
    elif z is not None and z >= p["z_alarm"]:
        reason = "anomaly"
    return Outlook(health, z, current, slope, rul, low, high, reason is not None, reason)


def backtest_error(
    days: Sequence[float], rms: Sequence[float], failed_day: float, *, threshold: float, params: dict[str, Any]
) -> list[float]:
    """Errors (predicted minus actual failure day) of weekly predictions over the 60 days before a failure."""
    errors: list[float] = []
    for cut in range(int(failed_day) - 60, int(failed_day), 7):
        n = sum(1 for d in days if d <= cut)
        if n < 10:
            continue
        seen = outlook(days[:n], rms[:n], threshold=threshold, params=params)
        if seen.rul_days is not None:
            errors.append(days[n - 1] + seen.rul_days - failed_day)
    return errors


def train(histories: Sequence[tuple[Sequence[float], Sequence[float], float]], *, threshold: float) -> dict[str, Any]:
    """Parameters of a new model version: the window with the smallest mean absolute backtest error over the
    class's failures (`histories`: days, RMS, failure day), the default window when there is nothing to learn
    from. Returns the parameters with the backtest's figures."""
    best: dict[str, Any] = {**DEFAULTS, "backtest_failures": len(histories), "backtest_mae_days": None}
    best_mae = math.inf
    for window in WINDOWS if histories else ():
        params = {**DEFAULTS, "window_days": window}
        errors = [e for d, v, f in histories for e in backtest_error(d, v, f, threshold=threshold, params=params)]
        if errors:
            mae = sum(abs(e) for e in errors) / len(errors)
            if mae < best_mae:
                best_mae = mae
                best = {**params, "backtest_failures": len(histories), "backtest_mae_days": round(mae, 2)}
    return best
