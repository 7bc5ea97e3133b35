"""Cross-tenant denial on every API endpoint the module records declare.

The routes come from the records (`digipark.modules.MODULES`: each record's `routers`), so a domain added to the
list is covered, or fails here by name. `TABLE` (tests/tenancy/table.py, from one table per domain in
`api_<domain>.py`) says, for every method + path of the records' API routers, how it is exercised: a route without
an exercise fails its own test, and a table entry the records no longer declare fails
`test_the_records_routes_are_the_apps_and_the_table_names_no_other`. Each exercise attacks park A's rows (those
owned by enterprise 0 where the kind has an owner) as park B's users and as park A's users of other roles, checks
the answer (404 when the row is outside the caller's scope, 403 when it is visible but the action not allowed),
checks the row is unchanged, and checks the positive path (park A's admin succeeds) so a denial is not just a
broken endpoint. Without a valid login no route but the public ones answers.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.auth.models import ApiToken, User
from digipark.core.modules import resolve
from digipark.modules import MODULES
from digipark.registry.models import Device, Enterprise, Point, Zone
from tests.conftest import World
from tests.tenancy.api_registry import KIND_BY_PATH
from tests.tenancy.helpers import API, Ctx, assert_problem, count_rows
from tests.tenancy.records import API_ROUTES, PAGE_ROUTES, mounted_routes, route_id
from tests.tenancy.table import PUBLIC_ROUTES, TABLE


def test_the_records_routes_are_the_apps_and_the_table_names_no_other(app_instance: Any) -> None:
    mounted = mounted_routes(app_instance)
    record_objects = {
        id(context.original_route)
        for module in MODULES
        for ref in (*module.routers, *module.pages)
        for context in iter_route_contexts(resolve(ref).routes)
    }
    assert len(API_ROUTES) > 40 and len(PAGE_ROUTES) > 40
    assert set(mounted) >= API_ROUTES | PAGE_ROUTES
    assert all(id(mounted[route]) in record_objects for route in API_ROUTES | PAGE_ROUTES)
    # every API route the app serves comes from a record, so the table below is every API route
    api = {
        route
        for route, original in mounted.items()
        if isinstance(original, APIRoute) and route[1].startswith((API, "/ngsi-ld/"))  # NGSI-LD: the spec's path
    }
    assert api == API_ROUTES, sorted(api ^ API_ROUTES)
    stale = sorted(set(TABLE) - API_ROUTES)
    assert not stale, f"TABLE names routes the records no longer declare: {stale}"


@pytest.mark.parametrize("route", sorted(API_ROUTES), ids=route_id)
def test_cross_tenant(route: tuple[str, str], client: TestClient, world: World, db: Session) -> None:
    exercise = TABLE.get(route)
    assert exercise is not None, (
        f"{route_id(route)} has no tenancy exercise: add it to its domain's table in tests/tenancy/api_*.py"
    )
    exercise(Ctx(client, world, db))


def _concrete(path: str, world: World) -> str:
    kind = path.removeprefix(API + "/").split("/")[0].split(".")[0]
    ident = KIND_BY_PATH[kind].row(world.a) if kind in KIND_BY_PATH else 1
    return path.replace("{ident}", str(ident)).replace("{fmt}", "csv")


@pytest.mark.parametrize("route", sorted(API_ROUTES - PUBLIC_ROUTES), ids=route_id)
@pytest.mark.parametrize("auth", ["none", "bad-token", "bad-cookie"])
def test_unauthenticated_is_401(
    route: tuple[str, str], auth: str, client: TestClient, world: World, db: Session
) -> None:
    method, path = route
    headers = {"Authorization": "Bearer dp_not-a-token"} if auth == "bad-token" else {}
    if auth == "bad-cookie":
        client.cookies.set("dp_session", "not-a-session")
    kind = KIND_BY_PATH.get(path.removeprefix(API + "/").split("/")[0].split(".")[0])
    body = kind.patch if kind is not None and method == "PATCH" else None
    if kind is not None and method == "POST" and kind.create is not None and not path.endswith("/import"):
        body = kind.create(world.a)
    counts = {model: count_rows(db, model) for model in (Zone, Enterprise, Device, Point, User, ApiToken)}
    response = client.request(method, _concrete(path, world), headers=headers, json=body)
    assert_problem(response, 401)
    assert response.json()["type"].endswith("/not-authenticated")
    assert {model: count_rows(db, model) for model in counts} == counts
