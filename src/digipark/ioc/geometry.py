"""The park map's data: GeoJSON of the park's own geometry (boundary, zones, parcels, buildings with a height) and
of its live objects (devices by state, open alarms, car parks with their occupancy, building risk colours), each
read as the caller may read it, through the registry and the other domains' `provides` only.

Positions are stored in WGS-84; when the operator's base tiles are GCJ-02 (DIGIPARK_MAP_TILE_CRS) every position is
moved onto them here (`coords`), so the park lies on its streets.
"""

from __future__ import annotations

import functools
import math
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.listing import ListQuery
from digipark.ioc import coords
from digipark.registry import service as registry
from digipark.registry.models import Device, Park, Point
from digipark.registry.service import KINDS
from digipark.telemetry.provides import PointLatest, online_condition
from digipark.web.shell import kind_path

Feature = dict[str, Any]
METRES_PER_DEGREE = 111_320.0
DERIVED_SPACING_M = 60.0  # between buildings placed side by side for want of a footprint


@functools.cache
def map_data() -> dict[str, Any]:
    text = resources.files("digipark.ioc").joinpath("data/map.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def storey_height_m(use: str | None) -> float:
    heights: dict[str, float] = map_data()["storey_height_m"]
    return float(heights.get(use or "", heights["default"]))


def building_height_m(use: str | None, floors: int | None) -> float:
    return round(max(1, floors or 1) * storey_height_m(use), 1)


def target_crs() -> coords.CRS:
    return coords.CRS(get_settings().map_tile_crs)


def _place(geometry: dict[str, Any]) -> dict[str, Any]:
    crs = target_crs()
    if crs == coords.CRS.WGS84:
        return geometry
    return coords.convert_geometry(geometry, source=coords.CRS.WGS84, target=crs)


def _feature(
    geometry: dict[str, Any], properties: dict[str, Any], ident: int | None = None, *, placed: bool = False
) -> Feature:
    """A GeoJSON feature; its geometry moved onto the map's datum unless `placed` (already there)."""
    feature: Feature = {
        "type": "Feature",
        "geometry": geometry if placed else _place(geometry),
        "properties": properties,
    }
    if ident is not None:
        feature["id"] = ident
    return feature


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def ring_centre(geometry: dict[str, Any] | None) -> tuple[float, float] | None:
    """The mean of a polygon's outer ring (enough for the small convex shapes of a park)."""
    if not geometry or geometry.get("type") != "Polygon" or not geometry.get("coordinates"):
        return None
    ring = [p for p in geometry["coordinates"][0] if isinstance(p, list | tuple) and len(p) >= 2]
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring = ring[:-1]
    if not ring:
        return None
    return (sum(float(p[0]) for p in ring) / len(ring), sum(float(p[1]) for p in ring) / len(ring))


def square(centre: tuple[float, float], side_m: float) -> dict[str, Any]:
    """A square footprint of `side_m` around `centre` (lon, lat)."""
    half_lat = side_m / 2 / METRES_PER_DEGREE
    half_lon = half_lat / max(math.cos(math.radians(centre[1])), 1e-6)
    lon, lat = centre
    ring = [
        [lon - half_lon, lat - half_lat],
        [lon + half_lon, lat - half_lat],
        [lon + half_lon, lat + half_lat],
        [lon - half_lon, lat + half_lat],
        [lon - half_lon, lat - half_lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def derived_footprint(centre: tuple[float, float], gross_floor_area_m2: float | None, floors: int) -> dict[str, Any]:
    """A believable footprint for a building recorded without one: a square of its area per floor."""
    rules = map_data()["derived_footprint"]
    if gross_floor_area_m2:
        side = max(float(rules["min_side_m"]), math.sqrt(gross_floor_area_m2 / max(1, floors)))
    else:
        side = float(rules["default_side_m"])
    return square(centre, side)


def _remember(
    centres: dict[tuple[str, int], tuple[float, float]], key: tuple[str, int], geometry: dict[str, Any]
) -> None:
    centre = ring_centre(geometry)
    if centre is not None:
        centres[key] = centre


def park_of(session: Session, scope: Scope, park_id: int | None) -> Park:
    park_ident = scope.acting_park(park_id)
    park: Park = registry.get(session, scope=scope, kind=KINDS["park"], ident=park_ident)
    return park


def park_centre(session: Session, park: Park) -> tuple[float, float] | None:
    if park.centre_lon is not None and park.centre_lat is not None:
        return (park.centre_lon, park.centre_lat)
    return ring_centre(park.boundary)


def foundation(session: Session, *, scope: Scope, park: Park, risk: dict[int, str] | None = None) -> list[Feature]:
    """The park's own geometry: boundary, zones, parcels and buildings (each building with its height, floors,
    use, risk colour and page), as the caller may read them."""
    query = ListQuery(filters={"park_id": park.id})
    features: list[Feature] = []
    if park.boundary:
        features.append(_feature(park.boundary, {"layer": "boundary", "name": park.name}))
    centres: dict[tuple[str, int], tuple[float, float]] = {}
    for zone in registry.all_rows(session, scope=scope, kind=KINDS["zone"], query=query):
        if zone.geometry:
            props = {
                "layer": "zone",
                "name": zone.name,
                "function": zone.function,
                "href": f"{kind_path('zone')}/{zone.id}",
            }
            features.append(_feature(zone.geometry, props, zone.id))
            _remember(centres, ("zone", zone.id), zone.geometry)
    for parcel in registry.all_rows(session, scope=scope, kind=KINDS["land_parcel"], query=query):
        if parcel.geometry:
            props = {
                "layer": "parcel",
                "name": parcel.code,
                "land_use": parcel.land_use,
                "href": f"{kind_path('land_parcel')}/{parcel.id}",
            }
            features.append(_feature(parcel.geometry, props, parcel.id))
            _remember(centres, ("parcel", parcel.id), parcel.geometry)
    park_spot = park_centre(session, park)
    buildings = registry.all_rows(session, scope=scope, kind=KINDS["building"], query=query)
    unplaced = 0
    for building in buildings:
        footprint = building.footprint
        derived = False
        if not footprint:  # on its parcel, else in its zone, else at the park's centre; side by side when several
            spot = (
                centres.get(("parcel", building.parcel_id or 0))
                or centres.get(("zone", building.zone_id or 0))
                or park_spot
            )
            if spot is not None:
                shift = unplaced * DERIVED_SPACING_M / METRES_PER_DEGREE
                footprint = derived_footprint((spot[0] + shift, spot[1]), building.gross_floor_area_m2, building.floors)
                derived = True
                unplaced += 1
        if not footprint:
            continue
        props = {
            "layer": "building",
            "name": building.name,
            "code": building.code,
            "use": building.use,
            "floors": building.floors,
            "height": building_height_m(building.use, building.floors),
            "risk": (risk or {}).get(building.id, "none"),
            "derived": derived,
            "href": f"{kind_path('building')}/{building.id}",
            "floors_href": f"/ioc/buildings/{building.id}",
        }
        features.append(_feature(footprint, props, building.id))
    return features


def device_states(session: Session, *, scope: Scope, park_id: int, alarmed: set[int]) -> list[Feature]:
    """Devices with a position, by state: `alarm` (an open alarm), `online` (a point reporting), `offline`, or
    `inactive` (not in service)."""
    columns: Any = select(Device.id, Device.name, Device.kind, Device.status, Device.lon, Device.lat)
    rows = session.execute(scope.readable(Device, columns).where(Device.park_id == park_id).order_by(Device.id)).all()
    # one join (telemetry's online rule needs the point's interval): the devices with a point reporting now
    online = set(
        session.scalars(
            select(Point.device_id)
            .join(PointLatest, PointLatest.point_id == Point.id)
            .where(Point.park_id == park_id, online_condition())
            .distinct()
        )
    )
    features: list[Feature] = []
    for row in rows:
        if row.lon is None or row.lat is None:
            continue
        if row.status != "active":
            state = "inactive"
        elif row.id in alarmed:
            state = "alarm"
        elif row.id in online:
            state = "online"
        else:
            state = "offline"
        props = {
            "layer": "device",
            "name": row.name,
            "kind": row.kind,
            "state": state,
            "href": f"{kind_path('device')}/{row.id}",
        }
        features.append(_feature(_point(row.lon, row.lat), props, row.id))
    return features


def alarm_features(
    alarms: list[dict[str, Any]], devices: dict[int, tuple[float, float]], buildings: dict[int, tuple[float, float]]
) -> list[Feature]:
    """Open alarms placed at their device, else at their building's centre (positions already in the map's datum)."""
    features: list[Feature] = []
    for alarm in alarms:
        where = devices.get(alarm.get("device_id") or 0) or buildings.get(alarm.get("building_id") or 0)
        if where is None:
            continue
        props = {
            "layer": "alarm",
            "name": alarm["message"],
            "severity": alarm["severity"],
            "state": alarm["state"],
            "href": f"/alarms/{alarm['id']}",
        }
        features.append(_feature(_point(*where), props, int(alarm["id"]), placed=True))
    return features


def car_park_features(occupancy: list[Any]) -> list[Feature]:
    features: list[Feature] = []
    for o in occupancy:
        share = (o.occupied + o.reserved) / o.capacity if o.capacity else 0.0
        props = {
            "layer": "car_park",
            "name": o.name,
            "capacity": o.capacity,
            "occupied": o.occupied,
            "free": o.free,
            "share": round(min(1.0, share), 3),
            "href": "/living/parking",
        }
        features.append(_feature(_point(o.lon, o.lat), props, o.car_park_id))
    return features


def delivery_features(deliveries: list[Any]) -> list[Feature]:
    """Each open delivery (`living.provides.current_deliveries`): a point where it is now (when known) and a line
    from there to its destination; both open the delivery's page."""
    features: list[Feature] = []
    for d in deliveries:
        props = {
            "layer": "delivery",
            "name": d.description or d.destination_name,
            "kind": d.kind,
            "state": d.state,
            "vehicle": d.vehicle,
            "destination": d.destination_name,
            "eta": d.eta.isoformat() if d.eta else None,
            "href": f"/living/deliveries/{d.delivery_id}",
        }
        at = d.at or d.destination
        features.append(_feature(_point(*at), props, d.delivery_id))
        if d.at is not None and tuple(d.at) != tuple(d.destination):
            line = {"type": "LineString", "coordinates": [list(d.at), list(d.destination)]}
            features.append(_feature(line, {**props, "layer": "delivery_route"}, d.delivery_id))
    return features
