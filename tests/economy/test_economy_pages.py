"""Economy pages: the economic operation page, statistics list / submit / correct / import, the enterprise archive —
in Chinese and English, for the park and for an enterprise user."""

from __future__ import annotations

import io

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.economy.models import MonthlyStatistic
from digipark.registry.models import Enterprise
from tests.conftest import World
from tests.economy.helpers import series
from tests.web.helpers import form_token, login, visible_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def history(db: Session, world: World) -> None:
    a = world.a
    series(db, a, a.enterprise_ids[0], {"2024-08": 100, "2024-09": 100, "2025-08": 50, "2025-09": 55})
    series(db, a, a.enterprise_ids[1], {"2024-09": 40, "2025-09": 44})
    db.flush()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pages_render_for_the_park(client: TestClient, world: World, history: None, lang: str) -> None:
    login(client, "TA-park_admin")
    statistic = client.get("/economy/statistics").text
    assert "TA企业0" in statistic
    pages = {
        "/economy?period=2025-09": ("经济运行", "Economic operation"),
        "/economy/statistics?period=2025-09": ("月度统计", "Monthly statistics"),
        "/economy/statistics/new": ("报送统计数据", "Submit statistics"),
        "/economy/statistics/import": ("导入月度统计", "Import monthly statistics"),
        f"/enterprises/{world.a.enterprise_ids[0]}/archive": ("企业档案", "Enterprise archive"),
    }
    for url, (zh, en) in pages.items():
        response = client.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
        assert response.status_code == 200, (url, response.text)
        text = visible_text(response.text)
        assert (zh if lang == "zh" else en) in text, url
    dashboard = visible_text(client.get(f"/economy?period=2025-09&lang={lang}").text)
    assert ("工业总产值连续2个月同比下降" if lang == "zh" else "Industrial output fell by 30%") in dashboard
    if lang == "zh":
        for english in ("Economic operation", "Early warnings", "Year to date", "Output per mu", "Not available"):
            assert english not in dashboard
    archive = visible_text(client.get(f"/enterprises/{world.a.enterprise_ids[0]}/archive?lang={lang}").text)
    assert ("能源与碳排放" if lang == "zh" else "Energy and carbon") in archive
    assert ("使用的园区服务" if lang == "zh" else "Services used") in archive
    assert "granted_wan_yuan" not in archive  # every section's data shown with its label, not its key
    detail = client.get(f"/enterprises/{world.a.enterprise_ids[0]}?lang={lang}").text
    assert f"/enterprises/{world.a.enterprise_ids[0]}/archive" in detail


def test_enterprise_user_sees_its_own(client: TestClient, world: World, history: None) -> None:
    login(client, "TA-enterprise")
    assert client.get("/economy", follow_redirects=False).status_code == 303
    listing = client.get("/economy/statistics").text
    assert "TA企业0" in listing and "TA企业1" not in listing
    assert client.get(f"/enterprises/{world.a.enterprise_ids[0]}/archive").status_code == 200
    assert client.get(f"/enterprises/{world.a.enterprise_ids[1]}/archive").status_code == 404
    assert client.get("/economy/statistics/import").status_code == 403


def test_submit_and_correct_through_the_forms(client: TestClient, db: Session, world: World) -> None:
    login(client, "TA-enterprise")
    form = client.get("/economy/statistics/new").text
    token = form_token(form)
    values = {
        "csrf_token": token,
        "period": "2025-05",
        "output_value_wan_yuan": "1,200.5",
        "sales_revenue_wan_yuan": "1100",
        "tax_paid_wan_yuan": "60",
        "total_profit_wan_yuan": "-20",
        "employees": "88",
        "electricity_kwh": "500000",
    }
    bad = client.post("/economy/statistics/new", data={**values, "tax_paid_wan_yuan": "-1"})
    assert bad.status_code == 422 and "has-error" in bad.text
    created = client.post("/economy/statistics/new", data=values, follow_redirects=False)
    assert created.status_code == 303, created.text
    row = db.scalar(select(MonthlyStatistic).where(MonthlyStatistic.enterprise_id == world.a.enterprise_ids[0]))
    assert row is not None and row.output_value_wan_yuan == 1200.5 and row.total_profit_wan_yuan == -20
    page = client.get(created.headers["location"])
    assert page.status_code == 200
    fields = {
        f: str(getattr(row, f))
        for f in (
            "output_value_wan_yuan",
            "sales_revenue_wan_yuan",
            "tax_paid_wan_yuan",
            "total_profit_wan_yuan",
            "employees",
            "rnd_spending_wan_yuan",
            "electricity_kwh",
            "export_value_wan_yuan",
        )
    }
    no_reason = client.post(
        f"/economy/statistics/{row.id}/correct", data={**fields, "employees": "90", "reason": "", "csrf_token": token}
    )
    assert no_reason.status_code == 422
    corrected = client.post(
        f"/economy/statistics/{row.id}/correct",
        data={**fields, "employees": "90", "reason": "人数统计口径更正", "csrf_token": token},
        follow_redirects=False,
    )
    assert corrected.status_code == 303, corrected.text
    db.refresh(row)
    assert row.employees == 90 and row.revision == 1
    detail = visible_text(client.get(f"/economy/statistics/{row.id}").text)
    assert "人数统计口径更正" in detail and "修订 0" in detail
    forged = client.post(f"/economy/statistics/{row.id}/correct", data={**fields, "reason": "xx", "csrf_token": "no"})
    assert forged.status_code == 403


def test_import_form_reports_bad_rows(client: TestClient, db: Session, world: World) -> None:
    token = login(client, "TA-operator")
    uscc = db.scalar(select(Enterprise.uscc).where(Enterprise.id == world.a.enterprise_ids[0]))
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["统一社会信用代码", "统计月份", "工业总产值", "营业收入", "实缴税金", "利润总额", "从业人员", "用电量"])
    ws.append([uscc, "2025-01", 100, 95, 5, 8, 120, 40000])
    ws.append([uscc, "2025-02", 100, 95, 5, 8, 120, "很多"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post(
        "/economy/statistics/import", data={"csrf_token": token}, files={"file": ("s.xlsx", buffer.getvalue(), XLSX)}
    )
    assert response.status_code == 422
    text = visible_text(response.text)
    assert "未导入任何数据" in text and "electricity_kwh" in text
    assert (
        db.scalar(select(MonthlyStatistic.id).where(MonthlyStatistic.enterprise_id == world.a.enterprise_ids[0]))
        is None
    )
    ws.delete_rows(3)
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post(
        "/economy/statistics/import", data={"csrf_token": token}, files={"file": ("s.xlsx", buffer.getvalue(), XLSX)}
    )
    assert response.status_code == 200 and "已导入 1 行" in visible_text(response.text)


def test_reminders_from_the_statistics_page(client: TestClient, world: World, history: None) -> None:
    token = login(client, "TA-park_admin")
    page = visible_text(client.get("/economy/statistics?period=2025-08").text)
    assert "TA企业1" in page  # missing August
    sent = client.post(
        "/economy/statistics/reminders", data={"csrf_token": token, "period": "2025-08"}, follow_redirects=False
    )
    assert sent.status_code == 303
    client.cookies.clear()
    login(client, "TA-enterprise2")
    assert "请报送2025年8月的统计数据" in visible_text(client.get("/economy/statistics").text)
