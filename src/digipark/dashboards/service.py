"""Dashboards as data: the derived create/read/update/delete (`DASHBOARDS`), sharing with roles, and export and
import as JSON checked against `spec.DashboardFile` (a bad file changes nothing and says which field and why)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, String, cast, false, true
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import ValidationFailed
from digipark.core.listing import ListSpec
from digipark.crud import RecordType
from digipark.dashboards.models import Dashboard
from digipark.dashboards.schemas import DashboardCreate, DashboardRead, DashboardUpdate
from digipark.dashboards.spec import FORMAT, VERSION, DashboardFile, DashboardSpec, errors_of

VIEW = "dashboards.view"
WRITE = "dashboards.write"
MAX_IMPORT_BYTES = 256 * 1024


def read_condition(scope: Scope) -> ColumnElement[bool]:
    """Writers read every dashboard of their park; others those shared with their role."""
    if scope.can(WRITE):
        return true()
    if not scope.can(VIEW):
        return false()
    # a JSON list of role names: match the quoted name (roles are fixed identifiers without quotes)
    return cast(Dashboard.shared_roles, String).like(f'%"{scope.role.value}"%')


def _validate(session: Session, scope: Scope, values: dict[str, Any], row: Dashboard | None) -> dict[str, Any]:
    if "spec" in values and values["spec"] is not None:
        values["spec"] = DashboardSpec.model_validate(values["spec"]).model_dump(mode="json")
    return values


def _before_create(session: Session, scope: Scope, row: Dashboard) -> None:
    row.created_by = scope.username


DASHBOARDS: RecordType[Dashboard] = RecordType(
    name="dashboard",
    model=Dashboard,
    create_schema=DashboardCreate,
    update_schema=DashboardUpdate,
    read_schema=DashboardRead,
    list_spec=ListSpec(
        filters={"park_id": Dashboard.park_id},
        search=[Dashboard.name, Dashboard.description],
        sort={"id": Dashboard.id, "name": Dashboard.name, "updated_at": Dashboard.updated_at},
        default_sort="name,id",
    ),
    write_permission=WRITE,
    read_condition=read_condition,
    validate=_validate,
    before_create=_before_create,
    unique=("name",),
)


def export(session: Session, *, scope: Scope, ident: int) -> dict[str, Any]:
    """The dashboard as a JSON document (`DashboardFile`), without ids, park or author: it imports anywhere."""
    row = DASHBOARDS.get(session, scope=scope, ident=ident)
    document = DashboardFile(
        format=FORMAT,
        version=VERSION,
        name=row.name,
        description=row.description,
        shared_roles=row.shared_roles,
        spec=DashboardSpec.model_validate(row.spec),
    )
    return document.model_dump(mode="json")


def parse_file(content: bytes | str) -> DashboardFile:
    """A dashboard file checked against the schema; `ValidationFailed` (422) with each field and reason otherwise."""
    if len(content) > MAX_IMPORT_BYTES:
        raise ValidationFailed(f"the file is larger than {MAX_IMPORT_BYTES // 1024} KiB")
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"not JSON: {exc}", errors=[{"field": "(file)", "reason": "not JSON"}]) from exc
    return parse_document(data)


def parse_document(data: Any) -> DashboardFile:
    """A decoded dashboard file checked against the schema."""
    try:
        return DashboardFile.model_validate(data)
    except ValidationError as exc:
        errors = errors_of(exc)
        reasons = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        raise ValidationFailed(f"the file is not a dashboard: {reasons}", errors=errors) from exc


def import_file(
    session: Session, *, scope: Scope, document: DashboardFile, park_id: int | None = None, name: str | None = None
) -> Dashboard:
    """Create a dashboard from a parsed file (`parse_file`, `parse_document`); 409 when the park has one of
    that name already (give `name`)."""
    data = DashboardCreate(
        park_id=park_id,
        name=name or document.name,
        description=document.description,
        spec=document.spec,
        shared_roles=document.shared_roles,
    )
    return DASHBOARDS.create(session, scope=scope, data=data)
