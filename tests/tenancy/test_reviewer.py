"""A provincial reviewer reads every park it is given, writes in none, and sees no other park."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.auth import service as auth_service
from digipark.auth.models import Role
from digipark.registry.models import Building, Device, Enterprise, LandParcel, Zone
from tests.conftest import World, bearer
from tests.tenancy.api_registry import KINDS, park_row_ids
from tests.tenancy.helpers import API, assert_problem, count_rows


def test_reviewer_with_extra_parks_reads_both_writes_none(client: TestClient, world: World, db: Session) -> None:
    reviewer = auth_service.create(
        db,
        username="province-reviewer",
        password=world.password,
        role=Role.REVIEWER,
        park_id=None,
        extra_park_ids=(world.a.park_id, world.b.park_id),
    )
    raw, _ = auth_service.create_api_token(db, user=reviewer, name="test")
    headers = bearer(raw)
    me = client.get(f"{API}/auth/me", headers=headers).json()
    assert me["read_parks"] == sorted([world.a.park_id, world.b.park_id])
    for spec in KINDS:
        listed = client.get(f"{API}/{spec.path}", headers=headers, params={"page_size": 500}).json()
        ids = {item["id"] for item in listed["items"]}
        for pw in (world.a, world.b):
            assert park_row_ids(db, spec.model, pw.park_id) <= ids, spec.path
            url = f"{API}/{spec.path}/{spec.row(pw)}"
            before = client.get(url, headers=headers)
            assert before.status_code == 200
            assert_problem(client.patch(url, headers=headers, json=spec.patch), 403)
            if spec.create is not None:
                assert_problem(client.delete(url, headers=headers), 403)
                count = count_rows(db, spec.model)
                body = spec.create(pw)
                if spec.model in (Zone, LandParcel, Building, Enterprise, Device):
                    body = {**body, "park_id": pw.park_id}
                assert_problem(client.post(f"{API}/{spec.path}", headers=headers, json=body), 403)
                assert count_rows(db, spec.model) == count
            assert client.get(url, headers=headers).json() == before.json()
        for method in ("GET", "POST"):
            for pw in (world.a, world.b):
                response = client.request(method, f"{API}/devices/{pw.device_ids[0]}/token", headers=headers)
                assert_problem(response, 403)
    entries = client.get(f"{API}/audit/entries", headers=headers, params={"page_size": 500}).json()
    assert {item["park_id"] for item in entries["items"]} >= {world.a.park_id, world.b.park_id}
    assert_problem(client.get(f"{API}/users", headers=headers), 403)


def test_reviewer_sees_only_the_parks_it_is_given(client: TestClient, world: World, db: Session) -> None:
    reviewer = auth_service.create(
        db,
        username="city-reviewer",
        password=world.password,
        role=Role.REVIEWER,
        park_id=None,
        extra_park_ids=(world.b.park_id,),
    )
    raw, _ = auth_service.create_api_token(db, user=reviewer, name="test")
    listed = client.get(f"{API}/enterprises", headers=bearer(raw), params={"page_size": 500}).json()
    assert {item["park_id"] for item in listed["items"]} == {world.b.park_id}
    assert_problem(client.get(f"{API}/enterprises/{world.a.enterprise_ids[0]}", headers=bearer(raw)), 404)
