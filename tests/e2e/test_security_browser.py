"""Item 3 of issue 14 in Chromium: a segment named with a script payload shows as text in the chain map's
tooltip and runs nothing; the main pages work under the Content-Security-Policy without one violation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, server  # noqa: F401  (the demo server fixture)

pytestmark = pytest.mark.e2e

LOGIN_ATTEMPTS = 4
PAYLOAD = "<img src=x onerror=window.__xss=1>"
WATCH_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def _log_in(page: Any, url: str) -> str:
    """Log in as the demo's administrator. While the demo writes its first data a login can fail (issue 14,
    item 2, not this test's subject): it is tried again a few times, and what the page said is reported."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    seen: list[str] = []
    for _attempt in range(LOGIN_ATTEMPTS):
        page.goto(url + "/login?lang=zh")
        page.fill('input[name="username"]', "admin")
        page.fill('input[name="password"]', "digipark-demo")
        page.click('button[type="submit"]')
        try:
            page.wait_for_url(url + "/", timeout=30_000)
            break
        except PlaywrightTimeout:
            seen.append(f"{page.url}: {page.title()}")
    else:
        raise AssertionError(f"the admin could not log in: {seen}")
    headers = page.get_attribute("body", "hx-headers")
    assert headers, "no session CSRF token on the overview"
    return str(json.loads(headers)["X-CSRF-Token"])


def test_segment_name_with_script_is_inert_in_the_tooltip(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    refused: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
            page.add_init_script(WATCH_VIOLATIONS)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: refused.append(m.text) if "Refused to" in m.text else None)
            csrf = _log_in(page, server)
            chains = page.request.get(server + "/api/v1/economy/chains")
            assert chains.ok, chains.text()
            chain_id = chains.json()["items"][0]["id"]
            created = page.request.post(
                f"{server}/api/v1/economy/chains/{chain_id}/segments",
                data={"code": "XSS-1", "name": PAYLOAD, "stage": "upstream", "position": 99},
                headers={"X-CSRF-Token": csrf},
            )
            assert created.status == 201, created.text()

            page.goto(f"{server}/economy/chains/{chain_id}")
            expect(page.locator("#chain-map canvas").first).to_be_visible()
            index = page.evaluate(
                """(name) => {
                  const chart = window.echarts.getInstanceByDom(document.getElementById("chain-map"));
                  const nodes = chart.getOption().series[0].data;
                  const index = nodes.findIndex((n) => n.name === name);
                  chart.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: index });
                  return index;
                }""",
                PAYLOAD,
            )
            assert index >= 0
            tooltip = page.locator("#chain-map div", has_text=PAYLOAD).last
            expect(tooltip).to_be_visible()
            assert page.locator("#chain-map img").count() == 0
            page.wait_for_timeout(300)
            assert page.evaluate("typeof window.__xss") == "undefined"
            # the segment list beside the map shows the name as text as well
            expect(page.locator("button[data-segment]", has_text=PAYLOAD).first).to_be_attached()
            assert page.evaluate("window.__csp") == []
        finally:
            browser.close()
    assert not errors, errors
    assert not refused, refused


def test_main_pages_report_no_policy_violation(server: str) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    refused: list[str] = []
    visited: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
            page.add_init_script(WATCH_VIOLATIONS)
            page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
            page.on("console", lambda m: refused.append(f"{page.url}: {m.text}") if "Refused to" in m.text else None)
            _log_in(page, server)
            links = page.eval_on_selector_all("nav.mainnav a[href]", "els => els.map(e => e.getAttribute('href'))")
            chains = page.request.get(server + "/api/v1/economy/chains").json()["items"]
            incidents = page.request.get(server + "/api/v1/safety/incidents").json()["items"]
            targets = [
                "/",
                *dict.fromkeys(h for h in links if h.startswith("/")),
                f"/economy/chains/{chains[0]['id']}",
                # the standalone pages: the evaluation report (its chart) and an incident's printable report
                "/api/v1/evaluation/report.html",
                *[f"/safety/incidents/{i['id']}/report" for i in incidents[:1]],
            ]
            assert len(targets) >= 8, targets
            for path in targets:
                response = page.goto(server + path)
                assert response is not None and response.status == 200, path
                assert "script-src 'self'" in (response.headers.get("content-security-policy") or ""), path
                page.wait_for_load_state("load")
                page.wait_for_timeout(300)  # charts and htmx requests after load
                violations = page.evaluate("window.__csp")
                assert violations == [], f"{path}: {violations}"
                visited.append(path)
                if path.endswith("report.html"):
                    assert page.locator("#chart-report canvas").count() == 1, "the report's chart was not drawn"
        finally:
            browser.close()
    assert not errors, errors
    assert not refused, refused
    assert len(visited) == len(targets)
