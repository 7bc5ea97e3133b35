"""Browser test of the operations centre's user side: the admin builds a dashboard from widgets in the editor and
opens it (desktop and 390 px phone), and an operator opens the duty app on a 390 px phone — its service worker
installs, and with the network gone the offline shell is shown. Screenshots go to docs/screenshots/; no element
may reach past the phone's edge (bounding boxes, tests/e2e/crawl.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.crawl import OVERFLOW_JS, PHONE
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, server  # noqa: F401  (the demo server fixture)

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LOGIN_ATTEMPTS = 6
DESKTOP = {"width": 1280, "height": 800}


def _log_in(browser: Any, username: str, viewport: dict[str, int], errors: list[str]) -> Any:
    page = browser.new_context(locale="zh-CN", viewport=viewport).new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for _attempt in range(LOGIN_ATTEMPTS):  # the demo's back-fill may hold SQLite's write lock for a while
        page.goto(server_url + "/login")
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


server_url = ""


def test_admin_builds_a_dashboard_and_the_duty_app_works_on_a_phone(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    global server_url
    server_url = server
    errors: list[str] = []
    name = f"值班总览 {int(time.time())}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            admin = _log_in(browser, "admin", DESKTOP, errors)
            points = admin.request.get(server + "/api/v1/points", params={"page_size": "2"}).json()["items"]
            admin.goto(server + "/dashboards")
            admin.fill("#f-name", name)
            admin.click("#dashboard-new button[type='submit']")
            expect(admin.locator("h1")).to_contain_text(name)

            def add(kind: str, title: str, **fields: str) -> None:
                admin.select_option("#f-kind", kind)
                admin.fill("#f-title", title)
                for field, value in fields.items():
                    if field == "figure":
                        admin.select_option("#f-figure", value)
                    elif field.startswith("fig_"):
                        admin.check(f"input[name='{field}']")
                    else:
                        admin.fill(f"#f-{field}", value)
                admin.click("#add-widget")
                expect(admin.locator("#widget-list li", has_text=title)).to_have_count(1)

            add("kpi", "活动告警", figure="alarms.active", width="3")
            add("gauge", "本年能耗", figure="energy.tce", width="3", max="100000")
            add("timeseries", "测点曲线", points=",".join(str(p["id"]) for p in points), width="6")
            add("table", "园区指标", width="6", **{"fig_economy.reporting": "1", "fig_dataspace.products": "1"})
            add("alarms", "最新告警", width="6", limit="5")
            # a bad widget is refused with its reason, and nothing is added
            admin.select_option("#f-kind", "timeseries")
            admin.fill("#f-title", "空曲线")
            admin.fill("#f-points", "")
            admin.click("#add-widget")
            expect(admin.locator("#dashboard-errors")).to_be_visible()
            expect(admin.locator("#widget-list li")).to_have_count(5)

            admin.click("#open-dashboard")
            expect(admin.locator(".dash-widget")).to_have_count(5)
            expect(admin.locator(".dash-widget[data-kind='timeseries'] canvas")).to_have_count(1)
            expect(admin.locator(".dash-widget[data-kind='gauge'] canvas")).to_have_count(1)
            admin.select_option("#f-range", "30d")
            admin.click("#range-form button")
            expect(admin.locator("#f-range")).to_have_value("30d")
            admin.wait_for_timeout(500)
            admin.screenshot(path=str(SHOTS / "dashboard-zh-desktop.jpg"), full_page=True, quality=80)
            dashboard_url = admin.url
            exported = admin.request.get(server + admin.locator("#export-dashboard").get_attribute("href")).json()
            assert [w["kind"] for w in exported["spec"]["widgets"]] == ["kpi", "gauge", "timeseries", "table", "alarms"]

            phone = _log_in(browser, "admin", PHONE, errors)
            phone.goto(dashboard_url)
            expect(phone.locator(".dash-widget[data-kind='timeseries'] canvas")).to_have_count(1)
            phone.wait_for_timeout(500)
            _no_overflow(phone)
            boxes = phone.locator(".dash-widget").evaluate_all(
                "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.right]; })"
            )
            assert all(left >= 0 and right <= PHONE["width"] for left, right in boxes), boxes
            phone.screenshot(path=str(SHOTS / "dashboard-zh-phone.jpg"), full_page=True, quality=80)

            duty = _log_in(browser, "operator", PHONE, errors)
            duty.goto(server + "/duty")
            expect(duty.locator("h1")).to_have_text("值班应用")
            expect(duty.locator("link[rel='manifest']")).to_have_count(1)
            manifest = duty.request.get(server + "/duty/manifest.webmanifest").json()
            assert manifest["start_url"] == "/duty" and manifest["display"] == "standalone"
            scope = duty.evaluate("() => navigator.serviceWorker.ready.then(r => r.scope)")
            assert scope.endswith("/duty")
            _no_overflow(duty)
            duty.screenshot(path=str(SHOTS / "duty-zh-phone.jpg"), full_page=True, quality=80)
            # the service worker took over: with the network gone, the duty app shows its offline shell
            duty.reload()
            duty.wait_for_load_state()
            duty.context.set_offline(True)
            duty.goto(server + "/duty")
            expect(duty.locator("section.panel p").first).to_contain_text("离线")
            _no_overflow(duty)
            duty.context.set_offline(False)
        finally:
            browser.close()
    assert not errors, errors
