"""Benchmark: forecast accuracy on the demo's history (figures `forecast_mase_output`, `forecast_mase_energy`),
each printed beside the seasonal naive baseline's.

Builds the demo park (seeded, deterministic) in a SQLite file of its own (`DIGIPARK_BENCH_FORECAST_DB`, default
/tmp/digipark_bench_forecast.db; reused when present), then:
- output: the park's monthly output value (economy statistics, 5 years) — additive Holt-Winters (season 12)
  against the seasonal naive method, rolling-origin backtest one month ahead over the last 12 months;
  also the median MASE over the enterprises with three full years of history (one fit per origin);
- energy: the park's daily electricity (its park-level meters) of the last 182 days — Holt-Winters (season 7)
  against the seasonal naive method, rolling-origin backtest one day ahead over the last 8 weeks.
MASE scales by the in-sample seasonal naive error (Hyndman & Koehler 2006): below 1 beats the baseline's scale.

    .venv/bin/python bench/forecast.py
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("DIGIPARK_LOG_LEVEL", "WARNING")

from _common import emit, progress
from sqlalchemy.orm import sessionmaker

from digipark.auth.scope import system_scope
from digipark.automation import forecast, ops, outlook
from digipark.core import migrate
from digipark.core.db import make_engine
from digipark.economy.provides import add_months, output_value_by_enterprise_month
from digipark.sim.demo import build_demo, demo_exists

ENERGY_DAYS = 182
ENERGY_BACKTEST = 56
SAMPLE = 10  # enterprises in the median


def _load() -> str:
    return os.getloadavg().__repr__()


def main() -> None:
    path = Path(os.environ.get("DIGIPARK_BENCH_FORECAST_DB", "/tmp/digipark_bench_forecast.db"))
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = sessionmaker(bind=engine)
    with factory() as session:
        found = demo_exists(session)
        if found is None:
            started = time.perf_counter()
            found = build_demo(session)
            session.commit()
            progress(f"demo built in {time.perf_counter() - started:.1f} s")
        park_id = found.park_id
        scope = system_scope(park_id)
        today = dt.datetime.now(ops.zone()).date()
        last = add_months(today.replace(day=1), -1)
        start = add_months(last, -(outlook.HISTORY_MONTHS - 1))
        rows = output_value_by_enterprise_month(session, scope=scope, park_id=park_id, start=start, end=last)
        park: dict[dt.date, float] = {}
        by_enterprise: dict[int, dict[dt.date, float]] = {}
        for (ident, month), value in rows.items():
            park[month] = park.get(month, 0.0) + value
            by_enterprise.setdefault(ident, {})[month] = value
        _, series = outlook.monthly_series(park, last)
        made = outlook.forecast_series(series)
        assert made is not None, "the demo has too little output history"
        progress(f"park: MASE {made.backtest.mase} vs baseline {made.baseline.mase}")
        per: list[float] = []
        base: list[float] = []
        for ident in sorted(by_enterprise)[: SAMPLE * 3]:
            _, one = outlook.monthly_series(by_enterprise[ident], last)
            if len(one) < outlook.MIN_MONTHS or len(per) >= SAMPLE:
                continue
            result = outlook.forecast_series(one, horizon=1)
            if result and result.backtest.mase is not None and result.baseline.mase is not None:
                per.append(result.backtest.mase)
                base.append(result.baseline.mase)
        emit(
            "forecast_mase_output",
            made.backtest.mase or 0.0,
            "MASE",
            baseline_mase=round(made.baseline.mase or 0.0, 3),
            mape_pct=round(made.backtest.mape or 0.0, 2),
            baseline_mape_pct=round(made.baseline.mape or 0.0, 2),
            months=len(series),
            origins=made.backtest.origins,
            enterprises_median_mase=round(statistics.median(per), 3) if per else None,
            enterprises_median_baseline_mase=round(statistics.median(base), 3) if base else None,
            enterprises=len(per),
            series="the demo park's monthly output value (万元), Holt-Winters additive, season 12, 1 month ahead",
            load=_load(),
        )
        daily = ops.park_daily(session, scope=scope, until=today, days=ENERGY_DAYS)
        first = next((i for i, v in enumerate(daily) if v > 0), len(daily))
        usable = daily[first:]
        if len(usable) < 4 * 7:
            progress(f"only {len(usable)} days of electricity in the demo: no energy figure")
            return
        test = forecast.backtest(usable, 7, method="holt_winters", min_train=max(len(usable) - ENERGY_BACKTEST, 16))
        naive = forecast.backtest(usable, 7, method="seasonal_naive", min_train=max(len(usable) - ENERGY_BACKTEST, 16))
        emit(
            "forecast_mase_energy",
            test.mase or 0.0,
            "MASE",
            baseline_mase=round(naive.mase or 0.0, 3),
            mape_pct=round(test.mape or 0.0, 2),
            baseline_mape_pct=round(naive.mape or 0.0, 2),
            days=len(usable),
            origins=test.origins,
            series="the demo park's daily electricity (kWh, park meters), Holt-Winters additive, season 7, 1 day ahead",
            load=_load(),
        )
    engine.dispose()


if __name__ == "__main__":
    main()
