"""Login, logout, CSRF and the redirect to the login page."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import User, WebSession
from digipark.web.auth import safe_next
from tests.conftest import World
from tests.web.helpers import form_token, login, visible_text


def _user(db: Session, username: str) -> User:
    user = db.scalar(select(User).where(User.username == username).execution_options(populate_existing=True))
    assert user is not None
    return user


def _post_login(client: TestClient, username: str, password: str, **extra: str) -> httpx.Response:
    token = form_token(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, **extra},
        follow_redirects=False,
    )


def test_login_page_is_chinese_by_default_and_sets_csrf_cookie(client: TestClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    text = visible_text(response.text)
    assert "园区统一数字平台" in text and "登录" in text and "用户名" in text
    assert client.cookies.get("dp_csrf") == form_token(response.text)


def test_login_success_sets_session_cookie_and_redirects(client: TestClient, world: World, db: Session) -> None:
    response = _post_login(client, "TA-park_admin", world.password, next="/enterprises?q=x")
    assert response.status_code == 303
    assert response.headers["location"] == "/enterprises?q=x"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("dp_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http and cookie_secure unset
    assert client.get("/").status_code == 200
    assert db.scalar(select(WebSession.id).where(WebSession.user_id == _user(db, "TA-park_admin").id))


def test_session_cookie_is_secure_over_https(app_instance: FastAPI, db: Session, world: World) -> None:
    with TestClient(app_instance, base_url="https://testserver") as https_client:
        response = _post_login(https_client, "TA-park_admin", world.password)
        cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("dp_session="))
        assert "Secure" in cookie


def test_next_must_be_a_local_path() -> None:
    assert safe_next("/buildings/3") == "/buildings/3"
    for bad in ("//evil.example/x", "https://evil.example", "/\\evil.example", "", None, "javascript:alert(1)"):
        assert safe_next(bad) == "/"


def test_failed_login_shows_error_and_is_counted(client: TestClient, db: Session) -> None:
    response = _post_login(client, "TA-operator", "wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in visible_text(response.text)
    assert "dp_session" not in client.cookies
    assert _user(db, "TA-operator").failed_logins == 1  # committed although the login failed


def test_a_locked_account_is_answered_like_an_unknown_name(client: TestClient, world: World, db: Session) -> None:
    unknown = _post_login(client, "nobody-at-all", "wrong-password")
    for _ in range(5):
        assert _post_login(client, "TA-reviewer", "wrong-password").status_code == 401
    user = _user(db, "TA-reviewer")
    assert user.locked_until is not None
    # even the right password is refused while locked, and the page says what it says for an unknown name
    locked = _post_login(client, "TA-reviewer", world.password)
    assert locked.status_code == unknown.status_code == 401
    assert "账户已锁定至" not in visible_text(locked.text)
    message = "用户名或密码错误，或账户因多次登录失败已被暂时锁定。"
    assert message in visible_text(locked.text) and message in visible_text(unknown.text)
    assert "dp_session" not in client.cookies


def test_login_without_or_with_wrong_csrf_token_is_rejected(client: TestClient, world: World, db: Session) -> None:
    client.get("/login")
    missing = client.post(
        "/login", data={"username": "TA-park_admin", "password": world.password}, follow_redirects=False
    )
    assert missing.status_code == 403
    wrong = client.post(
        "/login",
        data={"username": "TA-park_admin", "password": world.password, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert wrong.status_code == 403
    assert "dp_session" not in client.cookies
    assert _user(db, "TA-park_admin").last_login_at is None


def test_pages_redirect_to_login_when_logged_out(client: TestClient, world: World) -> None:
    response = client.get("/enterprises?status=active&page=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/enterprises%3Fstatus%3Dactive%26page%3D1"
    assert client.get(f"/buildings/{world.a.building_id}", follow_redirects=False).status_code == 303
    hx = client.get("/", headers={"HX-Request": "true"}, follow_redirects=False)
    assert hx.headers["HX-Redirect"] == "/login?next=/"
    # the login page sends the user back afterwards
    page = client.get(response.headers["location"])
    assert 'name="next" value="/enterprises?status=active&amp;page=1"' in page.text


def test_logout_needs_the_session_csrf_token(client: TestClient) -> None:
    token = login(client, "TA-park_admin")
    assert client.post("/logout", follow_redirects=False).status_code == 403
    assert client.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200  # still logged in
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_login_page_redirects_a_logged_in_user(client: TestClient) -> None:
    login(client, "TA-park_admin")
    response = client.get("/login?next=/zones", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/zones"
