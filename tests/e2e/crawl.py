"""Walk every menu page of the served demo as each role, in both languages, on a desktop and a phone, and report
what a visitor would see wrong: an answer of 4xx/5xx, a script error, a header that wraps, a page that scrolls
sideways on a phone, English words on a Chinese page, Chinese on an English page. Used by
tests/e2e/test_pages_browser.py and bench/pages.py."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROLES = ("admin", "operator", "reviewer", "enterprise", "resident")  # demo accounts (sim/data/demo_park.yaml)
PASSWORD = "digipark-demo"  # digipark.sim.demo.DEMO_PASSWORD
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
LANGS = ("zh", "en")
LOGIN_ATTEMPTS = 6
LOAD_TIMEOUT_MS = 60_000  # a page without its load event by then is reported, and the crawl goes on
ALLOWED_WORDS_FILE = Path(__file__).with_name("allowed_ascii_words.json")
ASCII_WORD = re.compile(r"(?<![A-Za-z0-9_./:#@-])[A-Za-z]{3,}(?![A-Za-z0-9_/@-])")
ALLOWED_CJK_FILE = Path(__file__).with_name("allowed_cjk_text.json")
CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")  # CJK ideographs (punctuation alone is no Chinese text)

# One function per check, run in the page (Playwright calls it through the DevTools protocol, not eval: the CSP
# does not apply). Overflow: the document wider than the window, and the outermost visible elements reaching past
# its right edge that no scrolling box of their own clips.
OVERFLOW_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const clippedByScrollBox = (el) => {
    for (let p = el.parentElement; p && p !== document.body && p !== document.documentElement; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible' && p.getBoundingClientRect().right <= vw + 1) return true;
    }
    return false;
  };
  const describe = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += '#' + el.id;
    if (el.classList.length) text += '.' + Array.from(el.classList).slice(0, 3).join('.');
    const r = el.getBoundingClientRect();
    return text + ' [' + Math.round(r.left) + '..' + Math.round(r.right) + ']';
  };
  const offenders = [];
  const seen = new Set();
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right <= vw + 1 && r.left >= -1) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.position === 'fixed') continue;
    if (clippedByScrollBox(el)) continue;
    let parent = el.parentElement, nested = false;
    while (parent) { if (seen.has(parent)) { nested = true; break; } parent = parent.parentElement; }
    seen.add(el);
    if (!nested) offenders.push(describe(el));
  }
  const scrollWidth = document.documentElement.scrollWidth;
  return {scrollWidth: scrollWidth, width: window.innerWidth, offenders: offenders.slice(0, 6)};
}"""

# The header in one line: the bar keeps its height and no text of it spans two lines.
HEADER_JS = """() => {
  const bar = document.querySelector('header.topbar');
  // the operations screen is a full-screen page with its own heading line
  if (!bar) return document.querySelector('body.ioc-screen') ? {ok: true} : {ok: false, why: 'no header'};
  const problems = [];
  const barHeight = bar.getBoundingClientRect().height;
  if (barHeight > 64) problems.push('header ' + Math.round(barHeight) + ' px high');
  for (const el of bar.querySelectorAll(':scope > *, .topbar-right > *')) {
    const height = el.getBoundingClientRect().height;
    if (height > 44) problems.push((el.className || el.tagName) + ' ' + Math.round(height) + ' px high');
  }
  for (const el of bar.querySelectorAll('a, span, summary, button, select, div')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const texts = Array.from(el.childNodes).filter(n => n.nodeType === 3 && n.textContent.trim());
    if (!texts.length) continue;
    const style = getComputedStyle(el);
    const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.5;
    const name = el.className || el.tagName;
    if (r.height > line * 1.6 + 12) problems.push(name + ' wraps: ' + el.textContent.trim().slice(0, 20));
  }
  return {ok: problems.length === 0, why: problems.join('; ')};
}"""

# The side menu shows every entry without scrolling inside itself (desktop).
NAV_JS = """() => {
  const nav = document.querySelector('nav.mainnav');
  if (!nav || getComputedStyle(nav).display === 'none') return null;
  return {scroll: nav.scrollHeight, height: nav.clientHeight};
}"""

# The navigation's timings: the server's (request sent to first byte) and the page's load.
TIMING_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  if (!nav) return null;
  return {server: nav.responseStart - nav.requestStart, load: nav.loadEventEnd - nav.startTime};
}"""

# The visible text of the page's main part, less what is marked translate="no" (HTML's own mark for text kept as
# it is: user names, account names of log records) and, on an English page, less what is marked as written in
# Chinese (lang="zh…": text people wrote in Chinese — a notice's title, a work order's description — which no
# catalogue translates).
VISIBLE_TEXT_JS = """(pageLang) => {
  const root = document.querySelector('main') || document.body;
  let text = root.innerText;
  const kept = pageLang === 'en' ? '[translate="no"], [lang|="zh"]' : '[translate="no"]';
  for (const el of root.querySelectorAll(kept)) {
    const written = el.innerText;
    if (written) text = text.replace(written, ' ');
  }
  return text;
}"""


def allowed_words() -> set[str]:
    """Words allowed in Latin letters on a Chinese page (units, codes, proper names), kept as data."""
    data = json.loads(ALLOWED_WORDS_FILE.read_text(encoding="utf-8"))
    return {word.lower() for group in data.values() if isinstance(group, list) for word in group}


def untranslated_words(text: str, allowed: set[str]) -> list[str]:
    """ASCII words of three letters or more outside the allow-list (the visible text of a Chinese page)."""
    return [w for w in ASCII_WORD.findall(text) if w.lower() not in allowed]


def allowed_cjk() -> tuple[list[str], dict[str, str]]:
    """Chinese text that may stand on an English page (proper names kept as data, longest first) and the pages
    not yet free of Chinese data ({path: what is left}), from tests/e2e/allowed_cjk_text.json."""
    data = json.loads(ALLOWED_CJK_FILE.read_text(encoding="utf-8"))
    names = sorted({n for group in data["names"].values() for n in group}, key=len, reverse=True)
    return names, dict(data.get("pending_pages", {}))


def chinese_text(text: str, names: list[str]) -> list[str]:
    """Runs of Chinese characters in the visible text of an English page, outside the allowed proper names."""
    for name in names:
        text = text.replace(name, " ")
    return CJK_RUN.findall(text)


@dataclasses.dataclass
class Visit:
    role: str
    lang: str
    viewport: str
    path: str
    status: int | None
    server_ms: float | None = None
    load_ms: float | None = None
    problems: list[str] = dataclasses.field(default_factory=list)
    untranslated: list[str] = dataclasses.field(default_factory=list)
    chinese: list[str] = dataclasses.field(default_factory=list)  # runs of Chinese on an English page


def log_in(context: Any, url: str, username: str) -> Any:
    """A page of `context` logged in as `username` (retried while the demo's back-fill holds SQLite's lock)."""
    page = context.new_page()
    for _attempt in range(LOGIN_ATTEMPTS):
        page.goto(url + "/login")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', PASSWORD)
        page.click('button[type="submit"]')
        page.wait_for_load_state()
        if "/login" not in page.url:
            return page
        time.sleep(5)
    raise AssertionError(f"{username} could not log in")


def menu_paths(page: Any) -> list[str]:
    paths: list[str] = page.eval_on_selector_all("nav.mainnav a[href]", "els => els.map(e => e.getAttribute('href'))")
    return paths


def _settle(page: Any) -> None:
    """Wait for the panels a page loads after it loads (htmx `hx-trigger="load"`), a few seconds at most."""
    with contextlib.suppress(Exception):  # a panel still loading is judged as it is
        page.wait_for_selector('[hx-trigger="load"]', state="detached", timeout=5000)


def visit(
    page: Any,
    url: str,
    path: str,
    *,
    role: str,
    lang: str,
    viewport: str,
    allowed: set[str],
    cjk: tuple[list[str], dict[str, str]] = ([], {}),
) -> Visit:
    """Open one page and check it; `page` collects console errors in its `digipark_errors` list. `cjk`: the
    Chinese allowed on English pages (allowed_cjk)."""
    errors: list[str] = page.digipark_errors
    errors.clear()
    separator = "&" if "?" in path else "?"
    try:
        response = page.goto(f"{url}{path}{separator}lang={lang}", wait_until="load", timeout=LOAD_TIMEOUT_MS)
    except Exception as exc:  # Playwright's TimeoutError (imported only where Playwright is)
        if "Timeout" not in type(exc).__name__:
            raise
        timed_out = Visit(role, lang, viewport, path, None, load_ms=float(LOAD_TIMEOUT_MS))
        timed_out.problems.append(f"no load event in {LOAD_TIMEOUT_MS // 1000} s")
        return timed_out
    result = Visit(role, lang, viewport, path, response.status if response else None)
    if response is None or response.status >= 400:
        result.problems.append(f"answered {response.status if response else 'nothing'}")
    _settle(page)
    timing = page.evaluate(TIMING_JS)
    if timing:
        result.server_ms, result.load_ms = timing["server"], timing["load"]
    if viewport == "phone":
        overflow = page.evaluate(OVERFLOW_JS)
        if overflow["scrollWidth"] > overflow["width"] or overflow["offenders"]:
            result.problems.append(
                f"wider than the phone ({overflow['scrollWidth']} > {overflow['width']} px): "
                + ", ".join(overflow["offenders"])
            )
    if viewport == "desktop":
        nav = page.evaluate(NAV_JS)
        if nav and nav["scroll"] > nav["height"] + 1:
            result.problems.append(f"side menu scrolls ({nav['scroll']} > {nav['height']} px)")
    header = page.evaluate(HEADER_JS)  # one line on the phone too
    if not header["ok"]:
        result.problems.append("header: " + header["why"])
    if lang == "zh":
        result.untranslated = untranslated_words(page.evaluate(VISIBLE_TEXT_JS, lang), allowed)
        if result.untranslated:
            words = sorted(set(result.untranslated))
            result.problems.append(f"untranslated: {', '.join(words[:12])}" + (" …" if len(words) > 12 else ""))
    if lang == "en" and viewport == "desktop":
        names, pending = cjk
        result.chinese = chinese_text(page.evaluate(VISIBLE_TEXT_JS, lang), names)
        if result.chinese and path not in pending:
            runs = sorted(set(result.chinese), key=len, reverse=True)
            result.problems.append(
                f"Chinese on an English page ({sum(map(len, result.chinese))} characters): {', '.join(runs[:8])}"
                + (" …" if len(runs) > 8 else "")
            )
    result.problems.extend(f"error: {e}" for e in errors if "the server responded with a status" not in e)
    return result


def new_context(browser: Any, viewport: dict[str, int]) -> Any:
    return browser.new_context(viewport=viewport, locale="zh-CN")


def _watch(page: Any) -> None:
    page.digipark_errors = []
    page.on("pageerror", lambda exc: page.digipark_errors.append(str(exc)))
    page.on(
        "console",
        lambda message: page.digipark_errors.append(message.text) if message.type == "error" else None,
    )
    page.on(  # a panel, script or style the page loads and the server refuses
        "response",
        lambda response: (
            page.digipark_errors.append(f"{response.status} on {response.url}") if response.status >= 400 else None
        ),
    )


def crawl(browser: Any, url: str, roles: tuple[str, ...] = ROLES, langs: tuple[str, ...] = LANGS) -> Iterator[Visit]:
    """Every menu page of every role, in each language, on a desktop then on a phone (one context per role and
    screen, logged in once)."""
    allowed = allowed_words()
    cjk = allowed_cjk()
    for role in roles:
        desktop = new_context(browser, DESKTOP)
        page = log_in(desktop, url, role)
        paths = menu_paths(page)
        state = desktop.storage_state()
        _watch(page)
        for lang in langs:
            for path in paths:
                yield visit(page, url, path, role=role, lang=lang, viewport="desktop", allowed=allowed, cjk=cjk)
        desktop.close()
        phone = browser.new_context(viewport=PHONE, locale="zh-CN", storage_state=state, is_mobile=True, has_touch=True)
        page = phone.new_page()
        _watch(page)
        for lang in langs:
            for path in paths:
                yield visit(page, url, path, role=role, lang=lang, viewport="phone", allowed=allowed)
        phone.close()
