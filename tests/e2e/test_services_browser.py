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


def test_operator_runs_a_group_purchase_and_the_enterprise_sees_its_split(evaluation_server: str) -> None:  # noqa: F811
    """The enterprise posts a demand; the park's admin opens the round from the aggregation, records a quote of a
    registered packaging supplier and awards it; the enterprise sees its part of the split at the awarded price."""
    from playwright.sync_api import Browser, Page, expect, sync_playwright

    server = evaluation_server
    errors: list[str] = []
    month = (dt.date.today().replace(day=1) + dt.timedelta(days=70)).strftime("%Y-%m")
    item = f"瓦楞纸箱 E2E {month}"

    def log_in(browser: Browser, username: str, target: str) -> Page:
        page = browser.new_context(locale="zh-CN").new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_default_timeout(90_000)
        page.goto(f"{server}/login?lang=zh&next={target}")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', "digipark-demo")
        page.click('button[type="submit"]')
        page.wait_for_url(server + target, wait_until="domcontentloaded")
        return page

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            company = log_in(browser, "enterprise", "/services")
            company.click("#tab-purchasing")
            expect(company.locator("h1")).to_have_text("集采集销")
            company.select_option("#f-category", "packaging")
            company.fill("#f-item", item)
            company.fill("#f-quantity", "2000")
            company.fill("#f-unit", "个")
            company.fill("#f-period", month)
            company.fill("#f-last_unit_price_yuan", "3.5")
            company.click("#demand-submit")
            company.wait_for_url(re.compile(r"/services/purchasing\?saved=1$"))
            mine = company.locator("#demands tbody tr", has_text=item)
            expect(mine.locator(".demand-status")).to_have_text("待汇总")

            admin = log_in(browser, "admin", "/services/purchasing")
            group = admin.locator(f"#aggregation tr[data-category='packaging'][data-period='{month}']")
            expect(group).to_contain_text(item)
            group.locator("button.open-round").click()
            admin.wait_for_url(re.compile(r"/services/purchasing/rounds/\d+\?saved=1$"))
            expect(admin.locator("h1")).to_have_text(item)
            admin.fill("#f-unit_price_yuan", "2.95")
            admin.click("#quote-submit")
            admin.wait_for_url(re.compile(r"/services/purchasing/rounds/\d+\?saved=1$"))
            expect(admin.locator("#quotes tbody tr")).to_have_count(1)
            admin.click("#award-submit")
            admin.wait_for_url(re.compile(r"/services/purchasing/rounds/\d+\?saved=1$"))
            expect(admin.locator("#round-status")).to_have_text("已定标")
            expect(admin.locator("#round-price")).to_have_text("2.95")

            company.reload()
            mine = company.locator("#demands tbody tr", has_text=item)
            expect(mine.locator(".demand-status")).to_have_text("已定标")
            expect(mine.locator(".awarded")).to_have_text("2.95")
            mine.locator("a", has_text="#").click()
            own = company.locator("#split tbody tr")
            expect(own).to_have_count(1)
            expect(own.locator(".saving")).to_have_text("1,100.00")
        finally:
            browser.close()
    assert not errors, errors
