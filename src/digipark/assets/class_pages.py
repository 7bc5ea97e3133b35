"""Pages of the asset classes: the list, and a form to make or change a class (its attributes, maintenance
templates and condition indicators written as YAML lists, as in the catalogue). A refused form is shown again with
each field's reason in the page's language and changes nothing."""

from __future__ import annotations

from typing import Any

import yaml
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from digipark.assets import classes
from digipark.assets.models import AssetClass
from digipark.assets.pages import METHODS
from digipark.assets.schemas import AssetClassCreate, AssetClassUpdate
from digipark.core.errors import DomainError, NotFound
from digipark.web.forms import YamlInputError, validation_errors, yaml_input
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)

CLASS_KINDS = {
    "land": N_("Land"),
    "buildings": N_("Buildings and structures"),
    "machinery": N_("Machinery and equipment"),
    "tools": N_("Tools"),
    "vehicles": N_("Vehicles"),
    "electronics": N_("Electronic equipment"),
}
DECLARED = ("templates", "attributes", "condition_indicators")
FIELDS: dict[str, tuple[str, str]] = {  # field -> (label, what to do when it is refused)
    "code": (N_("Code"), N_("Lower-case letters, digits and _, unique in the park.")),
    "name": (N_("Name"), N_("This field is required.")),
    "name_en": (N_("English name"), N_("Check the form.")),
    "kind": (N_("Kind"), N_("Choose one of the options.")),
    "useful_life_years": (N_("Useful life (years)"), N_("A whole number of years from 1 to 100.")),
    "method": (N_("Depreciation method"), N_("Choose one of the options.")),
    "salvage_rate": (N_("Salvage rate"), N_("A share from 0 to 0.5.")),
    "vibration_group": (N_("Vibration group"), N_("Choose one of the options.")),
    "temperature_limit_c": (N_("Temperature limit (°C)"), N_("A number from −50 to 500.")),
    "templates": (
        N_("Maintenance templates"),
        N_("A YAML list; each item a name with every_days or every_run_hours (one of them)."),
    ),
    "attributes": (
        N_("Attributes"),
        N_(
            "A YAML list; each item a name, a type (number, text or choice), label_zh and label_en; a choice needs its "
            "choices."
        ),
    ),
    "condition_indicators": (
        N_("Condition indicators"),
        N_(
            "A YAML list; each item a telemetry quantity or a computed feature (vib_rms, vib_peak, crest_factor, "
            "kurtosis, temperature_c), a low or a high limit, and a severity of info, minor, major or critical."
        ),
    ),
}


def _park(page: Page, write: bool = False) -> int:
    page.scope.require(classes.WRITE if write else "assets.view")
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    return int(page.park.id)


def _text(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, default_flow_style=None).strip() if value else ""


def _values_of(row: AssetClass | None) -> dict[str, Any]:
    if row is None:
        return {"method": "straight_line", "salvage_rate": "0.05", "kind": "machinery"}
    values: dict[str, Any] = {
        c: getattr(row, c) for c in ("code", "name", "name_en", "kind", "method", "vibration_group")
    }
    values |= {"useful_life_years": row.useful_life_years, "salvage_rate": row.salvage_rate}
    values |= {"rotating": row.rotating, "temperature_limit_c": row.temperature_limit_c}
    return values | {field: _text(getattr(row, field)) for field in DECLARED}


def _form(
    page: Page, row: AssetClass | None, values: dict[str, Any], errors: dict[str, str] | None = None, status: int = 200
) -> HTMLResponse:
    return page.render(
        "assets/class_form.html",
        {
            "row": row,
            "values": values,
            "errors": errors or {},
            "kinds": CLASS_KINDS,
            "methods": METHODS,
            "groups": classes.vibration_groups(),
            "labels": {field: label for field, (label, _advice) in FIELDS.items()},
        },
        status_code=status,
    )


def _errors(page: Page, found: dict[str, str]) -> dict[str, str]:
    """Each refused field as '<its label>: <what to do>' in the page's language."""
    out: dict[str, str] = {}
    for field, text in found.items():
        label, advice = FIELDS.get(field, (N_("Class"), N_("Check the form.")))
        out[field] = page.gettext(
            "%(field)s: %(reason)s", field=page.gettext(label), reason=text or page.gettext(advice)
        )
    return out


def _parsed(page: Page, form: dict[str, str], creating: bool) -> tuple[dict[str, Any], dict[str, str]]:
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in ("code", "name", "name_en", "kind", "method", "useful_life_years", "salvage_rate", "vibration_group"):
        if field == "code" and not creating:
            continue
        data[field] = (form.get(field) or "").strip() or None
    data["temperature_limit_c"] = (form.get("temperature_limit_c") or "").strip() or None
    data["rotating"] = form.get("rotating") == "on"
    for field in DECLARED:
        try:
            loaded = yaml_input(form.get(field) or "") or []
        except YamlInputError as error:
            errors[field] = page.gettext("Not valid YAML (line %(line)s).", line=error.line or 1)
            continue
        if not isinstance(loaded, list) or not all(isinstance(item, dict) for item in loaded):
            errors[field] = ""
            continue
        data[field] = loaded
    return {
        k: v for k, v in data.items() if v is not None or k in ("name_en", "vibration_group", "temperature_limit_c")
    }, errors


@router.get("/assets/classes", response_class=HTMLResponse, name="asset_classes")
def class_list(page: CurrentPage) -> HTMLResponse:
    park_id = _park(page)
    rows = page.db.scalars(
        classes.CLASSES.readable(page.scope).where(AssetClass.park_id == park_id).order_by(AssetClass.code)
    ).all()
    staff = page.scope.can(classes.WRITE) and park_id in page.scope.write_parks
    return page.render(
        "assets/classes.html",
        {
            "rows": rows,
            "kinds": CLASS_KINDS,
            "methods": METHODS,
            "staff": staff,
            "saved": page.request.query_params.get("saved") == "1",
        },
    )


@router.get("/assets/classes/new", response_class=HTMLResponse, name="asset_class_new")
def class_new(page: CurrentPage) -> HTMLResponse:
    _park(page, write=True)
    return _form(page, None, _values_of(None))


@router.get("/assets/classes/{ident}", response_class=HTMLResponse, name="asset_class_edit")
def class_edit(page: CurrentPage, ident: int) -> HTMLResponse:
    _park(page)
    row = classes.CLASSES.get(page.db, scope=page.scope, ident=ident)
    return _form(page, row, _values_of(row))


@router.post("/assets/classes/new", name="asset_class_create")
def class_create(page: CurrentPage, form: FormFields) -> Response:
    return _save(page, form, None)


@router.post("/assets/classes/{ident}", name="asset_class_update")
def class_update(page: CurrentPage, form: FormFields, ident: int) -> Response:
    return _save(page, form, classes.CLASSES.get(page.db, scope=page.scope, ident=ident))


def _save(page: Page, form: dict[str, str], row: AssetClass | None) -> Response:
    _park(page, write=True)
    page.check_csrf(form)
    data, errors = _parsed(page, form, creating=row is None)
    values = {**_values_of(row), **{k: form.get(k, "") for k in (*FIELDS, "rotating")}}
    values["rotating"] = form.get("rotating") == "on"
    if errors:
        return _form(page, row, values, _errors(page, errors), 422)
    try:
        with page.db.begin_nested():
            if row is None:
                made = classes.CLASSES.create(page.db, scope=page.scope, data=AssetClassCreate.model_validate(data))
            else:
                made = classes.CLASSES.update(
                    page.db, scope=page.scope, ident=row.id, data=AssetClassUpdate.model_validate(data)
                )
    except ValidationError as exc:
        return _form(page, row, values, _errors(page, validation_errors(exc, page.gettext)), 422)
    except DomainError as exc:
        if exc.status == 403:
            raise
        found = {str(e.get("field") or ""): "" for e in exc.errors} or {"": ""}
        return _form(page, row, values, _errors(page, found), exc.status)
    return RedirectResponse(f"/assets/classes?saved=1#class-{made.id}", status_code=303)
