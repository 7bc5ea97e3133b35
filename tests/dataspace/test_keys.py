"""Connector keys: scope (one contract, the purposes named) and daily quota enforced on machine downloads, and the
contract's policy still checked behind them."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.core.errors import PermissionDenied, ValidationFailed
from digipark.dataspace import keys
from digipark.dataspace.models import ConnectorKey
from tests.conftest import World
from tests.dataspace.helpers import contract, dataset_product, scope_of

URL = "/api/v1/dataspace/connector"


def _key(db: Session, contract_id: int, *, quota: int = 2, purposes: list[str] | None = None) -> str:
    raw, _ = keys.create(
        db,
        scope=scope_of(db, "enterprise2"),
        contract_id=contract_id,
        purposes=purposes or ["maintenance"],
        daily_quota=quota,
    )
    db.flush()
    return raw


def test_quota_is_enforced_per_day(client: TestClient, db: Session, world: World) -> None:
    row = contract(db, dataset_product(db), count=5)
    raw = _key(db, row.id, quota=2)
    headers = {"X-Api-Key": raw}
    for _ in range(2):
        got = client.get(f"{URL}/{row.id}", params={"purpose": "maintenance"}, headers=headers)
        assert got.status_code == 200, got.text
        assert got.json()["columns"] == ["machine", "value"]
    over = client.get(f"{URL}/{row.id}", params={"purpose": "maintenance"}, headers=headers)
    assert over.status_code == 429 and over.json()["type"].endswith("quota-exceeded")
    # the next day the quota starts again
    stored = db.query(ConnectorKey).filter(ConnectorKey.contract_id == row.id).one()
    stored.used_on = keys.today() - dt.timedelta(days=1)
    db.flush()
    assert client.get(f"{URL}/{row.id}", params={"purpose": "maintenance"}, headers=headers).status_code == 200


def test_scope_of_a_key(client: TestClient, db: Session, world: World) -> None:
    product = dataset_product(db)
    row, other = contract(db, product), contract(db, product)
    raw = _key(db, row.id)
    headers = {"X-Api-Key": raw}
    assert client.get(f"{URL}/{other.id}", params={"purpose": "maintenance"}, headers=headers).status_code == 403
    assert client.get(f"{URL}/{row.id}", params={"purpose": "research"}, headers=headers).status_code == 403
    assert client.get(f"{URL}/{row.id}", params={"purpose": "maintenance"}).status_code == 401
    assert (
        client.get(f"{URL}/{row.id}", params={"purpose": "maintenance"}, headers={"X-Api-Key": "dsk_nope"}).status_code
        == 401
    )
    assert client.get(f"{URL}/{row.id}", params={"purpose": "maintenance"}, headers=headers).status_code == 200


def test_the_contracts_policy_still_applies_behind_a_key(client: TestClient, db: Session, world: World) -> None:
    row = contract(db, dataset_product(db), count=1)
    raw = _key(db, row.id, quota=10)
    headers = {"X-Api-Key": raw}
    assert client.get(f"{URL}/{row.id}", params={"purpose": "maintenance"}, headers=headers).status_code == 200
    refused = client.get(f"{URL}/{row.id}", params={"purpose": "maintenance"}, headers=headers)
    assert refused.status_code == 403 and refused.json()["detail"] == "download count used up"


def test_who_makes_keys(db: Session, world: World) -> None:
    product = dataset_product(db)
    agreed, requested = contract(db, product), contract(db, product, agree=False)
    with pytest.raises(PermissionDenied):  # the provider
        keys.create(
            db, scope=scope_of(db, "enterprise"), contract_id=agreed.id, purposes=["maintenance"], daily_quota=1
        )
    with pytest.raises(ValidationFailed):  # not agreed yet
        keys.create(
            db, scope=scope_of(db, "enterprise2"), contract_id=requested.id, purposes=["maintenance"], daily_quota=1
        )
    with pytest.raises(ValidationFailed):  # a purpose the contract does not permit
        keys.create(db, scope=scope_of(db, "enterprise2"), contract_id=agreed.id, purposes=["research"], daily_quota=1)
