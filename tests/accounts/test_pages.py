"""Account pages: who sees them, the forms (CSRF, errors beside the field, permission before input), both
languages; and 'My account': password change, tokens."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import ApiToken
from tests.accounts.helpers import STRONG, make_enterprise_admin, token_for, user
from tests.conftest import World, bearer
from tests.web.helpers import form_token, login, visible_text


def test_accounts_page_lists_the_park_and_is_translated(client: TestClient, world: World) -> None:
    login(client, "TA-park_admin")
    zh = client.get("/accounts?lang=zh")
    assert zh.status_code == 200 and "账户管理" in zh.text
    assert "TA-operator" in zh.text and "TB-operator" not in zh.text
    en = client.get("/accounts?lang=en")
    assert "Accounts" in visible_text(en.text) and "账户管理" not in visible_text(en.text)
    assert "nav" in zh.text and 'href="/accounts"' in zh.text


@pytest.mark.parametrize("username", ["TA-operator", "TA-enterprise", "TA-reviewer", "TA-resident"])
def test_accounts_page_is_refused_without_the_permission(client: TestClient, username: str) -> None:
    login(client, username)
    assert client.get("/accounts").status_code == 403
    assert 'href="/accounts"' not in client.get("/").text


def test_enterprise_admin_sees_its_enterprise_only(client: TestClient, world: World, db: Session) -> None:
    make_enterprise_admin(db, "TA-enterprise")
    login(client, "TA-enterprise")
    page = client.get("/accounts")
    assert page.status_code == 200
    names = set(re.findall(r'data-username="([^"]+)"', page.text))
    assert names == {"TA-enterprise"}
    assert client.get(f"/accounts/{user(db, 'TA-enterprise2').id}").status_code == 404
    assert client.get(f"/accounts/{user(db, 'TA-operator').id}").status_code == 404


def test_edit_form_checks_permission_then_csrf_then_input(client: TestClient, world: World, db: Session) -> None:
    target = user(db, "TA-operator")
    csrf = login(client, "TA-resident")
    # no permission: refused before the (bad) input is looked at
    assert client.post(f"/accounts/{target.id}/edit", data={"csrf_token": csrf, "email": "bad"}).status_code == 403
    client.cookies.clear()
    csrf = login(client, "TA-park_admin")
    assert client.post(f"/accounts/{target.id}/edit", data={"email": "x@example.cn"}).status_code == 403  # no CSRF
    bad = client.post(
        f"/accounts/{target.id}/edit", data={"csrf_token": csrf, "display_name": "值班", "email": "not-an-address"}
    )
    assert bad.status_code == 422
    assert re.search(r'has-error">\s*<label class="field-label" for="f-email"', bad.text)
    assert user(db, "TA-operator").email is None
    ok = client.post(
        f"/accounts/{target.id}/edit",
        data={"csrf_token": csrf, "display_name": "夜班值班员", "email": "night@example.cn", "role": "operator"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert user(db, "TA-operator").display_name == "夜班值班员"


def test_admin_deactivates_and_resets_on_the_page(client: TestClient, world: World, db: Session) -> None:
    target = user(db, "TA-operator")
    csrf = login(client, "TA-park_admin")
    assert client.post(f"/accounts/{target.id}/active", data={"csrf_token": csrf, "active": "0"}).status_code == 200
    assert user(db, "TA-operator").is_active is False
    reset = client.post(f"/accounts/{target.id}/password-reset", data={"csrf_token": csrf})
    temporary = re.search(r'<code id="temporary-password">([^<]+)</code>', reset.text)
    assert temporary and user(db, "TA-operator").must_change_password
    own = user(db, "TA-park_admin")
    refused = client.post(f"/accounts/{own.id}/active", data={"csrf_token": csrf, "active": "0"})
    assert refused.status_code == 422 and user(db, "TA-park_admin").is_active


def test_own_account_password_and_tokens(client: TestClient, world: World, db: Session) -> None:
    csrf = login(client, "TA-resident")
    page = client.get("/account?lang=zh")
    assert page.status_code == 200 and "我的账户" in page.text
    wrong = client.post(
        "/account/password",
        data={"csrf_token": csrf, "current_password": "x", "new_password": STRONG, "new_password_repeat": STRONG},
    )
    assert wrong.status_code == 422 and "密码错误" in wrong.text
    weak = client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": world.password,
            "new_password": "aaaaaaaa",
            "new_password_repeat": "aaaaaaaa",
        },
    )
    assert weak.status_code == 422 and "太容易被猜到" in weak.text
    too_long = client.post("/account/tokens", data={"csrf_token": csrf, "name": "ci", "days": "3650"})
    assert too_long.status_code == 422 and "field-error" in too_long.text
    created = client.post("/account/tokens", data={"csrf_token": csrf, "name": "ci", "days": "30"})
    raw = re.search(r'<code id="new-token">([^<]+)</code>', created.text)
    assert raw
    assert client.get("/api/v1/auth/me", headers=bearer(raw.group(1))).status_code == 200
    token_id = db.scalar(select(ApiToken.id).where(ApiToken.name == "ci"))
    revoked = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": form_token(page.text)})
    assert revoked.status_code == 200
    assert client.get("/api/v1/auth/me", headers=bearer(raw.group(1))).status_code == 401
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": world.password,
            "new_password": STRONG,
            "new_password_repeat": STRONG,
        },
    )
    assert changed.status_code == 200 and "密码已修改" in changed.text
    assert token_for(client, "TA-resident", STRONG).status_code == 200
