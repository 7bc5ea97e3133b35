"""The asset map (MapLibre, the same vendored library as the park map): the park's buildings as the base, roads and
pipe networks as lines coloured by network, and the located assets as points (at their building's or land parcel's
centre; a machine flagged for maintenance in red). A click on a line or a point opens the asset's page. Also the
registry sync (land and buildings into the register) as a page step."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from digipark.assets import geo, monitoring, registry_sync, service
from digipark.assets.models import Asset
from digipark.core.errors import NotFound
from digipark.registry.models import Building, LandParcel
from digipark.web import vendor
from digipark.web.i18n import N_
from digipark.web.overview import json_script
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)

NETWORK_COLOURS = {
    "road": "#475569",
    "water": "#2563eb",
    "drainage": "#7c3aed",
    "gas": "#f59e0b",
    "power": "#dc2626",
    "heat": "#ea580c",
}
NETWORK_NAMES = {
    "road": N_("Road"),
    "water": N_("Water supply"),
    "drainage": N_("Drainage"),
    "gas": N_("Gas"),
    "power": N_("Power cables"),
    "heat": N_("District heating"),
}
NETWORK_WIDTHS = {"road": 7}


def _park(page: Page) -> int:
    page.scope.require(service.VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    return int(page.park.id)


def _feature(geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def layers(page: Page, park_id: int) -> dict[str, Any]:
    """The map's GeoJSON: buildings, lines and points, and the bounds of all of them."""
    buildings = list(page.db.scalars(page.scope.readable(Building).where(Building.park_id == park_id)))
    centres = {b.id: geo.centre(b.footprint) for b in buildings}
    parcels = {
        p.id: geo.centre(p.geometry)
        for p in page.db.scalars(page.scope.readable(LandParcel).where(LandParcel.park_id == park_id))
    }
    outlook = monitoring.latest_predictions(page.db, scope=page.scope, park_id=park_id)
    flagged = {p.asset_id for p in outlook.values() if p.recommend}
    assets = list(page.db.scalars(page.scope.readable(Asset).where(Asset.park_id == park_id).order_by(Asset.code)))
    lines, points = [], []
    placed: dict[tuple[float, float], int] = {}
    for a in assets:
        href = f"/assets/{a.id}"
        if a.geometry:
            lines.append(
                _feature(
                    a.geometry,
                    name=page.name(a),
                    href=href,
                    id=a.id,
                    network=a.network or "",
                    label=page.gettext(NETWORK_NAMES.get(a.network or "", "")) if a.network else "",
                )
            )
            continue
        at = centres.get(a.building_id) if a.building_id else None
        at = at or (parcels.get(a.land_parcel_id) if a.land_parcel_id else None)
        if at is None:
            continue
        n = placed.get(at, 0)  # several assets in one building: on a small circle round its centre
        placed[at] = n + 1
        lon, lat = at
        if n:
            angle = n * 2.4
            radius = 6e-5 * math.sqrt(n)
            lon, lat = lon + radius * math.cos(angle), lat + radius * math.sin(angle)
        points.append(
            _feature(
                {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
                name=page.name(a),
                href=href,
                id=a.id,
                flagged=a.id in flagged,
            )
        )
    base = [_feature(b.footprint, name=page.name(b)) for b in buildings if b.footprint]
    xs: list[float] = []
    ys: list[float] = []

    def walk(value: Any) -> None:
        if isinstance(value, list) and value and isinstance(value[0], int | float):
            xs.append(float(value[0]))
            ys.append(float(value[1]))
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for f in [*base, *lines, *points]:
        walk(f["geometry"]["coordinates"])
    bounds = [[min(xs), min(ys)], [max(xs), max(ys)]] if xs else None
    return {
        "buildings": {"type": "FeatureCollection", "features": base},
        "lines": {"type": "FeatureCollection", "features": lines},
        "points": {"type": "FeatureCollection", "features": points},
        "bounds": bounds,
    }


def style(data: dict[str, Any]) -> dict[str, Any]:
    """A MapLibre style of the layers (no tiles, fonts or sprites: works on a closed intranet)."""
    colour: list[Any] = ["match", ["get", "network"]]
    width: list[Any] = ["match", ["get", "network"]]
    for key, value in NETWORK_COLOURS.items():
        colour += [key, value]
        width += [key, NETWORK_WIDTHS.get(key, 2.5)]
    return {
        "version": 8,
        "sources": {name: {"type": "geojson", "data": data[name]} for name in ("buildings", "lines", "points")},
        "layers": [
            {"id": "background", "type": "background", "paint": {"background-color": "#eef2f6"}},
            {
                "id": "buildings",
                "type": "fill",
                "source": "buildings",
                "paint": {"fill-color": "#cbd5e1", "fill-outline-color": "#64748b"},
            },
            {
                "id": "lines",
                "type": "line",
                "source": "lines",
                "layout": {"line-cap": "round", "line-join": "round"},
                "paint": {"line-color": [*colour, "#0f172a"], "line-width": [*width, 2.5], "line-opacity": 0.85},
            },
            {
                "id": "points",
                "type": "circle",
                "source": "points",
                "paint": {
                    "circle-radius": 6,
                    "circle-color": ["case", ["get", "flagged"], "#dc2626", "#0ea5e9"],
                    "circle-stroke-color": "#ffffff",
                    "circle-stroke-width": 1.5,
                },
            },
        ],
    }


@router.get("/assets/map", response_class=HTMLResponse, name="asset_map")
def map_page(page: CurrentPage) -> HTMLResponse:
    park_id = _park(page)
    data = layers(page, park_id)
    counts: dict[str, int] = {}
    for f in data["lines"]["features"]:
        counts[f["properties"]["network"]] = counts.get(f["properties"]["network"], 0) + 1
    return page.render(
        "assets/map.html",
        {
            "map_style": json_script(style(data)),
            "map_bounds": json_script(data["bounds"]),
            "texts": json_script(
                {
                    "open": page.gettext("Open page"),
                    "no_map": page.gettext("The map library is not installed; the map cannot be shown."),
                    "no_webgl": page.gettext("This browser cannot draw the 3D map (WebGL is off)."),
                }
            ),
            "has_maplibre": vendor.available("maplibre-gl.mjs"),
            "networks": [(k, page.gettext(NETWORK_NAMES[k]), c, counts.get(k, 0)) for k, c in NETWORK_COLOURS.items()],
            "points": len(data["points"]["features"]),
        },
    )


@router.post("/assets/registry-sync", name="assets_registry_sync")
def registry_sync_step(page: CurrentPage, fields: FormFields) -> Response:
    """Bring the park's land parcels and buildings into the register; back to the list with the counts."""
    _park(page)
    page.check_csrf(fields)
    with page.db.begin_nested():
        result = registry_sync.sync_registry(page.db, scope=page.scope)
    return RedirectResponse(f"/assets?synced={result.created}-{result.updated}-{result.unchanged}", status_code=303)
