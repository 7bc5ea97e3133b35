"""Energy entries in the units of Chinese energy statistics (万Nm³, 万千瓦时, 万吨 ...) are stored in the carrier's
canonical unit; a unit that is not one, or does not fit the carrier, is a 422 on `unit` that writes nothing."""

from __future__ import annotations

import io

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.energy.models import EnergyEntry
from digipark.registry.models import Enterprise
from tests.conftest import World, bearer

API = "/api/v1/energy/entries"


def _sheet(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["enterprise_uscc", "period", "carrier", "quantity", "unit", "note"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("carrier", "quantity", "unit", "stored"),
    [
        ("natural_gas", 1.5, "万Nm³", 15_000),
        ("natural_gas", 1.5, "万m³", 15_000),
        ("natural_gas", 1.5, "万立方米", 15_000),
        ("natural_gas", 1.5, "10^4 m3", 15_000),
        ("electricity", 2.5, "万千瓦时", 25_000),
        ("bituminous", 0.3, "万吨", 3_000),
    ],
)
def test_entry_in_a_unit_of_energy_statistics(
    client: TestClient, world: World, carrier: str, quantity: float, unit: str, stored: float
) -> None:
    headers = bearer(world.a.tokens["park_admin"])
    body = {"enterprise_id": world.a.enterprise_ids[0], "period": "2025-03", "carrier": carrier}
    response = client.post(API, json={**body, "quantity": quantity, "unit": unit}, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["quantity"] == pytest.approx(stored)


@pytest.mark.parametrize(
    ("carrier", "unit", "reason"),
    [
        ("natural_gas", "万bogus", "unknown unit '万bogus'"),
        ("natural_gas", "10^4", "unknown unit '10^4'"),
        ("bituminous", "吨标准煤", "cannot convert 吨标准煤 to t"),
        ("electricity", "万m³", "cannot convert 万m³ to kWh"),
    ],
)
def test_a_unit_that_is_not_one_or_does_not_fit_is_refused(
    client: TestClient, world: World, db: Session, carrier: str, unit: str, reason: str
) -> None:
    headers = bearer(world.a.tokens["park_admin"])
    before = db.scalar(select(func.count()).select_from(EnergyEntry))
    body = {"enterprise_id": world.a.enterprise_ids[0], "period": "2025-03", "carrier": carrier, "quantity": 1}
    response = client.post(API, json={**body, "unit": unit}, headers=headers)
    assert response.status_code == 422 and response.headers["content-type"].startswith("application/problem+json")
    assert {"field": "unit", "reason": reason} in [
        {"field": e["field"], "reason": e["reason"]} for e in response.json()["errors"]
    ], response.text
    assert db.scalar(select(func.count()).select_from(EnergyEntry)) == before


def test_excel_import_takes_the_units_of_energy_statistics(client: TestClient, world: World, db: Session) -> None:
    headers = bearer(world.a.tokens["park_admin"])
    uscc = db.scalar(select(Enterprise.uscc).where(Enterprise.id == world.a.enterprise_ids[0]))
    workbook = _sheet(
        [
            [uscc, "2025-04", "natural_gas", 3.2, "万Nm³", "燃气公司月结单"],
            [uscc, "2025-04", "electricity", 12.5, "万千瓦时", "电费单"],
        ]
    )
    response = client.post(f"{API}/import", files={"file": ("能源.xlsx", workbook)}, headers=headers)
    assert response.status_code == 200 and response.json()["created"] == 2, response.text
    listed = client.get(API, params={"period": "2025-04-01"}, headers=headers).json()["items"]
    stored = {item["carrier"]: item["quantity"] for item in listed if item["period"] == "2025-04-01"}
    assert stored == {"natural_gas": pytest.approx(32_000), "electricity": pytest.approx(125_000)}
