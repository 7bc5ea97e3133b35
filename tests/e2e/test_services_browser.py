"""Browser test of production services: the demo's enterprise (a 规上 industrial enterprise that has not used a
park service yet) books the shared five-axis machine from the catalogue, the park's admin approves the request, and
the production-service coverage (S2.2) on the evaluation page counts one enterprise more. Debian's Chromium, driven
by Playwright, against the demo."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_evaluation_browser import evaluation_server  # noqa: F401  (the demo server fixture)

pytestmark = pytest.mark.e2e
MACHINE = "五轴联动加工中心 DMU 65"
INDICATOR = "/evaluation/indicators/production_service_coverage"


def test_enterprise_books_admin_approves_coverage_rises(evaluation_server: str) -> None:  # noqa: F811
    from playwright.sync_api import Browser, Page, expect, sync_playwright

    server = evaluation_server
    errors: list[str] = []

    def log_in(browser: Browser, username: str, target: str) -> Page:
        page = browser.new_context(locale="zh-CN").new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_default_timeout(90_000)  # the demo's telemetry back-fill keeps the server busy at first
        page.goto(f"{server}/login?lang=zh&next={target}")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', "digipark-demo")
        page.click('button[type="submit"]')
        page.wait_for_url(server + target, wait_until="domcontentloaded")
        return page

    def unmet(page: Page) -> int:
        page.goto(server + INDICATOR)
        expect(page.locator("h1")).to_contain_text("数字化生产性服务")
        return page.locator("#drilldown-table tbody tr.ev-row-unmet").count()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            admin = log_in(browser, "admin", INDICATOR)
            before = unmet(admin)
            assert before >= 1

            company = log_in(browser, "enterprise", "/services")
            expect(company.locator("h1")).to_have_text("生产性服务")
            company.fill('input[name="q"]', "五轴")
            company.click("form.filters button[type='submit']")
            company.locator("#offerings a.primary-link", has_text=MACHINE).click()
            expect(company.locator("h1")).to_have_text(MACHINE)
            expect(company.locator("#calendar")).to_be_visible()
            day = (dt.date.today() + dt.timedelta(days=3)).isoformat()
            company.fill("#f-day", day)
            company.fill("#f-start", "09:00")
            company.fill("#f-end", "11:00")
            company.fill("#f-purpose", "新品试制")
            company.click("#book-submit")
            company.wait_for_url(re.compile(r"/services/bookings\?saved=1$"))
            mine = company.locator("#bookings tbody tr[data-status='requested']")
            expect(mine).to_have_count(1)
            ident = mine.get_attribute("data-id")
            expect(mine.locator("button.approve")).to_have_count(0)

            admin.goto(server + "/services/bookings")
            row = admin.locator(f"#bookings tbody tr[data-id='{ident}']")
            expect(row.locator(".booking-status")).to_have_text("已申请")
            row.locator("button.approve").click()
            admin.wait_for_url(re.compile(r"/services/bookings\?saved=1$"))
            expect(admin.locator(f"#bookings tbody tr[data-id='{ident}'] .booking-status")).to_have_text("已批准")

            after = unmet(admin)
            assert after == before - 1, (before, after)
            company.goto(server + "/services/bookings")
            expect(company.locator(f"#bookings tbody tr[data-id='{ident}'] .booking-status")).to_have_text("已批准")
        finally:
            browser.close()
    assert not errors, errors
