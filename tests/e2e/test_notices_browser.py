"""Browser test of notices: the admin writes and publishes one, an enterprise user finds it unread and opens it,
and the admin sees the receipt. Debian's Chromium, driven by Playwright, against the demo server."""

from __future__ import annotations

import re
import time

import pytest

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, server  # noqa: F401  (the demo server fixture)

pytestmark = pytest.mark.e2e
LOGIN_ATTEMPTS = 6


def test_admin_publishes_enterprise_reads_admin_sees_the_receipt(server: str) -> None:  # noqa: F811
    from playwright.sync_api import Browser, Page, expect, sync_playwright

    title = f"停电检修通知 {int(time.time())}"
    errors: list[str] = []

    def log_in(browser: Browser, username: str) -> Page:
        page = browser.new_context(locale="zh-CN").new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # the demo's history backfill holds SQLite's write lock for a while after start-up: a login (it writes
        # the session) may be refused then, so it is tried again
        for _attempt in range(LOGIN_ATTEMPTS):
            page.goto(server + "/notices")
            expect(page).to_have_url(re.compile(r"/login\?next=/notices$"))
            page.fill('input[name="username"]', username)
            page.fill('input[name="password"]', "digipark-demo")
            page.click('button[type="submit"]')
            page.wait_for_load_state()
            if page.locator("h1").inner_text().strip() == "公告":
                return page
            time.sleep(5)
        pytest.fail(f"{username} could not log in: {page.locator('h1').inner_text()}")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            admin = log_in(browser, "admin")
            expect(admin.locator("nav.mainnav a[href='/notices']")).to_be_visible()
            admin.click("#new-notice")
            admin.fill("#f-title", title)
            admin.select_option("#f-category", "outage")
            admin.select_option("#f-audience", "enterprises")
            admin.fill("#f-body", "周六 8:00-12:00 二区停电检修。\n\n请各企业提前做好安排。")
            admin.click("#notice-form button[type='submit']")
            expect(admin.locator("h1")).to_have_text(title)
            admin.click("#publish-form button")
            expect(admin.locator("#publish-form")).to_have_count(0)
            notice_url = admin.url.split("?")[0]
            expect(admin.locator("#receipt-count")).to_have_text("已读 0 人")

            reader = log_in(browser, "enterprise")
            row = reader.locator("tr.notice-row", has_text=title)
            expect(row).to_have_class(re.compile(r"\bnotice-unread\b"))
            expect(row.locator(".badge", has_text="未读")).to_be_visible()
            row.locator("a.primary-link").click()
            expect(reader.locator("h1")).to_have_text(title)
            expect(reader.locator(".notice-body p")).to_have_count(2)
            reader.goto(server + "/notices")
            expect(reader.locator("tr.notice-row", has_text=title)).not_to_have_class(re.compile(r"\bnotice-unread\b"))

            admin.goto(notice_url)
            expect(admin.locator("#receipt-count")).to_have_text("已读 1 人")
            expect(admin.locator("#receipts table tbody tr")).to_have_count(1)
        finally:
            browser.close()
    assert not errors, errors
