"""Service pages: the catalogue (browse, search by kind), a service with its week's calendar and the booking form,
and the bookings page where an enterprise follows its requests and a provider approves or declines those made to
it. Every read and write goes through the services' service functions and the caller's scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from digipark.core.errors import DomainError, NotFound, PermissionDenied
from digipark.core.listing import ListQuery
from digipark.registry.models import Enterprise
from digipark.services import booking, finance, purchasing, supply_chain
from digipark.services.catalogue import OFFERINGS
from digipark.services.common import USE, VIEW, WRITE, today, zone
from digipark.services.schemas import BookingCreate
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

KINDS = {
    "shared_equipment": N_("Shared manufacturing equipment"),
    "shared_warehouse": N_("Shared warehouse"),
    "rnd_design": N_("R&D and design"),
    "testing": N_("Testing and certification"),
    "transformation": N_("Digital transformation service"),
    "logistics": N_("Logistics"),
    "finance": N_("Finance product"),
}
PRICE_UNITS = {
    "hour": N_("per hour"),
    "day": N_("per day"),
    "m2_month": N_("per m² and month"),
    "pallet_day": N_("per pallet and day"),
    "sample": N_("per sample"),
    "project": N_("per project"),
    "shipment": N_("per shipment"),
    "t": N_("per tonne"),
    "none": N_("by agreement"),
}
STATUSES = {
    "requested": N_("Requested"),
    "approved": N_("Approved"),
    "declined": N_("Declined"),
    "cancelled": N_("Cancelled"),
    "checked_in": N_("Checked in"),
    "completed": N_("Completed"),
}
POST_KINDS = {
    "need": N_("Need"),
    "capacity": N_("Capacity offered"),
    "scenario": N_("Open scenario"),
    "capability": N_("Shared capability"),
}
APPLICATION_STATUSES = {
    "submitted": N_("Submitted"),
    "reviewing": N_("Under review"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"),
}
CALENDAR_DAYS = 7


def _reader(page: Page) -> None:
    page.scope.require(VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")


@router.get("/services", response_class=HTMLResponse, name="services")
def catalogue_page(page: CurrentPage) -> HTMLResponse:
    _reader(page)
    raw = dict(page.request.query_params)
    raw.pop("lang", None)
    query = OFFERINGS.list_spec.parse_query(raw)
    query.page_size = min(query.page_size, 100)
    query.filters.setdefault("active", True)
    rows, total = OFFERINGS.list(page.db, scope=page.scope, query=query)
    return page.render(
        "services/catalogue.html",
        {"rows": rows, "total": total, "query": query, "kinds": KINDS, "price_units": PRICE_UNITS},
    )


@router.get("/services/board", response_class=HTMLResponse, name="service_board")
def board_page(page: CurrentPage) -> HTMLResponse:
    """The demand board (needs, capacity offers, lead enterprises' scenarios and capabilities), the matches of
    the caller's own needs, and the joint-selling listings."""
    _reader(page)
    open_posts = ListQuery(page_size=200, filters={"open": True}, sort="-id")
    posts = supply_chain.POSTS.list(page.db, scope=page.scope, query=open_posts)[0]
    own = page.scope.enterprise_id
    matches = {
        p.id: [
            {
                "name": m.name,
                "score": m.score,
                "reasons": [page.gettext(r.message, **r.params) for r in m.reason_codes],
            }
            for m in supply_chain.match(page.db, scope=page.scope, post_id=p.id, limit=5)
        ]
        for p in posts
        if p.kind == "need" and (own is None or p.enterprise_id == own)
    }
    listings = purchasing.LISTINGS.list(
        page.db, scope=page.scope, query=ListQuery(page_size=200, filters={"active": True})
    )[0]
    ids = {p.enterprise_id for p in posts} | {x.enterprise_id for x in listings}
    names = enterprise_names(page, ids)
    return page.render(
        "services/board.html",
        {"posts": posts, "post_kinds": POST_KINDS, "matches": matches, "listings": listings, "names": names},
    )


@router.get("/services/account", response_class=HTMLResponse, name="service_account")
def account_page(page: CurrentPage) -> HTMLResponse:
    """An enterprise's month: its statement, its group-purchase savings and its finance applications (consent to
    share the credit profile here). Staff see the park's applications and savings."""
    _reader(page)
    month = _month(page)
    bill = None
    if page.scope.enterprise_id is not None:
        bill = booking.statement(page.db, scope=page.scope, enterprise_id=None, month=month)
    saved = purchasing.savings(page.db, scope=page.scope)
    applications = finance.list_applications(page.db, scope=page.scope, query=ListQuery(page_size=100, sort="-id"))[0]
    ids = {s.enterprise_id for s in saved} | {a.enterprise_id for a in applications}
    names = enterprise_names(page, ids)
    return page.render(
        "services/account.html",
        {
            "month": month,
            "bill": bill,
            "price_units": PRICE_UNITS,
            "savings": saved,
            "applications": applications,
            "names": names,
            "application_statuses": APPLICATION_STATUSES,
            "may_consent": page.scope.own_enterprise_only,
            "saved": page.request.query_params.get("saved") == "1",
        },
    )


def _month(page: Page) -> dt.date:
    try:
        return dt.date.fromisoformat(page.request.query_params.get("month", "") + "-01")
    except ValueError:
        return today().replace(day=1)


@router.post("/services/applications/{ident}/consent")
def consent(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _reader(page)
    page.check_csrf(form)
    finance.consent(page.db, scope=page.scope, ident=ident)
    return RedirectResponse("/services/account?saved=1", status_code=303)


@router.get("/services/offerings/{ident}", response_class=HTMLResponse, name="service_offering")
def offering_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _reader(page)
    return _offering(page, ident, {}, {})


def _offering(
    page: Page, ident: int, values: dict[str, str], errors: dict[str, str], *, status_code: int = 200
) -> HTMLResponse:
    row = OFFERINGS.get(page.db, scope=page.scope, ident=ident)
    days: list[dict[str, Any]] = []
    if row.bookable:
        slots = booking.calendar(page.db, scope=page.scope, offering_id=ident, day=today(), days=CALENDAR_DAYS)
        for slot in slots:
            local = slot.starts_at.astimezone(zone())
            if not days or days[-1]["day"] != local.date():
                days.append({"day": local.date(), "slots": []})
            days[-1]["slots"].append(
                {"time": local.strftime("%H:%M"), "free": slot.free_units, "maintenance": slot.maintenance}
            )
    return page.render(
        "services/offering.html",
        {
            "offering": row,
            "kind": page.label(KINDS, row.kind),
            "price_unit": page.label(PRICE_UNITS, row.price_unit),
            "days": days,
            "may_book": row.bookable and page.scope.can(USE) and page.scope.own_enterprise_only,
            "values": values,
            "errors": errors,
        },
        status_code=status_code,
    )


@router.post("/services/offerings/{ident}/book", response_class=HTMLResponse)
def book(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _reader(page)
    page.scope.require(USE)
    page.check_csrf(form)
    try:
        day = dt.date.fromisoformat(form.get("day", ""))
        start = dt.datetime.combine(day, dt.time.fromisoformat(form.get("start", "")), zone())
        end = dt.datetime.combine(day, dt.time.fromisoformat(form.get("end", "")), zone())
    except ValueError:
        return _offering(
            page, ident, form, {"day": page.gettext("Give a day and a start and end time.")}, status_code=422
        )
    try:
        with page.db.begin_nested():
            booking.create_booking(
                page.db,
                scope=page.scope,
                data=BookingCreate(
                    offering_id=ident, starts_at=start, ends_at=end, purpose=form.get("purpose") or None
                ),
            )
    except (ValidationError, DomainError) as exc:
        return _offering(page, ident, form, _errors(exc), status_code=_status(exc))
    return RedirectResponse("/services/bookings?saved=1", status_code=303)


@router.get("/services/bookings", response_class=HTMLResponse, name="service_bookings")
def bookings_page(page: CurrentPage) -> HTMLResponse:
    _reader(page)
    rows, total = booking.list_bookings(
        page.db, scope=page.scope, query=ListQuery(page_size=100, sort="-starts_at,-id")
    )
    names = {o.id: page.name(o) for o in OFFERINGS.list(page.db, scope=page.scope, query=ListQuery(page_size=1000))[0]}
    items = [
        {
            "booking": b,
            "offering": names.get(b.offering_id, str(b.offering_id)),
            "status": page.label(STATUSES, b.status),
            "may_decide": b.status == "requested" and booking.is_provider(page.scope, b),
            "mine": page.scope.enterprise_id is not None and b.enterprise_id == page.scope.enterprise_id,
        }
        for b in rows
    ]
    return page.render(
        "services/bookings.html",
        {"items": items, "total": total, "saved": page.request.query_params.get("saved") == "1"},
    )


@router.post("/services/bookings/{ident}/decide")
def decide(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _reader(page)
    if not (page.scope.can(USE) or page.scope.can(WRITE)):
        raise PermissionDenied("you may not decide bookings")
    page.check_csrf(form)
    booking.decide(
        page.db, scope=page.scope, ident=ident, approve=form.get("approve") == "1", note=form.get("note") or None
    )
    return RedirectResponse("/services/bookings?saved=1", status_code=303)


def _errors(exc: ValidationError | DomainError) -> dict[str, str]:
    if isinstance(exc, ValidationError):
        return {str(e["loc"][0]) if e["loc"] else "": e["msg"] for e in exc.errors()}
    if isinstance(exc, PermissionDenied | NotFound):
        raise exc
    if exc.errors:
        return {str(e.get("field") or ""): str(e.get("reason")) for e in exc.errors}
    return {"": exc.detail}


def _status(exc: ValidationError | DomainError) -> int:
    return exc.status if isinstance(exc, DomainError) else 422


def enterprise_names(page: Page, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(page.db.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(wanted))).all())


def month_of(raw: str) -> dt.date:
    """A month input's value (YYYY-MM) or a day (YYYY-MM-DD) as the month's first day; ValueError otherwise."""
    raw = raw.strip()
    return dt.date.fromisoformat(raw + "-01" if len(raw) == 7 else raw).replace(day=1)
