"""Every menu page, as every demo role, in Chinese and in English, on a 1280×800 desktop and a 390×844 phone
(Debian's Chromium, driven by Playwright, against one demo server): no answer 4xx/5xx, no script or console
error, a header in one line on the desktop, a side menu that shows every entry without scrolling inside itself at
1280×800, nothing wider than the phone, and no untranslated word on a Chinese page (ASCII words of three letters
or more outside tests/e2e/allowed_ascii_words.json and outside text marked translate="no"). The crawler is
tests/e2e/crawl.py (bench/pages.py measures with it). Also: the phone's menu button opens the menu, the theme
choice sticks, error pages keep the menu and the logout."""

from __future__ import annotations

import pytest

from tests.e2e import crawl
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, server, wait_for_demo_data  # noqa: F401  (server: the fixture)

pytestmark = pytest.mark.e2e


def test_every_menu_page_of_every_role_answers_fits_and_logs_no_error(server: str) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    wait_for_demo_data(server)  # pages of the parts written after start are empty (and differently wide) before
    failures: list[str] = []
    pages_per_role: dict[str, set[str]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for visit in crawl.crawl(browser, server):
                pages_per_role.setdefault(visit.role, set()).add(visit.path)
                failures.extend(f"{visit.role} {visit.lang} {visit.viewport} {visit.path}: {p}" for p in visit.problems)
        finally:
            browser.close()
    assert set(pages_per_role) == set(crawl.ROLES)
    assert len(pages_per_role["admin"]) >= 20 and "/" in pages_per_role["resident"]
    assert not failures, "\n".join(failures)


def test_phone_menu_button_theme_choice_and_error_page_in_the_layout(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=crawl.PHONE, locale="zh-CN", color_scheme="dark")
            page = crawl.log_in(context, server, "operator")
            menu = page.locator("nav.mainnav")
            expect(menu).to_be_hidden()
            page.click("button[data-navtoggle]")
            expect(menu).to_be_visible()
            expect(page.locator("button[data-navtoggle]")).to_have_attribute("aria-expanded", "true")
            box = menu.bounding_box()
            assert box is not None and box["y"] >= page.locator("header.topbar").bounding_box()["height"] - 1  # type: ignore[index]
            page.click("button[data-navtoggle]")  # the button stays reachable above the open menu, and closes it
            expect(menu).to_be_hidden()
            page.click("button[data-navtoggle]")
            page.click("nav.mainnav a[href='/alarms']")
            page.wait_for_url(server + "/alarms")
            expect(menu).to_be_hidden()

            # the system's preference by default (dark here), then the user's choice, kept by a cookie
            background = "() => getComputedStyle(document.body).backgroundColor"
            dark = page.evaluate(background)
            page.locator("details.thememenu summary").click()
            page.click("a[data-theme-choice='light']")
            page.wait_for_load_state()
            expect(page.locator("html")).to_have_attribute("data-theme", "light")
            page.goto(server + "/")
            expect(page.locator("html")).to_have_attribute("data-theme", "light")
            assert page.evaluate(background) != dark

            # an error page keeps the header, the menu and the logout
            response = page.goto(server + "/no-such-page")
            assert response is not None and response.status == 404
            page.click("button[data-navtoggle]")
            expect(page.locator("nav.mainnav a[href='/alarms']")).to_be_visible()
            page.locator("details.usermenu summary").click()
            expect(page.locator("form[action='/logout'] button")).to_be_visible()
        finally:
            browser.close()
