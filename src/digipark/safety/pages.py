"""The safety and emergency centre: live alarms, the risk colour map with its reasons and the incident board.
The other safety pages are register_pages, danger_pages, incident_pages and emergency_pages. Every read and write
goes through the safety service and the caller's scope."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from digipark.core.listing import ListQuery
from digipark.registry.models import Building, Zone
from digipark.safety import forecasts, risk, schemas, service
from digipark.safety.models import EmergencyResource
from digipark.safety.page_parts import (
    DANGER_GRADES,
    HAZARD_GRADES,
    INCIDENT_KINDS,
    INCIDENT_STATUS,
    LEVEL_LABELS,
    LIVE_LIST,
    REASONS,
    RESOURCE_KINDS,
    RESPONSE_LEVELS,
    SEVERITIES,
    require_park,
    section_context,
    shown_time,
)
from digipark.web import siteplan
from digipark.web.forecast_chart import forecast_chart
from digipark.web.shell import TEMPLATE_DIR, CurrentPage, Page

router = APIRouter(include_in_schema=False)


def _ring(geometry: dict[str, Any] | None) -> list[tuple[float, float]]:
    if not geometry or geometry.get("type") != "Polygon" or not geometry.get("coordinates"):
        return []
    return [(float(p[0]), float(p[1])) for p in geometry["coordinates"][0]]


def risk_plan(page: Page, park_id: int, picture: schemas.RiskPicture) -> dict[str, Any] | None:
    """The site plan with zones and buildings in their warning colours, resources and open incidents as markers."""
    zones = [*page.db.scalars(page.scope.readable(Zone).where(Zone.park_id == park_id, Zone.geometry.is_not(None)))]
    buildings = [
        *page.db.scalars(
            page.scope.readable(Building).where(Building.park_id == park_id, Building.footprint.is_not(None))
        )
    ]
    zone_risk = {a.key: a for a in picture.zones}
    building_risk = {a.key: a for a in picture.buildings}

    def title(name: str, area: schemas.AreaRisk | None) -> str:
        if area is None:
            return name
        why = "; ".join(f"{page.label(REASONS, r.kind)} {r.detail} ×{r.count}" for r in area.reasons[:4])
        return f"{name} · {page.label(LEVEL_LABELS, area.level)} · {area.index:g}" + (f" · {why}" if why else "")

    zone_features = [
        siteplan.Feature(
            geometry=z.geometry or {},
            title=title(page.name(z), zone_risk.get(z.id)),
            css=f"zone risk-zone risk-{zone_risk[z.id].level if z.id in zone_risk else 'blue'}",
            label=page.name(z),
        )
        for z in zones
    ]
    building_features = [
        siteplan.Feature(
            geometry=b.footprint or {},
            title=title(f"{page.name(b)} ({b.code})", building_risk.get(b.id)),
            css=f"building risk-building risk-{building_risk[b.id].level if b.id in building_risk else 'blue'}",
        )
        for b in buildings
    ]
    plan = siteplan.build(zone_features, building_features)
    if plan is None:
        return None
    rings = [r for r in (*(_ring(z.geometry) for z in zones), *(_ring(b.footprint) for b in buildings)) if len(r) >= 3]
    project = siteplan.Projection(rings)
    markers = []
    resources = page.db.scalars(page.scope.readable(EmergencyResource).where(EmergencyResource.park_id == park_id))
    for r in resources:
        where = service.position(page.db, r)
        if where is not None:
            x, y = project(*where)
            markers.append(
                {
                    "x": round(x, 1),
                    "y": round(y, 1),
                    "css": f"res res-{r.kind}",
                    "title": f"{page.label(RESOURCE_KINDS, r.kind)} · {r.name}",
                }
            )
    open_rows, _ = service.list_incidents(
        page.db,
        scope=page.scope,
        query=ListQuery(filters={"park_id": park_id}, page_size=100, sort="-occurred_at"),
    )
    for incident in open_rows:
        if incident.status == "closed":
            continue
        where = service.position(page.db, incident)
        if where is not None:
            x, y = project(*where)
            markers.append(
                {
                    "x": round(x, 1),
                    "y": round(y, 1),
                    "css": "inc" + (" inc-drill" if incident.drill else ""),
                    "title": f"{incident.code} · {page.name(incident, 'title')}",
                    "href": f"/safety/incidents/{incident.id}",
                }
            )
    return {"plan": plan, "markers": markers}


def _area_rows(
    page: Page, areas: list[schemas.AreaRisk], href: str | None, names: dict[int, str] | None = None
) -> list[dict[str, Any]]:
    """Rows of the risk tables; `names` gives the areas' names in the page's language by key (zones, enterprises)."""
    names = names or {}
    return [
        {
            "name": names.get(a.key, a.name) if a.key is not None else a.name,
            "href": f"{href}/{a.key}" if href and a.key else None,
            "index": a.index,
            "level": a.level,
            "level_text": page.label(LEVEL_LABELS, a.level),
            "reasons": [
                {
                    "text": page.label(REASONS, r.kind),
                    "detail": _reason_detail(page, r),
                    "count": r.count,
                    "points": r.points,
                }
                for r in a.reasons
            ],
        }
        for a in areas
    ]


def _reason_detail(page: Page, reason: schemas.Reason) -> str:
    if reason.kind == "alarms":
        return page.label(SEVERITIES, reason.detail)
    if reason.kind.startswith("hidden_dangers"):
        return page.label(DANGER_GRADES, reason.detail)
    if reason.kind == "hazard_sources":
        return page.label({str(k): v for k, v in HAZARD_GRADES.items()}, reason.detail)
    if reason.kind == "risk_points":
        return page.label(LEVEL_LABELS, reason.detail)
    return reason.detail


@router.get("/safety", response_class=HTMLResponse, name="safety_centre")
def centre(page: CurrentPage) -> HTMLResponse:
    park_id = require_park(page)
    picture = service.risk_picture(page.db, scope=page.scope, park_id=park_id)
    counts = service.overview_counts(page.db, scope=page.scope, park_id=park_id)
    stored = forecasts.latest(page.db, scope=page.scope, park_id=park_id)  # computed by a job, never here
    trend = stored.trend if stored is not None else None
    board, _ = service.list_incidents(
        page.db,
        scope=page.scope,
        query=ListQuery(filters={"park_id": park_id}, page_size=30, sort="-occurred_at"),
    )
    overdue, _ = service.list_hidden_dangers(
        page.db,
        scope=page.scope,
        query=ListQuery(filters={"park_id": park_id}, page_size=10, sort="deadline"),
        overdue=True,
    )
    columns = {
        status: [
            {
                "id": i.id,
                "code": i.code,
                "title": page.name(i, "title"),
                "kind": page.label(INCIDENT_KINDS, i.kind),
                "level": i.level,
                "level_text": page.label(RESPONSE_LEVELS, i.level),
                "drill": i.drill,
                "when": shown_time(i.occurred_at),
            }
            for i in board
            if i.status == status
        ]
        for status in INCIDENT_STATUS
    }
    zone_names = {z.id: page.name(z) for z in page.db.scalars(page.scope.readable(Zone).where(Zone.park_id == park_id))}
    ranked = [e for e in picture.enterprises if e.index > 0][:15]
    return page.render(
        "safety/centre.html",
        section_context(
            page,
            "centre",
            counts=counts,
            picture=picture,
            park_row=_area_rows(page, [picture.park], None)[0],
            own_enterprise=page.scope.own_enterprise_only,
            zones=_area_rows(page, picture.zones, "/zones", zone_names),
            enterprises=_area_rows(
                page,
                ranked,
                None,
                {e.key: page.enterprise_name(e.key, e.name) for e in ranked if e.key is not None},
            ),
            risk_map=risk_plan(page, park_id, picture),
            legend=[{"css": f"risk-{lv}", "label": page.label(LEVEL_LABELS, lv)} for lv in risk.LEVELS],
            board=[
                {"status": s, "label": page.label(INCIDENT_STATUS, s), "items": columns[s]} for s in INCIDENT_STATUS
            ],
            overdue=[{"id": d.id, "title": d.title, "deadline": d.deadline, "assignee": d.assignee} for d in overdue],
            live_list=(TEMPLATE_DIR / LIVE_LIST).exists(),
            live_template=LIVE_LIST,
            may_report=page.scope.can(service.COMMAND) or page.scope.can(service.SELF_WRITE),
            weights_note=service.warning_data()["meta"]["note"],
            trend=trend,
            trend_pending=stored is None,
            trend_computed=shown_time(stored.computed_at) if stored is not None and stored.computed_at else None,
            trend_chart=forecast_chart(trend.history[-28:], trend.result.values, trend.result.low, trend.result.high)
            if trend
            else None,
        ),
    )
