"""The safety centre's next-week trend is fitted off the request: a visit reads the last stored forecast of its
reader (staff: the park's, an enterprise: its own) and never fits; the job fits again only the audiences whose
inputs changed (a new day, an event recorded in the twelve weeks before), and what it keeps reads back as fitted."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.permissions import ROLE_PERMISSIONS
from digipark.core import forecast
from digipark.safety import forecasts, outlook, service
from digipark.safety.common import today
from digipark.safety.schemas import HiddenDangerCreate
from tests.conftest import ParkWorld, World
from tests.safety.helpers import admin, own
from tests.web.helpers import login

CANNED = forecast.Forecast(
    method="holt_winters",
    values=[1.0] * 7,
    low=[0.5] * 7,
    high=[1.5] * 7,
    backtest=forecast.Backtest("holt_winters", 28, 0.5, None, 0.9, 0.6),
    baseline=forecast.Backtest("seasonal_naive", 28, 0.6, None, 1.0, 0.7),
)


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[list[float]]:
    """Every series fitted, in order (the fit replaced by a canned answer: 7.3 events next week)."""
    fitted: list[list[float]] = []

    def fake(series: Sequence[float], **_: object) -> tuple[forecast.Forecast, float, float, float] | None:
        fitted.append(list(series))
        return (CANNED, 7.3, 5.0, 9.0) if any(series) else None

    monkeypatch.setattr(outlook, "week_ahead_of", fake)
    return fitted


def _danger(db: Session, park: ParkWorld, found_on: dt.date, enterprise: int | None = None) -> None:
    service.create_hidden_danger(
        db,
        scope=admin(park),
        data=HiddenDangerCreate(
            title=f"巡检发现 {found_on}", building_id=park.building_id, enterprise_id=enterprise, found_on=found_on
        ),
    )


def test_a_visit_of_the_safety_centre_never_fits(
    client: TestClient, db: Session, world: World, fits: list[list[float]]
) -> None:
    a = world.a
    _danger(db, a, today() - dt.timedelta(days=3), a.enterprise_ids[0])
    login(client, "TA-park_admin")
    page = client.get("/safety", params={"lang": "en"}).text
    assert 'id="trend-pending"' in page and "The forecast is being computed." in page and 'id="trend-week"' not in page
    assert fits == []
    assert forecasts.refresh(db, park_id=a.park_id, on=today()) == 3  # the staff's and two enterprises' (users)
    fitted = len(fits)
    page = client.get("/safety", params={"lang": "en"}).text
    assert '<strong id="trend-week">7.3</strong>' in page and 'id="trend-computed"' in page
    client.cookies.clear()
    login(client, "TA-enterprise")
    assert '<strong id="trend-week">7.3</strong>' in client.get("/safety", params={"lang": "zh"}).text
    client.cookies.clear()
    login(client, "TA-enterprise2")  # no event of its own: computed, nothing to forecast
    mine = client.get("/safety", params={"lang": "en"}).text
    assert 'id="trend-empty"' in mine and 'id="trend-computed"' in mine
    assert len(fits) == fitted  # the visits fitted nothing


def test_a_forecast_is_fitted_again_only_when_its_inputs_change(
    db: Session, world: World, fits: list[list[float]]
) -> None:
    a, on = world.a, today()
    _danger(db, a, on - dt.timedelta(days=10), a.enterprise_ids[0])
    assert forecasts.refresh(db, park_id=a.park_id, on=on) == 3
    assert forecasts.refresh(db, park_id=a.park_id, on=on) == 0  # nothing changed: nothing fitted
    _danger(db, a, on)  # found today: not in the history before today
    assert forecasts.refresh(db, park_id=a.park_id, on=on) == 0
    before = forecasts.latest(db, scope=admin(a), park_id=a.park_id)
    assert before is not None and before.trend is not None and before.trend.by_kind["hidden_dangers"] == 1
    _danger(db, a, on - dt.timedelta(days=2), a.enterprise_ids[1])  # a late record: the park's and its owner's
    fits.clear()
    assert forecasts.refresh(db, park_id=a.park_id, on=on) == 2 and len(fits) == 2
    after = forecasts.latest(db, scope=admin(a), park_id=a.park_id)
    assert after is not None and after.trend is not None and after.trend.by_kind["hidden_dangers"] == 2
    second = forecasts.latest(db, scope=own(a, 1), park_id=a.park_id)
    assert second is not None and second.trend is not None and second.trend.by_kind["hidden_dangers"] == 1
    assert forecasts.refresh(db, park_id=a.park_id, on=on + dt.timedelta(days=1)) == 3  # a new day: every one


def test_each_reader_reads_its_own_forecast(db: Session, world: World, fits: list[list[float]]) -> None:
    a, on = world.a, today()
    _danger(db, a, on - dt.timedelta(days=5), a.enterprise_ids[0])
    _danger(db, a, on - dt.timedelta(days=6))
    forecasts.refresh(db, park_id=a.park_id, on=on)
    staff = forecasts.latest(db, scope=admin(a), park_id=a.park_id)
    mine = forecasts.latest(db, scope=own(a), park_id=a.park_id)
    assert staff is not None and staff.trend is not None and staff.trend.by_kind["hidden_dangers"] == 2
    assert mine is not None and mine.trend is not None and mine.trend.by_kind["hidden_dangers"] == 1
    assert forecasts.latest(db, scope=admin(world.b), park_id=world.b.park_id) is None  # park B's: not computed


def test_every_reader_of_the_safety_centre_reads_alarms() -> None:
    # the staff's audience is read with a system scope and an enterprise's with the enterprise role's: both read
    # alarms, as every role that opens the safety centre does (else its readers would see other figures)
    readers = [role for role, granted in ROLE_PERMISSIONS.items() if "safety.view" in granted]
    assert Role.ENTERPRISE in readers and Role.PARK_ADMIN in readers
    assert all("alarm.view" in ROLE_PERMISSIONS[role] for role in readers)
    assert forecasts.reader_of((1, 2)).can("alarm.view") and forecasts.reader_of((1, None)).can("alarm.view")


def test_a_stored_forecast_reads_back_as_fitted(db: Session, world: World) -> None:
    week = [2.0, 3.0, 4.0, 3.0, 2.0, 0.0, 0.0]
    series = [week[t % 7] + (t // 7 if t % 7 < 5 else 0) for t in range(outlook.HISTORY_DAYS)]
    found = outlook.Events(today=dt.date(2026, 3, 30), series=series, by_kind={"alarms": 0, "hidden_dangers": 9})
    fitted = outlook.forecast_of(found)
    assert fitted is not None
    stored = json.loads(json.dumps(forecasts.to_json(fitted)))  # as the JSON column keeps it
    assert forecasts.from_json(stored) == fitted


def test_the_job_fits_in_the_background(db: Session, world: World, fits: list[list[float]]) -> None:
    a = world.a
    _danger(db, a, today() - dt.timedelta(days=1), a.enterprise_ids[0])
    job = forecasts.ForecastRefresh()
    assert job.run_once() >= 3  # park A's three audiences, and park B's
    assert job.run_once() == 0
    stored = forecasts.latest(db, scope=admin(a), park_id=a.park_id)
    assert stored is not None and stored.computed_at is not None and stored.trend is not None


def test_the_served_demo_writes_its_forecasts_in_transactions_of_their_own(
    db: Session, world: World, fits: list[list[float]]
) -> None:
    a = world.a
    _danger(db, a, today() - dt.timedelta(days=4), a.enterprise_ids[0])
    assert forecasts.write_demo_forecasts(park_id=a.park_id) == {"safety forecasts": 3}
    assert forecasts.write_demo_forecasts(park_id=a.park_id) == {"safety forecasts": 0}
