"""What the safety pages share: the label maps, the page guard, list queries, form errors, lookups of names and
places, the list and detail page layouts and the report form (of an incident or a hidden danger)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from digipark.core.errors import DomainError, NotFound, PermissionDenied
from digipark.core.listing import ListQuery, ListSpec
from digipark.registry.models import Building, Enterprise, Zone
from digipark.safety import service
from digipark.web import i18n
from digipark.web.i18n import N_
from digipark.web.shell import Page

Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


LEVEL_LABELS = {
    "red": N_("Major risk (red)"),
    "orange": N_("Considerable risk (orange)"),
    "yellow": N_("Moderate risk (yellow)"),
    "blue": N_("Low risk (blue)"),
}
# emergency response levels of a plan and an incident (Ⅰ the highest)
RESPONSE_LEVELS = {
    "I": N_("Level I response"),
    "II": N_("Level II response"),
    "III": N_("Level III response"),
    "IV": N_("Level IV response"),
}
DANGER_STATUS = {
    "found": N_("Found"),
    "assigned": N_("Assigned"),
    "rectified": N_("Rectified"),
    "verified": N_("Verified"),
}
# GB 18218-2018 4.4: the grade of a major hazard source, 一级 (the highest) to 四级.
HAZARD_GRADES = {1: N_("Grade I"), 2: N_("Grade II"), 3: N_("Grade III"), 4: N_("Grade IV")}
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


def require_park(page: Page) -> int:
    page.scope.require(service.VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    return page.park.id


def names_of(page: Page, model: Any, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = page.db.execute(page.scope.readable(model, select(model.id, model.name)).where(model.id.in_(wanted)))
    return {row[0]: row[1] for row in rows}


def shown_time(value: dt.datetime | None) -> str:
    return i18n.local_time(value)


def list_query(page: Page, spec: ListSpec) -> ListQuery:
    raw = dict(page.request.query_params)
    raw.pop("lang", None)
    query = spec.parse_query(raw)
    query.page_size = min(query.page_size, 200)
    return query


def error_texts(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    if isinstance(exc, DomainError):
        if exc.errors:
            return [f"{e.get('field') or ''}: {e.get('reason')}".strip(": ") for e in exc.errors]
        return [exc.detail]
    return [str(exc)]


def attempt(page: Page, act: Callable[[], str], retry: Callable[[list[str], int], Response]) -> Response:
    """Run a write in a savepoint; on bad input undo it and show the page again with the reasons."""
    try:
        with page.db.begin_nested():
            target = act()
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, PermissionDenied | NotFound):
            raise
        status = exc.status if isinstance(exc, DomainError) else 422
        return retry(error_texts(exc), status)
    return RedirectResponse(target, status_code=303)


def notice_of(page: Page) -> str | None:
    done = page.request.query_params.get("done")
    return page.gettext(N_("Saved.")) if done else None


def section_context(page: Page, section: str, **extra: Any) -> dict[str, Any]:
    return {"sections": SECTIONS, "section": section, "notice": notice_of(page), "errors": [], **extra}


def level_badge(page: Page, level: str | None) -> dict[str, Any]:
    return {"text": page.label(LEVEL_LABELS, level), "badge": f"risk-{level}" if level else None}


def optional(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def lines_of(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def list_page(
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
        section_context(
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


def who_cell(page: Page, enterprise_names: dict[int, str], enterprise_id: int | None) -> dict[str, Any]:
    if enterprise_id is None:
        return {"text": page.gettext(N_("The park")), "muted": True}
    return {"text": enterprise_names.get(enterprise_id, f"#{enterprise_id}")}


def where_text(page: Page, zones: dict[int, str], buildings: dict[int, str], row: Any) -> str:
    parts = [zones.get(row.zone_id, ""), buildings.get(row.building_id, ""), row.location or ""]
    return " · ".join(p for p in parts if p) or "—"


def lookup(page: Page, rows: list[Any]) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    return (
        names_of(page, Enterprise, {getattr(r, "enterprise_id", None) for r in rows}),
        names_of(page, Zone, {getattr(r, "zone_id", None) for r in rows}),
        names_of(page, Building, {getattr(r, "building_id", None) for r in rows}),
    )


def detail_page(page: Page, section: str, title: str, fields: list[tuple[str, Any]], **extra: Any) -> HTMLResponse:
    return page.render("safety/detail.html", section_context(page, section, title=title, fields=fields, **extra))


def report_form(
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
        section_context(
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
