"""Cross-tenant denial on every API endpoint and every web page the module records declare.

The routes come from the records (`digipark.modules.MODULES`: each record's `routers` and `pages`), so a domain
added to the list is covered, or fails here by name. `TABLE` says, for every method + path of the records' API
routers, how it is exercised: a route without an exercise fails its own test, and a table entry the records no
longer declare fails `test_the_records_routes_are_the_apps_and_the_table_names_no_other`. Each exercise attacks
park A's rows (those owned by enterprise 0 where the kind has an owner) as park B's users and as park A's users of
other roles, checks the answer (404 when the row is outside the caller's scope, 403 when it is visible but the
action not allowed), checks the row is unchanged, and checks the positive path (park A's admin succeeds) so a
denial is not just a broken endpoint.

Pages: `PAGE_OBJECTS` says how to make park A's row for every page route with a parameter; park B's users (and
park A's other enterprise, for an enterprise's own rows) get 404, 403 or the login page, never the page. Every
list page shows park B's users and park A's other enterprise none of enterprise 0's rows; live streams refuse
another tenant's points; no page is shown without a login.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import typing
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth import service as auth_service
from digipark.auth.models import ApiToken, Role, User
from digipark.core.codes import make_uscc
from digipark.core.modules import resolve
from digipark.economy.models import InvestmentCandidate, MonthlyStatistic
from digipark.modules import MODULES
from digipark.registry.models import Building, Device, Enterprise, Floor, LandParcel, Park, Point, Room, Zone
from tests.conftest import ParkWorld, World, bearer

API = "/api/v1"
PROBLEM = "application/problem+json"
DENIED = (403, 404)

# Roles of park B: none of them may see or touch anything of park A.
B_ROLES = ("park_admin", "operator", "reviewer", "enterprise", "enterprise2", "resident")
# Roles of park A that may not write registry rows (the operator and admin may).
A_READ_ONLY_ROLES = ("enterprise", "enterprise2", "reviewer", "resident")


@dataclasses.dataclass
class Ctx:
    client: TestClient
    world: World
    db: Session
    cache: dict[str, Any] = dataclasses.field(default_factory=dict)  # rows made once per test

    def call(self, method: str, url: str, who: str, park: str = "a", **kwargs: Any) -> Response:
        pw = self.world.a if park == "a" else self.world.b
        return self.client.request(method, url, headers=bearer(pw.tokens[who]), **kwargs)

    def as_a_admin(self, method: str, url: str, **kwargs: Any) -> Response:
        return self.call(method, url, "park_admin", "a", **kwargs)


def assert_problem(response: Response, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.text)
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    body = response.json()
    assert body["status"] == response.status_code
    assert body["type"].startswith("https://") and body["title"] and body["detail"]


# -- registry kinds --------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class KindSpec:
    path: str
    model: type[Any]
    row: Callable[[ParkWorld], int]  # park A's row under attack (owned by enterprise 0 where owned)
    # which of park A's non-staff roles may read that row (the rest get 404)
    readers: frozenset[str]
    patch: dict[str, Any]  # a valid change; no non-staff role may make it
    create: Callable[[ParkWorld], dict[str, Any]] | None = None  # a valid create body in the given park
    # create bodies of park B's admin that point into park A (-> 4xx, nothing created)
    cross_creates: Callable[[World], list[dict[str, Any]]] = lambda w: []
    # changes of park B's own row that point into park A: (row of B, body)
    cross_updates: Callable[[World], list[tuple[int, dict[str, Any]]]] = lambda w: []
    excel: bool = False
    enterprise_column: str | None = None  # how the owning enterprise shows in the read schema


PUBLIC = frozenset({"enterprise", "enterprise2", "resident", "reviewer"})  # park-wide visible kinds
OWNER = frozenset({"enterprise", "reviewer"})  # rows of enterprise 0: its own users and staff
STAFF = frozenset({"reviewer"})


def _uscc(region: str, serial: str) -> str:
    return make_uscc("9", "1", region, f"TT{serial}00001"[:8])


KINDS: list[KindSpec] = [
    KindSpec("parks", Park, lambda p: p.park_id, PUBLIC, {"name": "被改名的园区"}),
    KindSpec(
        "zones",
        Zone,
        lambda p: p.zone_id,
        PUBLIC,
        {"name": "被改名"},
        create=lambda p: {"code": "ZX", "name": "新区", "function": "industrial"},
        cross_creates=lambda w: [{"code": "ZX", "name": "新区", "function": "industrial", "park_id": w.a.park_id}],
    ),
    KindSpec(
        "land-parcels",
        LandParcel,
        lambda p: p.parcel_id,
        STAFF,
        {"owner": "别人"},
        create=lambda p: {"code": "PX", "area_m2": 1000, "land_use": "M1"},
        cross_creates=lambda w: [
            {"code": "PX", "area_m2": 1000, "land_use": "M1", "park_id": w.a.park_id},
            {"code": "PX", "area_m2": 1000, "land_use": "M1", "zone_id": w.a.zone_id},
        ],
        cross_updates=lambda w: [(w.b.parcel_id, {"zone_id": w.a.zone_id})],
    ),
    KindSpec(
        "buildings",
        Building,
        lambda p: p.building_id,
        PUBLIC,
        {"name": "被改名"},
        create=lambda p: {"code": "BX", "name": "新楼", "use": "office"},
        cross_creates=lambda w: [
            {"code": "BX", "name": "新楼", "use": "office", "park_id": w.a.park_id},
            {"code": "BX", "name": "新楼", "use": "office", "zone_id": w.a.zone_id},
            {"code": "BX", "name": "新楼", "use": "office", "parcel_id": w.a.parcel_id},
        ],
        cross_updates=lambda w: [
            (w.b.building_id, {"zone_id": w.a.zone_id}),
            (w.b.building_id, {"parcel_id": w.a.parcel_id}),
        ],
        excel=True,
    ),
    KindSpec(
        "floors",
        Floor,
        lambda p: p.floor_id,
        PUBLIC,
        {"name": "被改名"},
        create=lambda p: {"building_id": p.building_id, "level": 2},
        cross_creates=lambda w: [{"building_id": w.a.building_id, "level": 2}],
    ),
    KindSpec(
        "rooms",
        Room,
        lambda p: p.room_id,
        OWNER,
        {"use": "warehouse"},
        create=lambda p: {"floor_id": p.floor_id, "code": "102", "area_m2": 50},
        cross_creates=lambda w: [
            {"floor_id": w.a.floor_id, "code": "102", "area_m2": 50},
            {"floor_id": w.b.floor_id, "code": "102", "area_m2": 50, "enterprise_id": w.a.enterprise_ids[0]},
        ],
        cross_updates=lambda w: [(w.b.room_id, {"enterprise_id": w.a.enterprise_ids[0]})],
        enterprise_column="enterprise_id",
    ),
    KindSpec(
        "enterprises",
        Enterprise,
        lambda p: p.enterprise_ids[0],
        OWNER,
        {"name": "被改名"},
        create=lambda p: {"name": "新企业", "uscc": _uscc("320500", "9"), "industry_code": "3311"},
        cross_creates=lambda w: [
            {"name": "新企业", "uscc": _uscc("320500", "8"), "industry_code": "3311", "park_id": w.a.park_id}
        ],
        excel=True,
        enterprise_column="id",
    ),
    KindSpec(
        "devices",
        Device,
        lambda p: p.device_ids[0],
        OWNER,
        {"name": "被改名"},
        create=lambda p: {"code": "MX", "name": "新表", "kind": "electricity_meter", "building_id": p.building_id},
        cross_creates=lambda w: [
            {"code": "MX", "name": "新表", "kind": "electricity_meter", "park_id": w.a.park_id},
            {"code": "MX", "name": "新表", "kind": "electricity_meter", "enterprise_id": w.a.enterprise_ids[0]},
            {"code": "MX", "name": "新表", "kind": "electricity_meter", "building_id": w.a.building_id},
            {"code": "MX", "name": "新表", "kind": "electricity_meter", "room_id": w.a.room_id},
        ],
        cross_updates=lambda w: [
            (w.b.device_ids[0], {"enterprise_id": w.a.enterprise_ids[0]}),
            (w.b.device_ids[1], {"building_id": w.a.building_id}),
            (w.b.device_ids[1], {"room_id": w.a.room_id}),
        ],
        excel=True,
        enterprise_column="enterprise_id",
    ),
    KindSpec(
        "points",
        Point,
        lambda p: p.point_ids[0],
        OWNER,
        {"name": "被改名"},
        create=lambda p: {
            "device_id": p.device_ids[1],
            "key": "extra_t",
            "name": "温度",
            "quantity": "temperature",
            "unit": "°C",
            "device_class": "temperature",
        },
        cross_creates=lambda w: [
            {
                "device_id": w.a.device_ids[0],
                "key": "extra_t",
                "name": "温度",
                "quantity": "temperature",
                "unit": "°C",
                "device_class": "temperature",
            }
        ],
        excel=True,
        enterprise_column="enterprise_id",
    ),
]
KIND_BY_PATH = {k.path: k for k in KINDS}


def _count(db: Session, model: type[Any]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _park_ids(db: Session, model: type[Any], park_id: int) -> set[int]:
    column = model.id if model is Park else model.park_id
    return set(db.scalars(select(model.id).where(column == park_id)))


def _snapshot(ctx: Ctx, spec: KindSpec) -> Any:
    response = ctx.as_a_admin("GET", f"{API}/{spec.path}/{spec.row(ctx.world.a)}")
    assert response.status_code == 200, response.text
    return response.json()


def _attackers() -> list[tuple[str, str]]:
    return [("b", role) for role in B_ROLES] + [("a", role) for role in A_READ_ONLY_ROLES]


def _expected_denial(spec: KindSpec, park: str, role: str) -> int:
    """404 when the caller cannot see the row at all, 403 when it can see it but not change it."""
    return 403 if park == "a" and role in spec.readers else 404


def check_list(spec: KindSpec, ctx: Ctx) -> None:
    w, db = ctx.world, ctx.db
    a_ids = _park_ids(db, spec.model, w.a.park_id)
    assert a_ids
    for role in B_ROLES:
        for params in ({"page_size": 500}, {"page_size": 500, "park_id": w.a.park_id}):
            if spec.model is Park:
                params.pop("park_id", None)
            response = ctx.call("GET", f"{API}/{spec.path}", role, "b", params=params)
            assert response.status_code == 200, response.text
            items = response.json()["items"]
            assert not {item["id"] for item in items} & a_ids, (role, params)
            assert all(item.get("park_id", item["id"]) == w.b.park_id for item in items)
    # park A's enterprise users see only their own rows of enterprise-owned kinds
    if spec.enterprise_column is not None:
        for role, own in (("enterprise", w.a.enterprise_ids[0]), ("enterprise2", w.a.enterprise_ids[1])):
            response = ctx.call("GET", f"{API}/{spec.path}", role, params={"page_size": 500})
            assert response.status_code == 200, response.text
            body = response.json()
            assert all(item[spec.enterprise_column] == own for item in body["items"]), (role, body)
            expected = set(db.scalars(select(spec.model.id).where(getattr(spec.model, spec.enterprise_column) == own)))
            assert {item["id"] for item in body["items"]} == expected
            assert body["total"] == len(expected)
            # asking for another enterprise's rows by filter gives nothing
            other = w.a.enterprise_ids[1] if own == w.a.enterprise_ids[0] else w.a.enterprise_ids[0]
            if spec.enterprise_column == "enterprise_id":
                response = ctx.call("GET", f"{API}/{spec.path}", role, params={"enterprise_id": other})
                assert response.status_code == 200 and response.json()["total"] == 0
    # a resident lists none of the enterprise-owned or staff-only rows
    if "resident" not in spec.readers:
        response = ctx.call("GET", f"{API}/{spec.path}", "resident")
        assert response.status_code == 403 or response.json()["total"] == 0, response.text
    # positive: park A's admin lists all of park A's rows
    response = ctx.as_a_admin("GET", f"{API}/{spec.path}", params={"page_size": 500})
    assert response.status_code == 200
    assert {item["id"] for item in response.json()["items"]} == a_ids


def check_get(spec: KindSpec, ctx: Ctx) -> None:
    url = f"{API}/{spec.path}/{spec.row(ctx.world.a)}"
    for park, role in _attackers():
        response = ctx.call("GET", url, role, park)
        if park == "a" and role in spec.readers:
            assert response.status_code == 200, (role, response.text)
        else:
            assert_problem(response, 404)
    assert ctx.as_a_admin("GET", url).json()["id"] == spec.row(ctx.world.a)


def check_patch(spec: KindSpec, ctx: Ctx) -> None:
    w = ctx.world
    url = f"{API}/{spec.path}/{spec.row(w.a)}"
    before = _snapshot(ctx, spec)
    for park, role in _attackers():
        response = ctx.call("PATCH", url, role, park, json=spec.patch)
        assert_problem(response, _expected_denial(spec, park, role))
    assert _snapshot(ctx, spec) == before
    # park B's admin may not point its own rows at park A's
    for b_row, body in spec.cross_updates(w):
        b_url = f"{API}/{spec.path}/{b_row}"
        b_before = ctx.call("GET", b_url, "park_admin", "b").json()
        response = ctx.call("PATCH", b_url, "park_admin", "b", json=body)
        assert_problem(response, 403, 404, 422)
        assert ctx.call("GET", b_url, "park_admin", "b").json() == b_before
    # positive: park A's admin changes the row
    response = ctx.as_a_admin("PATCH", url, json=spec.patch)
    assert response.status_code == 200, response.text
    for field, value in spec.patch.items():
        assert response.json()[field] == value


def check_delete(spec: KindSpec, ctx: Ctx) -> None:
    w, db = ctx.world, ctx.db
    url = f"{API}/{spec.path}/{spec.row(w.a)}"
    before, count = _snapshot(ctx, spec), _count(db, spec.model)
    for park, role in _attackers():
        response = ctx.call("DELETE", url, role, park)
        assert_problem(response, _expected_denial(spec, park, role))
    assert _snapshot(ctx, spec) == before
    assert _count(db, spec.model) == count
    # positive: park A's admin deletes a row it has just created
    assert spec.create is not None
    created = ctx.as_a_admin("POST", f"{API}/{spec.path}", json=spec.create(w.a))
    assert created.status_code == 201, created.text
    response = ctx.as_a_admin("DELETE", f"{API}/{spec.path}/{created.json()['id']}")
    assert response.status_code == 204, response.text
    assert _count(db, spec.model) == count


def check_create(spec: KindSpec, ctx: Ctx) -> None:
    w, db = ctx.world, ctx.db
    assert spec.create is not None
    url = f"{API}/{spec.path}"
    count = _count(db, spec.model)
    for body in spec.cross_creates(w):
        response = ctx.call("POST", url, "park_admin", "b", json=body)
        assert_problem(response, 403, 404, 422)
        assert _count(db, spec.model) == count, body
    # nobody of park A but staff with write permission creates anything, not even in their own park
    for role in A_READ_ONLY_ROLES:
        response = ctx.call("POST", url, role, json=spec.create(w.a))
        # 422 when the parent row named in the body is not even visible to the role
        if role == "reviewer":
            assert_problem(response, 403)
        else:
            assert_problem(response, 403, 422)
    assert _count(db, spec.model) == count
    # positive: the same bodies are accepted from park A's admin
    response = ctx.as_a_admin("POST", url, json=spec.create(w.a))
    assert response.status_code == 201, response.text
    assert response.json()["park_id"] == w.a.park_id
    assert _count(db, spec.model) == count + 1


def _csv_rows(response: Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return [row for row in rows[1:] if any(cell.strip() for cell in row)]


def _visible_rows(db: Session, spec: KindSpec, pw: ParkWorld, role: str) -> int:
    """How many of the park's rows of this kind a role of that park may read."""
    park_rows = len(_park_ids(db, spec.model, pw.park_id))
    if role in ("park_admin", "operator", "reviewer") or spec.readers is PUBLIC:
        return park_rows
    if spec.readers is OWNER and role in ("enterprise", "enterprise2"):
        own = pw.enterprise_ids[0] if role == "enterprise" else pw.enterprise_ids[1]
        assert spec.enterprise_column is not None
        return _count_where(db, spec.model, getattr(spec.model, spec.enterprise_column) == own)
    return 0


def _count_where(db: Session, model: type[Any], condition: Any) -> int:
    return db.scalar(select(func.count()).select_from(model).where(condition)) or 0


def check_export(spec: KindSpec, ctx: Ctx) -> None:
    w, db = ctx.world, ctx.db
    url = f"{API}/{spec.path}.csv"
    for role in B_ROLES:
        response = ctx.call("GET", url, role, "b")
        if response.status_code == 403:
            assert role == "resident"
            continue
        assert len(_csv_rows(response)) == _visible_rows(db, spec, w.b, role), role
    # even with a filter naming park A
    assert _csv_rows(ctx.call("GET", url, "park_admin", "b", params={"park_id": w.a.park_id})) == []
    markers = [e.uscc for e in db.scalars(select(Enterprise).where(Enterprise.park_id == w.a.park_id))]
    for fmt in ("csv", "xlsx"):
        content = ctx.call("GET", f"{API}/{spec.path}.{fmt}", "park_admin", "b").content
        assert content and not any(marker.encode() in content for marker in markers), fmt
    # park A's users export what they may read, and nothing more
    for role in A_READ_ONLY_ROLES:
        response = ctx.call("GET", url, role)
        if response.status_code == 200:
            assert len(_csv_rows(response)) == _visible_rows(db, spec, w.a, role), role
        else:
            assert_problem(response, 403)
    # positive: park A's admin exports park A's rows
    assert len(_csv_rows(ctx.as_a_admin("GET", url))) == len(_park_ids(db, spec.model, w.a.park_id))


def check_import(spec: KindSpec, ctx: Ctx) -> None:
    w, db = ctx.world, ctx.db
    url = f"{API}/{spec.path}/import"
    list_url = f"{API}/{spec.path}"
    # park A's own export is a valid import file for park A
    exported = ctx.as_a_admin("GET", f"{API}/{spec.path}.xlsx")
    assert exported.status_code == 200, exported.text
    files = {
        "file": (
            f"{spec.path}.xlsx",
            exported.content,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    }
    a_before = ctx.as_a_admin("GET", list_url, params={"page_size": 500}).json()
    count, a_ids, b_count = (
        _count(db, spec.model),
        _park_ids(db, spec.model, w.a.park_id),
        len(_park_ids(db, spec.model, w.b.park_id)),
    )
    # users of park A without the import permission: refused, nothing written
    for role in A_READ_ONLY_ROLES:
        assert_problem(ctx.call("POST", url, role, files=files), 403)
    assert _count(db, spec.model) == count
    # park B's admin importing park A's file may at most add rows to park B; park A is untouched
    response = ctx.call("POST", url, "park_admin", "b", files=files)
    assert response.status_code < 500, response.text
    assert ctx.as_a_admin("GET", list_url, params={"page_size": 500}).json() == a_before
    assert _park_ids(db, spec.model, w.a.park_id) == a_ids
    assert _count(db, spec.model) - count == len(_park_ids(db, spec.model, w.b.park_id)) - b_count
    # a sheet of park B's admin naming rows that exist only in park A is refused as a whole
    for headers, rows in _cross_imports(spec, ctx):
        count = _count(db, spec.model)
        response = ctx.call("POST", url, "park_admin", "b", files={"file": ("cross.xlsx", _xlsx(headers, rows))})
        assert_problem(response, 422)
        assert _count(db, spec.model) == count
    # positive: park A's admin may dry-run its own file
    response = ctx.as_a_admin("POST", url, files=files, params={"dry_run": True})
    assert response.status_code == 200, response.text


def _xlsx(headers: list[str], rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cross_imports(spec: KindSpec, ctx: Ctx) -> list[tuple[list[str], list[list[Any]]]]:
    """Import sheets for park B that reference natural keys only park A has."""
    w = ctx.world
    a_uscc = ctx.db.scalar(select(Enterprise.uscc).where(Enterprise.id == w.a.enterprise_ids[0]))
    for path, body in (
        ("zones", {"code": "ZAONLY", "name": "A独有", "function": "office"}),
        ("buildings", {"code": "BAONLY", "name": "A独有", "use": "office"}),
        ("devices", {"code": "DAONLY", "name": "A独有", "kind": "gas_meter"}),
    ):
        if (
            ctx.db.scalar(
                select(func.count())
                .select_from(KIND_BY_PATH[path].model)
                .where(KIND_BY_PATH[path].model.code == body["code"])
            )
            == 0
        ):
            assert ctx.as_a_admin("POST", f"{API}/{path}", json=body).status_code == 201
    sheets: dict[str, list[tuple[list[str], list[list[Any]]]]] = {
        "buildings": [(["code", "name", "use", "zone_code"], [["BX1", "跨园楼", "office", "ZAONLY"]])],
        "devices": [
            (["code", "name", "kind", "enterprise_uscc"], [["DX1", "跨园表", "electricity_meter", a_uscc]]),
            (["code", "name", "kind", "building_code"], [["DX2", "跨园表", "electricity_meter", "BAONLY"]]),
        ],
        "points": [
            (
                ["device_code", "key", "name", "quantity", "unit", "device_class"],
                [["DAONLY", "cross_t", "温度", "temperature", "°C", "temperature"]],
            )
        ],
    }
    return sheets.get(spec.path, [])


# -- the other endpoints -------------------------------------------------------------------------------------
def check_device_token(method: str, ctx: Ctx) -> None:
    w, db = ctx.world, ctx.db
    device_id = w.a.device_ids[0]
    url = f"{API}/devices/{device_id}/token"
    token = db.scalar(select(Device.token).where(Device.id == device_id))
    assert token is not None
    spec = KIND_BY_PATH["devices"]
    for park, role in _attackers():
        response = ctx.call(method, url, role, park)
        assert_problem(response, _expected_denial(spec, park, role))
        assert token not in response.text
    assert db.scalar(select(Device.token).where(Device.id == device_id)) == token
    response = ctx.as_a_admin(method, url)
    assert response.status_code == 200, response.text
    if method == "GET":
        assert response.json()["token"] == token
    else:
        assert response.json()["token"] != token
        assert db.scalar(select(Device.token).where(Device.id == device_id)) == response.json()["token"]


def check_units(ctx: Ctx) -> None:
    w = ctx.world
    url = f"{API}/enterprises/{w.a.enterprise_ids[0]}/units"
    for park, role in _attackers():
        response = ctx.call("GET", url, role, park)
        if park == "a" and role in OWNER:
            assert response.status_code == 200
            assert [room["id"] for room in response.json()] == [w.a.room_id]
        else:
            assert_problem(response, 404)
    assert [room["id"] for room in ctx.as_a_admin("GET", url).json()] == [w.a.room_id]


def check_login(ctx: Ctx) -> None:
    w = ctx.world
    response = ctx.client.post(f"{API}/auth/token", json={"username": "TB-park_admin", "password": w.password})
    assert response.status_code == 200, response.text
    me = ctx.client.get(f"{API}/auth/me", headers=bearer(response.json()["access_token"])).json()
    assert me["park_id"] == w.b.park_id and me["read_parks"] == [w.b.park_id]
    # a token names its user: park B's token is not accepted as anybody of park A
    denied = ctx.client.get(
        f"{API}/enterprises/{w.a.enterprise_ids[0]}", headers=bearer(response.json()["access_token"])
    )
    assert_problem(denied, 404)


def check_me(ctx: Ctx) -> None:
    w = ctx.world
    for park, pw in (("a", w.a), ("b", w.b)):
        for role in pw.tokens:
            me = ctx.call("GET", f"{API}/auth/me", role, park).json()
            assert me["park_id"] == pw.park_id and me["read_parks"] == [pw.park_id], me
            expected_enterprise = {"enterprise": pw.enterprise_ids[0], "enterprise2": pw.enterprise_ids[1]}
            assert me["enterprise_id"] == expected_enterprise.get(role)


def check_list_users(ctx: Ctx) -> None:
    w = ctx.world
    response = ctx.call("GET", f"{API}/users", "park_admin", "b")
    assert response.status_code == 200
    users = response.json()
    assert users and all(user["park_id"] == w.b.park_id for user in users)
    for park, role in _attackers():
        if not (park == "b" and role == "park_admin"):
            assert_problem(ctx.call("GET", f"{API}/users", role, park), 403)
    a_users = {u["username"] for u in ctx.as_a_admin("GET", f"{API}/users").json()}
    assert {f"TA-{role}" for role in w.a.tokens} <= a_users
    assert not any(name.startswith("TB-") for name in a_users)


def check_create_user(ctx: Ctx) -> None:
    w, db = ctx.world, ctx.db
    url = f"{API}/users"
    count = _count(db, User)
    body = {
        "username": "intruder",
        "password": "long-enough-1",
        "role": "enterprise",
        "enterprise_id": w.a.enterprise_ids[0],
    }
    assert_problem(ctx.call("POST", url, "park_admin", "b", json=body), 403, 404, 422)
    # a park_id naming park A is not even accepted as input
    assert_problem(
        ctx.call(
            "POST",
            url,
            "park_admin",
            "b",
            json={**body, "role": "park_admin", "enterprise_id": None, "park_id": w.a.park_id},
        ),
        422,
    )
    for park, role in _attackers():
        if not (park == "b" and role == "park_admin"):
            response = ctx.call("POST", url, role, park, json={**body, "enterprise_id": None, "role": "resident"})
            assert_problem(response, 403)
    assert _count(db, User) == count
    # positive: park A's admin creates an enterprise user of its own enterprise, in park A
    response = ctx.as_a_admin("POST", url, json={**body, "username": "newcomer"})
    assert response.status_code == 201, response.text
    assert response.json()["park_id"] == w.a.park_id
    # park B's admin creating a user in its own park gets park B, whatever it asks for
    response = ctx.call(
        "POST", url, "park_admin", "b", json={**body, "username": "b-new", "role": "operator", "enterprise_id": None}
    )
    assert response.status_code == 201 and response.json()["park_id"] == w.b.park_id


def check_audit_entries(ctx: Ctx) -> None:
    w = ctx.world
    url = f"{API}/audit/entries"
    for role in ("park_admin", "operator", "reviewer"):
        response = ctx.call("GET", url, role, "b", params={"page_size": 500})
        assert response.status_code == 200
        body = response.json()
        assert body["total"] > 0 and all(item["park_id"] == w.b.park_id for item in body["items"])
        response = ctx.call(
            "GET", url, role, "b", params={"entity_type": "enterprise", "entity_id": str(w.a.enterprise_ids[0])}
        )
        assert all(item["park_id"] == w.b.park_id for item in response.json()["items"])
    for park, role in (("a", "enterprise"), ("a", "enterprise2"), ("a", "resident"), ("b", "enterprise")):
        assert_problem(ctx.call("GET", url, role, park), 403)
    response = ctx.as_a_admin("GET", url, params={"entity_type": "enterprise", "entity_id": str(w.a.enterprise_ids[0])})
    assert response.json()["total"] >= 1
    assert all(item["park_id"] == w.a.park_id for item in response.json()["items"])


def check_audit_verify(ctx: Ctx) -> None:
    for park, role in (("a", "enterprise"), ("a", "enterprise2"), ("a", "resident"), ("b", "resident")):
        assert_problem(ctx.call("GET", f"{API}/audit/verify", role, park), 403)
    response = ctx.as_a_admin("GET", f"{API}/audit/verify")
    assert response.status_code == 200 and response.json()["ok"] is True


# -- generic exercises for other domains' endpoints ---------------------------------------------------------
# A domain adds its routes to TABLE through `Resource` (a collection with list/create/get/change/delete),
# `IdentView` / `IdentAction` (a read or an action on one row) and `ParkView` (a park-wide read).
STAFF_ROLES = ("park_admin", "operator", "reviewer")


def _b_denial(role: str) -> tuple[int, ...]:
    """Park B's staff hold every permission: only the scope stops them, and it answers 404. Park B's other
    roles may already lack the permission for the whole kind (403); neither reveals that the row exists."""
    return (404,) if role in ("park_admin", "operator") else (403, 404)


def _empty(response: Response) -> bool:
    """A 200 that shows nothing: an empty list or page."""
    if response.status_code != 200 or "json" not in response.headers.get("content-type", ""):
        return False
    body = response.json()
    return body == [] or (isinstance(body, dict) and body.get("items") == [] and body.get("total") == 0)


def _items(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return list(body["items"])
    return list(body) if isinstance(body, list) else []


@dataclasses.dataclass(frozen=True)
class Resource:
    """A collection under /api/v1, exercised on a row park A's admin creates for the test (owned by enterprise
    0 where the kind has an owner)."""

    path: str
    create: Callable[[Ctx], dict[str, Any]]
    patch: dict[str, Any] | None = None
    readers: frozenset[str] = frozenset()  # park A's non-staff roles that may read the row
    writers: frozenset[str] = frozenset()  # park A's roles besides the admin that may change or delete it
    # bodies of park B's admin that point into park A; default: park A's own create body
    cross_creates: Callable[[Ctx], list[dict[str, Any]]] | None = None
    id_field: str = "id"
    make_fn: Callable[[Ctx], int] | None = None  # a row made another way (e.g. under a parent's URL)
    reviewer_reads: bool = True
    snapshot_fn: Callable[[Ctx, Any], Any] | None = None  # how park A's admin sees the row, without GET {ident}

    def snapshot(self, ctx: Ctx, ident: Any) -> Any:
        if self.snapshot_fn is not None:
            return self.snapshot_fn(ctx, ident)
        response = ctx.as_a_admin("GET", self.url(ident))
        assert response.status_code == 200, response.text
        return response.json()

    def url(self, ident: Any = None) -> str:
        return f"{API}/{self.path}" if ident is None else f"{API}/{self.path}/{ident}"

    def make(self, ctx: Ctx) -> Any:
        if self.make_fn is not None:
            return self.make_fn(ctx)
        response = ctx.as_a_admin("POST", self.url(), json=self.create(ctx))
        assert response.status_code == 201, response.text
        return response.json()[self.id_field]

    def attackers(self) -> list[tuple[str, str]]:
        return [(park, role) for park, role in _attackers() if not (park == "a" and role in self.writers)]

    def denial(self, park: str, role: str) -> tuple[int, ...]:
        if park == "b":
            return _b_denial(role)
        return (403,) if role in self.readers or (role == "reviewer" and self.reviewer_reads) else (403, 404)

    def reads(self, park: str, role: str) -> bool:
        return park == "a" and (
            role in self.readers or role in ("park_admin", "operator") or (role == "reviewer" and self.reviewer_reads)
        )


def resource_list(res: Resource, ctx: Ctx) -> None:
    w = ctx.world
    ident = res.make(ctx)
    for park, role in [("b", r) for r in B_ROLES] + [("a", r) for r in A_READ_ONLY_ROLES]:
        response = ctx.call("GET", res.url(), role, park, params={"page_size": 500})
        if response.status_code == 403:
            continue
        assert response.status_code == 200, (role, response.text)
        items = _items(response.json())
        visible = res.reads(park, role)
        if not visible:
            assert ident not in {item.get(res.id_field) for item in items}, (park, role)
        if park == "b":
            assert all(item.get("park_id", w.b.park_id) == w.b.park_id for item in items), role
    response = ctx.as_a_admin("GET", res.url(), params={"page_size": 500})
    assert ident in {item.get(res.id_field) for item in _items(response.json())}


def resource_get(res: Resource, ctx: Ctx) -> None:
    ident = res.make(ctx)
    for park, role in _attackers():
        response = ctx.call("GET", res.url(ident), role, park)
        if res.reads(park, role):
            assert response.status_code == 200, (role, response.text)
        else:
            assert_problem(response, *(_b_denial(role) if park == "b" else (403, 404)))
    assert ctx.as_a_admin("GET", res.url(ident)).status_code == 200


def resource_patch(res: Resource, ctx: Ctx) -> None:
    assert res.patch is not None
    ident = res.make(ctx)
    before = res.snapshot(ctx, ident)
    for park, role in res.attackers():
        assert_problem(ctx.call("PATCH", res.url(ident), role, park, json=res.patch), *res.denial(park, role))
    assert res.snapshot(ctx, ident) == before
    response = ctx.as_a_admin("PATCH", res.url(ident), json=res.patch)
    assert response.status_code == 200, response.text


def resource_delete(res: Resource, ctx: Ctx) -> None:
    ident = res.make(ctx)
    before = res.snapshot(ctx, ident)
    for park, role in res.attackers():
        assert_problem(ctx.call("DELETE", res.url(ident), role, park), *res.denial(park, role))
    assert res.snapshot(ctx, ident) == before
    assert ctx.as_a_admin("DELETE", res.url(ident)).status_code in (200, 204)
    if res.snapshot_fn is None:
        assert_problem(ctx.as_a_admin("GET", res.url(ident)), 404)
    else:
        assert res.snapshot(ctx, ident) is None


def _total(res: Resource, ctx: Ctx, park: str = "a") -> int:
    response = ctx.call("GET", res.url(), "park_admin", park, params={"page_size": 500})
    assert response.status_code == 200, response.text
    body = response.json()
    return int(body["total"]) if isinstance(body, dict) and "total" in body else len(_items(body))


def resource_create(res: Resource, ctx: Ctx) -> None:
    a_total, b_total = _total(res, ctx), _total(res, ctx, "b")
    bodies = res.cross_creates(ctx) if res.cross_creates is not None else [res.create(ctx)]
    for body in bodies:
        assert_problem(ctx.call("POST", res.url(), "park_admin", "b", json=body), 403, 404, 422)
    for role in A_READ_ONLY_ROLES:
        if role not in res.writers:
            assert_problem(ctx.call("POST", res.url(), role, json=res.create(ctx)), 403, 404, 422)
    assert (_total(res, ctx), _total(res, ctx, "b")) == (a_total, b_total)
    res.make(ctx)
    assert _total(res, ctx) == a_total + 1


@dataclasses.dataclass(frozen=True)
class IdentView:
    """A read of one row of park A (or of what hangs off it), e.g. an archive or a graph."""

    path: str  # with {ident}
    ident: Callable[[Ctx], int]
    readers: frozenset[str] = frozenset()
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    reviewer_reads: bool = True


def ident_view(view: IdentView, ctx: Ctx) -> None:
    url = f"{API}/{view.path}".replace("{ident}", str(view.ident(ctx)))
    for park, role in _attackers():
        response = ctx.call("GET", url, role, park, params=view.params)
        if park == "a" and (role in view.readers or (role == "reviewer" and view.reviewer_reads)):
            assert response.status_code == 200, (role, response.text)
        else:
            assert_problem(response, *(_b_denial(role) if park == "b" else (403, 404)))
    assert ctx.as_a_admin("GET", url, params=view.params).status_code == 200


@dataclasses.dataclass(frozen=True)
class IdentAction:
    """A write on one row of park A, e.g. adding a segment to a chain or moving a lead to another stage."""

    path: str  # with {ident}
    ident: Callable[[Ctx], int]
    body: Callable[[Ctx], dict[str, Any]] | None
    writers: frozenset[str] = frozenset()
    ok: tuple[int, ...] = (200, 201)


def ident_action(action: IdentAction, ctx: Ctx) -> None:
    url = f"{API}/{action.path}".replace("{ident}", str(action.ident(ctx)))
    for park, role in _attackers():
        if park == "a" and role in action.writers:
            continue
        body = action.body(ctx) if action.body is not None else None
        response = ctx.call("POST", url, role, park, json=body)
        assert_problem(response, *(_b_denial(role) if park == "b" else (403, 404)))
    body = action.body(ctx) if action.body is not None else None
    response = ctx.as_a_admin("POST", url, json=body)
    assert response.status_code in action.ok, response.text


@dataclasses.dataclass(frozen=True)
class ParkView:
    """A park-wide read (a dashboard, a ranking, a list without rows of its own) that takes `park_id`."""

    path: str
    readers: frozenset[str] = frozenset()
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    reviewer_reads: bool = True
    takes_park_id: bool = True


def park_view(view: ParkView, ctx: Ctx) -> None:
    w = ctx.world
    url = f"{API}/{view.path}"
    for role in B_ROLES:
        if view.takes_park_id:
            response = ctx.call("GET", url, role, "b", params={**view.params, "park_id": w.a.park_id})
            if not _empty(response):
                assert_problem(response, 403, 404, 422)
        response = ctx.call("GET", url, role, "b", params=view.params)
        if response.status_code == 200 and "json" in response.headers.get("content-type", ""):
            body = response.json()
            if isinstance(body, dict) and "park_id" in body:
                assert body["park_id"] == w.b.park_id
    for role in A_READ_ONLY_ROLES:
        response = ctx.call("GET", url, role, params=view.params)
        if role in view.readers or (role == "reviewer" and view.reviewer_reads):
            assert response.status_code == 200, (role, response.text)
        elif not _empty(response):
            assert response.status_code in (403, 404), (role, response.text)
            assert_problem(response, 403, 404)
    assert ctx.as_a_admin("GET", url, params=view.params).status_code == 200


def _add_resource(table: dict[tuple[str, str], Exercise], res: Resource, methods: str) -> None:
    for method in methods.split():
        check = {
            "list": resource_list,
            "create": resource_create,
            "get": resource_get,
            "patch": resource_patch,
            "delete": resource_delete,
        }[method]
        key = {
            "list": ("GET", res.url()),
            "create": ("POST", res.url()),
            "get": ("GET", res.url("{ident}")),
            "patch": ("PATCH", res.url("{ident}")),
            "delete": ("DELETE", res.url("{ident}")),
        }[method]
        table[key] = (lambda c, r: lambda ctx: c(r, ctx))(check, res)


# -- economy (digipark.economy) -------------------------------------------------------------------------------
def _next(ctx: Ctx, key: str) -> int:
    ctx.cache[key] = ctx.cache.get(key, 0) + 1
    return int(ctx.cache[key])


def _statistic(ctx: Ctx) -> dict[str, Any]:
    output = 1000.0
    return {
        "enterprise_id": ctx.world.a.enterprise_ids[0],
        "period": f"2024-{_next(ctx, 'month'):02d}",
        "output_value_wan_yuan": output,
        "sales_revenue_wan_yuan": output * 0.9,
        "tax_paid_wan_yuan": 50.0,
        "total_profit_wan_yuan": 80.0,
        "employees": 100,
        "electricity_kwh": 400_000.0,
    }


def _chain(ctx: Ctx) -> dict[str, int]:
    """A chain of park A with two segments, made once per test."""
    if "chain" not in ctx.cache:
        response = ctx.as_a_admin("POST", f"{API}/economy/chains", json={"code": "TENANCY", "name": "租户链"})
        assert response.status_code == 201, response.text
        chain: dict[str, int] = {"id": response.json()["id"]}
        for code, stage in (("up", "upstream"), ("mid", "midstream")):
            response = ctx.as_a_admin(
                "POST",
                f"{API}/economy/chains/{chain['id']}/segments",
                json={"code": code, "name": code, "stage": stage, "industry_codes": ["38"]},
            )
            assert response.status_code == 201, response.text
            chain[code] = response.json()["id"]
        ctx.cache["chain"] = chain
    return dict(ctx.cache["chain"])


def _chain_part(ctx: Ctx, part: str, ident: int) -> Any:
    """A segment or edge as its chain's detail shows it to park A's admin (None once gone)."""
    response = ctx.as_a_admin("GET", f"{API}/economy/chains/{_chain(ctx)['id']}")
    assert response.status_code == 200, response.text
    return next((item for item in response.json()[part] if item["id"] == ident), None)


def _listed(ctx: Ctx, path: str, ident: int) -> Any:
    response = ctx.as_a_admin("GET", f"{API}/{path}", params={"page_size": 500})
    assert response.status_code == 200, response.text
    return next((item for item in _items(response.json()) if item["id"] == ident), None)


def _segment(ctx: Ctx) -> int:
    chain = _chain(ctx)
    response = ctx.as_a_admin(
        "POST",
        f"{API}/economy/chains/{chain['id']}/segments",
        json={"code": f"s{_next(ctx, 'segment')}", "name": "环节", "stage": "downstream"},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _edge(ctx: Ctx) -> int:
    chain = _chain(ctx)
    response = ctx.as_a_admin(
        "POST",
        f"{API}/economy/chains/{chain['id']}/edges",
        json={"from_segment_id": chain["up"], "to_segment_id": _segment(ctx)},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _candidate(ctx: Ctx) -> dict[str, Any]:
    return {"name": f"候选企业{_next(ctx, 'candidate_seq')}", "segment_id": _chain(ctx)["mid"], "size": "medium"}


def _candidate_id(ctx: Ctx) -> int:
    if "candidate_id" not in ctx.cache:
        body = _candidate(ctx)
        response = ctx.as_a_admin("POST", f"{API}/economy/candidates", json=body)
        assert response.status_code == 201, response.text
        ctx.cache["candidate_id"], ctx.cache["candidate_name"] = response.json()["id"], body["name"]
    return int(ctx.cache["candidate_id"])


def _lead_id(ctx: Ctx) -> int:
    response = ctx.as_a_admin("POST", f"{API}/economy/leads", json={"candidate_id": _candidate_id(ctx)})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _statistic_id(ctx: Ctx) -> int:
    if "statistic" not in ctx.cache:
        response = ctx.as_a_admin("POST", f"{API}/economy/statistics", json=_statistic(ctx))
        assert response.status_code == 201, response.text
        ctx.cache["statistic"] = response.json()["id"]
    return int(ctx.cache["statistic"])


def _a_markers(ctx: Ctx) -> list[str]:
    """Text that only park A's data contains: its enterprises' names and USCCs."""
    rows = ctx.db.execute(select(Enterprise.name, Enterprise.uscc).where(Enterprise.park_id == ctx.world.a.park_id))
    return [value for row in rows for value in row]


def _text(response: Response) -> str:
    """What a download shows: the text of a CSV, every cell of a workbook, or the body as it is."""
    if response.content.startswith(b"PK"):
        workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    return response.content.decode("utf-8-sig", errors="replace")


def _own_markers(ctx: Ctx, role: str) -> list[str]:
    own = ctx.world.a.enterprise_ids[0 if role == "enterprise" else 1]
    row = ctx.db.execute(select(Enterprise.name, Enterprise.uscc).where(Enterprise.id == own)).one()
    return list(row)


@dataclasses.dataclass(frozen=True)
class Export:
    """A download (.xlsx/.csv) of rows: park B's users never get park A's, park A's only what they may read."""

    path: str  # may hold {fmt}
    make: Callable[[Ctx], list[str]]  # makes a row in park A; returns text its download shows
    readers: frozenset[str] = frozenset()  # park A's non-staff roles allowed to download
    reviewer_reads: bool = True


def export_view(export: Export, ctx: Ctx) -> None:
    made = export.make(ctx)
    secret = [*made, *_a_markers(ctx)]
    for fmt in ("csv", "xlsx"):
        url = f"{API}/{export.path}".replace("{fmt}", fmt)
        for role in B_ROLES:
            for params in ({}, {"park_id": ctx.world.a.park_id}):
                response = ctx.call("GET", url, role, "b", params=params)
                if response.status_code == 200:
                    assert not any(marker in _text(response) for marker in secret), (role, fmt)
                else:
                    assert_problem(response, 403, 404, 422)
        for role in A_READ_ONLY_ROLES:
            response = ctx.call("GET", url, role)
            if role in export.readers or (role == "reviewer" and export.reviewer_reads):
                assert response.status_code == 200, (role, response.text)
            elif response.status_code == 200:  # a download of what the role may read: nothing of the others
                own = _own_markers(ctx, role) if role.startswith("enterprise") else []
                assert not any(m in _text(response) for m in secret if m not in own), (role, fmt)
            else:
                assert_problem(response, 403)
        response = ctx.as_a_admin("GET", url)
        assert response.status_code == 200 and all(m in _text(response) for m in made), fmt


def _statistic_markers(ctx: Ctx) -> list[str]:
    _statistic_id(ctx)
    return _own_markers(ctx, "enterprise")


def _candidate_markers(ctx: Ctx) -> list[str]:
    _candidate_id(ctx)
    return [str(ctx.cache["candidate_name"])]


@dataclasses.dataclass(frozen=True)
class Upload:
    """An all-or-nothing import: only staff of the park import, and never rows of another park."""

    path: str
    sheet: Callable[[Ctx], tuple[list[str], list[list[Any]]]]  # naming park A's rows
    model: type[Any]  # the kind of row imported


def upload(spec: Upload, ctx: Ctx) -> None:
    headers, rows = spec.sheet(ctx)
    files = {"file": ("sheet.xlsx", _xlsx(headers, rows))}
    before = _count(ctx.db, spec.model)
    for park, role in _attackers():
        if park == "b" and role in ("park_admin", "operator"):
            # park B's staff may import, but not into park A: the rows name what park B does not have
            assert_problem(ctx.call("POST", f"{API}/{spec.path}", role, park, files=files), 403, 404, 422)
        else:
            assert_problem(ctx.call("POST", f"{API}/{spec.path}", role, park, files=files), 403)
    assert _count(ctx.db, spec.model) == before
    response = ctx.as_a_admin("POST", f"{API}/{spec.path}", files=files, params={"dry_run": True})
    assert response.status_code == 200, response.text


def _statistics_sheet(ctx: Ctx) -> tuple[list[str], list[list[Any]]]:
    uscc = ctx.db.scalar(select(Enterprise.uscc).where(Enterprise.id == ctx.world.a.enterprise_ids[0]))
    return (
        [
            "enterprise_uscc",
            "period",
            "output_value_wan_yuan",
            "sales_revenue_wan_yuan",
            "tax_paid_wan_yuan",
            "total_profit_wan_yuan",
            "employees",
            "electricity_kwh",
        ],
        [[uscc, "2023-05", 100.0, 90.0, 5.0, 8.0, 10, 40000.0]],
    )


def _candidates_sheet(ctx: Ctx) -> tuple[list[str], list[list[Any]]]:
    response = ctx.as_a_admin("GET", f"{API}/economy/candidates.xlsx")
    assert response.status_code == 200, response.text
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    headers = [str(h) for h in values[0]]
    data = [row for row in values[1:] if any(cell is not None for cell in row)]
    if not data:  # park A has no candidate yet: make one and export again
        _candidate_id(ctx)
        return _candidates_sheet(ctx)
    # new names (a name may be registered once), the same segment of park A's chain
    name = next(i for i, header in enumerate(headers) if header.endswith("(name)"))
    return headers, [[f"{cell}-新" if i == name else cell for i, cell in enumerate(row)] for row in data]


@dataclasses.dataclass(frozen=True)
class ParkAction:
    """A park-wide write (e.g. sending reminders): staff of the park only, never naming another park's rows."""

    path: str
    body: Callable[[Ctx], dict[str, Any]]  # naming park A's rows
    ok: tuple[int, ...] = (200, 201)


def park_action(action: ParkAction, ctx: Ctx) -> None:
    url = f"{API}/{action.path}"
    for park, role in _attackers():
        expected = (403, 404, 422) if park == "b" and role in ("park_admin", "operator") else (403,)
        assert_problem(ctx.call("POST", url, role, park, json=action.body(ctx)), *expected)
    response = ctx.as_a_admin("POST", url, json=action.body(ctx))
    assert response.status_code in action.ok, response.text


def static_view(path: str, ctx: Ctx) -> None:
    """A read without park data (a template, a catalogue): it shows nothing of park A to park B."""
    for role in B_ROLES:
        response = ctx.call("GET", f"{API}/{path}", role, "b")
        assert response.status_code in (200, 403), response.text
        assert not any(marker in _text(response) for marker in _a_markers(ctx))
    assert ctx.as_a_admin("GET", f"{API}/{path}").status_code == 200


NON_STAFF = frozenset({"enterprise", "enterprise2", "resident"})
ECONOMY_RESOURCES: list[tuple[Resource, str]] = [
    (
        Resource(
            "economy/statistics",
            _statistic,
            {"employees": 120, "reason": "更正人数"},
            readers=frozenset({"enterprise"}),
            writers=frozenset({"enterprise"}),
        ),
        "list create get patch",
    ),
    (
        Resource(
            "economy/qualifications",
            lambda ctx: {"enterprise_id": ctx.world.a.enterprise_ids[0], "kind": "high_tech", "name": "高新"},
            {"issuer": "江苏省科技厅"},
            readers=frozenset({"enterprise"}),
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "economy/intellectual-property",
            lambda ctx: {
                "enterprise_id": ctx.world.a.enterprise_ids[0],
                "kind": "invention_patent",
                "title": f"一种方法{_next(ctx, 'ip')}",
            },
            {"number": "ZL2024000001"},
            readers=frozenset({"enterprise"}),
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "economy/products",
            lambda ctx: {"enterprise_id": ctx.world.a.enterprise_ids[0], "name": f"产品{_next(ctx, 'product')}"},
            {"description": "更新"},
            readers=frozenset({"enterprise"}),
            writers=frozenset({"enterprise"}),
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "economy/chains",
            lambda ctx: {"code": f"C{_next(ctx, 'chain')}", "name": "产业链"},
            {"name": "改名链"},
            readers=NON_STAFF,
            cross_creates=lambda ctx: [{"code": "CX", "name": "产业链", "park_id": ctx.world.a.park_id}],
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "economy/segments",
            lambda ctx: {},
            {"name": "改名环节"},
            readers=NON_STAFF,
            make_fn=_segment,
            snapshot_fn=lambda ctx, ident: _chain_part(ctx, "segments", ident),
        ),
        "patch delete",
    ),
    (
        Resource(
            "economy/edges",
            lambda ctx: {},
            None,
            readers=NON_STAFF,
            make_fn=_edge,
            snapshot_fn=lambda ctx, ident: _chain_part(ctx, "edges", ident),
        ),
        "delete",
    ),
    (
        Resource(
            "economy/enterprise-segments",
            lambda ctx: {"enterprise_id": ctx.world.a.enterprise_ids[0], "segment_id": _segment(ctx)},
            None,
            readers=frozenset({"enterprise"}),
            snapshot_fn=lambda ctx, ident: _listed(ctx, "economy/enterprise-segments", ident),
        ),
        "list create delete",
    ),
    (
        Resource(
            "economy/supply-relations",
            lambda ctx: {
                "supplier_id": ctx.world.a.enterprise_ids[0],
                "customer_id": ctx.world.a.enterprise_ids[1],
                "product": f"电芯{_next(ctx, 'relation')}",
            },
            {"notes": "年度框架"},
        ),
        "list create get patch delete",
    ),
    (
        Resource("economy/candidates", _candidate, {"notes": "跟进"}, reviewer_reads=False),
        "list create get patch delete",
    ),
    (
        Resource(
            "economy/leads",
            lambda ctx: {"candidate_id": _candidate_id(ctx)},
            {"next_action": "拜访"},
            reviewer_reads=False,
            make_fn=_lead_id,
        ),
        "list create get patch",
    ),
]
ECONOMY: dict[tuple[str, str], Exercise] = {
    ("GET", f"{API}/economy/statistics/{{ident}}/revisions"): lambda ctx: ident_view(
        IdentView("economy/statistics/{ident}/revisions", _statistic_id, frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{API}/economy/statistics.{{fmt}}"): lambda ctx: export_view(
        Export("economy/statistics.{fmt}", _statistic_markers, frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{API}/economy/statistics/template"): lambda ctx: static_view("economy/statistics/template", ctx),
    ("POST", f"{API}/economy/statistics/import"): lambda ctx: upload(
        Upload("economy/statistics/import", _statistics_sheet, MonthlyStatistic),
        ctx,
    ),
    ("GET", f"{API}/economy/statistics/missing"): lambda ctx: park_view(
        ParkView("economy/statistics/missing", params={"period": "2024-01"}), ctx
    ),
    ("GET", f"{API}/economy/statistics/reminders"): lambda ctx: park_view(
        ParkView("economy/statistics/reminders", takes_park_id=False), ctx
    ),
    ("POST", f"{API}/economy/statistics/reminders"): lambda ctx: park_action(
        ParkAction(
            "economy/statistics/reminders",
            lambda c: {"period": "2024-01", "enterprise_ids": [c.world.a.enterprise_ids[0]]},
        ),
        ctx,
    ),
    ("GET", f"{API}/economy/dashboard"): lambda ctx: park_view(ParkView("economy/dashboard"), ctx),
    ("GET", f"{API}/economy/dashboard.xlsx"): lambda ctx: park_view(ParkView("economy/dashboard.xlsx"), ctx),
    ("GET", f"{API}/economy/warnings"): lambda ctx: park_view(ParkView("economy/warnings"), ctx),
    ("GET", f"{API}/economy/enterprises/{{ident}}/archive"): lambda ctx: ident_view(
        IdentView(
            "economy/enterprises/{ident}/archive", lambda c: c.world.a.enterprise_ids[0], frozenset({"enterprise"})
        ),
        ctx,
    ),
    ("GET", f"{API}/economy/chain-templates"): lambda ctx: static_view("economy/chain-templates", ctx),
    ("GET", f"{API}/economy/chains/{{ident}}/graph"): lambda ctx: ident_view(
        IdentView("economy/chains/{ident}/graph", lambda c: _chain(c)["id"]), ctx
    ),
    ("POST", f"{API}/economy/chains/{{ident}}/segments"): lambda ctx: ident_action(
        IdentAction(
            "economy/chains/{ident}/segments",
            lambda c: _chain(c)["id"],
            lambda c: {"code": f"x{_next(c, 'segment')}", "name": "环节", "stage": "upstream"},
        ),
        ctx,
    ),
    ("POST", f"{API}/economy/chains/{{ident}}/edges"): lambda ctx: ident_action(
        IdentAction(
            "economy/chains/{ident}/edges",
            lambda c: _chain(c)["id"],
            lambda c: {"from_segment_id": _chain(c)["up"], "to_segment_id": _chain(c)["mid"]},
        ),
        ctx,
    ),
    ("GET", f"{API}/economy/chains/{{ident}}/suggestions"): lambda ctx: ident_view(
        IdentView("economy/chains/{ident}/suggestions", lambda c: _chain(c)["id"]), ctx
    ),
    ("POST", f"{API}/economy/chains/{{ident}}/suggestions/confirm"): lambda ctx: ident_action(
        IdentAction("economy/chains/{ident}/suggestions/confirm", lambda c: _chain(c)["id"], lambda c: {"items": []}),
        ctx,
    ),
    ("GET", f"{API}/economy/candidates/ranked"): lambda ctx: park_view(
        ParkView("economy/candidates/ranked", reviewer_reads=False, takes_park_id=False), ctx
    ),
    ("GET", f"{API}/economy/candidates.{{fmt}}"): lambda ctx: export_view(
        Export("economy/candidates.{fmt}", _candidate_markers, reviewer_reads=False), ctx
    ),
    ("POST", f"{API}/economy/candidates/import"): lambda ctx: upload(
        Upload("economy/candidates/import", _candidates_sheet, InvestmentCandidate),
        ctx,
    ),
    ("GET", f"{API}/economy/candidates/{{ident}}/score"): lambda ctx: ident_view(
        IdentView("economy/candidates/{ident}/score", _candidate_id, reviewer_reads=False), ctx
    ),
    ("POST", f"{API}/economy/leads/{{ident}}/stage"): lambda ctx: ident_action(
        IdentAction("economy/leads/{ident}/stage", _lead_id, lambda c: {"stage": "visited"}), ctx
    ),
    ("GET", f"{API}/economy/free-space"): lambda ctx: park_view(ParkView("economy/free-space"), ctx),
}


Exercise = Callable[[Ctx], None]


def _table() -> dict[tuple[str, str], Exercise]:
    table: dict[tuple[str, str], Exercise] = {}

    def bind(check: Callable[[KindSpec, Ctx], None], spec: KindSpec) -> Exercise:
        return lambda ctx: check(spec, ctx)

    for spec in KINDS:
        base = f"{API}/{spec.path}"
        table[("GET", base)] = bind(check_list, spec)
        table[("GET", base + "/{ident}")] = bind(check_get, spec)
        table[("PATCH", base + "/{ident}")] = bind(check_patch, spec)
        if spec.create is not None:
            table[("POST", base)] = bind(check_create, spec)
            table[("DELETE", base + "/{ident}")] = bind(check_delete, spec)
        if spec.excel:
            table[("GET", base + ".{fmt}")] = bind(check_export, spec)
            table[("POST", base + "/import")] = bind(check_import, spec)
    for res, methods in ECONOMY_RESOURCES:
        _add_resource(table, res, methods)
    table.update(ECONOMY)
    table.update(
        {
            ("GET", f"{API}/devices/{{ident}}/token"): lambda ctx: check_device_token("GET", ctx),
            ("POST", f"{API}/devices/{{ident}}/token"): lambda ctx: check_device_token("POST", ctx),
            ("GET", f"{API}/enterprises/{{ident}}/units"): check_units,
            ("POST", f"{API}/auth/token"): check_login,
            ("GET", f"{API}/auth/me"): check_me,
            ("GET", f"{API}/users"): check_list_users,
            ("POST", f"{API}/users"): check_create_user,
            ("GET", f"{API}/audit/entries"): check_audit_entries,
            ("GET", f"{API}/audit/verify"): check_audit_verify,
        }
    )
    return table


# -- evaluation (digipark.evaluation) ----------------------------------------------------------------------------
def _evaluation_year() -> int:
    from digipark.evaluation.service import today

    return today().year


def _declaration_form(ctx: Ctx, park_id: int | None = None) -> dict[str, Any]:
    data = {"indicator": "compute_in_use", "value": "2", "note": "算力使用企业名单"}
    if park_id is not None:
        data["park_id"] = str(park_id)
    return {"data": data, "files": {"evidence": ("list.pdf", b"%PDF-1.4 evidence", "application/pdf")}}


def _declaration_id(ctx: Ctx) -> int:
    if "declaration" not in ctx.cache:
        response = ctx.as_a_admin("POST", f"{API}/evaluation/declarations", **_declaration_form(ctx))
        assert response.status_code == 201, response.text
        ctx.cache["declaration"] = response.json()["id"]
    return int(ctx.cache["declaration"])


def _evaluation_snapshot_id(ctx: Ctx) -> int:
    if "evaluation_snapshot" not in ctx.cache:
        body = {"park_id": ctx.world.a.park_id, "year": _evaluation_year()}
        response = ctx.as_a_admin("POST", f"{API}/evaluation/snapshots", json=body)
        assert response.status_code == 201, response.text
        ctx.cache["evaluation_snapshot"] = response.json()["id"]
    return int(ctx.cache["evaluation_snapshot"])


def check_evaluation_declare(ctx: Ctx) -> None:
    from digipark.evaluation.models import IndicatorDeclaration

    url = f"{API}/evaluation/declarations"
    before = _count(ctx.db, IndicatorDeclaration)
    for park, role in _attackers():
        response = ctx.call("POST", url, role, park, **_declaration_form(ctx, ctx.world.a.park_id))
        expected = (404,) if park == "b" and role in ("park_admin", "operator") else (403,)
        assert_problem(response, *expected)
    assert _count(ctx.db, IndicatorDeclaration) == before
    response = ctx.as_a_admin("POST", url, **_declaration_form(ctx))
    assert response.status_code == 201 and response.json()["park_id"] == ctx.world.a.park_id


def check_evaluation_reports(ctx: Ctx) -> None:
    park_a = ctx.db.scalar(select(Park.name).where(Park.id == ctx.world.a.park_id))
    for fmt in ("html", "pdf", "xlsx"):
        url = f"{API}/evaluation/report.{fmt}"
        for role in B_ROLES:
            response = ctx.call("GET", url, role, "b", params={"park_id": ctx.world.a.park_id})
            assert_problem(response, 403, 404)
            response = ctx.call("GET", url, role, "b")
            if response.status_code == 200:
                assert park_a not in _text(response) and "TA企业" not in _text(response)
            else:
                assert_problem(response, 403)
        for role in A_READ_ONLY_ROLES:
            response = ctx.call("GET", url, role)
            if role == "reviewer":
                assert response.status_code == 200, response.text
            else:
                assert_problem(response, 403)
        assert ctx.as_a_admin("GET", url).status_code == 200


def check_evaluation_compare(ctx: Ctx) -> None:
    url = f"{API}/evaluation/compare"
    for role in B_ROLES:
        response = ctx.call("GET", url, role, "b", params={"park_ids": [ctx.world.a.park_id]})
        assert_problem(response, 403, 404)
        response = ctx.call("GET", url, role, "b")
        if response.status_code == 200:
            assert {p["park_id"] for p in response.json()["parks"]} == {ctx.world.b.park_id}
        else:
            assert_problem(response, 403)
    park_view(ParkView("evaluation/compare", takes_park_id=False), ctx)


EVALUATION: dict[tuple[str, str], Exercise] = {
    ("GET", f"{API}/evaluation/indicators"): lambda ctx: static_view("evaluation/indicators", ctx),
    ("GET", f"{API}/evaluation"): lambda ctx: park_view(ParkView("evaluation"), ctx),
    ("GET", f"{API}/evaluation/report.{{fmt}}"): check_evaluation_reports,
    ("GET", f"{API}/evaluation/declarations"): lambda ctx: park_view(ParkView("evaluation/declarations"), ctx),
    ("POST", f"{API}/evaluation/declarations"): check_evaluation_declare,
    ("GET", f"{API}/evaluation/declarations/{{ident}}/evidence"): lambda ctx: ident_view(
        IdentView("evaluation/declarations/{ident}/evidence", _declaration_id), ctx
    ),
    ("GET", f"{API}/evaluation/snapshots"): lambda ctx: park_view(ParkView("evaluation/snapshots"), ctx),
    ("POST", f"{API}/evaluation/snapshots"): lambda ctx: park_action(
        ParkAction(
            "evaluation/snapshots",
            lambda c: {"park_id": c.world.a.park_id, "year": _evaluation_year()},
            ok=(201,),
        ),
        ctx,
    ),
    ("GET", f"{API}/evaluation/snapshots/{{ident}}"): lambda ctx: ident_view(
        IdentView("evaluation/snapshots/{ident}", _evaluation_snapshot_id), ctx
    ),
    ("GET", f"{API}/evaluation/years"): lambda ctx: park_view(ParkView("evaluation/years"), ctx),
    ("GET", f"{API}/evaluation/compare"): check_evaluation_compare,
}


TABLE = _table()
TABLE.update(EVALUATION)
PUBLIC_ROUTES = {("POST", f"{API}/auth/token")}


# -- telemetry ingestion, dead letters, device traffic (digipark.telemetry.ingest_api) ---------------------------
def _device_token(ctx: Ctx, device_id: int) -> str:
    token = ctx.db.scalar(select(Device.token).where(Device.id == device_id))
    assert token is not None
    return token


def _dead_letter(ctx: Ctx, index: int = 0) -> int:
    """A dead letter of park A's device `index` (0: enterprise 0's meter, 1: the park's detector), made by an
    unknown point key posted over HTTP."""
    key = f"dead_letter_{index}"
    if key not in ctx.cache:
        device_id = ctx.world.a.device_ids[index]
        response = ctx.client.post(f"{API}/devices/{_device_token(ctx, device_id)}/telemetry", json={"probe_x": 1})
        assert response.status_code == 200 and response.json()["rejected_by_reason"] == {"unknown_point": 1}
        listed = ctx.as_a_admin("GET", f"{API}/dead-letters", params={"device_id": device_id, "page_size": 500})
        ctx.cache[key] = max(item["id"] for item in listed.json()["items"])
    return int(ctx.cache[key])


def check_device_telemetry(ctx: Ctx) -> None:
    """The device token in the path is the only credential: users' tokens are no device tokens, and a device
    writes only its own points (park B's meter has the same point keys as park A's)."""
    from digipark.telemetry.models import Reading

    w = ctx.world
    point = ctx.db.scalar(select(Point.id).where(Point.device_id == w.a.device_ids[0], Point.key == "power_kw"))

    def a_readings() -> int:
        return ctx.db.scalar(select(func.count()).select_from(Reading).where(Reading.point_id == point)) or 0

    for pw in (w.a, w.b):
        for role in ("park_admin", "enterprise"):
            response = ctx.client.post(
                f"{API}/devices/{pw.tokens[role]}/telemetry", json={"power_kw": 1}, headers=bearer(pw.tokens[role])
            )
            assert_problem(response, 404)
    before = a_readings()
    response = ctx.client.post(
        f"{API}/devices/{_device_token(ctx, w.b.device_ids[0])}/telemetry",
        json={"power_kw": 1},
        headers=bearer(w.a.tokens["park_admin"]),
    )
    assert response.status_code == 200 and response.json()["stored"] == 1
    assert a_readings() == before
    response = ctx.client.post(f"{API}/devices/{_device_token(ctx, w.a.device_ids[0])}/telemetry", json={"power_kw": 2})
    assert response.status_code == 200 and response.json()["stored"] == 1
    assert a_readings() == before + 1


def check_dead_letter_list(ctx: Ctx) -> None:
    w = ctx.world
    own, park_owned = _dead_letter(ctx, 0), _dead_letter(ctx, 1)
    made = {own, park_owned}

    def seen(park: str, role: str) -> set[int]:
        response = ctx.call("GET", f"{API}/dead-letters", role, park, params={"page_size": 500})
        assert response.status_code == 200, (park, role, response.text)
        items = _items(response.json())
        if park == "b":
            assert all(item["park_id"] in (w.b.park_id, None) for item in items), role
        return {item["id"] for item in items}

    for role in B_ROLES:
        assert not seen("b", role) & made, role
    expected = {"enterprise": {own}, "enterprise2": set(), "resident": set(), "reviewer": made}
    for role, visible in expected.items():
        assert seen("a", role) & made == visible, role
    assert seen("a", "park_admin") & made == made and seen("a", "operator") & made == made


def check_dead_letter_action(path: str) -> Exercise:
    def check(ctx: Ctx) -> None:
        ident = _dead_letter(ctx)
        url = f"{API}/dead-letters/{path}"
        for park, role in _attackers():
            # park A's enterprise 0 and reviewer see the letter but may not act; everyone else does not see it
            denial = 403 if park == "a" and role in ("enterprise", "reviewer") else 404
            assert_problem(ctx.call("POST", url, role, park, json={"ids": [ident]}), denial)
        assert ctx.as_a_admin("GET", f"{API}/dead-letters/{ident}").json()["status"] == "open"
        response = ctx.as_a_admin("POST", url, json={"ids": [ident]})
        assert response.status_code == 200, response.text

    return check


def check_park_traffic(ctx: Ctx) -> None:
    w = ctx.world
    url = f"{API}/parks/{w.a.park_id}/traffic"
    for role in B_ROLES:
        assert_problem(ctx.call("GET", url, role, "b"), 404)
    expected = {
        "enterprise": {w.a.device_ids[0]},
        "enterprise2": set(),
        "resident": set(),
        "reviewer": set(w.a.device_ids),
        "operator": set(w.a.device_ids),
        "park_admin": set(w.a.device_ids),
    }
    for role, devices in expected.items():
        response = ctx.call("GET", url, role, params={"page_size": 500})
        assert response.status_code == 200, (role, response.text)
        assert {item["device_id"] for item in response.json()["items"]} == devices, role


TABLE.update(
    {
        ("POST", f"{API}/devices/{{token}}/telemetry"): check_device_telemetry,
        ("GET", f"{API}/dead-letters"): check_dead_letter_list,
        ("GET", f"{API}/dead-letters/{{ident}}"): lambda ctx: ident_view(
            IdentView("dead-letters/{ident}", _dead_letter, frozenset({"enterprise"})), ctx
        ),
        ("POST", f"{API}/dead-letters/replay"): check_dead_letter_action("replay"),
        ("POST", f"{API}/dead-letters/discard"): check_dead_letter_action("discard"),
        ("GET", f"{API}/devices/{{ident}}/traffic"): lambda ctx: ident_view(
            IdentView("devices/{ident}/traffic", lambda c: c.world.a.device_ids[0], frozenset({"enterprise"})), ctx
        ),
        ("GET", f"{API}/parks/{{ident}}/traffic"): check_park_traffic,
    }
)
PUBLIC_ROUTES.add(("POST", f"{API}/devices/{{token}}/telemetry"))  # the device token in the path authenticates


# -- telemetry reads: series, park series, latest values (digipark.telemetry.api) --------------------------------
_SERIES_RANGE = {"from": "2026-03-01T00:00:00+08:00", "to": "2026-03-03T00:00:00+08:00"}


def _with_readings(ctx: Ctx) -> list[int]:
    """Readings of park A's enterprise-0 meter (point 0) and of the park's gas detector (point 4)."""
    from digipark.telemetry.store import ReadingRow, write_readings

    if "series" not in ctx.cache:
        w = ctx.world
        start = 1772294400000  # 2026-02-28T16:00Z, 1 March local midnight
        rows = [ReadingRow(w.a.point_ids[0], start + i * 900_000, 100.0 + i) for i in range(8)]
        rows += [ReadingRow(w.a.point_ids[4], start + i * 900_000, 5.0) for i in range(8)]
        write_readings(ctx.db, rows)
        ctx.cache["series"] = [w.a.point_ids[0], w.a.point_ids[4]]
    return list(ctx.cache["series"])


def _point_reads(ctx: Ctx, method: str, url: str, params: Any = None, body: Any = None) -> None:
    """Enterprise 0's meter point: readable by park A's staff and enterprise 0 only; the rest get 404."""
    pid = _with_readings(ctx)[0]
    for park, role in _attackers():
        kwargs: dict[str, Any] = {"params": params(pid)} if params else {"json": body(pid)}
        response = ctx.call(method, url, role, park, **kwargs)
        if park == "a" and role in ("enterprise", "reviewer"):
            assert response.status_code == 200, (role, response.text)
        else:
            assert_problem(response, 404)
    kwargs = {"params": params(pid)} if params else {"json": body(pid)}
    assert ctx.as_a_admin(method, url, **kwargs).status_code == 200


def check_park_series(ctx: Ctx) -> None:
    w = ctx.world
    _with_readings(ctx)
    url = f"{API}/parks/{w.a.park_id}/series"
    params = {**_SERIES_RANGE, "quantity": "electric_energy", "resolution": "15m", "agg": "delta"}
    for role in B_ROLES:
        assert_problem(ctx.call("GET", url, role, "b", params=params), 404)
    sums = {}
    for role in ("park_admin", "reviewer", "enterprise", "enterprise2", "resident"):
        response = ctx.call("GET", url, role, params=params)
        assert response.status_code == 200, (role, response.text)
        sums[role] = [value for _, value in response.json()["points"]]
    assert sums["park_admin"] == sums["reviewer"] == sums["enterprise"] == [0.0, *[1.0] * 7]
    assert sums["enterprise2"] == sums["resident"] == []  # no readable meter: nothing of enterprise 0's leaks


TABLE.update(
    {
        ("GET", f"{API}/points/{{ident}}/series"): lambda ctx: ident_view(
            IdentView(
                "points/{ident}/series", lambda c: _with_readings(c)[0], frozenset({"enterprise"}), _SERIES_RANGE
            ),
            ctx,
        ),
        ("GET", f"{API}/series"): lambda ctx: _point_reads(
            ctx, "GET", f"{API}/series", params=lambda pid: {**_SERIES_RANGE, "point_id": [pid]}
        ),
        ("POST", f"{API}/series"): lambda ctx: _point_reads(
            ctx, "POST", f"{API}/series", body=lambda pid: {**_SERIES_RANGE, "point_ids": [pid]}
        ),
        ("GET", f"{API}/points/latest"): lambda ctx: _point_reads(
            ctx, "GET", f"{API}/points/latest", params=lambda pid: {"point_id": [pid]}
        ),
        ("GET", f"{API}/devices/{{ident}}/latest"): lambda ctx: ident_view(
            IdentView("devices/{ident}/latest", lambda c: c.world.a.device_ids[0], frozenset({"enterprise"})), ctx
        ),
        ("GET", f"{API}/parks/{{ident}}/series"): check_park_series,
    }
)


# -- transformation (digipark.transformation) -----------------------------------------------------------------
_TF = f"{API}/transformation"
_TF_PDF = b"%PDF-1.4\n%tenancy\n"


def _tf_answers() -> dict[str, Any]:
    """A complete set of answers (the first option of every question, every scene rated 1)."""
    from digipark.transformation.assessment import questionnaire

    q = questionnaire()
    answers: dict[str, Any] = {
        code: [x.options[0].code] if x.multiple else x.options[0].code for code, x in q.questions.items()
    }
    answers.update({s.code: 1 for s in q.scenes})
    return answers


def _tf_assessment(ctx: Ctx, *, complete: bool = False, submitted: bool = False) -> int:
    """A new assessment of enterprise 0 of park A (each of another year)."""
    year = 2000 + _next(ctx, "tf_year")
    body = {"enterprise_id": ctx.world.a.enterprise_ids[0], "year": year, "answers": _tf_answers() if complete else {}}
    response = ctx.as_a_admin("POST", f"{_TF}/assessments", json=body)
    assert response.status_code == 201, response.text
    ident = int(response.json()["id"])
    if submitted:
        assert ctx.as_a_admin("POST", f"{_TF}/assessments/{ident}/submit").status_code == 200
    return ident


def _tf_assessment_id(ctx: Ctx) -> int:
    if "tf_assessment" not in ctx.cache:
        ctx.cache["tf_assessment"] = _tf_assessment(ctx, complete=True, submitted=True)
    return int(ctx.cache["tf_assessment"])


def _tf_upload(ctx: Ctx, ident: int, who: str = "park_admin", park: str = "a") -> Response:
    files = {"file": ("证明.pdf", _TF_PDF, "application/pdf")}
    return ctx.call("POST", f"{_TF}/assessments/{ident}/evidence", who, park, files=files, data={"question": "Q01"})


def _tf_evidence(ctx: Ctx) -> int:
    draft = _tf_assessment(ctx)
    response = _tf_upload(ctx, draft)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _tf_evidence_id(ctx: Ctx) -> int:
    if "tf_evidence" not in ctx.cache:
        ctx.cache["tf_evidence"] = _tf_evidence(ctx)
    return int(ctx.cache["tf_evidence"])


def _tf_evidence_row(ctx: Ctx, ident: int) -> Any:
    from digipark.transformation.models import AssessmentEvidence

    ctx.db.expire_all()
    row = ctx.db.get(AssessmentEvidence, ident)
    return None if row is None else (row.filename, row.size, row.sha256)


def check_tf_evidence_upload(ctx: Ctx) -> None:
    from digipark.transformation.models import AssessmentEvidence

    draft = _tf_assessment(ctx)
    before = _count(ctx.db, AssessmentEvidence)
    for park, role in _attackers():
        if park == "a" and role == "enterprise":
            continue  # the owner may upload
        assert_problem(_tf_upload(ctx, draft, role, park), *(_b_denial(role) if park == "b" else (403, 404)))
    assert _count(ctx.db, AssessmentEvidence) == before
    assert _tf_upload(ctx, draft).status_code == 201
    assert _tf_upload(ctx, draft, "enterprise").status_code == 201


def _tf_certificate(ctx: Ctx) -> dict[str, Any]:
    return {
        "enterprise_id": ctx.world.a.enterprise_ids[0],
        "scale": "GBT39116",
        "level": 2,
        "certificate_no": f"CMMM-{_next(ctx, 'tf_cert')}",
        "issuer": "中国电子技术标准化研究院",
        "issued_on": "2025-03-01",
    }


def _tf_certificate_id(ctx: Ctx) -> int:
    if "tf_certificate" not in ctx.cache:
        response = ctx.as_a_admin("POST", f"{_TF}/certificates", json=_tf_certificate(ctx))
        assert response.status_code == 201, response.text
        ident = int(response.json()["id"])
        files = {"file": ("cert.pdf", _TF_PDF, "application/pdf")}
        assert ctx.as_a_admin("POST", f"{_TF}/certificates/{ident}/file", files=files).status_code == 200
        ctx.cache["tf_certificate"] = ident
    return int(ctx.cache["tf_certificate"])


def check_tf_certificate_file(ctx: Ctx) -> None:
    from digipark.transformation.models import MaturityCertificate

    ident = _tf_certificate_id(ctx)
    url = f"{_TF}/certificates/{ident}/file"
    files = {"file": ("fake.pdf", b"%PDF-1.4 replaced", "application/pdf")}
    for park, role in _attackers():
        if park == "a" and role == "enterprise":
            continue  # the owner may attach a file (the certificate then waits for verification)
        assert_problem(
            ctx.call("POST", url, role, park, files=files), *(_b_denial(role) if park == "b" else (403, 404))
        )
    ctx.db.expire_all()
    row = ctx.db.get(MaturityCertificate, ident)
    assert row is not None and row.file_content == _TF_PDF
    assert ctx.as_a_admin("POST", url, files=files).status_code == 200


def _tf_entry(ctx: Ctx) -> int:
    body = {"kind": "product", "name": f"轻量MES{_next(ctx, 'tf_entry')}", "provider": "某软件公司", "scenes": ["S06"]}
    response = ctx.as_a_admin("POST", f"{_TF}/catalogue", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _tf_request_id(ctx: Ctx) -> int:
    body = {"enterprise_id": ctx.world.a.enterprise_ids[0], "entry_id": _tf_entry(ctx)}
    response = ctx.as_a_admin("POST", f"{_TF}/provider-requests", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


TRANSFORMATION_RESOURCES: list[tuple[Resource, str]] = [
    (
        Resource(
            "transformation/assessments",
            lambda ctx: {"enterprise_id": ctx.world.a.enterprise_ids[0], "year": 2000 + _next(ctx, "tf_year")},
            {"answers": {"Q01": ["B"]}},
            readers=frozenset({"enterprise"}),
            writers=frozenset({"enterprise"}),
        ),
        "list create get patch",
    ),
    (
        Resource(
            "transformation/evidence",
            lambda ctx: {},
            None,
            readers=frozenset({"enterprise"}),
            writers=frozenset({"enterprise"}),
            make_fn=_tf_evidence,
            snapshot_fn=_tf_evidence_row,
        ),
        "delete",
    ),
    (
        Resource(
            "transformation/certificates",
            _tf_certificate,
            {"issuer": "江苏省智能制造评估中心"},
            readers=frozenset({"enterprise"}),
            writers=frozenset({"enterprise"}),
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "transformation/adoption",
            lambda ctx: {
                "enterprise_id": ctx.world.a.enterprise_ids[0],
                "kind": "robot",
                "name": f"焊接机器人{_next(ctx, 'tf_robot')}",
                "count": 3,
                "started_on": "2025-01-01",
            },
            {"count": 5},
            readers=frozenset({"enterprise"}),
            writers=frozenset({"enterprise"}),
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "transformation/catalogue",
            lambda ctx: {"kind": "service", "name": f"数字化诊断{_next(ctx, 'tf_entry')}", "provider": "服务中心"},
            {"price_note": "免费"},
            readers=NON_STAFF,
            cross_creates=lambda ctx: [],
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "transformation/provider-requests",
            lambda ctx: {"enterprise_id": ctx.world.a.enterprise_ids[0], "entry_id": _tf_entry(ctx)},
            None,
            readers=frozenset({"enterprise"}),
            writers=frozenset({"enterprise"}),
        ),
        "list create get",
    ),
]
TRANSFORMATION: dict[tuple[str, str], Exercise] = {
    ("GET", f"{_TF}/questionnaire"): lambda ctx: static_view("transformation/questionnaire", ctx),
    ("POST", f"{_TF}/assessments/{{ident}}/submit"): lambda ctx: ident_action(
        IdentAction(
            "transformation/assessments/{ident}/submit",
            lambda c: _tf_assessment(c, complete=True),
            None,
            writers=frozenset({"enterprise"}),
        ),
        ctx,
    ),
    ("POST", f"{_TF}/assessments/{{ident}}/review"): lambda ctx: ident_action(
        IdentAction(
            "transformation/assessments/{ident}/review",
            lambda c: _tf_assessment(c, complete=True, submitted=True),
            lambda c: {"decision": "confirm"},
        ),
        ctx,
    ),
    ("GET", f"{_TF}/assessments/{{ident}}/revisions"): lambda ctx: ident_view(
        IdentView("transformation/assessments/{ident}/revisions", _tf_assessment_id, frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{_TF}/assessments/{{ident}}/evidence"): lambda ctx: ident_view(
        IdentView("transformation/assessments/{ident}/evidence", _tf_assessment_id, frozenset({"enterprise"})), ctx
    ),
    ("POST", f"{_TF}/assessments/{{ident}}/evidence"): check_tf_evidence_upload,
    ("GET", f"{_TF}/evidence/{{ident}}"): lambda ctx: ident_view(
        IdentView("transformation/evidence/{ident}", _tf_evidence_id, frozenset({"enterprise"})), ctx
    ),
    ("POST", f"{_TF}/certificates/{{ident}}/verify"): lambda ctx: ident_action(
        IdentAction("transformation/certificates/{ident}/verify", _tf_certificate_id, lambda c: {"verified": True}),
        ctx,
    ),
    ("POST", f"{_TF}/certificates/{{ident}}/file"): check_tf_certificate_file,
    ("GET", f"{_TF}/certificates/{{ident}}/file"): lambda ctx: ident_view(
        IdentView("transformation/certificates/{ident}/file", _tf_certificate_id, frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{_TF}/enterprises/{{ident}}/recommendations"): lambda ctx: ident_view(
        IdentView(
            "transformation/enterprises/{ident}/recommendations",
            lambda c: c.world.a.enterprise_ids[0],
            frozenset({"enterprise"}),
        ),
        ctx,
    ),
    ("POST", f"{_TF}/provider-requests/{{ident}}/status"): lambda ctx: ident_action(
        IdentAction(
            "transformation/provider-requests/{ident}/status", _tf_request_id, lambda c: {"status": "contacted"}
        ),
        ctx,
    ),
    ("GET", f"{_TF}/summary"): lambda ctx: park_view(ParkView("transformation/summary"), ctx),
}
for _res, _methods in TRANSFORMATION_RESOURCES:
    _add_resource(TRANSFORMATION, _res, _methods)
TABLE.update(TRANSFORMATION)


# -- energy and carbon (digipark.energy) ---------------------------------------------------------------------------
_EN = f"{API}/energy"
_EN_PDF = b"%PDF-1.4\n%energy\n"
_EN_PERIODS = [
    {"start": "00:00", "end": "08:00", "band": "valley"},
    {"start": "08:00", "end": "22:00", "band": "peak"},
    {"start": "22:00", "end": "24:00", "band": "flat"},
]


def _en_month(ctx: Ctx) -> str:
    n = _next(ctx, "en_month")
    return f"{2001 + n // 12}-{n % 12 + 1:02d}"


def _en_meter(ctx: Ctx) -> dict[str, Any]:
    return {
        "code": f"EN-M{_next(ctx, 'en_meter')}",
        "name": "企业总表",
        "level": "enterprise",
        "carrier": "electricity",
        "source": "manual",
        "enterprise_id": ctx.world.a.enterprise_ids[0],
    }


def _en_meter_id(ctx: Ctx) -> int:
    if "en_meter" not in ctx.cache:
        response = ctx.as_a_admin("POST", f"{_EN}/meters", json=_en_meter(ctx))
        assert response.status_code == 201, response.text
        ctx.cache["en_meter"] = int(response.json()["id"])
    return int(ctx.cache["en_meter"])


def _en_entry(ctx: Ctx) -> dict[str, Any]:
    return {"enterprise_id": ctx.world.a.enterprise_ids[0], "carrier": "diesel", "period": "2025-01", "quantity": 1.5}


def _en_entry_id(ctx: Ctx) -> int:
    if "en_entry" not in ctx.cache:
        response = ctx.as_a_admin("POST", f"{_EN}/entries", json=_en_entry(ctx))
        assert response.status_code == 201, response.text
        ident = int(response.json()["id"])
        files = {"file": ("发票.pdf", _EN_PDF, "application/pdf")}
        assert ctx.as_a_admin("POST", f"{_EN}/entries/{ident}/evidence", files=files).status_code == 200
        ctx.cache["en_entry"] = ident
    return int(ctx.cache["en_entry"])


def check_en_evidence_upload(ctx: Ctx) -> None:
    from digipark.energy.models import EnergyEntry

    ident = _en_entry_id(ctx)
    url = f"{_EN}/entries/{ident}/evidence"
    files = {"file": ("fake.pdf", b"%PDF-1.4 replaced", "application/pdf")}
    for park, role in _attackers():
        if park == "a" and role == "enterprise":
            continue  # the owner may attach its own evidence
        assert_problem(
            ctx.call("POST", url, role, park, files=files), *(_b_denial(role) if park == "b" else (403, 404))
        )
    ctx.db.expire_all()
    row = ctx.db.get(EnergyEntry, ident)
    assert row is not None and row.evidence == _EN_PDF
    assert ctx.as_a_admin("POST", url, files=files).status_code == 200


def _en_sheet(ctx: Ctx) -> tuple[list[str], list[list[Any]]]:
    uscc = ctx.db.scalar(select(Enterprise.uscc).where(Enterprise.id == ctx.world.a.enterprise_ids[0]))
    return (["enterprise_uscc", "period", "carrier", "quantity", "unit"], [[uscc, "2025-02", "bituminous", 12.5, "t"]])


def _en_tariff(ctx: Ctx) -> dict[str, Any]:
    return {
        "name": "分时电价",
        "valid_from": f"{2001 + _next(ctx, 'en_tariff')}-01-01",
        "periods": _EN_PERIODS,
        "prices": {"peak": 1.0, "flat": 0.6, "valley": 0.3},
    }


def check_en_import(ctx: Ctx) -> None:
    from digipark.energy.models import EnergyEntry

    upload(Upload("energy/entries/import", _en_sheet, EnergyEntry), ctx)


_EN_RANGE = {"from": 1735660800000, "to": 1735747200000}
ENERGY_RESOURCES: list[tuple[Resource, str]] = [
    (
        Resource(
            "energy/meters",
            _en_meter,
            {"name": "改名的表"},
            readers=frozenset({"enterprise"}),
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "energy/entries",
            _en_entry,
            {"quantity": 2.5},
            readers=frozenset({"enterprise"}),
            writers=frozenset({"enterprise"}),
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "energy/declarations",
            lambda ctx: {
                "enterprise_id": ctx.world.a.enterprise_ids[0],
                "period": _en_month(ctx),
                "product_output_t": 10,
            },
            {"product_output_t": 12},
            readers=frozenset({"enterprise"}),
            writers=frozenset({"enterprise"}),
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "energy/tariffs",
            _en_tariff,
            {"name": "新电价"},
            readers=NON_STAFF,
            cross_creates=lambda ctx: [{**_en_tariff(ctx), "park_id": ctx.world.a.park_id}],
        ),
        "list create get patch delete",
    ),
]
ENERGY: dict[tuple[str, str], Exercise] = {
    ("GET", f"{_EN}/meters/{{ident}}/consumption"): lambda ctx: ident_view(
        IdentView("energy/meters/{ident}/consumption", _en_meter_id, frozenset({"enterprise"}), {"year": 2025}), ctx
    ),
    ("GET", f"{_EN}/entries/template.xlsx"): lambda ctx: static_view("energy/entries/template.xlsx", ctx),
    ("POST", f"{_EN}/entries/import"): check_en_import,
    ("POST", f"{_EN}/entries/{{ident}}/evidence"): check_en_evidence_upload,
    ("GET", f"{_EN}/entries/{{ident}}/evidence"): lambda ctx: ident_view(
        IdentView("energy/entries/{ident}/evidence", _en_entry_id, frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{_EN}/settings"): lambda ctx: park_view(ParkView("energy/settings", readers=NON_STAFF), ctx),
    ("POST", f"{_EN}/settings"): lambda ctx: park_action(
        ParkAction(
            "energy/settings", lambda c: {"grid_basis": "regional", "grid_region": "华东", "park_id": c.world.a.park_id}
        ),
        ctx,
    ),
    ("GET", f"{_EN}/factors"): lambda ctx: static_view("energy/factors", ctx),
    ("GET", f"{_EN}/summary"): lambda ctx: park_view(ParkView("energy/summary", params={"year": 2025}), ctx),
    ("GET", f"{_EN}/enterprises/{{ident}}/account"): lambda ctx: ident_view(
        IdentView(
            "energy/enterprises/{ident}/account", lambda c: c.world.a.enterprise_ids[0], frozenset({"enterprise"})
        ),
        ctx,
    ),
    ("GET", f"{_EN}/enterprises/{{ident}}/suggestions"): lambda ctx: ident_view(
        IdentView(
            "energy/enterprises/{ident}/suggestions", lambda c: c.world.a.enterprise_ids[0], frozenset({"enterprise"})
        ),
        ctx,
    ),
    ("GET", f"{_EN}/enterprises/{{ident}}/report"): lambda ctx: ident_view(
        IdentView(
            "energy/enterprises/{ident}/report",
            lambda c: c.world.a.enterprise_ids[0],
            frozenset({"enterprise"}),
            {"year": 2025, "format": "xlsx"},
        ),
        ctx,
    ),
    ("GET", f"{_EN}/load-curve"): lambda ctx: park_view(
        ParkView("energy/load-curve", readers=frozenset({"enterprise", "enterprise2"}), params=_EN_RANGE), ctx
    ),
    ("GET", f"{_EN}/tariff-split"): lambda ctx: park_view(
        ParkView("energy/tariff-split", readers=frozenset({"enterprise", "enterprise2"}), params=_EN_RANGE), ctx
    ),
    ("GET", f"{_EN}/anomalies"): lambda ctx: park_view(
        ParkView("energy/anomalies", readers=frozenset({"enterprise", "enterprise2"}), params={"year": 2025}), ctx
    ),
}
for _res, _methods in ENERGY_RESOURCES:
    _add_resource(ENERGY, _res, _methods)
TABLE.update(ENERGY)


# -- telemetry device state and live stream (digipark.telemetry.live_api) -----------------------------------------
def check_device_states(ctx: Ctx) -> None:
    w = ctx.world
    meter, detector = w.a.device_ids
    url = f"{API}/telemetry/devices"
    every = {"page_size": 500}
    seen = {
        (park, role): {item["id"] for item in _items(ctx.call("GET", url, role, park, params=every).json())}
        for park, role in _attackers()
    }
    for park, role in _attackers():
        expected = {
            ("a", "reviewer"): {meter, detector},
            ("a", "enterprise"): {meter},
        }.get((park, role), set())
        assert seen[park, role] & {meter, detector} == expected, (park, role)
    assert {meter, detector} <= {item["id"] for item in _items(ctx.as_a_admin("GET", url).json())}


def check_live_points(ctx: Ctx) -> None:
    """Only refusals are requested here (a granted stream never ends); tests/telemetry/test_live.py streams."""
    w = ctx.world
    meter_point, park_point = w.a.point_ids[0], w.a.point_ids[4]
    for park, role in _attackers():
        if park == "a" and role == "reviewer":
            continue
        points = [meter_point] if (park, role) != ("a", "enterprise") else [meter_point, park_point]
        response = ctx.call("GET", f"{API}/live/points", role, park, params={"point_id": points})
        assert_problem(response, 403, 404)


TABLE.update(
    {
        ("GET", f"{API}/telemetry/devices"): check_device_states,
        ("GET", f"{API}/telemetry/devices/{{ident}}"): lambda ctx: ident_view(
            IdentView("telemetry/devices/{ident}", lambda c: c.world.a.device_ids[0], frozenset({"enterprise"})), ctx
        ),
        ("GET", f"{API}/live/points"): check_live_points,
    }
)


# -- alarms (digipark.alarms) ------------------------------------------------------------------------------------
_AL = f"{API}/alarms"


def _al_rule_body(ctx: Ctx) -> dict[str, Any]:
    """A rule on park A's enterprise-0 power point (so enterprise 0 reads it)."""
    return {
        "name": f"功率过高{_next(ctx, 'al_rule')}",
        "severity": "major",
        "conditions": [{"type": "threshold", "op": "above", "high": 500, "hysteresis": 10}],
        "point_id": ctx.world.a.point_ids[1],
    }


def _al_alarm(ctx: Ctx, state: str = "raised") -> int:
    """An alarm of enterprise 0's power point in park A, written as the rules engine writes it."""
    from digipark.alarms.models import Alarm

    response = ctx.as_a_admin("POST", f"{_AL}/rules", json=_al_rule_body(ctx))
    assert response.status_code == 201, response.text
    rule_id, point_id = int(response.json()["id"]), ctx.world.a.point_ids[1]
    alarm = Alarm(
        park_id=ctx.world.a.park_id,
        enterprise_id=ctx.world.a.enterprise_ids[0],
        open_key=f"{rule_id}:{point_id}",
        rule_id=rule_id,
        point_id=point_id,
        severity="major",
        state=state,
        message="功率过高",
        trigger_ts=1_767_225_600_000,
        trigger_value=600.0,
    )
    ctx.db.add(alarm)
    ctx.db.flush()
    return alarm.id


def check_live_alarms(ctx: Ctx) -> None:
    """Only refusals are requested here (a granted stream never ends); tests/alarms streams."""
    for park in ("a", "b"):
        assert_problem(ctx.call("GET", f"{API}/live/alarms", "resident", park), 403)


ALARMS_RESOURCES: list[tuple[Resource, str]] = [
    (
        Resource(
            "alarms/rules",
            _al_rule_body,
            {"severity": "minor"},
            readers=frozenset({"enterprise"}),
            cross_creates=lambda ctx: [_al_rule_body(ctx), {**_al_rule_body(ctx), "park_id": ctx.world.a.park_id}],
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "alarms/contacts",
            lambda ctx: {"name": f"值班员{_next(ctx, 'al_contact')}", "channel": "email", "address": "duty@park.cn"},
            {"level": 1},
            cross_creates=lambda ctx: [
                {"name": "值班员", "channel": "email", "address": "duty@park.cn", "park_id": ctx.world.a.park_id}
            ],
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "alarms",
            lambda ctx: {},
            None,
            readers=frozenset({"enterprise"}),
            make_fn=_al_alarm,
        ),
        "list get",
    ),
]
ALARMS: dict[tuple[str, str], Exercise] = {
    ("POST", f"{_AL}/{{ident}}/acknowledge"): lambda ctx: ident_action(
        IdentAction(
            "alarms/{ident}/acknowledge", _al_alarm, lambda c: {"comment": "在处理"}, writers=frozenset({"enterprise"})
        ),
        ctx,
    ),
    ("POST", f"{_AL}/{{ident}}/close"): lambda ctx: ident_action(
        IdentAction(
            "alarms/{ident}/close", lambda c: _al_alarm(c, "cleared"), lambda c: {}, writers=frozenset({"enterprise"})
        ),
        ctx,
    ),
    ("GET", f"{_AL}/stats"): lambda ctx: park_view(
        ParkView("alarms/stats", readers=frozenset({"enterprise", "enterprise2"})), ctx
    ),
    ("GET", f"{API}/live/alarms"): check_live_alarms,
}
for _res, _methods in ALARMS_RESOURCES:
    _add_resource(ALARMS, _res, _methods)
TABLE.update(ALARMS)


# -- environment (digipark.environment) ----------------------------------------------------------------------------
_ENV = f"{API}/environment"


def _env_batch_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "enterprise_id": ctx.world.a.enterprise_ids[0],
        "code": f"HWB{_next(ctx, 'env_batch')}",
        "category": "HW08",
        "waste_code": "900-249-08",
        "name": "废矿物油",
        "quantity": 1,
        "stored_on": "2025-01-01",
    }


def _env_batch(ctx: Ctx) -> int:
    if "env_batch" not in ctx.cache:
        response = ctx.as_a_admin("POST", f"{_ENV}/hazardous-batches", json=_env_batch_body(ctx))
        assert response.status_code == 201, response.text
        ctx.cache["env_batch"] = response.json()["id"]
    return int(ctx.cache["env_batch"])


def _env_manifest_body(ctx: Ctx) -> dict[str, Any]:
    year = _evaluation_year()
    return {
        "batch_id": _env_batch(ctx),
        "number": f"MF-TA-{_next(ctx, 'env_manifest')}",
        "quantity": 0.01,
        "carrier": "危运公司",
        "receiver": "处置公司",
        "receiver_licence": "JS-0001",
        "shipped_on": f"{year}-01-02",
    }


def _env_outlet(ctx: Ctx) -> int:
    if "env_outlet" not in ctx.cache:
        body = {
            "enterprise_id": ctx.world.a.enterprise_ids[0],
            "code": f"DW{_next(ctx, 'env_outlet')}",
            "name": "总排口",
            "medium": "water",
            "standard": "GB8978-1996-1",
        }
        response = ctx.as_a_admin("POST", f"{_ENV}/outlets", json=body)
        assert response.status_code == 201, response.text
        ctx.cache["env_outlet"] = response.json()["id"]
    return int(ctx.cache["env_outlet"])


def _env_waste_markers(ctx: Ctx) -> list[str]:
    body = {
        "enterprise_id": ctx.world.a.enterprise_ids[0],
        "category": "SW59",
        "month": f"{_evaluation_year()}-01-01",
        "generated": 1,
        "utilised": 1,
        "notes": "台账标记TA",
    }
    response = ctx.as_a_admin("POST", f"{_ENV}/waste-entries", json=body)
    assert response.status_code == 201, response.text
    return ["台账标记TA"]


def _env_manifest_markers(ctx: Ctx) -> list[str]:
    body = _env_manifest_body(ctx)
    response = ctx.as_a_admin("POST", f"{_ENV}/manifests", json=body)
    assert response.status_code == 201, response.text
    return [body["number"]]


_ENV_OWN = frozenset({"enterprise"})
ENVIRONMENT_RESOURCES: list[tuple[Resource, str]] = [
    (
        Resource(
            "environment/outlets",
            lambda ctx: {
                "enterprise_id": ctx.world.a.enterprise_ids[0],
                "code": f"DW{_next(ctx, 'env_outlet')}",
                "name": "排口",
                "medium": "water",
                "standard": "GB8978-1996-1",
            },
            {"name": "被改名的排口"},
            readers=_ENV_OWN,
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "environment/permits",
            lambda ctx: {
                "enterprise_id": ctx.world.a.enterprise_ids[0],
                "permit_no": "91320500MA0001X001P",
                "year": 2000 + _next(ctx, "env_permit"),
                "factor": "cod",
                "annual": 10,
            },
            {"annual": 20},
            readers=_ENV_OWN,
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "environment/waste-entries",
            lambda ctx: {
                "enterprise_id": ctx.world.a.enterprise_ids[0],
                "category": "SW07",
                "month": f"{2000 + _next(ctx, 'env_waste')}-01-01",
                "generated": 2,
                "utilised": 1,
                "stored": 1,
            },
            {"generated": 3, "utilised": 2},
            readers=_ENV_OWN,
            writers=_ENV_OWN,
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "environment/hazardous-batches",
            _env_batch_body,
            {"quantity": 2},
            readers=_ENV_OWN,
            writers=_ENV_OWN,
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "environment/manifests",
            _env_manifest_body,
            {"carrier": "另一家危运公司"},
            readers=_ENV_OWN,
            writers=_ENV_OWN,
        ),
        "list create get patch",
    ),
]
ENVIRONMENT: dict[tuple[str, str], Exercise] = {
    ("GET", f"{_ENV}/reference"): lambda ctx: static_view("environment/reference", ctx),
    ("GET", f"{_ENV}/outlets/{{ident}}/averages"): lambda ctx: ident_view(
        IdentView("environment/outlets/{ident}/averages", _env_outlet, _ENV_OWN), ctx
    ),
    ("GET", f"{_ENV}/outlets/{{ident}}/latest"): lambda ctx: ident_view(
        IdentView("environment/outlets/{ident}/latest", _env_outlet, _ENV_OWN), ctx
    ),
    ("GET", f"{_ENV}/exceedances"): lambda ctx: park_view(
        ParkView("environment/exceedances", readers=frozenset({"enterprise", "enterprise2", "resident"})), ctx
    ),
    ("POST", f"{_ENV}/exceedances/scan"): lambda ctx: park_action(
        ParkAction(
            "environment/exceedances/scan",
            lambda c: {"park_id": c.world.a.park_id, "first": "2026-03-01", "last": "2026-03-01"},
        ),
        ctx,
    ),
    ("GET", f"{_ENV}/permit-usage"): lambda ctx: park_view(
        ParkView("environment/permit-usage", readers=frozenset({"enterprise", "enterprise2", "resident"})), ctx
    ),
    ("GET", f"{_ENV}/waste-entries.{{fmt}}"): lambda ctx: export_view(
        Export("environment/waste-entries.{fmt}", _env_waste_markers, _ENV_OWN), ctx
    ),
    ("GET", f"{_ENV}/manifests.{{fmt}}"): lambda ctx: export_view(
        Export("environment/manifests.{fmt}", _env_manifest_markers, _ENV_OWN), ctx
    ),
    ("GET", f"{_ENV}/enterprises/{{ident}}/summary"): lambda ctx: ident_view(
        IdentView("environment/enterprises/{ident}/summary", lambda c: c.world.a.enterprise_ids[0], _ENV_OWN), ctx
    ),
}
for _res, _methods in ENVIRONMENT_RESOURCES:
    _add_resource(ENVIRONMENT, _res, _methods)
TABLE.update(ENVIRONMENT)


# -- safety (digipark.safety) --------------------------------------------------------------------------------------
_SF = f"{API}/safety"
_SF_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def _sf_point_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "enterprise_id": ctx.world.a.enterprise_ids[0],
        "code": f"RP{_next(ctx, 'sf_point')}",
        "name": "液氨储罐",
        "responsible_person": "张工",
        "method": "LEC",
        "l_value": 3,
        "e_value": 6,
        "c_value": 15,
    }


def _sf_hazard_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "enterprise_id": ctx.world.a.enterprise_ids[0],
        "code": f"HS{_next(ctx, 'sf_hazard')}",
        "name": "液氯库",
        "unit_kind": "storage",
        "exposed_people": 60,
        "substances": [{"name": "液氯", "quantity_t": 20}],
    }


def _sf_danger(ctx: Ctx, *, assigned: bool = False, rectified: bool = False) -> int:
    body = {"enterprise_id": ctx.world.a.enterprise_ids[0], "title": f"消防通道堵塞{_next(ctx, 'sf_danger')}"}
    response = ctx.as_a_admin("POST", f"{_SF}/hidden-dangers", json=body)
    assert response.status_code == 201, response.text
    ident = int(response.json()["id"])
    if assigned or rectified:
        step = ctx.as_a_admin(
            "POST", f"{_SF}/hidden-dangers/{ident}/assign", json={"assignee": "物业", "deadline": "2099-01-01"}
        )
        assert step.status_code == 200, step.text
    if rectified:
        step = ctx.as_a_admin("POST", f"{_SF}/hidden-dangers/{ident}/rectify", json={"rectification": "已清理"})
        assert step.status_code == 200, step.text
    return ident


def _sf_incident_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "enterprise_id": ctx.world.a.enterprise_ids[0],
        "title": f"储罐区异味{_next(ctx, 'sf_incident')}",
        "kind": "leak",
        "building_id": ctx.world.a.building_id,
    }


def _sf_incident(ctx: Ctx) -> int:
    response = ctx.as_a_admin("POST", f"{_SF}/incidents", json=_sf_incident_body(ctx))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _sf_incident_id(ctx: Ctx) -> int:
    if "sf_incident_id" not in ctx.cache:
        ctx.cache["sf_incident_id"] = _sf_incident(ctx)
    return int(ctx.cache["sf_incident_id"])


def _sf_task_body(ctx: Ctx) -> dict[str, Any]:
    return {"title": "堵漏", "assignee": "园区消防队", "deadline": "2099-01-01T00:00:00+08:00"}


def _sf_task(ctx: Ctx) -> int:
    response = ctx.as_a_admin("POST", f"{_SF}/incidents/{_sf_incident(ctx)}/tasks", json=_sf_task_body(ctx))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _sf_photo(ctx: Ctx, ident: int, who: str = "park_admin", park: str = "a") -> Response:
    return ctx.call(
        "POST", f"{_SF}/incidents/{ident}/photos", who, park, files={"file": ("现场.png", _SF_PNG, "image/png")}
    )


def _sf_photo_id(ctx: Ctx) -> int:
    if "sf_photo" not in ctx.cache:
        response = _sf_photo(ctx, _sf_incident_id(ctx))
        assert response.status_code == 201, response.text
        ctx.cache["sf_photo"] = response.json()["id"]
    return int(ctx.cache["sf_photo"])


def check_sf_photo_upload(ctx: Ctx) -> None:
    from digipark.safety.models import IncidentPhoto

    ident = _sf_incident(ctx)
    before = _count(ctx.db, IncidentPhoto)
    for park, role in _attackers():
        if park == "a" and role == "enterprise":
            continue  # the owner may add photos to its own incident
        assert_problem(_sf_photo(ctx, ident, role, park), *(_b_denial(role) if park == "b" else (403, 404)))
    assert _count(ctx.db, IncidentPhoto) == before
    assert _sf_photo(ctx, ident).status_code == 201
    assert _sf_photo(ctx, ident, "enterprise").status_code == 201


def check_sf_from_alarm(ctx: Ctx) -> None:
    from digipark.safety.models import Incident

    alarm = _al_alarm(ctx)
    url = f"{_SF}/incidents/from-alarm"
    before = _count(ctx.db, Incident)
    for park, role in _attackers():
        if park == "a" and role == "enterprise":
            continue  # the alarm is enterprise 0's own: it may open an incident from it
        response = ctx.call("POST", url, role, park, json={"alarm_id": alarm, "kind": "other"})
        assert_problem(response, *(_b_denial(role) if park == "b" else (403, 404)))
    assert _count(ctx.db, Incident) == before
    response = ctx.as_a_admin("POST", url, json={"alarm_id": alarm})
    assert response.status_code == 201 and response.json()["alarm_id"] == alarm, response.text
    assert_problem(ctx.as_a_admin("POST", url, json={"alarm_id": alarm}), 409)  # one open incident per alarm


def check_sf_evaluate(ctx: Ctx) -> None:
    """A calculation on the caller's input: no park data in or out."""
    body = {"exposed_people": 60, "substances": [{"name": "液氯", "quantity_t": 20}]}
    for park, role in _attackers():
        response = ctx.call("POST", f"{_SF}/hazard-sources/evaluate", role, park, json=body)
        assert response.status_code == 200 and response.json()["r_value"] == 24, response.text
        assert not any(marker in response.text for marker in _a_markers(ctx))


_SF_OWN = frozenset({"enterprise"})
SAFETY_RESOURCES: list[tuple[Resource, str]] = [
    (
        Resource("safety/risk-points", _sf_point_body, {"name": "改名"}, readers=_SF_OWN, writers=_SF_OWN),
        "list create get patch delete",
    ),
    (
        Resource("safety/hazard-sources", _sf_hazard_body, {"exposed_people": 120}, readers=_SF_OWN, writers=_SF_OWN),
        "list create get patch delete",
    ),
    (
        Resource(
            "safety/hidden-dangers",
            lambda ctx: {"enterprise_id": ctx.world.a.enterprise_ids[0], "title": f"隐患{_next(ctx, 'sf_danger')}"},
            {"title": "改名"},
            readers=_SF_OWN,
            writers=_SF_OWN,
        ),
        "list create get patch",
    ),
    (
        Resource(
            "safety/plans",
            lambda ctx: {
                "enterprise_id": ctx.world.a.enterprise_ids[0],
                "code": f"P{_next(ctx, 'sf_plan')}",
                "title": "现场处置方案",
                "plan_type": "onsite",
            },
            {"version": "2"},
            readers=_SF_OWN,
            writers=_SF_OWN,
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "safety/resources",
            lambda ctx: {"kind": "team", "name": f"消防队{_next(ctx, 'sf_res')}", "zone_id": ctx.world.a.zone_id},
            {"phone": "119"},
            readers=NON_STAFF,
            cross_creates=lambda ctx: [
                {"kind": "team", "name": "消防队", "zone_id": ctx.world.a.zone_id},
                {"kind": "team", "name": "消防队", "building_id": ctx.world.a.building_id},
            ],
        ),
        "list create get patch delete",
    ),
    (
        Resource("safety/incidents", _sf_incident_body, None, readers=_SF_OWN, writers=_SF_OWN),
        "list create get",
    ),
]
SAFETY: dict[tuple[str, str], Exercise] = {
    ("GET", f"{_SF}/reference"): lambda ctx: static_view("safety/reference", ctx),
    ("POST", f"{_SF}/hazard-sources/evaluate"): check_sf_evaluate,
    ("POST", f"{_SF}/hidden-dangers/{{ident}}/assign"): lambda ctx: ident_action(
        IdentAction(
            "safety/hidden-dangers/{ident}/assign",
            _sf_danger,
            lambda c: {"assignee": "物业", "deadline": "2099-01-01"},
            writers=_SF_OWN,
        ),
        ctx,
    ),
    ("POST", f"{_SF}/hidden-dangers/{{ident}}/rectify"): lambda ctx: ident_action(
        IdentAction(
            "safety/hidden-dangers/{ident}/rectify",
            lambda c: _sf_danger(c, assigned=True),
            lambda c: {"rectification": "已清理"},
            writers=_SF_OWN,
        ),
        ctx,
    ),
    ("POST", f"{_SF}/hidden-dangers/{{ident}}/verify"): lambda ctx: ident_action(
        IdentAction(
            "safety/hidden-dangers/{ident}/verify", lambda c: _sf_danger(c, rectified=True), lambda c: {"passed": True}
        ),
        ctx,
    ),
    ("GET", f"{_SF}/risk-picture"): lambda ctx: park_view(
        ParkView("safety/risk-picture", readers=frozenset({"enterprise", "enterprise2"})), ctx
    ),
    ("POST", f"{_SF}/incidents/from-alarm"): check_sf_from_alarm,
    ("GET", f"{_SF}/incidents/{{ident}}/timeline"): lambda ctx: ident_view(
        IdentView("safety/incidents/{ident}/timeline", _sf_incident_id, _SF_OWN), ctx
    ),
    ("POST", f"{_SF}/incidents/{{ident}}/notes"): lambda ctx: ident_action(
        IdentAction("safety/incidents/{ident}/notes", _sf_incident, lambda c: {"text": "现场已警戒"}, writers=_SF_OWN),
        ctx,
    ),
    ("POST", f"{_SF}/incidents/{{ident}}/photos"): check_sf_photo_upload,
    ("GET", f"{_SF}/photos/{{ident}}"): lambda ctx: ident_view(
        IdentView("safety/photos/{ident}", _sf_photo_id, _SF_OWN), ctx
    ),
    ("POST", f"{_SF}/incidents/{{ident}}/tasks"): lambda ctx: ident_action(
        IdentAction("safety/incidents/{ident}/tasks", _sf_incident, _sf_task_body), ctx
    ),
    ("POST", f"{_SF}/tasks/{{ident}}/status"): lambda ctx: ident_action(
        IdentAction("safety/tasks/{ident}/status", _sf_task, lambda c: {"status": "done"}), ctx
    ),
    ("GET", f"{_SF}/incidents/{{ident}}/nearest-resources"): lambda ctx: ident_view(
        IdentView("safety/incidents/{ident}/nearest-resources", _sf_incident_id, _SF_OWN), ctx
    ),
    ("POST", f"{_SF}/incidents/{{ident}}/close"): lambda ctx: ident_action(
        IdentAction("safety/incidents/{ident}/close", _sf_incident, lambda c: {"summary": "处置完毕"}), ctx
    ),
    ("GET", f"{_SF}/incidents/{{ident}}/report.json"): lambda ctx: ident_view(
        IdentView("safety/incidents/{ident}/report.json", _sf_incident_id, _SF_OWN), ctx
    ),
    # without a configured webhook the command's push is refused with 409 (past every tenancy check); the push to a
    # live server is tested in tests/safety/test_service.py and test_emergency_flow.py
    ("POST", f"{_SF}/incidents/{{ident}}/push"): lambda ctx: ident_action(
        IdentAction("safety/incidents/{ident}/push", _sf_incident, None, ok=(409,)), ctx
    ),
}
for _res, _methods in SAFETY_RESOURCES:
    _add_resource(SAFETY, _res, _methods)
TABLE.update(SAFETY)


# -- notices (digipark.notices) ----------------------------------------------------------------------------------
_NT = f"{API}/notices"


def _nt_body(ctx: Ctx) -> dict[str, Any]:
    return {"title": f"停电通知{_next(ctx, 'nt')}", "body": "明日二区停电。", "category": "outage"}


def _nt_draft(ctx: Ctx) -> int:
    response = ctx.as_a_admin("POST", _NT, json=_nt_body(ctx))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _nt_published(ctx: Ctx) -> int:
    ident = _nt_draft(ctx)
    response = ctx.as_a_admin("POST", f"{_NT}/{ident}/publish")
    assert response.status_code == 200, response.text
    return ident


def check_nt_unread(ctx: Ctx) -> None:
    ident = _nt_published(ctx)
    for park, role in _attackers():
        response = ctx.call("GET", f"{_NT}/unread", role, park)
        assert response.status_code == 200, response.text
        assert (ident in response.json()["ids"]) == (park == "a"), (park, role)


NOTICES: dict[tuple[str, str], Exercise] = {
    ("GET", f"{_NT}/unread"): check_nt_unread,
    ("POST", f"{_NT}/{{ident}}/publish"): lambda ctx: ident_action(
        IdentAction("notices/{ident}/publish", _nt_draft, None), ctx
    ),
    # every reader leaves its own receipt: only other parks are refused
    ("POST", f"{_NT}/{{ident}}/read"): lambda ctx: ident_action(
        IdentAction("notices/{ident}/read", _nt_published, None, writers=frozenset(A_READ_ONLY_ROLES)), ctx
    ),
    ("GET", f"{_NT}/{{ident}}/receipts"): lambda ctx: ident_view(
        IdentView("notices/{ident}/receipts", _nt_published, reviewer_reads=False), ctx
    ),
}
_add_resource(
    NOTICES,
    Resource(
        "notices",
        _nt_body,
        {"title": "改名"},
        readers=NON_STAFF,
        make_fn=_nt_published,
        cross_creates=lambda ctx: [{**_nt_body(ctx), "park_id": ctx.world.a.park_id}],
    ),
    "list create get patch delete",
)
TABLE.update(NOTICES)


# -- the route table comes from the module records --------------------------------------------------------------
def record_routes(part: str) -> set[tuple[str, str]]:
    """(method, path) of every route of the records' `routers` or `pages`."""
    return {
        (method, context.path)
        for module in MODULES
        for ref in getattr(module, part)
        for context in iter_route_contexts(resolve(ref).routes)
        for method in context.methods or ()
    }


API_ROUTES = record_routes("routers")
PAGE_ROUTES = record_routes("pages")


def _route_id(route: Any) -> str:
    return f"{route[0]} {route[1]}" if isinstance(route, tuple) else str(route)


def mounted_routes(app: Any) -> dict[tuple[str, str], Any]:
    """(method, path) of every route the app serves -> the route object it serves it with."""
    return {
        (method, context.path or ""): context.original_route
        for context in iter_route_contexts(app.routes)
        for method in context.methods or ()
    }


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
    api = {route for route, original in mounted.items() if isinstance(original, APIRoute) and route[1].startswith(API)}
    assert api == API_ROUTES, sorted(api ^ API_ROUTES)
    stale = sorted(set(TABLE) - API_ROUTES)
    assert not stale, f"TABLE names routes the records no longer declare: {stale}"


@pytest.mark.parametrize("route", sorted(API_ROUTES), ids=_route_id)
def test_cross_tenant(route: tuple[str, str], client: TestClient, world: World, db: Session) -> None:
    exercise = TABLE.get(route)
    assert exercise is not None, f"{_route_id(route)} has no tenancy exercise: add it to TABLE in tests/test_tenancy.py"
    exercise(Ctx(client, world, db))


def _concrete(path: str, world: World) -> str:
    kind = path.removeprefix(API + "/").split("/")[0].split(".")[0]
    ident = KIND_BY_PATH[kind].row(world.a) if kind in KIND_BY_PATH else 1
    return path.replace("{ident}", str(ident)).replace("{fmt}", "csv")


@pytest.mark.parametrize("route", sorted(API_ROUTES - PUBLIC_ROUTES), ids=_route_id)
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
    counts = {model: _count(db, model) for model in (Zone, Enterprise, Device, Point, User, ApiToken)}
    response = client.request(method, _concrete(path, world), headers=headers, json=body)
    assert_problem(response, 401)
    assert response.json()["type"].endswith("/not-authenticated")
    assert {model: _count(db, model) for model in counts} == counts


# -- a provincial reviewer ------------------------------------------------------------------------------------
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
            assert _park_ids(db, spec.model, pw.park_id) <= ids, spec.path
            url = f"{API}/{spec.path}/{spec.row(pw)}"
            before = client.get(url, headers=headers)
            assert before.status_code == 200
            assert_problem(client.patch(url, headers=headers, json=spec.patch), 403)
            if spec.create is not None:
                assert_problem(client.delete(url, headers=headers), 403)
                count = _count(db, spec.model)
                body = spec.create(pw)
                if spec.model in (Zone, LandParcel, Building, Enterprise, Device):
                    body = {**body, "park_id": pw.park_id}
                assert_problem(client.post(f"{API}/{spec.path}", headers=headers, json=body), 403)
                assert _count(db, spec.model) == count
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


# -- web pages (every record's `pages` routers) ------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class PageObject:
    """How to get a row of park A for a page route with a parameter. `private`: the row is enterprise 0's (or the
    park staff's), so park A's other enterprise may not see it either; otherwise it is visible park-wide.
    `every_park`: the parameter names no row (an indicator key): each park's users see their own park's page."""

    ident: Callable[[Ctx], int | str]
    private: bool = True
    every_park: bool = False


def _made(path: str) -> Callable[[Ctx], int]:
    """A row park A's admin creates through the `Resource` of `path` (owned by enterprise 0 where owned)."""
    resources = [
        *ECONOMY_RESOURCES,
        *TRANSFORMATION_RESOURCES,
        *ENERGY_RESOURCES,
        *ALARMS_RESOURCES,
        *ENVIRONMENT_RESOURCES,
        *SAFETY_RESOURCES,
    ]
    resource = next(res for res, _ in resources if res.path == path)
    return lambda ctx: int(resource.make(ctx))


PAGE_OBJECTS: dict[str, PageObject] = {
    "/telemetry/devices/{ident}": PageObject(lambda ctx: ctx.world.a.device_ids[0]),
    **{
        f"/{spec.path}{suffix}": PageObject(
            lambda ctx, spec=spec: spec.row(ctx.world.a), private="enterprise2" not in spec.readers
        )
        for spec in KINDS
        for suffix in ("/{ident}", "/{ident}/edit")
    },
    "/enterprises/{ident}/archive": PageObject(lambda ctx: ctx.world.a.enterprise_ids[0]),
    "/economy/statistics/{ident}": PageObject(_statistic_id),
    "/economy/chains/{ident}": PageObject(lambda ctx: _chain(ctx)["id"], private=False),
    "/economy/leads/{ident}": PageObject(_lead_id),
    "/evaluation/snapshots/{ident}": PageObject(_evaluation_snapshot_id),
    "/evaluation/indicators/{key}": PageObject(lambda ctx: "statistics_reporting", private=False, every_park=True),
    "/transformation/enterprises/{ident}": PageObject(lambda ctx: ctx.world.a.enterprise_ids[0]),
    "/transformation/certificates/{ident}/file": PageObject(_tf_certificate_id),
    "/transformation/assessments/{ident}": PageObject(_tf_assessment_id),
    "/transformation/evidence/{ident}": PageObject(_tf_evidence_id),
    "/environment/outlets/{ident}": PageObject(_env_outlet),
    "/alarms/{ident}": PageObject(_al_alarm),
    "/energy/enterprises/{ident}": PageObject(lambda ctx: ctx.world.a.enterprise_ids[0]),
    "/safety/risk-points/{ident}": PageObject(_made("safety/risk-points")),
    "/safety/hazard-sources/{ident}": PageObject(_made("safety/hazard-sources")),
    "/safety/hidden-dangers/{ident}": PageObject(_sf_danger),
    "/safety/incidents/{ident}": PageObject(_sf_incident_id),
    "/safety/incidents/{ident}/report": PageObject(_sf_incident_id),
    "/safety/photos/{ident}": PageObject(_sf_photo_id),
    "/safety/plans/{ident}": PageObject(_made("safety/plans")),
}


def _streams(path: str) -> bool:
    """Whether the page route at `path` answers with an endless stream (server-sent events)."""
    for module in MODULES:
        for ref in module.pages:
            for context in iter_route_contexts(resolve(ref).routes):
                if context.path == path and isinstance(context.original_route, APIRoute):
                    returns = typing.get_type_hints(context.original_route.endpoint).get("return")
                    return isinstance(returns, type) and issubclass(returns, StreamingResponse)
    return False


def check_live_points_page(ctx: Ctx) -> None:
    """Only refusals (a granted stream never ends): no other tenant's points, whoever asks."""
    meter_point = ctx.world.a.point_ids[0]
    for park, role in [("b", role) for role in B_ROLES] + [("a", "enterprise2")]:
        response = ctx.call("GET", "/telemetry/live", role, park, params={"point_id": [meter_point]})
        assert _page_denied(response) or response.status_code == 422, (park, role, response.status_code)


def check_live_alarms_page(ctx: Ctx) -> None:
    for park in ("a", "b"):
        response = ctx.call("GET", "/alarms/live", "resident", park, follow_redirects=False)
        assert _page_denied(response), (park, response.status_code)


STREAM_PAGES: dict[str, Exercise] = {"/telemetry/live": check_live_points_page, "/alarms/live": check_live_alarms_page}
GET_PAGES = sorted(path for method, path in PAGE_ROUTES if method == "GET")
OBJECT_PAGES = [path for path in GET_PAGES if "{" in path]
LIST_PAGES = [path for path in GET_PAGES if "{" not in path and not _streams(path)]


def _page_denied(response: Response) -> bool:
    """Not found, forbidden, or sent to the login page: never the page."""
    if response.status_code in (301, 302, 303, 307):
        return response.headers.get("location", "").split("?")[0].endswith("/login")
    return response.status_code in (403, 404)


def _enterprise_markers(db: Session, enterprise_id: int) -> list[str]:
    row = db.execute(select(Enterprise.name, Enterprise.uscc).where(Enterprise.id == enterprise_id)).one()
    return list(row)


def test_every_page_route_with_a_parameter_has_an_object(app_instance: Any) -> None:
    missing = sorted(set(OBJECT_PAGES) - set(PAGE_OBJECTS))
    assert not missing, f"page routes without a PageObject in tests/test_tenancy.py: {missing}"
    stale = sorted(set(PAGE_OBJECTS) - set(OBJECT_PAGES))
    assert not stale, f"PAGE_OBJECTS names pages the records no longer declare: {stale}"


@pytest.mark.parametrize("path", sorted(path for path in GET_PAGES if _streams(path)))
def test_live_page_streams_nothing_of_another_tenant(path: str, client: TestClient, world: World, db: Session) -> None:
    exercise = STREAM_PAGES.get(path)
    assert exercise is not None, f"{path} streams: add its refusals to STREAM_PAGES in tests/test_tenancy.py"
    exercise(Ctx(client, world, db))


@pytest.mark.parametrize("path", OBJECT_PAGES)
def test_object_page_of_another_tenant_is_denied(path: str, client: TestClient, world: World, db: Session) -> None:
    obj = PAGE_OBJECTS.get(path)
    assert obj is not None, f"{path} has no PageObject in tests/test_tenancy.py"
    ctx = Ctx(client, world, db)
    url = re.sub(r"\{[a-z_]+\}", str(obj.ident(ctx)), path)
    own = ctx.as_a_admin("GET", url, follow_redirects=False)
    # the object and its page are real (a snapshot's page sends to its park's evaluation)
    assert own.status_code == 200 or (own.status_code == 303 and not _page_denied(own)), (url, own.status_code)
    if obj.every_park:
        assert any(marker in own.text for marker in _a_markers(ctx)), url  # else the marker check proves nothing
    markers = _enterprise_markers(db, world.a.enterprise_ids[0])
    attackers = [("b", role) for role in B_ROLES]
    if obj.private:
        attackers.append(("a", "enterprise2"))
    for park, role in attackers:
        response = ctx.call("GET", url, role, park, follow_redirects=False)
        if obj.every_park and response.status_code == 200:
            assert not [m for m in _a_markers(ctx) if m in response.text], (url, park, role)
            continue
        assert _page_denied(response), (url, park, role, response.status_code, response.text[:500])
        assert not [marker for marker in markers if marker in response.text], (url, park, role)


# list pages that list rows of enterprise 0 to park A's admin (so that their absence for others proves something)
ROW_LISTS = frozenset(
    {
        "/devices",
        "/enterprises",
        "/rooms",
        "/economy/statistics",
        "/environment",
        "/safety/hidden-dangers",
        "/safety/incidents",
        "/safety/risk-points",
        "/safety/hazard-sources",
        "/safety/plans",
        "/telemetry/devices",
        "/transformation/review",
    }
)


def _enterprise_0_rows(ctx: Ctx) -> list[str]:
    """Make a row of enterprise 0 of park A in every domain; the text that only those rows (and it) show."""
    for make in (_sf_incident, _sf_danger, _made("safety/risk-points"), _made("safety/hazard-sources")):
        make(ctx)
    for make in (_made("safety/plans"), _env_outlet, _al_alarm, _statistic_id, _tf_assessment_id, _en_meter_id):
        make(ctx)
    rows = ["储罐区异味1", "消防通道堵塞1", "液氨储罐", "液氯库"]  # incident, hidden danger, risk point, hazard source
    return [*_enterprise_markers(ctx.db, ctx.world.a.enterprise_ids[0]), *rows]


@pytest.mark.parametrize("path", LIST_PAGES)
def test_list_page_shows_no_row_of_another_tenant(path: str, client: TestClient, world: World, db: Session) -> None:
    """Park A's enterprise 0 has a row of every kind; park B's users and park A's other enterprise see none of it."""
    ctx = Ctx(client, world, db)
    enterprise_0 = _enterprise_0_rows(ctx)
    park_a = [*_a_markers(ctx), str(db.scalar(select(Park.name).where(Park.id == world.a.park_id))), *enterprise_0]
    own = ctx.as_a_admin("GET", path, follow_redirects=False)
    assert own.status_code == 200, (path, own.status_code)
    if path in ROW_LISTS:
        assert any(marker in own.text for marker in enterprise_0), path
    for park, role in [("b", role) for role in B_ROLES] + [("a", "enterprise2")]:
        response = ctx.call("GET", path, role, park, follow_redirects=False)
        if _page_denied(response):
            continue
        # a page an enterprise has no overview of sends it on to its own (its enterprise's) page
        assert response.status_code in (200, 303), (path, park, role, response.status_code, response.text[:500])
        shown = [marker for marker in (park_a if park == "b" else enterprise_0) if marker in response.text]
        assert not shown, (path, park, role, shown)
        if response.status_code == 303:
            target = ctx.call("GET", response.headers["location"], role, park, follow_redirects=False)
            assert not [marker for marker in (park_a if park == "b" else enterprise_0) if marker in target.text]


@pytest.mark.parametrize("route", sorted(PAGE_ROUTES), ids=_route_id)
def test_page_without_a_login_is_never_shown(route: tuple[str, str], client: TestClient, world: World) -> None:
    method, path = route
    url = re.sub(r"\{[a-z_]+\}", "1", path)
    response = client.request(method, url, follow_redirects=False)
    assert _page_denied(response) or response.status_code == 401, (route, response.status_code)
