"""API tokens: a maximum lifetime, the owner's list, revocation by the owner or its administrator."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.auth import service as auth_service
from digipark.auth.config import get_auth_settings
from digipark.core.errors import ValidationFailed
from tests.accounts.helpers import API, field_of, make_enterprise_admin, problem, token_for, user
from tests.conftest import World, bearer


def test_tokens_live_at_most_the_configured_days(client: TestClient, world: World, db: Session) -> None:
    maximum = get_auth_settings().token_max_days
    assert maximum == 90  # the default
    assert field_of(token_for(client, "TA-operator", world.password, days=maximum + 1)) == "days"
    assert field_of(token_for(client, "TA-operator", world.password, days=3650)) == "days"
    response = token_for(client, "TA-operator", world.password, days=maximum)
    assert response.status_code == 200, response.text
    expires = dt.datetime.fromisoformat(response.json()["expires_at"])
    assert expires <= dt.datetime.now(dt.UTC) + dt.timedelta(days=maximum)
    default = token_for(client, "TA-operator", world.password).json()["expires_at"]
    assert dt.datetime.fromisoformat(default) <= dt.datetime.now(dt.UTC) + dt.timedelta(
        days=get_auth_settings().token_default_days
    )
    with pytest.raises(ValidationFailed):
        auth_service.create_api_token(db, user=user(db, "TA-operator"), name="long", days=maximum + 1)
    me = bearer(world.a.tokens["operator"])
    assert field_of(client.post(f"{API}/auth/tokens", json={"name": "ci", "days": 365}, headers=me)) == "days"


def test_the_maximum_is_a_setting(client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGIPARK_TOKEN_MAX_DAYS", "7")
    get_auth_settings.cache_clear()
    try:
        assert field_of(token_for(client, "TA-operator", world.password, days=8)) == "days"
        assert token_for(client, "TA-operator", world.password, days=7).status_code == 200
    finally:
        get_auth_settings.cache_clear()


def test_owner_lists_and_revokes_its_tokens(client: TestClient, world: World, db: Session) -> None:
    me = bearer(world.a.tokens["enterprise"])
    created = client.post(f"{API}/auth/tokens", json={"name": "erp-sync", "days": 30}, headers=me)
    assert created.status_code == 201
    raw = created.json()["access_token"]
    tokens = client.get(f"{API}/auth/tokens", headers=me).json()
    mine = next(t for t in tokens if t["name"] == "erp-sync")
    assert raw.startswith(mine["prefix"]) and "token_hash" not in mine
    # another enterprise's user does not find it
    problem(client.delete(f"{API}/auth/tokens/{mine['id']}", headers=bearer(world.a.tokens["enterprise2"])), 404)
    assert client.get(f"{API}/auth/me", headers=bearer(raw)).status_code == 200
    assert client.delete(f"{API}/auth/tokens/{mine['id']}", headers=me).status_code == 204
    problem(client.get(f"{API}/auth/me", headers=bearer(raw)), 401)
    revoked = next(t for t in client.get(f"{API}/auth/tokens", headers=me).json() if t["id"] == mine["id"])
    assert revoked["revoked"] is True and revoked["revoked_at"]


def test_enterprise_admin_revokes_tokens_of_its_enterprise(client: TestClient, world: World, db: Session) -> None:
    make_enterprise_admin(db, "TA-enterprise2")
    admin = bearer(world.a.tokens["enterprise2"])
    colleague_token = auth_service.create_api_token(db, user=user(db, "TA-enterprise"), name="x")[1]
    problem(client.delete(f"{API}/auth/tokens/{colleague_token.id}", headers=admin), 404)  # another enterprise's
    problem(client.get(f"{API}/users/{user(db, 'TA-enterprise').id}/tokens", headers=admin), 404)
    make_enterprise_admin(db, "TA-enterprise")
    own_admin = bearer(world.a.tokens["enterprise"])
    raw, token = auth_service.create_api_token(db, user=user(db, "TA-enterprise"), name="y")
    listed = client.get(f"{API}/users/{user(db, 'TA-enterprise').id}/tokens", headers=own_admin)
    assert token.id in {t["id"] for t in listed.json()}
    park_admin = bearer(world.a.tokens["park_admin"])
    assert client.delete(f"{API}/auth/tokens/{token.id}", headers=park_admin).status_code == 204
    problem(client.get(f"{API}/auth/me", headers=bearer(raw)), 401)
