"""Browser test: Debian's Chromium, driven by Playwright, against the demo server started by the test."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import conftest

pytestmark = pytest.mark.e2e

CHROMIUM = conftest.CHROMIUM
ROOT = conftest.ROOT
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOT = Path("/tmp/digipark-e2e-overview.png")
START_TIMEOUT_S = 240
USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def wait_for_demo_data(url: str, timeout_s: float = START_TIMEOUT_S) -> None:
    """Wait until the served demo has written the data it writes after it answers (approvals, services, living...)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=5) as response:
                if "demo" not in json.load(response):
                    return
        except OSError:
            pass
        time.sleep(1)
    pytest.fail(f"the demo did not finish writing its data in {timeout_s} s")


@contextlib.contextmanager
def serve_demo(folder: Path, demo_database: Path) -> Iterator[str]:
    """Serve a copy of the session's demo park (tests/e2e/conftest.py) from `folder`; yields its URL."""
    database = folder / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        source = demo_database.with_name(demo_database.name + suffix)
        if source.exists():
            shutil.copyfile(source, database.with_name(database.name + suffix))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = folder / "server.log"
    command = [sys.executable, "-m", "digipark", "demo", "--port", str(port), "--database", f"sqlite:///{database}"]
    env = {**os.environ, "DIGIPARK_LOG_LEVEL": "WARNING"}
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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, demo_database: Path) -> Iterator[str]:
    with serve_demo(tmp_path_factory.mktemp("e2e"), demo_database) as url:
        yield url


def test_admin_logs_in_sees_the_overview_and_opens_an_enterprise(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server + "/")
            expect(page).to_have_url(re.compile(r"/login\?next=/$"))
            page.fill('input[name="username"]', "admin")
            page.fill('input[name="password"]', "digipark-demo")
            page.click('button[type="submit"]')
            page.wait_for_url(server + "/")
            expect(page.locator("h1")).to_have_text("园区总览")

            # the site plan: zones and buildings drawn server-side
            expect(page.locator("#site-plan")).to_be_visible()
            assert page.locator("#site-plan polygon.zone").count() >= 5
            assert page.locator("#site-plan a polygon.building").count() >= 30
            # the chart: drawn by ECharts (served from node_modules) in place of the text fallback
            expect(page.locator("#chart-industry canvas, #chart-industry svg").first).to_be_visible()
            expect(page.locator("#chart-industry .chart-fallback")).to_have_count(0)
            page.wait_for_timeout(500)  # the chart's entry animation
            page.screenshot(path=str(SCREENSHOT), full_page=True)

            page.click(".langs a[lang='en']")
            expect(page.locator("h1")).to_have_text("Park overview")
            expect(page.locator("nav.mainnav")).to_contain_text("Enterprises")

            page.click("nav.mainnav a[href='/enterprises']")
            expect(page.locator("h1")).to_have_text("Enterprises")
            first = page.locator("table.data tbody a.primary-link").first
            name = first.inner_text()
            # search as you type (htmx): the results narrow to the one enterprise
            page.fill("#search-q", name)
            expect(page.locator("table.data tbody tr")).to_have_count(1)
            expect(page).to_have_url(re.compile(r"q="))
            page.locator("table.data tbody a.primary-link").first.click()
            expect(page.locator("h1")).to_have_text(name)
            uscc = page.locator(".prop-uscc dd").inner_text().strip()
            assert USCC.fullmatch(uscc), uscc
        finally:
            browser.close()
    assert not errors, errors
