"""Browser test of industry chains and investment leads: the demo's admin opens a chain map (an ECharts graph with
its empty segments listed) and a lead from the pipeline board with its score explanation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, server  # noqa: F401  (the demo server fixture)

pytestmark = pytest.mark.e2e

SCREENSHOT = Path("/tmp/digipark-e2e-chain-map.png")


def test_admin_opens_a_chain_map_and_a_lead(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server + "/login?lang=zh")
            page.fill('input[name="username"]', "admin")
            page.fill('input[name="password"]', "digipark-demo")
            page.click('button[type="submit"]')
            page.wait_for_url(server + "/")

            page.click("nav.mainnav a[href='/economy/chains']")
            expect(page.locator("h1")).to_have_text("产业链")
            page.locator("a.chain-card", has_text="新能源汽车").click()
            expect(page.locator("h1")).to_have_text("新能源汽车")
            # the graph: drawn by ECharts in place of the text fallback
            expect(page.locator("#chain-map canvas").first).to_be_visible()
            expect(page.locator("#chain-map .chart-fallback")).to_have_count(0)
            # the gaps are listed: the demo park makes no vehicles
            empty = page.locator("#empty-segments li.segment-empty")
            assert empty.count() >= 1
            expect(page.locator("#empty-segments")).to_contain_text("整车制造")
            # a segment's enterprises and candidates, shown on click
            empty.first.locator("button").click()
            expect(page.locator("#segment-title")).to_have_text(empty.first.locator("button").inner_text())
            expect(page.locator("#segment-body .seg-badge.seg-empty")).to_be_visible()
            page.wait_for_timeout(400)  # the graph's entry animation
            page.screenshot(path=str(SCREENSHOT), full_page=True)

            page.click("nav.mainnav a[href='/economy/leads']")
            expect(page.locator("h1")).to_have_text("招商线索看板")
            cards = page.locator("#lead-board .lead-card")
            assert cards.count() >= 10
            negotiating = page.locator(".lead-column-negotiating .lead-card").first
            name = negotiating.locator(".lead-name").inner_text()
            negotiating.click()
            expect(page).to_have_url(re.compile(r"/economy/leads/\d+$"))
            expect(page.locator("h1")).to_have_text(name)
            explanation = page.locator("#score-explanation")
            expect(explanation.locator("tbody tr")).to_have_count(4)
            expect(explanation).to_contain_text("环节缺口")
            expect(explanation).to_contain_text("空间匹配")
            expect(page.locator("#lead-history tbody tr").first).to_be_visible()

            page.click(".langs a[lang='en']")
            expect(page.locator("#score-explanation")).to_contain_text("Segment gap")
        finally:
            browser.close()
    assert not errors, errors
