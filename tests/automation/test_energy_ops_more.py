"""Energy operations beyond the bill: the storage dispatch LP on a hand-computed case, the 能耗双控 view, prepaid
accounts with their low-balance warning, the site's year, the monthly output-value forecast's backtest on a series
with a known answer, and the API of all these."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.automation import dualcontrol, forecast, outlook, prepaid, site, storage
from tests.conftest import World, bearer

PRICES = [0.3, 0.3, 1.0, 1.0]


def test_storage_dispatch_on_a_hand_computed_case() -> None:
    # 4 h of 100 kW; a 100 kWh / 50 kW battery, empty, must end at least as full as it began.
    lossless = storage.Battery(100, 50, 1.0, 1.0, 0.0, 1.0)
    plan = storage.dispatch(PRICES, [100.0] * 4, lossless, initial_soc_kwh=0)
    # charge 50 + 50 in the cheap hours, give it back in the dear ones: grid 150, 150, 50, 50
    assert plan.grid_kw == pytest.approx([150, 150, 50, 50])
    assert plan.cost_before == pytest.approx(0.3 * 200 + 1.0 * 200)  # 260
    assert plan.cost_after == pytest.approx(0.3 * 300 + 1.0 * 100)  # 190
    assert plan.cycles == pytest.approx(1.0)
    # 90 % each way: 100 kWh bought stores 90 and gives back 81 (power 50 is not binding on discharge)
    lossy = storage.Battery(100, 50, 0.9, 0.9, 0.0, 1.0)
    plan = storage.dispatch(PRICES, [100.0] * 4, lossy, initial_soc_kwh=0)
    assert plan.cost_after == pytest.approx(0.3 * 300 + 1.0 * (200 - 81))  # 209
    assert sum(plan.discharge_kw) == pytest.approx(81)
    assert plan.soc_kwh[-1] == pytest.approx(0, abs=1e-6)
    # flat prices: nothing to gain, the battery stays idle
    idle = storage.dispatch([0.5] * 4, [100.0] * 4, lossy, initial_soc_kwh=0)
    assert idle.saving == pytest.approx(0) and sum(idle.charge_kw) == pytest.approx(0, abs=1e-6)
    # PV covering the load in the cheap hours: the surplus is stored instead of spilled
    pv = storage.dispatch(PRICES, [100.0] * 4, lossless, pv_kw=[150, 150, 0, 0], initial_soc_kwh=0)
    assert pv.cost_before == pytest.approx(200) and pv.cost_after == pytest.approx(100)


def test_dual_control_against_its_targets() -> None:
    previous_tce = [100.0] * 12  # 1,200 tce on 12,000 万元: 0.1 tce/万元
    previous_output = [1000.0] * 12
    tce = [102.0] * 12
    output = [1100.0] * 12
    ranking = [(1, "甲", 500.0, 0.2), (2, "乙", 700.0, 0.1), (3, "丙", 24.0, None)]
    view = dualcontrol.view(
        2026,
        tce,
        output,
        previous_tce,
        previous_output,
        ranking,
        months=6,
        targets={"intensity_reduction_per_year": 0.05, "total_growth_cap": 0.03, "top_contributors": 2},
    )
    assert view.previous_intensity == pytest.approx(0.1)
    assert view.intensity_target == pytest.approx(0.095)
    assert view.total_target == pytest.approx(1236.0)
    assert view.total_tce == pytest.approx(612.0)
    assert view.intensity == pytest.approx(612 / 6600)  # 0.0927 ≤ 0.095
    june = view.months[5]
    assert june.total_target_to_date == pytest.approx(618.0) and june.total_ok is True and june.intensity_ok
    assert view.months[6].total_ok is None  # a month not yet passed has no verdict
    assert [c.enterprise_id for c in view.contributors] == [2, 1]
    assert view.contributors[0].share == pytest.approx(700 / 612)
    over = dualcontrol.view(2026, [110.0] * 12, output, previous_tce, previous_output, [], months=12)
    assert over.months[0].total_ok is False  # 110 > 1,236 / 12 = 103


def test_prepaid_warns_once_per_fall_below_the_level() -> None:
    first = prepaid.apply(1500.0, -600.0, 1000.0, False)
    assert (first.balance, first.warned, first.warn_now) == (900.0, True, True)
    again = prepaid.apply(first.balance, -100.0, 1000.0, first.warned)
    assert (again.balance, again.warn_now) == (800.0, False)
    topped = prepaid.apply(again.balance, 500.0, 1000.0, again.warned)
    assert (topped.balance, topped.warned, topped.warn_now) == (1300.0, False, False)
    assert prepaid.apply(topped.balance, -400.0, 1000.0, topped.warned).warn_now


def test_output_backtest_on_a_monthly_series_with_a_known_answer() -> None:
    season = [0.0, -30.0, 10.0, 5.0, 5.0, 0.0, -5.0, -5.0, 0.0, 5.0, 10.0, 20.0]
    series = [100.0 + 2.0 * t + season[t % 12] for t in range(48)]
    naive = forecast.backtest(series, 12, method="seasonal_naive", min_train=36)
    # the seasonal naive method misses a rise of 2 a month by exactly 24 every month
    assert naive.origins == 12 and naive.mae == pytest.approx(24.0) and naive.mase == pytest.approx(1.0)
    assert naive.mape == pytest.approx(100 / 12 * sum(24 / series[t] for t in range(36, 48)))
    made = outlook.forecast_series(series)
    assert made is not None and made.backtest.mase is not None and made.backtest.mase < 0.1
    assert made.baseline.mase == pytest.approx(1.0)
    assert made.values[0] == pytest.approx(100 + 2 * 48 + season[0], abs=1.0)
    assert all(lo <= v <= hi for lo, v, hi in zip(made.low, made.values, made.high, strict=True))
    assert outlook.forecast_series(series[:30]) is None  # under three seasons: no forecast


def test_a_gap_in_the_output_series_takes_last_years_value() -> None:
    values = {dt.date(2024, m, 1): float(m) for m in range(1, 13)}
    values |= {dt.date(2025, 1, 1): 21.0, dt.date(2025, 3, 1): 23.0}
    months, series = outlook.monthly_series(values, dt.date(2025, 3, 1))
    assert months[0] == dt.date(2024, 1, 1) and len(series) == 15
    assert series[-3:] == [21.0, 2.0, 23.0]


def test_the_site_year_is_believable() -> None:
    prices = [0.3] * 8 + [1.0] * 3 + [0.7] * 6 + [1.0] * 5 + [0.3] * 2
    year = site.site_year(2025, prices)
    pv = sum(d.pv_kwh for d in year.days)
    kwp = site.site_data()["pv"]["kwp"]
    assert 900 * kwp < pv < 1400 * kwp  # kWh per kWp a year in east China
    assert all(d.self_kwh <= d.pv_kwh + 1e-6 for d in year.days)
    unit = site.battery()
    assert all(unit.min_soc * unit.capacity_kwh - 1e-6 <= d.soc_end_kwh <= unit.max_soc * unit.capacity_kwh + 1e-6
               for d in year.days)  # fmt: skip
    assert 200 < sum(d.cycles for d in year.days) < 730  # one or two cycles a day at most
    assert all(s.fee == pytest.approx(s.energy_fee + s.service_fee, abs=0.01) for s in year.sessions[:50])
    months = year.monthly()
    assert months[6]["pv_kwh"] > months[11]["pv_kwh"] and sum(m["sessions"] for m in months) == len(year.sessions)


def test_prepaid_accounts_and_the_new_reports_through_the_api(client: TestClient, world: World, db: Session) -> None:
    from digipark.notices.models import Notice

    admin = bearer(world.a.tokens["park_admin"])
    enterprise = world.a.enterprise_ids[0]
    body = {"enterprise_id": enterprise, "amount": 300, "low_balance": 1000}
    account = client.post("/api/v1/energy-ops/prepaid/top-up", json=body, headers=admin)
    assert account.status_code == 200, account.text
    assert account.json()["balance"] == 300 and account.json()["warned"] is True
    titles = list(db.scalars(select(Notice.title)))
    assert any("预付费电费余额不足" in t for t in titles)
    topped = client.post("/api/v1/energy-ops/prepaid/top-up", json={**body, "amount": 2000}, headers=admin).json()
    assert topped["balance"] == 2300 and topped["warned"] is False
    own = client.get("/api/v1/energy-ops/prepaid", headers=bearer(world.a.tokens["enterprise"])).json()
    assert [a["enterprise_id"] for a in own] == [enterprise]
    entries = client.get(f"/api/v1/energy-ops/prepaid/{own[0]['id']}/entries", headers=admin).json()
    assert [e["amount"] for e in entries] == [2000, 300]
    deducted = client.post("/api/v1/energy-ops/prepaid/deduct", json={"month": "2026-09-01"}, headers=admin)
    assert deducted.status_code == 200, deducted.text
    again = client.post("/api/v1/energy-ops/prepaid/deduct", json={"month": "2026-09-01"}, headers=admin)
    assert again.status_code in (200, 409)
    bad = client.post("/api/v1/energy-ops/prepaid/top-up", json={**body, "amount": -5}, headers=admin)
    assert bad.status_code == 422
    pdf = client.get("/api/v1/energy-ops/bills.pdf", params={"month": "2026-09-01"}, headers=admin)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    dual = client.get("/api/v1/energy-ops/dual-control", params={"year": 2026}, headers=admin)
    assert dual.status_code == 200 and len(dual.json()["months"]) == 12 and dual.json()["source"]
    plan = client.get("/api/v1/energy-ops/storage-dispatch", params={"day": "2026-07-01"}, headers=admin).json()
    assert plan["cost_after"] <= plan["cost_before"] + 1e-6 and len(plan["soc_kwh"]) == 24


def test_outlook_and_prepaid_pages_in_both_languages(client: TestClient, world: World) -> None:
    from tests.web.helpers import form_token, login, visible_text

    login(client, "TA-park_admin")
    for url, zh, en in (
        ("/energy-ops/outlook", "能耗与产值展望", "Energy and output outlook"),
        ("/energy-ops/prepaid", "预付费账户", "Prepaid accounts"),
    ):
        zh_page = client.get(url, params={"lang": "zh"})
        assert zh_page.status_code == 200 and zh in visible_text(zh_page.text), url
        assert en in visible_text(client.get(url, params={"lang": "en"}).text), url
    assert "能耗双控" in visible_text(client.get("/energy-ops/outlook", params={"lang": "zh"}).text)
    token = form_token(client.get("/energy-ops/prepaid").text)
    enterprise = world.a.enterprise_ids[0]
    posted = client.post(
        "/energy-ops/prepaid",
        data={"csrf_token": token, "enterprise_id": str(enterprise), "amount": "600", "low_balance": "1000"},
        follow_redirects=False,
    )
    assert posted.status_code == 303, posted.text[:500]
    client.cookies.clear()
    login(client, "TA-enterprise")
    own = client.get("/energy-ops/prepaid", params={"lang": "zh"})
    assert own.status_code == 200 and "600.00" in own.text and "余额已低于预警值" in visible_text(own.text)
    outlook_page = client.get("/energy-ops/outlook", params={"lang": "zh"}).text
    assert 'id="dual-control"' not in outlook_page and 'id="output-forecast"' in outlook_page


def test_dual_control_sets_no_target_from_an_incomplete_previous_year() -> None:
    output = [1000.0] * 12
    partial = [0.0] * 9 + [100.0] * 3  # the demo's history back-filled from October only
    view = dualcontrol.view(2026, [110.0] * 12, output, partial, output, [], months=12, targets={})
    assert not view.previous_year_complete
    assert view.total_target is None and view.intensity_target is None
    assert all(m.total_ok is None for m in view.months)


def test_the_dual_control_source_note_is_in_the_page_language(client: TestClient) -> None:
    from tests.web.helpers import login, visible_text

    data = dualcontrol.targets_data()
    assert data["source"] and data["source_en"] and data["source"] != data["source_en"]
    login(client, "TA-park_admin")
    chinese = visible_text(client.get("/energy-ops/outlook", params={"lang": "zh"}).text)
    english = visible_text(client.get("/energy-ops/outlook", params={"lang": "en"}).text)
    assert data["source"] in chinese and data["source_en"] not in chinese
    assert data["source_en"] in english and data["source"] not in english
