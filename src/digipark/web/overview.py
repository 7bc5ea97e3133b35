"""The overview page: the park's key figures, its site plan and enterprises by industry."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from digipark.core.listing import ListQuery
from digipark.registry import service as registry
from digipark.registry.service import KINDS
from digipark.web import siteplan
from digipark.web.i18n import N_
from digipark.web.labels import BUILDING_USES, PARK_LEVELS, ZONE_FUNCTIONS, industry_name
from digipark.web.shell import CurrentPage, Page, can_read, kind_path

router = APIRouter(include_in_schema=False)
TOP_INDUSTRIES = 12


def json_script(data: Any) -> Markup:
    """JSON safe to embed in <script type="application/json">."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def industry_series(page: Page, by_industry: dict[str, int]) -> list[dict[str, Any]]:
    ranked = sorted(by_industry.items(), key=lambda item: (-item[1], item[0]))
    series = [{"code": code, "name": industry_name(code, page.lang), "value": n} for code, n in ranked[:TOP_INDUSTRIES]]
    rest = sum(n for _, n in ranked[TOP_INDUSTRIES:])
    if rest:
        series.append({"code": "", "name": page.gettext("Other industries"), "value": rest})
    return series


def park_site_plan(
    page: Page, park_id: int
) -> tuple[siteplan.SitePlan | None, list[dict[str, str]], list[dict[str, Any]]]:
    """The park's site plan, its legend, and a summary row per zone."""
    query = ListQuery(filters={"park_id": park_id})
    zones = registry.all_rows(page.db, scope=page.scope, kind=KINDS["zone"], query=query)
    buildings = registry.all_rows(page.db, scope=page.scope, kind=KINDS["building"], query=query)
    zone_features = [
        siteplan.Feature(
            geometry=z.geometry,
            css=siteplan.zone_css(z.function),
            label=page.name(z),
            title=f"{page.name(z)} · {page.label(ZONE_FUNCTIONS, z.function)}",
            href=f"{kind_path('zone')}/{z.id}",
        )
        for z in zones
        if z.geometry
    ]
    building_features = [
        siteplan.Feature(
            geometry=b.footprint,
            css="building" + (" building-connected" if b.gigabit_fibre and b.coverage_5g else ""),
            title=f"{page.name(b)} ({b.code}) · {page.label(BUILDING_USES, b.use)} · "
            + page.gettext("%(n)s floors", n=b.floors),
            href=f"{kind_path('building')}/{b.id}",
            label=page.name(b),
        )
        for b in buildings
        if b.footprint
    ]
    functions = sorted({z.function for z in zones if z.geometry})
    legend = [{"css": siteplan.zone_css(f), "label": page.label(ZONE_FUNCTIONS, f)} for f in functions]
    per_zone = Counter(b.zone_id for b in buildings)
    summary = [
        {
            "name": page.name(z),
            "href": f"{kind_path('zone')}/{z.id}",
            "css": siteplan.zone_css(z.function),
            "function": page.label(ZONE_FUNCTIONS, z.function),
            "area_ha": (z.area_m2 or 0) / 10_000,
            "buildings": per_zone.get(z.id, 0),
        }
        for z in sorted(zones, key=lambda z: z.code)
    ]
    return siteplan.build(zone_features, building_features), legend, summary


def floor_area(page: Page, area_m2: float) -> dict[str, Any]:
    """Chinese park statistics count floor area in 万 m² (10,000 m²)."""
    if page.lang == "zh" and area_m2 >= 100_000:
        return {"label": N_("Gross floor area"), "value": area_m2 / 10_000, "unit": "万 m²", "digits": 1}
    return {"label": N_("Gross floor area"), "value": area_m2, "unit": "m²"}


@router.get("/", response_class=HTMLResponse)
def overview_page(page: CurrentPage) -> HTMLResponse:
    if page.park is None:
        return page.render("overview.html", {"figures": [], "plan": None})
    park_id = page.park.id
    figures = registry.overview(page.db, scope=page.scope, park_id=park_id)
    staff = page.scope.is_staff
    cards: list[dict[str, Any]] = [
        {"label": N_("Zones"), "value": figures.zones, "href": kind_path("zone")},
        {"label": N_("Buildings"), "value": figures.buildings, "href": kind_path("building")},
        floor_area(page, figures.floor_area_m2),
        {
            "label": N_("Buildings with gigabit fibre and 5G"),
            "value": figures.gigabit_buildings,
            "of": figures.buildings,
        },
    ]
    if staff:
        cards[2:2] = [
            {"label": N_("Enterprises"), "value": figures.enterprises, "href": kind_path("enterprise")},
            {
                "label": N_("Industrial enterprises above designated size"),
                "value": figures.above_scale_industrial,
                "href": kind_path("enterprise") + "?above_scale=true&industrial=true",
            },
            {"label": N_("Devices"), "value": figures.devices, "href": kind_path("device")},
            {"label": N_("Points"), "value": figures.points, "href": kind_path("point")},
        ]
    own: dict[str, Any] | None = None
    own_enterprise_id = page.scope.acting_enterprise()
    if own_enterprise_id is not None:
        enterprise = registry.get(page.db, scope=page.scope, kind=KINDS["enterprise"], ident=own_enterprise_id)
        units = registry.enterprise_units(page.db, scope=page.scope, enterprise_id=enterprise.id)
        own = {
            "enterprise": enterprise,
            "industry": industry_name(enterprise.industry_code, page.lang),
            "units": len(units),
            "leased_m2": sum(u.area_m2 for u in units),
            "devices": figures.devices,
            "points": figures.points,
        }
    chart = None
    if staff and figures.by_industry and can_read(page.scope, "enterprise"):
        chart = json_script(
            {"series": industry_series(page, figures.by_industry), "label": page.gettext("Enterprises")}
        )
    for card in cards:  # a figure links only to a list the scope may open
        kind = next(
            (
                k
                for k in ("zone", "building", "enterprise", "device", "point")
                if card.get("href", "").startswith(kind_path(k))
            ),
            None,
        )
        if kind is not None and not can_read(page.scope, kind):
            card.pop("href")
    # what a non-staff user can use besides the park's map (notices, living services, work orders ...)
    services = [] if staff else [e for e in page.nav() if e["section"].key not in ("home", "foundation", "system")]
    plan, legend, zones = park_site_plan(page, park_id)
    return page.render(
        "overview.html",
        {
            "figures": cards,
            "own": own,
            "chart": chart,
            "by_industry": industry_series(page, figures.by_industry),
            "plan": plan,
            "legend": legend,
            "zones": zones,
            "services": services,
            "park_level": page.label(PARK_LEVELS, page.park.level) if page.park and page.park.level else None,
        },
    )
