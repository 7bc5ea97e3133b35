"""The demo park's roads and pipe networks, laid out around its buildings' footprints as GeoJSON lines (WGS-84):
a ring road round the built area with a central avenue; each pipe network a main along the ring and the avenue
(each at its own offset from the kerb, as the municipal standard GB 50289 separates pipes in a road) and a
service line from the nearest main to each building it serves."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

M_PER_DEG = 111_320.0  # metres per degree of latitude (and of longitude at the equator)


@dataclasses.dataclass(frozen=True)
class Footprint:
    use: str
    west: float
    south: float
    east: float
    north: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.west + self.east) / 2, (self.south + self.north) / 2


@dataclasses.dataclass(frozen=True)
class Layout:
    network: str
    material: str
    diameter_mm: int | None
    offset_m: float  # from the road's centre line, north (+) or south (-)
    serves: tuple[str, ...] | None  # building uses it reaches; None: every building


LAYOUTS: dict[str, Layout] = {
    "RD-01": Layout("road", "沥青混凝土", None, 0.0, ()),
    "PN-WS-01": Layout("water", "球墨铸铁管", 300, 6.0, None),
    "PN-DR-01": Layout("drainage", "高密度聚乙烯双壁波纹管", 600, -6.0, None),
    "PN-GS-01": Layout("gas", "聚乙烯燃气管", 160, 9.0, ("factory", "utility", "commercial")),
    "PN-PW-01": Layout("power", "改性聚丙烯电力排管", 200, -9.0, None),
    "PN-HT-01": Layout("heat", "预制直埋保温钢管", 250, 3.0, ("office", "dormitory", "commercial")),
}


def footprint(use: str, geometry: dict[str, Any] | None) -> Footprint | None:
    """A building's footprint box from its GeoJSON polygon."""
    if not geometry or geometry.get("type") != "Polygon":
        return None
    ring = geometry["coordinates"][0]
    lons, lats = [float(p[0]) for p in ring], [float(p[1]) for p in ring]
    return Footprint(use, min(lons), min(lats), max(lons), max(lats))


def lay_out(buildings: Sequence[Footprint]) -> dict[str, dict[str, Any]]:
    """Each network asset's geometry (by demo code), from the buildings' footprints; empty without buildings."""
    if not buildings:
        return {}
    west, east = min(b.west for b in buildings), max(b.east for b in buildings)
    south, north = min(b.south for b in buildings), max(b.north for b in buildings)
    lat0 = (south + north) / 2
    dlat = 1 / M_PER_DEG
    dlon = 1 / (M_PER_DEG * math.cos(math.radians(lat0)))
    margin = 25.0
    w, e = west - margin * dlon, east + margin * dlon
    s, n = south - margin * dlat, north + margin * dlat
    mid = lat0

    def r(value: float) -> float:
        return round(value, 7)

    found: dict[str, dict[str, Any]] = {}
    for code, layout in LAYOUTS.items():
        off = layout.offset_m * dlat
        inset = abs(layout.offset_m) * dlon
        # the mains: the ring (inside its kerb on the west/east sides) and the avenue
        ring = [
            [r(w + inset), r(s + off)],
            [r(e - inset), r(s + off)],
            [r(e - inset), r(n + off)],
            [r(w + inset), r(n + off)],
            [r(w + inset), r(s + off)],
        ]
        avenue = [[r(w + inset), r(mid + off)], [r(e - inset), r(mid + off)]]
        lines = [ring, avenue]
        for b in buildings:
            if layout.serves is not None and b.use not in layout.serves:
                continue
            cx, cy = b.centre
            main = min((s + off, mid + off, n + off), key=lambda lat: abs(lat - cy))
            edge = b.south if main < cy else b.north
            if abs(edge - main) > 1e-7:
                lines.append([[r(cx), r(main)], [r(cx), r(edge)]])
        found[code] = {"type": "MultiLineString", "coordinates": lines}
    return found
