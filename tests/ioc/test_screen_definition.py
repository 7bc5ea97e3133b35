"""The operations screen drawn from its definition (a dashboard: the built-in one or a park's copy), the centre's
views that take turns, the energy heat of buildings, a building's floor view, and the operator's MBTiles base layer
served tile by tile."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from digipark.core.config import get_settings
from digipark.dashboards import builtin
from digipark.dashboards.spec import DashboardSpec
from digipark.energy.models import EnergyMeter
from digipark.ioc import floors, pages, service, style, tiles
from digipark.registry.models import Device, Point
from digipark.telemetry.provides import PointLatest
from tests.conftest import World
from tests.living.helpers import scope_of
from tests.web.helpers import form_token as csrf_of
from tests.web.helpers import login


def _latest(db: Session, point: int, value: float) -> None:
    db.execute(delete(PointLatest).where(PointLatest.point_id == point))
    db.add(PointLatest(point_id=point, ts=int(time.time() * 1000), value=value, quality=0))
    db.flush()


def _points(db: Session, device: int) -> dict[str, int]:
    return {key: ident for key, ident in db.execute(select(Point.key, Point.id).where(Point.device_id == device))}


def test_the_built_in_screen_is_a_valid_dashboard_and_its_layout_holds_every_panel() -> None:
    spec = builtin.operations_screen_spec()
    assert builtin.is_screen(spec) and spec.rotate_s > 0
    file = builtin.operations_screen_file()
    assert file["format"] == "digipark.dashboard" and DashboardSpec.model_validate(file["spec"]) == spec
    layout = pages.screen_layout(spec.model_dump(mode="json"))
    assert [w["panel"] for w in layout["left"]] == ["park_now", "economy", "energy_carbon"]
    centre = [w.get("panel") or "map:" + ",".join(w["layers"]) for w in layout["centre"]]
    assert centre[0].startswith("map:") and "map:energy,alarms" in centre
    assert {"energy_carbon", "safety", "standards"} <= set(centre)
    assert [w["panel"] for w in layout["bottom"]] == ["ticker"]
    # the first of each panel kind holds the ids; a second one (the centre's big energy panel) does not
    firsts = [w for area in layout.values() for w in area if w.get("panel") == "energy_carbon"]
    assert [w["first"] for w in firsts] == [True, False]


def test_the_screen_page_draws_the_built_in_definition_and_a_copy(client: TestClient, world: World) -> None:
    login(client, "TA-park_admin")
    page = client.get("/ioc/screen?lang=zh")
    assert page.status_code == 200
    html = page.text
    assert 'data-rotate-s="20"' in html
    assert html.count('class="scr-view ') == 5  # two map views and three panels, as the definition says
    assert html.count('id="kpi-tce"') == 1 and html.count('data-f="tce"') == 2  # the panel twice, its ids once
    assert 'data-map-layers="energy,alarms"' in html and "暂停轮播" in html
    assert 'data-rotate-s="0"' in client.get("/ioc/screen?rotate=0").text
    assert client.get("/ioc/screen?rotate=-1").status_code == 422
    # the admin copies the built-in screen (the list page's form imports its file) and changes the copy
    listing = client.get("/dashboards")
    assert "copy-builtin-screen" in listing.text
    document = json.dumps(builtin.operations_screen_file(), ensure_ascii=False)
    copied = client.post(
        "/dashboards/import",
        data={"csrf_token": csrf_of(listing.text), "document": document, "import_name": "我的大屏"},
        follow_redirects=False,
    )
    assert copied.status_code == 303, copied.text
    ident = int(copied.headers["location"].rsplit("/", 1)[1])
    assert 'href="/ioc/screen?dashboard=' in client.get(f"/dashboards/{ident}").text
    editor = client.get(f"/dashboards/{ident}/edit")
    saved = client.post(
        f"/dashboards/{ident}/edit",
        data={"csrf_token": csrf_of(editor.text), "name": "我的大屏", "time_range": "24h", "rotate_s": "7"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    index = [w.get("panel") for w in builtin.OPERATIONS_SCREEN["widgets"]].index("economy")
    removed = client.post(
        f"/dashboards/{ident}/widgets/delete",
        data={"csrf_token": csrf_of(editor.text), "index": str(index)},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    mine = client.get(f"/ioc/screen?dashboard={ident}")
    assert mine.status_code == 200
    assert 'data-rotate-s="7"' in mine.text and 'id="scr-economy"' not in mine.text and "我的大屏" in mine.text
    # a dashboard without a screen panel or map view is not a screen
    plain = client.post(
        "/dashboards/new", data={"csrf_token": csrf_of(listing.text), "name": "普通看板"}, follow_redirects=False
    )
    plain_id = int(plain.headers["location"].split("/")[2])
    assert client.get(f"/ioc/screen?dashboard={plain_id}").status_code == 422
    assert client.get("/ioc/screen?dashboard=999999").status_code == 404


def test_the_editor_adds_a_screen_panel_and_a_map_view(client: TestClient, world: World) -> None:
    login(client, "TA-park_admin")
    listing = client.get("/dashboards")
    made = client.post(
        "/dashboards/new", data={"csrf_token": csrf_of(listing.text), "name": "值班屏"}, follow_redirects=False
    )
    ident = int(made.headers["location"].split("/")[2])
    editor = client.get(f"/dashboards/{ident}/edit")
    token = csrf_of(editor.text)
    for form in (
        {"kind": "map", "title": "热力", "area": "centre", "layer_energy": "1", "layer_alarms": "1"},
        {"kind": "panel", "title": "安全", "panel": "safety", "area": "centre"},
        {"kind": "panel", "title": "滚动", "panel": "ticker"},
    ):
        answer = client.post(f"/dashboards/{ident}/widgets", data={"csrf_token": token, **form}, follow_redirects=False)
        assert answer.status_code == 303, answer.text
    bad = client.post(
        f"/dashboards/{ident}/widgets", data={"csrf_token": token, "kind": "panel", "title": "x", "panel": "nope"}
    )
    assert bad.status_code == 422
    screen = client.get(f"/ioc/screen?dashboard={ident}").text
    assert 'data-map-layers="alarms,energy"' in screen and 'id="scr-ticker"' in screen and 'id="kpi-red"' in screen


def test_buildings_carry_their_load_for_the_energy_heat_layer(db: Session, world: World) -> None:
    device = world.a.device_ids[0]
    points = _points(db, device)
    meter = EnergyMeter(
        park_id=world.a.park_id,
        code="EM-B1",
        name="一号楼总表",
        carrier="electricity",
        level="building",
        source="telemetry",
        unit="kWh",
        point_id=points["energy_kwh"],
        building_id=world.a.building_id,
    )
    db.add(meter)
    db.flush()
    sub = EnergyMeter(
        park_id=world.a.park_id,
        code="EM-B1-1",
        name="分表",
        carrier="electricity",
        level="sub",
        source="telemetry",
        unit="kWh",
        point_id=points["energy_kwh"],
        building_id=world.a.building_id,
        parent_id=meter.id,
    )
    db.add(sub)
    _latest(db, points["power_kw"], 250.0)
    assert service.building_loads_kw(db, park_id=world.a.park_id) == {world.a.building_id: 250.0}  # not twice
    admin = scope_of(db, "TA", "park_admin")
    data = service.map_layers(db, scope=admin, park_id=world.a.park_id)
    building = next(f for f in data["layers"]["park"]["features"] if f["properties"]["layer"] == "building")
    assert building["properties"]["load_kw"] == 250.0 and building["properties"]["load_share"] == 1.0
    assert building["properties"]["floors_href"] == f"/ioc/buildings/{world.a.building_id}"
    colours = style.build(data)["metadata"]["digipark:building-colours"]
    assert colours["energy"] == style.ENERGY_HEAT and set(colours) == {"risk", "use", "energy"}


def test_the_floor_view_colours_rooms_by_tenant_with_their_sensors(
    client: TestClient, db: Session, world: World
) -> None:
    device = db.get(Device, world.a.device_ids[0])
    assert device is not None
    device.room_id = world.a.room_id
    points = _points(db, device.id)
    _latest(db, points["power_kw"], 33.5)
    admin = scope_of(db, "TA", "park_admin")
    view = floors.floor_view(db, scope=admin, building_id=world.a.building_id)
    assert view["floor"]["id"] == world.a.floor_id
    [room] = view["rooms"]
    assert room["enterprise_id"] == world.a.enterprise_ids[0] and room["tenant"]
    assert room["colour"] == floors.tenant_colour(world.a.enterprise_ids[0]) != floors.VACANT
    shown = {p["id"]: p["value"] for p in room["points"]}
    assert shown[points["power_kw"]] == 33.5 and points["power_kw"] in view["point_ids"]
    db.commit()
    login(client, "TA-park_admin")
    for lang in ("zh", "en"):
        page = client.get(f"/ioc/buildings/{world.a.building_id}?lang={lang}")
        assert page.status_code == 200
        assert f'data-point="{points["power_kw"]}"' in page.text and "/telemetry/live?point_id=" in page.text
    assert "楼层视图" in client.get(f"/ioc/buildings/{world.a.building_id}?lang=zh").text
    assert client.get(f"/ioc/buildings/{world.b.building_id}").status_code == 404  # another park's building
    assert client.get("/ioc/buildings/1?floor=999").status_code == 422


def _mbtiles(path: Path, fmt: str = "png") -> bytes:
    tile = b"\x89PNG\r\n\x1a\n" + b"tile-3-6-2"
    with sqlite3.connect(path) as db:
        db.execute("create table metadata (name text, value text)")
        db.execute("create table tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)")
        db.executemany(
            "insert into metadata values (?, ?)",
            [("name", "test"), ("format", fmt), ("minzoom", "3"), ("maxzoom", "3"), ("attribution", "测试底图")],
        )
        db.execute("insert into tiles values (3, 6, ?, ?)", ((2**3 - 1) - 2, tile))  # XYZ 3/6/2, stored as TMS
    return tile


@pytest.fixture
def tile_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "base.mbtiles"
    monkeypatch.setenv("DIGIPARK_MAP_TILES_FILE", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_an_mbtiles_base_layer_is_served_tile_by_tile(client: TestClient, world: World, tile_file: Path) -> None:
    tile = _mbtiles(tile_file)
    described = tiles.configured()
    assert described is not None and described.kind == "mbtiles" and described.min_zoom == 3
    login(client, "TA-park_admin")
    answer = client.get("/api/v1/ioc/tiles/3/6/2")
    assert answer.status_code == 200 and answer.content == tile and answer.headers["content-type"] == "image/png"
    assert client.get("/api/v1/ioc/tiles/3/6/3").status_code == 404  # none there
    assert client.get("/api/v1/ioc/tiles/31/0/0").status_code == 422
    assert client.get("/api/v1/ioc/tiles.pmtiles").status_code == 404  # the file is not a PMTiles archive
    page = client.get("/ioc/map").text
    found = re.search(r'<script type="application/json" id="ioc-style">(.*?)</script>', page, re.S)
    assert found is not None
    source = json.loads(found.group(1))["sources"]["base"]
    assert source["tiles"] == [tiles.MBTILES_URL] and source["attribution"] == "测试底图"
    client.cookies.clear()
    login(client, "TA-enterprise")
    assert client.get("/api/v1/ioc/tiles/3/6/2").status_code == 403


def test_a_pmtiles_archive_is_served_in_ranges(
    client: TestClient, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "base.pmtiles"
    path.write_bytes(b"PMTiles\x03" + bytes(range(256)) * 4)
    monkeypatch.setenv("DIGIPARK_MAP_TILES_FILE", str(path))
    get_settings.cache_clear()
    try:
        login(client, "TA-park_admin")
        part = client.get("/api/v1/ioc/tiles.pmtiles", headers={"Range": "bytes=0-6"})
        assert part.status_code == 206 and part.content == b"PMTiles"
        page = client.get("/ioc/map").text
        assert 'data-pmtiles="/static/vendor/pmtiles.js"' in page or "pmtiles://" in page
        assert client.get("/api/v1/ioc/tiles/3/6/2").status_code == 404
    finally:
        get_settings.cache_clear()


def test_a_vector_or_missing_tile_file_is_refused_and_the_map_still_draws(tmp_path: Path) -> None:
    vector = tmp_path / "v.mbtiles"
    _mbtiles(vector, fmt="pbf")
    with pytest.raises(tiles.TileFileError, match="raster"):
        tiles.describe(vector)
    with pytest.raises(tiles.TileFileError, match="does not exist"):
        tiles.describe(tmp_path / "none.mbtiles")
    other = tmp_path / "x.tif"
    other.write_bytes(b"x")
    with pytest.raises(tiles.TileFileError, match=r"mbtiles or \.pmtiles"):
        tiles.describe(other)
