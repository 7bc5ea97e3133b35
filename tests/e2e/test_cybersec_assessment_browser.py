"""Browser tests of the ICS self-assessment and the posture page against the demo server (Debian's Chromium,
Playwright): an enterprise starts an assessment, answers items, sees its score and gaps and adds a rectification
task; the posture page draws its charts without script errors; neither page scrolls sideways at 390 px.
Screenshots (zh, en; 1440 and 390 px) go to /tmp/digipark-e2e-cybersec-*.png."""

from __future__ import annotations

import pytest

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, server, wait_for_demo_data  # noqa: F401  (server: the fixture)
from tests.e2e.test_cybersec_browser import _log_in

pytestmark = pytest.mark.e2e


def _no_sideways_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_an_enterprise_assesses_its_ics_and_sees_its_posture(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            wait_for_demo_data(server)
            page = _log_in(browser, server, "enterprise", "/security/ics", "工控安全防护自评估", errors)
            page.set_viewport_size({"width": 1440, "height": 1000})
            page.fill("#f-title", "2026 年度工控安全自评估")
            page.fill("#f-assessor", "张伟")
            page.click("#ics-new button[type=submit]")
            page.wait_for_load_state()
            for key in range(1, 34):
                page.select_option(f"#s-{key}", "met")
            page.select_option("#s-3", "not_met")
            page.select_option("#s-15", "partial")
            page.fill("#e-15", "远程运维已加密，未限定时段")
            page.click("#ics-answers button[type=submit]")
            page.wait_for_load_state()
            expect(page.locator("#ics-overall")).to_contain_text("%")
            expect(page.locator('#ics-gaps tr[data-item="3"]')).to_have_count(1)
            page.fill("#t-title", "更换全部默认口令")
            page.fill("#t-owner", "李工")
            page.fill("#t-due", "2027-01-31")
            page.click("#ics-task-new button[type=submit]")
            page.wait_for_load_state()
            expect(page.locator('#ics-tasks tr[data-status="open"]')).to_have_count(1)
            url = page.url.split("#")[0]
            for lang in ("zh", "en"):
                for width in (1440, 390):
                    page.set_viewport_size({"width": width, "height": 900})
                    page.goto(f"{url}?lang={lang}")
                    assert _no_sideways_scroll(page), (lang, width)
                    page.screenshot(path=f"/tmp/digipark-e2e-cybersec-ics-{lang}-{width}.png", full_page=False)
                    page.goto(f"{server}/security/posture?lang={lang}")
                    page.wait_for_timeout(500)
                    assert _no_sideways_scroll(page), ("posture", lang, width)
                    page.screenshot(path=f"/tmp/digipark-e2e-cybersec-posture-{lang}-{width}.png", full_page=True)
            expect(page.locator("#chart-events canvas")).to_have_count(1)
        finally:
            browser.close()
    assert errors == []
