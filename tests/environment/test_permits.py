"""Permitted quantities through the API: what they check beyond the derived create/read/update/delete (a factor
with a permitted quantity, any mass unit stored in t, one quota per enterprise, factor and year)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import World, bearer

API = "/api/v1/environment/permits"


def test_permit_units_one_per_factor_and_year_and_partial_updates(client: TestClient, world: World) -> None:
    staff = bearer(world.a.tokens["park_admin"])
    enterprise = world.a.enterprise_ids[0]
    body = {"enterprise_id": enterprise, "permit_no": "P-1", "year": 2031, "factor": "cod", "annual": 500, "unit": "kg"}
    created = client.post(API, json=body | {"valid_to": "2031-12-31"}, headers=staff)
    assert created.status_code == 201, created.text
    permit: dict[str, Any] = created.json()
    assert permit["annual_t"] == 0.5 and permit["park_id"] == world.a.park_id and permit["enterprise_id"] == enterprise
    twice = client.post(API, json=body, headers=staff)
    assert twice.status_code == 409, twice.text
    assert twice.json()["errors"] == [{"field": "factor", "reason": "already exists"}]
    assert twice.json()["detail"].endswith(f"already has a permitted cod quantity for 2031 (quota {permit['id']})")
    assert client.post(API, json=body | {"factor": "nh3n"}, headers=staff).status_code == 201

    url = f"{API}/{permit['id']}"
    unit_only = client.patch(url, json={"unit": "kg"}, headers=staff)
    assert unit_only.status_code == 200 and unit_only.json()["annual_t"] == 0.5
    changed = client.patch(url, json={"annual": 2000, "unit": "kg", "valid_to": None}, headers=staff)
    assert changed.status_code == 200, changed.text
    assert changed.json()["annual_t"] == 2.0 and changed.json()["valid_to"] == "2031-12-31"
    in_tonnes = client.patch(url, json={"annual": 3, "permit_no": "P-2"}, headers=staff)
    assert in_tonnes.json()["annual_t"] == 3.0 and in_tonnes.json()["permit_no"] == "P-2"

    own = bearer(world.a.tokens["enterprise"])
    assert client.get(url, headers=own).json()["permit_no"] == "P-2"
    assert client.patch(url, json={"annual": 9}, headers=own).status_code == 403
    assert client.delete(url, headers=own).status_code == 403
    assert client.delete(url, headers=staff).status_code == 204
    missing = client.get(url, headers=staff)
    assert missing.status_code == 404 and missing.json()["detail"] == f"env_permit_quota {permit['id']} not found"
