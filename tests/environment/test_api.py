"""The environment API and pages: invalid input is a problem+json 4xx that changes nothing, downloads hold only
what the caller may read, pages render in Chinese and English and an enterprise sees only its own."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.environment import service
from digipark.environment.models import HazardousBatch, Outlet, PermitQuota, TransferManifest, WasteEntry
from digipark.environment.schemas import FactorLink, OutletCreate, ScanRequest
from tests.conftest import World, bearer
from tests.environment.helpers import admin, wastewater_points, write
from tests.web.helpers import login, visible_text

API = "/api/v1/environment"


def _counts(db: Session) -> tuple[int, ...]:
    return tuple(
        db.scalar(select(func.count()).select_from(m)) or 0
        for m in (Outlet, PermitQuota, WasteEntry, HazardousBatch, TransferManifest)
    )


def _problem(response: object, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    if field is not None:
        fields = [e.get("field", "") for e in response.json().get("errors", [])]  # type: ignore[attr-defined]
        assert any(field in f for f in fields), fields


def test_invalid_input_is_a_4xx_and_changes_nothing(client: TestClient, world: World, db: Session) -> None:
    own = bearer(world.a.tokens["enterprise"])
    staff = bearer(world.a.tokens["park_admin"])
    before = _counts(db)
    month = f"{service.today().year}-01-01"
    for body, field in (
        ({"category": "SW07", "month": month, "generated": -1}, "generated"),  # negative amount
        ({"category": "SW00", "month": month, "generated": 1}, "category"),  # unknown category
        ({"category": "SW07", "month": month, "generated": 1, "unit": "kWh"}, "unit"),  # does not convert
        ({"category": "SW07", "month": month, "generated": 1, "utilised": 3}, "stored"),  # does not balance
        ({"category": "SW07", "month": month.replace("-01", "-15", 1)[:8] + "15", "generated": 1}, "month"),
    ):
        _problem(client.post(f"{API}/waste-entries", json=body, headers=own), 422, field)
    batch = {"code": "B1", "category": "HW08", "waste_code": "900-249-08", "name": "废矿物油", "stored_on": month}
    _problem(client.post(f"{API}/hazardous-batches", json=batch | {"quantity": -2}, headers=own), 422, "quantity")
    _problem(client.post(f"{API}/hazardous-batches", json=batch | {"quantity": 2, "unit": "L"}, headers=own), 422)
    _problem(
        client.post(f"{API}/hazardous-batches", json=batch | {"quantity": 1, "category": "HW77"}, headers=own), 422
    )
    permit = {"enterprise_id": world.a.enterprise_ids[0], "permit_no": "P1", "year": 2026, "factor": "cod"}
    _problem(client.post(f"{API}/permits", json=permit | {"annual": -5}, headers=staff), 422, "annual")
    _problem(client.post(f"{API}/permits", json=permit | {"annual": 5, "unit": "m³"}, headers=staff), 422, "unit")
    _problem(client.post(f"{API}/permits", json=permit | {"annual": 5, "factor": "ph"}, headers=staff), 422, "factor")
    _problem(client.post(f"{API}/permits", json=permit | {"annual": 5}, headers=own), 403)
    outlet = {
        "enterprise_id": world.a.enterprise_ids[0],
        "code": "D1",
        "name": "排口",
        "medium": "soil",
        "standard": "x",
    }
    _problem(client.post(f"{API}/outlets", json=outlet, headers=staff), 422, "medium")
    assert _counts(db) == before


def test_downloads_and_pages(client: TestClient, world: World, db: Session) -> None:
    year = service.today().year
    points = wastewater_points(db, world.a)
    outlet = service.create_outlet(
        db,
        scope=admin(world.a),
        data=OutletCreate(
            enterprise_id=world.a.enterprise_ids[0], code="DW001", name="总排口", medium="water",
            standard="GB8978-1996-1",
            factors=[FactorLink(factor="cod", point_id=points["cod_mgl"]),
                     FactorLink(factor="water_flow", point_id=points["flow_m3h"])],
        ),
    )  # fmt: skip
    yesterday = service.today() - dt.timedelta(days=1)
    write(db, points["cod_mgl"], yesterday, {h: 150.0 for h in range(24)})
    write(db, points["flow_m3h"], yesterday, {h: 5.0 for h in range(24)})
    service.scan_exceedances(db, scope=admin(world.a), data=ScanRequest(first=yesterday, last=yesterday))
    own = bearer(world.a.tokens["enterprise"])
    created = client.post(
        f"{API}/waste-entries",
        json={"category": "SW17", "month": f"{year}-01-01", "generated": 4, "utilised": 3, "stored": 1},
        headers=own,
    )
    assert created.status_code == 201, created.text
    batch = client.post(
        f"{API}/hazardous-batches",
        json={"code": "HWB-1", "category": "HW12", "waste_code": "900-252-12", "name": "废漆渣", "quantity": 1,
              "stored_on": f"{year}-01-02"},
        headers=own,
    )  # fmt: skip
    assert batch.status_code == 201, batch.text
    manifest = client.post(
        f"{API}/manifests",
        json={"batch_id": batch.json()["id"], "number": "MF-0001", "quantity": 0.4, "carrier": "危运公司",
              "receiver": "处置公司", "receiver_licence": "JS-0001", "shipped_on": f"{year}-01-05"},
        headers=own,
    )  # fmt: skip
    assert manifest.status_code == 201, manifest.text
    sheet = client.get(f"{API}/waste-entries.xlsx", headers=own)
    assert sheet.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[1][3] == "SW17" and rows[1][6] == 4
    other = client.get(f"{API}/manifests.csv", headers=bearer(world.a.tokens["enterprise2"]))
    assert other.status_code == 200 and "MF-0001" not in other.content.decode("utf-8-sig")
    assert "MF-0001" in client.get(f"{API}/manifests.csv", headers=own).content.decode("utf-8-sig")
    summary = client.get(f"{API}/enterprises/{world.a.enterprise_ids[0]}/summary", headers=own).json()
    assert summary["exceedances_hour"] == 24 and summary["exceedances_day"] == 1
    assert summary["general"]["utilisation_rate"] == pytest.approx(75.0)

    login(client, "TA-enterprise")
    for url in ("/environment", f"/environment/outlets/{outlet.id}", "/environment/waste", "/environment/hazardous"):
        zh = client.get(url, params={"lang": "zh"})
        assert zh.status_code == 200, (url, zh.text[:500])
        text = visible_text(zh.text)
        assert "Download Excel" not in text and "Hazardous waste" not in text
        en = client.get(url, params={"lang": "en"})
        assert en.status_code == 200 and "Environment monitoring" in en.text
    text = visible_text(client.get("/environment", params={"lang": "zh"}).text)
    assert "总排口" in text and "化学需氧量" in text and "150.00" in text
    archive = client.get(f"/api/v1/economy/enterprises/{world.a.enterprise_ids[0]}/archive", headers=own).json()
    section = next(s for s in archive["sections"] if s["key"] == "environment")
    assert section["available"] and section["data"]["outlets"] == 1
    client.cookies.clear()
    login(client, "TA-enterprise2")
    assert "总排口" not in visible_text(client.get("/environment").text)
    assert client.get(f"/environment/outlets/{outlet.id}").status_code == 404
