"""Plane geometry of a generated park: rectangles in metres east/north of an origin, turned into GeoJSON.

A park this size (a few kilometres) is flat enough for an equirectangular projection around its origin.
"""

from __future__ import annotations

import dataclasses
import math
import random
from typing import Any

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in metres, x east, y north

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_320.0


@dataclasses.dataclass(frozen=True)
class Frame:
    """Local metres around (lon0, lat0), the south-west corner of the park."""

    lon0: float
    lat0: float

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        m_per_deg_lon = _M_PER_DEG_LON_EQUATOR * math.cos(math.radians(self.lat0))
        return round(self.lon0 + x / m_per_deg_lon, 7), round(self.lat0 + y / _M_PER_DEG_LAT, 7)

    def polygon(self, rect: Rect) -> dict[str, Any]:
        x0, y0, x1, y1 = rect
        ring = [list(self.lonlat(x, y)) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))]
        return {"type": "Polygon", "coordinates": [ring]}


def area(rect: Rect) -> float:
    x0, y0, x1, y1 = rect
    return (x1 - x0) * (y1 - y0)


def centre(rect: Rect) -> tuple[float, float]:
    x0, y0, x1, y1 = rect
    return (x0 + x1) / 2, (y0 + y1) / 2


def shrink(rect: Rect, margin: float) -> Rect:
    x0, y0, x1, y1 = rect
    return x0 + margin, y0 + margin, x1 - margin, y1 - margin


def grid(rect: Rect, columns: int, rows: int, gap: float) -> list[Rect]:
    """Cells of a grid, row by row from the north-west corner, separated by `gap` metres."""
    x0, y0, x1, y1 = rect
    width = (x1 - x0 - gap * (columns - 1)) / columns
    depth = (y1 - y0 - gap * (rows - 1)) / rows
    cells: list[Rect] = []
    for row in range(rows):
        top = y1 - row * (depth + gap)
        for column in range(columns):
            left = x0 + column * (width + gap)
            cells.append((left, top - depth, left + width, top))
    return cells


def split(rect: Rect, parts: int, gap: float) -> list[Rect]:
    """Cut a rectangle into `parts` slots along its longer side."""
    x0, y0, x1, y1 = rect
    if x1 - x0 >= y1 - y0:
        return grid(rect, parts, 1, gap)
    return grid(rect, 1, parts, gap)


def place(rng: random.Random, slot: Rect, share: tuple[float, float], margin: float = 10.0) -> Rect:
    """A building footprint taking `share` of the slot's width and depth, somewhere inside the slot."""
    x0, y0, x1, y1 = shrink(slot, margin)
    width = (x1 - x0) * rng.uniform(*share)
    depth = (y1 - y0) * rng.uniform(*share)
    left = x0 + rng.uniform(0, x1 - x0 - width)
    bottom = y0 + rng.uniform(0, y1 - y0 - depth)
    return round(left, 1), round(bottom, 1), round(left + width, 1), round(bottom + depth, 1)


def inside(inner: Rect, outer: Rect) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
