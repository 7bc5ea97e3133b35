"""Tenant bills, plans, the Sankey and forecasts on hand-computed cases (no database)."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pytest

from digipark.automation import billing, forecast, plans, sankey
from digipark.energy.provides import minute_bands

ZONE = ZoneInfo("Asia/Shanghai")
# valley 22:00–06:00 across midnight, flat 06–08 and 12–18, peak 08–12 and 18–22
PERIODS = [
    {"start": "22:00", "end": "06:00", "band": "valley"},
    {"start": "06:00", "end": "08:00", "band": "flat"},
    {"start": "08:00", "end": "12:00", "band": "peak"},
    {"start": "12:00", "end": "18:00", "band": "flat"},
    {"start": "18:00", "end": "22:00", "band": "peak"},
]
PRICES = {"peak": 1.0, "flat": 0.6, "valley": 0.3}


def ms(day: int, hour: int, minute: int = 0) -> int:
    return int(dt.datetime(2026, 3, day, hour, minute, tzinfo=ZONE).timestamp() * 1000)


# meter A: 20:00 100 → 22:00 120 → 02:00 160 → 07:00 175, replaced at 08:30 (old final 181, new first 0) → 09:00 2
SAMPLES_A = [(ms(10, 20), 100.0), (ms(10, 22), 120.0), (ms(11, 2), 160.0), (ms(11, 7), 175.0), (ms(11, 9), 2.0)]
REPLACED = billing.Replacement(ms(11, 8, 30), 181.0, 0.0)


def test_a_bill_line_across_midnight_and_a_meter_replaced_mid_month() -> None:
    line = billing.meter_line(1, "A", SAMPLES_A, PERIODS, PRICES, ZONE, replacement=REPLACED)
    # 20–22 peak 20; 22–02 valley 40; 02–07: 15 kWh over 5 h, 4 h valley 12 + 1 h flat 3;
    # 07–09 across the replacement: (181 − 175) + (2 − 0) = 8 over 2 h, 07–08 flat 4, 08–09 peak 4
    assert line.kwh == pytest.approx({"peak": 24.0, "flat": 7.0, "valley": 52.0})
    assert line.amount == pytest.approx({"peak": 24.0, "flat": 4.2, "valley": 15.6})
    assert line.total_amount == pytest.approx(43.8)
    assert (line.start_reading, line.end_reading) == (100.0, 2.0)
    parts = billing.intervals(SAMPLES_A, REPLACED)
    slow = billing._band_split_slow(parts, minute_bands(PERIODS), dict.fromkeys(line.kwh, 0.0), ZONE)
    assert slow == pytest.approx(line.kwh)  # the minute-by-minute spread agrees with the vectorised one
    without = billing.meter_line(1, "A", SAMPLES_A, PERIODS, PRICES, ZONE)
    assert without.total_kwh == pytest.approx(24 + 7 + 52 - 6 - 175)  # the register's drop read as consumption


def test_shared_areas_apportioned_by_area_and_by_consumption() -> None:
    a = billing.meter_line(1, "A", SAMPLES_A, PERIODS, PRICES, ZONE, replacement=REPLACED)
    b = billing.meter_line(2, "B", [(ms(12, 13), 0.0), (ms(12, 14), 17.0)], PERIODS, PRICES, ZONE)  # flat
    shared = billing.meter_line(3, "shared", [(ms(12, 13), 500.0), (ms(12, 15), 550.0)], PERIODS, PRICES, ZONE)
    assert shared.total_amount == pytest.approx(30.0)  # 50 kWh flat
    by_area = billing.bills(dt.date(2026, 3, 1), {10: [a], 20: [b]}, shared, "area", {10: 300.0, 20: 200.0})
    assert [(x.enterprise_id, x.shared_share, x.shared_kwh, x.shared_amount) for x in by_area] == [
        (10, pytest.approx(0.6), pytest.approx(30.0), 18.0),
        (20, pytest.approx(0.4), pytest.approx(20.0), 12.0),
    ]
    assert by_area[0].total_amount == pytest.approx(61.8)
    assert by_area[1].total_amount == pytest.approx(17 * 0.6 + 12.0)
    by_use = billing.bills(dt.date(2026, 3, 1), {10: [a], 20: [b]}, shared, "consumption", {})
    assert [x.shared_amount for x in by_use] == [pytest.approx(24.9), pytest.approx(5.1)]  # 83 : 17
    assert sum(x.shared_amount for x in by_use) == pytest.approx(shared.total_amount)


def test_quota_warnings_before_the_quota_is_reached() -> None:
    months = plans.monthly(1200.0)
    assert months == [100.0] * 12
    ahead = plans.progress(1200.0, months, [100, 110, 130], 3)
    assert (ahead.plan_to_date, ahead.actual_to_date) == (300.0, 340.0)
    assert ahead.projected == pytest.approx(1360.0)
    assert ahead.warnings == ("ahead", "projected")
    on_plan = plans.progress(1200.0, months, [100, 100, 100], 3)
    assert on_plan.warnings == ()
    approaching = plans.progress(1200.0, months, [102] * 10, 10)  # 1020 = 85 % of the year
    assert approaching.warnings == ("approaching", "projected")
    near = plans.progress(1200.0, months, [110] * 10, 10)  # 1100 = 91.7 %
    assert near.warnings == ("near", "projected")
    reached = plans.progress(1200.0, months, [100] * 11 + [150], 12)
    assert reached.warnings == ("reached",)
    weighted = plans.monthly(1200.0, [2] + [1] * 11)
    assert weighted[0] == pytest.approx(1200.0 * 2 / 13) and sum(weighted) == pytest.approx(1200.0)


def test_sankey_totals_balance_to_the_park_meters() -> None:
    meters = [
        sankey.MeterNode(1, None, "园区总表", "electricity", "purchased", "park"),
        sankey.MeterNode(2, 1, "A栋", "electricity", "purchased", "building"),
        sankey.MeterNode(3, 1, "B栋", "electricity", "purchased", "building"),
        sankey.MeterNode(4, 2, "企业甲", "electricity", "purchased", "enterprise"),
        sankey.MeterNode(5, 2, "企业乙", "electricity", "purchased", "enterprise"),
        sankey.MeterNode(6, None, "屋顶光伏", "electricity", "generated", "park"),
        sankey.MeterNode(7, None, "天然气总表", "natural_gas", "purchased", "park"),
        sankey.MeterNode(8, 7, "食堂", "natural_gas", "purchased", "building"),
    ]
    use = {1: 1000.0, 2: 600.0, 3: 300.0, 4: 400.0, 5: 250.0, 6: 80.0, 7: 50.0, 8: 50.0}
    labels = {
        "source:purchased": "外购",
        "source:generated": "自发",
        "carrier:electricity": "电",
        "carrier:natural_gas": "天然气",
    }
    diagram = sankey.build(meters, use, labels)
    assert all(abs(v) < 1e-9 for v in diagram.balance().values())
    assert diagram.sources_total == {"electricity": 1080.0, "natural_gas": 50.0}
    assert diagram.sources_total == diagram.top_meters_total
    out_of_sources = sum(link.value for link in diagram.links if link.source in ("外购", "自发"))
    assert out_of_sources == pytest.approx(use[1] + use[6] + use[7])
    losses = [link for link in diagram.links if link.target.startswith("losses")]
    assert [(link.source, link.value) for link in losses] == [("园区总表 #1", 100.0)]
    difference = [link for link in diagram.links if link.source.startswith("difference")]
    assert [(link.target, link.value) for link in difference] == [("A栋 #2", 50.0)]  # children 650 > 600


def seasonal_series() -> list[float]:
    return [10 + t + [0, 5, 2, 8][t % 4] for t in range(24)]


def test_backtest_figures_on_a_series_with_a_known_answer() -> None:
    series = seasonal_series()
    naive = forecast.backtest(series, 4)
    # the seasonal naive forecast of a trend of 1 a step misses by exactly one season's rise (4) everywhere
    assert naive.origins == 16 and naive.mae == pytest.approx(4.0) and naive.rmse == pytest.approx(4.0)
    assert naive.mase == pytest.approx(1.0)
    assert naive.mape == pytest.approx(100 / 16 * sum(4 / series[t] for t in range(8, 24)))
    flat = [3.0, 1.0, 4.0, 1.0] * 6  # a pure season: no error at all
    assert forecast.backtest(flat, 4).mae == 0.0
    hw = forecast.backtest(series, 4, method="holt_winters")
    assert hw.mase is not None and hw.mase < 1.0  # better than the baseline on trend + season
    result = forecast.forecast(series, 4, 4)
    assert result.values == pytest.approx([34 + 0, 35 + 5, 36 + 2, 37 + 8], abs=0.5)
    assert all(lo < v < hi for lo, v, hi in zip(result.low, result.values, result.high, strict=True))
    assert result.baseline.method == "seasonal_naive" and not math.isnan(result.backtest.mae)
