"""Pages as a visitor meets them: every menu page of the demo (SQLite), as the park admin and as an enterprise user,
in Chinese and English, on a 1280×800 desktop and a 390×844 phone, in Debian's Chromium driven by Playwright.

Prints one JSON line per figure:
- pages_slowest_load_ms: the slowest page's load (navigation start to the load event), desktop;
- pages_p95_server_ms: the 95th percentile of the server's time (request sent to its first byte), desktop;
- pages_untranslated_strings: ASCII words of three letters or more in the visible text of the Chinese pages,
  outside the allow-list tests/e2e/allowed_ascii_words.json (units, codes, proper names), desktop;
- pages_overflowing_at_390px: pages (per language) wider than the phone, or with an element reaching past it;
- pages_chinese_on_english_pages: Chinese characters in the visible text of the English pages, outside the proper
  names of tests/e2e/allowed_cjk_text.json and text marked as written in Chinese or kept as written, desktop
  (the pages still listed there as pending count too).

    python bench/pages.py                 # starts its own demo server on a fresh SQLite file (a few minutes)
    python bench/pages.py --url http://127.0.0.1:8000   # measures a running demo instead
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e import crawl  # noqa: E402  (the same crawler as the browser test)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ROLES = ("admin", "enterprise")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None


def start_demo(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "digipark",
        "demo",
        "--port",
        str(port),
        "--database",
        f"sqlite:///{folder}/demo.db",
    ]
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, "DIGIPARK_LOG_LEVEL": "WARNING"}, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:  # answering, and the parts written after start written
        ready = _get(url + "/readyz")
        if ready is not None and "demo" not in ready:
            return process, url
        if process.poll() is not None:
            raise SystemExit(f"the demo exited with {process.returncode}")
        time.sleep(1)
    process.terminate()
    raise SystemExit("the demo did not get ready in 600 s")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def measure(url: str) -> None:
    from playwright.sync_api import sync_playwright

    visits = []
    started = time.monotonic()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            visits = list(crawl.crawl(browser, url, roles=ROLES))
        finally:
            browser.close()
    desktop = [v for v in visits if v.viewport == "desktop" and v.load_ms is not None]
    slowest = max(desktop, key=lambda v: v.load_ms or 0)
    server = [v.server_ms for v in desktop if v.server_ms is not None]
    words = Counter(w for v in desktop if v.lang == "zh" for w in v.untranslated)
    chinese = Counter(v.path for v in desktop if v.lang == "en" for run in v.chinese for _ in run)
    overflowing = sorted(
        {
            f"{v.role} {v.lang} {v.path}"
            for v in visits
            if v.viewport == "phone" and any("wider" in p for p in v.problems)
        }
    )
    conditions = {
        "roles": list(ROLES),
        "pages": len({(v.role, v.path) for v in visits}),
        "visits": len(visits),
        "database": "sqlite",
        "browser": "Debian Chromium (Playwright)",
        "crawl_s": round(time.monotonic() - started),
    }
    figures = [
        {
            "figure": "pages_slowest_load_ms",
            "value": round(slowest.load_ms or 0),
            "unit": "ms",
            "page": f"{slowest.role} {slowest.lang} {slowest.path}",
            "server_ms": round(slowest.server_ms or 0),
            "next_slowest": [
                f"{v.role} {v.lang} {v.path} {round(v.load_ms or 0)} ms (server {round(v.server_ms or 0)})"
                for v in sorted(desktop, key=lambda v: -(v.load_ms or 0))[1:6]
            ],
        },
        {
            "figure": "pages_p95_server_ms",
            "value": round(percentile(server, 95)),
            "unit": "ms",
            "median_ms": round(percentile(server, 50)),
        },
        {
            "figure": "pages_untranslated_strings",
            "value": sum(words.values()),
            "unit": "words",
            "most_frequent": [w for w, _ in words.most_common(15)],
        },
        {"figure": "pages_overflowing_at_390px", "value": len(overflowing), "unit": "pages", "which": overflowing[:10]},
        {
            "figure": "pages_chinese_on_english_pages",
            "value": sum(chinese.values()),
            "unit": "characters",
            "pages_with_chinese": len(chinese),
            "most": [f"{path} {n}" for path, n in chinese.most_common(8)],
        },
    ]
    for figure in figures:
        print(json.dumps({**figure, **conditions}, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running demo to measure (default: start one)")
    args = parser.parse_args()
    if args.url:
        measure(args.url.rstrip("/"))
        return
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as folder:
        process, url = start_demo(Path(folder))
        try:
            measure(url)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


if __name__ == "__main__":
    main()
