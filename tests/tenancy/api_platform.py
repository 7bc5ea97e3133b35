"""Platform administration of parks (digipark.registry.parks_api): no park's user of any role may list, create or
edit parks there (403, nothing changed); a platform administrator may, for every park."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from digipark.auth import service as auth_service
from digipark.auth.models import Role
from digipark.registry.models import Park
from tests.conftest import bearer
from tests.tenancy.helpers import API, B_ROLES, Ctx, Exercise, assert_problem, count_rows, next_number

_PP = f"{API}/platform/parks"
EVERY_USER = [("a", role) for role in B_ROLES] + [("b", role) for role in B_ROLES]


def platform_admin_token(ctx: Ctx) -> str:
    """A platform administrator (whose own park is park B) — made once per test."""
    if "platform_admin" not in ctx.cache:
        user = auth_service.create(
            ctx.db,
            username="platform-admin",
            password=ctx.world.password,
            role=Role.PARK_ADMIN,
            park_id=ctx.world.b.park_id,
        )
        user.is_platform_admin = True
        ctx.db.flush()
        ctx.cache["platform_admin"], _ = auth_service.create_api_token(ctx.db, user=user, name="test")
    return str(ctx.cache["platform_admin"])


def _new_park(ctx: Ctx) -> dict[str, Any]:
    n = next_number(ctx, "platform_park")
    return {"code": f"NEW{n}", "name": f"新园区{n}", "region_code": "320507"}


def _denied_to_every_park_user(ctx: Ctx, method: str, url: str, body: dict[str, Any] | None = None) -> None:
    parks_before = count_rows(ctx.db, Park)
    for park, role in EVERY_USER:
        response = ctx.call(method, url, role, park, json=body)
        assert_problem(response, 403)
    assert count_rows(ctx.db, Park) == parks_before


def check_list(ctx: Ctx) -> None:
    _denied_to_every_park_user(ctx, "GET", _PP)
    listed = ctx.client.get(_PP, headers=bearer(platform_admin_token(ctx)))
    assert listed.status_code == 200
    assert {ctx.world.a.park_id, ctx.world.b.park_id} <= {row["id"] for row in listed.json()}


def check_create(ctx: Ctx) -> None:
    _denied_to_every_park_user(ctx, "POST", _PP, _new_park(ctx))
    _denied_to_every_park_user(ctx, "POST", _PP, {"code": ""})  # permission before input
    body = _new_park(ctx)
    created = ctx.client.post(_PP, headers=bearer(platform_admin_token(ctx)), json=body)
    assert created.status_code == 201, created.text
    assert ctx.db.scalar(select(Park.name).where(Park.code == body["code"])) == body["name"]


def check_get(ctx: Ctx) -> None:
    url = f"{_PP}/{ctx.world.a.park_id}"
    _denied_to_every_park_user(ctx, "GET", url)
    shown = ctx.client.get(url, headers=bearer(platform_admin_token(ctx)))
    assert shown.status_code == 200 and shown.json()["id"] == ctx.world.a.park_id


def check_update(ctx: Ctx) -> None:
    url = f"{_PP}/{ctx.world.a.park_id}"
    name = ctx.db.scalar(select(Park.name).where(Park.id == ctx.world.a.park_id))
    _denied_to_every_park_user(ctx, "PATCH", url, {"name": "被改名"})
    ctx.db.expire_all()
    assert ctx.db.scalar(select(Park.name).where(Park.id == ctx.world.a.park_id)) == name
    changed = ctx.client.patch(url, headers=bearer(platform_admin_token(ctx)), json={"name": "平台改名"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "平台改名"


PLATFORM: dict[tuple[str, str], Exercise] = {
    ("GET", _PP): check_list,
    ("POST", _PP): check_create,
    ("GET", f"{_PP}/{{ident}}"): check_get,
    ("PATCH", f"{_PP}/{{ident}}"): check_update,
}
