"""Small GeoJSON helpers: polygon validation and planar area on a local projection (WGS84 lon/lat)."""

from __future__ import annotations

import math
from typing import Any

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean Earth radius


class GeometryError(ValueError):
    pass


def _ring(points: Any) -> list[tuple[float, float]]:
    if not isinstance(points, list) or len(points) < 4:
        raise GeometryError("a polygon ring needs at least 4 positions (closed)")
    ring: list[tuple[float, float]] = []
    for position in points:
        if (
            not isinstance(position, list | tuple)
            or len(position) < 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position[:2])
        ):
            raise GeometryError("each position must be [longitude, latitude]")
        lon, lat = float(position[0]), float(position[1])
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise GeometryError(f"position [{lon}, {lat}] is outside longitude/latitude range")
        ring.append((lon, lat))
    if ring[0] != ring[-1]:
        raise GeometryError("a polygon ring must end where it starts")
    return ring


def validate_polygon(geometry: Any) -> dict[str, Any]:
    """Accept a GeoJSON Polygon (or a Feature wrapping one); return the Polygon geometry."""
    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
        raise GeometryError("expected a GeoJSON Polygon")
    rings = geometry.get("coordinates")
    if not isinstance(rings, list) or not rings:
        raise GeometryError("a Polygon needs coordinates: a list of rings")
    return {"type": "Polygon", "coordinates": [[list(p) for p in _ring(r)] for r in rings]}


def _planar_ring_area(ring: list[tuple[float, float]], lat0: float) -> float:
    k = math.pi / 180 * EARTH_RADIUS_M
    xs = [lon * k * math.cos(math.radians(lat0)) for lon, _ in ring]
    ys = [lat * k for _, lat in ring]
    return abs(sum(xs[i] * ys[i + 1] - xs[i + 1] * ys[i] for i in range(len(ring) - 1))) / 2


def polygon_area_m2(geometry: dict[str, Any]) -> float:
    """Area of a park-sized polygon in m² (outer ring minus holes), on an equirectangular projection."""
    rings = [_ring(r) for r in validate_polygon(geometry)["coordinates"]]
    lat0 = sum(lat for _, lat in rings[0]) / len(rings[0])
    outer = _planar_ring_area(rings[0], lat0)
    return outer - sum(_planar_ring_area(r, lat0) for r in rings[1:])


def bounds(geometries: list[dict[str, Any]]) -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) of polygons' outer rings."""
    lons: list[float] = []
    lats: list[float] = []
    for geometry in geometries:
        for lon, lat in geometry["coordinates"][0]:
            lons.append(lon)
            lats.append(lat)
    if not lons:
        return None
    return min(lons), min(lats), max(lons), max(lats)
