"""Emergency plans and emergency resources (teams, stores, shelters) of a park: plain record types (`PLANS`,
`RESOURCES`) with their checks as hooks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, field_error
from digipark.core.listing import ListSpec
from digipark.crud import RecordType
from digipark.registry.models import Enterprise
from digipark.safety.common import (
    WRITE,
    enterprise_record_owner,
    relocated,
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
    PlanRead,
    PlanUpdate,
    ResourceCreate,
    ResourceRead,
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


def _plan_values(session: Session, scope: Scope, values: dict[str, Any], row: EmergencyPlan | None) -> dict[str, Any]:
    levels = values.get("levels")
    if levels is not None and len({lv["level"] for lv in levels}) != len(levels):
        raise field_error("levels", "each response level at most once")
    return values


def _plan_not_followed(session: Session, scope: Scope, row: EmergencyPlan) -> None:
    used = session.scalar(select(Incident.id).where(Incident.plan_id == row.id).limit(1))
    if used is not None:
        raise Conflict("incidents followed this plan; set it inactive instead")


PLANS: RecordType[EmergencyPlan] = RecordType(
    name="safety_emergency_plan",
    model=EmergencyPlan,
    create_schema=PlanCreate,
    update_schema=PlanUpdate,
    read_schema=PlanRead,
    list_spec=PLAN_SPEC,
    write_permission=writer_permission,
    owner=enterprise_record_owner,
    validate=_plan_values,
    before_delete=_plan_not_followed,
)


def _resource_values(
    session: Session, scope: Scope, values: dict[str, Any], row: EmergencyResource | None
) -> dict[str, Any]:
    """An update's location is checked against the stored one; a new resource's once it has its park."""
    if row is None:
        return values
    return {**values, **relocated(session, scope, row, values)}


def _check_new_resource(session: Session, scope: Scope, row: EmergencyResource) -> None:
    for key, value in relocated(session, scope, row, {}).items():
        setattr(row, key, value)
    if row.owner_enterprise_id is not None:
        owner = session.scalar(
            scope.readable(Enterprise).where(
                Enterprise.id == row.owner_enterprise_id, Enterprise.park_id == row.park_id
            )
        )
        if owner is None:
            raise field_error("owner_enterprise_id", f"no enterprise {row.owner_enterprise_id} in this park")


def _team_without_tasks(session: Session, scope: Scope, row: EmergencyResource) -> None:
    used = session.scalar(select(IncidentTask.id).where(IncidentTask.team_id == row.id).limit(1))
    if used is not None:
        raise Conflict("the team has incident tasks; set it unavailable instead")


RESOURCES: RecordType[EmergencyResource] = RecordType(
    name="safety_emergency_resource",
    model=EmergencyResource,
    create_schema=ResourceCreate,
    update_schema=ResourceUpdate,
    read_schema=ResourceRead,
    list_spec=RESOURCE_SPEC,
    write_permission=WRITE,
    validate=_resource_values,
    before_create=_check_new_resource,
    before_delete=_team_without_tasks,
)
