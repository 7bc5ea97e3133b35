"""Browser test of the 能碳管理中心: the demo's admin opens the energy-carbon centre (key figures, ECharts trend,
structure, load curve, heat map), opens the top enterprise of the ranking and downloads its carbon report (PDF).
Debian's Chromium, driven by Playwright, against the demo built and served by the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, serve_demo

pytestmark = pytest.mark.e2e

SCREENSHOT = Path("/tmp/digipark-e2e-energy.png")


@pytest.fixture(scope="module")
def energy_server(tmp_path_factory: pytest.TempPathFactory, demo_database: Path) -> Iterator[str]:
    with serve_demo(tmp_path_factory.mktemp("e2e-energy"), demo_database) as url:
        yield url


def test_admin_opens_the_centre_sees_the_charts_and_downloads_a_report(energy_server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    server = energy_server
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN", accept_downloads=True)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.set_default_timeout(90_000)  # the demo's telemetry back-fill keeps the server busy at first
            page.goto(server + "/login?lang=zh&next=/energy")
            page.fill('input[name="username"]', "admin")
            page.fill('input[name="password"]', "digipark-demo")
            page.click('button[type="submit"]')
            page.wait_for_url(server + "/energy", wait_until="domcontentloaded")
            expect(page.locator("nav.mainnav a[href='/energy']")).to_have_class("active")
            expect(page.locator("h1")).to_have_text("能碳管理中心")
            # the charts: drawn by ECharts (canvases in place of the fallbacks)
            for chart in ("#chart-en-trend", "#chart-en-sources", "#chart-en-carriers", "#chart-en-industries"):
                expect(page.locator(f"{chart} canvas").first).to_be_visible()
            assert page.locator("#kpi-tco2").inner_text().strip() not in ("", "0")
            expect(page.locator("#ranking tbody tr").first).to_be_visible()
            page.wait_for_timeout(500)
            page.screenshot(path=str(SCREENSHOT), full_page=True)

            # the first enterprise of the ranking: its page, with the carbon account and the report
            page.locator("#ranking tbody tr td a").first.click()
            expect(page.locator("#chart-en-enterprise canvas").first).to_be_visible()
            with page.expect_download() as caught:
                page.click("#download-report-pdf")
            download = caught.value
            target = tmp_path / download.suggested_filename
            download.save_as(target)
            assert target.suffix == ".pdf" and target.read_bytes().startswith(b"%PDF")
        finally:
            browser.close()
    assert not errors, errors
