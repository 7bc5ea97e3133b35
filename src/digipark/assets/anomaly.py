"""Anomaly detection of a machine's day against its own healthy baseline: an isolation forest (scikit-learn,
Liu, Ting & Zhou 2008) fitted on the baseline days' feature vectors (vibration RMS, peak, crest factor, kurtosis
and, when measured, temperature) scores each later day. The score is the forest's decision function negated and
shifted so that 0 is the threshold: above 0 the day is anomalous. The threshold is the `contamination` quantile
of the baseline's own scores (the share of healthy days allowed over it), so it follows the asset, not a global
number."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from sklearn.ensemble import IsolationForest

METHOD = "isolation-forest"
CONTAMINATION = 0.02  # share of healthy baseline days allowed above the threshold
TREES = 200
MIN_BASELINE = 20  # fewer healthy days than this: no detector


@dataclasses.dataclass(frozen=True)
class Detector:
    forest: IsolationForest

    def scores(self, rows: ArrayLike) -> list[float]:
        """Anomaly scores of feature rows (> 0: anomalous)."""
        values = np.asarray(rows, dtype=float)
        if values.ndim == 1:
            values = values[None, :]
        return [float(s) for s in -self.forest.decision_function(values)]

    def flags(self, rows: ArrayLike) -> list[bool]:
        return [s > 0 for s in self.scores(rows)]


def fit(baseline: ArrayLike, *, contamination: float = CONTAMINATION, seed: int = 0) -> Detector:
    """An isolation forest fitted on the healthy baseline's feature rows (one row a day)."""
    values = np.asarray(baseline, dtype=float)
    if values.ndim != 2 or len(values) < MIN_BASELINE:
        raise ValueError(f"need at least {MIN_BASELINE} baseline rows of features")
    if not np.isfinite(values).all():
        raise ValueError("baseline features must be finite")
    forest = IsolationForest(n_estimators=TREES, contamination=contamination, random_state=seed)
    forest.fit(values)
    return Detector(forest)


def f1(truth: Sequence[bool], found: Sequence[bool]) -> float:
    """F1 of detected against known anomalies."""
    tp = sum(1 for t, f in zip(truth, found, strict=True) if t and f)
    fp = sum(1 for t, f in zip(truth, found, strict=True) if f and not t)
    fn = sum(1 for t, f in zip(truth, found, strict=True) if t and not f)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
