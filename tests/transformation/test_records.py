"""Certificates, adoption records and catalogue entries through the API: who verifies a certificate and when an
enterprise's change waits for the park again, the level's name in every answer, the checks of an update against
the stored row, and a catalogue entry that has provider requests stays."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.transformation import service
from digipark.transformation.schemas import ProviderRequestCreate
from tests.conftest import World, bearer
from tests.transformation.helpers import own

API = "/api/v1/transformation"


def _problem(response: Any, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if field is not None:
        assert [e["field"] for e in response.json()["errors"]] == [field]


def _certificate_body(**extra: Any) -> dict[str, Any]:
    body = {
        "scale": "GBT39116",
        "level": 2,
        "certificate_no": "CMMM-2025-001",
        "issuer": "中国电子技术标准化研究院",
        "issued_on": "2025-03-01",
    }
    return {**body, **extra}


def test_certificate_verification_follows_who_writes(client: TestClient, world: World) -> None:
    admin = bearer(world.a.tokens["park_admin"])
    enterprise = bearer(world.a.tokens["enterprise"])
    entered = client.post(f"{API}/certificates", json=_certificate_body(), headers=enterprise)
    assert entered.status_code == 201, entered.text
    row = entered.json()
    assert row["enterprise_id"] == world.a.enterprise_ids[0] and row["park_id"] == world.a.park_id
    assert (row["verified"], row["verified_by"], row["level_name"]) == (False, None, "二级 规范级")
    url = f"{API}/certificates/{row['id']}"

    verified = client.post(f"{url}/verify", json={}, headers=admin).json()
    assert verified["verified"] is True and verified["verified_by"] and verified["level_name"] == "二级 规范级"
    staff_change = client.patch(url, json={"level": 3}, headers=admin).json()
    assert (staff_change["verified"], staff_change["level_name"]) == (True, "三级 集成级")
    _problem(client.delete(url, headers=enterprise), 403)  # verified: the park removes it

    own_change = client.patch(url, json={"issuer": "江苏省智能制造评估中心"}, headers=enterprise).json()
    assert (own_change["verified"], own_change["verified_by"]) == (False, None)
    listed = client.get(f"{API}/certificates", headers=enterprise).json()
    assert [(r["id"], r["level_name"]) for r in listed["items"]] == [(row["id"], "三级 集成级")]
    assert client.delete(url, headers=enterprise).status_code == 204

    by_staff = client.post(
        f"{API}/certificates",
        json=_certificate_body(enterprise_id=world.a.enterprise_ids[1], scale="SMART_FACTORY", level=1),
        headers=admin,
    ).json()
    assert by_staff["verified"] is True and by_staff["verified_by"] and by_staff["level_name"] == "基础级智能工厂"


def test_a_certificate_update_is_checked_against_the_stored_row(client: TestClient, world: World) -> None:
    enterprise = bearer(world.a.tokens["enterprise"])
    created = client.post(
        f"{API}/certificates", json=_certificate_body(scale="SMART_FACTORY", level=1), headers=enterprise
    )
    url = f"{API}/certificates/{created.json()['id']}"
    _problem(client.patch(url, json={"level": 5}, headers=enterprise), 422, "level")  # four smart-factory levels
    _problem(client.patch(url, json={"valid_to": "2025-02-28"}, headers=enterprise), 422, "valid_to")
    _problem(client.patch(url, json={"certificate_no": None}, headers=enterprise), 422, "certificate_no")
    _problem(client.post(f"{API}/certificates", json=_certificate_body(level=6), headers=enterprise), 422)
    _problem(
        client.post(f"{API}/certificates", json=_certificate_body(), headers=bearer(world.b.tokens["park_admin"])),
        422,
        "enterprise_id",
    )
    assert client.patch(url, json={"valid_to": "2027-03-01"}, headers=enterprise).json()["valid_to"] == "2027-03-01"


def test_adoption_records_are_checked_against_the_stored_row(client: TestClient, world: World) -> None:
    enterprise = bearer(world.a.tokens["enterprise"])
    body = {"kind": "robot", "name": "焊接机器人", "count": 3, "scenarios": ["S06", "S06"], "started_on": "2025-01-01"}
    created = client.post(f"{API}/adoption", json=body, headers=enterprise)
    assert created.status_code == 201, created.text
    row = created.json()
    assert (row["kind"], row["scenarios"], row["enterprise_id"]) == ("robot", ["S06"], world.a.enterprise_ids[0])
    url = f"{API}/adoption/{row['id']}"
    _problem(client.patch(url, json={"count": None}, headers=enterprise), 422, "count")  # robots need a count
    _problem(client.patch(url, json={"ended_on": "2024-12-31"}, headers=enterprise), 422, "ended_on")
    _problem(client.patch(url, json={"scenarios": ["S99"]}, headers=enterprise), 422, "scenarios")
    _problem(client.patch(url, json={"name": None}, headers=enterprise), 422, "name")
    changed = client.patch(url, json={"count": 5, "ended_on": "2026-01-01"}, headers=enterprise).json()
    assert (changed["count"], changed["ended_on"]) == (5, "2026-01-01")
    _problem(client.get(url, headers=bearer(world.a.tokens["enterprise2"])), 404)
    assert client.delete(url, headers=enterprise).status_code == 204


def test_catalogue_entries_are_the_park_staffs(client: TestClient, world: World, db: Session) -> None:
    admin = bearer(world.a.tokens["park_admin"])
    enterprise = bearer(world.a.tokens["enterprise"])
    body = {"kind": "product", "name": "轻量MES", "provider": "某软件公司", "scenes": ["S06"], "indicators": ["D1.2"]}
    _problem(client.post(f"{API}/catalogue", json=body, headers=enterprise), 403)
    _problem(client.post(f"{API}/catalogue", json={**body, "indicators": ["D9.9"]}, headers=admin), 422, "indicators")
    created = client.post(f"{API}/catalogue", json=body, headers=admin)
    assert created.status_code == 201, created.text
    entry = created.json()
    assert entry["park_id"] == world.a.park_id
    url = f"{API}/catalogue/{entry['id']}"
    assert client.get(url, headers=enterprise).json()["name"] == "轻量MES"  # every member of the park reads it
    assert client.patch(url, json={"kind": "service"}, headers=admin).json()["kind"] == "service"
    _problem(client.patch(url, json={"scenes": ["S99"]}, headers=admin), 422, "scenes")
    _problem(client.patch(url, json={"active": None}, headers=admin), 422, "active")
    _problem(client.patch(url, json={"active": False}, headers=enterprise), 403)

    service.create_request(
        db, scope=own(world.a), data=ProviderRequestCreate(entry_id=entry["id"], message="请联系我们")
    )
    db.flush()
    _problem(client.delete(url, headers=admin), 409)  # it has a provider request: set it inactive instead
    assert client.patch(url, json={"active": False}, headers=admin).json()["active"] is False
    other = client.post(f"{API}/catalogue", json={**body, "name": "数字化诊断"}, headers=admin).json()
    assert client.delete(f"{API}/catalogue/{other['id']}", headers=admin).status_code == 204
