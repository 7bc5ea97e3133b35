"""Passwords are stored as argon2 hashes; logins are counted, locked out, audited and committed."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.auth import service as auth_service
from digipark.auth.models import Role, User
from digipark.core import db as core_db
from digipark.core.config import get_settings
from digipark.core.errors import ValidationFailed
from tests.conftest import World, bearer

TOKEN_URL = "/api/v1/auth/token"
PASSWORD = "a-long-secret-7"


def assert_problem(response: Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    assert body["status"] == status and body["type"] and body["title"] and body["detail"]
    return body


@pytest.fixture
def user(db: Session, world: World) -> User:
    return auth_service.create(
        db, username="login-tester", password=PASSWORD, role=Role.OPERATOR, park_id=world.a.park_id
    )


def login(client: TestClient, username: str, password: str) -> Response:
    return client.post(TOKEN_URL, json={"username": username, "password": password})


def committed_entries(action: str, entity_id: int | None = None) -> list[AuditEntry]:
    """Read through a new session (a new transaction on the test connection): only committed rows show."""
    with core_db.new_session() as fresh:
        stmt = select(AuditEntry).where(AuditEntry.action == action)
        if entity_id is not None:
            stmt = stmt.where(AuditEntry.entity_id == str(entity_id))
        return list(fresh.scalars(stmt.order_by(AuditEntry.id)))


def test_password_is_stored_as_argon2id_hash(db: Session, user: User) -> None:
    stored = db.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)
    assert db.scalar(select(func.count()).select_from(User).where(User.password_hash == PASSWORD)) == 0


def test_short_passwords_are_refused(db: Session, world: World) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        auth_service.create(db, username="shorty", password="short", role=Role.OPERATOR, park_id=world.a.park_id)
    assert excinfo.value.errors[0]["field"] == "password"


def test_good_login_gives_a_working_token(client: TestClient, user: User) -> None:
    response = login(client, "login-tester", PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["access_token"].startswith("dp_")
    me = client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "login-tester"
    assert "password_hash" not in me.text
    assert committed_entries("login", user.id)


def test_wrong_password_is_401_and_counted(client: TestClient, db: Session, user: User) -> None:
    body = assert_problem(login(client, "login-tester", "not-the-password"), 401)
    assert str(body["type"]).endswith("/not-authenticated")
    # the same answer for a user that does not exist: no user enumeration
    unknown = assert_problem(login(client, "nobody-at-all", "not-the-password"), 401)
    assert unknown["detail"] == body["detail"]
    assert db.scalar(select(User.failed_logins).where(User.id == user.id)) == 1
    assert len(committed_entries("login_failed", user.id)) == 1
    assert any(e.after and e.after.get("username") == "nobody-at-all" for e in committed_entries("login_failed"))
    # the password never reaches the audit log
    assert not any("not-the-password" in str(e.after) for e in committed_entries("login_failed"))


def test_lockout_after_max_failures_is_audited_and_committed(client: TestClient, db: Session, user: User) -> None:
    settings = get_settings()
    for attempt in range(1, settings.login_max_failures):
        assert_problem(login(client, "login-tester", f"wrong-{attempt}"), 401)
    before = dt.datetime.now(dt.UTC)
    unknown = assert_problem(login(client, "nobody-at-all", "wrong-last"), 401)
    body = assert_problem(login(client, "login-tester", "wrong-last"), 401)
    # the lock is not revealed: a locked account and an unknown name are answered alike
    assert body == {**unknown, "instance": body["instance"]}
    # even the right password is refused while locked, with the same answer
    assert assert_problem(login(client, "login-tester", PASSWORD), 401)["detail"] == unknown["detail"]

    failures = committed_entries("login_failed", user.id)
    assert len(failures) == settings.login_max_failures
    assert [e.after["failed_logins"] for e in failures if e.after] == list(range(1, settings.login_max_failures + 1))
    locked = committed_entries("account_locked", user.id)
    assert len(locked) == 1 and locked[0].park_id == user.park_id
    assert committed_entries("login_refused_locked", user.id)
    with core_db.new_session() as fresh:
        locked_until = fresh.scalar(select(User.locked_until).where(User.id == user.id))
    assert locked_until is not None
    expected = before + dt.timedelta(minutes=settings.login_lock_minutes)
    assert expected - dt.timedelta(minutes=1) < locked_until <= expected + dt.timedelta(minutes=1)


def test_lock_expires(client: TestClient, db: Session, user: User) -> None:
    for attempt in range(get_settings().login_max_failures):
        login(client, "login-tester", f"wrong-{attempt}")
    assert_problem(login(client, "login-tester", PASSWORD), 401)
    # shift time: the lock ended a minute ago
    db.execute(
        update(User).where(User.id == user.id).values(locked_until=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    )
    db.flush()
    response = login(client, "login-tester", PASSWORD)
    assert response.status_code == 200, response.text
    db.expire_all()
    state = db.execute(select(User.failed_logins, User.locked_until).where(User.id == user.id)).one()
    assert tuple(state) == (0, None)


def test_success_resets_the_failure_count(client: TestClient, db: Session, user: User) -> None:
    max_failures = get_settings().login_max_failures
    for attempt in range(max_failures - 1):
        assert_problem(login(client, "login-tester", f"wrong-{attempt}"), 401)
    assert login(client, "login-tester", PASSWORD).status_code == 200
    for attempt in range(max_failures - 1):
        assert_problem(login(client, "login-tester", f"again-{attempt}"), 401)
    assert login(client, "login-tester", PASSWORD).status_code == 200


def test_inactive_user_cannot_log_in_or_use_tokens(client: TestClient, db: Session, user: User) -> None:
    raw, _ = auth_service.create_api_token(db, user=user, name="before")
    assert client.get("/api/v1/auth/me", headers=bearer(raw)).status_code == 200
    db.execute(update(User).where(User.id == user.id).values(is_active=False))
    db.flush()
    assert_problem(login(client, "login-tester", PASSWORD), 401)
    assert_problem(client.get("/api/v1/auth/me", headers=bearer(raw)), 401)


def test_login_input_is_validated(client: TestClient) -> None:
    response = client.post(TOKEN_URL, json={"username": "x", "password": "y", "admin": True})
    body = assert_problem(response, 422)
    assert any(e["field"] == "admin" for e in body["errors"])  # type: ignore[attr-defined]
    assert_problem(client.post(TOKEN_URL, json={"username": "", "password": "y"}), 422)
