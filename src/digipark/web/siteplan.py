"""The overview's site plan: zone and building polygons (GeoJSON lon/lat) projected into an SVG viewBox."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from typing import Any

WIDTH = 1000.0
MAX_HEIGHT = 640.0
PADDING = 16.0
ZONE_FUNCTIONS = ("industrial", "logistics", "office", "research", "living", "utility", "commercial", "green")


@dataclasses.dataclass(frozen=True)
class Shape:
    points: str  # SVG polygon points "x,y x,y ..."
    title: str
    css: str
    href: str | None = None
    label: str | None = None
    label_x: float = 0.0
    label_y: float = 0.0


@dataclasses.dataclass(frozen=True)
class SitePlan:
    width: float
    height: float
    zones: list[Shape]
    buildings: list[Shape]

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:.0f} {self.height:.0f}"


@dataclasses.dataclass(frozen=True)
class Feature:
    geometry: dict[str, Any]
    title: str
    css: str
    href: str | None = None
    label: str | None = None


def _outer_ring(geometry: dict[str, Any] | None) -> list[tuple[float, float]]:
    if not geometry or geometry.get("type") != "Polygon":
        return []
    rings = geometry.get("coordinates") or []
    if not rings:
        return []
    return [(float(p[0]), float(p[1])) for p in rings[0] if isinstance(p, list | tuple) and len(p) >= 2]


class Projection:
    """Equirectangular, x scaled by cos(latitude) at the centre, y flipped, fitted into the viewBox."""

    def __init__(self, rings: Iterable[list[tuple[float, float]]]) -> None:
        points = [p for ring in rings for p in ring]
        if not points:
            raise ValueError("nothing to project")
        lons = [p[0] for p in points]
        lats = [p[1] for p in points]
        self.min_lon, self.max_lat = min(lons), max(lats)
        self.k = math.cos(math.radians((min(lats) + max(lats)) / 2))
        span_x = max((max(lons) - self.min_lon) * self.k, 1e-9)
        span_y = max(self.max_lat - min(lats), 1e-9)
        self.scale = min((WIDTH - 2 * PADDING) / span_x, (MAX_HEIGHT - 2 * PADDING) / span_y)
        self.height = span_y * self.scale + 2 * PADDING
        self.offset_x = (WIDTH - span_x * self.scale) / 2

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return (self.offset_x + (lon - self.min_lon) * self.k * self.scale, PADDING + (self.max_lat - lat) * self.scale)


def _shape(feature: Feature, ring: list[tuple[float, float]], project: Projection) -> Shape:
    xy = [project(lon, lat) for lon, lat in ring]
    if len(xy) > 1 and xy[0] == xy[-1]:
        xy = xy[:-1]
    cx = sum(x for x, _ in xy) / len(xy)
    cy = sum(y for _, y in xy) / len(xy)
    return Shape(
        points=" ".join(f"{x:.1f},{y:.1f}" for x, y in xy),
        title=feature.title,
        css=feature.css,
        href=feature.href,
        label=feature.label,
        label_x=round(cx, 1),
        label_y=round(cy, 1),
    )


def build(zones: list[Feature], buildings: list[Feature]) -> SitePlan | None:
    """Project the features; None when none of them has a geometry."""
    zone_rings = [(f, _outer_ring(f.geometry)) for f in zones]
    building_rings = [(f, _outer_ring(f.geometry)) for f in buildings]
    zone_rings = [(f, r) for f, r in zone_rings if len(r) >= 3]
    building_rings = [(f, r) for f, r in building_rings if len(r) >= 3]
    if not zone_rings and not building_rings:
        return None
    project = Projection(r for _, r in (*zone_rings, *building_rings))
    return SitePlan(
        width=WIDTH,
        height=round(project.height, 1),
        zones=[_shape(f, r, project) for f, r in zone_rings],
        buildings=[_shape(f, r, project) for f, r in building_rings],
    )


def zone_css(function: str | None) -> str:
    return f"zone zone-{function}" if function in ZONE_FUNCTIONS else "zone zone-other"
