"""Anomaly detection of a machine's day against its own healthy baseline, on the day's feature vector (vibration
RMS, peak, crest factor, kurtosis and, when measured, temperature):

- each feature is turned into a robust z-score against the baseline (median, MAD × 1.4826);
- an isolation forest (scikit-learn; Liu, Ting & Zhou 2008) is fitted on the baseline's standardised rows. Its
  score is the decision function negated, so that 0 is its threshold (the `CONTAMINATION` quantile of the
  baseline's own scores) and > 0 is outside the healthy pattern;
- a day is anomalous when one feature is `Z_ALONE` robust sigmas off, or when the forest puts it outside the
  pattern and some feature is at least `Z_WITH_FOREST` sigmas off.

Why both: trained on a 60-day baseline only, a forest isolates a point far outside the training range no faster
than the baseline's own extreme days (its splits lie inside that range), so alone it misses clear shifts and
flags a few healthy days; the per-feature z-scores catch the shifts, the forest the unusual combinations of
moderately raised features. On the synthetic test set (tests/assets/test_store.py, bench/maintenance.py) the
combination scores a higher F1 than either part."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.ensemble import IsolationForest

from digipark.assets.condition import MAD_TO_SIGMA

METHOD = "isolation-forest+robust-z"
CONTAMINATION = 0.02  # share of healthy baseline days the forest may put outside its pattern
TREES = 200
MIN_BASELINE = 20  # fewer healthy days than this: no detector
Z_ALONE = 5.0  # one feature this many robust sigmas off the baseline is an anomaly by itself
Z_WITH_FOREST = 3.0  # with the forest's verdict, a feature this far off is enough


@dataclasses.dataclass(frozen=True)
class Detector:
    forest: IsolationForest
    median: NDArray[np.float64]
    scale: NDArray[np.float64]

    def _z(self, rows: ArrayLike) -> NDArray[np.float64]:
        values = np.asarray(rows, dtype=float)
        if values.ndim == 1:
            values = values[None, :]
        z: NDArray[np.float64] = (values - self.median) / self.scale
        return z

    def scores(self, rows: ArrayLike) -> list[float]:
        """The forest's scores of feature rows (> 0: outside the healthy pattern)."""
        return [float(s) for s in -self.forest.decision_function(self._z(rows))]

    def max_z(self, rows: ArrayLike) -> list[float]:
        """The largest robust z-score (absolute) of each row's features."""
        return [float(v) for v in np.abs(self._z(rows)).max(axis=1)]

    def flags(self, rows: ArrayLike) -> list[bool]:
        return [
            z >= Z_ALONE or (score > 0 and z >= Z_WITH_FOREST)
            for score, z in zip(self.scores(rows), self.max_z(rows), strict=True)
        ]


def fit(baseline: ArrayLike, *, contamination: float = CONTAMINATION, seed: int = 0) -> Detector:
    """The detector of a healthy baseline's feature rows (one row a day)."""
    values = np.asarray(baseline, dtype=float)
    if values.ndim != 2 or len(values) < MIN_BASELINE:
        raise ValueError(f"need at least {MIN_BASELINE} baseline rows of features")
    if not np.isfinite(values).all():
        raise ValueError("baseline features must be finite")
    median = np.median(values, axis=0)
    scale = np.median(np.abs(values - median), axis=0) * MAD_TO_SIGMA
    spread = np.abs(median) * 1e-3 + 1e-9  # a constant feature: a tiny scale instead of a division by zero
    scale = np.where(scale > 0, scale, spread)
    forest = IsolationForest(n_estimators=TREES, contamination=contamination, random_state=seed)
    forest.fit((values - median) / scale)
    return Detector(forest, median, scale)


def f1(truth: Sequence[bool], found: Sequence[bool]) -> float:
    """F1 of detected against known anomalies."""
    tp = sum(1 for t, f in zip(truth, found, strict=True) if t and f)
    fp = sum(1 for t, f in zip(truth, found, strict=True) if f and not t)
    fn = sum(1 for t, f in zip(truth, found, strict=True) if t and not f)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


# -- a labelled sample -----------------------------------------------------------------------------------------
def _healthy(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    """Healthy days: RMS ~1.2 mm/s, crest factor ~3 (peak = crest x RMS), kurtosis ~3, bearing at ~45 °C."""
    rms = rng.normal(1.2, 0.05, n)
    crest = rng.normal(3.0, 0.1, n)
    rows: NDArray[np.float64] = np.column_stack(
        [rms, rms * crest, crest, rng.normal(3.0, 0.15, n), rng.normal(45, 1.0, n)]
    )
    return rows


def labelled_sample(seed: int) -> tuple[NDArray[np.float64], NDArray[np.float64], list[bool]]:
    """A synthetic labelled fault sample (the tests and bench/maintenance.py score it): (60 baseline days, days to
    score, which of them are faults) — 200 healthy days and 30 faulty ones of three kinds."""
    rng = np.random.default_rng(seed)
    baseline, normal, faults = _healthy(rng, 60), _healthy(rng, 200), _healthy(rng, 30)
    faults[:10, 3] += 1.5  # impacts of a bearing defect: kurtosis, crest factor and peak up, RMS unchanged
    faults[:10, 1:3] *= 1.4
    faults[10:20, 0] *= 1.5  # looseness or imbalance: RMS up, the bearing running hot
    faults[10:20, 4] += 6
    faults[20:, 0] += 0.17  # early wear: three features each only ~3.5 sigma up
    faults[20:, 3] += 0.5
    faults[20:, 4] += 3.5
    return baseline, np.vstack([normal, faults]), [False] * len(normal) + [True] * len(faults)
