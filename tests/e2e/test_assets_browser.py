"""Browser test of assets against the demo server (Debian's Chromium, driven by Playwright): the operations staff
open the asset register, follow the machine predicted to fail first, and see its prediction (health, remaining
useful life with its band, the condition chart) and the work order it recommends, already opened."""

from __future__ import annotations

import re
import time

import pytest

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, server, wait_for_demo_data  # noqa: F401  (server: the fixture)

pytestmark = pytest.mark.e2e
LOGIN_ATTEMPTS = 6


def test_a_degrading_asset_shows_its_prediction_and_recommended_work_order(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    wait_for_demo_data(server)  # the assets' demo part is written after the demo answers
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(locale="zh-CN").new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            for _attempt in range(LOGIN_ATTEMPTS):
                page.goto(server + "/assets")
                expect(page).to_have_url(re.compile(r"/login\?next="))
                page.fill('input[name="username"]', "admin")
                page.fill('input[name="password"]', "digipark-demo")
                page.click('button[type="submit"]')
                page.wait_for_load_state()
                if page.locator("h1").first.inner_text().strip() == "资产管理":
                    break
                time.sleep(5)  # the demo's history back-fill may hold SQLite's write lock after start-up
            expect(page.locator("h1").first).to_have_text("资产管理")
            flagged = page.locator("#asset-flagged a").first
            expect(flagged).to_be_visible()
            name = flagged.inner_text().strip()
            expect(page.locator("#assets .asset-flag").first).to_be_visible()
            flagged.click()
            expect(page.locator("h1").first).to_have_text(name)
            expect(page.locator("#asset-rul")).to_contain_text("天")
            expect(page.locator("#asset-rul")).to_contain_text("95%")
            expect(page.locator("#asset-health")).to_contain_text("/ 100")
            recommendation = page.locator("#asset-recommendation")
            expect(recommendation).to_contain_text("建议工单")
            expect(page.locator("#asset-reason")).to_contain_text("ISO 10816-3")
            order = page.locator("#asset-order a")
            expect(order).to_be_visible()
            expect(page.locator("#asset-chart canvas").first).to_be_visible()
            order.click()
            expect(page).to_have_url(re.compile(r"/workorders/\d+"))
            expect(page.locator("body")).to_contain_text(name)
            assert not errors, errors
        finally:
            browser.close()
