"""The notices API: derived CRUD, publishing, the reader's unread notices, read receipts."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from tests.conftest import World, bearer

URL = "/api/v1/notices"


def _as(world: World, account: str) -> dict[str, str]:
    return bearer(world.a.tokens[account])


def _published(client: TestClient, world: World, **fields: object) -> int:
    body = {"title": "停水通知", "body": "周六 8:00-18:00 三区停水。\n\n请提前储水。", "category": "outage", **fields}
    created = client.post(URL, headers=_as(world, "park_admin"), json=body)
    assert created.status_code == 201, created.text
    assert created.json()["published_at"] is None
    ident = int(created.json()["id"])
    published = client.post(f"{URL}/{ident}/publish", headers=_as(world, "park_admin"))
    assert published.status_code == 200 and published.json()["published_at"], published.text
    return ident


def test_publish_read_and_receipts(client: TestClient, world: World, db: Session) -> None:
    ident = _published(client, world, audience="enterprises", pinned=True)
    listed = client.get(URL, headers=_as(world, "enterprise"), params={"category": "outage"}).json()
    assert ident in [n["id"] for n in listed["items"]] and listed["page"] == 1
    assert listed["items"][0]["pinned"] is True  # pinned first
    assert ident not in [n["id"] for n in client.get(URL, headers=_as(world, "resident")).json()["items"]]
    assert ident in client.get(f"{URL}/unread", headers=_as(world, "enterprise")).json()["ids"]

    receipt = client.post(f"{URL}/{ident}/read", headers=_as(world, "enterprise"))
    assert receipt.status_code == 200 and receipt.json()["notice_id"] == ident
    assert client.post(f"{URL}/{ident}/read", headers=_as(world, "enterprise")).json() == receipt.json()
    unread = client.get(f"{URL}/unread", headers=_as(world, "enterprise")).json()
    assert ident not in unread["ids"] and unread["count"] == len(unread["ids"])

    summary = client.get(f"{URL}/{ident}/receipts", headers=_as(world, "operator")).json()
    assert summary["readers"] == 1 and summary["enterprises"][0]["enterprise_id"] == world.a.enterprise_ids[0]
    assert client.get(f"{URL}/{ident}/receipts", headers=_as(world, "enterprise")).status_code == 403
    assert client.post(f"{URL}/{ident}/publish", headers=_as(world, "park_admin")).status_code == 409


def test_update_and_delete(client: TestClient, world: World, db: Session) -> None:
    ident = _published(client, world)
    patched = client.patch(f"{URL}/{ident}", headers=_as(world, "operator"), json={"expires_on": "2099-12-31"})
    assert patched.status_code == 200 and patched.json()["expires_on"] == "2099-12-31"
    assert patched.json()["title"] == "停水通知"
    assert client.patch(f"{URL}/{ident}", headers=_as(world, "operator"), json={"title": None}).status_code == 422
    assert client.delete(f"{URL}/{ident}", headers=_as(world, "resident")).status_code == 403
    assert client.delete(f"{URL}/{ident}", headers=_as(world, "park_admin")).status_code == 204
    assert client.get(f"{URL}/{ident}", headers=_as(world, "park_admin")).status_code == 404


def test_bad_input_is_a_problem(client: TestClient, world: World, db: Session) -> None:
    admin = _as(world, "park_admin")
    for body in (
        {"title": "  ", "body": "x"},
        {"title": "t", "body": "x", "audience": "martians"},
        {"title": "t", "body": "x", "published_at": "2026-01-01T00:00:00Z"},  # published only by publishing
        {"title": "t" * 201, "body": "x"},
    ):
        response = client.post(URL, headers=admin, json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"{URL}/{2**31}", headers=admin).status_code == 422
    assert client.get(URL, headers=admin, params={"sort": "body"}).status_code == 422


def test_openapi_lists_the_routes_and_their_parameters(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths[URL]) and {"get", "patch", "delete"} <= set(paths[f"{URL}/{{ident}}"])
    assert {p["name"] for p in paths[URL]["get"]["parameters"]} >= {"page", "q", "category", "audience", "pinned"}
    assert {f"{URL}/unread", f"{URL}/{{ident}}/publish", f"{URL}/{{ident}}/read", f"{URL}/{{ident}}/receipts"} <= set(
        paths
    )


def test_every_write_is_audited_and_reads_are_not(client: TestClient, world: World, db: Session) -> None:
    ident = _published(client, world)
    client.post(f"{URL}/{ident}/read", headers=_as(world, "resident"))
    client.delete(f"{URL}/{ident}", headers=_as(world, "park_admin"))
    entries = db.execute(
        select(AuditEntry.entity_type, AuditEntry.action, AuditEntry.actor)
        .where(AuditEntry.entity_id == str(ident), AuditEntry.entity_type.like("notice%"))
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.entity_type, e.action) for e in entries] == [("notice", a) for a in ("create", "update", "delete")]
    assert {e.actor for e in entries} == {"TA-park_admin"}
