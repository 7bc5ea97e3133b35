"""The park map's data and style: the park's own geometry with building heights, devices by state, alarms, car
parks, each as the caller may read it; a footprint derived where none is recorded; the move onto GCJ-02 tiles; the
operator's tile server in the style and in the Content-Security-Policy."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from digipark.core.config import get_settings
from digipark.core.errors import DomainError
from digipark.ioc import coords, geometry, service, style
from digipark.registry.models import Building, Device, Point
from digipark.telemetry.provides import PointLatest
from digipark.web import security_headers
from tests.conftest import World
from tests.living.helpers import car_park, scope_of


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _features(data: dict[str, Any], layer: str, kind: str | None = None) -> list[dict[str, Any]]:
    found = data["layers"][layer]["features"]
    return [f for f in found if kind is None or f["properties"]["layer"] == kind]


def _place_devices(db: Session, world: World) -> list[Device]:
    devices = list(db.scalars(select(Device).where(Device.park_id == world.a.park_id).order_by(Device.id)))
    for i, device in enumerate(devices):
        device.lon, device.lat = 120.7002 + i * 0.0001, 31.3002
    db.flush()
    return devices


def test_the_map_holds_the_parks_geometry_with_heights(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    data = service.map_layers(db, scope=admin, park_id=world.a.park_id)
    buildings = _features(data, "park", "building")
    assert [b["id"] for b in buildings] == [world.a.building_id]
    props = buildings[0]["properties"]
    # 3 floors of a factory: the storey height of data/map.yaml, not a guess in code
    assert props["height"] == pytest.approx(3 * geometry.storey_height_m("factory"))
    assert props["href"] == f"/buildings/{world.a.building_id}" and props["derived"] is False
    assert len(_features(data, "park", "zone")) == 1 and len(_features(data, "park", "parcel")) == 1
    assert data["bounds"] is not None and data["crs"] == "wgs84"
    # nothing of park B
    other = service.map_layers(db, scope=scope_of(db, "TB", "park_admin"), park_id=world.b.park_id)
    assert {b["id"] for b in _features(other, "park", "building")} == {world.b.building_id}


def test_a_building_without_footprint_gets_a_believable_one(db: Session, world: World) -> None:
    building = db.get(Building, world.a.building_id)
    assert building is not None
    building.footprint = None
    db.flush()
    data = service.map_layers(db, scope=scope_of(db, "TA", "park_admin"), park_id=world.a.park_id)
    (feature,) = _features(data, "park", "building")
    assert feature["properties"]["derived"] is True
    ring = feature["geometry"]["coordinates"][0]
    side = coords.distance_m(tuple(ring[0]), tuple(ring[1]))
    assert side == pytest.approx((6000 / 3) ** 0.5, rel=0.01)  # area per floor of its 6,000 m², as a square


def test_devices_by_state_and_alarms_placed_at_them(db: Session, world: World) -> None:
    meter, detector = _place_devices(db, world)
    point = db.scalar(select(Point.id).where(Point.device_id == meter.id).order_by(Point.id))
    assert point is not None
    db.execute(delete(PointLatest).where(PointLatest.point_id == point))
    db.add(PointLatest(point_id=point, ts=int(time.time() * 1000), value=1.0, quality=0))
    db.flush()
    admin = scope_of(db, "TA", "park_admin")
    states = {f["id"]: f["properties"]["state"] for f in _features(service.map_layers(db, scope=admin), "devices")}
    assert states == {meter.id: "online", detector.id: "offline"}

    alarm = {"id": 7, "severity": "critical", "state": "raised", "message": "气体浓度超限", "device_id": detector.id}
    placed = geometry.alarm_features([alarm], {detector.id: (120.7003, 31.3002)}, {})
    assert placed[0]["geometry"]["coordinates"] == [120.7003, 31.3002]
    assert placed[0]["properties"]["href"] == "/alarms/7"
    alarmed = geometry.device_states(db, scope=admin, park_id=world.a.park_id, alarmed={detector.id})
    assert {f["id"]: f["properties"]["state"] for f in alarmed}[detector.id] == "alarm"
    detector.status = "retired"
    db.flush()
    again = geometry.device_states(db, scope=admin, park_id=world.a.park_id, alarmed={detector.id})
    assert {f["id"]: f["properties"]["state"] for f in again}[detector.id] == "inactive"


def test_an_enterprise_may_not_open_the_map(db: Session, world: World) -> None:
    for account in ("enterprise", "resident"):
        with pytest.raises(DomainError) as refused:
            service.map_layers(db, scope=scope_of(db, "TA", account), park_id=world.a.park_id)
        assert refused.value.status == 403
    # a reviewer reads the park's map
    assert service.map_layers(db, scope=scope_of(db, "TA", "reviewer"), park_id=world.a.park_id)["park"]["id"]


def test_car_parks_carry_their_occupancy(db: Session, world: World) -> None:
    lot = car_park(db, world, code="PM", capacity=4, visitor_spaces=0, lon=120.7004, lat=31.3004)
    data = service.map_layers(db, scope=scope_of(db, "TA", "operator"), park_id=world.a.park_id)
    (feature,) = [f for f in _features(data, "car_parks") if f["id"] == lot.id]
    assert feature["properties"]["capacity"] == 4 and 0 <= feature["properties"]["share"] <= 1
    assert feature["geometry"]["coordinates"] == [120.7004, 31.3004]


def test_gcj02_tiles_move_the_park_onto_them(db: Session, world: World, settings_env: pytest.MonkeyPatch) -> None:
    admin = scope_of(db, "TA", "park_admin")
    plain = service.map_layers(db, scope=admin, park_id=world.a.park_id)
    settings_env.setenv("DIGIPARK_MAP_TILE_CRS", "gcj02")
    get_settings.cache_clear()
    moved = service.map_layers(db, scope=admin, park_id=world.a.park_id)
    assert moved["crs"] == "gcj02"
    before = _features(plain, "park", "building")[0]["geometry"]["coordinates"][0][0]
    after = _features(moved, "park", "building")[0]["geometry"]["coordinates"][0][0]
    assert tuple(after) == pytest.approx(coords.wgs84_to_gcj02(*before))
    assert coords.distance_m(tuple(before), tuple(after)) > 100


def test_the_style_extrudes_buildings_and_adds_the_operators_tiles(
    db: Session, world: World, settings_env: pytest.MonkeyPatch
) -> None:
    data = service.map_layers(db, scope=scope_of(db, "TA", "park_admin"), park_id=world.a.park_id)
    built = style.build(data)
    layers = {layer["id"]: layer for layer in built["layers"]}
    assert layers["buildings"]["type"] == "fill-extrusion"
    assert layers["buildings"]["paint"]["fill-extrusion-height"] == ["get", "height"]
    assert "base" not in built["sources"] and built["pitch"] > 0
    assert all(source["type"] == "geojson" for source in built["sources"].values())  # nothing fetched: offline
    assert "https://tiles.example" not in security_headers.content_security_policy()

    settings_env.setenv("DIGIPARK_MAP_TILE_URL", "https://tiles.example/{z}/{x}/{y}.png")
    get_settings.cache_clear()
    with_base = style.build(data)
    assert with_base["sources"]["base"]["tiles"] == ["https://tiles.example/{z}/{x}/{y}.png"]
    assert [layer["id"] for layer in with_base["layers"]][:2] == ["background", "base"]
    policy = security_headers.content_security_policy()
    assert "img-src 'self' https://tiles.example" in policy and "connect-src 'self' https://tiles.example" in policy
    assert "script-src 'self';" in policy  # scripts stay this origin's only


def test_a_bad_tile_datum_is_refused(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("DIGIPARK_MAP_TILE_CRS", "bd09")  # Baidu's tiles are not the XYZ grid: not offered
    get_settings.cache_clear()
    with pytest.raises(ValueError):
        get_settings()


def test_open_deliveries_are_a_layer_whose_click_opens_the_delivery(db: Session, world: World) -> None:
    import datetime as dt

    from digipark.living import delivery
    from digipark.living.schemas import DeliveryCreate, EdgeCreate, NodeCreate, VehicleCreate

    admin = scope_of(db, "TA", "park_admin")
    depot, gate = (
        delivery.NODES.create(db, scope=admin, data=NodeCreate(code=code, name=name, lon=lon, lat=31.3003)).id
        for code, name, lon in (("D0", "车库", 120.7001), ("G1", "东门", 120.7006))
    )
    delivery.EDGES.create(db, scope=admin, data=EdgeCreate(a_id=depot, b_id=gate))
    delivery.VEHICLES.create(
        db,
        scope=admin,
        data=VehicleCreate(code="EV1", kind="van", capacity=5, speed_mps=4, range_m=20_000, depot_node_id=depot),
    )
    now = dt.datetime.now(dt.UTC)
    row, _ = delivery.order_delivery(
        db,
        scope=scope_of(db, "TA", "resident"),
        data=DeliveryCreate(dropoff_node_id=gate, earliest=now, latest=now + dt.timedelta(hours=1)),
    )
    data = service.map_layers(db, scope=scope_of(db, "TA", "operator"), park_id=world.a.park_id)
    (point,) = [f for f in _features(data, "deliveries", "delivery") if f["id"] == row.id]
    (line,) = [f for f in _features(data, "deliveries", "delivery_route") if f["id"] == row.id]
    assert point["properties"]["href"] == f"/living/deliveries/{row.id}" and point["properties"]["vehicle"] == "EV1"
    assert point["geometry"]["coordinates"] == [120.7001, 31.3003]  # at the van's depot, planned
    assert line["geometry"]["coordinates"] == [[120.7001, 31.3003], [120.7006, 31.3003]]
    assert point["properties"]["destination"] == "东门"
    built = style.build(data)
    assert {"deliveries", "delivery-routes"} <= {layer["id"] for layer in built["layers"]}
    assert built["sources"]["deliveries"]["data"]["features"]
