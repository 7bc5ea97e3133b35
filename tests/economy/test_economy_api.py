"""The economy REST API (/api/v1/economy): statistics, import/export, reminders, dashboard, warnings, archives —
and who sees what: an enterprise user only its own, the park everything, reviewers read but never write."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.economy.models import MonthlyStatistic
from digipark.registry.models import Enterprise
from tests.conftest import World, bearer
from tests.economy.helpers import figures

API = "/api/v1/economy"
PROBLEM = "application/problem+json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def body(enterprise: int | None, period: str, output: float, **overrides: Any) -> dict[str, Any]:
    data = {"period": period, **figures(output, **overrides)}
    if enterprise is not None:
        data["enterprise_id"] = enterprise
    return data


def post(client: TestClient, token: str, data: dict[str, Any]) -> Any:
    return client.post(f"{API}/statistics", headers=bearer(token), json=data)


def sheet(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["统一社会信用代码", "统计月份", "工业总产值", "营业收入", "实缴税金", "利润总额", "从业人员", "用电量"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_submit_list_correct_and_history(client: TestClient, world: World) -> None:
    a = world.a
    admin, own, other = a.tokens["park_admin"], a.tokens["enterprise"], a.tokens["enterprise2"]
    created = post(client, own, body(None, "2025-03", 130))
    assert created.status_code == 201, created.text
    ident = created.json()["id"]
    assert created.json()["enterprise_id"] == a.enterprise_ids[0] and created.json()["period"] == "2025-03-01"
    assert post(client, admin, body(a.enterprise_ids[1], "2025-03", 70)).status_code == 201
    # a duplicate month is a 409 problem; a future month and a day other than the first are 422
    duplicate = post(client, own, body(None, "2025-03", 1))
    assert duplicate.status_code == 409 and duplicate.headers["content-type"].startswith(PROBLEM)
    assert post(client, own, body(None, "2099-01", 1)).status_code == 422
    assert post(client, own, body(None, "2025-03-15", 1)).status_code == 422
    # the enterprise lists only its own; another enterprise's row is a 404
    listed = client.get(f"{API}/statistics", headers=bearer(own)).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == ident
    assert client.get(f"{API}/statistics/{ident}", headers=bearer(other)).status_code == 404
    assert client.get(f"{API}/statistics", headers=bearer(admin)).json()["total"] == 2
    # correction with a reason; the history holds the old values
    patched = client.patch(
        f"{API}/statistics/{ident}", headers=bearer(own), json={"output_value_wan_yuan": 140, "reason": "补录订单"}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["output_value_wan_yuan"] == 140 and patched.json()["revision"] == 1
    missing_reason = client.patch(f"{API}/statistics/{ident}", headers=bearer(own), json={"employees": 3})
    assert missing_reason.status_code == 422
    history = client.get(f"{API}/statistics/{ident}/revisions", headers=bearer(admin)).json()
    assert history[0]["previous"]["output_value_wan_yuan"] == 130 and history[0]["reason"] == "补录订单"
    # a reviewer reads everything and writes nothing
    reviewer = a.tokens["reviewer"]
    assert client.get(f"{API}/statistics", headers=bearer(reviewer)).json()["total"] == 2
    assert post(client, reviewer, body(a.enterprise_ids[0], "2025-04", 1)).status_code == 403
    denied = client.patch(
        f"{API}/statistics/{ident}", headers=bearer(reviewer), json={"employees": 3, "reason": "复核"}
    )
    assert denied.status_code == 403


def test_import_is_all_or_nothing(client: TestClient, db: Session, world: World) -> None:
    a = world.a
    admin = bearer(a.tokens["park_admin"])
    uscc = db.scalar(select(Enterprise.uscc).where(Enterprise.id == a.enterprise_ids[0]))
    count = db.scalar(select(func.count()).select_from(MonthlyStatistic))
    bad = sheet([[uscc, "2025-01", 100, 95, 5, 8, 120, 40000], [uscc, "2025-02", "abc", 95, 5, 8, 120, 40000]])
    response = client.post(f"{API}/statistics/import", headers=admin, files={"file": ("s.xlsx", bad, XLSX)})
    assert response.status_code == 422 and response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["rows"] == 2 and problem["failed_rows"] == 1
    assert problem["errors"][0]["row"] == 3 and problem["errors"][0]["column"] == "output_value_wan_yuan"
    assert db.scalar(select(func.count()).select_from(MonthlyStatistic)) == count
    good = sheet([[uscc, "2025-01", 100, 95, 5, 8, 120, 40000], [uscc, "2025-02", 110, 95, 5, 8, 120, 40000]])
    response = client.post(f"{API}/statistics/import", headers=admin, files={"file": ("s.xlsx", good, XLSX)})
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2
    assert db.scalar(select(func.count()).select_from(MonthlyStatistic)) == (count or 0) + 2
    not_xlsx = client.post(f"{API}/statistics/import", headers=admin, files={"file": ("s.csv", b"a,b\n", "text/csv")})
    assert not_xlsx.status_code == 415
    own = bearer(a.tokens["enterprise"])
    assert (
        client.post(f"{API}/statistics/import", headers=own, files={"file": ("s.xlsx", good, XLSX)}).status_code == 403
    )
    template = client.get(f"{API}/statistics/template", headers=admin)
    assert template.status_code == 200 and template.headers["content-type"] == XLSX
    exported = client.get(f"{API}/statistics.xlsx", headers=admin)
    assert exported.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(exported.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("统一社会信用代码 (enterprise_uscc)", "企业名称 (enterprise_name)", "统计月份 (period)")
    assert len(rows) == 3


def test_dashboard_warnings_and_reminders(client: TestClient, world: World) -> None:
    a = world.a
    admin = a.tokens["park_admin"]
    for period, output in (("2024-08", 100), ("2024-09", 100), ("2025-08", 50), ("2025-09", 55)):
        assert post(client, admin, body(a.enterprise_ids[0], period, output)).status_code == 201
    dashboard = client.get(f"{API}/dashboard", headers=bearer(admin), params={"period": "2025-09"})
    assert dashboard.status_code == 200, dashboard.text
    d = dashboard.json()
    assert d["period"] == "2025-09-01" and d["latest_period"] == "2025-09-01"
    output = next(f for f in d["figures"] if f["figure"] == "output_value_wan_yuan")
    assert output["month_total"] == 55 and round(output["yoy"]["percent"], 6) == -45
    assert {w["rule"] for w in d["warnings"]} >= {"output_yoy_drop"}
    assert client.get(f"{API}/dashboard", headers=bearer(admin), params={"period": "2025-13"}).status_code == 422
    warnings = client.get(f"{API}/warnings", headers=bearer(a.tokens["reviewer"]), params={"period": "2025-09"})
    assert warnings.status_code == 200 and warnings.json()[0]["reason_en"]
    for role in ("enterprise", "resident"):
        assert client.get(f"{API}/dashboard", headers=bearer(a.tokens[role])).status_code == 403
    xlsx = client.get(f"{API}/dashboard.xlsx", headers=bearer(admin), params={"period": "2025-09"})
    assert xlsx.status_code == 200 and len(openpyxl.load_workbook(io.BytesIO(xlsx.content)).worksheets) == 8
    # park B sees only its own park
    b = client.get(f"{API}/dashboard", headers=bearer(world.b.tokens["park_admin"]), params={"period": "2025-09"})
    assert next(f for f in b.json()["figures"] if f["figure"] == "output_value_wan_yuan")["month_total"] == 0
    # missing submissions and reminders
    missing = client.get(f"{API}/statistics/missing", headers=bearer(admin), params={"period": "2025-09"}).json()
    assert [m["enterprise_id"] for m in missing["missing"]] == [a.enterprise_ids[1]]
    sent = client.post(f"{API}/statistics/reminders", headers=bearer(admin), json={"period": "2025-09"})
    assert sent.status_code == 201 and [r["enterprise_id"] for r in sent.json()] == [a.enterprise_ids[1]]
    own = client.get(f"{API}/statistics/reminders", headers=bearer(a.tokens["enterprise2"])).json()
    assert [r["period"] for r in own] == ["2025-09-01"]
    assert client.get(f"{API}/statistics/reminders", headers=bearer(a.tokens["enterprise"])).json() == []


def test_archive_api(client: TestClient, world: World) -> None:
    a = world.a
    own, other = a.enterprise_ids
    response = client.get(f"{API}/enterprises/{own}/archive", headers=bearer(a.tokens["enterprise"]))
    assert response.status_code == 200, response.text
    sections = {s["key"]: s for s in response.json()["sections"]}
    assert sections["registration"]["available"] is True
    assert sections["safety"]["available"] is True and sections["safety"]["data"]["risk_points"] == 0
    assert sections["approvals"]["available"] is True and sections["approvals"]["data"]["applications"] == []
    assert client.get(f"{API}/enterprises/{other}/archive", headers=bearer(a.tokens["enterprise"])).status_code == 404
    assert client.get(f"{API}/enterprises/{other}/archive", headers=bearer(a.tokens["reviewer"])).status_code == 200
    created = client.post(f"{API}/products", headers=bearer(a.tokens["enterprise"]), json={"name": "精密机柜"})
    assert created.status_code == 201 and created.json()["enterprise_id"] == own
    denied = client.post(
        f"{API}/qualifications",
        headers=bearer(a.tokens["enterprise"]),
        json={"kind": "high_tech", "name": "高新技术企业"},
    )
    assert denied.status_code == 403
    bad_kind = client.post(
        f"{API}/qualifications",
        headers=bearer(a.tokens["park_admin"]),
        json={"enterprise_id": own, "kind": "nobel_prize", "name": "x"},
    )
    assert bad_kind.status_code == 422
