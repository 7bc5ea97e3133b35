"""Roads and pipe networks as GeoJSON lines (RFC 7946): a LineString or MultiLineString in WGS-84 longitude/latitude,
checked before it is stored; and the register's map layers — the located assets as points (a building's or land
parcel's centre, the middle of a line) and the networks as lines."""

from __future__ import annotations

import enum
import itertools
import math
from typing import Any

MAX_POSITIONS = 5000


class Network(enum.StrEnum):
    ROAD = "road"
    WATER = "water"  # 给水
    DRAINAGE = "drainage"  # 排水 (rain and sewage)
    GAS = "gas"
    POWER = "power"  # cable ducts
    HEAT = "heat"


def _position(value: Any, where: str) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) not in (2, 3):
        raise ValueError(f"{where}: a position is [longitude, latitude] (optionally with an elevation)")
    numbers = []
    for n in value:
        if isinstance(n, bool) or not isinstance(n, int | float) or not math.isfinite(n):
            raise ValueError(f"{where}: coordinates are finite numbers")
        numbers.append(float(n))
    lon, lat = numbers[0], numbers[1]
    if not -180 <= lon <= 180 or not -90 <= lat <= 90:
        raise ValueError(f"{where}: longitude must lie in [-180, 180] and latitude in [-90, 90] (WGS-84)")
    return lon, lat


def _line(value: Any, where: str) -> list[tuple[float, float]]:
    if not isinstance(value, list | tuple) or len(value) < 2:
        raise ValueError(f"{where}: a line has at least two positions")
    return [_position(p, f"{where}[{n}]") for n, p in enumerate(value)]


def check_line_geometry(value: Any) -> dict[str, Any]:
    """The geometry if it is a valid GeoJSON LineString or MultiLineString in WGS-84 range; ValueError if not."""
    if not isinstance(value, dict):
        raise ValueError("geometry must be a GeoJSON object")
    kind = value.get("type")
    coordinates = value.get("coordinates")
    extra = set(value) - {"type", "coordinates", "bbox"}
    if extra:
        raise ValueError(f"geometry has unknown members: {', '.join(sorted(extra))}")
    if kind == "LineString":
        lines = [_line(coordinates, "coordinates")]
    elif kind == "MultiLineString":
        if not isinstance(coordinates, list | tuple) or not coordinates:
            raise ValueError("coordinates: a MultiLineString has at least one line")
        lines = [_line(c, f"coordinates[{n}]") for n, c in enumerate(coordinates)]
    else:
        raise ValueError("geometry must be a LineString or a MultiLineString")
    if sum(len(line) for line in lines) > MAX_POSITIONS:
        raise ValueError(f"geometry has more than {MAX_POSITIONS} positions")
    if kind == "LineString":
        return {"type": "LineString", "coordinates": [list(p) for p in lines[0]]}
    return {"type": "MultiLineString", "coordinates": [[list(p) for p in line] for line in lines]}


def line_length_m(geometry: dict[str, Any]) -> float:
    """The length of a line geometry in metres (haversine on a sphere of 6 371 008.8 m)."""
    lines = [geometry["coordinates"]] if geometry["type"] == "LineString" else geometry["coordinates"]
    total = 0.0
    for line in lines:
        for (lon1, lat1, *_), (lon2, lat2, *_) in itertools.pairwise(line):
            p1, p2 = math.radians(lat1), math.radians(lat2)
            dp, dl = p2 - p1, math.radians(lon2 - lon1)
            a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
            total += 2 * 6371008.8 * math.asin(math.sqrt(a))
    return total


def centre(geometry: dict[str, Any] | None) -> tuple[float, float] | None:
    """A representative point of a GeoJSON geometry: the mean of its positions (None when it has none)."""
    if not geometry:
        return None
    found: list[tuple[float, float]] = []

    def walk(value: Any) -> None:
        if isinstance(value, list | tuple) and value and isinstance(value[0], int | float):
            found.append((float(value[0]), float(value[1])))
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(geometry.get("coordinates"))
    if not found:
        return None
    return sum(p[0] for p in found) / len(found), sum(p[1] for p in found) / len(found)
