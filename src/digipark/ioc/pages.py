"""The operations centre's pages: the park map, the operations screen (大屏), their JSON and the screen's live
stream. Read-only: nothing here writes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse

from digipark.core.errors import NotFound
from digipark.ioc import live, service, style
from digipark.web import vendor
from digipark.web.i18n import N_
from digipark.web.overview import json_script
from digipark.web.shell import CurrentPage, Page, chosen_theme

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
        "open": page.gettext("Open page"),
        "floors": page.gettext("floors"),
        "height": page.gettext("m high"),
        "free": page.gettext("free of"),
        "met": page.gettext("Met"),
        "not_met": page.gettext("Not met"),
        "drill": page.gettext("Drill"),
        "none": page.gettext("None."),
        "no_map": page.gettext("The map library is not installed; the map cannot be shown."),
        "no_webgl": page.gettext("This browser cannot draw the 3D map (WebGL is off)."),
    }


def _map_context(page: Page, park_id: int, *, dark: bool) -> dict[str, Any]:
    data = service.map_layers(page.db, scope=page.scope, park_id=park_id, translate=page.gettext)
    return {
        "map_style": json_script(style.build(data, dark=dark)),
        "map_bounds": json_script(data["bounds"]),
        "texts": json_script(_texts(page)),
        "has_maplibre": vendor.available("maplibre-gl.mjs"),
        "device_states": [(k, page.gettext(v), style.DEVICE_COLOURS[k]) for k, v in DEVICE_STATES.items()],
        "risk_levels": [(k, page.gettext(v), style.RISK_COLOURS[k]) for k, v in RISK_LEVELS.items()],
        "counts": {
            **{name: len(layer["features"]) for name, layer in data["layers"].items()},
            "buildings": sum(1 for f in data["layers"]["park"]["features"] if f["properties"]["layer"] == "building"),
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


@router.get("/ioc/screen", response_class=HTMLResponse, name="ioc_screen")
def screen_page(
    page: CurrentPage, stale: Annotated[int, Query(ge=3, le=600, description="seconds without data")] = STALE_AFTER_S
) -> HTMLResponse:
    park_id = _park(page)
    context = _map_context(page, park_id, dark=True)
    figures = service.screen_figures(
        page.db, scope=page.scope, park_id=park_id, user_id=page.user.id, quick=True, translate=page.gettext
    )
    context.update({"figures": json_script(figures), "stale_after_s": stale})
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
