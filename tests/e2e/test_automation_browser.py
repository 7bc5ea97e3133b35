"""Browser tests of automation and energy operations against the demo server (Debian's Chromium, driven by
Playwright): an operator builds the "after hours" scene for an office building, dry-runs it over the last week (the
lighting and air-conditioning commands its demo devices would get) and enables it; an enterprise sees its
electricity bill, its plan's progress and its prepaid balance; the energy-flow Sankey renders."""

from __future__ import annotations

import re
import time

import pytest

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, server, wait_for_demo_data  # noqa: F401  (server: the fixture)

pytestmark = pytest.mark.e2e
LOGIN_ATTEMPTS = 6


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
        if page.locator("h1").first.inner_text().strip().startswith(heading):
            return page
        time.sleep(5)  # the demo's history back-fill may hold SQLite's write lock for a while after start-up
    pytest.fail(f"{username} could not log in: {page.locator('h1').first.inner_text()}")


def test_operator_builds_the_after_hours_scene_dry_runs_and_enables_it(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    name = f"下班模式 {int(time.time())}"
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = _log_in(browser, server, "operator", "/automation", "自动化", errors)
            page.click("#new-scene")
            expect(page.locator("h1")).to_have_text("新建场景")
            page.fill("#f-name", name)
            page.fill("#f-at", "19:00")
            page.select_option("#f-days", "working")
            # an office building of the demo, with its lighting controllers and air-conditioning units
            boxes = page.locator("#scene-buildings tr", has_text="科创大厦A座").locator("input[type='checkbox']")
            boxes.nth(0).check()  # its lighting
            boxes.nth(1).check()  # and its air conditioning
            page.fill("#f-notify", "下班模式已执行")
            page.click("#save-scene")
            expect(page.locator("h1")).to_have_text(name)
            expect(page.locator("#rule-state")).to_contain_text("已停用")
            expect(page.locator("#rule-trigger")).to_contain_text("19:00")
            page.click("#dry-run")
            result = page.locator("#dry-run-result")
            expect(result).to_be_visible()
            # a week holds at least three working days: the scene would have run on each, switching both off
            assert result.locator("tr.dry-firing").count() >= 3
            expect(result.locator("tr.dry-firing").first).to_contain_text("照明")
            expect(result.locator("tr.dry-firing").first).to_contain_text("空调")
            # the commands the demo's devices would get: switched off, queued for each (none without a device)
            expect(result.locator("tr.dry-firing").first).to_contain_text("已排队")
            expect(result.locator("tr.dry-firing").first).not_to_contain_text("无可下发指令的设备")
            # its notification goes to the people on duty at that moment, each shown with the channel it would use
            expect(result.locator("tr.dry-firing").first).to_contain_text("通知 (在岗值班人员)")
            page.click("#toggle-rule")
            expect(page.locator("#rule-state")).to_contain_text("启用")
            expect(page.locator("#toggle-rule")).to_have_text("停用")
            page.goto(server + "/automation")
            row = page.locator("#automation-rules tr", has_text=name)
            expect(row).to_contain_text("启用")
        finally:
            browser.close()
    assert not errors, errors


def test_enterprise_sees_its_bill_and_plan_progress_and_the_sankey_renders(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = _log_in(browser, server, "enterprise", "/energy-ops", "能源账单与计划", errors)
            bills = page.locator("#bills .bill")
            expect(bills).to_have_count(1)  # its own bill only
            expect(bills.first.locator(".bill-total")).to_have_text(re.compile(r"^\d+\.\d\d$"))
            expect(bills.first).to_contain_text("公摊区域")
            expect(page.locator("#plans .plan-row")).to_have_count(1)
            expect(page.locator("#plans .plan-row progress")).to_have_count(1)
            expect(page.locator("#sankey-link")).to_have_count(0)  # the park's flows are the staff's
            expect(page.locator("#bills-pdf")).to_have_count(1)
            page.click("#prepaid-link")
            expect(page.locator("h1")).to_have_text("预付费账户")
            expect(page.locator("#prepaid-balance")).to_have_text(re.compile(r"^-?\d+\.\d\d$"))
            expect(page.locator("#entries tbody tr").first).to_contain_text("充值")
            expect(page.locator("#accounts")).to_have_count(0)  # the park's accounts are the staff's

            staff = _log_in(browser, server, "operator", "/energy-ops/sankey", "能流图", errors)
            expect(staff.locator("#sankey-totals")).to_be_visible()
            expect(staff.locator("#sankey-links tbody tr").first).not_to_contain_text("无。")
            expect(staff.locator("#energy-sankey canvas")).to_have_count(1)
            expect(staff.locator("#energy-sankey")).to_have_attribute("data-drawn", "1")
        finally:
            browser.close()
    assert not errors, errors
