"""Automation and energy-operations figures (issue 25) (no broker; the rule latency on a SQLite file):

- `rule_action_latency_p99_ms` (and p50): readings arrive at `--rate` data points per second in batches of
  `--batch` (the ingest runner's `on_receive` batches); 1,000 reading rules (threshold with hysteresis) on 3,000
  points; a crossing fires its rule, whose actions are a device command and a notification. Latency: a reading's
  batch handed to the live evaluator → the firing's actions carried out and committed (`service.fire`: the device
  command requested through `devices.provides` — a `switch_off` of a lighting controller, queued for the dispatcher —
  and the firing logged), on a SQLite file of its own migrated to head. Readings wait for their batch (up to one
  batch interval), which is counted.
- `billing_month_s`: the month's bills of 1,000 enterprises from 5,000 sub-meters (hourly register samples, 720
  per meter, time-of-use bands crossing midnight, one shared meter apportioned by area) — the billing arithmetic
  of `automation.billing`, without reading the samples from the database.
- `forecast_mase_synthetic` / `forecast_mase_baseline`: Holt-Winters and the seasonal naive baseline on a synthetic
  daily series (weekly season, trend, noise; 120 days), rolling-origin backtest over its last 28 days.

Each figure is one JSON line."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import tempfile
import time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from digipark.automation import billing, forecast, logic
from digipark.automation.service import fire

ZONE = ZoneInfo("Asia/Shanghai")
PERIODS = [
    {"start": "22:00", "end": "06:00", "band": "valley"},
    {"start": "06:00", "end": "08:00", "band": "flat"},
    {"start": "08:00", "end": "11:00", "band": "peak"},
    {"start": "11:00", "end": "17:00", "band": "flat"},
    {"start": "17:00", "end": "22:00", "band": "peak"},
]
PRICES = {"peak": 1.05, "flat": 0.64, "valley": 0.29}


def figure(name: str, value: float, unit: str, **conditions: object) -> None:
    print(json.dumps({"figure": name, "value": round(value, 3), "unit": unit, **conditions}), flush=True)


def _park_with_devices(count: int) -> tuple[sessionmaker[Session], int, list[int]]:
    """A SQLite file of its own at head with a park and `count` lighting controllers."""
    import digipark.modules  # noqa: F401  (every model mapped)
    from digipark.core import migrate
    from digipark.core.db import make_engine
    from digipark.registry import service as registry
    from digipark.registry.device_tokens import token_digest
    from digipark.registry.models import Device

    url = f"sqlite:///{os.path.join(tempfile.mkdtemp(), 'automation.db')}"
    migrate.upgrade(url)
    factory = sessionmaker(bind=make_engine(url), expire_on_commit=False)
    with factory() as db, db.begin():
        park_id = registry.create_park(
            db, code="AB", name="自动化基准园区", name_en="Automation bench", region_code="320500"
        ).id
        devices = [
            Device(
                park_id=park_id,
                code=f"L{i}",
                name=f"照明{i}",
                kind="lighting_controller",
                token_hash=token_digest(f"l{i}"),
            )
            for i in range(count)
        ]
        db.add_all(devices)
        db.flush()
        ids = [d.id for d in devices]
    return factory, park_id, ids


def _stored(factory: sessionmaker[Session], park_id: int, rules: list[logic.RuleSpec]) -> list[logic.RuleSpec]:
    """The rules stored (a firing names its rule), with their stored ids."""
    from digipark.automation.models import AutomationRule

    with factory() as db, db.begin():
        rows = [
            AutomationRule(park_id=park_id, name=r.name, trigger=r.trigger, actions=list(r.actions), enabled=True)
            for r in rules
        ]
        db.add_all(rows)
        db.flush()
        return [
            logic.RuleSpec(row.id, r.name, r.trigger, r.conditions, r.actions)
            for row, r in zip(rows, rules, strict=True)
        ]


def latency(rate: int, seconds: float, batch: int) -> None:
    rng = random.Random(1)
    points = 3000
    factory, park_id, device_ids = _park_with_devices(1000)
    rules = [
        logic.RuleSpec(
            i,
            f"r{i}",
            logic.normalise_trigger(
                {
                    "kind": "reading",
                    "point_id": i * 3 + 1,
                    "conditions": [{"type": "threshold", "op": "above", "high": 90, "hysteresis": 5}],
                }
            ),
            None,
            tuple(
                logic.normalise_actions(
                    [
                        {"kind": "device_command", "device_id": device_ids[i], "name": "switch_off", "params": {}},
                        {"kind": "notify", "to": "值班", "text": "超限"},
                    ]
                )
            ),
        )
        for i in range(1000)
    ]
    rules = _stored(factory, park_id, rules)
    evaluator = logic.Evaluator(rules, {}, zone=ZONE, working_day=lambda day: day.weekday() < 5)
    evaluator.clock(0)
    interval = batch / rate
    latencies: list[float] = []
    sent = readings = 0
    start = time.perf_counter()
    next_batch = start
    ts = 1_790_000_000_000
    while time.perf_counter() - start < seconds:
        arrived = [time.perf_counter() - rng.random() * interval for _ in range(batch)]  # spread over the interval
        values = [(rng.randrange(points), 100.0 if rng.random() < 0.01 else 50.0) for _ in range(batch)]
        handed = time.perf_counter()
        fired: list[tuple[logic.Firing, int]] = []
        for index, (point, value) in enumerate(values):
            ts += 1
            fired.extend((firing, index) for firing in evaluator.reading(point, ts, value))
        if fired:
            with factory() as db, db.begin():
                fire(db, park_id, [firing for firing, _ in fired])
            done = time.perf_counter()
            for _, index in fired:
                sent += 1
                latencies.append((done - min(arrived[index], handed)) * 1000)
        readings += batch
        next_batch += interval
        pause = next_batch - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies)
    p99 = ordered[int(0.99 * (len(ordered) - 1))] if ordered else 0.0
    conditions = {
        "rate_dp_s": round(readings / elapsed),
        "rules": len(rules),
        "points": points,
        "batch": batch,
        "firings": sent,
        "database": "sqlite",
        "load_average": round(os.getloadavg()[0], 1),
    }
    figure("rule_action_latency_p50_ms", statistics.median(ordered) if ordered else 0.0, "ms", **conditions)
    figure("rule_action_latency_p99_ms", p99, "ms", **conditions, target="< 200")


def billing_month(enterprises: int, meters: int) -> None:
    rng = random.Random(2)
    month_start = int(dt.datetime(2026, 10, 1, tzinfo=ZONE).timestamp() * 1000)
    hours = 31 * 24
    samples = []
    for _ in range(meters):
        register = rng.uniform(0, 1e5)
        rows = []
        for h in range(hours + 1):
            rows.append((month_start + h * 3_600_000, register))
            register += rng.uniform(0, 40)
        samples.append(rows)
    started = time.perf_counter()
    by_enterprise: dict[int, list[billing.MeterLine]] = {}
    for index, rows in enumerate(samples):
        line = billing.meter_line(index, f"m{index}", rows, PERIODS, PRICES, ZONE)
        by_enterprise.setdefault(index % enterprises, []).append(line)
    shared = billing.meter_line(-1, "shared", samples[0], PERIODS, PRICES, ZONE)
    bills = billing.bills(
        dt.date(2026, 10, 1), by_enterprise, shared, "area", {e: 100.0 + e for e in range(enterprises)}
    )
    elapsed = time.perf_counter() - started
    figure(
        "billing_month_s",
        elapsed,
        "s",
        enterprises=len(bills),
        sub_meters=meters,
        samples_per_meter=hours + 1,
        target="< 10",
    )


def forecasts() -> None:
    rng = random.Random(3)
    series = [1000 + 2 * t + (250 if t % 7 < 5 else 0) + rng.gauss(0, 25) for t in range(120)]
    started = time.perf_counter()
    result = forecast.forecast(series, 7, 7, min_train=len(series) - 28)
    elapsed = time.perf_counter() - started
    conditions = {
        "series": "synthetic daily, weekly season + trend + noise",
        "days": len(series),
        "origins": result.backtest.origins,
    }
    figure("forecast_mase_synthetic", result.backtest.mase or 0.0, "ratio", **conditions, target="< 1")
    figure("forecast_mase_baseline", result.baseline.mase or 0.0, "ratio", **conditions)
    figure("forecast_mape_synthetic", result.backtest.mape or 0.0, "%", **conditions)
    figure("forecast_s", elapsed, "s", **conditions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--enterprises", type=int, default=1000)
    parser.add_argument("--meters", type=int, default=5000)
    args = parser.parse_args()
    latency(args.rate, args.seconds, args.batch)
    billing_month(args.enterprises, args.meters)
    forecasts()


if __name__ == "__main__":
    main()
