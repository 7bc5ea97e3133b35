"""The daily electricity demand forecast per building: its backtest on a series with a known answer, the series read
from a building's meters (its own and its enterprises' main meters), and the page (staff only, both languages,
a building of another park not found)."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.auth.scope import system_scope
from digipark.automation import demand, service
from digipark.core.errors import NotFound
from digipark.energy.models import EnergyMeter
from digipark.telemetry.models import Rollup1d
from tests.conftest import World
from tests.web.helpers import login, visible_text

WEEK = [150.0, 160.0, 170.0, 180.0, 190.0, 120.0, 110.0]  # Monday … Sunday, lower at the weekend
DAYS = 56


def known_series(days: int = DAYS) -> list[float]:
    """A weekly pattern on a rise of 1 kWh a day: the seasonal naive forecast misses by exactly 7 every day."""
    return [WEEK[t % 7] + t for t in range(days)]


def test_backtest_figures_on_a_series_with_a_known_answer() -> None:
    series = known_series()
    made = demand.demand_forecast_of([0.0] * 10 + series)  # the leading days without consumption are left out
    assert made is not None
    base = made.baseline
    assert base.method == "seasonal_naive" and base.origins == demand.BACKTEST_DAYS == 28
    assert base.mae == pytest.approx(7.0) and base.rmse == pytest.approx(7.0)
    assert base.mase == pytest.approx(1.0)  # the in-sample seasonal naive error is 7 as well
    expected_mape = 100 / 28 * sum(7 / series[t] for t in range(DAYS - 28, DAYS))
    assert base.mape == pytest.approx(expected_mape)
    # trend and season exactly additive: Holt-Winters does far better than the baseline
    assert made.backtest.mase is not None and made.backtest.mase < 0.2
    assert made.values == pytest.approx([WEEK[t % 7] + t for t in range(DAYS, DAYS + 7)], abs=1.0)
    assert all(lo <= v <= hi for lo, v, hi in zip(made.low, made.values, made.high, strict=True))
    assert demand.demand_forecast_of(series[: demand.MIN_DAYS - 1]) is None  # too short: no forecast


def _day_ms(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=service.zone()).timestamp() * 1000)


def _meter_with_days(db: Session, world: World, until: dt.date) -> EnergyMeter:
    a = world.a
    meter = EnergyMeter(
        park_id=a.park_id,
        enterprise_id=a.enterprise_ids[0],
        building_id=a.building_id,
        code="DEMAND-E0",
        name="DEMAND-E0",
        level="enterprise",
        carrier="electricity",
        flow="purchased",
        source="telemetry",
        unit="kWh",
        point_id=a.point_ids[0],
        terms=[],
    )
    db.add(meter)
    first = until - dt.timedelta(days=DAYS)
    for t, value in enumerate(known_series()):
        db.add(Rollup1d(point_id=a.point_ids[0], bucket=_day_ms(first + dt.timedelta(days=t)), count=24, delta=value))
    db.flush()
    return meter


def test_a_buildings_series_and_forecast_from_its_meters(db: Session, world: World) -> None:
    until = dt.date(2025, 6, 2)
    _meter_with_days(db, world, until)
    scope = system_scope(world.a.park_id)
    series = demand.daily_demand(db, scope=scope, until=until, building_id=world.a.building_id)
    assert demand.usable(series) == known_series()
    assert (world.a.building_id, "1号厂房") in demand.buildings(db, scope=scope)
    made = demand.demand_forecast(db, scope=scope, until=until, building_id=world.a.building_id)
    assert made is not None and made.result.baseline.mae == pytest.approx(7.0)
    assert made.ahead[0] == until and len(made.ahead) == 7
    with pytest.raises(NotFound):  # a building of another park
        demand.demand_forecast(db, scope=scope, until=until, building_id=world.b.building_id)


def test_the_demand_page_for_staff_in_both_languages(client: TestClient, db: Session, world: World) -> None:
    today = dt.datetime.now(service.zone()).date()
    _meter_with_days(db, world, today)
    login(client, "TA-park_admin")
    url = f"/energy-ops/demand?building_id={world.a.building_id}"
    zh = client.get(url, params={"lang": "zh"})
    assert zh.status_code == 200 and 'id="demand-svg"' in zh.text and 'id="demand-mase"' in zh.text
    assert "日用电需求预测" in visible_text(zh.text) and "80%区间" in visible_text(zh.text)
    en = client.get(url, params={"lang": "en"}).text
    assert "Daily electricity demand forecast" in visible_text(en) and "1.000" in en  # the baseline's MASE
    assert client.get(f"/energy-ops/demand?building_id={world.b.building_id}").status_code == 404
    assert client.get("/energy-ops/demand?building_id=0").status_code == 422
    client.cookies.clear()
    login(client, "TA-enterprise")
    assert client.get(url).status_code == 403
