"""An enterprise user maintains its own contact details, nothing the park is responsible for."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.auth.permissions import ENTERPRISE_SELF_FIELDS
from digipark.core.codes import make_uscc
from tests.conftest import World, bearer


def url(ident: int) -> str:
    return f"/api/v1/enterprises/{ident}"


def test_may_change_its_own_contact_fields(client: TestClient, world: World, db: Session) -> None:
    change = {
        "contact_name": "王经理",
        "contact_phone": "0512-6666 8888",
        "contact_email": "wang@example.cn",
        "address": "苏州工业园区星湖街1号",
        "employees": 321,
        "name_en": "Own Co.",
    }
    assert set(change) == ENTERPRISE_SELF_FIELDS
    response = client.patch(url(world.a.enterprise_ids[0]), json=change, headers=bearer(world.a.tokens["enterprise"]))
    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in change} == change


@pytest.mark.parametrize(
    "change",
    [
        {"uscc": make_uscc("9", "1", "320500", "YY000001")},
        {"above_scale": False},
        {"industrial": False},
        {"name": "改个名"},
        {"industry_code": "3312"},
        {"status": "closed"},
        {"contact_name": "ok", "above_scale": False},  # one forbidden field spoils the whole change
    ],
)
def test_may_not_change_what_the_park_maintains(client: TestClient, world: World, change: dict[str, object]) -> None:
    headers = bearer(world.a.tokens["enterprise"])
    before = client.get(url(world.a.enterprise_ids[0]), headers=headers).json()
    response = client.patch(url(world.a.enterprise_ids[0]), json=change, headers=headers)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert client.get(url(world.a.enterprise_ids[0]), headers=headers).json() == before


def test_may_not_change_another_enterprise(client: TestClient, world: World) -> None:
    own = bearer(world.a.tokens["enterprise"])
    for target, admin in (
        (world.a.enterprise_ids[1], world.a.tokens["park_admin"]),
        (world.b.enterprise_ids[0], world.b.tokens["park_admin"]),
    ):
        before = client.get(url(target), headers=bearer(admin)).json()
        response = client.patch(url(target), json={"contact_name": "冒名"}, headers=own)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert client.get(url(target), headers=bearer(admin)).json() == before


def test_may_not_delete_or_create_enterprises(client: TestClient, world: World) -> None:
    headers = bearer(world.a.tokens["enterprise"])
    assert client.delete(url(world.a.enterprise_ids[0]), headers=headers).status_code == 403
    body = {"name": "自己注册", "uscc": make_uscc("9", "1", "320500", "YY000002"), "industry_code": "3311"}
    assert client.post("/api/v1/enterprises", json=body, headers=headers).status_code == 403


def test_park_admin_may_change_park_maintained_fields(client: TestClient, world: World) -> None:
    change = {"uscc": make_uscc("9", "1", "320500", "YY000003"), "above_scale": False, "name": "新名称"}
    response = client.patch(url(world.a.enterprise_ids[0]), json=change, headers=bearer(world.a.tokens["park_admin"]))
    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in change} == change
