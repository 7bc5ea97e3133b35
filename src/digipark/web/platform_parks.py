"""Pages of the platform administrator: every park of the deployment, a new park, a park's details
(`/platform/parks`). Everyone else gets 403 (`registry.parks.require_platform_admin`, before any input is read)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from digipark.core.bounds import INT32_MAX
from digipark.core.errors import DomainError
from digipark.registry import parks
from digipark.registry.models import Park
from digipark.registry.schemas import ParkCreate, ParkPlatformUpdate
from digipark.web.forms import domain_errors, validation_errors
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=INT32_MAX)]

FIELDS = ("code", "name", "name_en", "region_code", "address", "address_en", "level", "leading_industries")
EDITABLE = frozenset(FIELDS) - {"code"}


def _values(form: dict[str, str], names: frozenset[str] | tuple[str, ...]) -> dict[str, Any]:
    """The form's fields as the schema takes them: blank optional text is absent, industries are comma-separated."""
    values: dict[str, Any] = {}
    for name in names:
        raw = form.get(name, "").strip()
        if name == "leading_industries":
            values[name] = [code.strip() for code in raw.replace("，", ",").split(",") if code.strip()]
        elif raw or name in ("name", "region_code", "code"):
            values[name] = raw
        elif name in form:
            values[name] = None
    return values


def _shown(park: Park | None) -> dict[str, str]:
    if park is None:
        return {}
    shown = {name: str(getattr(park, name) or "") for name in FIELDS if name != "leading_industries"}
    shown["leading_industries"] = ", ".join(park.leading_industries or [])
    return shown


def _render(
    page: Page,
    *,
    editing: Park | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page.render(
        "registry/platform_parks.html",
        {
            "parks": parks.list_parks(page.db, user=page.user),
            "editing": editing,
            "values": values if values is not None else _shown(editing),
            "errors": errors or {},
            "saved": page.request.query_params.get("saved"),
        },
        status_code=status_code,
    )


def _errors(page: Page, exc: ValidationError | DomainError) -> dict[str, str]:
    if isinstance(exc, ValidationError):
        return validation_errors(exc, page.gettext)
    if exc.status in (403, 404):
        raise exc
    return domain_errors(exc, set(FIELDS))


@router.get("/platform/parks", response_class=HTMLResponse, name="platform_parks")
def list_page(page: CurrentPage) -> HTMLResponse:
    parks.require_platform_admin(page.user)
    return _render(page)


@router.post("/platform/parks", response_class=HTMLResponse)
def create(page: CurrentPage, form: FormFields) -> Response:
    parks.require_platform_admin(page.user)
    page.check_csrf(form)
    try:
        with page.db.begin_nested():
            park = parks.create(page.db, user=page.user, data=ParkCreate(**_values(form, FIELDS)))
    except (ValidationError, DomainError) as exc:
        status = exc.status if isinstance(exc, DomainError) else 422
        return _render(page, values=dict(form), errors=_errors(page, exc), status_code=status)
    return RedirectResponse(f"/platform/parks?saved={park.id}", status_code=303)


@router.get("/platform/parks/{ident}/edit", response_class=HTMLResponse, name="platform_park_edit")
def edit_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    parks.require_platform_admin(page.user)
    return _render(page, editing=parks.get_park(page.db, user=page.user, ident=ident))


@router.post("/platform/parks/{ident}/edit", response_class=HTMLResponse)
def update(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    parks.require_platform_admin(page.user)
    page.check_csrf(form)
    park = parks.get_park(page.db, user=page.user, ident=ident)
    try:
        with page.db.begin_nested():
            parks.update(page.db, user=page.user, ident=ident, data=ParkPlatformUpdate(**_values(form, EDITABLE)))
    except (ValidationError, DomainError) as exc:
        status = exc.status if isinstance(exc, DomainError) else 422
        return _render(page, editing=park, values=dict(form), errors=_errors(page, exc), status_code=status)
    return RedirectResponse(f"/platform/parks?saved={ident}", status_code=303)
