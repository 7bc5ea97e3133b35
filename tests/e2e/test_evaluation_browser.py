"""Browser test of the guide's evaluation: the demo's admin opens the park's evaluation (four standards,
partly met, declared values marked, ECharts progress bars), drills into an unmet indicator down to the
enterprises behind it, and downloads the PDF report. Debian's Chromium, driven by Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from digipark.web import vendor
from tests.conftest import service_unavailable
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, ROOT, START_TIMEOUT_S, _free_port, _ready

pytestmark = pytest.mark.e2e

SCREENSHOT = Path("/tmp/digipark-e2e-evaluation.png")


@pytest.fixture(scope="module")
def evaluation_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo (with the evaluation's declared values and last year's signed assessment), built first, then
    served."""
    if not CHROMIUM.exists():
        service_unavailable(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if vendor.node_modules() is None:
        service_unavailable("front-end libraries in node_modules (npm install)")
    folder = tmp_path_factory.mktemp("e2e-evaluation")
    database = f"sqlite:///{folder / 'demo.db'}"
    env = {**os.environ, "DIGIPARK_LOG_LEVEL": "WARNING"}
    build = [sys.executable, "-m", "digipark", "demo", "--no-serve", "--database", database]
    subprocess.run(build, cwd=ROOT, env=env, check=True, capture_output=True, timeout=START_TIMEOUT_S)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = folder / "server.log"
    command = [sys.executable, "-m", "digipark", "demo", "--port", str(port), "--database", database]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _ready(url):
            if process.poll() is not None:
                pytest.fail(f"the demo server exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"the demo server did not start in {START_TIMEOUT_S} s:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def test_admin_drills_into_an_unmet_indicator_and_downloads_the_pdf(evaluation_server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    server = evaluation_server
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN", accept_downloads=True)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.set_default_timeout(90_000)  # the demo's telemetry back-fill keeps the server busy at first
            page.goto(server + "/login?lang=zh&next=/evaluation")
            page.fill('input[name="username"]', "admin")
            page.fill('input[name="password"]', "digipark-demo")
            page.click('button[type="submit"]')
            page.wait_for_url(server + "/evaluation", wait_until="domcontentloaded")
            expect(page.locator("nav.mainnav a[href='/evaluation']")).to_have_class("active")
            expect(page.locator("h1")).to_have_text("高标准数字园区建设标准评价")
            # a realistic, partly met picture: some indicators met (declared values, marked), most not
            expect(page.locator("a.ev-standard")).to_have_count(4)
            assert page.locator("tr[data-met='yes']").count() >= 1
            assert page.locator("tr[data-met='no']").count() >= 5
            expect(page.locator("tr[data-indicator='compute_in_use'] .ev-declared")).to_be_visible()
            # the progress chart: drawn by ECharts in place of the table fallback
            expect(page.locator("#chart-evaluation canvas").first).to_be_visible()
            page.wait_for_timeout(500)
            page.screenshot(path=str(SCREENSHOT), full_page=True)

            # drill into an unmet indicator: the above-scale enterprises not yet renovated, with what they lack
            row = page.locator("tr[data-indicator='renovation_coverage']")
            expect(row).to_have_attribute("data-met", "no")
            row.locator("a.ev-drill").click()
            expect(page.locator("h1")).to_contain_text("规上工业企业数字化改造覆盖率")
            expect(page.locator("#indicator-status")).to_have_text("未达标")
            unmet = page.locator("#drilldown-table tbody tr.ev-row-unmet")
            assert unmet.count() >= 1
            first = unmet.first
            expect(first.locator("td").last).to_have_text("否")
            enterprise = first.locator("td a").first.inner_text()
            assert enterprise
            expect(page.locator("#indicator-gaps")).to_contain_text(enterprise)

            # back to the evaluation and download the PDF report
            page.click("p.subtitle a[href^='/evaluation?']")
            expect(page.locator("h1")).to_have_text("高标准数字园区建设标准评价")
            with page.expect_download() as caught:
                page.click("#download-pdf")
            download = caught.value
            target = tmp_path / download.suggested_filename
            download.save_as(target)
            assert target.suffix == ".pdf" and target.read_bytes().startswith(b"%PDF")
        finally:
            browser.close()
    assert not errors, errors
