"""A device's shared attributes page: the attributes with their version and whether the device was sent them,
and the form to set one (key and a JSON value), linked from the device's commands page."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from digipark.core.errors import DomainError, NotFound, field_error
from digipark.devices import attributes
from digipark.devices.commands import SEND, TB_PROTOCOLS
from digipark.registry.models import Device
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


def _render(
    page: Page,
    device: Device,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    rows = attributes.rows_of(page.db, scope=page.scope, device_id=device.id)
    return page.render(
        "devices/attributes.html",
        {
            "device": device,
            "rows": [(r, orjson.dumps(r.value).decode()) for r in rows],
            "thingsboard": device.protocol in TB_PROTOCOLS,
            "can_write": page.scope.can(SEND),
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _device(page: Page, ident: int) -> Device:
    page.scope.require(attributes.VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    return page.scope.get_or_404(page.db, Device, ident)


@router.get("/devices/{ident}/attributes", response_class=HTMLResponse, name="device_attributes")
def attributes_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    return _render(page, _device(page, ident))


@router.post("/devices/{ident}/attributes", response_class=HTMLResponse)
def set_attribute(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    """Set one shared attribute from the form (its value as JSON: 26, "on", true, {"a": 1})."""
    device = _device(page, ident)
    page.check_csrf(form)
    key, text = str(form.get("key", "")).strip(), str(form.get("value", "")).strip()
    try:
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise field_error("value", 'not a JSON value: write e.g. 26, "on", true or {"mode": "eco"}') from None
        with page.db.begin_nested():
            attributes.set_values(page.db, scope=page.scope, device_id=device.id, values={key: value})
    except DomainError as exc:
        errors = {str(e.get("field", "")): str(e.get("reason", "")) for e in (exc.errors or [])} or {"": str(exc)}
        return _render(page, device, values=dict(form), errors=errors, status_code=exc.status)
    return RedirectResponse(f"/devices/{device.id}/attributes", status_code=303)
