"""Browser tests of the living services against the demo server (Debian's Chromium, driven by Playwright): a
resident reports a repair with a photo from a phone-sized page and the property team completes it (the resident
then rates and closes it); a resident creates a visitor pass and sees its QR code; the delivery map shows the
fleet's routes."""

from __future__ import annotations

import re
import struct
import time
import zlib

import pytest

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, server, wait_for_demo_data  # noqa: F401  (server: the fixture)

pytestmark = pytest.mark.e2e
LOGIN_ATTEMPTS = 6
PHONE = {"width": 390, "height": 844}


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x20\x60\xc0" * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _log_in(browser, url: str, username: str, target: str, heading: str, errors: list[str], viewport=None):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    wait_for_demo_data(url)  # the living services' demo data is written after the demo answers
    page = browser.new_context(locale="zh-CN", viewport=viewport).new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for _attempt in range(LOGIN_ATTEMPTS):
        page.goto(url + target)
        expect(page).to_have_url(re.compile(r"/login\?next="))
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', "digipark-demo")
        page.click('button[type="submit"]')
        page.wait_for_load_state()
        if page.locator("h1").first.inner_text().strip() == heading:
            return page
        time.sleep(5)  # the demo's history back-fill may hold SQLite's write lock for a while after start-up
    pytest.fail(f"{username} could not log in: {page.locator('h1').first.inner_text()}")


def test_resident_reports_a_repair_with_a_photo_and_the_team_closes_it(server: str, tmp_path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    photo = tmp_path / "leak.png"
    photo.write_bytes(_png())
    title = f"茶水间水龙头漏水 {int(time.time())}"
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            resident = _log_in(browser, server, "resident", "/workorders/new", "我要报修", errors, PHONE)
            # the form fits the phone's width (the report page's own part; the shell's header is not this test's)
            assert (
                resident.evaluate("document.getElementById('report-form').getBoundingClientRect().right")
                <= PHONE["width"]
            )
            assert resident.evaluate("document.getElementById('report-form').scrollWidth") <= PHONE["width"]
            resident.fill("#f-title", title)
            resident.select_option("#f-building", index=1)
            resident.set_input_files("#f-photo", str(photo))
            resident.click("#report-form button[type='submit']")
            expect(resident.locator("h1")).to_have_text(title)
            expect(resident.locator("img.wo-photo-report")).to_have_count(1)
            expect(resident.locator("img.wo-photo-report")).to_have_js_property("naturalWidth", 8)  # loaded, decoded
            order_url = resident.url.split("?")[0]

            team = _log_in(browser, server, "operator", "/workorders", "工单", errors)
            team.goto(order_url)
            expect(team.locator("h1")).to_have_text(title)
            if team.locator("#start-form").count() == 0:  # no rule dispatched it: dispatch by the rules first
                team.click("#assign-form button")
            team.fill("#f-note", "已更换阀芯")
            team.set_input_files("#f-done-photo", str(photo))
            team.click("#complete-form button[type='submit']")
            expect(team.locator("#wo-state")).to_have_text("已完工，待评价")
            expect(team.locator("img.wo-photo-completion")).to_have_count(1)

            resident.goto(order_url)
            resident.click("#rate-form button[type='submit']")
            expect(resident.locator("#wo-state")).to_have_text("已评价关闭")
            expect(resident.locator("#wo-rating")).to_contain_text("★★★★★")
        finally:
            browser.close()
    assert not errors, errors


def test_resident_creates_a_visitor_pass(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = _log_in(browser, server, "resident", "/living", "生活配套", errors, PHONE)
            page.click("#invite-visitor")
            page.fill("#f-visitor_name", "王芳")
            page.fill("#f-visitor_phone", "13900139002")
            page.click("#pass-form button[type='submit']")
            expect(page.locator("h1")).to_contain_text("王芳")
            expect(page.locator("#pass-state")).to_have_text("有效")
            qr = page.locator("#pass-qr")
            expect(qr).to_be_visible()
            expect(page.locator("#pass-qr")).to_have_js_property("complete", True)
            assert page.evaluate("document.getElementById('pass-qr').naturalWidth") > 0
        finally:
            browser.close()
    assert not errors, errors


def test_the_delivery_map_shows_routes(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = _log_in(browser, server, "admin", "/living/deliveries", "配送地图", errors)
            expect(page.locator("#delivery-map")).to_be_visible()
            routes = page.locator("#delivery-map polyline.route")
            expect(routes.first).to_be_attached()
            assert routes.count() >= 1
            expect(page.locator("#routes tbody tr")).to_have_count(routes.count())
        finally:
            browser.close()
    assert not errors, errors


def test_the_car_park_page_is_live_by_server_sent_events(server: str) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = _log_in(browser, server, "resident", "/living/parking", "停车", errors, PHONE)
            page.on("request", lambda request: requests.append(request.url))
            rows = page.locator("#occupancy tbody tr[data-car-park]")
            assert rows.count() >= 1  # the demo's car parks
            # the stream's first message fills the table; no polling of the occupancy API
            first = page.evaluate(
                """async () => {
                  const response = await fetch('/living/parking/live');
                  const reader = response.body.getReader();
                  let text = '';
                  while (!text.includes('event: occupancy')) {
                    const part = await reader.read();
                    if (part.done) break;
                    text += new TextDecoder().decode(part.value);
                  }
                  reader.cancel();
                  return [response.headers.get('content-type'), text];
                }"""
            )
            assert first[0].startswith("text/event-stream") and "event: occupancy" in first[1]
            page.wait_for_timeout(2500)
            assert not [u for u in requests if "/api/v1/living/occupancy" in u], requests
            wrap = "document.getElementById('occupancy').closest('.table-wrap').clientWidth"
            assert page.evaluate(wrap) <= PHONE["width"]  # the table scrolls inside its frame on a phone
        finally:
            browser.close()
    assert not errors, errors
