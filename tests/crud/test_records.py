"""The derived service functions of a record type, exercised on zones (park-wide) declared here as a plain
record type with every hook."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.crud import RecordType
from digipark.registry.models import Zone
from digipark.registry.schemas import ZoneCreate, ZoneRead, ZoneUpdate
from tests.conftest import ParkWorld, World

calls: list[str] = []


def _validate(session: Session, scope: Scope, values: dict[str, Any], row: Zone | None) -> dict[str, Any]:
    calls.append("validate:" + ("update" if row is not None else "create"))
    if values.get("function") == "forbidden":
        raise field_error("function", "not allowed here")
    if "name" in values and values["name"] is not None:
        values["name"] = values["name"].strip()
    return values


def _before_create(session: Session, scope: Scope, row: Zone) -> None:
    calls.append("before_create")
    row.name_en = row.name_en or f"zone {row.code}"


def _before_delete(session: Session, scope: Scope, row: Zone) -> None:
    if row.code == "KEEP":
        raise Conflict("this zone is kept")


ZONES: RecordType[Zone] = RecordType(
    name="test_zone",
    model=Zone,
    create_schema=ZoneCreate,
    update_schema=ZoneUpdate,
    read_schema=ZoneRead,
    list_spec=ListSpec(filters={"code": Zone.code}, search=[Zone.name], sort={"id": Zone.id, "code": Zone.code}),
    write_permission="zone.write",
    validate=_validate,
    before_create=_before_create,
    before_delete=_before_delete,
)


def scope(park: ParkWorld, role: Role, enterprise: int | None = None) -> Scope:
    return Scope.for_user(role=role, username="crud-test", user_id=None, park_id=park.park_id, enterprise_id=enterprise)


def test_create_flushes_without_committing_and_runs_the_hooks(db: Session, world: World) -> None:
    calls.clear()
    row = ZONES.create(
        db, scope=scope(world.a, Role.PARK_ADMIN), data=ZoneCreate(code="ZC", name=" 新区 ", function="x")
    )
    assert row.id is not None and row.park_id == world.a.park_id
    assert (row.name, row.name_en) == ("新区", "zone ZC")
    assert calls == ["validate:create", "before_create"]
    assert db.in_transaction() and row in db  # flushed into the test's transaction, not committed by the service


def test_list_and_get_read_only_what_the_scope_may_read(db: Session, world: World) -> None:
    mine, total = ZONES.list(db, scope=scope(world.a, Role.RESIDENT), query=ListQuery(page_size=500))
    assert total == len(mine) >= 1 and {z.park_id for z in mine} == {world.a.park_id}
    assert ZONES.get(db, scope=scope(world.a, Role.RESIDENT), ident=world.a.zone_id).id == world.a.zone_id
    with pytest.raises(NotFound):
        ZONES.get(db, scope=scope(world.b, Role.PARK_ADMIN), ident=world.a.zone_id)
    filtered, _ = ZONES.list(db, scope=scope(world.a, Role.PARK_ADMIN), query=ListQuery(filters={"code": "nope"}))
    assert filtered == []


def test_read_condition_narrows_the_scope() -> None:
    narrowed = RecordType(
        name="z",
        model=Zone,
        create_schema=ZoneCreate,
        update_schema=ZoneUpdate,
        read_schema=ZoneRead,
        list_spec=ZONES.list_spec,
        write_permission="zone.write",
        read_condition=lambda s: Zone.code == "Z1",
    )
    sql = str(narrowed.readable(Scope(role=Role.PARK_ADMIN, username="x", park_id=1, read_parks=frozenset({1}))))
    assert "zone.code = " in sql and "zone.park_id IN" in sql


def test_writes_need_the_permission_and_the_park(db: Session, world: World) -> None:
    data = ZoneCreate(code="ZD", name="新区", function="industrial")
    with pytest.raises(PermissionDenied):
        ZONES.create(db, scope=scope(world.a, Role.RESIDENT), data=data)
    with pytest.raises(PermissionDenied):
        ZONES.create(db, scope=scope(world.a, Role.ENTERPRISE, world.a.enterprise_ids[0]), data=data)
    with pytest.raises(NotFound):  # park B's admin names park A
        ZONES.create(
            db, scope=scope(world.b, Role.PARK_ADMIN), data=data.model_copy(update={"park_id": world.a.park_id})
        )
    with pytest.raises(PermissionDenied):  # a reviewer reads the zone but may not change it
        ZONES.update(db, scope=scope(world.a, Role.REVIEWER), ident=world.a.zone_id, data=ZoneUpdate(name="x"))
    with pytest.raises(NotFound):
        ZONES.delete(db, scope=scope(world.b, Role.PARK_ADMIN), ident=world.a.zone_id)
    assert db.scalar(select(Zone.name).where(Zone.id == world.a.zone_id)) == "一区"


def test_update_changes_only_the_given_fields_and_refuses_to_clear_required_ones(db: Session, world: World) -> None:
    admin = scope(world.a, Role.PARK_ADMIN)
    row = ZONES.create(db, scope=admin, data=ZoneCreate(code="ZU", name="甲", function="industrial", area_m2=10))
    calls.clear()
    ZONES.update(db, scope=admin, ident=row.id, data=ZoneUpdate(name=" 乙 "))
    assert (row.name, row.function, row.area_m2) == ("乙", "industrial", 10)
    assert calls == ["validate:update"]
    with pytest.raises(ValidationFailed) as raised:
        ZONES.update(db, scope=admin, ident=row.id, data=ZoneUpdate(name=None))
    assert raised.value.errors == [{"field": "name", "reason": "required: may not be set to null"}]
    ZONES.update(db, scope=admin, ident=row.id, data=ZoneUpdate(area_m2=None))  # a nullable column may be cleared
    assert row.area_m2 is None
    with pytest.raises(ValidationFailed):
        ZONES.update(db, scope=admin, ident=row.id, data=ZoneUpdate(function="forbidden"))
    assert row.function == "industrial"


def test_delete_asks_the_hook_first(db: Session, world: World) -> None:
    admin = scope(world.a, Role.PARK_ADMIN)
    kept = ZONES.create(db, scope=admin, data=ZoneCreate(code="KEEP", name="保留", function="industrial"))
    gone = ZONES.create(db, scope=admin, data=ZoneCreate(code="GONE", name="删除", function="industrial"))
    with pytest.raises(Conflict):
        ZONES.delete(db, scope=admin, ident=kept.id)
    ZONES.delete(db, scope=admin, ident=gone.id)
    assert db.get(Zone, kept.id) is not None
    with pytest.raises(NotFound):
        ZONES.get(db, scope=admin, ident=gone.id)
