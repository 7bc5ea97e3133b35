"""Notification contacts through the API: the duty staff of the park keep them, an address fits its channel, a
contact limited to one enterprise names an enterprise of its park, and a webhook's secret is never shown."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import World, bearer

API = "/api/v1/alarms/contacts"


def _problem(response: Any, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if field is not None:
        assert [e["field"] for e in response.json()["errors"]] == [field]


def test_contacts_are_kept_by_the_duty_staff(client: TestClient, world: World) -> None:
    operator = bearer(world.a.tokens["operator"])
    email = {"name": "值班长", "channel": "email", "address": "duty@park.example.cn", "level": 1}
    webhook = {"name": "区域平台", "channel": "webhook", "address": "https://hook.example.cn/a", "secret": "s3cret-key"}
    _problem(client.post(API, json=email, headers=bearer(world.a.tokens["enterprise"])), 403)
    _problem(client.post(API, json={**email, "address": "duty at park"}, headers=operator), 422, "address")
    _problem(client.post(API, json={**webhook, "address": "ftp://hook.example.cn"}, headers=operator), 422, "address")
    other_park = {**email, "enterprise_id": world.b.enterprise_ids[0]}
    _problem(client.post(API, json=other_park, headers=operator), 422, "enterprise_id")

    first = client.post(API, json=email, headers=operator)
    assert first.status_code == 201, first.text
    assert first.json()["park_id"] == world.a.park_id and first.json()["has_secret"] is False
    second = client.post(API, json={**webhook, "enterprise_id": world.a.enterprise_ids[0]}, headers=operator)
    assert second.status_code == 201, second.text
    hook = second.json()
    assert hook["has_secret"] is True and "secret" not in hook and hook["enterprise_id"] == world.a.enterprise_ids[0]

    listed = client.get(API, headers=operator).json()["items"]
    assert [c["id"] for c in listed] == [hook["id"], first.json()["id"]]  # escalation level 0 first
    url = f"{API}/{hook['id']}"
    _problem(client.patch(url, json={"address": "duty@park.example.cn"}, headers=operator), 422, "address")
    _problem(client.patch(url, json={"name": None}, headers=operator), 422, "name")
    changed = client.patch(url, json={"secret": None, "active": False}, headers=operator).json()
    assert (changed["has_secret"], changed["active"]) == (False, False)
    _problem(client.get(url, headers=bearer(world.b.tokens["park_admin"])), 404)
    _problem(client.get(url, headers=bearer(world.a.tokens["enterprise"])), 404)  # staff's data
    assert client.delete(url, headers=operator).status_code == 204
    _problem(client.get(url, headers=operator), 404)
