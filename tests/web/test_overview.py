"""The overview page, its site plan and chart data, and the vendor files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from digipark.core.config import Settings
from digipark.web import siteplan, vendor
from tests.conftest import World, polygon
from tests.web.helpers import login, visible_text


def _chart_data(page_html: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="chart-industry-data">(.*?)</script>', page_html, re.S)
    assert match
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def test_overview_shows_figures_site_plan_and_chart(client: TestClient, world: World) -> None:
    login(client, "TA-park_admin")
    page = client.get("/").text
    text = visible_text(page)
    assert "园区总览" in text and "规上工业企业" in text and "测试园区TA" in text
    plan = re.search(r'<svg id="site-plan".*?</svg>', page, re.S)
    assert plan
    assert plan.group(0).count("<polygon") == 2  # one zone, one building
    assert f'<a href="/buildings/{world.a.building_id}"><polygon class="building' in plan.group(0)
    assert "<title>1号厂房 (B1) · 厂房 · 3 层</title>" in plan.group(0)
    assert '<div id="chart-industry"' in page
    data = _chart_data(page)
    assert data["series"] == [{"code": "33", "name": "金属制品业", "value": 2}]
    english = _chart_data(client.get("/?lang=en").text)
    assert english["series"][0]["name"] == "Manufacture of Metal Products"  # type: ignore[index]


def test_overview_of_an_enterprise_user_shows_its_own_enterprise(client: TestClient, world: World) -> None:
    login(client, "TA-enterprise")
    page = client.get("/").text
    text = visible_text(page)
    assert "本企业" in text and "TA企业0" in text
    assert "规上工业企业" not in text and "chart-industry" not in page
    assert 'id="site-plan"' in page  # zones and buildings are public within the park


def test_resident_sees_public_figures_only(client: TestClient) -> None:
    login(client, "TA-resident")
    page = client.get("/").text
    nav = re.search(r'<nav class="mainnav".*?</nav>', page, re.S)
    assert nav
    resident_menu = ["/", "/zones", "/buildings", "/workorders", "/notices", "/living", "/account"]  # by section
    assert re.findall(r'href="([^"]+)"', nav.group(0)) == resident_menu
    assert "chart-industry" not in page and "本企业" not in page


def test_user_menu_shows_name_role_and_park(client: TestClient) -> None:
    login(client, "TA-operator")
    page = client.get("/?lang=en").text
    menu = re.search(r'<details class="usermenu">.*?</details>', page, re.S)
    assert menu
    text = visible_text(menu.group(0))
    assert "TA-operator" in text and "Operator" in text and "测试园区TA" in text and "Log out" in text


def test_site_plan_projection_keeps_north_up_and_scales_longitude() -> None:
    zone = siteplan.Feature(geometry=polygon(120.0, 30.0, 0.01), title="z", css="zone")
    plan = siteplan.build([zone], [])
    assert plan is not None
    points = [tuple(map(float, p.split(","))) for p in plan.zones[0].points.split()]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    assert min(xs) >= 0 and max(xs) <= plan.width and min(ys) >= 0 and max(ys) <= plan.height
    # ring: (lon, lat), (lon+d, lat), (lon+d, lat+d), (lon, lat+d): the northern edge is drawn higher up
    assert points[2][1] < points[1][1]
    # a square in degrees is narrower than tall at 30°N: width/height = cos(30°)
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    assert width / height == pytest.approx(0.866, abs=0.01)
    assert siteplan.build([], []) is None
    assert siteplan.build([siteplan.Feature(geometry={"type": "Point"}, title="x", css="x")], []) is None


def test_vendor_files_are_served_from_node_modules(client: TestClient) -> None:
    if vendor.node_modules() is None:
        pytest.skip("node_modules not installed (npm install)")
    response = client.get("/static/vendor/htmx.min.js")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/javascript")
    assert client.get("/static/vendor/echarts.min.js").status_code == 200
    assert client.get("/static/vendor/../../pyproject.toml").status_code == 404
    assert client.get("/static/vendor/left-pad.js").status_code == 404
    assert client.get("/static/css/app.css").status_code == 200


def test_pages_work_without_vendor_files(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vendor, "node_modules", lambda: None)
    login(client, "TA-park_admin")
    page = client.get("/").text
    assert "echarts.min.js" not in page and "htmx.min.js" not in page
    assert '<ol class="chart-fallback">' in page  # the chart's text fallback
    assert client.get("/static/vendor/htmx.min.js").status_code == 404


def test_vendor_dir_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for relative in vendor.VENDOR_FILES.values():
        target = tmp_path / "node_modules" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("/* stub */")
    monkeypatch.setattr(vendor, "get_settings", lambda: Settings(vendor_dir=tmp_path))
    vendor.node_modules.cache_clear()
    try:
        assert vendor.node_modules() == tmp_path / "node_modules"
        assert vendor.vendor_file("echarts.min.js") == tmp_path / "node_modules/echarts/dist/echarts.min.js"
    finally:
        vendor.node_modules.cache_clear()
