"""China's three coordinate systems and the conversions between them.

- WGS-84: GPS, what the registry stores (`lon`, `lat` of parks, zones, buildings, devices) and what MapLibre draws;
- GCJ-02 (国测局坐标, "Mars coordinates"): the datum every map published in China must use (AutoNavi/Gaode, Tencent);
- BD-09: Baidu's further offset of GCJ-02.

The formulas are the published, "public secret" ones as implemented by the `prcoords` package (People's Rectified
Coordinates, Mingye Wang, CC0; https://pypi.org/project/prcoords/), which also gives the iterative inverse
(Cai Jun 2014) that brings GCJ-02 and BD-09 back to WGS-84 to well under a metre. Outside China the offsets are not
applied (the datum is the same there): a point outside the country's bounding box comes back unchanged.

Every function takes and returns (lon, lat) — the GeoJSON and MapLibre order — whereas `prcoords` uses (lat, lon).
`tests/ioc/test_coords.py` checks them against published reference points (tests/ioc/data/coords_reference.json).
"""

from __future__ import annotations

import enum
import math
import warnings
from collections.abc import Callable
from typing import Any

import prcoords

LonLat = tuple[float, float]
EARTH_RADIUS_M = 6_371_008.8  # IUGG mean Earth radius, for the distance between two nearby points


class CRS(enum.StrEnum):
    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


def in_china(lon: float, lat: float) -> bool:
    """Inside the rough bounding box of China where the offsets apply (prcoords' `sanity_in_china_p`)."""
    return bool(prcoords.sanity_in_china_p(prcoords.Coords(lat, lon)))


def _wrap(func: Callable[..., Any]) -> Callable[[float, float], LonLat]:
    def convert(lon: float, lat: float) -> LonLat:
        if not (math.isfinite(lon) and math.isfinite(lat)) or not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError(f"not a longitude/latitude pair: {lon!r}, {lat!r}")
        if not in_china(lon, lat):
            return (lon, lat)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = func(prcoords.Coords(lat, lon))
        return (float(result.lon), float(result.lat))

    convert.__doc__ = func.__doc__
    return convert


wgs84_to_gcj02 = _wrap(prcoords.wgs_gcj)
gcj02_to_wgs84 = _wrap(prcoords.gcj_wgs_bored)  # the precise (iterative) inverse
gcj02_to_bd09 = _wrap(prcoords.gcj_bd)
bd09_to_gcj02 = _wrap(prcoords.bd_gcj_bored)
wgs84_to_bd09 = _wrap(prcoords.wgs_bd)
bd09_to_wgs84 = _wrap(prcoords.bd_wgs_bored)

_CONVERSIONS: dict[tuple[CRS, CRS], Callable[[float, float], LonLat]] = {
    (CRS.WGS84, CRS.GCJ02): wgs84_to_gcj02,
    (CRS.GCJ02, CRS.WGS84): gcj02_to_wgs84,
    (CRS.GCJ02, CRS.BD09): gcj02_to_bd09,
    (CRS.BD09, CRS.GCJ02): bd09_to_gcj02,
    (CRS.WGS84, CRS.BD09): wgs84_to_bd09,
    (CRS.BD09, CRS.WGS84): bd09_to_wgs84,
}


def convert(lon: float, lat: float, *, source: CRS | str, target: CRS | str) -> LonLat:
    """(lon, lat) in `source` to `target` (a ValueError for an unknown system or a point off the globe)."""
    src, dst = CRS(source), CRS(target)
    if src == dst:
        return (lon, lat)
    return _CONVERSIONS[src, dst](lon, lat)


def convert_geometry(geometry: dict[str, Any], *, source: CRS | str, target: CRS | str) -> dict[str, Any]:
    """A GeoJSON geometry with every position converted (a new dict; the input is left as it is)."""

    def walk(coords: Any) -> Any:
        if coords and isinstance(coords[0], int | float):
            lon, lat = convert(float(coords[0]), float(coords[1]), source=source, target=target)
            return [lon, lat, *coords[2:]]
        return [walk(c) for c in coords]

    if geometry.get("type") == "GeometryCollection":
        return {
            **geometry,
            "geometries": [convert_geometry(g, source=source, target=target) for g in geometry["geometries"]],
        }
    return {**geometry, "coordinates": walk(geometry["coordinates"])}


def distance_m(a: LonLat, b: LonLat) -> float:
    """Great-circle (haversine) distance in metres between two (lon, lat) points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))
