"""Browser test of the collection jobs page against the demo server (Debian's Chromium, driven by Playwright): the park
admin makes a job of CSV rows (by hand only), runs it now, and sees the run go through its stages to done with the
rows read, kept and refused; the run's dataset shows the refused rows with their reasons — in Chinese, then in
English — and no page logs a script or console error."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.e2e import crawl
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, server, wait_for_demo_data  # noqa: F401  (server: the fixture)

pytestmark = pytest.mark.e2e
CSV = "machine,value\nM1,1.5\nM2,abc\nM3,-4\nM4,7"  # the page's sample rules: a number, at least 0
RUN_TIMEOUT_MS = 120_000  # the scheduler's sweep runs every 30 s (its first 20 s after start)


def test_a_park_admin_makes_runs_and_follows_a_collection_job(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    wait_for_demo_data(server)
    name = f"注塑检测采集 {int(time.time())}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN")
            errors: list[str] = []

            def watch(page: Any) -> None:
                page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
                page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)

            context.on("page", watch)
            page = crawl.log_in(context, server, "admin")
            page.goto(server + "/dataspace/jobs?lang=zh")
            expect(page.locator("h1")).to_have_text("采集任务")
            page.fill("#j-name", name)
            page.select_option("#j-source", "upload")
            page.fill("#j-csv", CSV)
            page.check("input[name='schedule'][value='none']")
            page.click("#job-form button[type='submit']")
            row = page.locator("#jobs tbody tr", has_text=name)
            expect(row).to_have_count(1)
            expect(row).to_contain_text("手动")  # by hand only: no schedule
            expect(row.locator(".run-state")).to_have_text("—")  # never run

            row.locator("form[action$='/run'] button").click()
            row = page.locator("#jobs tbody tr", has_text=name)
            expect(row.locator(".run-state")).to_contain_text("手动")  # the run's trigger
            # the page refreshes itself while the run waits or runs, until it is done
            expect(row.locator(".run-state")).to_contain_text("已完成", timeout=RUN_TIMEOUT_MS)
            expect(row.locator(".run-progress")).to_have_text("已入库 · 读取 4 行，保留 2 行，拒绝 2 行")
            dataset = row.locator(".run-state a")
            expect(dataset).to_contain_text("数据集")
            dataset.click()
            expect(page).to_have_url(re.compile(r"/dataspace/datasets/\d+$"))
            refused = page.locator("#dataset-refused tbody")
            expect(refused.locator("tr")).to_have_count(2)
            expect(refused).to_contain_text("value：不是数值")
            expect(refused).to_contain_text("value：低于 0")
            expect(refused).to_contain_text("类型检查")
            dataset_path = page.url.split(server, 1)[1]

            # the same in English
            page.goto(server + "/dataspace/jobs?lang=en")
            expect(page.locator("h1")).to_have_text("Collection jobs")
            row = page.locator("#jobs tbody tr", has_text=name)
            expect(row.locator(".run-state")).to_contain_text("Done · By hand")
            expect(row.locator(".run-progress")).to_have_text("Stored · 4 read, 2 kept, 2 refused")
            page.goto(server + dataset_path)
            refused = page.locator("#dataset-refused tbody")
            expect(refused).to_contain_text("value: not a number")
            expect(refused).to_contain_text("value: below 0")
            expect(refused).to_contain_text("Range check")
            assert not re.search(r"[\u4e00-\u9fff]", page.locator("#dataset-refused").inner_text()), "Chinese left"
            assert not errors, errors
        finally:
            browser.close()
