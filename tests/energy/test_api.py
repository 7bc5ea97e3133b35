"""The energy API and pages: problem+json on bad input (and nothing written), the Excel import (all or nothing),
reports (PDF, Excel), the park summary and the 能碳管理中心 pages in both languages."""

from __future__ import annotations

import io

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.energy.models import EnergyEntry
from digipark.registry.models import Enterprise
from tests.conftest import World, bearer
from tests.web.helpers import login

API = "/api/v1/energy"


def _count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(EnergyEntry)) or 0)


def test_invalid_entries_are_4xx_and_change_nothing(client: TestClient, world: World, db: Session) -> None:
    headers = bearer(world.a.tokens["park_admin"])
    enterprise = world.a.enterprise_ids[0]
    before = _count(db)
    cases = [
        ({"carrier": "diesel", "quantity": -5}, "quantity"),
        ({"carrier": "peat", "quantity": 5}, "carrier"),
        ({"carrier": "diesel", "quantity": 5, "unit": "kWh"}, "unit"),
        ({"carrier": "diesel", "quantity": 5, "period": "2025-13"}, "period"),
    ]
    for extra, field in cases:
        body = {"enterprise_id": enterprise, "period": "2025-01", **extra}
        response = client.post(f"{API}/entries", json=body, headers=headers)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in response.text
    assert _count(db) == before
    ok = client.post(
        f"{API}/entries",
        json={"enterprise_id": enterprise, "period": "2025-01", "carrier": "diesel", "quantity": 2},
        headers=headers,
    )
    assert ok.status_code == 201 and ok.json()["quantity"] == 2


def _sheet(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["enterprise_uscc", "period", "carrier", "quantity", "unit", "note"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_excel_import_is_all_or_nothing(client: TestClient, world: World, db: Session) -> None:
    headers = bearer(world.a.tokens["park_admin"])
    uscc = db.scalar(select(Enterprise.uscc).where(Enterprise.id == world.a.enterprise_ids[0]))
    before = _count(db)
    bad = _sheet([[uscc, "2025-01", "bituminous", 10, "t", "进货单"], [uscc, "2025-02", "diesel", 3, "kWh", ""]])
    response = client.post(f"{API}/entries/import", files={"file": ("fuel.xlsx", bad)}, headers=headers)
    assert response.status_code == 422 and response.json()["failed_rows"] == 1
    assert _count(db) == before
    good = _sheet([[uscc, "2025-01", "bituminous", 10, "t", "进货单"], [uscc, "2025-02", "diesel", 3000, "kg", ""]])
    response = client.post(f"{API}/entries/import", files={"file": ("fuel.xlsx", good)}, headers=headers)
    assert response.status_code == 200 and response.json()["created"] == 2, response.text
    assert _count(db) == before + 2
    listed = client.get(f"{API}/entries", params={"carrier": "diesel"}, headers=headers).json()["items"]
    diesel = next(i for i in listed if i["period"] == "2025-02-01")
    assert diesel["quantity"] == 3.0 and diesel["evidence_name"] == "fuel.xlsx"
    evidence = client.get(f"{API}/entries/{diesel['id']}/evidence", headers=headers)
    assert evidence.status_code == 200 and evidence.content == good


def test_reports_summary_and_pages(client: TestClient, world: World, db: Session) -> None:
    headers = bearer(world.a.tokens["park_admin"])
    enterprise = world.a.enterprise_ids[0]
    body = {"enterprise_id": enterprise, "period": "2025-01", "carrier": "bituminous", "quantity": 100}
    assert client.post(f"{API}/entries", json=body, headers=headers).status_code == 201
    summary = client.get(f"{API}/summary", params={"year": 2025}, headers=headers).json()
    assert (
        abs(summary["by_category"]["combustion"] - 207.15) < 0.01
        and summary["ranking"][0]["enterprise_id"] == enterprise
    )
    pdf = client.get(f"{API}/enterprises/{enterprise}/report", params={"year": 2025, "format": "pdf"}, headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    xlsx = client.get(
        f"{API}/enterprises/{enterprise}/report", params={"year": 2025, "format": "xlsx"}, headers=headers
    )
    cells = [
        c
        for row in openpyxl.load_workbook(io.BytesIO(xlsx.content)).worksheets[0].iter_rows(values_only=True)
        for c in row
    ]
    assert "207.15" in cells
    # another enterprise of the park may not read it
    denied = client.get(f"{API}/enterprises/{enterprise}/account", headers=bearer(world.a.tokens["enterprise2"]))
    assert denied.status_code == 404
    login(client, "TA-park_admin")
    for lang, words in (("zh", "能碳管理中心"), ("en", "Energy and carbon management centre")):
        page = client.get("/energy", params={"year": 2025, "lang": lang})
        assert page.status_code == 200 and words in page.text
        detail = client.get(f"/energy/enterprises/{enterprise}", params={"year": 2025, "lang": lang})
        assert detail.status_code == 200 and "207.15" in detail.text


def test_enterprise_user_is_sent_to_its_own_page(client: TestClient, world: World) -> None:
    login(client, "TA-enterprise")
    response = client.get("/energy", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith(
        f"/energy/enterprises/{world.a.enterprise_ids[0]}"
    )
    assert client.get(f"/energy/enterprises/{world.a.enterprise_ids[1]}").status_code == 404
