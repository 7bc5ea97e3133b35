"""Device commands (digipark.devices): requests, the second person's confirmation, the device side."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from digipark.devices import profiles
from digipark.registry.models import Building, Device, Enterprise
from tests.device_tokens import issue_token
from tests.tenancy.exercises import IdentAction, IdentView, ident_action, ident_view
from tests.tenancy.helpers import (
    API,
    Ctx,
    Exercise,
    all_attackers,
    assert_problem,
    b_denial,
    count_rows,
    next_number,
    xlsx,
)

_CM = f"{API}/commands"


def cm_body(ctx: Ctx) -> dict[str, Any]:
    """A command to park A's gas detector (the park's own device)."""
    return {
        "device_id": ctx.world.a.device_ids[1],
        "name": "self_test",
        "params": {},
        "reason": f"巡检{next_number(ctx, 'cm')}",
    }


def cm_command(ctx: Ctx) -> int:
    response = ctx.as_a_admin("POST", _CM, json=cm_body(ctx))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def cm_own_command(ctx: Ctx) -> int:
    """A command to enterprise 0's meter, by park A's admin: readable by enterprise 0, not by enterprise 2."""
    body = {"device_id": ctx.world.a.device_ids[0], "name": "read_now", "params": {}, "reason": "抄表"}
    response = ctx.as_a_admin("POST", _CM, json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def check_cm_create(ctx: Ctx) -> None:
    for park, role in all_attackers():
        response = ctx.call("POST", _CM, role, park, json=cm_body(ctx))
        assert_problem(response, *(b_denial(role) if park == "b" else (403, 404)))
    assert ctx.as_a_admin("POST", _CM, json=cm_body(ctx)).status_code == 201
    own = {"device_id": ctx.world.a.device_ids[0], "name": "read_now", "params": {}, "reason": "抄表"}
    assert ctx.call("POST", _CM, "enterprise", "a", json=own).status_code == 201  # its own meter
    assert_problem(ctx.call("POST", _CM, "enterprise2", "a", json=own), 403, 404)


def check_cm_list(ctx: Ctx) -> None:
    ident = cm_own_command(ctx)
    for park, role in [("b", r) for r in ("park_admin", "operator", "reviewer", "enterprise")] + [("a", "enterprise2")]:
        response = ctx.call("GET", _CM, role, park)
        assert response.status_code == 200, response.text
        assert ident not in [row["id"] for row in response.json()], (park, role)
    for role in ("park_admin", "operator", "reviewer", "enterprise"):
        response = ctx.call("GET", _CM, role, "a")
        assert ident in [row["id"] for row in response.json()], role


def check_device_poll(ctx: Ctx) -> None:
    """The device token in the path is the only credential: a user's token is none, an unknown token is 404."""
    w = ctx.world
    assert_problem(ctx.client.post(f"{API}/devices/no-such-token/commands"), 404)
    assert_problem(ctx.client.post(f"{API}/devices/{w.a.tokens['park_admin']}/commands"), 404)
    response = ctx.client.post(f"{API}/devices/{issue_token(ctx.db, w.a.device_ids[1])}/commands")
    assert response.status_code == 200 and isinstance(response.json(), list)


def check_device_answer(ctx: Ctx) -> None:
    """A device answers only its own commands: another device's token is 404."""
    ident = cm_command(ctx)  # to the gas detector
    other = issue_token(ctx.db, ctx.world.a.device_ids[0])
    body = {"state": "succeeded"}
    assert_problem(ctx.client.post(f"{API}/devices/{other}/commands/{ident}/answer", json=body), 404)
    foreign = issue_token(ctx.db, ctx.world.b.device_ids[1])
    assert_problem(ctx.client.post(f"{API}/devices/{foreign}/commands/{ident}/answer", json=body), 404)


_PK = f"{API}/provisioning-keys"


def pk_body(ctx: Ctx) -> dict[str, Any]:
    return {"name": f"批次{next_number(ctx, 'pk')}", "kind": "gas_detector", "park_id": ctx.world.a.park_id}


def pk_key(ctx: Ctx) -> dict[str, Any]:
    response = ctx.as_a_admin("POST", _PK, json=pk_body(ctx))
    assert response.status_code == 201, response.text
    return dict(response.json())


def check_pk_create(ctx: Ctx) -> None:
    """Only park A's staff make keys of park A (an enterprise of the park may not: 403)."""
    for park, role in [*all_attackers(), ("a", "enterprise"), ("a", "enterprise2")]:
        response = ctx.call("POST", _PK, role, park, json=pk_body(ctx))
        assert_problem(response, *(b_denial(role) if park == "b" else (403, 404)))
    assert ctx.as_a_admin("POST", _PK, json=pk_body(ctx)).status_code == 201


def check_pk_list(ctx: Ctx) -> None:
    ident = pk_key(ctx)["id"]
    for park, role in [("b", r) for r in ("park_admin", "operator", "reviewer", "enterprise")] + [
        ("a", "enterprise"),
        ("a", "enterprise2"),
    ]:
        response = ctx.call("GET", _PK, role, park)
        assert response.status_code == 200, response.text
        assert ident not in [row["id"] for row in response.json()], (park, role)
    for role in ("park_admin", "operator"):
        rows = ctx.call("GET", _PK, role, "a").json()
        assert [row for row in rows if row["id"] == ident] and all("secret" not in row for row in rows), role


def check_provision(ctx: Ctx) -> None:
    """The key and its secret are the only credential; the device lands in the key's park, which the body cannot
    name; a wrong secret or an unknown key is 404."""
    made = pk_key(ctx)
    body = {"deviceName": f"PV-{made['id']}", "provisionDeviceKey": made["key"], "provisionDeviceSecret": "wrong"}
    assert_problem(ctx.client.post(f"{API}/provision", json=body), 404)
    assert_problem(ctx.client.post(f"{API}/provision", json={**body, "provisionDeviceKey": "nosuchkey"}), 404)
    good = {**body, "provisionDeviceSecret": made["secret"]}
    assert ctx.client.post(f"{API}/provision", json={**good, "park_id": ctx.world.b.park_id}).status_code == 422
    response = ctx.client.post(f"{API}/provision", json=good)
    assert response.status_code == 200, response.text
    found = ctx.call("GET", f"{API}/devices/{response.json()['deviceId']}", "park_admin", "b")
    assert_problem(found, 404)  # park B does not see it: it is park A's


_DP = f"{API}/device-profiles"


def dp_body(ctx: Ctx) -> dict[str, Any]:
    seeded = profiles.seed("temp_humidity")
    assert seeded is not None
    return {**seeded.model_dump(), "key": f"th_custom_{next_number(ctx, 'dp')}", "note": "库房温湿度"}


def dp_key(ctx: Ctx) -> str:
    """A profile of park A's own (park B has no profile of that key)."""
    if "dp_key" not in ctx.cache:
        response = ctx.as_a_admin("POST", _DP, json=dp_body(ctx))
        assert response.status_code == 201, response.text
        ctx.cache["dp_key"] = response.json()["key"]
    return str(ctx.cache["dp_key"])


def _a_profile_writers_only(ctx: Ctx, method: str, url: str, body: dict[str, Any] | None) -> None:
    """Park A's profiles are written by park A's admins only: its operator may read them, not write (403)."""
    for park, role in [*all_attackers(), ("a", "operator")]:
        response = ctx.call(method, url, role, park, json=body, params={"park_id": ctx.world.a.park_id})
        assert_problem(response, *(b_denial(role) if park == "b" else (403, 404)))


def check_dp_list(ctx: Ctx) -> None:
    key = dp_key(ctx)
    for role in ("park_admin", "operator"):
        rows = ctx.call("GET", _DP, role, "b").json()
        assert rows and key not in [row["key"] for row in rows], role
        assert_problem(ctx.call("GET", _DP, role, "b", params={"park_id": ctx.world.a.park_id}), 403, 404)
    for role in ("enterprise", "enterprise2", "reviewer", "resident"):
        assert_problem(ctx.call("GET", _DP, role, "a"), 403)
    rows = ctx.call("GET", _DP, "operator", "a").json()
    assert key in [row["key"] for row in rows]


def check_dp_get(ctx: Ctx) -> None:
    url = f"{_DP}/{dp_key(ctx)}"
    for park, role in all_attackers():
        assert_problem(ctx.call("GET", url, role, park), *(b_denial(role) if park == "b" else (403, 404)))
    for role in ("park_admin", "operator"):
        response = ctx.call("GET", url, role, "a")
        assert response.status_code == 200 and response.json()["versions"][0]["note"] == "库房温湿度", role


def check_dp_create(ctx: Ctx) -> None:
    _a_profile_writers_only(ctx, "POST", _DP, dp_body(ctx))
    assert ctx.as_a_admin("POST", _DP, json=dp_body(ctx)).status_code == 201


def check_dp_version(ctx: Ctx) -> None:
    key = dp_key(ctx)
    url = f"{_DP}/{key}/versions"
    body = {**dp_body(ctx), "key": key, "name_en": f"Store room {next_number(ctx, 'dpv')}"}
    _a_profile_writers_only(ctx, "POST", url, body)
    assert ctx.as_a_admin("POST", url, json=body).status_code == 201


def check_dp_apply(ctx: Ctx) -> None:
    url = f"{_DP}/{dp_key(ctx)}/apply"
    _a_profile_writers_only(ctx, "POST", url, None)
    assert ctx.as_a_admin("POST", url).status_code == 200


_BULK = f"{API}/devices/bulk"


def bulk_file(ctx: Ctx) -> dict[str, Any]:
    """A workbook naming park A's enterprise and building (park B has neither)."""
    uscc = ctx.db.scalar(select(Enterprise.uscc).where(Enterprise.id == ctx.world.a.enterprise_ids[0]))
    building = ctx.db.scalar(select(Building.code).where(Building.id == ctx.world.a.building_id))
    code = f"BULK-{next_number(ctx, 'bulk')}"
    headers = ["code", "name", "profile", "enterprise", "building"]
    return {"file": ("devices.xlsx", xlsx(headers, [[code, "批量电表", "electricity_meter", uscc, building]]))}


def check_bulk(ctx: Ctx) -> None:
    """Only park A's staff provision devices in park A; park B's staff, in their own park, find no such
    enterprise or building (422); nothing is created by anyone refused."""
    before = count_rows(ctx.db, Device)
    for park, role in all_attackers():
        response = ctx.call("POST", _BULK, role, park, files=bulk_file(ctx))
        assert_problem(response, *((403, 404, 422) if park == "b" else (403,)))
        aimed = ctx.call("POST", _BULK, role, park, files=bulk_file(ctx), params={"park_id": ctx.world.a.park_id})
        assert_problem(aimed, *(b_denial(role) if park == "b" else (403, 404)))
    assert count_rows(ctx.db, Device) == before
    response = ctx.as_a_admin("POST", _BULK, files=bulk_file(ctx))
    assert response.status_code == 201, response.text
    assert count_rows(ctx.db, Device) == before + 1


def check_bulk_template(ctx: Ctx) -> None:
    url = f"{_BULK}/template"
    for park, role in all_attackers():
        aimed = ctx.call("GET", url, role, park, params={"park_id": ctx.world.a.park_id})
        assert_problem(aimed, *(b_denial(role) if park == "b" else (403, 404)))
    assert ctx.as_a_admin("GET", url).status_code == 200


def check_device_claim_secret(ctx: Ctx) -> None:
    """The device token in the path is the only credential: a user's token is none; a device with an owner
    (enterprise 0's meter) may not offer itself to be claimed."""
    w = ctx.world
    body = {"secretKey": "s3cret", "durationMs": 60_000}
    assert_problem(ctx.client.post(f"{API}/no-such-token/claim", json=body), 404)
    assert_problem(ctx.client.post(f"{API}/{w.a.tokens['park_admin']}/claim", json=body), 404)
    assert_problem(ctx.client.post(f"{API}/{issue_token(ctx.db, w.a.device_ids[0])}/claim", json=body), 409)
    assert ctx.client.post(f"{API}/{issue_token(ctx.db, w.a.device_ids[1])}/claim", json=body).status_code == 204


DEVICES: dict[tuple[str, str], Exercise] = {
    ("GET", _DP): check_dp_list,
    ("POST", _DP): check_dp_create,
    ("GET", f"{_DP}/{{key}}"): check_dp_get,
    ("POST", f"{_DP}/{{key}}/versions"): check_dp_version,
    ("POST", f"{_DP}/{{key}}/apply"): check_dp_apply,
    ("POST", _BULK): check_bulk,
    ("GET", f"{_BULK}/template"): check_bulk_template,
    ("POST", f"{API}/{{token}}/claim"): check_device_claim_secret,
    ("POST", _PK): check_pk_create,
    ("GET", _PK): check_pk_list,
    ("POST", f"{API}/provision"): check_provision,
    ("POST", _CM): check_cm_create,
    ("GET", _CM): check_cm_list,
    ("GET", f"{_CM}/{{ident}}"): lambda ctx: ident_view(
        IdentView("commands/{ident}", cm_own_command, readers=frozenset({"operator", "enterprise"})), ctx
    ),
    # not a safety command: nothing to confirm (409) for the staff of park A, refused for everyone else
    ("POST", f"{_CM}/{{ident}}/confirm"): lambda ctx: ident_action(
        IdentAction("commands/{ident}/confirm", cm_command, lambda ctx: {"approve": True}, ok=(409,)), ctx
    ),
    ("GET", f"{API}/devices/{{ident}}/connections"): lambda ctx: ident_view(
        IdentView(
            "devices/{ident}/connections",
            lambda ctx: ctx.world.a.device_ids[0],
            readers=frozenset({"operator", "enterprise"}),
        ),
        ctx,
    ),
    # shared attributes of enterprise 0's meter: its staff and the enterprise read and set them, nobody else
    ("GET", f"{API}/devices/{{ident}}/attributes"): lambda ctx: ident_view(
        IdentView(
            "devices/{ident}/attributes",
            lambda ctx: ctx.world.a.device_ids[0],
            readers=frozenset({"operator", "enterprise"}),
        ),
        ctx,
    ),
    ("POST", f"{API}/devices/{{ident}}/attributes"): lambda ctx: ident_action(
        IdentAction(
            "devices/{ident}/attributes",
            lambda ctx: ctx.world.a.device_ids[0],
            lambda ctx: {"values": {"report_interval_s": 60 + next_number(ctx, "attr")}},
            writers=frozenset({"operator", "enterprise"}),
        ),
        ctx,
    ),
    ("POST", f"{API}/devices/{{token}}/commands"): check_device_poll,
    ("POST", f"{API}/devices/{{token}}/commands/{{ident}}/answer"): check_device_answer,
}
