"""Device profile pages: the park's profiles (catalogue kinds and its own), one profile with its versions and the
devices on each, the form that saves the next version (points, commands and register map as YAML), a new profile,
and applying the current version to the devices of older ones (devices/profiles.py)."""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from digipark.core.errors import DomainError, NotFound, field_error
from digipark.devices import profiles
from digipark.registry.catalog import device_kinds
from digipark.web.forms import YamlInputError, yaml_input
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
ProfileKey = Annotated[str, PathParam(min_length=1, max_length=40, pattern=profiles.KEY_PATTERN)]
SECTIONS = ("points", "commands", "register_map")
MAX_SECTION_CHARS = 100_000


def _yaml(value: Any) -> str:
    if value is None:
        return ""
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=200)


def _form_of(spec: profiles.ProfileSpec) -> dict[str, str]:
    data = spec.model_dump()
    return {
        "key": spec.key,
        "kind": spec.kind,
        "name_zh": spec.name_zh,
        "name_en": spec.name_en,
        "protocol": spec.protocol,
        **{section: _yaml(data[section]) for section in SECTIONS},
    }


def _loaded(section: str, text: str) -> Any:
    try:
        return yaml_input(text, max_chars=MAX_SECTION_CHARS)
    except YamlInputError as error:
        raise field_error(section, error.reason) from None


def _parsed(form: dict[str, str]) -> dict[str, Any]:
    """The form's fields as a profile's input; YAML sections read (422 naming the section when they do not)."""
    data: dict[str, Any] = {f: form.get(f, "").strip() for f in ("key", "kind", "name_zh", "name_en", "protocol")}
    for section in SECTIONS:
        value = _loaded(section, form.get(section, ""))
        if section == "register_map":
            if value is not None and not isinstance(value, dict):
                raise field_error(section, "write the registers and commands of the map, or leave it empty")
        elif not isinstance(value, list):
            value = [] if value is None and section == "commands" else value
            if not isinstance(value, list):
                raise field_error(section, "write a list, one entry per item")
        data[section] = value
    return data


def _errors(exc: DomainError) -> dict[str, str]:
    return {str(e.get("field", "")): str(e.get("reason", "")) for e in (exc.errors or [])} or {"": exc.detail}


def _kind_choices(page: Page) -> list[tuple[str, str]]:
    return sorted(
        ((k, v.name_en if page.lang == "en" else v.name_zh) for k, v in device_kinds().items()), key=lambda c: c[1]
    )


def _viewer(page: Page) -> None:
    page.scope.require(profiles.VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")


@router.get("/device-profiles", response_class=HTMLResponse, name="device_profiles")
def list_page(page: CurrentPage) -> HTMLResponse:
    _viewer(page)
    return _list(page)


def _list(
    page: Page, *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None, status_code: int = 200
) -> HTMLResponse:
    assert page.park is not None
    rows = profiles.list_profiles(page.db, scope=page.scope, park_id=page.park.id)
    blank = {
        "points": "- {key: , name_zh: , name_en: , quantity: , unit: , device_class: , valid_min: , valid_max: }\n"
    }
    return page.render(
        "devices/profiles.html",
        {
            "rows": rows,
            "can_edit": page.scope.can(profiles.EDIT),
            "kinds": _kind_choices(page),
            "values": values or blank,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.post("/device-profiles", response_class=HTMLResponse)
def create_profile(page: CurrentPage, form: FormFields) -> Response:
    """A new profile of the park (version 1), based on a catalogue kind."""
    _viewer(page)
    page.check_csrf(form)
    values = {k: str(v) for k, v in form.items()}
    try:
        data, note = _parsed(values), values.get("note", "")
        with page.db.begin_nested():
            assert page.park is not None
            row = profiles.save(page.db, scope=page.scope, data=data, note=note, new=True, park_id=page.park.id)
    except DomainError as exc:
        return _list(page, values=values, errors=_errors(exc), status_code=exc.status)
    return RedirectResponse(f"/device-profiles/{row.key}", status_code=303)


def _profile(
    page: Page,
    key: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    applied: str | None = None,
) -> HTMLResponse:
    assert page.park is not None
    spec, version = profiles.get_spec(page.db, scope=page.scope, key=key, park_id=page.park.id)
    stored = profiles.versions(page.db, scope=page.scope, key=key, park_id=page.park.id)
    per_version = profiles.devices_per_version(page.db, scope=page.scope, key=key, park_id=page.park.id)
    behind = sum(n for v, n in per_version.items() if v != version)
    return page.render(
        "devices/profile.html",
        {
            "spec": spec,
            "version": version,
            "versions": stored,
            "per_version": per_version,
            "behind": behind,
            "can_edit": page.scope.can(profiles.EDIT),
            "values": values or _form_of(spec),
            "errors": errors or {},
            "applied": applied,
            "kind_name": dict(_kind_choices(page)).get(spec.kind, spec.kind),
        },
        status_code=status_code,
    )


@router.get("/device-profiles/{key}", response_class=HTMLResponse, name="device_profile")
def profile_page(key: ProfileKey, page: CurrentPage) -> HTMLResponse:
    _viewer(page)
    return _profile(page, key, applied=page.request.query_params.get("applied"))


@router.post("/device-profiles/{key}", response_class=HTMLResponse)
def save_version(key: ProfileKey, page: CurrentPage, form: FormFields) -> Response:
    """The next version of the profile, from the form (bad input: the form again with the reason, nothing saved)."""
    _viewer(page)
    page.check_csrf(form)
    values = {k: str(v) for k, v in form.items()}
    try:
        data = {**_parsed(values), "key": key}
        with page.db.begin_nested():
            assert page.park is not None
            profiles.save(page.db, scope=page.scope, data=data, note=values.get("note", ""), park_id=page.park.id)
    except DomainError as exc:
        return _profile(page, key, values=values, errors=_errors(exc), status_code=exc.status)
    return RedirectResponse(f"/device-profiles/{key}", status_code=303)


@router.post("/device-profiles/{key}/apply", response_class=HTMLResponse)
def apply_version(key: ProfileKey, page: CurrentPage, form: FormFields) -> Response:
    """Move the devices of older versions to the current one."""
    _viewer(page)
    page.check_csrf(form)
    try:
        with page.db.begin_nested():
            assert page.park is not None
            applied = profiles.apply_current(page.db, scope=page.scope, key=key, park_id=page.park.id)
    except DomainError as exc:
        return _profile(page, key, errors=_errors(exc), status_code=exc.status)
    return RedirectResponse(f"/device-profiles/{key}?applied={applied.moved}", status_code=303)
