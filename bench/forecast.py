"""Benchmark: forecast accuracy on the demo's history (figures `forecast_mase_output`, `forecast_mase_energy`),
each printed beside the seasonal naive baseline's.

Builds the demo park (seeded, deterministic) in a SQLite file of its own (`DIGIPARK_BENCH_FORECAST_DB`, default
/tmp/digipark_bench_forecast.db; reused when present), then:
- output: the park's monthly output value (economy statistics, 5 years) — additive Holt-Winters (season 12)
  against the seasonal naive method, rolling-origin backtest one month ahead over the last 12 months;
  also the median MASE over the enterprises with three full years of history (one fit per origin);
- energy: the daily electricity of the demo's buildings (automation/demand.py: each building's own meters and its
  enterprises' main meters) of the last 182 days — Holt-Winters (season 7) against the weekly seasonal naive
  method, rolling-origin backtest one day ahead from each of the last 28 days; the figure is the median MASE over
  `BUILDINGS` buildings, printed with the baseline's median and the MASE of their sum.

The built demo has no electricity history of its own: the served demo writes it after it starts, in the
background, by the telemetry back-fill (sim/telemetry_backfill.py, a year of hourly meter registers from the
simulation model sim/telemetry_model.py, weekday and weekend profiles). The bench runs that same back-fill, for
the meters of the buildings it reads and the last `HISTORY_DAYS` days only, when their history is not there yet.
MASE scales by the in-sample seasonal naive error (Hyndman & Koehler 2006): below 1 beats the baseline's scale.

    .venv/bin/python bench/forecast.py
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import statistics
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DIGIPARK_LOG_LEVEL", "WARNING")

from _common import emit, progress
from sqlalchemy.orm import Session, sessionmaker

from digipark.auth.scope import Scope, system_scope
from digipark.automation import demand, ops, outlook
from digipark.core import migrate
from digipark.core.db import make_engine, use_engine
from digipark.economy.provides import add_months, output_value_by_enterprise_month
from digipark.sim.demo import build_demo, demo_exists

BUILDINGS = 8  # buildings in the energy figure
HISTORY_DAYS = demand.HISTORY_DAYS + 14  # the back-fill's days
SAMPLE = 10  # enterprises in the median


def _load() -> str:
    return os.getloadavg().__repr__()


def _backfill(session: Session, park_id: int, point_ids: set[int]) -> None:
    """The served demo's back-fill (the same model, points and code) for the devices of these points only."""
    from digipark.sim.telemetry_backfill import Backfill, run_backfill
    from digipark.sim.telemetry_model import load_devices

    devices = [d for d in load_devices(session, park_id=park_id) if any(p.point_id in point_ids for p in d.points)]
    session.commit()
    plan = dataclasses.replace(Backfill.from_spec(int(time.time() * 1000)), days=HISTORY_DAYS)
    started = time.perf_counter()
    report = run_backfill(park_id=park_id, plan=plan, devices=devices)
    progress(
        f"back-fill of {len(devices)} meters: {report.history_rows} rollup rows, {report.raw_readings} readings "
        f"in {time.perf_counter() - started:.0f} s"
    )


def _energy_figure(session: Session, scope: Scope, today: dt.date) -> dict[str, Any] | None:
    park_id = scope.acting_park(None)
    chosen = [ident for ident, _ in demand.buildings(session, scope=scope)][:BUILDINGS]
    points = {m["point_id"] for ident in chosen for m in demand.meters_of(session, park_id=park_id, building_id=ident)}
    series = {ident: demand.daily_demand(session, scope=scope, until=today, building_id=ident) for ident in chosen}
    if any(len(demand.usable(s)) < demand.HISTORY_DAYS - 7 for s in series.values()):
        _backfill(session, park_id, points)
        series = {i: demand.daily_demand(session, scope=scope, until=today, building_id=i) for i in chosen}
    made = {i: demand.demand_forecast_of(s) for i, s in series.items()}
    ok = {i: m for i, m in made.items() if m and m.backtest.mase is not None and m.baseline.mase is not None}
    if not ok:
        progress("no building has enough electricity history: no energy figure")
        return None
    total = demand.demand_forecast_of([sum(day) for day in zip(*series.values(), strict=True)])
    mase = [m.backtest.mase or 0.0 for m in ok.values()]
    base = [m.baseline.mase or 0.0 for m in ok.values()]
    mape = [m.backtest.mape for m in ok.values() if m.backtest.mape is not None]
    base_mape = [m.baseline.mape for m in ok.values() if m.baseline.mape is not None]
    return {
        "value": statistics.median(mase),
        "baseline_mase": round(statistics.median(base), 3),
        "mape_pct": round(statistics.median(mape), 2) if mape else None,
        "baseline_mape_pct": round(statistics.median(base_mape), 2) if base_mape else None,
        "buildings": len(ok),
        "buildings_beating_baseline": sum(1 for a, b in zip(mase, base, strict=True) if a < b),
        "sum_mase": round(total.backtest.mase or 0.0, 3) if total else None,
        "sum_baseline_mase": round(total.baseline.mase or 0.0, 3) if total else None,
        "days": len(demand.usable(next(iter(series.values())))),
        "origins": demand.BACKTEST_DAYS,
        "series": "daily electricity (kWh) of the demo's buildings (median over buildings), Holt-Winters additive, "
        "season 7, 1 day ahead; history from the served demo's telemetry back-fill",
    }


def main() -> None:
    path = Path(os.environ.get("DIGIPARK_BENCH_FORECAST_DB", "/tmp/digipark_bench_forecast.db"))
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url)
    use_engine(engine)
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
        electricity = _energy_figure(session, scope, today)
        if electricity is not None:
            emit("forecast_mase_energy", electricity.pop("value"), "MASE", **electricity, load=_load())
    engine.dispose()


if __name__ == "__main__":
    main()
