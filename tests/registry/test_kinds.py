"""What differs between the registry's kinds (each a derived record type): parks kept by the operator, owners
taken from a parent row, an enterprise updating itself, catalogue points following their device, rows still in
use, and the change events of every write."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, PermissionDenied, ValidationFailed
from digipark.registry import schemas, service
from digipark.registry.models import Device, Enterprise, Point
from digipark.registry.service import KINDS, RegistryChanged
from tests.conftest import ParkWorld, World, bearer


def as_role(park: ParkWorld, role: Role, enterprise: int | None = None) -> Scope:
    return Scope.for_user(
        role=role, username="kinds-test", user_id=None, park_id=park.park_id, enterprise_id=enterprise
    )


def changes(db: Session) -> list[tuple[str, str, int]]:
    queued = [event for value in db.info.values() if isinstance(value, list) for event in value]
    return [(e.kind, e.action, e.row_id) for e in queued if isinstance(e, RegistryChanged)]


def test_parks_are_read_and_updated_but_not_created_or_deleted_through_the_api(
    client: TestClient, world: World
) -> None:
    admin = bearer(world.a.tokens["park_admin"])
    park = f"/api/v1/parks/{world.a.park_id}"
    assert client.post("/api/v1/parks", headers=admin, json={"code": "NEW"}).status_code == 405
    assert client.delete(park, headers=admin).status_code == 405
    assert client.patch(park, headers=admin, json={"name": "新名称园区"}).json()["name"] == "新名称园区"
    assert service.creatable(KINDS["zone"]) and not service.creatable(KINDS["park"])


def test_a_floor_takes_its_buildings_park_and_a_level_within_it(db: Session, world: World) -> None:
    admin = as_role(world.a, Role.PARK_ADMIN)
    with pytest.raises(ValidationFailed) as raised:
        service.create(
            db, scope=admin, kind=KINDS["floor"], data=schemas.FloorCreate(building_id=world.a.building_id, level=99)
        )
    assert raised.value.errors[0]["field"] == "level"
    with pytest.raises(ValidationFailed) as raised:  # another park's building is not visible
        service.create(
            db, scope=admin, kind=KINDS["floor"], data=schemas.FloorCreate(building_id=world.b.building_id, level=1)
        )
    assert raised.value.errors[0]["field"] == "building_id"
    floor = service.create(
        db, scope=admin, kind=KINDS["floor"], data=schemas.FloorCreate(building_id=world.a.building_id, level=-1)
    )
    assert floor.park_id == world.a.park_id
    room = service.create(
        db, scope=admin, kind=KINDS["room"], data=schemas.RoomCreate(floor_id=floor.id, code="B1-01", area_m2=30)
    )
    assert (room.park_id, room.building_id) == (world.a.park_id, world.a.building_id)
    assert changes(db)[-2:] == [("floor", "create", floor.id), ("room", "create", room.id)]


def test_an_enterprise_updates_its_own_contact_fields_only_and_never_deletes_itself(db: Session, world: World) -> None:
    own = world.a.enterprise_ids[0]
    user = as_role(world.a, Role.ENTERPRISE, own)
    row = service.update(
        db, scope=user, kind=KINDS["enterprise"], ident=own, data=schemas.EnterpriseUpdate(employees=77)
    )
    assert row.employees == 77
    with pytest.raises(PermissionDenied, match="an enterprise may not change name"):
        service.update(db, scope=user, kind=KINDS["enterprise"], ident=own, data=schemas.EnterpriseUpdate(name="改名"))
    with pytest.raises(PermissionDenied):
        service.delete(db, scope=user, kind=KINDS["enterprise"], ident=own)
    assert db.get(Enterprise, own) is not None


def test_catalogue_points_follow_their_device(db: Session, world: World) -> None:
    admin = as_role(world.a, Role.PARK_ADMIN)
    data = schemas.DeviceCreate(code="EM-K", name="电表", kind="electricity_meter", building_id=world.a.building_id)
    device = service.create(db, scope=admin, kind=KINDS["device"], data=data)
    points = list(db.scalars(select(Point).where(Point.device_id == device.id)))
    assert points and device.issued_token and device.token_hash and device.protocol
    tenant = world.a.enterprise_ids[1]
    service.update(
        db, scope=admin, kind=KINDS["device"], ident=device.id, data=schemas.DeviceUpdate(enterprise_id=tenant)
    )
    assert {p.enterprise_id for p in points} == {tenant}
    service.delete(db, scope=admin, kind=KINDS["device"], ident=device.id)
    assert db.get(Device, device.id) is None
    assert list(db.scalars(select(Point.id).where(Point.device_id == device.id))) == []
    assert [c for c in changes(db) if c[0] == "device" and c[2] == device.id] == [
        ("device", "create", device.id),
        ("device", "update", device.id),
        ("device", "delete", device.id),
    ]


def test_a_row_still_in_use_is_not_deleted(db: Session, world: World) -> None:
    with pytest.raises(Conflict) as raised:
        service.delete(db, scope=as_role(world.a, Role.PARK_ADMIN), kind=KINDS["zone"], ident=world.a.zone_id)
    assert raised.value.errors[0]["field"] == "id"
    assert "zone" in str(raised.value) and "still used by" in str(raised.value)


def test_an_update_keeps_a_lease_in_order(db: Session, world: World) -> None:
    admin = as_role(world.a, Role.PARK_ADMIN)
    service.update(
        db,
        scope=admin,
        kind=KINDS["room"],
        ident=world.a.room_id,
        data=schemas.RoomUpdate.model_validate({"lease_from": "2026-01-01"}),
    )
    with pytest.raises(ValidationFailed) as raised:
        service.update(
            db,
            scope=admin,
            kind=KINDS["room"],
            ident=world.a.room_id,
            data=schemas.RoomUpdate.model_validate({"lease_to": "2025-01-01"}),
        )
    assert raised.value.errors[0]["field"] == "lease_to"
