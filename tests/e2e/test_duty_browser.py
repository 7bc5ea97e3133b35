"""Browser test of the duty rosters and the duty phone app: the admin keeps the roster in its page (1440 px and 390 px,
zh and en) and adds a team with a member and a shift; the operator, on duty in the demo's round-the-clock shift,
opens the duty app on a 390 px phone, sees that they are on duty and marks an incident task given to them done, then
starts a work order of the team they lead and completes it with a note; the enterprise user opens the app and goes
from it to the monthly statistics form, at 390 px. No element may reach past the phone's edge (bounding boxes,
tests/e2e/crawl.py). Screenshots go to docs/screenshots/."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.crawl import OVERFLOW_JS, PHONE
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, server  # noqa: F401  (the demo server fixture)

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1440, "height": 900}


def _log_in(browser: Any, base: str, username: str, viewport: dict[str, int], errors: list[str]) -> Any:
    page = browser.new_context(locale="zh-CN", viewport=viewport).new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for _attempt in range(6):  # the demo's back-fill may hold SQLite's write lock for a while
        page.goto(base + "/login")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', "digipark-demo")
        page.click('button[type="submit"]')
        page.wait_for_load_state()
        if "/login" not in page.url:
            return page
        time.sleep(5)
    pytest.fail(f"{username} could not log in")


def _no_overflow(page: Any) -> None:
    found = page.evaluate(OVERFLOW_JS)
    assert found["scrollWidth"] <= found["width"] and not found["offenders"], found


def test_the_roster_page_and_the_duty_app_on_a_phone(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    SHOTS.mkdir(parents=True, exist_ok=True)
    team = f"夜间巡检组{int(time.time()) % 100000}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            admin = _log_in(browser, server, "admin", DESKTOP, errors)
            admin.goto(server + "/duty-roster")
            expect(admin.locator("h1")).to_have_text("值班表")
            expect(admin.locator("#on-duty-now")).to_contain_text("李敏")
            admin.fill("input[name='name'][maxlength='120']>> nth=-1", team)
            admin.locator("form[action='/duty-roster/teams'] button").click()
            section = admin.locator(".duty-team", has_text=team)
            expect(section).to_have_count(1)
            section.locator("form[action$='/members'] select[name='user_id']").select_option(label="李敏")
            section.locator("form[action$='/members'] input[name='phone']").fill("13800000001")
            section.locator("form[action$='/members'] button").click()
            section = admin.locator(".duty-team", has_text=team)
            expect(section.locator("ol li")).to_contain_text("13800000001")
            section.locator("form[action$='/shifts'] input[name='name']").fill("夜班")
            section.locator("form[action$='/shifts'] input[name='starts']").fill("20:00")
            section.locator("form[action$='/shifts'] input[name='ends']").fill("08:00")
            section.locator("form[action$='/shifts'] button").click()
            expect(admin.locator(".duty-team", has_text=team)).to_contain_text("20:00–08:00")
            admin.screenshot(path=str(SHOTS / "duty-roster-zh-desktop.jpg"), full_page=True, quality=80)
            admin.goto(server + "/duty-roster?lang=en")
            expect(admin.locator("h1")).to_have_text("Duty rosters")
            admin.screenshot(path=str(SHOTS / "duty-roster-en-desktop.jpg"), full_page=True, quality=80)
            admin.goto(server + "/duty-roster?lang=zh")
            token = admin.locator("input[name='csrf_token']").first.get_attribute("value")
            # an incident with a task for the operator (by username), through the safety API
            now = dt.datetime.now(dt.UTC)
            incident = admin.request.post(
                server + "/api/v1/safety/incidents",
                data={
                    "title": "二号楼烟感报警",
                    "kind": "fire",
                    "location": "二号楼一层",
                    "occurred_at": now.isoformat(),
                },
                headers={"X-CSRF-Token": token},
            )
            assert incident.status == 201, incident.text()
            task = admin.request.post(
                f"{server}/api/v1/safety/incidents/{incident.json()['id']}/tasks",
                data={
                    "title": "到现场核实",
                    "assignee": "operator",
                    "deadline": (now + dt.timedelta(hours=1)).isoformat(),
                },
                headers={"X-CSRF-Token": token},
            )
            assert task.status == 201, task.text()
            # the repair team led by the operator (by display name): its dispatched orders are theirs in the app
            teams = admin.request.get(server + "/api/v1/workorders/teams?search=物业维修班").json()["items"]
            lead = admin.request.patch(
                f"{server}/api/v1/workorders/teams/{teams[0]['id']}",
                data={"lead": "李敏"},
                headers={"X-CSRF-Token": token},
            )
            assert lead.status == 200, lead.text()

            roster_phone = _log_in(browser, server, "admin", PHONE, errors)
            for lang in ("zh", "en"):
                roster_phone.goto(f"{server}/duty-roster?lang={lang}")
                _no_overflow(roster_phone)
                roster_phone.screenshot(path=str(SHOTS / f"duty-roster-{lang}-phone.jpg"), full_page=True, quality=80)

            duty = _log_in(browser, server, "operator", PHONE, errors)
            duty.goto(server + "/duty?lang=zh")
            expect(duty.locator(".duty-on")).to_be_visible()
            item = duty.locator("#duty-tasks .duty-task", has_text="到现场核实")
            expect(item).to_have_count(1)
            _no_overflow(duty)
            duty.screenshot(path=str(SHOTS / "duty-tasks-zh-phone.jpg"), full_page=True, quality=80)
            item.locator("input[name='note']").fill("已到场，误报")
            item.locator("button").click()
            expect(duty.locator("#duty-tasks .duty-task", has_text="到现场核实")).to_have_count(0)
            # work orders: start the first dispatched one, complete it with a note, at 390 px
            orders = duty.locator("#duty-orders .duty-order")
            expect(orders.first).to_be_visible()
            waiting = duty.locator("#duty-orders .duty-order[data-state='assigned']").first
            ident = waiting.get_attribute("data-id")
            _no_overflow(duty)
            duty.screenshot(path=str(SHOTS / "duty-orders-zh-phone.jpg"), full_page=True, quality=80)
            waiting.locator("button.duty-start").click()
            started = duty.locator(f"#order-{ident}")
            expect(started).to_have_attribute("data-state", "in_progress")
            started.locator("input[name='note']").fill("已更换感应器")
            started.locator("button.duty-complete").click()
            expect(duty.locator(f"#order-{ident}")).to_have_count(0)
            done = admin.request.get(f"{server}/api/v1/workorders/{ident}").json()
            assert done["state"] == "done" and done["completion_note"] == "已更换感应器"
            duty.goto(server + "/duty?lang=en")
            _no_overflow(duty)

            enterprise = _log_in(browser, server, "enterprise", PHONE, errors)
            enterprise.goto(server + "/duty?lang=zh")
            expect(enterprise.locator("#duty-statistics")).to_be_visible()
            expect(enterprise.locator("#push-enable")).to_have_count(0)  # push is for park staff on duty
            _no_overflow(enterprise)
            enterprise.screenshot(path=str(SHOTS / "duty-enterprise-zh-phone.jpg"), full_page=True, quality=80)
            enterprise.locator("#duty-statistics a").click()
            enterprise.wait_for_load_state()
            assert "/economy/statistics/new" in enterprise.url
            _no_overflow(enterprise)
            enterprise.screenshot(path=str(SHOTS / "duty-statistics-zh-phone.jpg"), full_page=True, quality=80)
        finally:
            browser.close()
    assert not errors, errors
