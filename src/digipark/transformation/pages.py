"""Transformation pages: the park's transformation map by level and the review queue. The other pages are
record_pages (each enterprise's record), questionnaire_pages (the assessment) and catalogue_pages (the catalogue
and provider requests). Every read and write goes through the transformation service and the caller's scope."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from digipark.core.listing import ListQuery
from digipark.registry.models import Building, Room, Zone
from digipark.transformation import renovation, service
from digipark.transformation.assessment import questionnaire
from digipark.transformation.page_parts import (
    STATUS_LABELS,
    enterprise_names,
    level_text,
    notice_of,
    require_park,
)
from digipark.web import i18n, siteplan
from digipark.web.labels import industry_name
from digipark.web.overview import json_script
from digipark.web.shell import CurrentPage, Page

router = APIRouter(include_in_schema=False)


LEVEL_COLOURS = {None: "none", 0: "0", 1: "1", 2: "2", 3: "3", 4: "4"}


def _building_levels(
    page: Page, park_id: int, levels: dict[int, int | None]
) -> dict[int, tuple[int | None, list[str]]]:
    """Per building: the highest confirmed level among its tenants and their names."""
    stmt = select(Room.building_id, Room.enterprise_id).where(
        page.scope.condition(Room), Room.park_id == park_id, Room.enterprise_id.is_not(None)
    )
    tenants: dict[int, set[int]] = defaultdict(set)
    for building_id, enterprise_id in page.db.execute(stmt):
        if enterprise_id is not None:
            tenants[building_id].add(enterprise_id)
    names = enterprise_names(page, {e for ids in tenants.values() for e in ids})
    result: dict[int, tuple[int | None, list[str]]] = {}
    for building_id, ids in tenants.items():
        known = [levels[e] for e in ids if levels.get(e) is not None]
        best = max((lv for lv in known if lv is not None), default=None)
        result[building_id] = (best, sorted(names.get(e, f"#{e}") for e in ids))
    return result


def _level_plan(page: Page, park_id: int, levels: dict[int, int | None]) -> siteplan.SitePlan | None:
    """The site plan with each building coloured by the highest confirmed level among its tenants."""
    zones = [*page.db.scalars(page.scope.readable(Zone).where(Zone.park_id == park_id, Zone.geometry.is_not(None)))]
    buildings = [
        *page.db.scalars(
            page.scope.readable(Building).where(Building.park_id == park_id, Building.footprint.is_not(None))
        )
    ]
    by_building = _building_levels(page, park_id, levels)
    zone_features = [
        siteplan.Feature(geometry=z.geometry, title=page.name(z), css=siteplan.zone_css(z.function), label=page.name(z))
        for z in zones
    ]
    features = []
    for b in buildings:
        level, tenants = by_building.get(b.id, (None, []))
        css = "building tf-building tf-level-" + (LEVEL_COLOURS[level] if tenants else "empty")
        title = f"{page.name(b)} ({b.code})"
        if tenants:
            title += f" · {level_text(page, level)} · " + "、".join(tenants[:6]) + ("…" if len(tenants) > 6 else "")
        features.append(siteplan.Feature(geometry=b.footprint, title=title, css=css, href=f"/buildings/{b.id}"))
    return siteplan.build(zone_features, features)


@router.get("/transformation", response_class=HTMLResponse, name="transformation_map")
def map_page(page: CurrentPage) -> Response:
    scope = page.scope
    if not scope.can(service.READ):
        if scope.own_enterprise_only and scope.enterprise_id is not None:
            return RedirectResponse(f"/transformation/enterprises/{scope.enterprise_id}", status_code=303)
        scope.require(service.READ)
    park_id = require_park(page)
    year_arg = page.request.query_params.get("year", "").strip()
    year = int(year_arg) if year_arg.isdigit() and 2000 <= int(year_arg) <= 2100 else None
    summary = service.park_summary(page.db, scope=scope, park_id=park_id, year=year)
    q = questionnaire()
    level_keys: list[int | None] = [None, *range(0, len(q.levels) + 1)]
    levels_chart = json_script(
        {
            "kind": "levels",
            "categories": [level_text(page, lv) for lv in level_keys],
            "values": [c.enterprises for c in summary.by_level],
            "colours": [LEVEL_COLOURS[lv] for lv in level_keys],
            "label": page.gettext("Enterprises"),
        }
    )
    industries = sorted(summary.by_industry, key=lambda i: -sum(i.counts.values()))[:12]
    industry_chart = json_script(
        {
            "kind": "stacked",
            "categories": [f"{i.division} {industry_name(i.division, page.lang)}" for i in industries],
            "series": [
                {
                    "name": level_text(page, lv),
                    "colour": LEVEL_COLOURS[lv],
                    "data": [i.counts.get("none" if lv is None else str(lv), 0) for i in industries],
                }
                for lv in level_keys
            ],
        }
    )
    levels = {item.enterprise_id: item.level for item in summary.items}
    plan = _level_plan(page, park_id, levels)
    rows = [
        {
            "id": item.enterprise_id,
            "name": item.name,
            "industry": f"{item.industry_code} {industry_name(item.industry_code, page.lang)}",
            "above_scale": item.above_scale,
            "industrial": item.industrial,
            "status": page.label(STATUS_LABELS, item.assessment_status) if item.assessment_status else "—",
            "assessment_id": item.assessment_id,
            "level": item.level,
            "level_text": level_text(page, item.level),
            "score": item.base_score,
            "renovated": item.renovated,
            "basis": renovation.basis_in_english(item.basis) if item.basis and page.lang == "en" else item.basis,
            "lacks": [page.gettext(lack) for lack in item.lacks],
        }
        for item in summary.items
    ]
    only = page.request.query_params.get("show", "")
    if only == "not_renovated":
        rows = [r for r in rows if r["above_scale"] and r["industrial"] and r["renovated"] is False]
    return page.render(
        "transformation/map.html",
        {
            "summary": summary,
            "levels_chart": levels_chart,
            "industry_chart": industry_chart,
            "level_rows": [
                {"label": level_text(page, lv), "css": LEVEL_COLOURS[lv], "n": c.enterprises}
                for lv, c in zip(level_keys, summary.by_level, strict=True)
            ],
            "industries": [
                {
                    "name": f"{i.division} {industry_name(i.division, page.lang)}",
                    "counts": [i.counts.get("none" if lv is None else str(lv), 0) for lv in level_keys],
                }
                for i in industries
            ],
            "level_headers": [level_text(page, lv) for lv in level_keys],
            "plan": plan,
            "legend": [{"css": f"tf-level-{LEVEL_COLOURS[lv]}", "label": level_text(page, lv)} for lv in level_keys],
            "rows": rows,
            "show": only,
            "year": summary.year,
            "years": list(range(summary.as_of.year, summary.as_of.year - 4, -1)),
            "rule": renovation.default_rule(),
            "scales": renovation.scales(),
        },
    )


@router.get("/transformation/review", response_class=HTMLResponse, name="transformation_review")
def review_queue(page: CurrentPage) -> HTMLResponse:
    page.scope.require(service.READ)
    park_id = require_park(page)
    waiting, _ = service.list_assessments(
        page.db,
        scope=page.scope,
        query=ListQuery(filters={"park_id": park_id, "status": "submitted"}, sort="submitted_at", page_size=500),
    )
    recent, _ = service.list_assessments(
        page.db,
        scope=page.scope,
        query=ListQuery(filters={"park_id": park_id}, sort="-submitted_at", page_size=30),
    )
    recent = [r for r in recent if r.status in ("confirmed", "returned")]
    names = enterprise_names(page, {r.enterprise_id for r in [*waiting, *recent]})

    def row(r: Any) -> dict[str, Any]:
        return {
            "id": r.id,
            "enterprise_id": r.enterprise_id,
            "enterprise": names.get(r.enterprise_id, f"#{r.enterprise_id}"),
            "year": r.year,
            "score": r.base_score,
            "level": level_text(page, r.level),
            "status": page.label(STATUS_LABELS, r.status),
            "status_code": r.status,
            "submitted_at": i18n.local_time(r.submitted_at),
            "reviewed_at": i18n.local_time(r.reviewed_at),
            "revision": r.revision,
        }

    return page.render(
        "transformation/review.html",
        {
            "waiting": [row(r) for r in waiting],
            "recent": [row(r) for r in recent],
            "notice": notice_of(page),
            "may_review": page.scope.can(service.REVIEW),
        },
    )
