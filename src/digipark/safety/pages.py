"""Safety pages: the safety and emergency centre (live alarms, the risk colour map with its reasons, the incident
board), the risk register, major hazard sources, hidden dangers (with their workflow), incidents and drills (the
report form with photos, tasks, timeline, nearest resources, closing, the printable report), plans and resources.
Every read and write goes through the safety service and the caller's scope."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import UploadFile

from digipark.core.config import get_settings
from digipark.core.db import utcnow
from digipark.core.downloads import file_response
from digipark.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from digipark.core.listing import ListQuery, ListSpec
from digipark.registry.models import Building, Enterprise, Zone
from digipark.safety import major_hazard, risk, schemas, service
from digipark.safety.models import EmergencyResource
from digipark.web import i18n, siteplan
from digipark.web.i18n import N_
from digipark.web.shell import TEMPLATE_DIR, CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

LEVEL_LABELS = {
    "red": N_("Major risk (red)"),
    "orange": N_("Considerable risk (orange)"),
    "yellow": N_("Moderate risk (yellow)"),
    "blue": N_("Low risk (blue)"),
}
DANGER_STATUS = {
    "found": N_("Found"),
    "assigned": N_("Assigned"),
    "rectified": N_("Rectified"),
    "verified": N_("Verified"),
}
DANGER_GRADES = {"general": N_("General hidden danger"), "major": N_("Major hidden danger")}
INCIDENT_STATUS = {"open": N_("Awaiting response"), "responding": N_("Responding"), "closed": N_("Closed out")}
INCIDENT_KINDS = {
    "fire": N_("Fire"),
    "leak": N_("Leak"),
    "explosion": N_("Explosion"),
    "poisoning": N_("Poisoning"),
    "injury": N_("Injury"),
    "other": N_("Other"),
}
SOURCES = {"alarm": N_("From an alarm"), "report": N_("Reported"), "drill": N_("Drill")}
RESOURCE_KINDS = {"team": N_("Rescue team"), "supply": N_("Emergency supplies"), "shelter": N_("Shelter")}
PLAN_TYPES = {"comprehensive": N_("Comprehensive plan"), "special": N_("Special plan"), "onsite": N_("On-site plan")}
TASK_STATUS = {"assigned": N_("Assigned"), "done": N_("Done"), "cancelled": N_("Cancelled")}
REASONS = {
    "alarms": N_("Active alarms"),
    "hidden_dangers_open": N_("Hidden dangers not yet verified"),
    "hidden_dangers_overdue": N_("Hidden dangers past their deadline"),
    "hazard_sources": N_("Major hazard sources"),
    "risk_points": N_("Risk points"),
    "incidents": N_("Open incidents"),
    "trend": N_("Rising trend (hidden dangers and incidents, last 7 days)"),
}
SEVERITIES = {"info": N_("Info"), "minor": N_("Minor"), "major": N_("Major"), "critical": N_("Critical")}
EVENT_KINDS = {
    "opened": N_("Opened"),
    "photo": N_("Photo added"),
    "note": N_("Note"),
    "task_assigned": N_("Task assigned"),
    "task_done": N_("Task done"),
    "task_cancelled": N_("Task cancelled"),
    "closed": N_("Closed out"),
    "report_pushed": N_("Report pushed to the regional command"),
    "report_push_failed": N_("Report push failed"),
}
SECTIONS = [
    ("centre", "/safety", N_("Safety and emergency centre")),
    ("risk-points", "/safety/risk-points", N_("Risk register")),
    ("hazard-sources", "/safety/hazard-sources", N_("Major hazard sources")),
    ("hidden-dangers", "/safety/hidden-dangers", N_("Hidden dangers")),
    ("incidents", "/safety/incidents", N_("Incidents and drills")),
    ("plans", "/safety/plans", N_("Emergency plans")),
    ("resources", "/safety/resources", N_("Emergency resources")),
]
LIVE_LIST = "alarms/_live_list.html"


def _require(page: Page) -> int:
    page.scope.require(service.VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    return page.park.id


def _names(page: Page, model: Any, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = page.db.execute(page.scope.readable(model, select(model.id, model.name)).where(model.id.in_(wanted)))
    return {row[0]: row[1] for row in rows}


def _local(value: dt.datetime | None) -> str:
    return i18n.local_time(value)


def _query(page: Page, spec: ListSpec) -> ListQuery:
    raw = dict(page.request.query_params)
    raw.pop("lang", None)
    query = spec.parse_query(raw)
    query.page_size = min(query.page_size, 200)
    return query


def _errors(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    if isinstance(exc, DomainError):
        if exc.errors:
            return [f"{e.get('field') or ''}: {e.get('reason')}".strip(": ") for e in exc.errors]
        return [exc.detail]
    return [str(exc)]


def _attempt(page: Page, act: Callable[[], str], retry: Callable[[list[str], int], Response]) -> Response:
    """Run a write in a savepoint; on bad input undo it and show the page again with the reasons."""
    try:
        with page.db.begin_nested():
            target = act()
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, PermissionDenied | NotFound):
            raise
        status = exc.status if isinstance(exc, DomainError) else 422
        return retry(_errors(exc), status)
    return RedirectResponse(target, status_code=303)


def _notice(page: Page) -> str | None:
    done = page.request.query_params.get("done")
    return page.gettext(N_("Saved.")) if done else None


def _ctx(page: Page, section: str, **extra: Any) -> dict[str, Any]:
    return {"sections": SECTIONS, "section": section, "notice": _notice(page), "errors": [], **extra}


def _level_badge(page: Page, level: str | None) -> dict[str, Any]:
    return {"text": page.label(LEVEL_LABELS, level), "badge": f"risk-{level}" if level else None}


def _opt(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


# ==================================================================================================================
# The centre
# ==================================================================================================================
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
            title=title(z.name, zone_risk.get(z.id)),
            css=f"zone risk-zone risk-{zone_risk[z.id].level if z.id in zone_risk else 'blue'}",
            label=z.name,
        )
        for z in zones
    ]
    building_features = [
        siteplan.Feature(
            geometry=b.footprint or {},
            title=title(f"{b.name} ({b.code})", building_risk.get(b.id)),
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
                    "title": f"{incident.code} · {incident.title}",
                    "href": f"/safety/incidents/{incident.id}",
                }
            )
    return {"plan": plan, "markers": markers}


def _area_rows(page: Page, areas: list[schemas.AreaRisk], href: str | None) -> list[dict[str, Any]]:
    return [
        {
            "name": a.name,
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
        return major_hazard.GRADE_NAMES.get(int(reason.detail), reason.detail)
    if reason.kind == "risk_points":
        return page.label(LEVEL_LABELS, reason.detail)
    return reason.detail


@router.get("/safety", response_class=HTMLResponse, name="safety_centre")
def centre(page: CurrentPage) -> HTMLResponse:
    park_id = _require(page)
    picture = service.risk_picture(page.db, scope=page.scope, park_id=park_id)
    counts = service.overview_counts(page.db, scope=page.scope, park_id=park_id)
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
                "title": i.title,
                "kind": page.label(INCIDENT_KINDS, i.kind),
                "level": i.level,
                "drill": i.drill,
                "when": _local(i.occurred_at),
            }
            for i in board
            if i.status == status
        ]
        for status in INCIDENT_STATUS
    }
    return page.render(
        "safety/centre.html",
        _ctx(
            page,
            "centre",
            counts=counts,
            picture=picture,
            park_row=_area_rows(page, [picture.park], None)[0],
            zones=_area_rows(page, picture.zones, "/zones"),
            enterprises=_area_rows(page, [e for e in picture.enterprises if e.index > 0][:15], None),
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
        ),
    )


# ==================================================================================================================
# Lists and details
# ==================================================================================================================
def _list(
    page: Page,
    section: str,
    title: str,
    columns: list[str],
    rows: list[list[Any]],
    total: int,
    query: ListQuery,
    new: str | None = None,
    filters: list[dict[str, Any]] | None = None,
) -> HTMLResponse:
    return page.render(
        "safety/list.html",
        _ctx(
            page,
            section,
            title=title,
            columns=columns,
            rows=rows,
            total=total,
            query=query,
            new=new,
            filters=filters or [],
        ),
    )


def _who(page: Page, enterprise_names: dict[int, str], enterprise_id: int | None) -> dict[str, Any]:
    if enterprise_id is None:
        return {"text": page.gettext(N_("The park")), "muted": True}
    return {"text": enterprise_names.get(enterprise_id, f"#{enterprise_id}")}


def _where(page: Page, zones: dict[int, str], buildings: dict[int, str], row: Any) -> str:
    parts = [zones.get(row.zone_id, ""), buildings.get(row.building_id, ""), row.location or ""]
    return " · ".join(p for p in parts if p) or "—"


def _lookup(page: Page, rows: list[Any]) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    return (
        _names(page, Enterprise, {getattr(r, "enterprise_id", None) for r in rows}),
        _names(page, Zone, {getattr(r, "zone_id", None) for r in rows}),
        _names(page, Building, {getattr(r, "building_id", None) for r in rows}),
    )


@router.get("/safety/risk-points", response_class=HTMLResponse, name="safety_risk_points")
def risk_points_page(page: CurrentPage) -> HTMLResponse:
    _require(page)
    query = _query(page, service.RISK_POINT_SPEC)
    rows, total = service.list_risk_points(page.db, scope=page.scope, query=query)
    ents, zones, buildings = _lookup(page, rows)
    table = [
        [
            {"text": r.code, "href": f"/safety/risk-points/{r.id}", "primary": True},
            {"text": r.name},
            _who(page, ents, r.enterprise_id),
            {"text": _where(page, zones, buildings, r)},
            {"text": r.responsible_person},
            {"text": f"{r.method} {r.score:g}"},
            _level_badge(page, r.level),
        ]
        for r in rows
    ]
    filters = [{"name": "level", "options": [(lv, page.label(LEVEL_LABELS, lv)) for lv in risk.LEVELS]}]
    return _list(
        page,
        "risk-points",
        N_("Risk register"),
        [
            N_("Code"),
            N_("Name"),
            N_("Owned by"),
            N_("Location"),
            N_("Responsible person"),
            N_("Score"),
            N_("Risk level"),
        ],
        table,
        total,
        query,
        filters=filters,
    )


def _detail(page: Page, section: str, title: str, fields: list[tuple[str, Any]], **extra: Any) -> HTMLResponse:
    return page.render("safety/detail.html", _ctx(page, section, title=title, fields=fields, **extra))


@router.get("/safety/risk-points/{ident}", response_class=HTMLResponse, name="safety_risk_point")
def risk_point_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _require(page)
    r = service.get_risk_point(page.db, scope=page.scope, ident=ident)
    ents, zones, buildings = _lookup(page, [r])
    scale = (
        f"L {r.l_value:g} × E {r.e_value:g} × C {r.c_value:g}"
        if r.method == "LEC"
        else f"L {r.l_value:g} × S {r.s_value:g}"
    )
    fields = [
        (N_("Code"), r.code),
        (N_("Owned by"), _who(page, ents, r.enterprise_id)["text"]),
        (N_("Category"), r.category or "—"),
        (N_("Location"), _where(page, zones, buildings, r)),
        (N_("Coordinates"), f"{r.lon}, {r.lat}" if r.lon is not None else "—"),
        (N_("Responsible person"), f"{r.responsible_person} {r.responsible_phone or ''}"),
        (N_("Method"), f"{r.method}: {scale} = {r.score:g}"),
        (N_("Risk level"), _level_badge(page, r.level)),
        (N_("Hazards"), "；".join(r.hazards) or "—"),
        (N_("Controls"), "；".join(r.controls) or "—"),
        (N_("Linked sensors"), ", ".join(f"#{p}" for p in r.point_ids) or "—"),
    ]
    links = [{"href": f"/points/{p}", "text": f"#{p}"} for p in r.point_ids]
    return _detail(page, "risk-points", f"{r.code} {r.name}", fields, links=links)


@router.get("/safety/hazard-sources", response_class=HTMLResponse, name="safety_hazard_sources")
def hazard_sources_page(page: CurrentPage) -> HTMLResponse:
    _require(page)
    query = _query(page, service.HAZARD_SPEC)
    rows, total = service.list_hazard_sources(page.db, scope=page.scope, query=query)
    ents, zones, buildings = _lookup(page, rows)
    table = [
        [
            {"text": r.code, "href": f"/safety/hazard-sources/{r.id}", "primary": True},
            {"text": r.name},
            _who(page, ents, r.enterprise_id),
            {"text": _where(page, zones, buildings, r)},
            {"text": f"{r.s_value:.3g}"},
            {"text": f"{r.r_value:.3g}" if r.r_value is not None else "—"},
            {"text": major_hazard.GRADE_NAMES[r.grade], "badge": f"grade-{r.grade}"}
            if r.grade
            else {"text": page.gettext(N_("Not a major hazard source")), "muted": True},
        ]
        for r in rows
    ]
    return _list(
        page,
        "hazard-sources",
        N_("Major hazard sources"),
        [N_("Code"), N_("Name"), N_("Owned by"), N_("Location"), "S = Σq/Q", "R", N_("Grade")],
        table,
        total,
        query,
    )


@router.get("/safety/hazard-sources/{ident}", response_class=HTMLResponse, name="safety_hazard_source")
def hazard_source_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _require(page)
    r = service.get_hazard_source(page.db, scope=page.scope, ident=ident)
    ents, zones, buildings = _lookup(page, [r])
    fields = [
        (N_("Code"), r.code),
        (N_("Owned by"), _who(page, ents, r.enterprise_id)["text"]),
        (N_("Unit type"), r.unit_kind),
        (N_("Location"), _where(page, zones, buildings, r)),
        (N_("People within 500 m"), f"{r.exposed_people} → α = {r.alpha:g}"),
        ("S = Σ q/Q", f"{r.s_value:.4g}"),
        ("R = α Σ β q/Q", f"{r.r_value:.4g}" if r.r_value is not None else "—"),
        (N_("Grade"), major_hazard.GRADE_NAMES.get(r.grade or 0, page.gettext(N_("Not a major hazard source")))),
    ]
    table = {
        "columns": [N_("Substance"), "CAS", "q (t)", "Q (t)", N_("Source of Q"), "β", N_("Source of β"), "q/Q"],
        "rows": [
            [
                s["name"],
                s.get("cas") or "—",
                f"{s['quantity_t']:g}",
                f"{s['critical_t']:g}",
                f"GB 18218 表1 #{s['table1_seq']}" if s.get("table1_seq") else f"表2 {s.get('category')}",
                f"{s['beta']:g}",
                "表3" if s["beta_source"] == "table3" else f"表4 {s.get('category')}",
                f"{s['ratio']:.4g}",
            ]
            for s in r.substances
        ],
    }
    source = major_hazard.tables()["meta"]
    return _detail(
        page,
        "hazard-sources",
        f"{r.code} {r.name}",
        fields,
        table=table,
        source=f"{source['standard']} {source['title']}",
    )


@router.get("/safety/hidden-dangers", response_class=HTMLResponse, name="safety_hidden_dangers")
def hidden_dangers_page(page: CurrentPage) -> HTMLResponse:
    _require(page)
    raw = page.request.query_params.get("overdue")
    overdue = True if raw == "true" else None
    query = _query(page, service.DANGER_SPEC)
    rows, total = service.list_hidden_dangers(page.db, scope=page.scope, query=query, overdue=overdue)
    ents, zones, buildings = _lookup(page, rows)
    table = [
        [
            {"text": r.title, "href": f"/safety/hidden-dangers/{r.id}", "primary": True},
            {"text": page.label(DANGER_GRADES, r.grade), "badge": "danger-major" if r.grade == "major" else None},
            _who(page, ents, r.enterprise_id),
            {"text": _where(page, zones, buildings, r)},
            {"text": r.found_on.isoformat()},
            {
                "text": r.deadline.isoformat() if r.deadline else "—",
                "badge": "overdue" if service.is_overdue(r) else None,
            },
            {"text": page.label(DANGER_STATUS, r.status), "badge": f"status-{r.status}"},
        ]
        for r in rows
    ]
    filters = [
        {"name": "status", "options": [(k, page.gettext(v)) for k, v in DANGER_STATUS.items()]},
        {"name": "overdue", "options": [("true", page.gettext(N_("Past deadline")))]},
    ]
    return _list(
        page,
        "hidden-dangers",
        N_("Hidden dangers"),
        [N_("Hidden danger"), N_("Grade"), N_("Owned by"), N_("Location"), N_("Found on"), N_("Due by"), N_("Status")],
        table,
        total,
        query,
        new="/safety/hidden-dangers/new",
        filters=filters,
    )


def _danger_page(page: Page, ident: int, errors: list[str] | None = None, status_code: int = 200) -> HTMLResponse:
    r = service.get_hidden_danger(page.db, scope=page.scope, ident=ident)
    ents, zones, buildings = _lookup(page, [r])
    fields = [
        (N_("Grade"), page.label(DANGER_GRADES, r.grade)),
        (N_("Status"), page.label(DANGER_STATUS, r.status)),
        (N_("Owned by"), _who(page, ents, r.enterprise_id)["text"]),
        (N_("Location"), _where(page, zones, buildings, r)),
        (N_("Description"), r.description or "—"),
        (N_("Found"), f"{r.found_on.isoformat()} · {r.found_by}"),
        (N_("Assignee"), r.assignee or "—"),
        (
            N_("Due by"),
            (r.deadline.isoformat() if r.deadline else "—")
            + (" · " + page.gettext(N_("Past deadline")) if service.is_overdue(r) else ""),
        ),
        (N_("Measures"), r.measures or "—"),
        (N_("Rectification"), r.rectification or "—"),
        (N_("Verified"), f"{r.verified_by} · {_local(r.verified_at)}" if r.verified_by else "—"),
    ]
    history = [
        {
            "at": h.get("at", "")[:16].replace("T", " "),
            "status": page.label({**DANGER_STATUS, "verification_failed": N_("Verification failed")}, h.get("status")),
            "by": h.get("by"),
            "note": h.get("note") or "",
        }
        for h in r.history
    ]
    may_write = service.may_write(page.scope, r)
    actions = []
    if may_write and r.status in ("found", "assigned"):
        actions.append("assign")
    if may_write and r.status == "assigned":
        actions.append("rectify")
    if page.scope.can(service.WRITE) and r.status == "rectified" and r.park_id in page.scope.write_parks:
        actions.append("verify")
    return page.render(
        "safety/danger.html",
        _ctx(
            page,
            "hidden-dangers",
            title=r.title,
            fields=fields,
            history=history,
            danger=r,
            actions=actions,
            errors=errors or [],
            today=service.today().isoformat(),
        ),
        status_code=status_code,
    )


@router.get("/safety/hidden-dangers/new", response_class=HTMLResponse, name="safety_hidden_danger_new")
def new_danger_page(page: CurrentPage) -> HTMLResponse:
    park_id = _require(page)
    return _report_form(page, park_id, "danger")


@router.post("/safety/hidden-dangers/new", name="safety_hidden_danger_create")
def create_danger_page(page: CurrentPage, form: FormFields) -> Response:
    park_id = _require(page)
    page.check_csrf(form)

    def act() -> str:
        data = schemas.HiddenDangerCreate(
            title=form.get("title", ""),
            description=_opt(form.get("description")),
            grade=form.get("grade", "general"),
            enterprise_id=_opt(form.get("enterprise_id")),
            zone_id=_opt(form.get("zone_id")),
            building_id=_opt(form.get("building_id")),
            location=_opt(form.get("location")),
            deadline=_opt(form.get("deadline")),
        )
        return f"/safety/hidden-dangers/{service.create_hidden_danger(page.db, scope=page.scope, data=data).id}?done=1"

    return _attempt(page, act, lambda errors, status: _report_form(page, park_id, "danger", errors, status, form))


@router.get("/safety/hidden-dangers/{ident}", response_class=HTMLResponse, name="safety_hidden_danger")
def danger_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _require(page)
    return _danger_page(page, ident)


@router.post("/safety/hidden-dangers/{ident}/{action}", name="safety_hidden_danger_action")
def danger_action_page(ident: Ident, action: str, page: CurrentPage, form: FormFields) -> Response:
    _require(page)
    page.check_csrf(form)

    def act() -> str:
        if action == "assign":
            service.assign_hidden_danger(
                page.db,
                scope=page.scope,
                ident=ident,
                data=schemas.Assign(
                    assignee=form.get("assignee", ""),
                    deadline=form.get("deadline", ""),
                    measures=_opt(form.get("measures")),
                ),
            )
        elif action == "rectify":
            service.rectify_hidden_danger(
                page.db,
                scope=page.scope,
                ident=ident,
                data=schemas.Rectify(rectification=form.get("rectification", "")),
            )
        elif action == "verify":
            service.verify_hidden_danger(
                page.db,
                scope=page.scope,
                ident=ident,
                data=schemas.Verify(passed=form.get("passed") == "1", note=_opt(form.get("note"))),
            )
        else:
            raise NotFound(f"no action {action}")
        return f"/safety/hidden-dangers/{ident}?done=1"

    return _attempt(page, act, lambda errors, status: _danger_page(page, ident, errors, status))


# -- incidents -----------------------------------------------------------------------------------------------------
@router.get("/safety/incidents", response_class=HTMLResponse, name="safety_incidents")
def incidents_page(page: CurrentPage) -> HTMLResponse:
    _require(page)
    query = _query(page, service.INCIDENT_SPEC)
    rows, total = service.list_incidents(page.db, scope=page.scope, query=query)
    _, zones, buildings = _lookup(page, rows)
    table = [
        [
            {"text": r.code, "href": f"/safety/incidents/{r.id}", "primary": True},
            {"text": r.title},
            {"text": page.label(INCIDENT_KINDS, r.kind)},
            {"text": r.level, "badge": f"level-{r.level}"},
            {"text": page.label(SOURCES, r.source)},
            {"text": _where(page, zones, buildings, r)},
            {"text": _local(r.occurred_at)},
            {"text": page.label(INCIDENT_STATUS, r.status), "badge": f"status-{r.status}"},
        ]
        for r in rows
    ]
    filters = [
        {"name": "status", "options": [(k, page.gettext(v)) for k, v in INCIDENT_STATUS.items()]},
        {"name": "drill", "options": [("true", page.gettext(N_("Drills"))), ("false", page.gettext(N_("Incidents")))]},
    ]
    return _list(
        page,
        "incidents",
        N_("Incidents and drills"),
        [
            N_("Code"),
            N_("Title"),
            N_("Kind"),
            N_("Response level"),
            N_("Origin"),
            N_("Location"),
            N_("Occurred"),
            N_("Status"),
        ],
        table,
        total,
        query,
        new="/safety/incidents/new",
        filters=filters,
    )


def _report_form(
    page: Page,
    park_id: int,
    kind: str,
    errors: list[str] | None = None,
    status_code: int = 200,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    zones = [*page.db.scalars(page.scope.readable(Zone).where(Zone.park_id == park_id).order_by(Zone.code))]
    buildings = [
        *page.db.scalars(page.scope.readable(Building).where(Building.park_id == park_id).order_by(Building.code))
    ]
    enterprises = (
        []
        if page.scope.own_enterprise_only
        else [
            *page.db.scalars(
                page.scope.readable(Enterprise).where(Enterprise.park_id == park_id).order_by(Enterprise.name)
            )
        ]
    )
    return page.render(
        "safety/report_form.html",
        _ctx(
            page,
            "incidents" if kind == "incident" else "hidden-dangers",
            kind=kind,
            zones=zones,
            buildings=buildings,
            enterprises=enterprises,
            kinds=INCIDENT_KINDS,
            grades=DANGER_GRADES,
            errors=errors or [],
            values=values or {},
            may_drill=page.scope.can(service.COMMAND),
            max_mb=service.MAX_PHOTO_BYTES // (1024 * 1024),
        ),
        status_code=status_code,
    )


@router.get("/safety/incidents/new", response_class=HTMLResponse, name="safety_incident_new")
def new_incident_page(page: CurrentPage) -> HTMLResponse:
    park_id = _require(page)
    return _report_form(page, park_id, "incident")


@router.post("/safety/incidents/new", name="safety_incident_create")
async def create_incident_page(page: CurrentPage, request: Request) -> Response:
    park_id = _require(page)
    form = await request.form()
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    page.check_csrf(fields)
    uploads = [
        (u.filename or "", u.content_type or "", await u.read(service.MAX_PHOTO_BYTES + 1))
        for u in form.getlist("photos")
        if isinstance(u, UploadFile) and u.filename
    ]

    def act() -> str:
        lon, lat = _opt(fields.get("lon")), _opt(fields.get("lat"))
        data = schemas.IncidentCreate(
            title=fields.get("title", ""),
            kind=fields.get("kind", "other"),
            level=fields.get("level") or "IV",
            description=_opt(fields.get("description")),
            enterprise_id=_opt(fields.get("enterprise_id")),
            zone_id=_opt(fields.get("zone_id")),
            building_id=_opt(fields.get("building_id")),
            location=_opt(fields.get("location")),
            lon=lon,
            lat=lat,
            drill=fields.get("drill") == "1",
        )
        row = service.create_incident(page.db, scope=page.scope, data=data)
        for filename, content_type, content in uploads:
            service.add_photo(
                page.db, scope=page.scope, ident=row.id, filename=filename, content_type=content_type, content=content
            )
        return f"/safety/incidents/{row.id}?done=1"

    return _attempt(page, act, lambda errors, status: _report_form(page, park_id, "incident", errors, status, fields))


def _incident_page(page: Page, ident: int, errors: list[str] | None = None, status_code: int = 200) -> HTMLResponse:
    r = service.get_incident(page.db, scope=page.scope, ident=ident)
    ents, zones, buildings = _lookup(page, [r])
    plan = None
    if r.plan_id:
        try:
            plan = service.get_plan(page.db, scope=page.scope, ident=r.plan_id)
        except NotFound:  # the park's own plan is for staff
            plan = None
    team_rows, _ = service.list_resources(
        page.db, scope=page.scope, query=ListQuery(filters={"park_id": r.park_id, "kind": "team"}, page_size=200)
    )
    teams = {t.id: t.name for t in team_rows}
    fields = [
        (N_("Kind"), page.label(INCIDENT_KINDS, r.kind)),
        (N_("Response level"), r.level),
        (N_("Status"), page.label(INCIDENT_STATUS, r.status)),
        (N_("Origin"), page.label(SOURCES, r.source) + (f" · #{r.alarm_id}" if r.alarm_id else "")),
        (N_("Owned by"), _who(page, ents, r.enterprise_id)["text"]),
        (N_("Location"), _where(page, zones, buildings, r)),
        (N_("Occurred"), _local(r.occurred_at)),
        (N_("Reported by"), r.reported_by),
        (N_("Description"), r.description or "—"),
    ]
    if r.status == "closed":
        fields += [
            (N_("Closed out"), f"{_local(r.closed_at)} · {r.closed_by}"),
            (N_("Summary"), r.summary or ""),
            (N_("Casualties"), page.gettext(N_("%(d)s dead, %(i)s injured"), d=r.deaths, i=r.injuries)),
        ]
    return page.render(
        "safety/incident.html",
        _ctx(
            page,
            "incidents",
            title=f"{r.code} {r.title}",
            incident=r,
            fields=fields,
            plan=plan,
            timeline=[
                {"at": _local(e.at), "actor": e.actor, "kind": page.label(EVENT_KINDS, e.kind), "text": e.text}
                for e in service.timeline(page.db, scope=page.scope, ident=r.id)
            ],
            tasks=[
                {
                    "id": t.id,
                    "title": t.title,
                    "who": teams.get(t.team_id or 0) or t.assignee or "—",
                    "deadline": _local(t.deadline),
                    "status": t.status,
                    "status_text": page.label(TASK_STATUS, t.status),
                    "late": t.status == "assigned" and t.deadline < utcnow(),
                    "note": t.note or "",
                }
                for t in service.tasks(page.db, scope=page.scope, ident=r.id)
            ],
            photos=service.photos(page.db, scope=page.scope, ident=r.id),
            nearest=[
                {
                    "kind": page.label(RESOURCE_KINDS, res.kind),
                    "name": res.name,
                    "phone": res.phone or "",
                    "distance": d,
                }
                for res, d in service.nearest_resources(page.db, scope=page.scope, ident=r.id)
            ],
            pushes=service.pushes(page.db, scope=page.scope, ident=r.id),
            teams=teams,
            command=page.scope.can(service.COMMAND) and r.park_id in page.scope.write_parks,
            may_note=service.may_write(page.scope, r) or page.scope.can(service.COMMAND),
            errors=errors or [],
            max_mb=service.MAX_PHOTO_BYTES // (1024 * 1024),
        ),
        status_code=status_code,
    )


@router.get("/safety/incidents/{ident}", response_class=HTMLResponse, name="safety_incident")
def incident_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _require(page)
    return _incident_page(page, ident)


@router.get("/safety/incidents/{ident}/report", response_class=HTMLResponse, name="safety_incident_report")
def incident_report_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    """The printable report (the browser prints it; the same content as report.json)."""
    _require(page)
    document = service.report(page.db, scope=page.scope, ident=ident)
    return page.render(
        "safety/report_print.html",
        {
            "doc": document,
            "kinds": INCIDENT_KINDS,
            "statuses": INCIDENT_STATUS,
            "event_kinds": EVENT_KINDS,
            "resource_kinds": RESOURCE_KINDS,
            "task_statuses": TASK_STATUS,
        },
    )


@router.get("/safety/photos/{ident}", name="safety_photo")
def photo_page(ident: Ident, page: CurrentPage) -> Response:
    photo = service.get_photo(page.db, scope=page.scope, ident=ident)
    return file_response(photo.content, photo.content_type, photo.filename, inline=True)


@router.post("/safety/incidents/{ident}/{action}", name="safety_incident_action")
async def incident_action_page(ident: Ident, action: str, page: CurrentPage, request: Request) -> Response:
    _require(page)
    form = await request.form()
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    page.check_csrf(fields)
    upload = form.get("photo")
    content = await upload.read(service.MAX_PHOTO_BYTES + 1) if isinstance(upload, UploadFile) else b""

    def act() -> str:
        if action == "task":
            deadline = fields.get("deadline", "")
            when = dt.datetime.fromisoformat(deadline) if deadline else None
            if when is not None and when.tzinfo is None:
                when = when.replace(tzinfo=zoneinfo.ZoneInfo(get_settings().timezone))
            service.add_task(
                page.db,
                scope=page.scope,
                ident=ident,
                data=schemas.TaskCreate(
                    title=fields.get("title", ""),
                    team_id=_opt(fields.get("team_id")),
                    assignee=_opt(fields.get("assignee")),
                    detail=_opt(fields.get("detail")),
                    deadline=when,
                ),
            )
        elif action == "task-status":
            service.change_task(
                page.db,
                scope=page.scope,
                ident=int(fields.get("task_id", "0") or 0),
                data=schemas.TaskStatusChange(
                    status=fields.get("status", ""),
                    note=_opt(fields.get("note")),
                ),
            )
        elif action == "note":
            service.add_note(page.db, scope=page.scope, ident=ident, text=fields.get("text", ""))
        elif action == "photo":
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise ValidationFailed("photo: choose a photo", errors=[{"field": "photo", "reason": "choose a photo"}])
            service.add_photo(
                page.db,
                scope=page.scope,
                ident=ident,
                filename=upload.filename,
                content_type=upload.content_type or "",
                content=content,
            )
        elif action == "close":
            service.close_incident(
                page.db,
                scope=page.scope,
                ident=ident,
                data=schemas.Close(
                    summary=fields.get("summary", ""),
                    deaths=int(fields.get("deaths") or 0),
                    injuries=int(fields.get("injuries") or 0),
                ),
            )
        elif action == "push":
            service.push_report(page.db, scope=page.scope, ident=ident)
        else:
            raise NotFound(f"no action {action}")
        return f"/safety/incidents/{ident}?done=1"

    def retry(errors: list[str], status: int) -> Response:
        return _incident_page(page, ident, errors, status)

    try:
        return _attempt(page, act, retry)
    except ValueError as exc:  # a malformed number or date in the form
        return _incident_page(page, ident, [str(exc)], 422)


# -- plans and resources -------------------------------------------------------------------------------------------
@router.get("/safety/plans", response_class=HTMLResponse, name="safety_plans")
def plans_page(page: CurrentPage) -> HTMLResponse:
    _require(page)
    query = _query(page, service.PLAN_SPEC)
    rows, total = service.list_plans(page.db, scope=page.scope, query=query)
    ents, _, _ = _lookup(page, rows)
    table = [
        [
            {"text": r.code, "href": f"/safety/plans/{r.id}", "primary": True},
            {"text": r.title},
            {"text": page.label(PLAN_TYPES, r.plan_type)},
            _who(page, ents, r.enterprise_id),
            {"text": "、".join(page.label(INCIDENT_KINDS, k) for k in r.incident_kinds) or "—"},
            {"text": " / ".join(lv["level"] for lv in r.levels) or "—"},
            {"text": page.gettext(N_("In force")) if r.active else page.gettext(N_("Inactive")), "muted": not r.active},
        ]
        for r in rows
    ]
    return _list(
        page,
        "plans",
        N_("Emergency plans"),
        [
            N_("Code"),
            N_("Title"),
            N_("Type"),
            N_("Owned by"),
            N_("Incident kinds"),
            N_("Response levels"),
            N_("Status"),
        ],
        table,
        total,
        query,
    )


@router.get("/safety/plans/{ident}", response_class=HTMLResponse, name="safety_plan")
def plan_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _require(page)
    r = service.get_plan(page.db, scope=page.scope, ident=ident)
    ents, _, _ = _lookup(page, [r])
    fields = [
        (N_("Code"), r.code),
        (N_("Type"), page.label(PLAN_TYPES, r.plan_type)),
        (N_("Owned by"), _who(page, ents, r.enterprise_id)["text"]),
        (N_("Incident kinds"), "、".join(page.label(INCIDENT_KINDS, k) for k in r.incident_kinds) or "—"),
        (N_("Version"), f"{r.version or '—'} · {r.approved_on or '—'}"),
        (N_("Opens an incident by itself on"), page.label(SEVERITIES, r.auto_open_severity)),
    ]
    tables = [
        {
            "title": N_("Response levels"),
            "columns": [N_("Response level"), N_("Criteria")],
            "rows": [[lv["level"], lv["criteria"]] for lv in r.levels],
        },
        {
            "title": N_("Roles"),
            "columns": [N_("Role"), N_("Duty")],
            "rows": [[ro["role"], ro.get("duty", "")] for ro in r.roles],
        },
        {
            "title": N_("Steps"),
            "columns": ["#", N_("Step"), N_("Role"), N_("Within (minutes)")],
            "rows": [
                [str(i + 1), s["title"], s.get("role") or "—", str(s.get("within_minutes") or "—")]
                for i, s in enumerate(r.steps)
            ],
        },
    ]
    return _detail(page, "plans", f"{r.code} {r.title}", fields, tables=tables)


@router.get("/safety/resources", response_class=HTMLResponse, name="safety_resources")
def resources_page(page: CurrentPage) -> HTMLResponse:
    _require(page)
    query = _query(page, service.RESOURCE_SPEC)
    rows, total = service.list_resources(page.db, scope=page.scope, query=query)
    _, zones, buildings = _lookup(page, rows)
    table = [
        [
            {"text": r.name, "primary": True},
            {"text": page.label(RESOURCE_KINDS, r.kind), "badge": f"res-{r.kind}"},
            {"text": r.category or "—"},
            {"text": f"{r.quantity:g} {r.unit or ''}" if r.quantity is not None else "—"},
            {"text": _where(page, zones, buildings, r)},
            {"text": f"{r.contact or ''} {r.phone or ''}".strip() or "—"},
            {
                "text": page.gettext(N_("Available")) if r.available else page.gettext(N_("Unavailable")),
                "muted": not r.available,
            },
        ]
        for r in rows
    ]
    filters = [{"name": "kind", "options": [(k, page.gettext(v)) for k, v in RESOURCE_KINDS.items()]}]
    return _list(
        page,
        "resources",
        N_("Emergency resources"),
        [N_("Name"), N_("Kind"), N_("Category"), N_("Amount"), N_("Location"), N_("Contact"), N_("Status")],
        table,
        total,
        query,
        filters=filters,
    )
