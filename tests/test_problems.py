"""API errors are RFC 9457 problem+json with a stable type and, for bad input, the field and the reason."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.core.codes import make_uscc
from digipark.registry.models import Building, Enterprise, Zone
from tests.conftest import World, bearer, polygon

API = "/api/v1"
PROBLEMS = "https://digipark.dev/problems/"


def problem(response: Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEMS + slug
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in response.text
    return body


def fields(body: dict[str, Any]) -> list[str]:
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) >= {"field", "reason"} and error["reason"]
    return [error["field"] for error in body["errors"]]


@pytest.fixture
def admin(world: World) -> dict[str, str]:
    return bearer(world.a.tokens["park_admin"])


ZONE = {"code": "PZ", "name": "问题区", "function": "industrial"}


def enterprise_body(uscc: str) -> dict[str, Any]:
    return {"name": "问题企业", "uscc": uscc, "industry_code": "3311"}


# -- invalid bodies -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("zones", {**ZONE, "area_m2": "big"}, "area_m2"),  # wrong type
        ("zones", {**ZONE, "code": 42}, "code"),  # wrong type: a number is not a code
        ("zones", {**ZONE, "colour": "red"}, "colour"),  # extra field
        ("zones", {**ZONE, "park_id": "one"}, "park_id"),
        ("zones", {"name": "缺编号", "function": "industrial"}, "code"),  # missing field
        ("zones", {**ZONE, "code": "has space"}, "code"),  # pattern
        ("buildings", {"code": "PB", "name": "楼", "use": "office", "floors": "many"}, "floors"),
        ("buildings", {"code": "PB", "name": "楼", "use": "office", "floors": 0}, "floors"),
        ("enterprises", {**enterprise_body("x"), "uscc": "91320500010MA0009A"}, "uscc"),  # check digit
        ("enterprises", enterprise_body("9132050001"), "uscc"),  # length
        (
            "enterprises",
            {**enterprise_body(make_uscc("9", "1", "320500", "PR000001")), "industry_code": "9999"},
            "industry_code",
        ),
        ("enterprises", {**enterprise_body(make_uscc("9", "1", "320500", "PR000001")), "employees": -1}, "employees"),
        ("devices", {"code": "PD", "name": "表", "kind": "flux_capacitor"}, "kind"),
        (
            "points",
            {"device_id": 1, "key": "Bad Key", "name": "x", "quantity": "q", "unit": "kWh", "device_class": "energy"},
            "key",
        ),
        (
            "points",
            {
                "device_id": 1,
                "key": "k",
                "name": "x",
                "quantity": "q",
                "unit": "parsecs per fortnight^",
                "device_class": "energy",
            },
            "unit",
        ),
    ],
)
def test_invalid_body_names_the_field(
    client: TestClient, admin: dict[str, str], path: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(f"{API}/{path}", json=body, headers=admin)
    result = problem(response, 422, "validation-error")
    assert field in fields(result), result
    assert field in result["detail"]


def test_bad_uscc_check_digit_says_which_digit(client: TestClient, admin: dict[str, str]) -> None:
    good = make_uscc("9", "1", "320500", "PR000002")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    body = problem(client.post(f"{API}/enterprises", json=enterprise_body(bad), headers=admin), 422, "validation-error")
    [error] = body["errors"]
    assert error["field"] == "uscc" and f"check digit should be '{good[-1]}'" in error["reason"]


def test_malformed_json(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        f"{API}/zones", content=b'{"code": "X",', headers={**admin, "content-type": "application/json"}
    )
    problem(response, 422, "validation-error")


def test_update_validates_too(client: TestClient, admin: dict[str, str], world: World) -> None:
    response = client.patch(
        f"{API}/enterprises/{world.a.enterprise_ids[0]}", json={"uscc": "not-a-code"}, headers=admin
    )
    assert fields(problem(response, 422, "validation-error")) == ["uscc"]
    response = client.patch(
        f"{API}/rooms/{world.a.room_id}", json={"lease_from": "2025-06-01", "lease_to": "2025-01-01"}, headers=admin
    )
    assert fields(problem(response, 422, "validation-error")) == ["lease_to"]


# -- bad GeoJSON ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [120.7, 31.3]},
        {"type": "Polygon", "coordinates": [[[120.7, 31.3], [120.8, 31.3], [120.8, 31.4]]]},  # too short
        {"type": "Polygon", "coordinates": [[[120.7, 31.3], [120.8, 31.3], [120.8, 31.4], [120.7, 31.4]]]},  # open
        {"type": "Polygon", "coordinates": [[[200, 31.3], [201, 31.3], [201, 31.4], [200, 31.3]]]},  # range
        {"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], ["a", "b"]]]},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon"},
        {"type": "Feature", "geometry": None},
        {"coordinates": "nonsense"},
    ],
)
def test_bad_geojson_is_a_field_error(client: TestClient, admin: dict[str, str], geometry: dict[str, Any]) -> None:
    response = client.post(f"{API}/zones", json={**ZONE, "geometry": geometry}, headers=admin)
    assert "geometry" in fields(problem(response, 422, "validation-error"))


def test_good_geojson_is_accepted_and_measured(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(f"{API}/zones", json={**ZONE, "geometry": polygon(120.7, 31.3, 0.01)}, headers=admin)
    assert response.status_code == 201, response.text
    assert 900_000 < response.json()["area_m2"] < 1_200_000  # about 0.01° × 0.01° at 31°N


# -- query parameters -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "password_hash"}, "sort"),
        ({"sort": "name,-nope"}, "sort"),
        ({"page_size": 501}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": "first"}, "page"),
        ({"above_scale": "maybe"}, "above_scale"),
        ({"q": "x" * 201}, "q"),
        ({"park_id": 2**31}, "park_id"),  # beyond the INTEGER column
    ],
)
def test_bad_list_query_names_the_parameter(
    client: TestClient, admin: dict[str, str], params: dict[str, Any], field: str
) -> None:
    response = client.get(f"{API}/enterprises", params=params, headers=admin)
    assert fields(problem(response, 422, "validation-error")) == [field]


@pytest.mark.parametrize(("path", "field"), [("devices", "building_id"), ("points", "device_id"), ("floors", "level")])
def test_integer_filters_beyond_the_column_are_422(
    client: TestClient, admin: dict[str, str], path: str, field: str
) -> None:
    # INTEGER columns: PostgreSQL refuses to compare them with 2**31 (it was a 500), SQLite crashed beyond 2**63
    for value in (2**31, -(2**31) - 1, 2**63, 10**30):
        response = client.get(f"{API}/{path}", params={field: value}, headers=admin)
        assert fields(problem(response, 422, "validation-error")) == [field]
    for value in (2**31 - 1, -(2**31)):
        assert client.get(f"{API}/{path}", params={field: value}, headers=admin).json()["total"] == 0


@pytest.mark.parametrize("path", ["zones", "enterprises"])
def test_values_the_database_refuses_are_not_500(client: TestClient, admin: dict[str, str], path: str) -> None:
    # PostgreSQL refuses NUL characters in text; SQLite stores them. Either way: no 500.
    body = ZONE if path == "zones" else enterprise_body(make_uscc("9", "1", "320500", "PR000009"))
    response = client.post(f"{API}/{path}", json={**body, "name": "有\u0000零"}, headers=admin)
    assert response.status_code in (201, 422), response.text
    if response.status_code == 422:
        problem(response, 422, "validation-error")
    response = client.get(f"{API}/{path}", params={"q": "\u0000"}, headers=admin)
    assert response.status_code in (200, 422), response.text


def test_unknown_sort_field_lists_the_allowed_ones(client: TestClient, admin: dict[str, str]) -> None:
    body = problem(client.get(f"{API}/enterprises", params={"sort": "-secret"}, headers=admin), 422, "validation-error")
    assert "name" in body["errors"][0]["allowed"] and "secret" not in body["errors"][0]["allowed"]


# -- not found ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["enterprises/999999", "zones/2147483647", "devices/999999/token", "enterprises/999999/units"]
)
def test_nonexistent_id_is_404(client: TestClient, admin: dict[str, str], path: str) -> None:
    problem(client.get(f"{API}/{path}", headers=admin), 404, "not-found")


@pytest.mark.parametrize("ident", ["0", "-1", "2147483648", "abc"])
def test_impossible_id_is_422(client: TestClient, admin: dict[str, str], ident: str) -> None:
    assert fields(problem(client.get(f"{API}/zones/{ident}", headers=admin), 422, "validation-error")) == ["ident"]


@pytest.mark.parametrize("path", [f"{API}/nothing-here", f"{API}/zones/1/nothing", "/api/v2/zones"])
def test_unknown_route_is_a_404_problem(client: TestClient, admin: dict[str, str], path: str) -> None:
    problem(client.get(path, headers=admin), 404, "not-found")


def test_wrong_method_is_a_405_problem(client: TestClient, admin: dict[str, str]) -> None:
    problem(client.put(f"{API}/zones", json=ZONE, headers=admin), 405, "method-not-allowed")


def test_unknown_export_format_is_404(client: TestClient, admin: dict[str, str]) -> None:
    problem(client.get(f"{API}/enterprises.pdf", headers=admin), 404, "not-found")


# -- conflicts ------------------------------------------------------------------------------------------------
def test_duplicate_uscc_is_409(client: TestClient, admin: dict[str, str], world: World, db: Session) -> None:
    existing = db.scalar(select(Enterprise.uscc).where(Enterprise.id == world.a.enterprise_ids[0]))
    assert existing is not None
    count = db.scalar(select(func.count()).select_from(Enterprise))
    body = problem(client.post(f"{API}/enterprises", json=enterprise_body(existing), headers=admin), 409, "conflict")
    assert fields(body) == ["uscc"]
    assert db.scalar(select(func.count()).select_from(Enterprise)) == count
    # changing another enterprise to that code is the same conflict
    response = client.patch(f"{API}/enterprises/{world.a.enterprise_ids[1]}", json={"uscc": existing}, headers=admin)
    assert fields(problem(response, 409, "conflict")) == ["uscc"]
    # the same code in another park is no conflict: USCCs are unique per park
    response = client.post(
        f"{API}/enterprises", json=enterprise_body(existing), headers=bearer(world.b.tokens["park_admin"])
    )
    assert response.status_code == 201, response.text


def test_database_unique_constraints_are_409_not_500(client: TestClient, admin: dict[str, str], world: World) -> None:
    # no service pre-check for these: the database constraint answers, rendered as a conflict
    response = client.post(f"{API}/floors", json={"building_id": world.a.building_id, "level": 1}, headers=admin)
    problem(response, 409, "conflict")
    response = client.post(
        f"{API}/rooms", json={"floor_id": world.a.floor_id, "code": "101", "area_m2": 10}, headers=admin
    )
    problem(response, 409, "conflict")
    # and the request after a failed one works: the failed transaction was rolled back cleanly
    assert client.get(f"{API}/floors", headers=admin).status_code == 200


@pytest.mark.parametrize(
    ("path", "row", "used_by"),
    [
        ("buildings", "building_id", ("floor", "room", "device")),
        ("floors", "floor_id", ("room",)),
        ("zones", "zone_id", ("land_parcel", "building")),
        ("land-parcels", "parcel_id", ("building",)),
        ("rooms", "room_id", ()),
        ("enterprises", "enterprise_ids", ("room", "device", "point")),
    ],
)
def test_deleting_a_row_still_in_use_is_409(
    client: TestClient, admin: dict[str, str], world: World, db: Session, path: str, row: str, used_by: tuple[str, ...]
) -> None:
    value = getattr(world.a, row)
    ident = value[0] if isinstance(value, list) else value
    if path == "rooms":  # put a device in the room first
        response = client.patch(f"{API}/devices/{world.a.device_ids[1]}", json={"room_id": ident}, headers=admin)
        assert response.status_code == 200, response.text
        used_by = ("device",)
    before = client.get(f"{API}/{path}/{ident}", headers=admin).json()
    body = problem(client.delete(f"{API}/{path}/{ident}", headers=admin), 409, "conflict")
    for table in used_by:
        assert table in body["detail"]
    after = client.get(f"{API}/{path}/{ident}", headers=admin)
    assert after.status_code == 200 and after.json() == before
    assert db.scalar(select(func.count()).select_from(Building).where(Building.id == world.a.building_id)) == 1


def test_an_emptied_row_can_be_deleted(client: TestClient, admin: dict[str, str]) -> None:
    zone = client.post(f"{API}/zones", json=ZONE, headers=admin).json()
    building = client.post(
        f"{API}/buildings", json={"code": "PE", "name": "空楼", "use": "office", "zone_id": zone["id"]}, headers=admin
    ).json()
    floor = client.post(f"{API}/floors", json={"building_id": building["id"], "level": 1}, headers=admin).json()
    problem(client.delete(f"{API}/zones/{zone['id']}", headers=admin), 409, "conflict")
    problem(client.delete(f"{API}/buildings/{building['id']}", headers=admin), 409, "conflict")
    for path, ident in (("floors", floor["id"]), ("buildings", building["id"]), ("zones", zone["id"])):
        assert client.delete(f"{API}/{path}/{ident}", headers=admin).status_code == 204, path
    assert client.get(f"{API}/zones/{zone['id']}", headers=admin).status_code == 404


# -- authentication and permission problems ---------------------------------------------------------------
def test_auth_problems_have_stable_types(client: TestClient, world: World, db: Session) -> None:
    problem(client.get(f"{API}/zones"), 401, "not-authenticated")
    count = db.scalar(select(func.count()).select_from(Zone))
    problem(client.post(f"{API}/zones", json=ZONE, headers=bearer(world.a.tokens["reviewer"])), 403, "forbidden")
    assert db.scalar(select(func.count()).select_from(Zone)) == count


def test_a_full_disk_is_told_apart_from_other_storage_errors() -> None:
    """What answers 507 storage-full (tests/test_ingest_faults.py fills real disks when it may mount)."""
    import errno
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from digipark.core.db import is_storage_full

    class PostgresDiskFull(Exception):
        sqlstate = "53100"

    full_sqlite = sqlite3.OperationalError("database or disk is full")
    full_sqlite.sqlite_errorcode = 13  # type: ignore[attr-defined]
    locked_sqlite = sqlite3.OperationalError("database is locked")
    locked_sqlite.sqlite_errorcode = 5  # type: ignore[attr-defined]
    assert is_storage_full(OSError(errno.ENOSPC, "No space left on device"))
    assert is_storage_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert is_storage_full(OperationalError("INSERT", {}, PostgresDiskFull()))
    assert is_storage_full(OperationalError("INSERT", {}, full_sqlite))
    assert not is_storage_full(OSError(errno.EACCES, "Permission denied"))
    assert not is_storage_full(OperationalError("INSERT", {}, locked_sqlite))
    assert not is_storage_full(ValueError("no"))
