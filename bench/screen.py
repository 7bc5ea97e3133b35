"""The operations screen (大屏) in Debian's Chromium driven by Playwright, on the demo park (SQLite), with software
WebGL (SwiftShader; no GPU on this machine).

Prints one JSON line per figure:
- screen_first_paint_ms: navigation start to the first paint of /ioc/screen at 1920×1080 (the browser's paint
  timing; the page is server-rendered with the figures in it, the map draws after);
- screen_map_ready_ms: navigation start to the 3D map's first complete frame (its `load` event), same page;
- screen_update_latency_p99_ms: a reading's timestamp (the simulator stamps it when it publishes) to the load figure
  on the screen showing it (pushed over server-sent events), the 99th percentile over the changes seen;
- map_fps_3d: frames per second the map draws while the 3D park turns continuously (software GL);
- screen_heap_growth_mb_per_h: the screen left running (its views turning, its figures pushed) while the demo
  publishes at 10× its rate (DIGIPARK_DEMO_TELEMETRY_SPEEDUP=10 for the demo this starts); the JS heap in use
  (CDP Runtime.getHeapUsage after a forced garbage collection) sampled every 30 s, and the slope of a least-squares
  line through the samples after the warm-up, per hour.

    python bench/screen.py                 # starts its own demo server on a fresh SQLite file (a few minutes)
    python bench/screen.py --url http://127.0.0.1:8000   # measures a running demo instead
    python bench/screen.py --only heap --heap-minutes 20  # the heap run only (20 minutes by default)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import emit, percentile, progress  # noqa: E402
from bench.pages import start_demo  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--ignore-gpu-blocklist",
]
UPDATES = 30
UPDATE_WAIT_S = 240
FPS_SECONDS = 10


def log_in(context: object, url: str) -> object:
    page = context.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(120_000)
    page.goto(url + "/login?lang=zh")
    page.fill('input[name="username"]', "admin")
    page.fill('input[name="password"]', "digipark-demo")
    page.click('button[type="submit"]')
    page.wait_for_url(url + "/")
    return page


TRACK_JS = """() => {
  window.__latencies = [];
  const target = document.getElementById('kpi-load');
  new MutationObserver(() => {
    const ts = Number(document.body.dataset.loadTs || 0);
    if (ts) window.__latencies.push(Date.now() - ts);
  }).observe(target, {childList: true, characterData: true, subtree: true});
}"""

FPS_JS = """(seconds) => new Promise((resolve) => {
  const map = window.digipark.map;
  let frames = 0;
  map.on('render', () => { frames += 1; });
  const start = performance.now();
  function turn() {
    const elapsed = performance.now() - start;
    map.setBearing((map.getBearing() + 1) % 360);
    if (elapsed < seconds * 1000) requestAnimationFrame(turn);
    else resolve(frames / (elapsed / 1000));
  }
  requestAnimationFrame(turn);
})"""


HEAP_SAMPLE_S = 30
HEAP_JS = "() => performance.memory ? performance.memory.usedJSHeapSize : null"


def slope_per_hour(samples: list[tuple[float, float]]) -> float:
    """The least-squares slope of (seconds, MB) samples, in MB per hour."""
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    if var == 0:
        return 0.0
    return sum((t - mean_t) * (m - mean_m) for t, m in samples) / var * 3600


def measure_heap(url: str, minutes: float, warmup_minutes: float) -> None:
    """The screen open for `minutes`; the JS heap in use sampled after a forced GC; growth per hour."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
            page = log_in(context, url)
            page.goto(url + "/ioc/screen?rotate=15")  # type: ignore[attr-defined]
            page.wait_for_selector("#ioc-map[data-ready='1']", timeout=120_000)  # type: ignore[attr-defined]
            cdp = context.new_cdp_session(page)  # type: ignore[attr-defined]
            started = time.monotonic()
            samples: list[tuple[float, float]] = []
            updates_at_start = page.evaluate("() => Number(document.body.dataset.updated || 0)")  # type: ignore[attr-defined]
            messages = 0
            while (elapsed := time.monotonic() - started) < minutes * 60:
                cdp.send("HeapProfiler.collectGarbage")
                used = cdp.send("Runtime.getHeapUsage")["usedSize"] / 1e6
                samples.append((elapsed, used))
                progress(f"heap {elapsed / 60:.1f} min: {used:.2f} MB")
                time.sleep(HEAP_SAMPLE_S)
                if page.evaluate("() => Number(document.body.dataset.updated || 0)") != updates_at_start:  # type: ignore[attr-defined]
                    messages += 1
            after = [(t, m) for t, m in samples if t >= warmup_minutes * 60]
            if len(after) < 3:
                raise SystemExit("too few heap samples after the warm-up: run longer")
            emit(
                "screen_heap_growth_mb_per_h",
                round(slope_per_hour(after), 2),
                "MB/h",
                minutes=minutes,
                warmup_minutes=warmup_minutes,
                samples=len(after),
                heap_first_mb=round(after[0][1], 2),
                heap_last_mb=round(after[-1][1], 2),
                sample_periods_with_new_figures=messages,
                speedup=os.environ.get("DIGIPARK_DEMO_TELEMETRY_SPEEDUP", "as the server runs"),
                viewport="1920x1080",
                browser="Debian Chromium, SwiftShader GL",
                loadavg_1m=round(os.getloadavg()[0], 2),
            )
        finally:
            browser.close()


def measure(url: str) -> None:
    from playwright.sync_api import sync_playwright

    load = os.getloadavg()[0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
            page = log_in(context, url)
            page.goto(url + "/ioc/screen")  # type: ignore[attr-defined]
            page.wait_for_selector("#ioc-map[data-ready='1']", timeout=120_000)  # type: ignore[attr-defined]
            paint = page.evaluate(  # type: ignore[attr-defined]
                "() => (performance.getEntriesByName('first-paint')[0] || {}).startTime"
            )
            ready = page.evaluate("() => performance.now()")  # type: ignore[attr-defined]
            conditions = {
                "viewport": "1920x1080",
                "database": "sqlite",
                "browser": "Debian Chromium, SwiftShader GL",
                "demo_speedup": os.environ.get("DIGIPARK_DEMO_TELEMETRY_SPEEDUP", "as the server runs"),
            }
            emit("screen_first_paint_ms", float(paint), "ms", **conditions, loadavg_1m=round(load, 2))
            emit("screen_map_ready_ms", float(ready), "ms", **conditions, note="at most this: measured after the load")

            page.evaluate(TRACK_JS)  # type: ignore[attr-defined]
            deadline = time.monotonic() + UPDATE_WAIT_S
            latencies: list[float] = []
            while time.monotonic() < deadline and len(latencies) < UPDATES:
                time.sleep(2)
                latencies = page.evaluate("() => window.__latencies")  # type: ignore[attr-defined]
            progress(f"{len(latencies)} load changes seen")
            if latencies:
                emit(
                    "screen_update_latency_p99_ms",
                    percentile(latencies, 0.99),
                    "ms",
                    **conditions,
                    changes=len(latencies),
                    median_ms=round(percentile(latencies, 0.5)),
                    loadavg_1m=round(os.getloadavg()[0], 2),
                )
            context.close()

            context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
            page = log_in(context, url)
            page.goto(url + "/ioc/map")  # type: ignore[attr-defined]
            page.wait_for_selector("#ioc-map[data-ready='1']", timeout=120_000)  # type: ignore[attr-defined]
            fps = page.evaluate(FPS_JS, FPS_SECONDS)  # type: ignore[attr-defined]
            size = page.evaluate(  # type: ignore[attr-defined]
                "() => { const c = window.digipark.map.getCanvas(); return c.width + 'x' + c.height; }"
            )
            emit(
                "map_fps_3d",
                float(fps),
                "frames/s",
                canvas=size,
                pitch=55,
                seconds=FPS_SECONDS,
                gl="SwiftShader (software)",
                loadavg_1m=round(os.getloadavg()[0], 2),
            )
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running demo server (default: start one)")
    parser.add_argument("--only", choices=("figures", "heap", "all"), default="all", help="which figures")
    parser.add_argument("--heap-minutes", type=float, default=20.0, help="length of the heap run (minutes)")
    parser.add_argument("--heap-warmup-minutes", type=float, default=2.0, help="heap samples ignored at first")
    parser.add_argument("--speedup", type=float, default=10.0, help="demo publishing rate × this (own demo)")
    args = parser.parse_args()

    def run(url: str) -> None:
        if args.only in ("figures", "all"):
            measure(url)
        if args.only in ("heap", "all"):
            measure_heap(url, args.heap_minutes, args.heap_warmup_minutes)

    if args.url:
        run(args.url.rstrip("/"))
        return
    os.environ["DIGIPARK_DEMO_TELEMETRY_SPEEDUP"] = str(args.speedup)
    with tempfile.TemporaryDirectory() as folder:
        process, url = start_demo(Path(folder))
        try:
            run(url)
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
