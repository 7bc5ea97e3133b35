"""A record type an enterprise owns (safety's emergency plans declared here as a plain record type): the owner
hook decides the enterprise, and the write permission depends on who writes."""

from __future__ import annotations

import pytest
from pydantic import BaseModel
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.errors import NotFound, PermissionDenied, ValidationFailed, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.crud import Owner, RecordType
from digipark.registry.models import Enterprise
from digipark.safety.models import EmergencyPlan
from digipark.safety.schemas import PlanCreate, PlanRead, PlanUpdate
from tests.conftest import ParkWorld, World


def enterprise_owner(session: Session, scope: Scope, data: BaseModel) -> Owner:
    """An enterprise user's own enterprise; staff name one of the park's (or none: the park's own plan)."""
    park_id = scope.acting_write_park()
    enterprise_id = scope.acting_enterprise(getattr(data, "enterprise_id", None))
    if enterprise_id is not None:
        found = session.scalar(
            scope.readable(Enterprise).where(Enterprise.id == enterprise_id, Enterprise.park_id == park_id)
        )
        if found is None:
            raise field_error("enterprise_id", f"no enterprise {enterprise_id} in this park")
    return park_id, enterprise_id


PLANS: RecordType[EmergencyPlan] = RecordType(
    name="test_plan",
    model=EmergencyPlan,
    create_schema=PlanCreate,
    update_schema=PlanUpdate,
    read_schema=PlanRead,
    list_spec=ListSpec(filters={"enterprise_id": EmergencyPlan.enterprise_id}, sort={"id": EmergencyPlan.id}),
    write_permission=lambda scope: "safety.self_write" if scope.own_enterprise_only else "safety.write",
    owner=enterprise_owner,
)


def scope(park: ParkWorld, role: Role, enterprise: int | None = None) -> Scope:
    return Scope.for_user(role=role, username="crud-test", user_id=None, park_id=park.park_id, enterprise_id=enterprise)


def test_an_enterprise_writes_its_own_rows_under_its_own_permission(db: Session, world: World) -> None:
    own, other = world.a.enterprise_ids
    mine = scope(world.a, Role.ENTERPRISE, own)
    assert PLANS.permission(mine) == "safety.self_write"
    row = PLANS.create(db, scope=mine, data=PlanCreate(code="P1", title="现场处置方案", plan_type="onsite"))
    assert (row.park_id, row.enterprise_id) == (world.a.park_id, own)
    with pytest.raises(NotFound):  # naming another enterprise
        PLANS.create(db, scope=mine, data=PlanCreate(enterprise_id=other, code="P2", title="x", plan_type="onsite"))
    neighbour = scope(world.a, Role.ENTERPRISE, other)
    with pytest.raises(NotFound):  # it does not even see the row
        PLANS.update(db, scope=neighbour, ident=row.id, data=PlanUpdate(title="改"))
    PLANS.update(db, scope=mine, ident=row.id, data=PlanUpdate(version="2"))
    assert row.version == "2"
    rows, total = PLANS.list(db, scope=neighbour, query=ListQuery(filters={"enterprise_id": own}))
    assert (rows, total) == ([], 0)


def test_staff_write_for_any_enterprise_or_the_park_and_the_reviewer_for_none(db: Session, world: World) -> None:
    admin = scope(world.a, Role.PARK_ADMIN)
    assert PLANS.permission(admin) == "safety.write"
    for_enterprise = PLANS.create(
        db,
        scope=admin,
        data=PlanCreate(enterprise_id=world.a.enterprise_ids[1], code="P3", title="x", plan_type="onsite"),
    )
    assert for_enterprise.enterprise_id == world.a.enterprise_ids[1]
    assert (
        PLANS.create(db, scope=admin, data=PlanCreate(code="P4", title="x", plan_type="special")).enterprise_id is None
    )
    with pytest.raises(ValidationFailed):  # another park's enterprise
        data = PlanCreate(enterprise_id=world.b.enterprise_ids[0], code="P5", title="x", plan_type="onsite")
        PLANS.create(db, scope=admin, data=data)
    with pytest.raises(PermissionDenied):
        PLANS.delete(db, scope=scope(world.a, Role.REVIEWER), ident=for_enterprise.id)
    PLANS.delete(db, scope=admin, ident=for_enterprise.id)
