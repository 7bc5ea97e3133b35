"""Living-service pages for security and bills, and the car-park page's live stream: the security desk (events
with their snapshots and work orders; patrol rounds with the checkpoints still missing) for staff, and bills of
units (an enterprise its own, staff all of the park's, and they record payments)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import select

from digipark.core.errors import NotFound
from digipark.core.listing import ListQuery
from digipark.living import bills, live, security, visitors
from digipark.living.models import BillKind, BillStatus, SecurityKind
from digipark.registry.models import Building, Enterprise, Room
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

SECURITY_KINDS = {
    SecurityKind.INTRUSION.value: N_("Intrusion"),
    SecurityKind.LOITERING.value: N_("Loitering"),
    SecurityKind.SMOKE.value: N_("Smoke or fire"),
    SecurityKind.HELMET.value: N_("No safety helmet"),
    SecurityKind.FORCED_DOOR.value: N_("Door forced open"),
    SecurityKind.OTHER.value: N_("Other event"),
}
BILL_KINDS = {
    BillKind.RENT.value: N_("Rent"),
    BillKind.PROPERTY_FEE.value: N_("Property fee"),
    BillKind.ELECTRICITY.value: N_("Electricity re-billed"),
}
BILL_STATES = {BillStatus.UNPAID.value: N_("Unpaid"), BillStatus.PAID.value: N_("Paid")}


def _park(page: Page) -> int:
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    return int(page.park.id)


def _names(page: Page, model: type[Building] | type[Enterprise], ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = page.db.execute(select(model.id, model.name).where(model.id.in_(sorted(ids))))
    return {int(i): str(n) for i, n in rows}


def _room_codes(page: Page, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {int(i): str(c) for i, c in page.db.execute(select(Room.id, Room.code).where(Room.id.in_(sorted(ids))))}


@router.get("/living/security", response_class=HTMLResponse, name="living_security")
def security_page(page: CurrentPage) -> HTMLResponse:
    _park(page)
    page.scope.require(visitors.GATE)
    events, total = security.list_events(page.db, scope=page.scope, query=ListQuery(page_size=50))
    routes, _ = security.ROUTES.list(page.db, scope=page.scope, query=ListQuery(page_size=50))
    return page.render(
        "living/security.html",
        {
            "events": events,
            "total": total,
            "kinds": SECURITY_KINDS,
            "buildings": _names(page, Building, {e.building_id for e in events if e.building_id}),
            "rounds": [(r, security.status(page.db, scope=page.scope, ident=r.id)) for r in routes],
        },
    )


@router.get("/living/security/{ident}", response_class=HTMLResponse, name="living_security_event")
def security_event_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _park(page)
    row = security.get_event(page.db, scope=page.scope, ident=ident)
    return page.render(
        "living/security_event.html",
        {
            "e": row,
            "kinds": SECURITY_KINDS,
            "building": _names(page, Building, {row.building_id} if row.building_id else set()).get(
                row.building_id or 0
            ),
        },
    )


@router.get("/living/security/{ident}/snapshot", name="living_security_snapshot")
def snapshot(ident: Ident, page: CurrentPage) -> Response:
    content, media_type = security.snapshot_of(page.db, scope=page.scope, ident=ident)
    return Response(content, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})


@router.get("/living/bills", response_class=HTMLResponse, name="living_bills")
def bills_page(page: CurrentPage, status: Annotated[str | None, Query(max_length=10)] = None) -> HTMLResponse:
    _park(page)
    filters = {"status": status} if status in BILL_STATES else {}
    rows, total = bills.list_bills(page.db, scope=page.scope, query=ListQuery(page_size=200, filters=filters))
    return page.render(
        "living/bills.html",
        {
            "bills": rows,
            "total": total,
            "status": status if status in BILL_STATES else None,
            "kinds": BILL_KINDS,
            "states": BILL_STATES,
            "enterprises": _names(page, Enterprise, {b.enterprise_id for b in rows if b.enterprise_id}),
            "rooms": _room_codes(page, {b.room_id for b in rows if b.room_id}),
            "may_mark_paid": page.scope.can(visitors.MANAGE),
            "unpaid_yuan": sum((b.amount_yuan for b in rows if b.status == BillStatus.UNPAID.value), start=0),
        },
    )


@router.post("/living/bills/{ident}/paid", name="living_bill_paid")
def bill_paid(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _park(page)
    page.scope.require(visitors.MANAGE)
    page.check_csrf(form)
    bills.mark_paid(page.db, scope=page.scope, ident=ident)
    return RedirectResponse("/living/bills?saved=1", status_code=303)


@router.get("/living/parking/live", name="living_parking_live")
def parking_live(page: CurrentPage) -> StreamingResponse:
    """The car-park page's occupancy as server-sent events (`event: occupancy`, the list of the park's car parks)."""
    return live.open_stream(page.db, page.scope, _park(page))
