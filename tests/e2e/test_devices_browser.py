"""Browser test of device commands against the demo server (Debian's Chromium, driven by Playwright): the operator
asks, from an incident's page, to close the tank farm's emergency shut-off valve; the command waits for a second
person; the park admin confirms it, and the valve (the demo's simulated controller, over the embedded MQTT broker)
answers: the command succeeds."""

from __future__ import annotations

import re
import time

import pytest

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, server, wait_for_demo_data  # noqa: F401  (server: the fixture)
from tests.e2e.test_living_browser import _log_in

pytestmark = pytest.mark.e2e


def test_a_shut_off_valve_is_closed_from_an_incident_with_a_second_persons_confirmation(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            wait_for_demo_data(server)
            operator = _log_in(browser, server, "operator", "/device-commands", "设备指令", errors)
            # the demo's history: the valve closed before, linked to its incident
            operator.locator("#command-history a", has_text="事件").first.click()
            expect(operator).to_have_url(re.compile(r"/safety/incidents/\d+$"))
            operator.click("#incident-commands")
            expect(operator).to_have_url(re.compile(r"/device-commands\?incident_id=\d+$"))
            option = operator.locator("#send-command select[name='command'] option", has_text="ESV-01").filter(
                has_text="关闭阀门"
            )
            operator.select_option("#send-command select[name='command']", value=option.get_attribute("value"))
            operator.fill("#send-command input[name='reason']", f"储罐区可燃气体浓度上升 {int(time.time())}")
            operator.click("#send-command-button")
            expect(operator).to_have_url(re.compile(r"/device-commands\?incident_id=\d+$"))
            waiting = operator.locator("tr.command-row[data-state='awaiting_confirmation']")
            expect(waiting).to_have_count(1)
            expect(operator.locator(".confirm-command")).to_have_count(1)  # the operator's page offers it ...
            incident_url = operator.url
            operator.locator(".confirm-command").click()  # ... and refuses it to the one who asked
            expect(operator.locator(".error-code")).to_have_text("403")
            expect(operator.locator(".detail")).to_contain_text("second person")
            admin_page = _log_in_to(browser, incident_url)
            admin_page.locator(".confirm-command").first.click()
            expect(admin_page.locator("tr.command-row[data-state='awaiting_confirmation']")).to_have_count(0)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                admin_page.goto(incident_url)
                states = admin_page.locator("tr.command-row").evaluate_all("rows => rows.map(r => r.dataset.state)")
                if states and states[0] == "succeeded":
                    break
                time.sleep(1)
            first = admin_page.locator("tr.command-row").first
            expect(first).to_have_attribute("data-state", "succeeded")
            expect(first).to_contain_text("admin")  # confirmed by the second person
        finally:
            browser.close()
    assert errors == []


def _log_in_to(browser, target: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(target)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill('input[name="username"]', "admin")
    page.fill('input[name="password"]', "digipark-demo")
    page.click('button[type="submit"]')
    page.wait_for_load_state()
    expect(page).to_have_url(target)
    return page
