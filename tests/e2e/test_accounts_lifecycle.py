"""Browser test of the account lifecycle: the park administrator deactivates an account, resets a password (the user
then chooses a new one at login) and names an enterprise administrator; the enterprise administrator sees only its
enterprise's accounts and revokes a colleague's API token. Debian's Chromium, driven by Playwright, against the
demo server."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, server  # noqa: F401  (the demo server fixture)

pytestmark = pytest.mark.e2e
LOGIN_ATTEMPTS = 6
DEMO_PASSWORD = "digipark-demo"
NEW_PASSWORD = "quiet-harbour-lantern-42"


def api(base: str, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
    """One API call; retried while the demo's start-up writes hold SQLite's lock. Returns (status, json)."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    for _attempt in range(LOGIN_ATTEMPTS):
        request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return exc.code, json.loads(exc.read() or b"null")
        time.sleep(5)
    pytest.fail(f"{method} {path} kept failing")


def token_of(base: str, username: str, password: str = DEMO_PASSWORD) -> str:
    status, body = api(base, "POST", "/api/v1/auth/token", {"username": username, "password": password})
    assert status == 200, body
    return str(body["access_token"])


def test_admin_and_enterprise_admin_manage_accounts(server: str) -> None:  # noqa: F811
    from playwright.sync_api import Browser, Page, expect, sync_playwright

    suffix = str(int(time.time()))
    admin_token = token_of(server, "admin")
    _, me = api(server, "GET", "/api/v1/auth/me", token=token_of(server, "enterprise"))
    own_enterprise = me["enterprise_id"]
    _, enterprises = api(server, "GET", "/api/v1/enterprises?page_size=5", token=admin_token)
    other_enterprise = next(e["id"] for e in enterprises["items"] if e["id"] != own_enterprise)
    people = {
        "leaver": {"role": "operator"},
        "forgetful": {"role": "operator"},
        "colleague": {"role": "enterprise", "enterprise_id": own_enterprise},
        "stranger": {"role": "enterprise", "enterprise_id": other_enterprise},
    }
    for name, fields in people.items():
        body = {"username": f"e2e-{name}-{suffix}", "password": NEW_PASSWORD, **fields}
        status, created = api(server, "POST", "/api/v1/users", body, token=admin_token)
        assert status == 201, created
    colleague_token = token_of(server, f"e2e-colleague-{suffix}", NEW_PASSWORD)
    errors: list[str] = []

    def log_in(browser: Browser, username: str, password: str = DEMO_PASSWORD) -> Page:
        page = browser.new_context(locale="zh-CN").new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        for _attempt in range(LOGIN_ATTEMPTS):
            page.goto(server + "/login")
            page.fill('input[name="username"]', username)
            page.fill('input[name="password"]', password)
            page.click('button[type="submit"]')
            page.wait_for_load_state()
            if "/login" not in page.url or page.locator("#new-password-form").count():
                return page
            time.sleep(5)
        pytest.fail(f"{username} could not log in: {page.locator('h1').inner_text()}")

    def open_account(page: Page, username: str) -> None:
        page.goto(server + "/accounts")
        page.locator(f"tr.account-row[data-username='{username}'] a.primary-link").click()
        expect(page.locator("h1")).to_contain_text(username)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            admin = log_in(browser, "admin")
            admin.goto(server + "/accounts")
            expect(admin.locator("h1")).to_have_text("账户管理")
            # deactivate: the account cannot log in any more
            open_account(admin, f"e2e-leaver-{suffix}")
            admin.click("#deactivate")
            expect(admin.locator("#account-status")).to_have_text("已停用")
            status, _ = api(
                server, "POST", "/api/v1/auth/token", {"username": f"e2e-leaver-{suffix}", "password": NEW_PASSWORD}
            )
            assert status == 401
            # reset a password: shown once; the user must choose a new one at the next login
            open_account(admin, f"e2e-forgetful-{suffix}")
            admin.click("#reset-password")
            temporary = admin.locator("#temporary-password").inner_text().strip()
            assert len(temporary) >= 12
            forgetful = log_in(browser, f"e2e-forgetful-{suffix}", temporary)
            expect(forgetful.locator("#new-password-form")).to_be_visible()
            forgetful.fill("#f-password", temporary)
            forgetful.fill("#f-new_password", "12345678")
            forgetful.fill("#f-new_password_repeat", "12345678")
            forgetful.click("#new-password-form button[type='submit']")
            expect(forgetful.locator(".field-error")).to_contain_text("太容易被猜到")
            forgetful.fill("#f-password", temporary)
            forgetful.fill("#f-new_password", "harbour-quiet-lantern-77")
            forgetful.fill("#f-new_password_repeat", "harbour-quiet-lantern-77")
            forgetful.click("#new-password-form button[type='submit']")
            expect(forgetful).not_to_have_url(re.compile(r"/login"))
            # name the demo enterprise user its enterprise's administrator
            open_account(admin, "enterprise")
            admin.check("#f-enterprise_admin")
            admin.click("#account-form button[type='submit']")
            expect(admin.locator(".alert-ok")).to_be_visible()

            boss = log_in(browser, "enterprise")
            boss.goto(server + "/accounts")
            rows = boss.locator("tr.account-row")
            expect(rows.filter(has_text=f"e2e-colleague-{suffix}")).to_have_count(1)
            expect(rows.filter(has_text=f"e2e-stranger-{suffix}")).to_have_count(0)
            expect(rows.filter(has_text="e2e-leaver")).to_have_count(0)
            open_account(boss, f"e2e-colleague-{suffix}")
            row = boss.locator("tr.token-row").first
            expect(row.locator(".badge")).to_have_text("有效")
            row.locator("button").click()
            expect(boss.locator(".alert-ok")).to_have_text("令牌已撤销。")
            expect(boss.locator("tr.token-row").first.locator(".badge")).to_have_text("已撤销")
            status, _ = api(server, "GET", "/api/v1/auth/me", token=colleague_token)
            assert status == 401
            # another enterprise's account is not found
            _, stranger = api(server, "GET", "/api/v1/users", token=admin_token)
            stranger_id = next(u["id"] for u in stranger if u["username"] == f"e2e-stranger-{suffix}")
            response = boss.goto(server + f"/accounts/{stranger_id}")
            assert response is not None and response.status == 404
        finally:
            browser.close()
    assert not errors, errors
