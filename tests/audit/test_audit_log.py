"""Every registry write through the API is audited (who, what, before/after, no secrets), and the hash chain
detects tampering and names the first broken entry."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from digipark.audit import service as audit
from digipark.audit.models import AuditEntry
from digipark.auth.scope import system_scope
from digipark.core.codes import make_uscc
from digipark.registry import schemas
from digipark.registry import service as registry
from digipark.registry.models import Point
from tests.conftest import ParkWorld, World, bearer

API = "/api/v1"

# path, table, create body in park A, a change
KINDS: list[tuple[str, str, Callable[[ParkWorld], dict[str, Any]], dict[str, Any]]] = [
    ("zones", "zone", lambda p: {"code": "AZ", "name": "审计区", "function": "office"}, {"name": "审计区二"}),
    ("land-parcels", "land_parcel", lambda p: {"code": "AP", "area_m2": 800.0, "land_use": "M1"}, {"owner": "某公司"}),
    ("buildings", "building", lambda p: {"code": "AB", "name": "审计楼", "use": "office"}, {"floors": 5}),
    ("floors", "floor", lambda p: {"building_id": p.building_id, "level": 3}, {"name": "三层"}),
    ("rooms", "room", lambda p: {"floor_id": p.floor_id, "code": "AR1", "area_m2": 60.0}, {"area_m2": 65.5}),
    (
        "enterprises",
        "enterprise",
        lambda p: {"name": "审计企业", "uscc": make_uscc("9", "1", "320500", "AU000001"), "industry_code": "3311"},
        {"employees": 12},
    ),
    (
        "devices",
        "device",
        lambda p: {"code": "AD1", "name": "审计表", "kind": "water_meter", "enterprise_id": p.enterprise_ids[0]},
        {"location": "一楼"},
    ),
    (
        "points",
        "point",
        lambda p: {
            "device_id": p.device_ids[1],
            "key": "audit_t",
            "name": "温度",
            "quantity": "temperature",
            "unit": "°C",
            "device_class": "temperature",
        },
        {"valid_max": 80.0},
    ),
]


def entries(db: Session, *, after: int, **where: Any) -> list[AuditEntry]:
    """Audit entries written since `after` (the log is append-only, and tests that commit, such as the MQTT
    ones, leave entries of rows whose ids SQLite hands out again)."""
    stmt = select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(AuditEntry, key) == value)
    return list(db.scalars(stmt))


def last_id(db: Session) -> int:
    return db.scalar(select(func.max(AuditEntry.id))) or 0


@pytest.mark.parametrize(("path", "table", "create", "change"), KINDS, ids=[k[0] for k in KINDS])
def test_create_update_delete_are_audited(
    client: TestClient,
    world: World,
    db: Session,
    path: str,
    table: str,
    create: Callable[[ParkWorld], dict[str, Any]],
    change: dict[str, Any],
) -> None:
    start = last_id(db)
    headers = bearer(world.a.tokens["park_admin"])
    body = create(world.a)
    created = client.post(f"{API}/{path}", json=body, headers=headers)
    assert created.status_code == 201, created.text
    row = created.json()
    ident = str(row["id"])

    [entry] = entries(db, after=start, entity_type=table, entity_id=ident, action="create")
    assert (entry.actor, entry.actor_role, entry.park_id) == ("TA-park_admin", "park_admin", world.a.park_id)
    assert entry.before is None and entry.after is not None
    assert entry.after["id"] == row["id"]
    for field, value in body.items():
        assert entry.after[field] == value, field
    assert "created_at" not in entry.after and "updated_at" not in entry.after

    old = {field: row[field] for field in change}
    updated = client.patch(f"{API}/{path}/{ident}", json=change, headers=headers)
    assert updated.status_code == 200, updated.text
    [entry] = entries(db, after=start, entity_type=table, entity_id=ident, action="update")
    assert entry.actor == "TA-park_admin"
    assert entry.before == old and entry.after == change  # only the changed fields
    # a change to the same values is no change: nothing written
    assert client.patch(f"{API}/{path}/{ident}", json=change, headers=headers).status_code == 200
    assert len(entries(db, after=start, entity_type=table, entity_id=ident, action="update")) == 1

    point_ids = {str(pid) for pid in db.scalars(select(Point.id).where(Point.device_id == row["id"]))}
    deleted = client.delete(f"{API}/{path}/{ident}", headers=headers)
    assert deleted.status_code == 204, deleted.text
    [entry] = entries(db, after=start, entity_type=table, entity_id=ident, action="delete")
    assert entry.actor == "TA-park_admin" and entry.after is None
    assert entry.before is not None and entry.before["id"] == row["id"]
    assert {k: entry.before[k] for k in change} == change
    if table == "device":  # the device's catalogue points went with it, each audited
        assert point_ids
        assert point_ids <= {e.entity_id for e in entries(db, after=start, entity_type="point", action="delete")}
    assert audit.verify(db).ok


def test_park_update_is_audited(client: TestClient, world: World, db: Session) -> None:
    start = last_id(db)
    response = client.patch(
        f"{API}/parks/{world.a.park_id}", json={"address": "星湖街1号"}, headers=bearer(world.a.tokens["park_admin"])
    )
    assert response.status_code == 200, response.text
    [entry] = entries(db, after=start, entity_type="park", entity_id=str(world.a.park_id), action="update")
    assert (entry.before, entry.after) == ({"address": None}, {"address": "星湖街1号"})
    assert (entry.actor, entry.park_id) == ("TA-park_admin", world.a.park_id)


def test_enterprise_owned_rows_record_their_owner(client: TestClient, world: World, db: Session) -> None:
    start = last_id(db)
    headers = bearer(world.a.tokens["park_admin"])
    device_id = world.a.device_ids[0]
    assert client.patch(f"{API}/devices/{device_id}", json={"location": "车间"}, headers=headers).status_code == 200
    [entry] = entries(db, after=start, entity_type="device", entity_id=str(device_id), action="update")
    assert entry.enterprise_id == world.a.enterprise_ids[0]
    # moving the device to the park moves its points too, and each point's move is audited
    assert (
        client.patch(
            f"{API}/devices/{world.a.device_ids[1]}", json={"enterprise_id": world.a.enterprise_ids[1]}, headers=headers
        ).status_code
        == 200
    )
    moved = {
        e.entity_id
        for e in entries(db, after=start, entity_type="point", action="update")
        if e.before == {"enterprise_id": None} and e.after == {"enterprise_id": world.a.enterprise_ids[1]}
    }
    points = {str(pid) for pid in db.scalars(select(Point.id).where(Point.device_id == world.a.device_ids[1]))}
    assert points and moved == points


def test_secrets_never_reach_the_audit_log(client: TestClient, world: World, db: Session) -> None:
    headers = bearer(world.a.tokens["park_admin"])
    start = last_id(db)
    device = client.post(
        f"{API}/devices", json={"code": "SEC1", "name": "秘密", "kind": "gas_meter"}, headers=headers
    ).json()
    token = device["token"]  # shown once, at creation
    rotated = client.post(f"{API}/devices/{device['id']}/token", headers=headers).json()["token"]
    assert rotated != token
    password = "user-secret-123"
    user = client.post(
        f"{API}/users", json={"username": "audited-user", "password": password, "role": "operator"}, headers=headers
    )
    assert user.status_code == 201, user.text
    login = client.post(f"{API}/auth/token", json={"username": "audited-user", "password": password})
    assert login.status_code == 200
    raw_api_token = login.json()["access_token"]

    new = entries(db, after=start)
    assert {e.action for e in new} >= {"create", "device_token_rotated", "login", "api_token_created"}
    rotation = next(e for e in new if e.action == "device_token_rotated")
    assert (rotation.entity_id, rotation.actor) == (str(device["id"]), "TA-park_admin")
    dumped = json.dumps([[e.before, e.after] for e in new], ensure_ascii=False)
    for secret in (token, rotated, password, raw_api_token, "$argon2"):
        assert secret not in dumped
    for e in new:
        for snapshot in (e.before or {}, e.after or {}):
            assert "token" not in snapshot and "password_hash" not in snapshot and "token_hash" not in snapshot


def test_audit_api_shows_only_the_callers_parks(client: TestClient, world: World, db: Session) -> None:
    a_admin, b_admin = bearer(world.a.tokens["park_admin"]), bearer(world.b.tokens["park_admin"])
    client.patch(f"{API}/zones/{world.a.zone_id}", json={"name": "A改"}, headers=a_admin)
    client.patch(f"{API}/zones/{world.b.zone_id}", json={"name": "B改"}, headers=b_admin)
    for headers, own, other in ((a_admin, world.a, world.b), (b_admin, world.b, world.a)):
        body = client.get(
            f"{API}/audit/entries", params={"page_size": 500, "entity_type": "zone"}, headers=headers
        ).json()
        assert {item["park_id"] for item in body["items"]} == {own.park_id}
        assert any(item["action"] == "update" and item["entity_id"] == str(own.zone_id) for item in body["items"])
        assert body["total"] == len(entries(db, after=0, entity_type="zone", park_id=own.park_id))
        response = client.get(
            f"{API}/audit/entries",
            params={"entity_id": str(other.zone_id), "entity_type": "zone", "action": "update"},
            headers=headers,
        )
        assert all(item["park_id"] == own.park_id for item in response.json()["items"])
    assert client.get(f"{API}/audit/entries", params={"sort": "-ts,id"}, headers=a_admin).status_code == 200


# -- the hash chain -------------------------------------------------------------------------------------------
@pytest.fixture
def chain(db: Session, world: World) -> list[int]:
    """Three fresh entries at the end of the chain; returns their ids."""
    scope = system_scope(world.a.park_id)
    audit.set_actor(db, audit.Actor("chain-test"))
    for i in range(3):
        registry.create(
            db,
            scope=scope,
            kind=registry.KINDS["zone"],
            data=schemas.ZoneCreate(code=f"CH{i}", name="链", function="office"),
        )
    db.flush()
    ids = list(db.scalars(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(3)))[::-1]
    assert ids == list(range(ids[0], ids[0] + 3))
    # the guard dropped by an earlier test came back with its rollback
    _assert_refused(db, update(AuditEntry).where(AuditEntry.id == ids[0]).values(actor="mallory"))
    _assert_refused(db, delete(AuditEntry).where(AuditEntry.id == ids[0]))
    return ids


def _dialect(db: Session) -> str:
    return db.connection().dialect.name


def _assert_refused(db: Session, statement: Any) -> None:
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(statement)


def _allow_tampering(db: Session) -> None:
    """Drop the append-only guard inside the test transaction (rolled back with it)."""
    if _dialect(db) == "postgresql":
        db.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_update"))
    else:
        db.execute(text("DROP TRIGGER audit_entry_no_update"))
        db.execute(text("DROP TRIGGER audit_entry_no_delete"))


def test_intact_chain_verifies(db: Session, chain: list[int]) -> None:
    result = audit.verify(db)
    assert result.ok and result.first_broken_id is None
    assert result.checked == chain[-1] == db.scalar(select(func.count()).select_from(AuditEntry))
    # small batches walk the same chain
    assert audit.verify(db, batch=2).checked == chain[-1]


def test_the_log_is_append_only(db: Session, chain: list[int]) -> None:
    _assert_refused(db, update(AuditEntry).where(AuditEntry.id == chain[1]).values(actor="mallory"))
    _assert_refused(db, delete(AuditEntry).where(AuditEntry.id == chain[1]))
    assert audit.verify(db).ok


def test_modified_content_is_detected(db: Session, chain: list[int]) -> None:
    _assert_refused(db, update(AuditEntry).where(AuditEntry.id == chain[1]).values(after={"name": "伪造"}))
    _allow_tampering(db)
    db.execute(update(AuditEntry).where(AuditEntry.id == chain[1]).values(after={"name": "伪造"}))
    result = audit.verify(db)
    assert (result.ok, result.first_broken_id, result.reason) == (False, chain[1], "content does not match its hash")
    assert result.checked == chain[1] - 1


def test_deleted_middle_entry_is_detected(db: Session, chain: list[int]) -> None:
    _allow_tampering(db)
    db.execute(delete(AuditEntry).where(AuditEntry.id == chain[1]))
    result = audit.verify(db)
    assert (result.ok, result.first_broken_id) == (False, chain[1])
    assert result.reason == f"entry {chain[1]} is missing"


def test_deleted_last_entry_is_detected_by_the_head(db: Session, chain: list[int]) -> None:
    _allow_tampering(db)
    db.execute(delete(AuditEntry).where(AuditEntry.id == chain[2]))
    result = audit.verify(db)
    assert (result.ok, result.first_broken_id) == (False, chain[2])
    assert result.reason == "entries after the last one found are missing"


def test_changed_hash_is_detected(db: Session, chain: list[int]) -> None:
    _allow_tampering(db)
    db.execute(update(AuditEntry).where(AuditEntry.id == chain[1]).values(hash="f" * 64))
    result = audit.verify(db)
    assert (result.ok, result.first_broken_id, result.reason) == (False, chain[1], "content does not match its hash")


def _rewrite_consistently(db: Session, entry_id: int, after: dict[str, Any]) -> None:
    """A careful forger: changes an entry and recomputes its own hash."""
    entry = db.get(AuditEntry, entry_id)
    assert entry is not None
    fields = {
        c: getattr(entry, c)
        for c in (
            "id",
            "ts",
            "actor",
            "actor_role",
            "park_id",
            "enterprise_id",
            "action",
            "entity_type",
            "entity_id",
            "before",
        )
    }
    new_hash = audit.entry_hash(entry.prev_hash, audit._hashed_fields({**fields, "after": after}))
    db.execute(update(AuditEntry).where(AuditEntry.id == entry_id).values(after=after, hash=new_hash))
    db.expire_all()


def test_rehashed_entry_breaks_the_next_link(db: Session, chain: list[int]) -> None:
    _allow_tampering(db)
    _rewrite_consistently(db, chain[1], {"name": "伪造"})
    result = audit.verify(db)
    assert (result.ok, result.first_broken_id) == (False, chain[2])
    assert result.reason == "link to the previous entry does not match"


def test_rehashed_last_entry_is_caught_by_the_head(db: Session, chain: list[int]) -> None:
    _allow_tampering(db)
    _rewrite_consistently(db, chain[2], {"name": "伪造"})
    result = audit.verify(db)
    assert (result.ok, result.first_broken_id) == (False, chain[2])
    assert result.reason == "the last entry does not match the chain head"


def test_verify_api(client: TestClient, world: World, db: Session, chain: list[int]) -> None:
    response = client.get(f"{API}/audit/verify", headers=bearer(world.a.tokens["reviewer"]))
    assert response.status_code == 200
    assert response.json() == {"ok": True, "checked": chain[-1], "first_broken_id": None, "reason": None}
    _allow_tampering(db)
    db.execute(update(AuditEntry).where(AuditEntry.id == chain[0]).values(actor="mallory"))
    db.flush()
    response = client.get(f"{API}/audit/verify", headers=bearer(world.a.tokens["park_admin"]))
    assert response.json()["ok"] is False and response.json()["first_broken_id"] == chain[0]
