"""Browser test of live alarms: the admin keeps the safety centre (which includes the live alarm list,
templates/alarms/_live_list.html) and the alarm list open, adds a rule in the rule editor on a point the demo's
simulator is reporting, and sees the new alarm appear on both pages, pushed over server-sent events, without a
reload."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, server  # noqa: F401  (the demo server fixture)

pytestmark = pytest.mark.e2e

SCREENSHOT = Path("/tmp/digipark-e2e-alarms.png")
WAIT_ONLINE_S = 90
WAIT_ALARM_MS = 60_000


def test_a_new_alarm_appears_without_reload(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 1100}, locale="zh-CN")
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server + "/login?lang=zh")
            page.fill('input[name="username"]', "admin")
            page.fill('input[name="password"]', "digipark-demo")
            page.click('button[type="submit"]')
            page.wait_for_url(server + "/")

            # a point the simulator reports: the newest-reporting online meter's first point
            editor = context.new_page()
            editor.set_default_timeout(60_000)
            listing = server + "/telemetry/devices?kind=electricity_meter&state=online&sort=-last_reading"
            first = editor.locator("table.tm-devices tbody a.primary-link").first
            for _ in range(WAIT_ONLINE_S // 3):
                editor.goto(listing)
                if first.count():
                    break
                editor.wait_for_timeout(3000)
            first.click()
            expect(editor).to_have_url(re.compile(r"/telemetry/devices/\d+$"))
            point_ids = editor.eval_on_selector_all("[data-point-value]", "els => els.map(e => e.dataset.pointValue)")
            assert point_ids

            # the pages that show live alarms, opened before the rule exists
            centre = page
            centre.goto(server + "/safety")
            expect(centre.locator("#al-live")).to_be_attached()
            expect(centre.locator("#al-live-status")).to_have_text("实时")
            alarms_page = context.new_page()
            alarms_page.goto(server + "/alarms")
            expect(alarms_page.locator("#al-live-status")).to_have_text("实时")
            for p in (centre, alarms_page):
                p.evaluate("window.__sameDocument = true")
            before = centre.locator("#al-live-rows tr").count()

            editor.goto(server + "/alarms/rules")
            editor.fill('input[name="name"]', "浏览器测试规则")
            editor.select_option('select[name="severity"]', "critical")
            editor.check('input[name="target"][value="point"]')
            editor.fill('input[name="point_id"]', point_ids[0])
            editor.fill('textarea[name="conditions"]', '[{"type": "threshold", "op": "above", "high": -1000000}]')
            editor.click('#al-rule-form button[type="submit"]')
            expect(editor.locator("#al-rules")).to_contain_text("浏览器测试规则")

            row = centre.locator("#al-live-rows tr", has_text="浏览器测试规则")
            expect(row).to_be_visible(timeout=WAIT_ALARM_MS)
            expect(row.locator(".al-sev-critical")).to_have_text("紧急")
            assert centre.locator("#al-live-rows tr").count() > before
            expect(alarms_page.locator("#al-live-rows tr", has_text="浏览器测试规则")).to_be_visible()
            for p in (centre, alarms_page):
                assert p.evaluate("window.__sameDocument === true")
            centre.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    assert not errors, errors
