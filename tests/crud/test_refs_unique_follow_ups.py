"""What a record type adds beyond the hooks of test_records: reference fields checked against the row's park,
values unique within a park, an enterprise that is a plain changeable field, follow-ups after each write, and
routes for only some operations. Exercised on rooms (enterprise-scoped) declared here."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, ValidationFailed
from digipark.core.listing import ListSpec
from digipark.crud import Owner, RecordType
from digipark.crud.routes import add_routes
from digipark.registry.models import Enterprise, Floor, Room
from digipark.registry.schemas import RoomCreate, RoomRead, RoomUpdate
from tests.conftest import ParkWorld, World

events: list[tuple[str, int | None, int | None]] = []


def _in_floors_park(session: Session, scope: Scope, data: BaseModel) -> Owner:
    floor = session.get_one(Floor, data.floor_id)  # type: ignore[attr-defined]
    return floor.park_id, data.enterprise_id  # type: ignore[attr-defined]


def _in_floors_building(session: Session, scope: Scope, row: Room) -> None:
    row.building_id = session.get_one(Floor, row.floor_id).building_id


def _created(session: Session, scope: Scope, row: Room, data: BaseModel) -> None:
    events.append(("create", row.id, row.enterprise_id))


def _updated(session: Session, scope: Scope, row: Room, values: dict[str, Any]) -> None:
    events.append(("update", row.id, values.get("enterprise_id")))


def _deleted(session: Session, scope: Scope, row: Room) -> None:
    events.append(("delete", row.id, 0 if session.get(Room, row.id) is None else 1))  # 0: no longer stored


ROOMS: RecordType[Room] = RecordType(
    name="test_room",
    model=Room,
    create_schema=RoomCreate,
    update_schema=RoomUpdate,
    read_schema=RoomRead,
    list_spec=ListSpec(filters={}, search=[], sort={"id": Room.id}),
    write_permission="room.write",
    owner=_in_floors_park,
    before_create=_in_floors_building,
    after_create=_created,
    after_update=_updated,
    after_delete=_deleted,
    owner_fields=frozenset({"park_id"}),
    refs={"enterprise_id": Enterprise},
    unique=("code",),
)


def admin(park: ParkWorld) -> Scope:
    return Scope.for_user(role=Role.PARK_ADMIN, username="crud-test", user_id=None, park_id=park.park_id)


def new_room(park: ParkWorld, code: str, enterprise_id: int | None = None) -> RoomCreate:
    return RoomCreate(floor_id=park.floor_id, code=code, area_m2=50, use="office", enterprise_id=enterprise_id)


def test_a_reference_must_name_a_row_of_the_same_park(db: Session, world: World) -> None:
    with pytest.raises(ValidationFailed) as raised:
        ROOMS.create(db, scope=admin(world.a), data=new_room(world.a, "R-X", world.b.enterprise_ids[0]))
    assert raised.value.errors == [
        {"field": "enterprise_id", "reason": f"no enterprise {world.b.enterprise_ids[0]} in this park"}
    ]
    row = ROOMS.create(db, scope=admin(world.a), data=new_room(world.a, "R-A", world.a.enterprise_ids[0]))
    with pytest.raises(ValidationFailed):
        ROOMS.update(db, scope=admin(world.a), ident=row.id, data=RoomUpdate(enterprise_id=world.b.enterprise_ids[1]))
    assert row.enterprise_id == world.a.enterprise_ids[0]


def test_a_value_is_unique_within_its_park(db: Session, world: World) -> None:
    first = ROOMS.create(db, scope=admin(world.a), data=new_room(world.a, "R-U1"))
    with pytest.raises(Conflict) as raised:
        ROOMS.create(db, scope=admin(world.a), data=new_room(world.a, "R-U1"))
    assert raised.value.errors == [{"field": "code", "reason": "already exists"}]
    assert "test_room with code 'R-U1' already exists in this park" in str(raised.value)
    ROOMS.create(db, scope=admin(world.b), data=new_room(world.b, "R-U1"))  # another park may use the code
    second = ROOMS.create(db, scope=admin(world.a), data=new_room(world.a, "R-U2"))
    with pytest.raises(Conflict):
        ROOMS.update(db, scope=admin(world.a), ident=second.id, data=RoomUpdate(code="R-U1"))
    ROOMS.update(db, scope=admin(world.a), ident=first.id, data=RoomUpdate(code="R-U1"))  # its own value
    assert (first.code, second.code) == ("R-U1", "R-U2")


def test_an_enterprise_left_out_of_the_owner_fields_is_stored_and_changed(db: Session, world: World) -> None:
    tenant, next_tenant = world.a.enterprise_ids[:2]
    row = ROOMS.create(db, scope=admin(world.a), data=new_room(world.a, "R-T", tenant))
    assert (row.park_id, row.enterprise_id, row.building_id) == (world.a.park_id, tenant, world.a.building_id)
    ROOMS.update(db, scope=admin(world.a), ident=row.id, data=RoomUpdate(enterprise_id=next_tenant))
    assert row.enterprise_id == next_tenant


def test_follow_ups_run_after_each_write_is_flushed(db: Session, world: World) -> None:
    events.clear()
    tenant = world.a.enterprise_ids[0]
    row = ROOMS.create(db, scope=admin(world.a), data=new_room(world.a, "R-F"))
    ident = row.id
    ROOMS.update(db, scope=admin(world.a), ident=ident, data=RoomUpdate(enterprise_id=tenant))
    ROOMS.delete(db, scope=admin(world.a), ident=ident)
    assert events == [("create", ident, None), ("update", ident, tenant), ("delete", ident, 0)]


def test_routes_for_only_some_operations() -> None:
    router = APIRouter()
    add_routes(router, ROOMS, "/rooms", operations=("list", "get", "update"))
    methods = sorted((route.path, method) for route in router.routes for method in route.methods)  # type: ignore[attr-defined]
    assert methods == [("/rooms", "GET"), ("/rooms/{ident}", "GET"), ("/rooms/{ident}", "PATCH")]
    with pytest.raises(ValueError, match="unknown operations"):
        add_routes(APIRouter(), ROOMS, "/rooms", operations=("list", "purge"))
