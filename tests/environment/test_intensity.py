"""Solid waste intensity per unit of output (source reduction): the figures on hand-computed cases, the
enterprises that worsen, and the page (an enterprise sees only its own)."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.economy.models import MonthlyStatistic
from digipark.economy.provides import add_months
from digipark.environment import intensity
from digipark.environment.models import WasteEntry
from tests.conftest import World
from tests.web.helpers import login, visible_text

LAST = dt.date(2025, 12, 1)
MONTHS = [add_months(LAST, i - 11) for i in range(12)]


def test_intensity_year_on_year_and_trend_on_hand_computed_cases() -> None:
    waste = {m: 10.0 for m in MONTHS} | {add_months(m, -12): 10.0 for m in MONTHS}
    output = {m: 100.0 for m in MONTHS} | {add_months(m, -12): 125.0 for m in MONTHS}
    row = intensity.summarise(7, "甲", MONTHS, waste, output)
    # 120 t on 1,200 万元 against 120 t on 1,500 万元 a year before: 0.1 against 0.08, +25 %
    assert row.window_intensity == pytest.approx(0.1) and row.previous_intensity == pytest.approx(0.08)
    assert row.year_on_year_pct == pytest.approx(25.0) and row.worsening
    assert row.trend_pct == pytest.approx(0.0) and row.intensity == [pytest.approx(0.1)] * 12
    # without the year before: the trend decides — intensities 1..12 (slope 1 a month, median 6.5)
    rising = intensity.summarise(
        8, "乙", MONTHS, {m: float(i + 1) for i, m in enumerate(MONTHS)}, dict.fromkeys(MONTHS, 1.0)
    )
    assert rising.year_on_year_pct is None and rising.trend_pct == pytest.approx(100 * 12 / 6.5)
    assert rising.worsening
    # improving, and a month without output has no intensity
    falling = {m: float(12 - i) for i, m in enumerate(MONTHS)}
    output_gap = dict.fromkeys(MONTHS, 1.0) | {MONTHS[3]: 0.0}
    improving = intensity.summarise(9, "丙", MONTHS, falling, output_gap)
    assert improving.intensity[3] is None and improving.trend_pct is not None and improving.trend_pct < 0
    assert not improving.worsening
    assert intensity.trend_pct([1.0, None, 2.0]) is None  # too few months


def _records(db: Session, world: World) -> None:
    a = world.a
    for index, enterprise in enumerate(a.enterprise_ids):
        for i, month in enumerate(MONTHS):
            generated = 10.0 + (i if index == 0 else 0)  # enterprise 0 generates more and more on a flat output
            db.add(
                WasteEntry(
                    park_id=a.park_id, enterprise_id=enterprise, category="SW59", month=month, generated_t=generated
                )
            )
            db.add(
                MonthlyStatistic(
                    park_id=a.park_id,
                    enterprise_id=enterprise,
                    period=month,
                    output_value_wan_yuan=100.0,
                    sales_revenue_wan_yuan=100.0,
                    tax_paid_wan_yuan=5.0,
                    total_profit_wan_yuan=8.0,
                    employees=50,
                    electricity_kwh=10_000.0,
                    submitted_by="test",
                )
            )
    db.flush()


def test_the_page_lists_who_worsens_and_an_enterprise_sees_its_own(
    client: TestClient, db: Session, world: World
) -> None:
    _records(db, world)
    names = ["TA企业0", "TA企业1"]
    login(client, "TA-park_admin")
    url = "/environment/waste/intensity?last=2025-12-15"
    zh = client.get(url, params={"lang": "zh"})
    assert zh.status_code == 200, zh.text
    text = visible_text(zh.text)
    assert "固体废物产生强度" in text and all(n in text for n in names)
    worsening = zh.text.split('id="worsening"')[1].split("</section>")[0]
    assert names[0] in worsening and names[1] not in worsening
    assert "Solid waste generation intensity" in visible_text(client.get(url, params={"lang": "en"}).text)
    assert client.get("/environment/waste/intensity?last=1990-01-01").status_code == 422
    client.cookies.clear()
    login(client, "TA-enterprise2")
    own = visible_text(client.get(url).text)
    assert names[1] in own and names[0] not in own
