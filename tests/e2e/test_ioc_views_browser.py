"""Browser test of the operations screen's turning views and the map's extras on the demo park: the centre's views
take turns (the energy heat map view shows its layers, a big panel view stays inside its box) and the pause button
stops them; a building's floor view at 1440 and 390 px in both languages (rooms coloured by tenant, no sideways
scrolling); and the operator's MBTiles base layer added to the map, its tiles served by the platform.
Screenshots: docs/screenshots/ioc-screen-view-panel.jpg, ioc-floor-{zh,en}-{desktop,phone}.jpg."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, serve_demo, server  # noqa: F401
from tests.e2e.test_ioc_browser import SHOTS, SOFTWARE_GL_ARGS, WAIT_MS, _log_in, _no_overflow

pytestmark = pytest.mark.e2e


def _png() -> bytes:
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (256, 256), (40, 90, 60)).save(out, format="PNG")
    return out.getvalue()


def _mbtiles(path: Path) -> None:
    """Every tile of zooms 0-4 (the map overzooms the park's spot from zoom 4)."""
    tile = _png()
    with sqlite3.connect(path) as db:
        db.execute("create table metadata (name text, value text)")
        db.execute("create table tiles (zoom_level int, tile_column int, tile_row int, tile_data blob)")
        db.executemany(
            "insert into metadata values (?, ?)",
            [("format", "png"), ("minzoom", "0"), ("maxzoom", "4"), ("attribution", "测试底图")],
        )
        db.executemany(
            "insert into tiles values (?, ?, ?, ?)",
            [(z, x, y, tile) for z in range(5) for x in range(2**z) for y in range(2**z)],
        )


@pytest.fixture(scope="module")
def tiles_server(tmp_path_factory: pytest.TempPathFactory, demo_database: Path) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("e2e-tiles")
    _mbtiles(folder / "base.mbtiles")
    os.environ["DIGIPARK_MAP_TILES_FILE"] = str(folder / "base.mbtiles")
    try:
        with serve_demo(folder, demo_database) as url:
            yield url
    finally:
        os.environ.pop("DIGIPARK_MAP_TILES_FILE", None)


def _browser(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + SOFTWARE_GL_ARGS)


def test_the_screens_views_take_turns_and_pause(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        try:
            context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
            page = _log_in(context, server)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server + "/ioc/screen?rotate=3")
            page.wait_for_selector("#ioc-map[data-ready='1']", timeout=WAIT_MS)
            expect(page.locator("#scr-live")).to_have_attribute("data-state", "live", timeout=WAIT_MS)
            # the second view is the energy heat map: its layers shown on the one map
            expect(page.locator("#scr-centre")).to_have_attribute("data-view", "1", timeout=WAIT_MS)
            expect(page.locator("#ioc-map")).to_have_attribute("data-layers-shown", "energy,alarms")
            colour = page.evaluate(
                "() => JSON.stringify(window.digipark.map.getPaintProperty('buildings', 'fill-extrusion-color'))"
            )
            assert "load_share" in colour
            # a big panel view (energy and carbon), its figures live like the columns'
            page.click("#scr-rotate")  # paused: the view stays
            expect(page.locator("#scr-rotate")).to_have_attribute("data-paused", "1")
            page.click("[data-goto='2']")
            held = "2"
            expect(page.locator("#scr-centre")).to_have_attribute("data-view", held)
            big = page.locator(f".scr-view[data-view='{held}'] [data-f='tce']")
            expect(big).not_to_have_text("—", timeout=WAIT_MS)
            assert big.inner_text() == page.locator("#kpi-tce").inner_text()
            _no_overflow(page, "panel view")
            page.screenshot(path=str(SHOTS / "ioc-screen-view-panel.jpg"), type="jpeg", quality=80)
            page.wait_for_timeout(7000)
            assert page.locator("#scr-centre").get_attribute("data-view") == held
            page.click("#scr-rotate")
            expect(page.locator("#scr-centre")).not_to_have_attribute("data-view", str(held), timeout=WAIT_MS)
            context.close()
        finally:
            browser.close()
    assert not errors, errors


def test_a_buildings_floor_view(server: str) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = _browser(playwright)
        try:
            for lang in ("zh", "en"):
                for width, height, kind in ((1440, 900, "desktop"), (390, 844, "phone")):
                    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
                    page = _log_in(context, server)
                    ids = page.evaluate(
                        """async () => (await (await fetch('/ioc/map/layers.json')).json()).layers.park.features
                          .filter((f) => f.properties.layer === 'building').map((f) => f.id)"""
                    )
                    for ident in ids[:15]:
                        page.goto(f"{server}/ioc/buildings/{ident}?lang={lang}")
                        if page.locator(".ioc-room").count():
                            break
                    assert page.locator(".ioc-room").count(), "no building of the demo has rooms"
                    assert page.locator(".ioc-room:not(.ioc-room-vacant)").count()  # a tenant's colour
                    width_now = page.evaluate(
                        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
                    )
                    assert width_now[0] <= width_now[1], (lang, kind, width_now)
                    page.screenshot(path=str(SHOTS / f"ioc-floor-{lang}-{kind}.jpg"), type="jpeg", quality=80)
                    context.close()
        finally:
            browser.close()


def test_an_mbtiles_base_layer_is_drawn_under_the_park(tiles_server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = _browser(playwright)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            page = _log_in(context, tiles_server)
            served: list[int] = []
            page.on("response", lambda r: served.append(r.status) if "/api/v1/ioc/tiles/" in r.url else None)
            page.goto(tiles_server + "/ioc/map")
            page.wait_for_selector("#ioc-map[data-ready='1']", timeout=WAIT_MS)
            assert page.evaluate("() => window.digipark.map.getLayer('base').type") == "raster"
            page.wait_for_function(
                "() => window.digipark.map.getSource('base') && window.digipark.map.isSourceLoaded('base')",
                timeout=WAIT_MS,
            )
            assert 200 in served, served
            context.close()
        finally:
            browser.close()
