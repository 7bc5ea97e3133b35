"""Browser test of live telemetry: the demo's simulator publishes over MQTT into the demo's embedded broker; the
admin opens a reporting electricity meter's page and sees its charts gain points and its last values change,
pushed by server-sent events, without a reload."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, server  # noqa: F401  (the demo server fixture)

pytestmark = pytest.mark.e2e

SCREENSHOT = Path("/tmp/digipark-e2e-device.png")
WAIT_ONLINE_S = 90
WAIT_UPDATE_MS = 45_000


def test_a_device_page_updates_live(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1100}, locale="zh-CN")
            page.set_default_timeout(60_000)  # the demo back-fills its history meanwhile; the machine is small
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server + "/login?lang=zh")
            page.fill('input[name="username"]', "admin")
            page.fill('input[name="password"]', "digipark-demo")
            page.click('button[type="submit"]')
            page.wait_for_url(server + "/")
            # the overview's device panel, loaded by htmx
            expect(page.locator("#telemetry-panel .tm-state-list")).to_be_visible()

            page.click("nav.mainnav a[href='/telemetry/devices']")
            expect(page.locator("h1")).to_have_text("设备监测")
            # wait until the simulator's meters report, then take the one that reported last
            listing = server + "/telemetry/devices?kind=electricity_meter&state=online&sort=-last_reading"
            first = page.locator("table.tm-devices tbody a.primary-link").first
            for _ in range(WAIT_ONLINE_S // 3):
                page.goto(listing)
                if first.count():
                    break
                page.wait_for_timeout(3000)
            expect(first).to_be_visible()
            first.click()
            expect(page).to_have_url(re.compile(r"/telemetry/devices/\d+$"))
            expect(page.locator(".tm-chart canvas").first).to_be_visible()
            expect(page.locator("#live-status")).to_have_text("实时")  # the EventSource is open

            page.evaluate("window.__sameDocument = true")  # gone if the page reloaded
            counts = page.eval_on_selector_all(".tm-chart", "els => els.map(e => +e.dataset.count)")
            values = page.eval_on_selector_all("[data-point-value]", "els => els.map(e => e.textContent)")
            page.wait_for_function(
                """([counts, values]) => {
                    const now = [...document.querySelectorAll('.tm-chart')].map(e => +e.dataset.count);
                    const texts = [...document.querySelectorAll('[data-point-value]')].map(e => e.textContent);
                    return now.some((n, i) => n > counts[i]) && texts.some((t, i) => t !== values[i]);
                }""",
                arg=[counts, values],
                timeout=WAIT_UPDATE_MS,
            )
            assert page.evaluate("window.__sameDocument === true")
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    assert not errors, errors
