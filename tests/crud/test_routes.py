"""The five routes derived from a record type, mounted on an application of their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.core.errors import install_problem_handlers
from digipark.crud.routes import add_routes
from tests.conftest import World, bearer
from tests.crud.test_records import ZONES

URL = "/api/v1/test/zones"


@pytest.fixture
def zone_client(db: Session) -> Iterator[TestClient]:
    app = FastAPI()
    install_problem_handlers(app)
    router = APIRouter(prefix="/api/v1/test")
    add_routes(router, ZONES, "/zones", tags=["test"])
    app.include_router(router)
    with TestClient(app) as client:
        yield client


def test_the_five_routes(zone_client: TestClient, world: World) -> None:
    admin = bearer(world.a.tokens["park_admin"])
    created = zone_client.post(URL, headers=admin, json={"code": "ZR", "name": "路由区", "function": "industrial"})
    assert created.status_code == 201, created.text
    ident = created.json()["id"]
    assert created.json()["name_en"] == "zone ZR"  # the before_create hook ran
    listed = zone_client.get(URL, headers=admin, params={"code": "ZR"}).json()
    assert (listed["total"], listed["page"], [z["id"] for z in listed["items"]]) == (1, 1, [ident])
    assert zone_client.get(f"{URL}/{ident}", headers=admin).json()["code"] == "ZR"
    patched = zone_client.patch(f"{URL}/{ident}", headers=admin, json={"name": "改名"})
    assert patched.status_code == 200 and patched.json()["name"] == "改名"
    assert zone_client.delete(f"{URL}/{ident}", headers=admin).status_code == 204
    gone = zone_client.get(f"{URL}/{ident}", headers=admin)
    assert gone.status_code == 404 and gone.headers["content-type"].startswith("application/problem+json")


def test_errors_are_problems(zone_client: TestClient, world: World) -> None:
    other_park = bearer(world.b.tokens["park_admin"])
    resident = bearer(world.a.tokens["resident"])
    answers = {
        "outside the scope": zone_client.get(f"{URL}/{world.a.zone_id}", headers=other_park),
        "no permission": zone_client.patch(f"{URL}/{world.a.zone_id}", headers=resident, json={"name": "x"}),
        "id out of range": zone_client.get(f"{URL}/{2**31}", headers=resident),
        "bad filter": zone_client.get(URL, headers=resident, params={"sort": "nope"}),
        "bad body": zone_client.post(URL, headers=bearer(world.a.tokens["park_admin"]), json={"code": ""}),
        "cleared name": zone_client.patch(
            f"{URL}/{world.a.zone_id}", headers=bearer(world.a.tokens["park_admin"]), json={"name": None}
        ),
    }
    statuses = {why: r.status_code for why, r in answers.items()}
    assert statuses == {
        "outside the scope": 404,
        "no permission": 403,
        "id out of range": 422,
        "bad filter": 422,
        "bad body": 422,
        "cleared name": 422,
    }
    assert all(r.headers["content-type"].startswith("application/problem+json") for r in answers.values())


def test_openapi_shows_the_list_parameters_and_schemas(zone_client: TestClient) -> None:
    spec = zone_client.get("/openapi.json").json()
    listing = spec["paths"][URL]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"page", "page_size", "sort", "q", "code"}
    assert listing["operationId"] == "list_test_zone"
    assert spec["paths"][URL]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ZoneCreate"
    )
    ident = next(p for p in spec["paths"][f"{URL}/{{ident}}"]["get"]["parameters"] if p["name"] == "ident")
    assert (ident["schema"]["minimum"], ident["schema"]["maximum"]) == (1, 2**31 - 1)
