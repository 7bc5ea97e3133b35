"""Browser tests of infrastructure and security against the demo server (Debian's Chromium, Playwright): the
park's infrastructure page shows 双千兆 coverage by building; a burst of failed logins on the platform's own login
page, collected by the security page, becomes a brute-force incident."""

from __future__ import annotations

import re
import time

import pytest

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, server, wait_for_demo_data  # noqa: F401  (server: the fixture)

pytestmark = pytest.mark.e2e
LOGIN_ATTEMPTS = 6
BURST = 6  # more than the brute-force rule's threshold (data/correlation.yaml)


def _log_in(browser, url: str, username: str, target: str, heading: str, errors: list[str]):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    wait_for_demo_data(url)
    page = browser.new_context(locale="zh-CN").new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for _attempt in range(LOGIN_ATTEMPTS):
        page.goto(url + target)
        expect(page).to_have_url(re.compile(r"/login\?next="))
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', "digipark-demo")
        page.click('button[type="submit"]')
        page.wait_for_load_state()
        if page.locator("h1").first.inner_text().strip() == heading:
            return page
        time.sleep(5)  # the demo's history back-fill may hold SQLite's write lock for a while after start-up
    pytest.fail(f"{username} could not log in: {page.locator('h1').first.inner_text()}")


def test_infrastructure_page_shows_double_gigabit_coverage_by_building(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = _log_in(browser, server, "admin", "/infrastructure", "数字基础设施", errors)
            rows = page.locator("#coverage tr.coverage-row")
            expect(rows.first).to_be_visible()
            assert rows.count() > 1
            covered = page.locator('#coverage tr.coverage-row[data-covered="yes"]').count()
            assert 0 < covered <= rows.count()
            expect(page.locator("#double-gigabit-share")).to_contain_text("%")
            expect(page.locator("#coverage-source")).to_have_count(0)  # computed from the network inventory
        finally:
            browser.close()
    assert errors == []


def test_a_burst_of_failed_logins_becomes_an_incident(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    target = "operator"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            wait_for_demo_data(server)
            attacker = browser.new_context(locale="zh-CN").new_page()
            for _ in range(BURST):
                attacker.goto(server + "/login")
                attacker.fill('input[name="username"]', target)
                attacker.fill('input[name="password"]', "wrong-password-guess")
                attacker.click('button[type="submit"]')
                attacker.wait_for_load_state()
            page = _log_in(browser, server, "admin", "/security", "网络安全", errors)
            page.click("#collect-logins button")
            page.wait_for_load_state()
            incident = page.locator(f'#incidents tr.incident-row[data-rule="brute_force"][data-key="user:{target}"]')
            expect(incident).to_have_count(1)
            expect(incident).to_have_attribute("data-status", "open")
        finally:
            browser.close()
    assert errors == []
