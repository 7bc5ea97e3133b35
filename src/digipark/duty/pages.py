"""The duty roster page (/duty-roster): the park's teams with their members in roster order, shifts on a weekly
pattern and date overrides, and who is on duty now; park administrators add and remove each of them by the forms
on the page. Every write goes through the duty service and the caller's scope."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from digipark.core.errors import DomainError, NotFound
from digipark.duty import service
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def _reader(page: Page) -> None:
    page.scope.require(service.VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")


def _render(page: Page, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    users = service.staff_users(page.db, scope=page.scope)
    return page.render(
        "duty/roster.html",
        {
            "teams": service.roster(page.db, scope=page.scope),
            "now": service.on_duty_for(page.db, scope=page.scope),
            "users": users,
            "names": {u.id: u.display_name for u in users},
            "weekdays": WEEKDAYS,
            "may_write": page.scope.can(service.WRITE),
            "error": error,
            "saved": page.request.query_params.get("saved") == "1",
        },
        status_code=status_code,
    )


@router.get("/duty-roster", response_class=HTMLResponse, name="duty_roster")
def roster_page(page: CurrentPage) -> HTMLResponse:
    _reader(page)
    return _render(page)


def _int(form: dict[str, Any], key: str, default: int | None = None) -> int | None:
    raw = str(form.get(key) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or len(raw) > 9:
        raise DomainError(f"{key}: not a number")
    return int(raw)


def _time(form: dict[str, Any], key: str) -> dt.time:
    try:
        return dt.time.fromisoformat(str(form.get(key) or ""))
    except ValueError:
        raise DomainError(f"{key}: not a time (HH:MM)") from None


def _write(page: Page, form: FormFields, action: Any) -> Response:
    _reader(page)
    page.scope.require(service.WRITE)
    page.check_csrf(form)
    try:
        with page.db.begin_nested():
            action()
    except DomainError as exc:
        return _render(page, page.gettext("Not saved: %(reason)s") % {"reason": exc.detail}, 422)
    return RedirectResponse("/duty-roster?saved=1", status_code=303)


@router.post("/duty-roster/teams", response_class=HTMLResponse)
def create_team(page: CurrentPage, form: FormFields) -> Response:
    return _write(
        page,
        form,
        lambda: service.create_team(
            page.db,
            scope=page.scope,
            name=str(form.get("name") or ""),
            name_en=str(form.get("name_en") or ""),
            lead_user_id=_int(form, "lead_user_id"),
        ),
    )


@router.post("/duty-roster/teams/{ident}/members", response_class=HTMLResponse)
def add_member(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    return _write(
        page,
        form,
        lambda: service.add_member(
            page.db,
            scope=page.scope,
            team_id=ident,
            user_id=_int(form, "user_id") or 0,
            position=_int(form, "position", 0) or 0,
            phone=str(form.get("phone") or ""),
        ),
    )


@router.post("/duty-roster/teams/{ident}/shifts", response_class=HTMLResponse)
def add_shift(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    days = [d for d in range(7) if form.get(f"weekday_{d}") == "1"]
    return _write(
        page,
        form,
        lambda: service.add_shift(
            page.db,
            scope=page.scope,
            team_id=ident,
            name=str(form.get("name") or ""),
            name_en=str(form.get("name_en") or ""),
            starts=_time(form, "starts"),
            ends=_time(form, "ends"),
            weekdays=days,
        ),
    )


@router.post("/duty-roster/shifts/{ident}/overrides", response_class=HTMLResponse)
def add_override(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    def action() -> None:
        try:
            on_date = dt.date.fromisoformat(str(form.get("on_date") or ""))
        except ValueError:
            raise DomainError("on_date: not a date") from None
        service.add_override(
            page.db,
            scope=page.scope,
            shift_id=ident,
            on_date=on_date,
            user_id=_int(form, "user_id"),
            off=form.get("off") == "1",
        )

    return _write(page, form, action)


@router.post("/duty-roster/{kind}/{ident}/delete", response_class=HTMLResponse)
def delete(kind: str, ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    if kind not in service.KINDS:
        raise NotFound("no such roster record")
    return _write(page, form, lambda: service.delete(page.db, scope=page.scope, kind=kind, ident=ident))
