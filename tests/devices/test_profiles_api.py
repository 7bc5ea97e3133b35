"""The device profiles API (`/api/v1/device-profiles`): the same service and checks as the pages — list, one profile
with its versions, a new profile, the next version (409 when nothing changed, 422 naming the field), applying the
current version to older devices; park admins write, operators read, enterprises neither; audited."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.audit.service import Actor, set_actor
from digipark.devices import profiles
from digipark.registry.models import Device
from tests.conftest import World, bearer

PROFILES = "/api/v1/device-profiles"


def _body(key: str, **changes: Any) -> dict[str, Any]:
    seeded = profiles.seed("electricity_meter")
    assert seeded is not None
    return {**seeded.model_dump(), "key": key, **changes}


def test_a_park_admin_makes_a_profile_saves_versions_and_applies_them(
    client: TestClient, db: Session, world: World
) -> None:
    admin = bearer(world.a.tokens["park_admin"])
    listed = client.get(PROFILES, headers=admin)
    assert listed.status_code == 200 and "electricity_meter" in [p["key"] for p in listed.json()]
    made = client.post(PROFILES, json={**_body("meter_api"), "note": "楼宇电表"}, headers=admin)
    assert made.status_code == 201, made.text
    assert (made.json()["current_version"], made.json()["versions"][0]["note"]) == (1, "楼宇电表")
    assert client.post(PROFILES, json=_body("meter_api"), headers=admin).status_code == 422  # the key is used

    device = db.scalar(select(Device).where(Device.id == world.a.device_ids[0]))
    assert device is not None
    set_actor(db, Actor("test"))
    stored = profiles.current(db, park_id=world.a.park_id, key="meter_api")
    assert stored is not None
    profiles.put_on(db, device, stored)  # a device on version 1
    db.commit()

    points = [{**p, "expected_interval_s": 30} for p in made.json()["current"]["points"]]
    body = {**_body("meter_api"), "points": points, "note": "30 s"}
    without_key = {k: v for k, v in body.items() if k != "key"}
    version = client.post(f"{PROFILES}/meter_api/versions", json=without_key, headers=admin)
    assert version.status_code == 201, version.text
    got = client.get(f"{PROFILES}/meter_api", headers=admin).json()
    assert got["current_version"] == 2 and [v["version"] for v in got["versions"]] == [2, 1]
    assert got["versions"][1]["devices"] == 1 and got["devices_behind"] == 1
    assert client.post(f"{PROFILES}/meter_api/versions", json=body, headers=admin).status_code == 409  # unchanged
    moved = client.post(f"{PROFILES}/meter_api/apply", headers=admin)
    assert moved.status_code == 200 and moved.json()["moved"] == 1
    assert client.get(f"{PROFILES}/meter_api", headers=admin).json()["devices_behind"] == 0
    kinds = ["device_profile", "device_profile_use"]
    entries = db.scalars(select(AuditEntry.entity_type).where(AuditEntry.entity_type.in_(kinds)))
    assert set(kinds) <= set(entries)


def test_bad_input_names_its_field_and_saves_nothing(client: TestClient, db: Session, world: World) -> None:
    admin = bearer(world.a.tokens["park_admin"])
    seeded = _body("meter_bad")
    points = [{**seeded["points"][0], "unit": "zz_unit"}]
    refused = client.post(PROFILES, json={**seeded, "points": points}, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "points.0.unit"
    assert client.get(f"{PROFILES}/meter_bad", headers=admin).status_code == 404
    other_key = client.post(f"{PROFILES}/electricity_meter/versions", json=_body("water"), headers=admin)
    assert other_key.status_code == 422
    too_big = [{**seeded["points"][0], "expected_interval_s": 2**40}]
    assert client.post(PROFILES, json={**seeded, "points": too_big}, headers=admin).status_code == 422


def test_who_reads_and_who_writes(client: TestClient, world: World) -> None:
    body = _body("meter_roles")
    for role in ("operator", "enterprise", "reviewer"):
        assert client.post(PROFILES, json=body, headers=bearer(world.a.tokens[role])).status_code == 403, role
    assert client.get(PROFILES, headers=bearer(world.a.tokens["operator"])).status_code == 200
    assert client.get(PROFILES, headers=bearer(world.a.tokens["enterprise"])).status_code == 403
    admin_b = bearer(world.b.tokens["park_admin"])
    made = client.post(PROFILES, json=body, headers=bearer(world.a.tokens["park_admin"]))
    assert made.status_code == 201
    assert client.get(f"{PROFILES}/meter_roles", headers=admin_b).status_code == 404  # park A's own
    aimed = client.post(PROFILES, json=body, params={"park_id": world.a.park_id}, headers=admin_b)
    assert aimed.status_code == 404
