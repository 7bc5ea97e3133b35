"""PATCH of an energy entry or declaration refuses a field it cannot change (422, nothing changed), as every other
update endpoint does, instead of ignoring it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import World, bearer

API = "/api/v1/energy"


@pytest.mark.parametrize(
    ("path", "body", "change"),
    [
        (
            "entries",
            {"carrier": "diesel", "period": "2025-01", "quantity": 1.5},
            {"quantity": 2.5},
        ),
        (
            "declarations",
            {"period": "2025-02", "product_output_t": 10},
            {"product_output_t": 12},
        ),
    ],
)
def test_patch_with_enterprise_id_is_422_and_changes_nothing(
    path: str, body: dict[str, object], change: dict[str, object], client: TestClient, world: World, db: Session
) -> None:
    headers = bearer(world.a.tokens["park_admin"])
    own, other = world.a.enterprise_ids
    created = client.post(f"{API}/{path}", headers=headers, json={**body, "enterprise_id": own})
    assert created.status_code == 201, created.text
    url = f"{API}/{path}/{created.json()['id']}"
    refused = client.patch(url, headers=headers, json={**change, "enterprise_id": other})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert any(error["field"] == "enterprise_id" for error in refused.json()["errors"])
    unchanged = client.get(url, headers=headers).json()
    assert unchanged["enterprise_id"] == own
    assert all(unchanged[key] == created.json()[key] for key in change)
    accepted = client.patch(url, headers=headers, json=change)
    assert accepted.status_code == 200, accepted.text
    assert all(accepted.json()[key] == value for key, value in change.items())
