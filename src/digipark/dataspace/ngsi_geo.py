"""NGSI-LD geo-queries (ETSI GS CIM 009 §4.10): `georel`, `geometry`, `coordinates` and `geoproperty` (default
`location`) of a query. The subset:

- `near;maxDistance==<m>` / `near;minDistance==<m>` with a `Point`: the great-circle distance (WGS 84 mean radius)
  from the point to the entity's geometry — a point's own distance, for a line or polygon the nearest of its
  vertices, 0 when the point lies inside the polygon;
- `within` with a `Polygon`: every vertex of the entity's geometry lies inside the polygon (its first ring;
  holes are not considered);
- `intersects` with a `Point` or `Polygon`: a vertex of either lies inside the other, or the geometries are the
  same point.

Coordinates are `[longitude, latitude]` in degrees, as GeoJSON. Other relations (equals, disjoint, contains,
overlaps) answer BadRequestData ("not supported"), never a wrong match."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from typing import Any

from digipark.dataspace.ngsi_context import NgsiError, bad

EARTH_RADIUS_M = 6_371_008.8
GEOMETRIES = ("Point", "Polygon")
RELATIONS = ("near", "within", "intersects")


@dataclasses.dataclass(frozen=True)
class GeoQuery:
    relation: str
    geometry: str
    coordinates: Any
    max_distance: float | None = None
    min_distance: float | None = None
    geoproperty: str = "location"


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise bad("georel: %(name)s is a number of metres", name=name) from exc
    if not math.isfinite(value) or value < 0:
        raise bad("georel: %(name)s is a number of metres, 0 or more", name=name)
    return value


def _position(value: Any) -> tuple[float, float]:
    if (
        not isinstance(value, list)
        or len(value) < 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value[:2])
    ):
        raise bad("coordinates: a position is [longitude, latitude]")
    lon, lat = float(value[0]), float(value[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise bad("coordinates: longitude within ±180, latitude within ±90")
    return lon, lat


def parse(
    georel: str | None, geometry: str | None, coordinates: str | None, geoproperty: str | None
) -> GeoQuery | None:
    if georel is None and geometry is None and coordinates is None:
        return None
    if not georel or not geometry or not coordinates:
        raise bad("a geo-query needs georel, geometry and coordinates")
    parts = georel.split(";")
    relation = parts[0]
    if relation not in RELATIONS:
        raise bad(
            "georel %(relation)s is not supported (supported: %(value)s)",
            relation=repr(relation[:40]),
            value=", ".join(RELATIONS),
        )
    if geometry not in GEOMETRIES:
        raise bad(
            "geometry %(geometry)s is not supported (supported: %(value)s)",
            geometry=repr(geometry[:40]),
            value=", ".join(GEOMETRIES),
        )
    try:
        raw = json.loads(coordinates)
    except ValueError as exc:
        raise bad("coordinates: a JSON array") from exc
    shape = _position(raw) if geometry == "Point" else _ring(raw)
    max_d = min_d = None
    for modifier in parts[1:]:
        name, sep, value = modifier.partition("==")
        if not sep or name not in ("maxDistance", "minDistance") or relation != "near":
            raise bad(
                "georel: %(modifier)s is not a modifier of %(relation)s",
                modifier=repr(modifier[:40]),
                relation=relation,
            )
        if name == "maxDistance":
            max_d = _number(value, name)
        else:
            min_d = _number(value, name)
    if relation == "near" and (geometry != "Point" or (max_d is None and min_d is None)):
        raise bad("near needs a Point and maxDistance or minDistance")
    if relation == "within" and geometry != "Polygon":
        raise bad("within needs a Polygon")
    return GeoQuery(relation, geometry, shape, max_d, min_d, geoproperty or "location")


def _ring(value: Any) -> list[tuple[float, float]]:
    if not isinstance(value, list) or not value or not isinstance(value[0], list):
        raise bad("coordinates: a Polygon is [[[lon, lat], ...]]")
    ring = [_position(p) for p in value[0]]
    if len(ring) < 4 or ring[0] != ring[-1]:
        raise bad("coordinates: a Polygon's ring has at least four positions, the last the first")
    return ring


def _vertices(geometry: Any) -> tuple[str, list[tuple[float, float]]] | None:
    """The entity's geometry as its kind and vertices (None: not a geometry this subset reads)."""
    if not isinstance(geometry, dict):
        return None
    kind: Any = geometry.get("type")
    coords: Any = geometry.get("coordinates")
    try:
        if kind == "Point":
            return "Point", [_position(coords)]
        if kind in ("LineString", "MultiPoint"):
            return kind, [_position(p) for p in coords]
        if kind == "Polygon":
            return kind, [_position(p) for p in coords[0]]
    except (TypeError, IndexError, KeyError, NgsiError):  # a malformed stored geometry matches nothing
        return None
    return None


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine) in metres between two [lon, lat] positions."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def inside(point: tuple[float, float], ring: list[tuple[float, float]]) -> bool:
    """Ray casting in the lon/lat plane (a park's polygons are small); a point on an edge may fall either way."""
    x, y = point
    found = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            found = not found
    return found


def matches(query: GeoQuery, geometry: Any) -> bool:
    shape = _vertices(geometry)
    if shape is None:
        return False
    kind, vertices = shape
    if query.relation == "near":
        point: tuple[float, float] = query.coordinates
        within = kind == "Polygon" and inside(point, vertices)
        nearest = 0.0 if within else min(distance_m(point, v) for v in vertices)
        if query.max_distance is not None and nearest > query.max_distance:
            return False
        return query.min_distance is None or nearest >= query.min_distance
    if query.relation == "within":
        return all(inside(v, query.coordinates) for v in vertices)
    # intersects
    if query.geometry == "Point":
        point = query.coordinates
        if kind == "Polygon":
            return inside(point, vertices)
        return point in vertices
    ring: list[tuple[float, float]] = query.coordinates
    if any(inside(v, ring) for v in vertices):
        return True
    return kind == "Polygon" and any(inside(v, vertices) for v in ring)


__all__ = ["GeoQuery", "distance_m", "inside", "matches", "parse"]
