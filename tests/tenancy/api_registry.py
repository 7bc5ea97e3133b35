"""Registry (digipark.registry): every kind's list, read, change, create, delete, export and import, a device's
token and an enterprise's units.

`KINDS` says, for each kind, park A's row under attack, which of park A's non-staff roles read it, a valid change
and create body, and the bodies of park B's admin that point into park A."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable
from typing import Any

from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.core.codes import make_uscc
from digipark.registry.device_tokens import token_digest
from digipark.registry.models import Building, Device, Enterprise, Floor, LandParcel, Park, Point, Room, Zone
from tests.conftest import ParkWorld, World
from tests.tenancy.helpers import (
    A_READ_ONLY_ROLES,
    API,
    B_ROLES,
    Ctx,
    Exercise,
    all_attackers,
    assert_problem,
    count_rows,
    xlsx,
)


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


def park_row_ids(db: Session, model: type[Any], park_id: int) -> set[int]:
    column = model.id if model is Park else model.park_id
    return set(db.scalars(select(model.id).where(column == park_id)))


def _snapshot(ctx: Ctx, spec: KindSpec) -> Any:
    response = ctx.as_a_admin("GET", f"{API}/{spec.path}/{spec.row(ctx.world.a)}")
    assert response.status_code == 200, response.text
    return response.json()


def _expected_denial(spec: KindSpec, park: str, role: str) -> int:
    """404 when the caller cannot see the row at all, 403 when it can see it but not change it."""
    return 403 if park == "a" and role in spec.readers else 404


def check_list(spec: KindSpec, ctx: Ctx) -> None:
    w, db = ctx.world, ctx.db
    a_ids = park_row_ids(db, spec.model, w.a.park_id)
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
    for park, role in all_attackers():
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
    for park, role in all_attackers():
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
    before, count = _snapshot(ctx, spec), count_rows(db, spec.model)
    for park, role in all_attackers():
        response = ctx.call("DELETE", url, role, park)
        assert_problem(response, _expected_denial(spec, park, role))
    assert _snapshot(ctx, spec) == before
    assert count_rows(db, spec.model) == count
    # positive: park A's admin deletes a row it has just created
    assert spec.create is not None
    created = ctx.as_a_admin("POST", f"{API}/{spec.path}", json=spec.create(w.a))
    assert created.status_code == 201, created.text
    response = ctx.as_a_admin("DELETE", f"{API}/{spec.path}/{created.json()['id']}")
    assert response.status_code == 204, response.text
    assert count_rows(db, spec.model) == count


def check_create(spec: KindSpec, ctx: Ctx) -> None:
    w, db = ctx.world, ctx.db
    assert spec.create is not None
    url = f"{API}/{spec.path}"
    count = count_rows(db, spec.model)
    for body in spec.cross_creates(w):
        response = ctx.call("POST", url, "park_admin", "b", json=body)
        assert_problem(response, 403, 404, 422)
        assert count_rows(db, spec.model) == count, body
    # nobody of park A but staff with write permission creates anything, not even in their own park
    for role in A_READ_ONLY_ROLES:
        response = ctx.call("POST", url, role, json=spec.create(w.a))
        # 422 when the parent row named in the body is not even visible to the role
        if role == "reviewer":
            assert_problem(response, 403)
        else:
            assert_problem(response, 403, 422)
    assert count_rows(db, spec.model) == count
    # positive: the same bodies are accepted from park A's admin
    response = ctx.as_a_admin("POST", url, json=spec.create(w.a))
    assert response.status_code == 201, response.text
    assert response.json()["park_id"] == w.a.park_id
    assert count_rows(db, spec.model) == count + 1


def _csv_rows(response: Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return [row for row in rows[1:] if any(cell.strip() for cell in row)]


def _visible_rows(db: Session, spec: KindSpec, pw: ParkWorld, role: str) -> int:
    """How many of the park's rows of this kind a role of that park may read."""
    park_rows = len(park_row_ids(db, spec.model, pw.park_id))
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
    assert len(_csv_rows(ctx.as_a_admin("GET", url))) == len(park_row_ids(db, spec.model, w.a.park_id))


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
        count_rows(db, spec.model),
        park_row_ids(db, spec.model, w.a.park_id),
        len(park_row_ids(db, spec.model, w.b.park_id)),
    )
    # users of park A without the import permission: refused, nothing written
    for role in A_READ_ONLY_ROLES:
        assert_problem(ctx.call("POST", url, role, files=files), 403)
    assert count_rows(db, spec.model) == count
    # park B's admin importing park A's file may at most add rows to park B; park A is untouched
    response = ctx.call("POST", url, "park_admin", "b", files=files)
    assert response.status_code < 500, response.text
    assert ctx.as_a_admin("GET", list_url, params={"page_size": 500}).json() == a_before
    assert park_row_ids(db, spec.model, w.a.park_id) == a_ids
    assert count_rows(db, spec.model) - count == len(park_row_ids(db, spec.model, w.b.park_id)) - b_count
    # a sheet of park B's admin naming rows that exist only in park A is refused as a whole
    for headers, rows in _cross_imports(spec, ctx):
        count = count_rows(db, spec.model)
        response = ctx.call("POST", url, "park_admin", "b", files={"file": ("cross.xlsx", xlsx(headers, rows))})
        assert_problem(response, 422)
        assert count_rows(db, spec.model) == count
    # positive: park A's admin may dry-run its own file
    response = ctx.as_a_admin("POST", url, files=files, params={"dry_run": True})
    assert response.status_code == 200, response.text


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


def check_device_token(method: str, ctx: Ctx) -> None:
    """Only the device's writers: GET answers them 410 (the token is stored hashed), POST rotates it."""
    w, db = ctx.world, ctx.db
    device_id = w.a.device_ids[0]
    url = f"{API}/devices/{device_id}/token"
    digest = db.scalar(select(Device.token_hash).where(Device.id == device_id))
    assert digest is not None
    spec = KIND_BY_PATH["devices"]
    for park, role in all_attackers():
        response = ctx.call(method, url, role, park)
        assert_problem(response, _expected_denial(spec, park, role))
    assert db.scalar(select(Device.token_hash).where(Device.id == device_id)) == digest
    response = ctx.as_a_admin(method, url)
    if method == "GET":
        assert response.status_code == 410, response.text
    else:
        assert response.status_code == 200, response.text
        token = response.json()["token"]
        assert token_digest(token) != digest
        assert db.scalar(select(Device.token_hash).where(Device.id == device_id)) == token_digest(token)


def check_units(ctx: Ctx) -> None:
    w = ctx.world
    url = f"{API}/enterprises/{w.a.enterprise_ids[0]}/units"
    for park, role in all_attackers():
        response = ctx.call("GET", url, role, park)
        if park == "a" and role in OWNER:
            assert response.status_code == 200
            assert [room["id"] for room in response.json()] == [w.a.room_id]
        else:
            assert_problem(response, 404)
    assert [room["id"] for room in ctx.as_a_admin("GET", url).json()] == [w.a.room_id]


def _kind_routes() -> dict[tuple[str, str], Exercise]:
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
    return table


REGISTRY: dict[tuple[str, str], Exercise] = {
    **_kind_routes(),
    ("GET", f"{API}/devices/{{ident}}/token"): lambda ctx: check_device_token("GET", ctx),
    ("POST", f"{API}/devices/{{ident}}/token"): lambda ctx: check_device_token("POST", ctx),
    ("GET", f"{API}/enterprises/{{ident}}/units"): check_units,
}
