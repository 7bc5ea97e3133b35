"""Emergency plans and emergency resources (teams, stores, shelters) of a park."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.registry.models import Enterprise
from digipark.safety.common import (
    LOCATION_FIELDS,
    WRITE,
    checked_location,
    record_owner,
    refuse_null,
    writer_permission,
)
from digipark.safety.models import (
    EmergencyPlan,
    EmergencyResource,
    Incident,
    IncidentTask,
)
from digipark.safety.schemas import (
    PlanCreate,
    PlanUpdate,
    ResourceCreate,
    ResourceUpdate,
)

PLAN_SPEC = ListSpec(
    filters={
        "park_id": EmergencyPlan.park_id,
        "enterprise_id": EmergencyPlan.enterprise_id,
        "plan_type": EmergencyPlan.plan_type,
        "active": EmergencyPlan.active,
    },
    search=[EmergencyPlan.code, EmergencyPlan.title],
    sort={"id": EmergencyPlan.id, "code": EmergencyPlan.code, "title": EmergencyPlan.title},
    default_sort="code",
)
RESOURCE_SPEC = ListSpec(
    filters={
        "park_id": EmergencyResource.park_id,
        "kind": EmergencyResource.kind,
        "zone_id": EmergencyResource.zone_id,
        "available": EmergencyResource.available,
    },
    search=[EmergencyResource.name, EmergencyResource.category, EmergencyResource.contact],
    sort={"id": EmergencyResource.id, "name": EmergencyResource.name, "kind": EmergencyResource.kind},
    default_sort="kind,name",
)


def _plan_values(values: dict[str, Any]) -> dict[str, Any]:
    levels = values.get("levels")
    if levels is not None and len({lv["level"] for lv in levels}) != len(levels):
        raise field_error("levels", "each response level at most once")
    return values


def list_plans(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[EmergencyPlan], int]:
    return PLAN_SPEC.apply(session, scope.readable(EmergencyPlan), query)


def get_plan(session: Session, *, scope: Scope, ident: int) -> EmergencyPlan:
    return scope.get_or_404(session, EmergencyPlan, ident)


def create_plan(session: Session, *, scope: Scope, data: PlanCreate) -> EmergencyPlan:
    park_id, enterprise_id = record_owner(session, scope, data.enterprise_id)
    values = _plan_values(data.model_dump(exclude={"enterprise_id"}))
    row = EmergencyPlan(park_id=park_id, enterprise_id=enterprise_id, **values)
    session.add(row)
    session.flush()
    return row


def update_plan(session: Session, *, scope: Scope, ident: int, data: PlanUpdate) -> EmergencyPlan:
    row = get_plan(session, scope=scope, ident=ident)
    scope.authorize_write_row(writer_permission(scope), row)
    values = _plan_values(data.model_dump(exclude_unset=True))
    refuse_null(values, ("code", "title", "plan_type", "incident_kinds", "levels", "roles", "steps", "active"))
    for key, value in values.items():
        setattr(row, key, value)
    session.flush()
    return row


def delete_plan(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_plan(session, scope=scope, ident=ident)
    scope.authorize_write_row(writer_permission(scope), row)
    used = session.scalar(select(Incident.id).where(Incident.plan_id == row.id).limit(1))
    if used is not None:
        raise Conflict("incidents followed this plan; set it inactive instead")
    session.delete(row)
    session.flush()


def list_resources(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[EmergencyResource], int]:
    return RESOURCE_SPEC.apply(session, scope.readable(EmergencyResource), query)


def get_resource(session: Session, *, scope: Scope, ident: int) -> EmergencyResource:
    return scope.get_or_404(session, EmergencyResource, ident)


def create_resource(
    session: Session, *, scope: Scope, data: ResourceCreate, park_id: int | None = None
) -> EmergencyResource:
    park = scope.acting_write_park(park_id)
    scope.authorize_write(WRITE, park_id=park)
    values = data.model_dump()
    values.update(checked_location(session, scope, park, values))
    if data.owner_enterprise_id is not None:
        owner = session.scalar(
            scope.readable(Enterprise).where(Enterprise.id == data.owner_enterprise_id, Enterprise.park_id == park)
        )
        if owner is None:
            raise field_error("owner_enterprise_id", f"no enterprise {data.owner_enterprise_id} in this park")
    row = EmergencyResource(park_id=park, **values)
    session.add(row)
    session.flush()
    return row


def update_resource(session: Session, *, scope: Scope, ident: int, data: ResourceUpdate) -> EmergencyResource:
    row = get_resource(session, scope=scope, ident=ident)
    scope.authorize_write(WRITE, park_id=row.park_id)
    values = data.model_dump(exclude_unset=True)
    refuse_null(values, ("name", "available"))
    location = checked_location(
        session, scope, row.park_id, {**{k: getattr(row, k) for k in LOCATION_FIELDS}, **values}
    )
    for key, value in {**values, **location}.items():
        setattr(row, key, value)
    session.flush()
    return row


def delete_resource(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_resource(session, scope=scope, ident=ident)
    scope.authorize_write(WRITE, park_id=row.park_id)
    used = session.scalar(select(IncidentTask.id).where(IncidentTask.team_id == row.id).limit(1))
    if used is not None:
        raise Conflict("the team has incident tasks; set it unavailable instead")
    session.delete(row)
    session.flush()
