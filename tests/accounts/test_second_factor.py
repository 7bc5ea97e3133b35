"""TOTP second factor: enrolment with a server-drawn QR code, login with a code, a wrong code, a recovery code
(once), the API token with a code, and a role whose policy requires it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.config import get_auth_settings
from digipark.auth.models import RecoveryCode
from tests.accounts.helpers import problem, token_for, user
from tests.conftest import World
from tests.web.helpers import form_token, login

SECRET = re.compile(r'<code id="totp-secret">([A-Z2-7]+)</code>')
RECOVERY = re.compile(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>")


def enrol_from_own_page(client: TestClient, username: str) -> tuple[str, list[str]]:
    """Set up the authenticator on 'My account'; returns the secret and the recovery codes."""
    csrf = login(client, username)
    page = client.get("/account")
    started = client.post("/account/second-factor/enrol", data={"csrf_token": form_token(page.text)})
    assert started.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in started.text  # the QR code, drawn on the server
    match = SECRET.search(started.text)
    assert match, "no secret on the enrolment page"
    secret = match.group(1)
    wrong = client.post("/account/second-factor/confirm", data={"csrf_token": csrf, "code": "000000"})
    assert wrong.status_code == 422 and "field-error" in wrong.text
    done = client.post("/account/second-factor/confirm", data={"csrf_token": csrf, "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = RECOVERY.findall(done.text)
    assert len(codes) == get_auth_settings().totp_recovery_codes
    return secret, codes


def next_code(secret: str) -> str:
    """The code of the next time step (accepted: it lies in the window, after the step the enrolment used)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def password_step(client: TestClient, username: str, password: str) -> str:
    """Log in with the password; returns where the login sends the browser."""
    client.cookies.clear()
    csrf = form_token(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def code_step(client: TestClient, code: str) -> int:
    page = client.get("/login/second-factor?next=/")
    assert page.status_code == 200
    response = client.post(
        "/login/second-factor",
        data={"csrf_token": form_token(page.text), "code": code, "next": "/"},
        follow_redirects=False,
    )
    return response.status_code


def test_enrolment_then_login_with_code_wrong_code_and_recovery_code(
    client: TestClient, world: World, db: Session
) -> None:
    secret, codes = enrol_from_own_page(client, "TA-operator")
    stored = db.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user(db, "TA-operator").id)).all()
    assert len(stored) == len(codes) and not set(stored) & {c.replace("-", "") for c in codes}  # hashed
    # the password alone opens nothing but the second-factor page
    assert password_step(client, "TA-operator", world.password) == "/login/second-factor?next=/"
    blocked = client.get("/", follow_redirects=False)
    assert blocked.status_code == 303 and blocked.headers["location"].startswith("/login")
    assert code_step(client, "123456" if pyotp.TOTP(secret).now() != "123456" else "654321") == 422
    assert client.get("/", follow_redirects=False).status_code == 303
    code = next_code(secret)
    assert code_step(client, code) == 303
    assert client.get("/").status_code == 200
    # the same code does not work twice
    password_step(client, "TA-operator", world.password)
    assert code_step(client, code) == 422
    # a recovery code works once
    password_step(client, "TA-operator", world.password)
    assert code_step(client, codes[0]) == 303
    assert client.get("/").status_code == 200
    password_step(client, "TA-operator", world.password)
    assert code_step(client, codes[0]) == 422


def test_api_token_needs_the_code(client: TestClient, world: World, db: Session) -> None:
    secret, _codes = enrol_from_own_page(client, "TA-operator")
    without = problem(token_for(client, "TA-operator", world.password), 401)
    unknown = problem(token_for(client, "nobody-at-all", world.password), 401)
    assert without["detail"] == unknown["detail"]
    problem(token_for(client, "TA-operator", world.password, otp="000000"), 401)
    code = next_code(secret)
    assert token_for(client, "TA-operator", world.password, otp=code).status_code == 200
    problem(token_for(client, "TA-operator", world.password, otp=code), 401)  # used up


def test_wrong_codes_lock_the_account(client: TestClient, world: World, db: Session) -> None:
    secret, _codes = enrol_from_own_page(client, "TA-operator")
    for _attempt in range(5):
        problem(token_for(client, "TA-operator", world.password, otp="000000"), 401)
    assert user(db, "TA-operator").locked_until is not None
    problem(token_for(client, "TA-operator", world.password, otp=next_code(secret)), 401)


@pytest.fixture
def admins_need_a_second_factor(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DIGIPARK_TOTP_REQUIRED_ROLES", "park_admin,operator")
    get_auth_settings.cache_clear()
    yield
    get_auth_settings.cache_clear()


@pytest.mark.usefixtures("admins_need_a_second_factor")
def test_a_role_that_requires_it_is_sent_to_enrolment(client: TestClient, world: World, db: Session) -> None:
    assert password_step(client, "TA-park_admin", world.password).startswith("/login/second-factor")
    assert client.get("/accounts", follow_redirects=False).status_code == 303  # nothing else yet
    page = client.get("/login/second-factor?next=/")
    assert 'action="/login/second-factor/enrol"' in page.text
    started = client.post("/login/second-factor/enrol", data={"csrf_token": form_token(page.text), "next": "/"})
    secret = SECRET.search(started.text)
    assert secret and "<svg" in started.text
    confirmed = client.post(
        "/login/second-factor/confirm",
        data={"csrf_token": form_token(page.text), "code": pyotp.TOTP(secret.group(1)).now(), "next": "/"},
    )
    assert confirmed.status_code == 200 and len(RECOVERY.findall(confirmed.text)) > 0
    assert client.get("/accounts").status_code == 200
    # an enterprise user is not asked
    assert password_step(client, "TA-enterprise", world.password) == "/"


def test_a_lost_phone_is_reset_by_the_administrator(client: TestClient, world: World, db: Session) -> None:
    enrol_from_own_page(client, "TA-operator")
    target = user(db, "TA-operator")
    admin = TestClient(client.app, base_url="http://testserver")
    from tests.conftest import bearer

    reset = admin.post(f"/api/v1/users/{target.id}/second-factor-reset", headers=bearer(world.a.tokens["park_admin"]))
    assert reset.status_code == 200 and reset.json()["second_factor"] is False
    assert password_step(client, "TA-operator", world.password) == "/"
