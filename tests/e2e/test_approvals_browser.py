"""Browser test of one-stop services: an enterprise applies for the digital-renovation subsidy with the platform's
data filled in, the economic development reviewer and then the finance officer approve, and the applicant downloads
the decision document. Debian's Chromium, driven by Playwright, against the demo server."""

from __future__ import annotations

import re
import time

import pytest

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, server, wait_for_demo_data  # noqa: F401  (server: the fixture)

pytestmark = pytest.mark.e2e
LOGIN_ATTEMPTS = 6


def test_enterprise_applies_for_a_subsidy_two_reviewers_approve_applicant_downloads_the_decision(
    server: str,  # noqa: F811
) -> None:
    from playwright.sync_api import Browser, Page, expect, sync_playwright

    errors: list[str] = []
    wait_for_demo_data(server)  # the processes are installed by the demo's part written after it answers

    def log_in(browser: Browser, username: str) -> Page:
        page = browser.new_context(locale="zh-CN", accept_downloads=True).new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # the demo's history backfill holds SQLite's write lock for a while after start-up: a login may be refused
        for _attempt in range(LOGIN_ATTEMPTS):
            page.goto(server + "/approvals")
            expect(page).to_have_url(re.compile(r"/login\?next=/approvals$"))
            page.fill('input[name="username"]', username)
            page.fill('input[name="password"]', "digipark-demo")
            page.click('button[type="submit"]')
            page.wait_for_load_state()
            if page.locator("h1").inner_text().strip() == "一站式服务":
                return page
            time.sleep(5)
        pytest.fail(f"{username} could not log in: {page.locator('h1').inner_text()}")

    def approve(page: Page, application_url: str, step: str) -> None:
        page.goto(application_url)
        section = page.locator("section[id^='task-']", has_text=step)
        expect(section).to_have_count(1)
        section.locator("select[name='decision']").select_option("approve")
        section.locator("form.decide-form button[type='submit']").click()
        page.wait_for_load_state()
        expect(page.locator(f"tr[data-step] >> text={step}")).to_be_visible()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            applicant = log_in(browser, "enterprise")
            applicant.click("a[data-process='policy_subsidy']")
            expect(applicant.locator("h1")).to_have_text("数字化改造专项资金申报")
            # apply once: what the platform holds is shown, not asked
            expect(applicant.locator("dd[data-field='industry_section']")).to_have_text("C")
            expect(applicant.locator("dd[data-field='enterprise_name']")).not_to_have_text("—")
            expect(applicant.locator("dd[data-field='tax_paid_wan_yuan']")).not_to_have_text("—")
            expect(applicant.locator("#apply-form input[name='uscc']")).to_have_count(0)
            applicant.fill("#f-renovation_investment_wan_yuan", "300")
            applicant.fill("#f-requested_wan_yuan", "60")
            applicant.fill("#f-renovation_summary", "建设 MES 系统并完成关键设备联网")
            applicant.click("#apply-form button[type='submit']")
            expect(applicant.locator(".alert-ok")).to_contain_text("申请已提交")
            expect(applicant.locator("#state")).to_have_attribute("data-state", "running")
            application_url = applicant.url.split("?")[0]
            expect(applicant.locator("#process-diagram")).to_have_attribute("data-rendered", "1", timeout=15_000)

            reviewer = log_in(browser, "reviewer")
            approve(reviewer, application_url, "经发部门审核")
            officer = log_in(browser, "operator")
            approve(officer, application_url, "财政部门复核兑现")

            applicant.goto(application_url)
            expect(applicant.locator("#state")).to_have_attribute("data-state", "approved")
            expect(applicant.locator("#amount")).to_contain_text("60")
            with applicant.expect_download() as download_info:
                applicant.click("#decision-pdf")
            path = download_info.value.path()
            assert path is not None
            with open(path, "rb") as handle:
                assert handle.read(5) == b"%PDF-"
        finally:
            browser.close()
    assert not errors, errors
