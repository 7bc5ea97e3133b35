"""The safety record types served by the derived create/read/update/delete: their own checks (hooks) answer through
the API as before — hazard sources graded and named, risk points re-assessed, plans and teams in use kept, a
resource's owner and location checked — and incident photos pass the one upload check."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.core.spreadsheet import UnsupportedFile
from digipark.safety import service
from digipark.safety.schemas import IncidentCreate, TaskCreate
from tests.conftest import World, bearer
from tests.safety.helpers import admin, own

API = "/api/v1/safety"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _problem(response: Any, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    if field is not None:
        assert [e["field"] for e in response.json()["errors"]] == [field], response.text


def test_hazard_source_api_names_its_grade_and_regrades_on_change(client: TestClient, world: World) -> None:
    boss = bearer(world.a.tokens["park_admin"])
    body = {
        "code": "HS-API",
        "name": "液氯库",
        "unit_kind": "storage",
        "exposed_people": 60,
        "substances": [{"name": "液氯", "quantity_t": 20}],
        "building_id": world.a.building_id,
    }
    created = client.post(f"{API}/hazard-sources", headers=boss, json=body)
    assert created.status_code == 201, created.text
    row = created.json()
    assert (row["r_value"], row["grade"], row["grade_name"], row["zone_id"]) == (24, 3, "三级", world.a.zone_id)
    ident = row["id"]
    # more people within 500 m: α 1.5 → 2, R 24 → 32, still 三级; the stored substances are re-identified
    changed = client.patch(f"{API}/hazard-sources/{ident}", headers=boss, json={"exposed_people": 120})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["alpha"], changed.json()["r_value"], changed.json()["grade_name"]) == (2, 32, "三级")
    assert changed.json()["substances"][0]["critical_t"] == 5
    listed = client.get(f"{API}/hazard-sources", headers=boss, params={"q": "HS-API"}).json()["items"]
    assert [(r["id"], r["grade_name"]) for r in listed if r["id"] == ident] == [(ident, "三级")]
    _problem(client.patch(f"{API}/hazard-sources/{ident}", headers=boss, json={"substances": None}), 422, "substances")
    small = client.patch(
        f"{API}/hazard-sources/{ident}", headers=boss, json={"substances": [{"name": "液氯", "quantity_t": 1}]}
    )
    assert (small.json()["is_major"], small.json()["grade"], small.json()["grade_name"]) == (False, None, None)


def test_risk_point_reassessed_when_its_method_changes(client: TestClient, world: World) -> None:
    boss = bearer(world.a.tokens["park_admin"])
    body = {
        "code": "RP-API",
        "name": "喷涂车间",
        "responsible_person": "张工",
        "method": "LEC",
        "l_value": 3,
        "e_value": 6,
        "c_value": 15,
        "point_ids": [world.a.point_ids[0]],
    }
    created = client.post(f"{API}/risk-points", headers=boss, json=body)
    assert created.status_code == 201, created.text
    assert (created.json()["score"], created.json()["level"]) == (270, "orange")
    ident = created.json()["id"]
    changed = client.patch(f"{API}/risk-points/{ident}", headers=boss, json={"method": "LS", "s_value": 5})
    assert changed.status_code == 200, changed.text
    row = changed.json()
    assert (row["method"], row["score"], row["e_value"], row["c_value"], row["s_value"]) == ("LS", 15, None, None, 5)
    _problem(client.patch(f"{API}/risk-points/{ident}", headers=boss, json={"l_value": 7}), 422, "l_value")
    _problem(client.patch(f"{API}/risk-points/{ident}", headers=boss, json={"point_ids": None}), 422, "point_ids")
    _problem(
        client.patch(f"{API}/risk-points/{ident}", headers=boss, json={"point_ids": [2**31 - 1]}), 422, "point_ids"
    )
    foreign = client.post(f"{API}/risk-points", headers=boss, json={**body, "zone_id": world.b.zone_id})
    _problem(foreign, 422, "zone_id")
    assert client.get(f"{API}/risk-points/{ident}", headers=bearer(world.b.tokens["park_admin"])).status_code == 404


def test_plan_checks_and_a_followed_plan_is_kept(client: TestClient, world: World, db: Session) -> None:
    boss = bearer(world.a.tokens["park_admin"])
    body = {"code": "P-API", "title": "火灾专项预案", "plan_type": "special", "incident_kinds": ["fire"]}
    twice = [{"level": "III", "criteria": "一处"}, {"level": "III", "criteria": "两处"}]
    _problem(client.post(f"{API}/plans", headers=boss, json={**body, "levels": twice}), 422, "levels")
    created = client.post(f"{API}/plans", headers=boss, json=body)
    assert created.status_code == 201 and created.json()["enterprise_id"] is None, created.text
    ident = created.json()["id"]
    _problem(client.patch(f"{API}/plans/{ident}", headers=boss, json={"levels": twice}), 422, "levels")
    _problem(client.patch(f"{API}/plans/{ident}", headers=boss, json={"title": None}), 422, "title")
    # an enterprise keeps plans of its own only
    mine = bearer(world.a.tokens["enterprise"])
    other = {**body, "code": "P-E", "enterprise_id": world.a.enterprise_ids[1]}
    _problem(client.post(f"{API}/plans", headers=mine, json=other), 403)
    own_plan = client.post(f"{API}/plans", headers=mine, json={**body, "code": "P-E"})
    assert own_plan.json()["enterprise_id"] == world.a.enterprise_ids[0], own_plan.text
    _problem(client.patch(f"{API}/plans/{ident}", headers=mine, json={"version": "2"}), 404)
    service.create_incident(
        db,
        scope=admin(world.a),
        data=IncidentCreate(title="仓库起火", kind="fire", location="仓库", plan_id=ident, drill=True),
    )
    _problem(client.delete(f"{API}/plans/{ident}", headers=boss), 409)
    assert client.get(f"{API}/plans/{ident}", headers=boss).status_code == 200


def test_resource_owner_location_and_a_busy_team_is_kept(client: TestClient, world: World, db: Session) -> None:
    boss = bearer(world.a.tokens["park_admin"])
    foreign_owner = {"kind": "supply", "name": "吸附棉", "owner_enterprise_id": world.b.enterprise_ids[0]}
    _problem(client.post(f"{API}/resources", headers=boss, json=foreign_owner), 422, "owner_enterprise_id")
    team = client.post(
        f"{API}/resources", headers=boss, json={"kind": "team", "name": "救援队", "building_id": world.a.building_id}
    )
    assert team.status_code == 201 and team.json()["zone_id"] == world.a.zone_id, team.text
    ident = team.json()["id"]
    _problem(client.patch(f"{API}/resources/{ident}", headers=boss, json={"lon": 120.7}), 422, "lon")
    _problem(client.patch(f"{API}/resources/{ident}", headers=boss, json={"available": None}), 422, "available")
    _problem(client.patch(f"{API}/resources/{ident}", headers=bearer(world.a.tokens["enterprise"]), json={}), 403)
    incident = service.create_incident(
        db, scope=admin(world.a), data=IncidentCreate(title="泄漏", kind="leak", location="仓库")
    )
    deadline = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    service.add_task(
        db, scope=admin(world.a), ident=incident.id, data=TaskCreate(title="堵漏", team_id=ident, deadline=deadline)
    )
    _problem(client.delete(f"{API}/resources/{ident}", headers=boss), 409)
    spare = client.post(f"{API}/resources", headers=boss, json={"kind": "shelter", "name": "避难场所"}).json()["id"]
    assert client.delete(f"{API}/resources/{spare}", headers=boss).status_code == 204
    assert client.get(f"{API}/resources/{spare}", headers=boss).status_code == 404


def test_photo_checked_by_content_and_stored_under_a_safe_name(db: Session, world: World) -> None:
    incident = service.create_incident(
        db, scope=own(world.a), data=IncidentCreate(title="异味", kind="leak", location="仓库")
    )
    riff_not_webp = b"RIFF\x00\x00\x00\x00AVI " + b"\x00" * 16
    with pytest.raises(UnsupportedFile, match="not the image/webp"):
        service.add_photo(
            db,
            scope=own(world.a),
            ident=incident.id,
            filename="x.webp",
            content_type="image/webp",
            content=riff_not_webp,
        )
    webp = b"RIFF\x00\x00\x00\x00WEBP" + b"\x00" * 16
    photo = service.add_photo(
        db,
        scope=own(world.a),
        ident=incident.id,
        filename='C:\\现场\\a"<b>.webp',
        content_type="image/webp",
        content=webp,
    )
    assert (photo.filename, photo.content_type) == ("ab.webp", "image/webp")
    plain = service.add_photo(
        db, scope=own(world.a), ident=incident.id, filename="dir/", content_type="image/png; x=1", content=PNG
    )
    assert (plain.filename, plain.content_type) == ("photo", "image/png")
