"""Energy pages: the 能碳管理中心 (park key figures, trends, structure, ranking, heat map on the site plan, load
curve, 峰/平/谷, anomalies) and each enterprise's energy-carbon page (its months, carriers, carbon account with
every line's calculation, suggestions, reports). Every read goes through the energy service and the caller's
scope: an enterprise user is sent to its own page and sees nothing else."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from digipark.core.errors import NotFound
from digipark.energy import report, service
from digipark.energy.carbon import CATEGORIES
from digipark.energy.factors import grid_region_name
from digipark.energy.schemas import MonthFigure
from digipark.energy.settings import tariff_name
from digipark.environment import provides as environment
from digipark.registry.models import Building, Room, Zone
from digipark.web import siteplan
from digipark.web.i18n import N_
from digipark.web.labels import industry_name
from digipark.web.overview import json_script
from digipark.web.shell import CurrentPage, Page, history_loading

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
HEAT_CLASSES = 5
BAND_LABELS = {"sharp": N_("Sharp peak"), "peak": N_("Peak"), "flat": N_("Flat"), "valley": N_("Valley")}
SUGGESTION_LABELS = {
    "shift_to_valley": N_("Move the flexible load to valley hours"),
    "pv_self_consumption": N_("Use own PV instead of exporting it"),
}


def _year(page: Page) -> int:
    raw = page.request.query_params.get("year", "").strip()
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return service.today().year


def _category(page: Page, key: str) -> str:
    return page.gettext(report.CATEGORY_LABELS.get(key, key))


def _heat_plan(page: Page, park_id: int, figures: dict[int, tuple[float, float]]) -> tuple[Any, list[dict[str, str]]]:
    """The site plan with each building coloured by the tCO2 of its tenants (quantile classes)."""
    zones = [*page.db.scalars(page.scope.readable(Zone).where(Zone.park_id == park_id, Zone.geometry.is_not(None)))]
    buildings = [
        *page.db.scalars(
            page.scope.readable(Building).where(Building.park_id == park_id, Building.footprint.is_not(None))
        )
    ]
    tenants: dict[int, set[int]] = defaultdict(set)
    stmt = select(Room.building_id, Room.enterprise_id).where(
        page.scope.condition(Room), Room.park_id == park_id, Room.enterprise_id.is_not(None)
    )
    for building_id, enterprise_id in page.db.execute(stmt):
        if enterprise_id is not None:
            tenants[building_id].add(enterprise_id)
    per_building = {b: sum(figures.get(e, (0.0, 0.0))[1] for e in ids) for b, ids in tenants.items()}
    values = sorted(v for v in per_building.values() if v > 0)
    edges = (
        [values[min(len(values) - 1, int(len(values) * k / HEAT_CLASSES))] for k in range(1, HEAT_CLASSES)]
        if values
        else []
    )
    features = []
    for b in buildings:
        value = per_building.get(b.id, 0.0)
        level = sum(1 for edge in edges if value > edge) + 1 if value > 0 else 0
        title = f"{page.name(b)} ({b.code}) · {value:,.1f} tCO2"
        features.append(
            siteplan.Feature(
                geometry=b.footprint or {}, title=title, css=f"building en-heat-{level}", href=f"/buildings/{b.id}"
            )
        )
    zone_features = [
        siteplan.Feature(
            geometry=z.geometry or {}, title=page.name(z), css=siteplan.zone_css(z.function), label=page.name(z)
        )
        for z in zones
    ]
    legend = [{"css": f"en-heat-{k}", "label": str(k)} for k in range(1, HEAT_CLASSES + 1)]
    return siteplan.build(zone_features, features), legend


def _grid_region(page: Page, region: str) -> str:
    """The grid whose emission factor applies: 全国 (the national average) or a regional grid, in the page's
    language."""
    return page.gettext(N_("National")) if region == "全国" else grid_region_name(region, page.lang)


YOY_REASONS = {
    "history_loading": N_("Withheld while the history loads"),
    "no_closed_month": N_("No closed month of this year yet"),
    "year_incomplete": N_("This year's records are incomplete"),
    "previous_year_incomplete": N_("The previous year's records are incomplete"),
}


def _to_date(year: int) -> str | None:
    """The month of `year` in progress ("2026-12"), counted to date on the trend chart."""
    this = service.today()
    return f"{year}-{this.month:02d}" if year == this.year else None


def _previous(month: MonthFigure, digits: int) -> float | None:
    """The previous year's bar of a month, none where its records are incomplete (it would read as a change)."""
    return round(month.previous_tce_equivalent or 0, digits) if month.previous_complete else None


@router.get("/energy", response_class=HTMLResponse, name="energy_centre")
def centre_page(page: CurrentPage) -> Response:
    scope = page.scope
    if not scope.can(service.READ):
        if scope.own_enterprise_only and scope.enterprise_id is not None:
            return RedirectResponse(f"/energy/enterprises/{scope.enterprise_id}", status_code=303)
        scope.require(service.READ)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    park_id, year = page.park.id, _year(page)
    summary = service.park_summary(page.db, scope=scope, park_id=park_id, year=year)
    figures = {r.enterprise_id: (r.tce_equivalent, r.tco2) for r in summary.ranking}
    figures.update(service.enterprise_figures(page.db, park_id=park_id, year=year))
    plan, legend = _heat_plan(page, park_id, figures)
    now_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    split = service.tariff_split(page.db, scope=scope, park_id=park_id, from_ms=now_ms - 30 * 86_400_000, to_ms=now_ms)
    curve = service.load_curve(page.db, scope=scope, park_id=park_id, from_ms=now_ms - 7 * 86_400_000, to_ms=now_ms)
    found = service.anomalies(page.db, scope=scope, park_id=park_id, year=year)[:10]
    charts = {
        "trend": json_script(
            {
                "kind": "trend",
                "categories": [f"{year}-{m.month:02d}" for m in summary.months],
                "series": [
                    {
                        "name": page.gettext("tce (equivalent value)"),
                        "type": "bar",
                        "data": [round(m.tce_equivalent, 2) for m in summary.months],
                    },
                    {
                        "name": page.gettext("tce, previous year"),
                        "type": "bar",
                        "data": [_previous(m, 2) for m in summary.months],
                    },
                    {"name": "tCO2", "type": "line", "axis": 1, "data": [round(m.tco2, 2) for m in summary.months]},
                ],
            }
        ),
        "sources": json_script(
            {
                "kind": "pie",
                "data": [
                    {"name": _category(page, k), "value": round(summary.by_category.get(k, 0.0), 2)}
                    for k in CATEGORIES
                    if summary.by_category.get(k, 0.0) > 0
                ],
            }
        ),
        "carriers": json_script(
            {
                "kind": "pie",
                "data": [
                    {"name": report.carrier_name(c.carrier, page.lang), "value": round(c.tce_equivalent, 2)}
                    for c in summary.by_carrier
                    if c.tce_equivalent > 0
                ],
            }
        ),
        "industries": json_script(
            {
                "kind": "bar",
                "categories": [
                    f"{i.division} {industry_name(i.division, page.lang)}" for i in summary.by_industry[:10]
                ],
                "data": [round(i.tco2, 1) for i in summary.by_industry[:10]],
                "name": "tCO2",
            }
        ),
        "curve": json_script(
            {
                "kind": "curve",
                "data": [[p.ts_ms, round(p.kw, 1)] for p in curve.points],
                "name": page.gettext("Load (kW)"),
            }
        ),
        "bands": json_script(
            {
                "kind": "pie",
                "data": [
                    {"name": page.gettext(BAND_LABELS.get(b.band, b.band)), "value": round(b.kwh, 1)}
                    for b in split.bands
                ],
            }
        ),
    }
    return page.render(
        "energy/centre.html",
        {
            "s": summary,
            "year": year,
            "years": list(range(service.today().year, service.today().year - 4, -1)),
            "charts": charts,
            "plan": plan,
            "legend": legend,
            "curve": curve,
            "split": split,
            "tariff_name": tariff_name(split.tariff_name, page.lang),
            "grid_region": _grid_region(page, summary.grid_region),
            "band_label": lambda b: page.label(BAND_LABELS, b),
            "category_label": lambda k: _category(page, k),
            "carrier_name": lambda c: report.carrier_name(c, page.lang),
            "anomalies": found,
            "industry_name": lambda d: industry_name(d, page.lang),
            "history": history_loading(),
            "yoy_reasons": YOY_REASONS,
            "to_date": _to_date(year),
        },
    )


@router.get("/energy/enterprises/{ident}", response_class=HTMLResponse, name="energy_enterprise")
def enterprise_page(page: CurrentPage, ident: Ident) -> Response:
    year = _year(page)
    account = service.enterprise_account(page.db, scope=page.scope, enterprise_id=ident, year=year)
    found = service.suggestions(page.db, scope=page.scope, enterprise_id=ident, year=year)
    env = environment.enterprise_summary(page.db, scope=page.scope, enterprise_id=ident, year=year)
    chart = json_script(
        {
            "kind": "trend",
            "categories": [f"{year}-{m.month:02d}" for m in account.months],
            "series": [
                {
                    "name": page.gettext("tce (equivalent value)"),
                    "type": "bar",
                    "data": [round(m.tce_equivalent, 3) for m in account.months],
                },
                {
                    "name": page.gettext("tce, previous year"),
                    "type": "bar",
                    "data": [_previous(m, 3) for m in account.months],
                },
                {"name": "tCO2", "type": "line", "axis": 1, "data": [round(m.tco2, 3) for m in account.months]},
            ],
        }
    )
    query = f"year={year}&lang={page.lang}"
    return page.render(
        "energy/enterprise.html",
        {
            "a": account,
            "year": year,
            "years": list(range(service.today().year, service.today().year - 4, -1)),
            "trend": chart,
            "suggestions": [
                {
                    "title": page.gettext(SUGGESTION_LABELS.get(s.kind, s.title)),
                    "saving": s.saving_yuan_per_year,
                    "detail": s.detail,
                    "kind": s.kind,
                }
                for s in found
            ],
            "environment": env,
            "downloads": {
                "pdf": f"/api/v1/energy/enterprises/{ident}/report?format=pdf&{query}",
                "xlsx": f"/api/v1/energy/enterprises/{ident}/report?format=xlsx&{query}",
            },
            "category_label": lambda k: _category(page, k),
            "carrier_name": lambda c: report.carrier_name(c, page.lang),
            "flow_label": lambda f: page.label(report.FLOW_LABELS, f),
            "status_label": lambda v: page.label(report.STATUS_LABELS, v),
            "source_text": lambda source, status: report.source_text(source, status, page.gettext),
            "formula_text": lambda f, factor_year: report.formula_text(f, factor_year, year, page.gettext, page.lang),
            "grid_region": _grid_region(page, account.grid_region),
            "staff": page.scope.can(service.READ),
            "history": history_loading(),
            "yoy_reasons": YOY_REASONS,
            "to_date": _to_date(year),
        },
    )
