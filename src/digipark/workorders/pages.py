"""Work-order pages: the list (a resident sees the orders it reported), the report form (phone-sized, with a photo
and the building/floor/room), and an order with its photos and the next step: the team dispatches, starts and
completes it with a photo; the reporter rates it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import UploadFile

from digipark.core.downloads import file_response
from digipark.core.errors import DomainError, NotFound, PermissionDenied, field_error
from digipark.core.listing import ListQuery
from digipark.registry.models import Building, Floor, Room
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, Page
from digipark.workorders import service
from digipark.workorders.models import PhotoStage, State, WorkTeam
from digipark.workorders.schemas import WorkOrderCreate

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

CATEGORIES = {
    "repair": N_("Repair"),
    "cleaning": N_("Cleaning"),
    "complaint": N_("Complaint"),
    "maintenance": N_("Equipment maintenance"),
    "security": N_("Security"),
    "other": N_("Other"),
}
PRIORITIES = {"normal": N_("Normal"), "urgent": N_("Urgent")}
STATES = {
    "open": N_("Open"),
    "assigned": N_("Dispatched"),
    "in_progress": N_("In progress"),
    "done": N_("Done, awaiting rating"),
    "closed": N_("Rated and closed"),
    "cancelled": N_("Cancelled"),
}
ORIGINS = {
    "person": N_("Reported by a person"),
    "alarm": N_("Alarm"),
    "plan": N_("Maintenance plan"),
    "asset": N_("Asset"),
}
ESCALATIONS = {"0": N_("On time"), "1": N_("Overdue: team lead notified"), "2": N_("Overdue: park management notified")}


def _member(page: Page) -> int:
    page.scope.require(service.VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    return int(page.park.id)


def _labels() -> dict[str, Any]:
    return {
        "categories": CATEGORIES,
        "priorities": PRIORITIES,
        "states": STATES,
        "origins": ORIGINS,
        "escalations": ESCALATIONS,
    }


@router.get("/workorders", response_class=HTMLResponse, name="workorders")
def list_page(page: CurrentPage) -> HTMLResponse:
    _member(page)
    raw = dict(page.request.query_params)
    raw.pop("lang", None)
    query: ListQuery = service.ORDER_SPEC.parse_query(raw)
    query.page_size = min(query.page_size, 100)
    rows, total = service.list_orders(page.db, scope=page.scope, query=query)
    return page.render(
        "workorders/list.html",
        {
            "rows": rows,
            "total": total,
            "query": query,
            "may_report": page.scope.can(service.REPORT),
            "may_handle": page.scope.can(service.HANDLE),
            **_labels(),
        },
    )


def _places(page: Page, park_id: int) -> dict[str, Any]:
    """The park's buildings, floors and rooms to choose from (names and codes only)."""
    buildings = [*page.db.scalars(select(Building).where(Building.park_id == park_id).order_by(Building.code))]
    floors = page.db.execute(
        select(Floor.id, Floor.building_id, Floor.level, Floor.name)
        .where(Floor.park_id == park_id)
        .order_by(Floor.building_id, Floor.level)
    ).all()
    rooms = page.db.execute(
        select(Room.id, Room.building_id, Room.floor_id, Room.code)
        .where(Room.park_id == park_id)
        .order_by(Room.building_id, Room.code)
        .limit(2000)
    ).all()
    return {"buildings": buildings, "floors": floors, "rooms": rooms}


def _report_form(
    page: Page, park_id: int, values: dict[str, str], errors: dict[str, str] | None = None, status_code: int = 200
) -> HTMLResponse:
    return page.render(
        "workorders/report.html",
        {
            "values": values,
            "errors": errors or {},
            "max_mb": service.MAX_PHOTO_BYTES // (1024 * 1024),
            **_places(page, park_id),
            **_labels(),
        },
        status_code=status_code,
    )


@router.get("/workorders/new", response_class=HTMLResponse, name="workorder_new")
def new_page(page: CurrentPage) -> HTMLResponse:
    park_id = _member(page)
    page.scope.require(service.REPORT)
    return _report_form(page, park_id, {"category": "repair", "priority": "normal"})


def _optional_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


async def _form(request: Request) -> tuple[dict[str, str], list[tuple[str, str, bytes]]]:
    form = await request.form()
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    photos = [
        (u.filename or "", u.content_type or "", await u.read(service.MAX_PHOTO_BYTES + 1))
        for u in form.getlist("photo")
        if isinstance(u, UploadFile) and u.filename
    ]
    return fields, photos


def _errors(exc: ValidationError | DomainError) -> dict[str, str]:
    if isinstance(exc, ValidationError):
        return {str(e["loc"][0]) if e["loc"] else "": e["msg"] for e in exc.errors()}
    if isinstance(exc, PermissionDenied | NotFound):
        raise exc
    if exc.errors:
        return {str(e.get("field") or ""): str(e.get("reason")) for e in exc.errors}
    return {"": exc.detail}


def _attempt(page: Page, act: Callable[[], str], retry: Callable[[dict[str, str], int], HTMLResponse]) -> Response:
    try:
        with page.db.begin_nested():
            target = act()
    except (ValidationError, DomainError) as exc:
        errors = _errors(exc)
        return retry(errors, exc.status if isinstance(exc, DomainError) else 422)
    return RedirectResponse(target, status_code=303)


@router.post("/workorders/new", name="workorder_create")
async def create(page: CurrentPage, request: Request) -> Response:
    park_id = _member(page)
    page.scope.require(service.REPORT)
    fields, photos = await _form(request)
    page.check_csrf(fields)

    def act() -> str:
        data = WorkOrderCreate(
            category=fields.get("category") or "repair",
            priority=fields.get("priority") or "normal",
            title=fields.get("title", ""),
            description=fields.get("description") or None,
            building_id=_optional_id(fields.get("building_id")),
            floor_id=_optional_id(fields.get("floor_id")),
            room_id=_optional_id(fields.get("room_id")),
            location=fields.get("location") or None,
        )
        row = service.report(page.db, scope=page.scope, data=data)
        for filename, content_type, content in photos:
            service.add_photo(
                page.db,
                scope=page.scope,
                ident=row.id,
                stage=PhotoStage.REPORT,
                filename=filename,
                content_type=content_type,
                content=content,
            )
        return f"/workorders/{row.id}?saved=1"

    return _attempt(page, act, lambda errors, status: _report_form(page, park_id, fields, errors, status))


def _detail(page: Page, ident: int, errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    row = service.get_order(page.db, scope=page.scope, ident=ident)
    may_handle = page.scope.can(service.HANDLE) and row.park_id in page.scope.write_parks
    teams = (
        [*page.db.scalars(select(WorkTeam).where(WorkTeam.park_id == row.park_id).order_by(WorkTeam.name))]
        if may_handle
        else []
    )
    team = page.db.get(WorkTeam, row.team_id) if row.team_id else None
    building = page.db.get(Building, row.building_id) if row.building_id else None
    floor = page.db.get(Floor, row.floor_id) if row.floor_id else None
    room = page.db.get(Room, row.room_id) if row.room_id else None
    return page.render(
        "workorders/detail.html",
        {
            "order": row,
            "photos": service.photos(page.db, scope=page.scope, ident=ident),
            "team": team.name if team else None,
            "teams": teams,
            "building": building,
            "floor": floor,
            "room_code": room.code if room else None,
            "may_handle": may_handle,
            "may_rate": row.state == State.DONE.value and row.reporter_user_id == page.scope.user_id,
            "errors": errors or {},
            "saved": page.request.query_params.get("saved") == "1",
            "max_mb": service.MAX_PHOTO_BYTES // (1024 * 1024),
            **_labels(),
        },
        status_code=status_code,
    )


@router.get("/workorders/{ident}", response_class=HTMLResponse, name="workorder")
def detail_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _member(page)
    return _detail(page, ident)


@router.post("/workorders/{ident}", name="workorder_step")
async def step(ident: Ident, page: CurrentPage, request: Request) -> Response:
    """One step on an order, named by the form's `action`: assign, start, complete (with photos), cancel, rate."""
    _member(page)
    fields, photos = await _form(request)
    page.check_csrf(fields)
    action = fields.get("action", "")

    def act() -> str:
        db, scope = page.db, page.scope
        if action == "assign":
            service.assign(db, scope=scope, ident=ident, team_id=_optional_id(fields.get("team_id")))
        elif action == "start":
            service.start(db, scope=scope, ident=ident)
        elif action == "complete":
            for filename, content_type, content in photos:
                service.add_photo(
                    db,
                    scope=scope,
                    ident=ident,
                    stage=PhotoStage.COMPLETION,
                    filename=filename,
                    content_type=content_type,
                    content=content,
                )
            service.complete(db, scope=scope, ident=ident, note=(fields.get("note") or "").strip()[:4000] or None)
        elif action == "cancel":
            service.cancel(db, scope=scope, ident=ident)
        elif action == "rate":
            rating = _optional_id(fields.get("rating"))
            if rating is None or not 1 <= rating <= 5:
                raise field_error("rating", "choose 1 to 5 stars")
            service.rate(
                db, scope=scope, ident=ident, rating=rating, comment=(fields.get("comment") or "")[:200] or None
            )
        else:
            raise field_error("action", "unknown step")
        return f"/workorders/{ident}?saved=1"

    return _attempt(page, act, lambda errors, status: _detail(page, ident, errors, status))


@router.get("/workorders/photos/{ident}", name="workorder_photo")
def photo(ident: Ident, page: CurrentPage) -> Response:
    _member(page)
    found = service.get_photo(page.db, scope=page.scope, ident=ident)
    return file_response(found.content, found.content_type, found.filename, inline=True)
