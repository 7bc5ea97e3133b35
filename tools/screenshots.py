"""Retake the README's screenshots (docs/screenshots/) from a running demo: the overview, the energy-carbon centre,
safety, economy and an enterprise archive, in Chinese and English on a 1440×900 desktop, in Chinese on a 390×844
phone, and the overview in the dark theme. Debian's Chromium through Playwright, as the park admin.

    python tools/screenshots.py http://127.0.0.1:8000
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e import crawl  # noqa: E402  (log-in and the settle wait of the page crawl)

OUT = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1440, "height": 900}
PAGES = {
    "overview": "/",
    "energy": "/energy",
    "safety": "/safety",
    "economy": "/economy",
    "archive": "/enterprises/1/archive",
}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _save(page: object, name: str) -> None:
    from PIL import Image

    png = page.screenshot()  # type: ignore[attr-defined]
    Image.open(io.BytesIO(png)).convert("RGB").save(OUT / f"{name}.jpg", quality=78, optimize=True)
    print(name)


def _shoot(page: object, url: str, path: str, lang: str, name: str) -> None:
    page.goto(f"{url}{path}?lang={lang}", wait_until="load")  # type: ignore[attr-defined]
    crawl._settle(page)
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]  (charts animate in)
    _save(page, name)


def main(url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=DESKTOP, locale="zh-CN", color_scheme="light")
            page = crawl.log_in(context, url, "admin")
            state = context.storage_state()
            for key, path in PAGES.items():
                for lang in crawl.LANGS:
                    _shoot(page, url, path, lang, f"{key}-{lang}-desktop")
            context.close()
            dark = browser.new_context(viewport=DESKTOP, locale="zh-CN", color_scheme="dark", storage_state=state)
            _shoot(dark.new_page(), url, "/", "zh", "overview-zh-desktop-dark")
            dark.close()
            phone = browser.new_context(
                viewport=crawl.PHONE, locale="zh-CN", storage_state=state, is_mobile=True, has_touch=True
            )
            page = phone.new_page()
            for key, path in PAGES.items():
                _shoot(page, url, path, "zh", f"{key}-zh-phone")
            phone.close()
        finally:
            browser.close()


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"))
