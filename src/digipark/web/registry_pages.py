"""Registry pages: list, detail, create and edit of every registry kind, driven by `service.KINDS`.

Lists use the kind's `ListSpec` (the same filters, search, sort and paging as the API); forms are derived
from the API's Create/Update schemas; all reads and writes go through the registry service and the scope.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError

from digipark.auth.permissions import ENTERPRISE_SELF_FIELDS
from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.registry import service
from digipark.registry.api import ROUTES
from digipark.registry.catalog import device_kinds, english_point_name
from digipark.registry.excel import EXCEL_KINDS
from digipark.registry.service import KINDS, Kind
from digipark.web import forms, i18n, siteplan
from digipark.web.forms import Choice, FormField
from digipark.web.labels import CLOSED_VALUES, CODED_VALUES, FIELD_LABELS, VALUE_LABELS, YES_NO, industry_name
from digipark.web.overview import park_site_plan
from digipark.web.shell import KIND_TITLES, CurrentPage, FormFields, Page, can_read, kind_path

router = APIRouter(include_in_schema=False)

Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

COLUMNS: dict[str, tuple[str, ...]] = {
    "park": ("code", "name", "region_code", "level", "area_m2"),
    "zone": ("code", "name", "function", "area_m2"),
    "land_parcel": ("code", "zone_id", "land_use", "area_m2", "owner", "lease_end"),
    "building": (
        "code",
        "name",
        "zone_id",
        "use",
        "floors",
        "gross_floor_area_m2",
        "year_built",
        "gigabit_fibre",
        "coverage_5g",
    ),
    "floor": ("level", "name", "building_id", "area_m2"),
    "room": ("code", "building_id", "floor_id", "enterprise_id", "area_m2", "use", "lease_to"),
    "enterprise": ("name", "uscc", "industry_code", "above_scale", "industrial", "employees", "status"),
    "device": ("code", "name", "kind", "enterprise_id", "building_id", "status", "protocol"),
    "point": ("key", "name", "device_id", "quantity", "unit", "device_class"),
}
# the column that links to the record's page
LINK_COLUMN = {
    "park": "name",
    "zone": "name",
    "land_parcel": "code",
    "building": "name",
    "floor": "level",
    "room": "code",
    "enterprise": "name",
    "device": "name",
    "point": "name",
}
REF_KINDS = {
    "park_id": "park",
    "zone_id": "zone",
    "parcel_id": "land_parcel",
    "building_id": "building",
    "floor_id": "floor",
    "room_id": "room",
    "enterprise_id": "enterprise",
    "device_id": "device",
}
GEOMETRY_FIELDS = ("boundary", "geometry", "footprint")
HIDDEN_DETAIL_FIELDS = frozenset({"id", "park_id", "created_at", "updated_at", "token"})  # token: shown once
RELATED_LIMIT = 100
MAX_CHOICES = 500
# related lists on a record's page: (kind shown, filter field)
RELATED: dict[str, tuple[tuple[str, str], ...]] = {
    "park": (("zone", "park_id"),),
    "zone": (("building", "zone_id"), ("land_parcel", "zone_id")),
    "land_parcel": (("building", "parcel_id"),),
    "building": (("floor", "building_id"), ("room", "building_id"), ("device", "building_id")),
    "floor": (("room", "floor_id"),),
    "enterprise": (("device", "enterprise_id"), ("point", "enterprise_id")),
    "device": (("point", "device_id"),),
}


# -- showing values -----------------------------------------------------------------------------------------
def row_title(kind: str, row: Any, lang: str = "zh") -> str:
    """A row's title in a list, link or heading; parks, zones, enterprises and buildings by their name in the page's
    language (name_en on an English page when it is filled), devices too; points by the catalogue's English name."""
    if kind == "floor":
        short = f"B{-row.level}" if row.level < 0 else f"{row.level}F"
        return f"{short} {row.name}" if row.name and row.name != short else short
    if kind in ("land_parcel", "room"):
        return str(row.code)
    if kind == "point":
        name = (english_point_name(row.name) if lang == "en" else None) or row.name
        return f"{name} ({row.key})"
    if kind in ("building", "device"):
        return f"{i18n.localized_name(row, lang)} ({row.code})"
    return i18n.localized_name(row, lang)


NAMED_IN_ENGLISH = frozenset({"park", "zone", "enterprise", "building", "device"})  # kinds with a name_en


class Refs:
    """Titles of referenced rows, looked up through the service (so the scope applies) once per request."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self._cache: dict[tuple[str, int], Any] = {}

    def row(self, kind: str, ident: int) -> Any:
        key = (kind, ident)
        if key not in self._cache:
            try:
                self._cache[key] = service.get(self.page.db, scope=self.page.scope, kind=KINDS[kind], ident=ident)
            except NotFound:
                self._cache[key] = None
        return self._cache[key]

    def cell(self, kind: str, ident: int) -> dict[str, Any]:
        row = self.row(kind, ident)
        if row is None:
            return {"text": f"#{ident}"}
        return {"text": row_title(kind, row, self.page.lang), "href": f"{kind_path(kind)}/{ident}"}


def _geometry_summary(page: Page, value: dict[str, Any]) -> str:
    rings = value.get("coordinates") or [[]]
    return page.gettext("Polygon with %(n)s vertices", n=max(len(rings[0]) - 1, 0))


def value_cell(page: Page, refs: Refs, kind: str, field: str, value: Any) -> dict[str, Any]:
    """How one value is shown: {"text": ..., "href": optional, "badge": optional css}."""
    if value is None or value == "":
        return {"text": "—", "muted": True}
    if field in REF_KINDS and isinstance(value, int):
        return refs.cell(REF_KINDS[field], value)
    if isinstance(value, bool):
        return {"text": page.gettext(YES_NO[value]), "badge": "yes" if value else "no"}
    if field == "industry_code":
        return {"text": f"{value} {industry_name(value, page.lang)}"}
    labels = VALUE_LABELS.get((kind, field))
    if labels is not None:
        text = page.label(labels, value)
        if (kind, field) in CODED_VALUES and value in labels:
            text = f"{value} {text}"
        return {"text": text, "badge": f"status-{value}"} if field == "status" else {"text": text}
    if field == "name" and kind == "point" and page.lang == "en" and isinstance(value, str):
        return {"text": english_point_name(value) or value}
    if field == "kind" and kind == "device":
        entry = device_kinds().get(value)
        return {"text": (entry.name_en if page.lang == "en" else entry.name_zh) if entry else value}
    if field in GEOMETRY_FIELDS and isinstance(value, dict):
        return {"text": _geometry_summary(page, value)}
    if isinstance(value, float):
        return {"text": i18n.format_number(value, page.lang, 0 if value.is_integer() or abs(value) >= 100 else 2)}
    if isinstance(value, int) and field not in ("year_built", "level"):
        return {"text": i18n.format_number(value, page.lang)}
    if isinstance(value, dt.datetime):
        return {"text": i18n.local_time(value)}
    if isinstance(value, dt.date):
        return {"text": value.isoformat()}
    if isinstance(value, list):
        return {"text": ", ".join(str(v) for v in value) or "—"}
    return {"text": str(value)}


def table(page: Page, refs: Refs, kind: str, rows: list[Any], columns: tuple[str, ...]) -> list[list[dict[str, Any]]]:
    body = []
    for row in rows:
        cells = []
        for column in columns:
            value = getattr(row, column)
            if column == "name" and kind in NAMED_IN_ENGLISH:
                value = i18n.localized_name(row, page.lang)
            elif column == "owner" and kind == "land_parcel":
                value = i18n.localized_name(row, page.lang, "owner")
            cell = value_cell(page, refs, kind, column, value)
            if column == LINK_COLUMN[kind]:
                cell = {
                    "text": row_title(kind, row, page.lang) if kind == "floor" else cell["text"],
                    "href": f"{kind_path(kind)}/{row.id}",
                    "primary": True,
                }
            cells.append(cell)
        body.append(cells)
    return body


def label(page: Page, field: str) -> str:
    return page.gettext(FIELD_LABELS.get(field, field))


# -- permissions --------------------------------------------------------------------------------------------
def may_create(page: Page, kind: Kind) -> bool:
    """Whether the user may add a record of `kind` to the park the pages act in."""
    return (
        service.creatable(kind)
        and page.scope.can(f"{kind.name}.write")
        and page.park is not None
        and page.park.id in page.scope.write_parks
    )


def self_service(page: Page, kind: Kind) -> bool:
    """An enterprise user editing its own enterprise: only ENTERPRISE_SELF_FIELDS."""
    return kind.name == "enterprise" and page.scope.own_enterprise_only


def may_edit(page: Page, kind: Kind, row: Any) -> bool:
    try:
        page.scope.authorize_write_row(kind.permission(page.scope), row)
    except PermissionDenied:
        return False
    return True


# -- lists --------------------------------------------------------------------------------------------------
def _filter_widgets(
    page: Page, kind: Kind, raw: dict[str, str], refs: Refs
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(filter inputs, active reference filters shown as removable chips)."""
    widgets: list[dict[str, Any]] = []
    chips: list[dict[str, Any]] = []
    for name, column in kind.list_spec.filters.items():
        value = raw.get(name, "")
        if name in REF_KINDS:
            if name == "park_id" and len(page.scope.read_parks) <= 1:
                continue
            if value.isdigit():
                chips.append(
                    {
                        "name": name,
                        "label": label(page, name),
                        "value": value,
                        "text": refs.cell(REF_KINDS[name], int(value))["text"],
                    }
                )
            continue
        widget: dict[str, Any] = {"name": name, "label": label(page, name), "value": value, "choices": []}
        if _python_type(column) is bool:
            widget["choices"] = [Choice("true", page.gettext("Yes")), Choice("false", page.gettext("No"))]
        elif name == "kind" and kind.name == "device":
            widget["choices"] = _device_kind_choices(page)
        elif (kind.name, name) in VALUE_LABELS:
            widget["choices"] = _value_choices(page, kind.name, name)
            if value and value not in VALUE_LABELS[(kind.name, name)]:
                widget["choices"].append(Choice(value, value))
        widgets.append(widget)
    return widgets, chips


def _value_choices(page: Page, kind: str, field: str) -> list[Choice]:
    return [Choice(code, page.gettext(msgid)) for code, msgid in VALUE_LABELS[(kind, field)].items()]


def _device_kind_choices(page: Page) -> list[Choice]:
    return [Choice(key, entry.name_en if page.lang == "en" else entry.name_zh) for key, entry in device_kinds().items()]


def _python_type(column: Any) -> type:
    try:
        return column.type.python_type  # type: ignore[no-any-return]
    except NotImplementedError:
        return str


def _pages(current: int, last: int) -> list[int | None]:
    """Page numbers to show, None for a gap: 1 … 4 5 [6] 7 8 … 20."""
    shown = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    result: list[int | None] = []
    for number in shown:
        if result and number - (result[-1] or 0) > 1:
            result.append(None)
        result.append(number)
    return result


def list_page(page: Page, kind: Kind) -> HTMLResponse:
    raw = {k: v for k, v in page.request.query_params.items() if k != "lang"}
    asked = dict(raw)
    if "park_id" in kind.list_spec.filters and not raw.get("park_id") and len(page.scope.read_parks) > 1 and page.park:
        asked["park_id"] = str(page.park.id)  # a user of several parks lists the park chosen in the header
    query = kind.list_spec.parse_query(asked)
    rows, total = service.list(page.db, scope=page.scope, kind=kind, query=query)
    refs = Refs(page)
    columns = COLUMNS[kind.name]
    sortable = kind.list_spec.sort_fields()
    sort = query.sort or ""
    headers = []
    for column in columns:
        header: dict[str, Any] = {"label": label(page, column), "name": column}
        if column in sortable:
            header["sort"] = "asc" if sort == column else "desc" if sort == f"-{column}" else None
            header["href"] = {"sort": f"-{column}" if sort == column else column, "page": None}
        headers.append(header)
    widgets, chips = _filter_widgets(page, kind, raw, refs)
    last_page = max(1, math.ceil(total / query.page_size))
    export_params = urlencode({k: v for k, v in asked.items() if k not in ("page", "page_size") and v})
    path = ROUTES[kind.name][0]
    exports = None
    if kind.name in EXCEL_KINDS:
        suffix = f"?{export_params}" if export_params else ""
        exports = {"xlsx": f"/api/v1/{path}.xlsx{suffix}", "csv": f"/api/v1/{path}.csv{suffix}"}
    return page.render(
        "registry/list.html",
        {
            "kind": kind.name,
            "title": KIND_TITLES[kind.name][0],
            "path": kind_path(kind.name),
            "headers": headers,
            "rows": table(page, refs, kind.name, rows, columns),
            "total": total,
            "query": query,
            "q": raw.get("q", ""),
            "sort": sort,
            "filters": widgets,
            "chips": chips,
            "searchable": bool(kind.list_spec.search),
            "page_numbers": _pages(query.page, last_page),
            "last_page": last_page,
            "exports": exports,
            "can_create": may_create(page, kind),
            # bulk provisioning by Excel (the devices module): the park's staff who write devices
            "bulk_url": "/device-bulk"
            if kind.name == "device" and page.scope.is_staff and page.scope.can("device.write") and page.park
            else None,
            "first": (query.page - 1) * query.page_size + 1 if total else 0,
            "last": min(query.page * query.page_size, total),
        },
    )


# -- detail -------------------------------------------------------------------------------------------------
def _building_features(page: Page, filters: dict[str, Any], selected: int | None = None) -> list[siteplan.Feature]:
    buildings, _ = service.list(
        page.db, scope=page.scope, kind=KINDS["building"], query=ListQuery(filters=filters, page_size=MAX_CHOICES)
    )
    return [
        siteplan.Feature(
            geometry=b.footprint,
            title=row_title("building", b, page.lang),
            css="building building-selected" if b.id == selected else "building",
            href=f"{kind_path('building')}/{b.id}",
        )
        for b in buildings
        if b.footprint
    ]


def _mini_plan(page: Page, refs: Refs, kind: str, row: Any) -> siteplan.SitePlan | None:
    """The record's outline with the buildings on it; a building is shown within its zone."""
    if kind == "park":
        return park_site_plan(page, row.id)[0]
    field = {"zone": "geometry", "land_parcel": "geometry", "building": "footprint"}.get(kind)
    if field is None or not getattr(row, field):
        return None
    if kind == "building":
        zone = refs.row("zone", row.zone_id) if row.zone_id else None
        if zone is None or not zone.geometry:
            own = siteplan.Feature(
                geometry=row.footprint, title=row_title(kind, row, page.lang), css="building building-selected"
            )
            return siteplan.build([], [own])
        outline = siteplan.Feature(
            geometry=zone.geometry,
            title=zone.name,
            css=siteplan.zone_css(zone.function),
            href=f"{kind_path('zone')}/{zone.id}",
        )
        return siteplan.build([outline], _building_features(page, {"zone_id": zone.id}, selected=row.id))
    css = siteplan.zone_css(row.function) if kind == "zone" else "zone zone-other"
    outline = siteplan.Feature(geometry=getattr(row, field), title=row_title(kind, row, page.lang), css=css)
    inside = {"zone": {"zone_id": row.id}, "land_parcel": {"parcel_id": row.id}}.get(kind)
    return siteplan.build([outline], _building_features(page, inside) if inside else [])


def _related(page: Page, refs: Refs, kind: str, row: Any) -> list[dict[str, Any]]:
    sections: list[dict[str, Any]] = []
    if kind == "enterprise":
        units = service.enterprise_units(page.db, scope=page.scope, enterprise_id=row.id)
        columns: tuple[str, ...] = ("code", "building_id", "floor_id", "area_m2", "use", "lease_from", "lease_to")
        sections.append(
            {
                "title": page.gettext("Occupied units"),
                "total": len(units),
                "headers": [label(page, c) for c in columns],
                "rows": table(page, refs, "room", units, columns),
                "more": None,
                "area": sum(u.area_m2 for u in units),
            }
        )
    for related_kind, field in RELATED.get(kind, ()):
        if not can_read(page.scope, related_kind):
            continue
        spec_kind = KINDS[related_kind]
        if field not in spec_kind.list_spec.filters:
            continue
        rows, total = service.list(
            page.db, scope=page.scope, kind=spec_kind, query=ListQuery(filters={field: row.id}, page_size=RELATED_LIMIT)
        )
        columns = tuple(c for c in COLUMNS[related_kind] if c != field)
        new_href = None
        if may_create(page, spec_kind) and field in (ROUTES[related_kind][1] or BaseModel).model_fields:
            new_href = f"{kind_path(related_kind)}/new?{field}={row.id}"
        sections.append(
            {
                "title": page.gettext(KIND_TITLES[related_kind][0]),
                "total": total,
                "headers": [label(page, c) for c in columns],
                "rows": table(page, refs, related_kind, rows, columns),
                "more": f"{kind_path(related_kind)}?{field}={row.id}" if total > len(rows) else None,
                "new": new_href,
            }
        )
    return sections


def detail_page(page: Page, kind: Kind, ident: int) -> HTMLResponse:
    row = service.get(page.db, scope=page.scope, kind=kind, ident=ident)
    refs = Refs(page)
    read_schema = ROUTES[kind.name][3]
    fields = [
        {"label": label(page, name), "name": name, **value_cell(page, refs, kind.name, name, getattr(row, name))}
        for name in read_schema.model_fields
        if name not in HIDDEN_DETAIL_FIELDS
    ]
    notice = None
    if page.request.query_params.get("saved"):
        notice = page.gettext("Changes saved.")
    elif page.request.query_params.get("created"):
        notice = page.gettext("Record created.")
    return page.render(
        "registry/detail.html",
        {
            "kind": kind.name,
            "kind_title": KIND_TITLES[kind.name][1],
            "list_title": KIND_TITLES[kind.name][0],
            "path": kind_path(kind.name),
            "row": row,
            "title": row_title(kind.name, row, page.lang),
            "fields": fields,
            "related": _related(page, refs, kind.name, row),
            "plan": _mini_plan(page, refs, kind.name, row),
            "can_edit": may_edit(page, kind, row),
            "notice": notice,
            "created_at": i18n.local_time(row.created_at),
            "updated_at": i18n.local_time(row.updated_at),
        },
    )


# -- forms --------------------------------------------------------------------------------------------------
def _ref_choices(page: Page, refs: Refs, kind: str, park_id: int | None) -> list[Choice] | None:
    """Options of a reference field, or None when there are too many for a select."""
    if not can_read(page.scope, kind):
        return None
    filters = {"park_id": park_id} if park_id is not None and "park_id" in KINDS[kind].list_spec.filters else {}
    rows, total = service.list(
        page.db, scope=page.scope, kind=KINDS[kind], query=ListQuery(filters=filters, page_size=MAX_CHOICES)
    )
    if total > MAX_CHOICES:
        return None
    choices = []
    for row in rows:
        text = row_title(kind, row, page.lang)
        if kind in ("floor", "room"):
            text = f"{refs.cell('building', row.building_id)['text']} · {text}"
        choices.append(Choice(str(row.id), text))
    return sorted(choices, key=lambda c: c.label)


def _decorate(page: Page, refs: Refs, kind: Kind, fields: list[FormField], park_id: int | None) -> None:
    """Labels, choices and suggestions the schema cannot know."""
    for form_field in fields:
        name = form_field.name
        form_field.label = label(page, name)
        if name in REF_KINDS:
            choices = _ref_choices(page, refs, REF_KINDS[name], park_id)
            if choices is not None:
                form_field.widget = "select"
                form_field.choices = choices
        elif name == "kind" and kind.name == "device":
            form_field.widget = "select"
            form_field.choices = _device_kind_choices(page)
        elif (kind.name, name) in CLOSED_VALUES:
            form_field.widget = "select"
            form_field.choices = _value_choices(page, kind.name, name)
        elif (kind.name, name) in VALUE_LABELS:
            form_field.suggestions = _value_choices(page, kind.name, name)
        elif name == "industry_code":
            from digipark.core.codes import industries

            form_field.suggestions = [
                Choice(i.code, f"{i.code} {industry_name(i.code, page.lang)}") for i in industries("division")
            ]


def _form_names(page: Page, kind: Kind, schema: type[BaseModel]) -> list[str]:
    names = [name for name in schema.model_fields if name != "park_id"]
    if self_service(page, kind):
        names = [name for name in names if name in ENTERPRISE_SELF_FIELDS]
    return names


def _form_page(
    page: Page,
    kind: Kind,
    *,
    fields: list[FormField],
    row: Any | None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    errors = errors or {}
    for form_field in fields:
        form_field.error = errors.get(form_field.name)
    known = {f.name for f in fields}
    general = [text for name, text in errors.items() if name not in known]
    path = kind_path(kind.name)
    return page.render(
        "registry/form.html",
        {
            "kind": kind.name,
            "kind_title": KIND_TITLES[kind.name][1],
            "list_title": KIND_TITLES[kind.name][0],
            "path": path,
            "row": row,
            "title": row_title(kind.name, row, page.lang) if row is not None else None,
            "fields": fields,
            "general_errors": general,
            "action": f"{path}/{row.id}/edit" if row is not None else f"{path}/new",
            "cancel": f"{path}/{row.id}" if row is not None else path,
            "self_service": self_service(page, kind),
        },
        status_code=status_code,
    )


def new_form(page: Page, kind: Kind) -> HTMLResponse:
    create_schema = ROUTES[kind.name][1]
    if create_schema is None or not may_create(page, kind):
        raise PermissionDenied(f"you may not create {kind.name} records")
    names = _form_names(page, kind, create_schema)
    prefill = {k: v for k, v in page.request.query_params.items() if k in names}
    fields = forms.fields_of(create_schema, names, FIELD_LABELS, prefill)
    _decorate(page, Refs(page), kind, fields, page.park.id if page.park else None)
    return _form_page(page, kind, fields=fields, row=None)


def create(page: Page, kind: Kind, form: dict[str, str]) -> Response:
    page.check_csrf(form)
    create_schema = ROUTES[kind.name][1]
    if create_schema is None or not may_create(page, kind):
        raise PermissionDenied(f"you may not create {kind.name} records")
    names = _form_names(page, kind, create_schema)
    fields = forms.fields_of(create_schema, names, FIELD_LABELS, {})
    _decorate(page, Refs(page), kind, fields, page.park.id if page.park else None)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for form_field in fields:
        value, error = forms.parse_value(form_field, form)
        if error:
            errors[form_field.name] = forms.message(error, None, error, page.gettext)
        elif value is not None:
            values[form_field.name] = value
    if page.park is not None and "park_id" in create_schema.model_fields:
        values["park_id"] = page.park.id
    conflict = False
    if not errors:
        try:
            data = create_schema.model_validate(values)
            with page.db.begin_nested():
                row = service.create(page.db, scope=page.scope, kind=kind, data=data)
        except ValidationError as exc:
            errors = forms.validation_errors(exc, page.gettext)
        except (ValidationFailed, Conflict) as exc:
            errors, conflict = forms.domain_errors(exc, set(names)), isinstance(exc, Conflict)
        except IntegrityError:
            errors, conflict = {forms.GENERAL: page.gettext("The change conflicts with existing data.")}, True
        else:
            return RedirectResponse(f"{kind_path(kind.name)}/{row.id}?created=1", status_code=303)
    forms.refill(fields, form)
    return _form_page(page, kind, fields=fields, row=None, errors=errors, status_code=409 if conflict else 422)


def _editable_row(page: Page, kind: Kind, ident: int) -> Any:
    row = service.get(page.db, scope=page.scope, kind=kind, ident=ident)
    if not may_edit(page, kind, row):
        raise PermissionDenied(f"you may not change this {kind.name}")
    return row


def edit_form(page: Page, kind: Kind, ident: int) -> HTMLResponse:
    row = _editable_row(page, kind, ident)
    update_schema = ROUTES[kind.name][2]
    names = _form_names(page, kind, update_schema)
    fields = forms.fields_of(update_schema, names, FIELD_LABELS, {n: getattr(row, n) for n in names})
    _decorate(page, Refs(page), kind, fields, row.id if kind.name == "park" else row.park_id)
    return _form_page(page, kind, fields=fields, row=row)


def _changes(
    kind: Kind, row: Any, fields: list[FormField], form: dict[str, str], page: Page
) -> tuple[dict[str, Any], dict[str, str]]:
    """The posted values that differ from the stored ones, and per-field errors."""
    update_schema = ROUTES[kind.name][2]
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for form_field in fields:
        value, error = forms.parse_value(form_field, form)
        if error:
            errors[form_field.name] = forms.message(error, None, error, page.gettext)
        else:
            values[form_field.name] = value
    if errors:
        return {}, errors
    try:
        validated = update_schema.model_validate(values).model_dump()
    except ValidationError as exc:
        return {}, forms.validation_errors(exc, page.gettext)
    columns = kind.model.__table__.columns
    changed: dict[str, Any] = {}
    for name in values:
        if validated[name] == getattr(row, name):
            continue
        if validated[name] is None and name in columns and not columns[name].nullable:
            errors[name] = page.gettext("This field is required.")
        changed[name] = values[name]
    return changed, errors


def update(page: Page, kind: Kind, ident: int, form: dict[str, str]) -> Response:
    page.check_csrf(form)
    row = _editable_row(page, kind, ident)
    update_schema = ROUTES[kind.name][2]
    names = _form_names(page, kind, update_schema)
    fields = forms.fields_of(update_schema, names, FIELD_LABELS, {})
    _decorate(page, Refs(page), kind, fields, row.id if kind.name == "park" else row.park_id)
    changed, errors = _changes(kind, row, fields, form, page)
    conflict = False
    if not errors and changed:
        try:
            data = update_schema.model_validate(changed)
            with page.db.begin_nested():
                service.update(page.db, scope=page.scope, kind=kind, ident=ident, data=data)
        except ValidationError as exc:
            errors = forms.validation_errors(exc, page.gettext)
        except (ValidationFailed, Conflict) as exc:
            errors, conflict = forms.domain_errors(exc, set(names)), isinstance(exc, Conflict)
        except IntegrityError:
            errors, conflict = {forms.GENERAL: page.gettext("The change conflicts with existing data.")}, True
    if not errors:
        return RedirectResponse(f"{kind_path(kind.name)}/{ident}?saved=1", status_code=303)
    forms.refill(fields, form)
    return _form_page(page, kind, fields=fields, row=row, errors=errors, status_code=409 if conflict else 422)


# -- routes -------------------------------------------------------------------------------------------------
def _register(key: str) -> None:
    kind = KINDS[key]
    path = kind_path(key)

    @router.get(path, response_class=HTMLResponse, name=f"{key}_list")
    def list_rows(page: CurrentPage) -> HTMLResponse:
        return list_page(page, kind)

    if ROUTES[key][1] is not None:

        @router.get(f"{path}/new", response_class=HTMLResponse, name=f"{key}_new")
        def new_row(page: CurrentPage) -> HTMLResponse:
            return new_form(page, kind)

        @router.post(f"{path}/new", name=f"{key}_create")
        def create_row(page: CurrentPage, form: FormFields) -> Response:
            return create(page, kind, form)

    @router.get(f"{path}/{{ident}}", response_class=HTMLResponse, name=f"{key}_detail")
    def show_row(page: CurrentPage, ident: Ident) -> HTMLResponse:
        return detail_page(page, kind, ident)

    @router.get(f"{path}/{{ident}}/edit", response_class=HTMLResponse, name=f"{key}_edit")
    def edit_row(page: CurrentPage, ident: Ident) -> HTMLResponse:
        return edit_form(page, kind, ident)

    @router.post(f"{path}/{{ident}}/edit", name=f"{key}_update")
    def update_row(page: CurrentPage, ident: Ident, form: FormFields) -> Response:
        return update(page, kind, ident, form)


for _key in KINDS:
    _register(_key)
