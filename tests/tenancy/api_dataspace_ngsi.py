"""Data space's NGSI-LD API (/ngsi-ld/v1): an entity of park A's enterprise 0 is read by its enterprise and the
park's staff and reviewers, changed by its enterprise (and staff), and neither seen nor changed by park B or by
another enterprise of park A. Errors are NGSI-LD ProblemDetails (application/json) or, for access control, the
platform's problem+json."""

from __future__ import annotations

from typing import Any

from tests.tenancy.helpers import B_ROLES, Ctx, Exercise, all_attackers, next_number

_NGSI = "/ngsi-ld/v1"
_ENTITY = f"{_NGSI}/entities/{{entity_id:path}}"


def _refused(response: Any, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.text)
    media = response.headers["content-type"]
    assert media.startswith(("application/json", "application/problem+json")), media
    assert response.json()["type"].startswith("https://") and response.json()["detail"]


def ngsi_entity(ctx: Ctx) -> str:
    """An entity of enterprise 0 of park A (a unique type, so lists can be compared)."""
    n = next_number(ctx, "ngsi")
    ident = f"urn:ngsi-ld:Machine:T{n}"
    body = {"id": ident, "type": f"Machine{n}", "secret": {"type": "Property", "value": "机密值"}}
    response = ctx.call("POST", f"{_NGSI}/entities", "enterprise", json=body)
    assert response.status_code == 201, response.text
    return ident


def _seen(ctx: Ctx, ident: str, role: str, park: str = "a") -> bool:
    response = ctx.call("GET", f"{_NGSI}/entities/{ident}", role, park)
    if response.status_code == 200:
        return True
    _refused(response, 403, 404)
    return False


def _untouched(ctx: Ctx, ident: str) -> None:
    got = ctx.call("GET", f"{_NGSI}/entities/{ident}", "enterprise")
    assert got.status_code == 200 and got.json()["secret"]["value"] == "机密值", got.text


def check_create(ctx: Ctx) -> None:
    body = {"id": "urn:ngsi-ld:Machine:C1", "type": "Machine", "p": {"type": "Property", "value": 1}}
    for role in ("reviewer", "resident"):
        _refused(ctx.call("POST", f"{_NGSI}/entities", role, json=body), 403)
    assert ctx.call("POST", f"{_NGSI}/entities", "enterprise", json=body).status_code == 201
    assert not _seen(ctx, "urn:ngsi-ld:Machine:C1", "park_admin", "b")  # park B has its own entities


def check_query(ctx: Ctx) -> None:
    ident = ngsi_entity(ctx)
    kind = "Machine" + ident.rsplit("T", 1)[1]
    url = f"{_NGSI}/entities"
    for park, role in [("b", r) for r in B_ROLES] + [("a", "enterprise2"), ("a", "resident")]:
        response = ctx.call("GET", url, role, park, params={"type": kind})
        if response.status_code == 200:
            assert response.json() == [], (park, role)
        else:
            _refused(response, 403)
    for role in ("enterprise", "park_admin", "reviewer"):
        assert [e["id"] for e in ctx.call("GET", url, role, params={"type": kind}).json()] == [ident], role


def check_retrieve(ctx: Ctx) -> None:
    ident = ngsi_entity(ctx)
    for park, role in [("b", r) for r in B_ROLES] + [("a", "enterprise2"), ("a", "resident")]:
        assert not _seen(ctx, ident, role, park), (park, role)
    for role in ("enterprise", "park_admin", "operator", "reviewer"):
        assert _seen(ctx, ident, role), role


def check_types(ctx: Ctx) -> None:
    ident = ngsi_entity(ctx)
    kind = "Machine" + ident.rsplit("T", 1)[1]
    for park, role in [("b", r) for r in B_ROLES] + [("a", "enterprise2")]:
        response = ctx.call("GET", f"{_NGSI}/types", role, park)
        if response.status_code == 200:
            assert kind not in response.json()["typeList"], (park, role)
        else:
            _refused(response, 403)
    assert kind in ctx.call("GET", f"{_NGSI}/types", "enterprise").json()["typeList"]


def _change(method: str, suffix: str, body: Any) -> Exercise:
    def check(ctx: Ctx) -> None:
        ident = ngsi_entity(ctx)
        url = f"{_NGSI}/entities/{ident}{suffix}"
        for park, role in all_attackers():
            if park == "a" and role == "enterprise":
                continue
            if park == "a" and role == "reviewer":
                _refused(ctx.call(method, url, role, park, json=body), 403)
                continue
            _refused(ctx.call(method, url, role, park, json=body), 403, 404)
            _untouched(ctx, ident)
        response = ctx.call(method, url, "enterprise", json=body)
        assert response.status_code in (204, 207), response.text

    return check


def check_context(ctx: Ctx) -> None:
    """The @context is public and names terms only: no entity of any park is in it."""
    ident = ngsi_entity(ctx)
    response = ctx.client.get(f"{_NGSI}/context.jsonld")
    assert response.status_code == 200 and ident not in response.text and "Machine" not in response.text


def _batch(operation: str) -> Exercise:
    """A batch naming another's entity: the entity stays as it was; each refusal is listed (207) or the whole
    request refused."""

    def body(ident: str) -> Any:
        if operation == "delete":
            return [ident]
        return [{"id": ident, "type": "Machine" + ident.rsplit("T", 1)[1], "secret": _SECRET}]

    def check(ctx: Ctx) -> None:
        ident = ngsi_entity(ctx)
        url = f"{_NGSI}/entityOperations/{operation}"
        for park, role in all_attackers():
            if park == "a" and role == "enterprise":
                continue
            response = ctx.call("POST", url, role, park, json=body(ident))
            if park == "b" and operation in ("create", "upsert") and response.status_code in (201, 204):
                pass  # park B has its own entities: an entity of the same id there is B's (made by an earlier role)
            elif response.status_code == 207:
                assert response.json()["success"] == [], (park, role, response.text)
                assert response.json()["errors"][0]["error"]["status"] in (403, 404, 409), response.text
            else:
                _refused(response, 403, 404)
            _untouched(ctx, ident)
        done = ctx.call("POST", url, "enterprise", json=body(ident))
        assert done.status_code in (201, 204, 207), done.text
        if operation != "create":
            assert done.status_code == 204, done.text

    return check


def check_temporal(ctx: Ctx) -> None:
    """A device of enterprise 0 of park A: its history is read by its enterprise and the park's staff only."""
    url = f"{_NGSI}/temporal/entities/urn:ngsi-ld:Device:digipark-{ctx.world.a.device_ids[0]}"
    window = {"timerel": "between", "timeAt": "2026-12-01T00:00:00Z", "endTimeAt": "2026-12-02T00:00:00Z"}
    for park, role in [("b", r) for r in B_ROLES] + [("a", "enterprise2"), ("a", "resident")]:
        _refused(ctx.call("GET", url, role, park, params=window), 403, 404)
    for role in ("enterprise", "park_admin"):
        assert ctx.call("GET", url, role, params=window).status_code == 200, role


def check_temporal_query(ctx: Ctx) -> None:
    """The devices of a type with their history: a device of enterprise 0 of park A is listed for its enterprise
    and the park's staff only."""
    ident = f"urn:ngsi-ld:Device:digipark-{ctx.world.a.device_ids[0]}"
    params = {
        "type": "https://smartdatamodels.org/dataModel.Device/Device",  # the type's IRI: no Link header needed
        "timerel": "between",
        "timeAt": "2026-12-01T00:00:00Z",
        "endTimeAt": "2026-12-02T00:00:00Z",
    }
    url = f"{_NGSI}/temporal/entities"
    for park, role in [("b", r) for r in B_ROLES] + [("a", "enterprise2"), ("a", "resident")]:
        response = ctx.call("GET", url, role, park, params=params)
        if response.status_code == 200:
            assert ident not in [e["id"] for e in response.json()], (park, role)
        else:
            _refused(response, 403, 404)
    for role in ("enterprise", "park_admin"):
        response = ctx.call("GET", url, role, params=params)
        assert response.status_code == 200 and ident in [e["id"] for e in response.json()], role


_SECRET = {"type": "Property", "value": "改"}
NGSI: dict[tuple[str, str], Exercise] = {
    ("GET", f"{_NGSI}/context.jsonld"): check_context,
    ("POST", f"{_NGSI}/entities"): check_create,
    ("GET", f"{_NGSI}/entities"): check_query,
    ("GET", _ENTITY): check_retrieve,
    ("GET", f"{_NGSI}/types"): check_types,
    ("PATCH", f"{_ENTITY}/attrs"): _change("PATCH", "/attrs", {"secret": _SECRET}),
    ("POST", f"{_ENTITY}/attrs"): _change("POST", "/attrs", {"secret": _SECRET}),
    ("PATCH", f"{_ENTITY}/attrs/{{attribute}}"): _change("PATCH", "/attrs/secret", {"value": "改"}),
    ("DELETE", f"{_ENTITY}/attrs/{{attribute}}"): _change("DELETE", "/attrs/secret", None),
    ("DELETE", _ENTITY): _change("DELETE", "", None),
    ("GET", f"{_NGSI}/temporal/entities/{{entity_id:path}}"): check_temporal,
    ("GET", f"{_NGSI}/temporal/entities"): check_temporal_query,
    ("POST", f"{_NGSI}/entityOperations/create"): _batch("create"),
    ("POST", f"{_NGSI}/entityOperations/upsert"): _batch("upsert"),
    ("POST", f"{_NGSI}/entityOperations/update"): _batch("update"),
    ("POST", f"{_NGSI}/entityOperations/delete"): _batch("delete"),
}
