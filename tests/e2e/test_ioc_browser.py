"""Browser test of the operations centre on the demo park: the operations screen (大屏) at 1920×1080 and 3840×2160
and the park map in 3D, screenshotted into docs/screenshots/; no element overflowing (bounding boxes: every visible
element inside the box that clips it, the screen inside the window); a KPI and the alarm ticker changing live
(server-sent events, same document); the "data stale" mark when the feed is cut, gone again once it reconnects.

WebGL in headless Chromium is software (SwiftShader), switched on by SOFTWARE_GL_ARGS."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.crawl import OVERFLOW_JS as PHONE_OVERFLOW_JS
from tests.e2e.crawl import PHONE
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, ROOT, server  # noqa: F401  (the demo server fixture)

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "docs" / "screenshots"
SOFTWARE_GL_ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"]
WAIT_MS = 90_000
WAIT_LIVE_MS = 240_000  # the freshly served demo's simulator starts reporting after a while on a loaded machine

# Every visible element must lie inside the nearest ancestor that clips it (or the window); the ticker's track
# (data-scrolls) scrolls its items on purpose and the map draws inside its own box.
OVERFLOW_JS = """() => {
  const vw = document.documentElement.clientWidth, vh = document.documentElement.clientHeight;
  const out = [];
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList.length ? '.' + Array.from(el.classList).slice(0, 2).join('.') : '');
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.maplibregl-map') && !el.matches('.maplibregl-map')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    let box = {left: 0, top: 0, right: vw, bottom: vh}, skip = false;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const ps = getComputedStyle(p);
      if (ps.overflowX !== 'visible' || ps.overflowY !== 'visible') {
        if (p.hasAttribute('data-scrolls')) skip = true;
        box = p.getBoundingClientRect();
        break;
      }
    }
    if (skip) continue;
    if (r.left < box.left - 1 || r.top < box.top - 1 || r.right > box.right + 1 || r.bottom > box.bottom + 1) {
      out.push(describe(el) + ' [' + [r.left, r.top, r.right, r.bottom].map(Math.round).join(',') + ']');
    }
  }
  return {offenders: out.slice(0, 20), scrollW: document.documentElement.scrollWidth,
          scrollH: document.documentElement.scrollHeight, vw, vh};
}"""


def _log_in(context: Any, url: str) -> Any:
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url + "/login?lang=zh")
    page.fill('input[name="username"]', "admin")
    page.fill('input[name="password"]', "digipark-demo")
    page.click('button[type="submit"]')
    page.wait_for_url(url + "/")
    return page


def _no_overflow(page: Any, where: str) -> None:
    found = page.evaluate(OVERFLOW_JS)
    assert found["scrollW"] <= found["vw"] and found["scrollH"] <= found["vh"], (where, found)
    assert not found["offenders"], (where, found["offenders"])


def _map_drawn(page: Any) -> None:
    page.wait_for_selector("#ioc-map[data-ready='1']", timeout=WAIT_MS)
    assert page.evaluate("() => window.digipark.map.getLayer('buildings').type") == "fill-extrusion"
    # buildings extruded on the canvas, from the park's own geometry
    page.wait_for_function(
        "() => window.digipark.map.queryRenderedFeatures({layers: ['buildings']}).length > 0", timeout=WAIT_MS
    )


def test_the_screen_and_the_map(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + SOFTWARE_GL_ARGS)
        try:
            for width, height, name in ((1920, 1080, "ioc-screen-1920x1080"), (3840, 2160, "ioc-screen-3840x2160")):
                context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
                page = _log_in(context, server)
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(server + "/ioc/screen")
                expect(page.locator("#scr-live")).to_have_attribute("data-state", "live")
                _map_drawn(page)
                expect(page.locator("#scr-standards li")).to_have_count(4)
                expect(page.locator("#scr-stale")).to_be_hidden()
                _no_overflow(page, name)
                page.screenshot(path=str(SHOTS / f"{name}.jpg"), type="jpeg", quality=80)
                context.close()

            context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            page = _log_in(context, server)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server + "/ioc/map")
            _map_drawn(page)
            assert page.evaluate("() => window.digipark.map.getPitch()") > 30  # seen in 3D
            _no_overflow_page_width(page)
            page.screenshot(path=str(SHOTS / "ioc-map-3d.jpg"), type="jpeg", quality=80)
            # a click on a building opens its popup with a link to its page
            box = page.evaluate(
                """() => { const m = window.digipark.map; const f = m.queryRenderedFeatures({layers: ['buildings']})[0];
                 const c = f.geometry.coordinates[0][0]; const p = m.project(c); return {x: p.x, y: p.y}; }"""
            )
            canvas = page.locator("#ioc-map canvas").bounding_box()
            page.mouse.click(canvas["x"] + box["x"], canvas["y"] + box["y"])
            popup_link = page.locator(".maplibregl-popup a")
            if popup_link.count():
                assert re.search(r"^/(buildings|zones|devices|alarms|living)", popup_link.first.get_attribute("href"))
            context.close()
        finally:
            browser.close()
    assert not errors, errors


def _no_overflow_page_width(page: Any) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], width


def test_figures_and_the_ticker_change_live_and_a_cut_feed_shows_stale(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + SOFTWARE_GL_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
            page = _log_in(context, server)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server + "/ioc/screen")
            expect(page.locator("#scr-live")).to_have_attribute("data-state", "live")
            page.evaluate("window.__sameDocument = true")

            # a KPI changes live: the park's load, from the simulator's meter readings
            first = page.locator("#kpi-load").inner_text()
            page.wait_for_function(
                "(first) => { const t = document.getElementById('kpi-load').textContent;"
                " return t !== first && t !== '—'; }",
                arg=first,
                timeout=WAIT_LIVE_MS,
            )

            # the alarm ticker changes live: a rule that holds for a point the simulator reports raises an alarm
            editor = context.new_page()
            editor.set_default_timeout(WAIT_MS)
            listing = server + "/telemetry/devices?kind=electricity_meter&state=online&sort=-last_reading"
            first_device = editor.locator("table.tm-devices tbody a.primary-link").first
            for _ in range(30):
                editor.goto(listing)
                if first_device.count():
                    break
                editor.wait_for_timeout(3000)
            first_device.click()
            point_ids = editor.eval_on_selector_all("[data-point-value]", "els => els.map(e => e.dataset.pointValue)")
            assert point_ids
            editor.goto(server + "/alarms/rules")
            editor.fill('input[name="name"]', "大屏测试规则")
            editor.select_option('select[name="severity"]', "critical")
            editor.check('input[name="target"][value="point"]')
            editor.fill('input[name="point_id"]', point_ids[0])
            editor.fill('textarea[name="conditions"]', '[{"type": "threshold", "op": "above", "high": -1000000}]')
            editor.click('#al-rule-form button[type="submit"]')
            expect(editor.locator("#al-rules")).to_contain_text("大屏测试规则")
            expect(page.locator("#scr-ticker li", has_text="大屏测试规则").first).to_be_attached(timeout=WAIT_LIVE_MS)
            assert page.evaluate("window.__sameDocument === true")  # pushed, not reloaded
            context.close()

            # the feed cut: the stale mark shows; restored: the page reconnects and the mark goes
            context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
            page = _log_in(context, server)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.route("**/ioc/screen/live", lambda route: route.abort())
            page.goto(server + "/ioc/screen?stale=3")
            expect(page.locator("#scr-stale")).to_be_visible(timeout=WAIT_MS)
            expect(page.locator("#scr-live")).not_to_have_attribute("data-state", "live")
            page.unroute("**/ioc/screen/live")
            expect(page.locator("#scr-live")).to_have_attribute("data-state", "live", timeout=WAIT_MS)
            expect(page.locator("#scr-stale")).to_be_hidden(timeout=WAIT_MS)
            context.close()
        finally:
            browser.close()
    assert not errors, errors


def test_a_delivery_on_the_map_opens_its_page_and_the_asset_map_shares_the_set_up(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + SOFTWARE_GL_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            page = _log_in(context, server)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server + "/ioc/map")
            _map_drawn(page)
            # the demo's open deliveries: a point where each is, a dashed line to where it goes
            page.wait_for_function(
                "() => window.digipark.map.querySourceFeatures('deliveries').length > 0", timeout=WAIT_MS
            )
            href = page.evaluate(
                """() => { const m = window.digipark.map;
                 for (const id of ['alarms', 'devices', 'car-parks']) m.setLayoutProperty(id, 'visibility', 'none');
                 const f = m.querySourceFeatures('deliveries').find((x) => x.properties.layer === 'delivery');
                 m.jumpTo({center: f.geometry.coordinates, zoom: 19, pitch: 0, bearing: 0});
                 window.__delivery = f.geometry.coordinates; return f.properties.href; }"""
            )
            assert re.fullmatch(r"/living/deliveries/\d+", href), href
            page.wait_for_function(
                "() => window.digipark.map.queryRenderedFeatures({layers: ['deliveries']}).length > 0",
                timeout=WAIT_MS,
            )
            at = page.evaluate("() => window.digipark.map.project(window.__delivery)")
            canvas = page.locator("#ioc-map canvas").bounding_box()
            page.mouse.click(canvas["x"] + at["x"], canvas["y"] + at["y"])
            link = page.locator(".maplibregl-popup a").first
            expect(link).to_have_attribute("href", href)
            link.click()
            page.wait_for_url(server + href)
            expect(page.locator("h1")).to_contain_text("配送")
            expect(page.locator("#delivery-facts")).to_be_visible()
            page.screenshot(path=str(SHOTS / "delivery-zh-desktop.jpg"), type="jpeg", quality=80)
            phone = _log_in(browser.new_context(viewport=PHONE, locale="zh-CN"), server)
            phone.goto(server + href)
            expect(phone.locator("#delivery-facts")).to_be_visible()
            found = phone.evaluate(PHONE_OVERFLOW_JS)
            assert found["scrollWidth"] <= found["width"] and not found["offenders"], found
            phone.screenshot(path=str(SHOTS / "delivery-zh-phone.jpg"), type="jpeg", quality=80, full_page=True)
            # the asset map starts through the same map module as the park map
            page.goto(server + "/assets/map")
            page.wait_for_selector("#asset-map[data-ready='1']", timeout=WAIT_MS)
            assert page.evaluate("() => Boolean(window.digipark.assetMap && window.digipark.parkMap)")
            _no_overflow_page_width(page)
            context.close()
        finally:
            browser.close()
    assert not errors, errors
