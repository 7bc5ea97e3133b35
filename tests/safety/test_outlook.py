"""The risk picture's next-week trend: its backtest on a series with a known answer, the daily event counts from
the records an enterprise or the staff may read, and the panel on the safety centre."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.core import forecast
from digipark.safety import outlook, service
from digipark.safety.schemas import HiddenDangerCreate
from tests.conftest import World
from tests.safety.helpers import admin, own
from tests.web.helpers import login, visible_text

WEEK = [2.0, 3.0, 4.0, 3.0, 2.0, 0.0, 0.0]  # events a day, Monday … Sunday


def test_backtest_figures_on_a_series_with_a_known_answer() -> None:
    # one more event each weekday every week: the seasonal naive forecast misses by exactly 1 on weekdays, 0 at
    # the weekend — inside the backtest (4 whole weeks: MAE 5/7) and in-sample (the scale: days 7..54, 35 weekdays
    # of 48): MASE (5/7) / (35/48) = 48/49
    series = [WEEK[t % 7] + (t // 7 if t % 7 < 5 else 0) for t in range(8 * 7)]
    made = outlook.week_ahead_of(series)
    assert made is not None
    result, total, low, high = made
    base = result.baseline
    assert base.origins == outlook.BACKTEST_DAYS == 28
    assert base.mae == pytest.approx(5 / 7) and base.mase == pytest.approx(48 / 49)
    assert base.rmse == pytest.approx(math.sqrt(5 / 7))
    assert base.mape is None  # weekend days with no event: no percentage error
    assert result.backtest.mase is not None and result.backtest.mase < 1.0  # Holt-Winters follows the rise
    assert result.method == "holt_winters"
    assert total == pytest.approx(sum(result.values)) and low <= total <= high
    assert high - total == pytest.approx(forecast.Z80 * result.backtest.rmse * math.sqrt(7))
    # a flat weekly pattern is the baseline's exactly: the forecast shown is the baseline's, the interval 0 wide
    flat = outlook.week_ahead_of(WEEK * 8)
    assert flat is not None
    assert flat[0].method == "seasonal_naive" and flat[0].values == WEEK and flat[1] == pytest.approx(14.0)
    assert flat[0].baseline.mae == 0.0 and flat[2] == flat[3] == pytest.approx(14.0)
    assert outlook.week_ahead_of([0.0] * 56) is None  # no event at all: nothing to forecast
    assert outlook.week_ahead_of(series[:40]) is None  # too short


def test_daily_counts() -> None:
    first = dt.date(2026, 3, 1)
    days = [first, first, dt.date(2026, 3, 3), dt.date(2026, 2, 28), dt.date(2026, 3, 5)]
    assert outlook.daily_counts(days, first, 4) == [2.0, 0.0, 1.0, 0.0]


def test_the_events_each_reader_may_read(db: Session, world: World) -> None:
    today = dt.date(2026, 3, 30)
    a = world.a
    for t in range(outlook.HISTORY_DAYS):
        day = today - dt.timedelta(days=outlook.HISTORY_DAYS - t)
        for n in range(int(WEEK[day.weekday()])):
            enterprise = a.enterprise_ids[n % 2]
            service.create_hidden_danger(
                db,
                scope=admin(a),
                data=HiddenDangerCreate(
                    title=f"巡检发现{t}-{n}", building_id=a.building_id, enterprise_id=enterprise, found_on=day
                ),
            )
    staff = outlook.week_ahead(db, scope=admin(a), park_id=a.park_id, today=today)
    assert staff is not None and staff.by_kind["hidden_dangers"] == 12 * 14
    assert staff.history[-7:] == [WEEK[(today - dt.timedelta(days=7 - i)).weekday()] for i in range(7)]
    assert staff.ahead[0] == today and staff.last_week == 14
    mine = outlook.week_ahead(db, scope=own(a), park_id=a.park_id, today=today)
    assert mine is not None and mine.by_kind["hidden_dangers"] < staff.by_kind["hidden_dangers"]
    assert outlook.week_ahead(db, scope=admin(world.b), park_id=world.b.park_id, today=today) is None


def test_the_trend_panel_on_the_safety_centre(client: TestClient, world: World) -> None:
    login(client, "TA-park_admin")
    zh = client.get("/safety", params={"lang": "zh"})
    assert zh.status_code == 200 and 'id="risk-trend"' in zh.text and "下周趋势" in visible_text(zh.text)
    en = client.get("/safety", params={"lang": "en"}).text
    assert "Next week's trend" in visible_text(en)
