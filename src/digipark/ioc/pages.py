"""The operations centre's pages: the park map, the operations screen (大屏), their JSON and the screen's live
stream. Read-only: nothing here writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse

from digipark.core.errors import NotFound
from digipark.dashboards import provides as dashboards
from digipark.ioc import floors, live, service, style
from digipark.web import vendor
from digipark.web.i18n import N_
from digipark.web.overview import json_script
from digipark.web.shell import CurrentPage, Page, chosen_theme, kind_path

router = APIRouter(include_in_schema=False)

DEVICE_STATES = {
    "online": N_("Online now"),
    "offline": N_("Offline"),
    "alarm": N_("In alarm"),
    "inactive": N_("Out of service"),
}
RISK_LEVELS = {
    "red": N_("Major risk"),
    "orange": N_("High risk"),
    "yellow": N_("Moderate risk"),
    "blue": N_("Low risk"),
}
DELIVERY_STATES = {"waiting": N_("Waiting for a vehicle"), "planned": N_("Planned"), "picked_up": N_("Picked up")}
INCIDENT_STATES = {"open": N_("Open"), "responding": N_("Responding")}
SEVERITIES = {
    "critical": N_("Critical"),
    "major": N_("Major"),
    "minor": N_("Minor"),
    "warning": N_("Warning"),
    "info": N_("Info"),
}
ECONOMY_FIGURES = {
    "output_value_wan_yuan": N_("Industrial output, year to date"),
    "tax_paid_wan_yuan": N_("Tax paid, year to date"),
}
UNITS = {"万元": N_("10k yuan")}  # the economy figures' unit as the economy domain gives it
MAP_TITLE = N_("Park map")
ENERGY_MAP_TITLE = N_("Energy heat (load now)")
STALE_AFTER_S = 35  # three refresh periods of the stream and a little more


def _park(page: Page) -> int:
    page.scope.require(service.VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    return int(page.park.id)


def _texts(page: Page) -> dict[str, Any]:
    """The words the map's and screen's scripts show, translated."""
    return {
        "states": {k: page.gettext(v) for k, v in DEVICE_STATES.items()},
        "risk": {k: page.gettext(v) for k, v in RISK_LEVELS.items()},
        "severity": {k: page.gettext(v) for k, v in SEVERITIES.items()},
        "incident": {k: page.gettext(v) for k, v in INCIDENT_STATES.items()},
        "economy": {k: page.gettext(v) for k, v in ECONOMY_FIGURES.items()},
        "units": {k: page.gettext(v) for k, v in UNITS.items()},
        "open": page.gettext("Open page"),
        "load": page.gettext("Load now"),
        "floor_view": page.gettext("Floor view"),
        "floors": page.gettext("floors"),
        "height": page.gettext("m high"),
        "free": page.gettext("free of"),
        "deliveries": {k: page.gettext(v) for k, v in DELIVERY_STATES.items()},
        "eta": page.gettext("Expected arrival"),
        "to": page.gettext("Deliver to"),
        "met": page.gettext("Met"),
        "not_met": page.gettext("Not met"),
        "drill": page.gettext("Drill"),
        "none": page.gettext("None."),
        "no_map": page.gettext("The map library is not installed; the map cannot be shown."),
        "no_webgl": page.gettext("This browser cannot draw the 3D map (WebGL is off)."),
    }


def _uses_pmtiles(map_style: dict[str, Any]) -> bool:
    return any(str(s.get("url", "")).startswith("pmtiles://") for s in map_style["sources"].values())


def _map_context(page: Page, park_id: int, *, dark: bool, lazy: bool = False) -> dict[str, Any]:
    """The map's context; `lazy`: its frame only, the page's script fetches the layers once the map is up."""
    if lazy:
        data = service.map_frame(page.db, scope=page.scope, park_id=park_id)
    else:
        data = service.map_layers(page.db, scope=page.scope, park_id=park_id, translate=page.gettext)
    map_style = style.build(data, dark=dark)
    return {
        "map_style": json_script(map_style),
        "map_bounds": json_script(data["bounds"]),
        "texts": json_script(_texts(page)),
        "has_maplibre": vendor.available("maplibre-gl.mjs"),
        "pmtiles_library": "/static/vendor/pmtiles.js"
        if _uses_pmtiles(map_style) and vendor.available("pmtiles.js")
        else None,
        "device_states": [(k, page.gettext(v), style.DEVICE_COLOURS[k]) for k, v in DEVICE_STATES.items()],
        "risk_levels": [(k, page.gettext(v), style.RISK_COLOURS[k]) for k, v in RISK_LEVELS.items()],
        "counts": {
            **{name: len(layer["features"]) for name, layer in data["layers"].items()},
            "buildings": sum(1 for f in data["layers"]["park"]["features"] if f["properties"]["layer"] == "building"),
            "deliveries_open": sum(
                1 for f in data["layers"]["deliveries"]["features"] if f["properties"]["layer"] == "delivery"
            ),
        },
        "crs": data["crs"],
    }


@router.get("/ioc/map", response_class=HTMLResponse, name="ioc_map")
def map_page(page: CurrentPage) -> HTMLResponse:
    park_id = _park(page)
    return page.render("ioc/map.html", _map_context(page, park_id, dark=chosen_theme(page.request) == "dark"))


@router.get("/ioc/map/layers.json", name="ioc_map_layers")
def map_layers(page: CurrentPage) -> JSONResponse:
    """The map's layers now (GeoJSON): the pages fetch them again to refresh devices, alarms and car parks."""
    park_id = _park(page)
    return JSONResponse(service.map_layers(page.db, scope=page.scope, park_id=park_id, translate=page.gettext))


def screen_layout(
    spec: dict[str, Any], translate: Callable[[str], str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The screen definition's widgets by area (left, centre, right, bottom; a widget without an area: a panel on
    the right, a map in the centre). The first widget of each panel kind is `first` (it holds the element ids the
    tests and the bench look for); the centre's widgets are the views that take turns. `translate`: the built-in
    screen's titles are its panels' names in the reader's language."""
    areas: dict[str, list[dict[str, Any]]] = {"left": [], "centre": [], "right": [], "bottom": []}
    seen: set[str] = set()
    for widget in spec["widgets"]:
        if widget["kind"] not in ("panel", "map"):
            continue  # a chart, KPI tile or table shows on the dashboard's own page, not on the screen
        area = widget.get("area") or ("centre" if widget["kind"] == "map" else "right")
        if widget["kind"] == "panel" and widget["panel"] == "ticker":
            area = "bottom"
        item = dict(widget)
        key = widget.get("panel") or "map"
        item["first"] = key not in seen
        if translate is not None:
            if key in dashboards.PANELS:
                item["title"] = translate(dashboards.PANELS[key])
            else:
                item["title"] = translate(ENERGY_MAP_TITLE if "energy" in widget["layers"] else MAP_TITLE)
        seen.add(key)
        areas[area].append(item)
    return areas


@router.get("/ioc/buildings/{ident}", response_class=HTMLResponse, name="ioc_building_floors")
def floors_page(
    page: CurrentPage,
    ident: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
    floor: Annotated[int | None, Query(ge=-10, le=200, description="the floor's level")] = None,
) -> HTMLResponse:
    """A building's floor view: rooms coloured by tenant, the live values of the sensors in each room."""
    _park(page)
    view = floors.floor_view(page.db, scope=page.scope, building_id=ident, level=floor)
    stream = None
    if view["point_ids"]:
        stream = "/telemetry/live?" + "&".join(f"point_id={pid}" for pid in view["point_ids"])
    context = {
        "view": view,
        "stream": stream,
        "vacant_colour": floors.VACANT,
        "building_href": f"{kind_path('building')}/{ident}",
    }
    return page.render("ioc/floors.html", context)


@router.get("/ioc/screen", response_class=HTMLResponse, name="ioc_screen")
def screen_page(
    page: CurrentPage,
    stale: Annotated[int, Query(ge=3, le=600, description="seconds without data")] = STALE_AFTER_S,
    dashboard: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="a copy of the screen")] = None,
    rotate: Annotated[int | None, Query(ge=0, le=3600, description="seconds per centre view, 0 = none")] = None,
) -> HTMLResponse:
    park_id = _park(page)
    definition = dashboards.screen_definition(page.db, scope=page.scope, dashboard_id=dashboard)
    layout = screen_layout(definition["spec"], page.gettext if definition["id"] is None else None)
    has_map = any(w["kind"] == "map" for w in layout["centre"])
    context: dict[str, Any] = (
        _map_context(page, park_id, dark=True, lazy=True) if has_map else {"texts": json_script(_texts(page))}
    )
    # the first paint does not wait for the figures nor the map's layers: the stream's first message brings the
    # figures at once, the map fetches its layers as soon as it is up
    context.update(
        {
            "figures": json_script(None),
            "stale_after_s": stale,
            "definition": definition,
            "layout": layout,
            "has_map": has_map,
            "rotate_s": definition["spec"]["rotate_s"] if rotate is None else rotate,
            "device_states": [(k, page.gettext(v), style.DEVICE_COLOURS[k]) for k, v in DEVICE_STATES.items()],
        }
    )
    return page.render("ioc/screen.html", context)


@router.get("/ioc/screen/figures.json", name="ioc_screen_figures")
def screen_figures(page: CurrentPage) -> JSONResponse:
    park_id = _park(page)
    return JSONResponse(
        service.screen_figures(page.db, scope=page.scope, park_id=park_id, user_id=page.user.id, translate=page.gettext)
    )


@router.get("/ioc/screen/live", name="ioc_screen_live")
def screen_live(page: CurrentPage) -> StreamingResponse:
    """The screen's figures as server-sent events (`event: figures`): now, then whenever they change."""
    park_id = _park(page)
    first = service.screen_figures(
        page.db, scope=page.scope, park_id=park_id, user_id=page.user.id, quick=True, translate=page.gettext
    )
    return live.open_stream(page.scope, park_id, page.user.id, first, page.gettext)
