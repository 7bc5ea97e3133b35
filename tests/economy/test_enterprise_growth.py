"""An enterprise's own figures as a park reads them: year-to-date employees are the average of the months (a
stock), and the month's 当月同比 (against the same month last year) and 环比 (against the month before) — each
marked unavailable, with the month that is missing, when its base month was not submitted."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.economy import monitoring
from tests.conftest import World, bearer
from tests.economy.helpers import admin, month, submit
from tests.web.helpers import login, visible_text


def _statistics_section(client: TestClient, token: str, enterprise: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/economy/enterprises/{enterprise}/archive", headers=bearer(token))
    assert response.status_code == 200, response.text
    (section,) = [s for s in response.json()["sections"] if s["key"] == "statistics"]
    data: dict[str, Any] = section["data"]
    return data


def test_year_to_date_employees_are_averaged_not_summed(client: TestClient, world: World, db: Session) -> None:
    enterprise = world.a.enterprise_ids[0]
    for period, employees in (("2025-01", 40), ("2025-02", 50), ("2025-03", 60)):
        submit(db, world.a, enterprise, period, 100, employees=employees)
    data = _statistics_section(client, world.a.tokens["enterprise"], enterprise)
    assert data["ytd"]["employees"] == pytest.approx(50)  # (40 + 50 + 60) / 3, not 150
    assert data["ytd"]["output_value_wan_yuan"] == pytest.approx(300)  # a flow is still summed
    assert data["ytd_last_year"]["employees"] == 0  # no month of last year: nothing to average


def test_month_year_on_year_and_month_on_month(client: TestClient, world: World, db: Session) -> None:
    enterprise = world.a.enterprise_ids[0]
    submit(db, world.a, enterprise, "2024-03", 100, employees=80)
    submit(db, world.a, enterprise, "2025-02", 120, employees=90)
    submit(db, world.a, enterprise, "2025-03", 150, employees=99)
    data = _statistics_section(client, world.a.tokens["enterprise"], enterprise)
    assert data["period"] == "2025-03-01" and data["month"]["output_value_wan_yuan"] == 150
    assert data["yoy_available"] and data["yoy_base"] == "2024-03-01"
    assert data["yoy_percent"]["output_value_wan_yuan"] == pytest.approx(50)  # 150 / 100 − 1
    assert data["yoy_percent"]["employees"] == pytest.approx(23.75)  # 99 / 80 − 1
    assert data["mom_available"] and data["mom_base"] == "2025-02-01"
    assert data["mom_percent"]["output_value_wan_yuan"] == pytest.approx(25)  # 150 / 120 − 1
    assert data["mom_percent"]["export_value_wan_yuan"] is None  # a base of 0 gives no percentage
    login(client, "TA-enterprise")
    page = visible_text(client.get(f"/enterprises/{enterprise}/archive").text)
    assert "2025年3月当月" in page and "+50.0%" in page and "+25.0%" in page
    assert "无法计算" not in page


def test_growth_without_its_base_month_is_marked_unavailable(client: TestClient, world: World, db: Session) -> None:
    enterprise = world.a.enterprise_ids[0]
    submit(db, world.a, enterprise, "2025-01", 100)
    submit(db, world.a, enterprise, "2025-03", 150)  # no February, no March of last year
    found = monitoring.enterprise_summary(db, scope=admin(world.a), enterprise_id=enterprise)
    assert found is not None and found.period == month("2025-03")
    assert not found.yoy_available and set(found.yoy_percent.values()) == {None}
    assert not found.mom_available and set(found.mom_percent.values()) == {None}
    login(client, "TA-park_admin")
    page = visible_text(client.get(f"/enterprises/{enterprise}/archive").text)
    assert "当月同比无法计算：2024年3月未报送" in page and "环比无法计算：2025年2月未报送" in page
    english = visible_text(client.get(f"/enterprises/{enterprise}/archive?lang=en").text)
    assert "Month on month unavailable: 2025-02 was not submitted" in english
