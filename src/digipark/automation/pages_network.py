"""The park's allow-list of inside networks that webhooks and notification robots may reach (everything inside
the platform's network is refused otherwise: core/network.py): staff read it, the park's admin adds and
removes entries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from digipark.automation import allowlist, service
from digipark.core.errors import DomainError, NotFound
from digipark.core.listing import ListQuery
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
PATH = "/automation/allowed-networks"


def _render(
    page: Page, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, status_code: int = 200
) -> HTMLResponse:
    page.scope.require(service.VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    rows, _ = allowlist.ALLOWED.list(page.db, scope=page.scope, query=ListQuery(page_size=200))
    return page.render(
        "automation/allowed_networks.html",
        {
            "rows": rows,
            "may_write": page.scope.can(allowlist.ADMIN),
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get(PATH, response_class=HTMLResponse, name="automation_allowed_networks")
def allowed_page(page: CurrentPage) -> HTMLResponse:
    return _render(page)


@router.post(PATH, response_class=HTMLResponse)
def allowed_add(page: CurrentPage, form: FormFields) -> Response:
    page.scope.require(allowlist.ADMIN)
    page.check_csrf(form)
    try:
        data = allowlist.AllowCreate(network=str(form.get("network", "")), note=str(form.get("note", "")) or None)
        with page.db.begin_nested():
            allowlist.ALLOWED.create(page.db, scope=page.scope, data=data)
    except DomainError as exc:
        errors = (
            {str(e.get("field") or ""): str(e.get("reason")) for e in exc.errors} if exc.errors else {"": exc.detail}
        )
        return _render(page, dict(form), errors, status_code=exc.status)
    except ValidationError as exc:
        errors = {str(e["loc"][0]) if e["loc"] else "": e["msg"] for e in exc.errors()}
        return _render(page, dict(form), errors, status_code=422)
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/{ident}/delete")
def allowed_delete(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    page.scope.require(allowlist.ADMIN)
    page.check_csrf(form)
    with page.db.begin_nested():
        allowlist.ALLOWED.delete(page.db, scope=page.scope, ident=ident)
    return RedirectResponse(PATH, status_code=303)
