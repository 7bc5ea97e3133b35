"""API tokens (stored hashed; revoked and expired ones rejected) and cookie sessions (CSRF on unsafe calls)."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from digipark.auth import service as auth_service
from digipark.auth.dependencies import CSRF_HEADER, SESSION_COOKIE
from digipark.auth.models import ApiToken, User, WebSession
from digipark.registry.models import Zone
from tests.conftest import World, bearer

ME = "/api/v1/auth/me"


def assert_problem(response: Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["type"] and body["title"] and body["detail"]


@pytest.fixture
def admin(db: Session, world: World) -> User:
    found = db.scalar(select(User).where(User.username == "TA-park_admin"))
    assert found is not None
    return found


def test_only_the_token_hash_is_stored(db: Session, admin: User) -> None:
    raw, token = auth_service.create_api_token(db, user=admin, name="hashed")
    assert token.token_hash == auth_service.sha256(raw) and token.token_hash != raw
    assert raw.startswith(token.prefix) and len(token.prefix) < len(raw) // 2
    row = db.execute(select(ApiToken.__table__).where(ApiToken.id == token.id)).one()
    assert raw not in [str(value) for value in row]


def test_revoked_token_is_rejected(client: TestClient, db: Session, admin: User) -> None:
    raw, token = auth_service.create_api_token(db, user=admin, name="to-revoke")
    assert client.get(ME, headers=bearer(raw)).status_code == 200
    auth_service.revoke_api_token(db, user=admin, token_id=token.id)
    db.flush()
    response = client.get(ME, headers=bearer(raw))
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_expired_token_is_rejected(client: TestClient, db: Session, admin: User) -> None:
    raw, token = auth_service.create_api_token(db, user=admin, name="to-expire", days=1)
    assert client.get(ME, headers=bearer(raw)).status_code == 200
    db.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id)
        .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    )
    db.flush()
    assert_problem(client.get(ME, headers=bearer(raw)), 401)


@pytest.mark.parametrize("header", ["Bearer ", "Bearer dp_forged", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 5000])
def test_malformed_or_forged_credentials(client: TestClient, header: str) -> None:
    assert_problem(client.get(ME, headers={"Authorization": header}), 401)


def test_a_token_only_revokes_its_own_users_tokens(db: Session, world: World, admin: User) -> None:
    other = db.scalar(select(User).where(User.username == "TB-park_admin"))
    assert other is not None
    _, token = auth_service.create_api_token(db, user=other, name="not-yours")
    from digipark.core.errors import NotFound

    with pytest.raises(NotFound):
        auth_service.revoke_api_token(db, user=admin, token_id=token.id)
    assert db.scalar(select(ApiToken.revoked).where(ApiToken.id == token.id)) is False


# -- cookie sessions ------------------------------------------------------------------------------------------
@pytest.fixture
def cookie_client(client: TestClient, db: Session, admin: User) -> tuple[TestClient, str]:
    raw, web_session = auth_service.create_web_session(db, user=admin)
    client.cookies.set(SESSION_COOKIE, raw)
    return client, web_session.csrf_token


def _zone_body(code: str) -> dict[str, str]:
    return {"code": code, "name": "会话区", "function": "office"}


def test_cookie_session_reads_without_csrf(cookie_client: tuple[TestClient, str]) -> None:
    client, _ = cookie_client
    response = client.get(ME)
    assert response.status_code == 200 and response.json()["username"] == "TA-park_admin"


def test_cookie_session_unsafe_calls_need_the_csrf_header(
    cookie_client: tuple[TestClient, str], db: Session, world: World
) -> None:
    client, csrf = cookie_client
    zones = db.scalar(select(func.count()).select_from(Zone))
    zone_url = f"/api/v1/zones/{world.a.zone_id}"
    name = db.scalar(select(Zone.name).where(Zone.id == world.a.zone_id))
    for headers in ({}, {CSRF_HEADER: "wrong"}, {CSRF_HEADER: ""}):
        assert_problem(client.post("/api/v1/zones", json=_zone_body("CS1"), headers=headers), 403)
        assert_problem(client.patch(zone_url, json={"name": "改了"}, headers=headers), 403)
        assert_problem(client.delete(zone_url, headers=headers), 403)
    assert db.scalar(select(func.count()).select_from(Zone)) == zones
    assert db.scalar(select(Zone.name).where(Zone.id == world.a.zone_id)) == name
    # with the header, the same calls go through
    good = {CSRF_HEADER: csrf}
    created = client.post("/api/v1/zones", json=_zone_body("CS1"), headers=good)
    assert created.status_code == 201, created.text
    assert client.patch(f"/api/v1/zones/{created.json()['id']}", json={"name": "改了"}, headers=good).status_code == 200
    assert client.delete(f"/api/v1/zones/{created.json()['id']}", headers=good).status_code == 204


def test_bearer_calls_need_no_csrf_header(client: TestClient, world: World) -> None:
    response = client.post("/api/v1/zones", json=_zone_body("CS2"), headers=bearer(world.a.tokens["park_admin"]))
    assert response.status_code == 201, response.text


def test_expired_or_ended_sessions_are_anonymous(
    cookie_client: tuple[TestClient, str], db: Session, admin: User
) -> None:
    client, _ = cookie_client
    raw = client.cookies.get(SESSION_COOKIE)
    assert raw is not None
    db.execute(
        update(WebSession)
        .where(WebSession.session_hash == auth_service.sha256(raw))
        .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    )
    db.flush()
    assert_problem(client.get(ME), 401)
    raw2, _ = auth_service.create_web_session(db, user=admin)
    client.cookies.set(SESSION_COOKIE, raw2)
    assert client.get(ME).status_code == 200
    auth_service.end_web_session(db, raw=raw2)
    db.flush()
    assert_problem(client.get(ME), 401)


def test_session_cookie_is_stored_hashed(db: Session, admin: User) -> None:
    raw, web_session = auth_service.create_web_session(db, user=admin)
    assert web_session.session_hash == auth_service.sha256(raw) != raw
    assert web_session.csrf_token != raw
