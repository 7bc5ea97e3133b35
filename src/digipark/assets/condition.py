"""Condition features of vibration and temperature signals (numpy): RMS, peak, crest factor, kurtosis, band
energies, the linear trend of a daily series, and robust z-scores against an asset's own healthy baseline."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

MAD_TO_SIGMA = 1.4826  # the MAD of a normal distribution times this is its standard deviation


@dataclasses.dataclass(frozen=True)
class Features:
    rms: float
    peak: float
    crest_factor: float
    kurtosis: float  # Pearson's: 3 for a Gaussian, 1.5 for a sine


def features(signal: ArrayLike) -> Features:
    """Time-domain features of one burst."""
    x = np.asarray(signal, dtype=float)
    if x.size < 2:
        raise ValueError("a signal needs at least two samples")
    rms = float(np.sqrt(np.mean(x * x)))
    peak = float(np.max(np.abs(x)))
    centred = x - x.mean()
    var = float(np.mean(centred * centred))
    kurt = float(np.mean(centred**4) / (var * var)) if var > 0 else 0.0
    return Features(rms, peak, peak / rms if rms > 0 else 0.0, kurt)


def batch_features(signals: ArrayLike) -> list[Features]:
    """`features` of each row of a 2-D array of bursts, computed at once."""
    x = np.asarray(signals, dtype=float)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError("give rows of at least two samples")
    rms = np.sqrt(np.mean(x * x, axis=1))
    peak = np.max(np.abs(x), axis=1)
    centred = x - x.mean(axis=1, keepdims=True)
    var = np.mean(centred * centred, axis=1)
    safe_var = np.where(var > 0, var, 1.0)
    kurt = np.where(var > 0, np.mean(centred**4, axis=1) / (safe_var * safe_var), 0.0)
    crest = np.where(rms > 0, peak / np.where(rms > 0, rms, 1.0), 0.0)
    return [Features(float(r), float(p), float(c), float(k)) for r, p, c, k in zip(rms, peak, crest, kurt, strict=True)]


def band_energies(signal: ArrayLike, *, fs: float, bands: Sequence[tuple[float, float]]) -> list[float]:
    """The mean-square energy of the signal in each frequency band [low, high) Hz (Parseval: the bands covering
    0..fs/2 sum to the mean square of the signal)."""
    x = np.asarray(signal, dtype=float)
    n = x.size
    spectrum = np.abs(np.fft.rfft(x)) ** 2 / (n * n)
    spectrum[1:] *= 2  # one-sided
    if n % 2 == 0:
        spectrum[-1] /= 2  # the Nyquist bin has no mirror
    freqs = np.fft.rfftfreq(n, d=1 / fs)
    return [float(spectrum[(freqs >= lo) & (freqs < hi)].sum()) for lo, hi in bands]


@dataclasses.dataclass(frozen=True)
class Trend:
    slope: float  # per day
    intercept: float
    slope_se: float  # standard error of the slope
    n: int


def trend(days: Sequence[float], values: Sequence[float]) -> Trend:
    """Least-squares line through (day, value)."""
    t = np.asarray(days, dtype=float)
    y = np.asarray(values, dtype=float)
    if t.size < 3:
        raise ValueError("a trend needs at least three points")
    t_mean = t.mean()
    sxx = float(((t - t_mean) ** 2).sum())
    if sxx == 0:
        raise ValueError("a trend needs points on different days")
    slope = float(((t - t_mean) * (y - y.mean())).sum() / sxx)
    intercept = float(y.mean() - slope * t_mean)
    residuals = y - (intercept + slope * t)
    se = float(np.sqrt((residuals**2).sum() / (t.size - 2) / sxx))
    return Trend(slope, intercept, se, int(t.size))


@dataclasses.dataclass(frozen=True)
class Baseline:
    median: float
    scale: float  # MAD x 1.4826, a robust standard deviation


def baseline(values: Sequence[float]) -> Baseline:
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise ValueError("a baseline needs values")
    median = float(np.median(x))
    return Baseline(median, float(np.median(np.abs(x - median))) * MAD_TO_SIGMA)


def robust_z(value: float, base: Baseline) -> float:
    return (value - base.median) / base.scale if base.scale > 0 else 0.0
