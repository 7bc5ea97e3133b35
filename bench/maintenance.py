"""Benchmark: condition features, depreciation schedules, the trend RUL on simulated run-to-failure histories,
and the demo's assets part.

Figures:
- `features_per_s`: vibration bursts of 10 kHz, one second each (10,000 samples), whose RMS, peak, crest factor
  and kurtosis are computed per second (`condition.batch_features` over 100 bursts at once; `features_single_per_s`
  one at a time with `condition.features`).
- `depreciation_schedules_per_s`: 10-year monthly schedules (120 months, double-declining) per second.
- `rul_rmse`: RMSE in days of the remaining useful life predicted weekly over the last 60 days before failure, on
  200 histories simulated from the documented degradation model (ln RMS flat at a healthy level with 4 % noise,
  then growing linearly — exponential growth of the vibration — from a random onset at a random rate until the
  ISO 10816-3 group 2 rigid C/D limit of 4.5 mm/s); `rul_issued_pct`: the share of those weekly asks that gave
  a RUL (none while the onset is too recent to tell a trend from noise). Not a public data set: no package of the
  registries ships C-MAPSS or a bearing run-to-failure set (rul-datasets downloads them at run time, which this
  machine cannot). The published C-MAPSS FD001 baselines are printed beside it with their sources, marked not
  comparable.
- `anomaly_f1`: F1 of the anomaly detector (isolation forest + per-feature robust z-scores against the asset's
  60-day healthy baseline) on a synthetic labelled fault sample (`anomaly.labelled_sample`: 200 healthy days, 30
  faulty ones — bearing impacts, looseness with heat, early wear), mean over 20 seeds; the forest alone and the
  z-scores alone are printed next to it (`anomaly_f1_forest_only`, `anomaly_f1_robust_z_only`).
- `assets_demo_s`: the demo's assets part (22 assets, a year of features of 12 machines from synthetic bursts,
  predictions, a recorded failure) on SQLite in a fresh database.

    .venv/bin/python bench/maintenance.py
"""

from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
import time

os.environ.setdefault("DIGIPARK_LOG_LEVEL", "WARNING")

import numpy as np
from _common import emit, progress

from digipark.assets import condition, depreciation, prediction

FS = 10_000

# Published RMSE (cycles) on C-MAPSS FD001's test split (100 engines, the last cycle of each scored against
# RUL_FD001.txt, RUL capped at 125-130 cycles), the data set the issue names. Printed beside `rul_rmse` for
# orientation only: `rul_rmse` is measured in days on simulated bearing histories (no registry package ships
# C-MAPSS), so the numbers are not comparable.
CMAPSS_FD001_BASELINES = {
    "MLP (Babu et al. 2016, DASFAA)": 37.56,
    "SVR (Babu et al. 2016)": 20.96,
    "RVR (Babu et al. 2016)": 23.80,
    "CNN (Babu et al. 2016)": 18.45,
    "LSTM (Zheng et al. 2017, IEEE PHM)": 16.14,
    "DCNN (Li, Ding and Sun 2018, Reliab. Eng. Syst. Saf. 172)": 12.61,
}


def features_rate() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(FS) / FS
    bursts = np.sin(2 * np.pi * 24.6 * t)[None, :] * rng.uniform(0.5, 5, (100, 1)) + rng.normal(0, 0.1, (100, FS))
    start = time.perf_counter()
    rounds = 0
    while time.perf_counter() - start < 3:
        condition.batch_features(bursts)
        rounds += 1
    batch = rounds * len(bursts) / (time.perf_counter() - start)
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < 3:
        condition.features(bursts[n % len(bursts)])
        n += 1
    single = n / (time.perf_counter() - start)
    emit("features_per_s", batch, "bursts/s", samples_per_burst=FS, sample_rate_hz=FS, batch=len(bursts))
    emit("features_single_per_s", single, "bursts/s", samples_per_burst=FS, sample_rate_hz=FS)


def depreciation_rate() -> None:
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < 3:
        depreciation.monthly_schedule(
            cost=1_850_000 + n,
            salvage=92_500,
            life_months=120,
            method="double_declining",
            in_service_on=dt.date(2022, 8, 15),
        )
        n += 1
    emit("depreciation_schedules_per_s", n / (time.perf_counter() - start), "schedules/s", months=120)


def rul_rmse() -> None:
    rng = np.random.default_rng(2026)
    threshold = 4.5
    errors: list[float] = []
    flagged = asked = 0
    for _ in range(200):
        healthy = rng.uniform(0.8, 1.6)
        rate = rng.uniform(0.01, 0.04)
        onset = int(rng.integers(150, 280))
        failed = onset + math.log(threshold / healthy) / rate
        days = list(range(int(failed)))
        rms = [healthy * math.exp(rate * max(0, d - onset)) * (1 + 0.04 * rng.standard_normal()) for d in days]
        early = False
        for cut in range(int(failed) - 60, int(failed), 7):
            seen = prediction.outlook(days[: cut + 1], rms[: cut + 1], threshold=threshold, params={})
            asked += 1
            if seen.rul_days is not None:
                errors.append(cut + seen.rul_days - failed)
            early = early or (seen.recommend and failed - cut >= 7)
        flagged += early
    rmse = math.sqrt(sum(e * e for e in errors) / len(errors))
    emit(
        "rul_rmse",
        rmse,
        "days",
        histories=200,
        predictions=len(errors),
        data="simulated exponential degradation",
        published_baselines={
            "data": "NASA C-MAPSS FD001 test split, RMSE in cycles",
            "comparable": False,
            "why": "no registry package ships C-MAPSS; this figure is on simulated bearing histories, in days",
            "rmse": CMAPSS_FD001_BASELINES,
        },
    )
    emit("rul_issued_pct", 100 * len(errors) / asked, "%", asked=asked)
    emit("flagged_a_week_before_failure_pct", 100 * flagged / 200, "%", histories=200)


def anomaly_f1(samples: int = 20) -> None:
    """F1 of the detector (and of its parts alone) on the synthetic labelled fault sample, over seeds."""
    from digipark.assets import anomaly

    scores: dict[str, list[float]] = {"combined": [], "forest": [], "robust_z": []}
    for seed in range(samples):
        baseline, days, truth = anomaly.labelled_sample(seed)
        detector = anomaly.fit(baseline, seed=seed)
        scores["combined"].append(anomaly.f1(truth, detector.flags(days)))
        scores["forest"].append(anomaly.f1(truth, [s > 0 for s in detector.scores(days)]))
        scores["robust_z"].append(anomaly.f1(truth, [z >= anomaly.Z_ALONE for z in detector.max_z(days)]))
    for method, values in scores.items():
        emit(
            "anomaly_f1" if method == "combined" else f"anomaly_f1_{method}_only",
            round(float(np.mean(values)), 3),
            "F1",
            method=anomaly.METHOD if method == "combined" else method,
            samples=samples,
            days=230,
            faults=30,
            baseline_days=60,
            data="synthetic labelled sample (anomaly.labelled_sample)",
        )


def demo_part() -> None:
    folder = tempfile.mkdtemp(prefix="bench-assets-")
    os.environ["DIGIPARK_DATABASE_URL"] = f"sqlite:///{folder}/bench.db"
    from digipark.core import migrate

    migrate.upgrade(os.environ["DIGIPARK_DATABASE_URL"])
    import digipark.modules  # noqa: F401
    from digipark.assets.demo import build_assets_demo
    from digipark.core.db import transaction
    from digipark.registry import service as registry

    with transaction(write=True) as session:
        park = registry.create_park(session, code="BENCH", name="基准园区", region_code="320507")
        park_id = park.id
    start = time.perf_counter()
    with transaction(write=True) as session:
        counts = build_assets_demo(session, park_id=park_id, as_of=dt.date(2026, 10, 31), seed=7)
    emit(
        "assets_demo_s",
        time.perf_counter() - start,
        "s",
        assets=counts["assets"],
        condition_days=counts["asset_condition_days"],
        database="sqlite",
    )


if __name__ == "__main__":
    progress("features ...")
    features_rate()
    progress("depreciation ...")
    depreciation_rate()
    progress("RUL on simulated run-to-failure histories ...")
    rul_rmse()
    progress("anomaly detection on a labelled synthetic sample ...")
    anomaly_f1()
    progress("demo part ...")
    demo_part()
