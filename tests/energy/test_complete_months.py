"""Year on year, month on month and anomalies compare closed months whose records are complete: a previous year whose
readings begin late in a compared month, or the demo still writing its history, withholds the figure and says why
instead of showing a number computed over part of the data; a month in progress is never an anomaly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.auth.scope import system_scope
from digipark.core import progress
from digipark.energy import accounts, load, service
from digipark.energy.common import month_starts
from digipark.energy.schemas import EnterpriseAccount, EntryCreate, ParkSummary
from digipark.telemetry.models import Rollup1mo
from tests.conftest import World
from tests.economy.helpers import series
from tests.energy.test_kept_reads import _electricity_meter
from tests.web.helpers import login

DAY_MS = 86_400_000
TODAY = dt.date(2026, 4, 15)  # January to March closed, April in progress


@pytest.fixture(autouse=True)
def _april(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(accounts, "today", lambda: TODAY)
    monkeypatch.setattr(load, "today", lambda: TODAY)
    monkeypatch.setattr(service, "today", lambda: TODAY)
    yield
    progress.report(progress.DEMO_HISTORY, "idle", 0, 0)


def _metered(db: Session, world: World, year: int, kwh: dict[int, float], begins_late: Collection[int] = ()) -> None:
    """Month rollups of the enterprise's electricity meter: `kwh` by month; months in `begins_late` read from day 6."""
    starts = month_starts(year)
    for month, value in kwh.items():
        first = starts[month - 1] + (5 * DAY_MS if month in begins_late else 0)
        db.add(
            Rollup1mo(
                point_id=world.a.point_ids[0],
                bucket=starts[month - 1],
                count=100,
                bad_count=0,
                sum=value,
                first_ts=first,
                last_ts=starts[month] - 3_600_000,
                delta=value,
            )
        )
    db.flush()


def _summary_and_account(db: Session, world: World) -> tuple[ParkSummary, EnterpriseAccount]:
    scope = system_scope(world.a.park_id)
    summary = service.park_summary(db, scope=scope, park_id=world.a.park_id, year=2026)
    account = service.enterprise_account(db, scope=scope, enterprise_id=world.a.enterprise_ids[0], year=2026)
    return summary, account


def test_closed_months_of_both_years_are_compared(db: Session, world: World) -> None:
    _electricity_meter(db, world, "E-YOY")
    _metered(db, world, 2025, {m: 1000.0 for m in range(1, 13)})
    _metered(db, world, 2026, {1: 1200.0, 2: 1200.0, 3: 1500.0, 4: 9000.0})  # April is in progress: not compared
    summary, account = _summary_and_account(db, world)
    figures: ParkSummary | EnterpriseAccount
    for figures in (summary, account):
        assert figures.yoy_months == 3 and figures.yoy_withheld is None
        assert figures.yoy_tce_pct == pytest.approx(30.0)  # 3,900 / 3,000 − 1
    assert account.mom_month == 3 and account.mom_tce_pct == pytest.approx(25.0)
    assert [m.complete for m in summary.months[:5]] == [True, True, True, False, False]  # April in progress
    assert all(m.previous_complete for m in summary.months)


def test_a_previous_year_recorded_from_the_middle_of_a_compared_month_withholds_it(db: Session, world: World) -> None:
    _electricity_meter(db, world, "E-YOY")
    _metered(db, world, 2025, {2: 300.0, 3: 1000.0}, begins_late={2})  # January missing, February from the 6th
    _metered(db, world, 2026, {1: 1200.0, 2: 1200.0, 3: 1500.0})
    summary, account = _summary_and_account(db, world)
    for figures in (summary, account):
        assert figures.yoy_tce_pct is None and figures.yoy_tco2_pct is None
        assert figures.yoy_withheld == "previous_year_incomplete" and figures.yoy_months == 0
    assert account.mom_tce_pct == pytest.approx(25.0)  # this year's March against February: no previous year needed
    assert [m.previous_complete for m in account.months[:3]] == [False, False, True]


def test_a_year_recorded_from_the_middle_withholds_it_too(db: Session, world: World) -> None:
    _electricity_meter(db, world, "E-YOY")
    _metered(db, world, 2025, {m: 1000.0 for m in range(1, 13)})
    _metered(db, world, 2026, {1: 200.0, 2: 1200.0, 3: 1500.0}, begins_late={1})
    summary, _ = _summary_and_account(db, world)
    assert summary.yoy_tce_pct is None and summary.yoy_withheld == "year_incomplete"


def test_without_telemetry_meters_the_months_entered_are_the_records(db: Session, world: World) -> None:
    scope, enterprise = system_scope(world.a.park_id), world.a.enterprise_ids[0]
    for period, tonnes in (("2025-01", 10), ("2025-02", 10), ("2025-03", 10), ("2026-01", 11), ("2026-02", 11)):
        data = EntryCreate(enterprise_id=enterprise, carrier="bituminous", period=period, quantity=tonnes, unit="t")
        service.create_entry(db, scope=scope, data=data)
    account = service.enterprise_account(db, scope=scope, enterprise_id=enterprise, year=2026)
    assert account.yoy_withheld == "year_incomplete"  # March 2026 closed and not entered
    data = EntryCreate(enterprise_id=enterprise, carrier="bituminous", period="2026-03", quantity=11, unit="t")
    service.create_entry(db, scope=scope, data=data)
    account = service.enterprise_account(db, scope=scope, enterprise_id=enterprise, year=2026)
    assert account.yoy_months == 3 and account.yoy_tce_pct == pytest.approx(10.0)


def test_while_the_demo_writes_its_history_the_pages_say_so(db: Session, world: World, client: TestClient) -> None:
    _electricity_meter(db, world, "E-YOY")
    _metered(db, world, 2025, {m: 1000.0 for m in range(1, 13)})
    _metered(db, world, 2026, {1: 1200.0, 2: 1200.0, 3: 1500.0})
    progress.report(progress.DEMO_HISTORY, "history", 40, 160)
    summary, _ = _summary_and_account(db, world)
    assert summary.yoy_tce_pct is None and summary.yoy_withheld == "history_loading"
    login(client, "TA-park_admin")
    zh = client.get("/energy?year=2026&lang=zh").text
    assert "历史数据加载中（一年历史数据，25 %）" in zh and "历史数据加载完成后计算" in zh
    en = client.get("/energy?year=2026&lang=en").text
    assert "History loading (One year of history, 25 %)" in en
    progress.report(progress.DEMO_HISTORY, "done", 160, 160)
    done = client.get("/energy?year=2026&lang=en").text
    assert "History loading" not in done and "Year on year (months 1–3)" in done
    assert "2026-04 counted to date" in done  # the month in progress, under the trend chart's title


def test_anomalies_are_found_in_complete_months_only(db: Session, world: World) -> None:
    _electricity_meter(db, world, "E-YOY")
    _metered(db, world, 2025, {m: 1000.0 for m in range(1, 13)})
    # February read from its 6th (a late start, not a fall), March doubled, April in progress (a fortnight's use)
    _metered(db, world, 2026, {1: 1000.0, 2: 300.0, 3: 2000.0, 4: 500.0}, begins_late={2})
    found = service.anomalies(db, scope=system_scope(world.a.park_id), park_id=world.a.park_id, year=2026)
    assert [(a.month, a.deviation_pct) for a in found] == [(dt.date(2026, 3, 1), 100.0)]


def test_intensity_divides_the_months_whose_output_is_reported(db: Session, world: World) -> None:
    _electricity_meter(db, world, "E-YOY")
    _metered(db, world, 2026, {1: 1000.0, 2: 1000.0, 3: 1000.0})
    enterprise = world.a.enterprise_ids[0]
    series(db, world.a, enterprise, {"2026-01": 100.0, "2026-02": 100.0})  # March's statistics not yet reported
    summary, account = _summary_and_account(db, world)
    january, february = account.months[0].tce_equivalent, account.months[1].tce_equivalent
    assert account.comprehensive_tce_equivalent == pytest.approx(3 * january)
    assert account.output_through_month == 2 and summary.output_through_month == 2
    assert account.tce_per_wan_yuan == pytest.approx((january + february) / 200)
    assert summary.tce_per_wan_yuan == pytest.approx((january + february) / 200)
