"""Tariffs and carbon declarations through the API: what each checks beyond the derived create/read/update/delete
(periods covering the day, a price per band, one tariff per day, one declaration per month, the declarant)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import World, bearer

API = "/api/v1/energy"
PERIODS = [
    {"start": "00:00", "end": "08:00", "band": "valley"},
    {"start": "08:00", "end": "22:00", "band": "peak"},
    {"start": "22:00", "end": "24:00", "band": "flat"},
]
PRICES = {"peak": 1.0, "flat": 0.6, "valley": 0.3}


def _problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    if field is not None:
        assert field in [e.get("field") for e in body.get("errors", [])], body
    return body


def test_tariff_periods_prices_and_one_per_day(client: TestClient, world: World) -> None:
    staff = bearer(world.a.tokens["park_admin"])
    tariff = {"name": "分时电价", "valid_from": "2030-01-01", "periods": PERIODS, "prices": PRICES}
    gap = [*PERIODS[:2]]
    _problem(client.post(f"{API}/tariffs", json=tariff | {"periods": gap}, headers=staff), 422, "periods")
    _problem(client.post(f"{API}/tariffs", json=tariff | {"prices": {"peak": 1.0}}, headers=staff), 422, "prices")
    created = client.post(f"{API}/tariffs", json=tariff, headers=staff)
    assert created.status_code == 201, created.text
    assert created.json()["park_id"] == world.a.park_id and created.json()["prices"] == PRICES
    ident = created.json()["id"]
    again = _problem(client.post(f"{API}/tariffs", json=tariff, headers=staff), 409, "valid_from")
    assert again["detail"] == "a tariff from 2030-01-01 exists"

    # an update is checked with the stored half: new prices must still price every band of the stored periods
    url = f"{API}/tariffs/{ident}"
    _problem(client.patch(url, json={"prices": {"peak": 1.2, "flat": 0.5}}, headers=staff), 422, "prices")
    one_band = [{"start": "00:00", "end": "24:00", "band": "flat"}]
    changed = client.patch(url, json={"periods": one_band, "source": "物价局文件"}, headers=staff)
    assert changed.status_code == 200, changed.text
    assert changed.json()["periods"] == one_band and changed.json()["prices"] == PRICES
    cleared = client.patch(url, json={"source": None}, headers=staff)
    assert cleared.status_code == 200 and cleared.json()["source"] is None
    assert client.get(url, headers=bearer(world.a.tokens["enterprise"])).json()["name"] == "分时电价"
    _problem(client.patch(url, json={"name": "新电价"}, headers=bearer(world.a.tokens["enterprise"])), 403)

    assert client.delete(url, headers=staff).status_code == 204
    missing = _problem(client.get(url, headers=staff), 404)
    assert missing["detail"] == f"energy_tariff {ident} not found"


def test_declaration_month_material_declarant_and_one_per_month(client: TestClient, world: World) -> None:
    own = bearer(world.a.tokens["enterprise"])
    staff = bearer(world.a.tokens["park_admin"])
    body = {"period": "2024-03", "product_output_t": 10}
    _problem(client.post(f"{API}/declarations", json=body | {"period": "2099-01"}, headers=own), 422, "period")
    _problem(
        client.post(f"{API}/declarations", json=body | {"process_material": "caco3"}, headers=own),
        422,
        "process_quantity_t",
    )
    _problem(
        client.post(
            f"{API}/declarations", json=body | {"process_material": "peat", "process_quantity_t": 1}, headers=own
        ),
        422,
        "process_material",
    )
    other = world.a.enterprise_ids[1]
    _problem(
        client.post(f"{API}/declarations", json=body | {"enterprise_id": other}, headers=own), 422, "enterprise_id"
    )

    created = client.post(f"{API}/declarations", json=body, headers=own)
    assert created.status_code == 201, created.text
    declared = created.json()
    assert declared["enterprise_id"] == world.a.enterprise_ids[0] and declared["park_id"] == world.a.park_id
    assert declared["period"] == "2024-03-01" and declared["declared_by"] == "TA-enterprise"
    twice = _problem(client.post(f"{API}/declarations", json=body, headers=own), 409)
    assert twice["errors"] == [{"field": "period", "reason": "already exists", "declaration_id": declared["id"]}]
    assert twice["detail"].endswith(f"already declared 2024-03 (declaration {declared['id']})")

    url = f"{API}/declarations/{declared['id']}"
    _problem(client.patch(url, json={"process_quantity_t": 3}, headers=staff), 422, "process_quantity_t")
    changed = client.patch(url, json={"process_material": "caco3", "process_quantity_t": 3}, headers=staff)
    assert changed.status_code == 200, changed.text
    assert changed.json()["declared_by"] == "TA-park_admin" and changed.json()["product_output_t"] == 10
    assert client.delete(url, headers=own).status_code == 204
    assert client.get(url, headers=own).status_code == 404
