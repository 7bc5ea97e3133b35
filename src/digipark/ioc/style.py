"""The MapLibre style of the park map, built from the park's own geometry (no fonts, sprites or tiles needed, so it
works on a closed intranet), with the operator's raster base layer underneath when one is configured.

Layers from the bottom: background, base tiles (optional), zones by function, parcels' outlines, the park boundary,
car parks by occupancy, buildings extruded to their height (coloured by risk when the safety picture gives one, else
by use), devices by state, open deliveries (where each is, a dashed line to where it goes), open alarms. Labels are
not drawn by the map (they would need glyph files): a click opens a popup naming the object, with a link to its page."""

from __future__ import annotations

from typing import Any

from digipark.core.config import get_settings
from digipark.ioc import tiles

ZONE_COLOURS = {  # as the overview's site plan (web/static/css/app.css .zone-*)
    "industrial": "#3b82f6",
    "logistics": "#f59e0b",
    "office": "#8b5cf6",
    "research": "#06b6d4",
    "living": "#22c55e",
    "utility": "#f97316",
    "commercial": "#ec4899",
    "green": "#16a34a",
}
OTHER_ZONE = "#64748b"
RISK_COLOURS = {"red": "#dc2626", "orange": "#f97316", "yellow": "#eab308", "blue": "#3b82f6"}
USE_COLOURS = {"factory": "#94a3b8", "warehouse": "#a8a29e", "office": "#cbd5e1", "dormitory": "#d6d3d1"}
BUILDING_DEFAULT = "#b6c2d1"
DEVICE_COLOURS = {"online": "#22c55e", "offline": "#94a3b8", "alarm": "#ef4444", "inactive": "#475569"}
SEVERITY_COLOURS = {
    "critical": "#ef4444",
    "major": "#f97316",
    "minor": "#eab308",
    "warning": "#facc15",
    "info": "#38bdf8",
}
SOURCES = ("park", "devices", "alarms", "car_parks", "deliveries")
DELIVERY_COLOURS = {"waiting": "#94a3b8", "planned": "#a855f7", "picked_up": "#14b8a6"}


# the energy heat layer: a building's load now as a share of the park's most loaded building, blue → amber → red;
# grey without a meter reporting
ENERGY_HEAT: list[Any] = [
    "case",
    ["==", ["typeof", ["get", "load_share"]], "number"],
    ["interpolate", ["linear"], ["get", "load_share"], 0, "#1d4ed8", 0.5, "#f59e0b", 1, "#dc2626"],
    "#475569",
]


def _match(prop: str, colours: dict[str, str], default: str) -> list[Any]:
    expression: list[Any] = ["match", ["get", prop]]
    for key, colour in colours.items():
        expression += [key, colour]
    return [*expression, default]


def _layer_filter(name: str) -> list[Any]:
    return ["==", ["get", "layer"], name]


def build(data: dict[str, Any], *, dark: bool = False, pitch: float = 55.0, bearing: float = -20.0) -> dict[str, Any]:
    """The style for the layers of `service.map_layers` (embedded as GeoJSON sources)."""
    settings = get_settings()
    sources: dict[str, Any] = {name: {"type": "geojson", "data": data["layers"][name]} for name in SOURCES}
    layers: list[dict[str, Any]] = [
        {"id": "background", "type": "background", "paint": {"background-color": "#0b1220" if dark else "#eef2f6"}}
    ]
    file = tiles.configured()
    if file is not None:
        name = "base-file" if settings.map_tile_url else "base"
        sources[name] = tiles.source(file, settings.map_tile_attribution)
        layers.append({"id": name, "type": "raster", "source": name, "paint": {"raster-opacity": 0.85}})
    if settings.map_tile_url:
        sources["base"] = {
            "type": "raster",
            "tiles": [settings.map_tile_url],
            "tileSize": 256,
            "attribution": settings.map_tile_attribution,
        }
        layers.append({"id": "base", "type": "raster", "source": "base", "paint": {"raster-opacity": 0.85}})
    building_colour = [
        "case",
        ["in", ["get", "risk"], ["literal", list(RISK_COLOURS)]],
        _match("risk", RISK_COLOURS, BUILDING_DEFAULT),
        _match("use", USE_COLOURS, BUILDING_DEFAULT),
    ]
    layers += [
        {
            "id": "zones",
            "type": "fill",
            "source": "park",
            "filter": _layer_filter("zone"),
            "paint": {"fill-color": _match("function", ZONE_COLOURS, OTHER_ZONE), "fill-opacity": 0.22},
        },
        {
            "id": "zone-outlines",
            "type": "line",
            "source": "park",
            "filter": _layer_filter("zone"),
            "paint": {"line-color": _match("function", ZONE_COLOURS, OTHER_ZONE), "line-width": 1.5},
        },
        {
            "id": "parcels",
            "type": "line",
            "source": "park",
            "filter": _layer_filter("parcel"),
            "paint": {"line-color": "#94a3b8", "line-width": 0.8, "line-dasharray": [2, 2]},
        },
        {
            "id": "boundary",
            "type": "line",
            "source": "park",
            "filter": _layer_filter("boundary"),
            "paint": {"line-color": "#38bdf8" if dark else "#0369a1", "line-width": 2.5},
        },
        {
            "id": "car-parks",
            "type": "circle",
            "source": "car_parks",
            "paint": {
                "circle-radius": 11,
                "circle-color": [
                    "interpolate",
                    ["linear"],
                    ["get", "share"],
                    0,
                    "#22c55e",
                    0.7,
                    "#eab308",
                    1,
                    "#ef4444",
                ],
                "circle-opacity": 0.85,
                "circle-stroke-color": "#ffffff",
                "circle-stroke-width": 2,
            },
        },
        {
            "id": "buildings",
            "type": "fill-extrusion",
            "source": "park",
            "filter": _layer_filter("building"),
            "paint": {
                "fill-extrusion-color": building_colour,
                "fill-extrusion-height": ["get", "height"],
                "fill-extrusion-base": 0,
                "fill-extrusion-opacity": 0.9,
            },
        },
        {
            "id": "devices",
            "type": "circle",
            "source": "devices",
            "paint": {
                "circle-radius": ["interpolate", ["linear"], ["zoom"], 14, 2.5, 18, 6],
                "circle-color": _match("state", DEVICE_COLOURS, "#94a3b8"),
                "circle-stroke-color": "#0f172a" if dark else "#ffffff",
                "circle-stroke-width": 0.8,
                "circle-pitch-alignment": "map",
            },
        },
        {
            "id": "delivery-routes",
            "type": "line",
            "source": "deliveries",
            "filter": _layer_filter("delivery_route"),
            "paint": {
                "line-color": _match("state", DELIVERY_COLOURS, "#a855f7"),
                "line-width": 2,
                "line-dasharray": [2, 1.5],
            },
        },
        {
            "id": "deliveries",
            "type": "circle",
            "source": "deliveries",
            "filter": _layer_filter("delivery"),
            "paint": {
                "circle-radius": 6,
                "circle-color": _match("state", DELIVERY_COLOURS, "#a855f7"),
                "circle-stroke-color": "#ffffff",
                "circle-stroke-width": 1.5,
            },
        },
        {
            "id": "alarms",
            "type": "circle",
            "source": "alarms",
            "paint": {
                "circle-radius": 9,
                "circle-color": _match("severity", SEVERITY_COLOURS, "#ef4444"),
                "circle-opacity": 0.35,
                "circle-stroke-color": _match("severity", SEVERITY_COLOURS, "#ef4444"),
                "circle-stroke-width": 2.5,
            },
        },
    ]
    style: dict[str, Any] = {"version": 8, "name": "digipark park", "sources": sources, "layers": layers}
    # the buildings' colourings a map view chooses between (the operations screen's views)
    style["metadata"] = {
        "digipark:building-colours": {
            "risk": building_colour,
            "use": _match("use", USE_COLOURS, BUILDING_DEFAULT),
            "energy": ENERGY_HEAT,
        }
    }
    if data.get("centre"):
        style["center"] = data["centre"]
        style["zoom"] = 16
    style["pitch"] = pitch
    style["bearing"] = bearing
    return style
