"""Browser test of the data space against the demo server (Debian's Chromium, driven by Playwright): an enterprise
publishes a data product, another enterprise requests it, the provider agrees, the consumer downloads within the
policy, and a second download beyond the agreed count is refused (the ledger shows the refusal and verifies)."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, server, wait_for_demo_data  # noqa: F401  (server: the fixture)

pytestmark = pytest.mark.e2e
DEMO_PASSWORD = "digipark-demo"
LOGIN_ATTEMPTS = 6


def _api(url: str, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
    request = urllib.request.Request(
        url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _consumer_account(url: str) -> tuple[str, str]:
    """A user of another enterprise of the demo park (the demo's enterprise account is the first enterprise's)."""
    admin = _api(url, "POST", "/api/v1/auth/token", body={"username": "admin", "password": DEMO_PASSWORD})
    token = admin["access_token"]
    mine = _api(url, "POST", "/api/v1/auth/token", body={"username": "enterprise", "password": DEMO_PASSWORD})
    own = _api(url, "GET", "/api/v1/auth/me", mine["access_token"])["enterprise_id"]
    enterprises = _api(url, "GET", "/api/v1/enterprises?page_size=20&sort=id", token)["items"]
    other = next(e for e in enterprises if e["id"] != own)
    username, password = f"consumer{int(time.time())}", "Data-space-consumer-2026"
    _api(
        url,
        "POST",
        "/api/v1/users",
        token,
        {"username": username, "password": password, "role": "enterprise", "enterprise_id": other["id"]},
    )
    return username, password


def _log_in(browser, url: str, username: str, password: str, target: str, heading: str, errors: list[str]):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser.new_context(locale="zh-CN", accept_downloads=True).new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for _attempt in range(LOGIN_ATTEMPTS):
        page.goto(url + target)
        expect(page).to_have_url(re.compile(r"/login\?next="))
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', password)
        page.click('button[type="submit"]')
        page.wait_for_load_state()
        if page.locator("h1").first.inner_text().strip() == heading:
            return page
        time.sleep(5)  # the demo's history back-fill may hold SQLite's write lock for a while after start-up
    pytest.fail(f"{username} could not log in: {page.locator('h1').first.inner_text()}")


def test_publish_request_agree_download_and_refuse_beyond_the_count(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    wait_for_demo_data(server)
    consumer_name, consumer_password = _consumer_account(server)
    title = f"月度能耗对标数据 {int(time.time())}"
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            provider = _log_in(
                browser, server, "enterprise", DEMO_PASSWORD, "/dataspace/products/new", "发布数据产品", errors
            )
            provider.fill("#f-title", title)
            provider.select_option("#f-source", "energy_monthly")
            provider.fill("#f-year", "2026")
            provider.fill("#f-max_accesses", "3")
            provider.click("#publish")
            expect(provider.locator("#product-title")).to_have_text(title)
            product_path = provider.url.split(server, 1)[1].split("?")[0]

            consumer = _log_in(browser, server, consumer_name, consumer_password, product_path, title, errors)
            consumer.fill("#r-max_accesses", "1")
            consumer.click("#request")
            expect(consumer.locator("#contract-state")).to_have_text("已申请")
            contract_path = consumer.url.split(server, 1)[1]
            expect(consumer.locator("#download-form")).to_have_count(0)  # nothing to download before the agreement

            provider.goto(server + contract_path)
            provider.click("#agree")
            expect(provider.locator("#contract-state")).to_have_text("已同意")
            expect(provider.locator("#download-form")).to_have_count(0)  # the provider is not the consumer

            consumer.goto(server + contract_path)
            expect(consumer.locator("#remaining")).to_have_text("1")
            with consumer.expect_download() as info:
                consumer.click("#download")
            content = Path(info.value.path()).read_text(encoding="utf-8-sig").splitlines()
            assert content[0] == "month,tce_equivalent,tce_equal,tco2,electricity_kwh"
            assert len(content) == 13  # twelve months

            consumer.goto(server + contract_path)
            expect(consumer.locator("#contract-downloads")).to_have_text("1 / 1")
            consumer.click("#download")
            expect(consumer.locator("#contract-error")).to_contain_text("下载次数已用完")
            consumer.goto(server + contract_path)
            expect(consumer.locator("#ledger tr.ledger-refused")).to_have_count(1)
            expect(consumer.locator("#ledger tr.ledger-access")).to_have_count(1)
            expect(consumer.locator("#ledger-check")).to_contain_text("哈希链校验通过")
            assert not errors, errors
        finally:
            browser.close()
