"""Provisioning keys and device claiming in the pages: park staff make a key for a device profile (its secret shown
once), see how many devices each made and revoke it; staff issue a claim code for a device of the park (shown once)
and an enterprise claims the device with it (devices/provisioning.py, devices/claims.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from digipark.core.errors import DomainError, NotFound, PermissionDenied, field_error
from digipark.devices import claims, profiles, provisioning
from digipark.registry.models import Device
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


def _errors(exc: DomainError) -> dict[str, str]:
    return {str(e.get("field", "")): str(e.get("reason", "")) for e in (exc.errors or [])} or {"": exc.detail}


def _number(form: dict[str, str], field: str, default: int) -> int:
    raw = form.get(field, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or len(raw) > 9:
        raise field_error(field, "not a whole number")
    return int(raw)


# -- provisioning keys ---------------------------------------------------------------------------------------------
def _keys_page(
    page: Page,
    *,
    issued: tuple[str, str] | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    _keys_page_allowed(page)
    assert page.park is not None
    keys = provisioning.list_keys(page.db, scope=page.scope)
    return page.render(
        "devices/provisioning_keys.html",
        {
            "keys": keys,
            "profiles": profiles.list_profiles(page.db, scope=page.scope, park_id=page.park.id)
            if page.scope.can(profiles.VIEW)
            else [],
            "issued": issued,
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/provisioning-keys", response_class=HTMLResponse, name="provisioning_keys")
def keys_page(page: CurrentPage) -> HTMLResponse:
    return _keys_page(page)


@router.post("/provisioning-keys", response_class=HTMLResponse)
def create_key(page: CurrentPage, form: FormFields) -> Response:
    """A key for a device profile; the answer is the page with its secret, shown this once."""
    _keys_page_allowed(page)
    page.check_csrf(form)
    values = {k: str(v) for k, v in form.items()}
    try:
        name = values.get("name", "").strip()
        if not name:
            raise field_error("name", "required")
        with page.db.begin_nested():
            assert page.park is not None
            row, secret = provisioning.create_key(
                page.db,
                scope=page.scope,
                name=name[:120],
                kind=values.get("profile", ""),
                max_devices=max(1, min(_number(values, "max_devices", 100), 100_000)),
                park_id=page.park.id,
            )
    except DomainError as exc:
        return _keys_page(page, values=values, errors=_errors(exc), status_code=exc.status)
    return _keys_page(page, issued=(row.key, secret), status_code=201)


def _keys_page_allowed(page: Page) -> None:
    if not page.scope.is_staff or not page.scope.can(provisioning.WRITE) or page.park is None:
        raise PermissionDenied("only the park's staff manage provisioning keys")


@router.post("/provisioning-keys/{ident}/revoke", response_class=HTMLResponse)
def revoke_key(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _keys_page_allowed(page)
    page.check_csrf(form)
    try:
        with page.db.begin_nested():
            provisioning.revoke_key(page.db, scope=page.scope, ident=ident)
    except NotFound:
        raise
    except DomainError as exc:
        return _keys_page(page, errors=_errors(exc), status_code=exc.status)
    return RedirectResponse("/provisioning-keys", status_code=303)


# -- claiming ------------------------------------------------------------------------------------------------------
def _claims_page(
    page: Page,
    *,
    issued: tuple[str, str] | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    page.scope.require(claims.CLAIM)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    staff = page.scope.is_staff and page.scope.can(claims.ISSUE)
    return page.render(
        "devices/claims.html",
        {
            "claims": claims.list_claims(page.db, scope=page.scope),
            "devices": claims.claimable_devices(page.db, scope=page.scope) if staff else [],
            "staff": staff,
            "enterprise": page.scope.own_enterprise_only,
            "issued": issued,
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/device-claims", response_class=HTMLResponse, name="device_claims")
def claims_page(page: CurrentPage) -> HTMLResponse:
    return _claims_page(page)


@router.post("/device-claims/issue", response_class=HTMLResponse)
def issue_code(page: CurrentPage, form: FormFields) -> Response:
    """Staff: a claim code for a device of the park, shown this once."""
    page.scope.require(claims.CLAIM)
    page.check_csrf(form)
    values = {k: str(v) for k, v in form.items()}
    try:
        device_id = _number(values, "device_id", 0)
        if not 0 < device_id < 2**31:
            raise field_error("device_id", "required")
        with page.db.begin_nested():
            row, code = claims.issue(page.db, scope=page.scope, device_id=device_id, days=_number(values, "days", 7))
    except DomainError as exc:
        return _claims_page(page, values=values, errors=_errors(exc), status_code=exc.status)
    device = page.db.get(Device, row.device_id)
    return _claims_page(page, issued=(device.code if device else "", code), status_code=201)


@router.post("/device-claims", response_class=HTMLResponse)
def claim_device(page: CurrentPage, form: FormFields) -> Response:
    """An enterprise claims a device with its code and the claim code."""
    page.scope.require(claims.CLAIM)
    page.check_csrf(form)
    values = {k: str(v) for k, v in form.items()}
    try:
        device_code, code = values.get("device_code", "").strip(), values.get("claim_code", "").strip()
        if not device_code:
            raise field_error("device_code", "required")
        if not code:
            raise field_error("claim_code", "required")
        with page.db.begin_nested():
            claims.claim(page.db, scope=page.scope, device_code=device_code[:60], code=code[:40])
    except DomainError as exc:
        return _claims_page(page, values=values, errors=_errors(exc), status_code=exc.status)
    return RedirectResponse("/device-claims", status_code=303)
