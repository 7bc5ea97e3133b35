"""Safety pages of incidents and drills: the board, the report form with photos, the incident with its tasks,
timeline, nearest resources and closing, and the printable report."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from digipark.core.config import get_settings
from digipark.core.db import utcnow
from digipark.core.downloads import file_response
from digipark.core.errors import NotFound, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.safety import schemas, service
from digipark.safety.page_parts import (
    EVENT_KINDS,
    INCIDENT_KINDS,
    INCIDENT_STATUS,
    RESOURCE_KINDS,
    SOURCES,
    TASK_STATUS,
    Ident,
    attempt,
    list_page,
    list_query,
    lookup,
    optional,
    report_form,
    require_park,
    section_context,
    shown_time,
    where_text,
    who_cell,
)
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, Page

router = APIRouter(include_in_schema=False)


@router.get("/safety/incidents", response_class=HTMLResponse, name="safety_incidents")
def incidents_page(page: CurrentPage) -> HTMLResponse:
    require_park(page)
    query = list_query(page, service.INCIDENT_SPEC)
    rows, total = service.list_incidents(page.db, scope=page.scope, query=query)
    _, zones, buildings = lookup(page, rows)
    table = [
        [
            {"text": r.code, "href": f"/safety/incidents/{r.id}", "primary": True},
            {"text": page.name(r, "title")},
            {"text": page.label(INCIDENT_KINDS, r.kind)},
            {"text": r.level, "badge": f"level-{r.level}"},
            {"text": page.label(SOURCES, r.source)},
            {"text": where_text(page, zones, buildings, r)},
            {"text": shown_time(r.occurred_at)},
            {"text": page.label(INCIDENT_STATUS, r.status), "badge": f"status-{r.status}"},
        ]
        for r in rows
    ]
    filters = [
        {"name": "status", "options": [(k, page.gettext(v)) for k, v in INCIDENT_STATUS.items()]},
        {"name": "drill", "options": [("true", page.gettext(N_("Drills"))), ("false", page.gettext(N_("Incidents")))]},
    ]
    return list_page(
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


@router.get("/safety/incidents/new", response_class=HTMLResponse, name="safety_incident_new")
def new_incident_page(page: CurrentPage) -> HTMLResponse:
    park_id = require_park(page)
    return report_form(page, park_id, "incident")


@router.post("/safety/incidents/new", name="safety_incident_create")
async def create_incident_page(page: CurrentPage, request: Request) -> Response:
    park_id = require_park(page)
    form = await request.form()
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    page.check_csrf(fields)
    uploads = [
        (u.filename or "", u.content_type or "", await u.read(service.MAX_PHOTO_BYTES + 1))
        for u in form.getlist("photos")
        if isinstance(u, UploadFile) and u.filename
    ]

    def act() -> str:
        lon, lat = optional(fields.get("lon")), optional(fields.get("lat"))
        data = schemas.IncidentCreate(
            title=fields.get("title", ""),
            title_en=optional(fields.get("title_en")),
            kind=fields.get("kind", "other"),
            level=fields.get("level") or "IV",
            description=optional(fields.get("description")),
            enterprise_id=optional(fields.get("enterprise_id")),
            zone_id=optional(fields.get("zone_id")),
            building_id=optional(fields.get("building_id")),
            location=optional(fields.get("location")),
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

    return attempt(page, act, lambda errors, status: report_form(page, park_id, "incident", errors, status, fields))


def _incident_page(page: Page, ident: int, errors: list[str] | None = None, status_code: int = 200) -> HTMLResponse:
    r = service.get_incident(page.db, scope=page.scope, ident=ident)
    ents, zones, buildings = lookup(page, [r])
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
        (N_("Owned by"), who_cell(page, ents, r.enterprise_id)["text"]),
        (N_("Location"), where_text(page, zones, buildings, r)),
        (N_("Occurred"), shown_time(r.occurred_at)),
        (N_("Reported by"), r.reported_by),
        (N_("Description"), r.description or "—"),
    ]
    if r.status == "closed":
        fields += [
            (N_("Closed out"), f"{shown_time(r.closed_at)} · {r.closed_by}"),
            (N_("Summary"), r.summary or ""),
            (N_("Casualties"), page.gettext(N_("%(d)s dead, %(i)s injured"), d=r.deaths, i=r.injuries)),
        ]
    return page.render(
        "safety/incident.html",
        section_context(
            page,
            "incidents",
            title=f"{r.code} {page.name(r, 'title')}",
            incident=r,
            fields=fields,
            plan=plan,
            timeline=[
                {"at": shown_time(e.at), "actor": e.actor, "kind": page.label(EVENT_KINDS, e.kind), "text": e.text}
                for e in service.timeline(page.db, scope=page.scope, ident=r.id)
            ],
            tasks=[
                {
                    "id": t.id,
                    "title": t.title,
                    "who": teams.get(t.team_id or 0) or t.assignee or "—",
                    "deadline": shown_time(t.deadline),
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
    require_park(page)
    return _incident_page(page, ident)


@router.get("/safety/incidents/{ident}/report", response_class=HTMLResponse, name="safety_incident_report")
def incident_report_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    """The printable report (the browser prints it; the same content as report.json)."""
    require_park(page)
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
    require_park(page)
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
                    team_id=optional(fields.get("team_id")),
                    assignee=optional(fields.get("assignee")),
                    detail=optional(fields.get("detail")),
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
                    note=optional(fields.get("note")),
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
        return attempt(page, act, retry)
    except ValueError as exc:  # a malformed number or date in the form
        return _incident_page(page, ident, [str(exc)], 422)


# -- plans and resources -------------------------------------------------------------------------------------------
