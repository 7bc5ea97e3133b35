"""The page of the syslog receiver's log sources (docs/cybersec.md): the senders it accepts for the park, by their
address or network or by the token their messages carry, each with the enterprise its events belong to. Park staff
who keep the security records add, pause and remove them; the token is shown once, never stored."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from digipark.core.errors import DomainError, NotFound
from digipark.core.listing import ListQuery
from digipark.cybersec import listener
from digipark.cybersec.common import WRITE
from digipark.cybersec.pages_ics import form_errors
from digipark.registry.models import Enterprise
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


def _park(page: Page) -> int:
    page.scope.require(WRITE)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    return page.park.id


def _sources_page(page: Page, *, errors: list[str] | None = None, values: dict[str, str] | None = None) -> HTMLResponse:
    park_id = _park(page)
    rows, _ = listener.LOG_SOURCES.list(
        page.db, scope=page.scope, query=ListQuery(page_size=500, filters={"park_id": park_id})
    )
    names = page.enterprise_names(
        dict(
            page.db.execute(
                select(Enterprise.id, Enterprise.name).where(
                    page.scope.condition(Enterprise), Enterprise.park_id == park_id
                )
            ).all()
        )
    )
    return page.render(
        "cybersec/log_sources.html",
        {"sources": rows, "names": names, "errors": errors or [], "values": values or {}},
        status_code=422 if errors else 200,
    )


@router.get("/security/log-sources", response_class=HTMLResponse, name="cybersec_log_sources")
def log_sources(page: CurrentPage) -> HTMLResponse:
    return _sources_page(page)


@router.post("/security/log-sources", response_class=HTMLResponse)
def log_source_create(page: CurrentPage, form: FormFields) -> Response:
    park_id = _park(page)
    page.check_csrf(form)
    raw: dict[str, Any] = {
        "name": form.get("name", ""),
        "network": form.get("network") or None,
        "token": form.get("token") or None,
        "enterprise_id": form.get("enterprise_id") or None,
        "park_id": park_id,
    }
    try:
        with page.db.begin_nested():
            listener.LOG_SOURCES.create(page.db, scope=page.scope, data=listener.LogSourceCreate(**raw))
    except (ValidationError, DomainError) as exc:
        shown = {k: str(v or "") for k, v in raw.items() if k != "token"}  # a token is never sent back
        return _sources_page(page, errors=form_errors(page, exc), values=shown)
    return RedirectResponse("/security/log-sources", status_code=303)


@router.post("/security/log-sources/{ident}/active", response_class=HTMLResponse)
def log_source_active(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    """Pause a source (its messages are refused) or take it back."""
    _park(page)
    page.check_csrf(form)
    row = listener.LOG_SOURCES.get(page.db, scope=page.scope, ident=ident)
    data = listener.LogSourceUpdate(active=not row.active)
    listener.LOG_SOURCES.update(page.db, scope=page.scope, ident=ident, data=data)
    return RedirectResponse("/security/log-sources", status_code=303)


@router.post("/security/log-sources/{ident}/delete", response_class=HTMLResponse)
def log_source_delete(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _park(page)
    page.check_csrf(form)
    listener.LOG_SOURCES.delete(page.db, scope=page.scope, ident=ident)
    return RedirectResponse("/security/log-sources", status_code=303)
