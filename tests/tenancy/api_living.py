"""Living services (digipark.living): passes, gates, blacklist; car parks, spaces, permits, occupancy, guidance,
sessions; bills; roads, fleet, deliveries, plans, progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.tenancy.exercises import (
    IdentAction,
    IdentView,
    ParkAction,
    ParkView,
    Resource,
    add_resource,
    ident_action,
    ident_view,
    park_action,
    park_view,
)
from tests.tenancy.helpers import (
    A_READ_ONLY_ROLES,
    API,
    B_ROLES,
    NON_STAFF,
    Ctx,
    Exercise,
    all_attackers,
    assert_problem,
    items_of,
    next_number,
)

_LV = f"{API}/living"


def _later(hours: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)).isoformat()


def lv_pass_body(ctx: Ctx) -> dict[str, Any]:
    return {"visitor_name": f"访客{next_number(ctx, 'lvp')}", "valid_from": _later(-1), "valid_until": _later(3)}


def lv_pass(ctx: Ctx) -> int:
    response = ctx.as_a_admin("POST", f"{_LV}/passes", json=lv_pass_body(ctx))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def lv_pass_token(ctx: Ctx, ident: int) -> str:
    response = ctx.as_a_admin("GET", f"{_LV}/passes/{ident}")
    return str(response.json()["token"])


def _made(ctx: Ctx, path: str, body: dict[str, Any]) -> int:
    response = ctx.as_a_admin("POST", f"{_LV}/{path}", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def car_park_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "code": f"P{next_number(ctx, 'lvc')}",
        "name": "测试停车场",
        "lon": 120.6,
        "lat": 31.3,
        "capacity": 10,
        "hourly_yuan": "5",
        "visitor_spaces": 5,
    }


def lv_car_park(ctx: Ctx) -> int:
    if "lv_car_park" not in ctx.cache:
        ctx.cache["lv_car_park"] = _made(ctx, "car-parks", car_park_body(ctx))
    return int(ctx.cache["lv_car_park"])


def node_body(ctx: Ctx) -> dict[str, Any]:
    n = next_number(ctx, "lvn")
    return {"code": f"N{n}", "lon": 120.6 + n / 1000, "lat": 31.3}


def lv_nodes(ctx: Ctx) -> tuple[int, int]:
    if "lv_nodes" not in ctx.cache:
        ctx.cache["lv_nodes"] = (_made(ctx, "road-nodes", node_body(ctx)), _made(ctx, "road-nodes", node_body(ctx)))
    a, b = ctx.cache["lv_nodes"]
    return int(a), int(b)


def lv_vehicle(ctx: Ctx) -> int:
    if "lv_vehicle" not in ctx.cache:
        depot, other = lv_nodes(ctx)
        _made(ctx, "road-edges", {"a_id": depot, "b_id": other})
        ctx.cache["lv_vehicle"] = _made(
            ctx,
            "vehicles",
            {"code": "VAN1", "kind": "van", "capacity": 10, "speed_mps": 5, "range_m": 50000, "depot_node_id": depot},
        )
    return int(ctx.cache["lv_vehicle"])


def delivery_body(ctx: Ctx) -> dict[str, Any]:
    return {"dropoff_node_id": lv_nodes(ctx)[1], "earliest": _later(0), "latest": _later(2)}


def lv_delivery(ctx: Ctx) -> int:
    lv_vehicle(ctx)
    return _made(ctx, "deliveries", delivery_body(ctx))


def lv_bill(ctx: Ctx) -> int:
    """A rent bill of enterprise 0 (the tenant of park A's room)."""
    if "lv_bill" not in ctx.cache:
        response = ctx.as_a_admin("POST", f"{_LV}/bills/run", json=_billing(ctx))
        assert response.status_code == 200, response.text
        found = ctx.as_a_admin("GET", f"{_LV}/bills", params={"kind": "rent", "page_size": 500})
        ctx.cache["lv_bill"] = items_of(found.json())[0]["id"]
    return int(ctx.cache["lv_bill"])


def _billing(ctx: Ctx) -> dict[str, Any]:
    return {
        "month": f"2025-{next_number(ctx, 'lvb'):02d}-01",
        "rent_yuan_per_m2": "40",
        "property_fee_yuan_per_m2": "5",
        "electricity_yuan_per_kwh": "0.8",
    }


def progress_body(ctx: Ctx) -> dict[str, Any]:
    lv_vehicle(ctx)
    return {"vehicle": "VAN1", "battery_pct": 70, "park_id": ctx.world.a.park_id}


def check_gate_events(ctx: Ctx) -> None:
    token = lv_pass_token(ctx, lv_pass(ctx))
    body = {"gate": "east", "direction": "in", "token": token}
    for park, role in all_attackers():
        response = ctx.call("POST", f"{_LV}/gate-events", role, park, json=body)
        if park == "b" and role in ("park_admin", "operator"):
            # park B's gates decide in park B: park A's pass is unknown there
            assert response.status_code == 201, response.text
            assert response.json()["decision"] == "denied" and response.json()["pass_id"] is None
        else:
            assert_problem(response, 403)
    response = ctx.as_a_admin("POST", f"{_LV}/gate-events", json=body)
    assert response.status_code == 201 and response.json()["decision"] == "allowed", response.text


def check_bills_list(ctx: Ctx) -> None:
    ident = lv_bill(ctx)
    for park, role in [("b", r) for r in B_ROLES] + [("a", r) for r in A_READ_ONLY_ROLES]:
        response = ctx.call("GET", f"{_LV}/bills", role, park, params={"page_size": 500})
        if response.status_code == 403:
            continue
        assert response.status_code == 200, (park, role, response.text)
        seen = {item["id"] for item in items_of(response.json())}
        assert (ident in seen) == (park == "a" and role in ("enterprise", "reviewer")), (park, role)


def check_sessions_list(ctx: Ctx) -> None:
    car_park = lv_car_park(ctx)
    plate = f"苏E{next_number(ctx, 'lvs'):05d}"
    ctx.as_a_admin(
        "POST",
        f"{_LV}/passes",
        json={**lv_pass_body(ctx), "plate": plate},
    )
    response = ctx.as_a_admin(
        "POST", f"{_LV}/gate-events", json={"gate": "p", "direction": "in", "plate": plate, "car_park_id": car_park}
    )
    assert response.status_code == 201 and response.json()["session_id"], response.text
    ident = response.json()["session_id"]
    for park, role in [("b", r) for r in B_ROLES] + [("a", r) for r in A_READ_ONLY_ROLES]:
        response = ctx.call("GET", f"{_LV}/parking-sessions", role, park, params={"page_size": 500})
        assert response.status_code == 200, response.text
        seen = {item["id"] for item in items_of(response.json())}
        assert (ident in seen) == (park == "a" and role == "reviewer"), (park, role)


def lv_security_event(ctx: Ctx) -> int:
    import base64

    from tests.workorders.helpers import png

    body = {"kind": "intrusion", "source": "CAM-1", "snapshot_base64": base64.b64encode(png()).decode()}
    return _made(ctx, "security-events", body)


def check_security_events_list(ctx: Ctx) -> None:
    ident = lv_security_event(ctx)
    for park, role in [("b", r) for r in B_ROLES] + [("a", r) for r in A_READ_ONLY_ROLES]:
        response = ctx.call("GET", f"{_LV}/security-events", role, park, params={"page_size": 500})
        if response.status_code == 403:
            continue
        assert response.status_code == 200, response.text
        assert ident not in {item["id"] for item in items_of(response.json())}, (park, role)


def check_security_events_create(ctx: Ctx) -> None:
    body = {"kind": "smoke", "source": "CAM-2", "building_id": ctx.world.a.building_id}
    for park, role in all_attackers():
        expected = (422,) if park == "b" and role in ("park_admin", "operator") else (403,)
        assert_problem(ctx.call("POST", f"{_LV}/security-events", role, park, json=body), *expected)
    assert ctx.as_a_admin("POST", f"{_LV}/security-events", json=body).status_code == 201


def lv_patrol_route(ctx: Ctx) -> int:
    return _made(ctx, "patrol-routes", patrol_body(ctx))


def patrol_body(ctx: Ctx) -> dict[str, Any]:
    return {"name": f"巡更{next_number(ctx, 'lvr')}", "checkpoints": [{"code": "C1", "name": "东门"}]}


LIVING: dict[tuple[str, str], Exercise] = {
    ("GET", f"{_LV}/security-events"): check_security_events_list,
    ("POST", f"{_LV}/security-events"): check_security_events_create,
    ("GET", f"{_LV}/security-events/{{ident}}"): lambda ctx: ident_view(
        IdentView("living/security-events/{ident}", lv_security_event, reviewer_reads=False), ctx
    ),
    ("GET", f"{_LV}/security-events/{{ident}}/snapshot"): lambda ctx: ident_view(
        IdentView("living/security-events/{ident}/snapshot", lv_security_event, reviewer_reads=False), ctx
    ),
    ("POST", f"{_LV}/patrol-records"): lambda ctx: park_action(
        ParkAction("living/patrol-records", lambda c: {"route_id": lv_patrol_route(c), "checkpoint": "C1"}, ok=(201,)),
        ctx,
    ),
    ("GET", f"{_LV}/patrol-routes/{{ident}}/status"): lambda ctx: ident_view(
        IdentView("living/patrol-routes/{ident}/status", lv_patrol_route), ctx
    ),
    ("POST", f"{_LV}/passes/{{ident}}/revoke"): lambda ctx: ident_action(
        IdentAction("living/passes/{ident}/revoke", lv_pass, None), ctx
    ),
    ("GET", f"{_LV}/passes/{{ident}}/qr.svg"): lambda ctx: ident_view(
        IdentView("living/passes/{ident}/qr.svg", lv_pass), ctx
    ),
    ("POST", f"{_LV}/gate-events"): check_gate_events,
    ("GET", f"{_LV}/in-park"): lambda ctx: park_view(ParkView("living/in-park", reviewer_reads=False), ctx),
    ("GET", f"{_LV}/occupancy"): lambda ctx: park_view(ParkView("living/occupancy", readers=NON_STAFF), ctx),
    ("GET", f"{_LV}/guidance"): lambda ctx: park_view(
        ParkView("living/guidance", readers=NON_STAFF, params={"lon": 120.6, "lat": 31.3}), ctx
    ),
    ("GET", f"{_LV}/parking-sessions"): check_sessions_list,
    ("GET", f"{_LV}/bills"): check_bills_list,
    ("POST", f"{_LV}/bills/run"): lambda ctx: park_action(
        ParkAction("living/bills/run", lambda c: {**_billing(c), "park_id": c.world.a.park_id}), ctx
    ),
    ("POST", f"{_LV}/bills/{{ident}}/paid"): lambda ctx: ident_action(
        IdentAction("living/bills/{ident}/paid", lambda c: (c.cache.pop("lv_bill", None), lv_bill(c))[1], None), ctx
    ),
    ("GET", f"{_LV}/roads.geojson"): lambda ctx: park_view(ParkView("living/roads.geojson", readers=NON_STAFF), ctx),
    ("GET", f"{_LV}/plans/latest"): lambda ctx: (
        lv_delivery(ctx),
        park_view(ParkView("living/plans/latest", reviewer_reads=False), ctx),
    )[1],
    ("POST", f"{_LV}/progress"): lambda ctx: park_action(
        ParkAction("living/progress", progress_body),
        ctx,
    ),
    ("POST", f"{_LV}/deliveries/{{ident}}/cancel"): lambda ctx: ident_action(
        IdentAction("living/deliveries/{ident}/cancel", lv_delivery, None), ctx
    ),
}
add_resource(
    LIVING,
    Resource(
        "living/passes",
        lv_pass_body,
        writers=frozenset({"enterprise", "enterprise2", "resident"}),
        make_fn=lv_pass,
        cross_creates=lambda ctx: [
            {**lv_pass_body(ctx), "park_id": ctx.world.a.park_id},
            {**lv_pass_body(ctx), "plate": "苏E00001", "car_park_id": lv_car_park(ctx)},
        ],
    ),
    "list create get",
)
add_resource(
    LIVING,
    Resource(
        "living/deliveries",
        delivery_body,
        writers=frozenset({"enterprise", "enterprise2", "resident"}),
        make_fn=lv_delivery,
        cross_creates=lambda ctx: [{**delivery_body(ctx), "park_id": ctx.world.a.park_id}, delivery_body(ctx)],
    ),
    "list create get",
)
add_resource(
    LIVING,
    Resource(
        "living/blacklist",
        lambda ctx: {"kind": "plate", "value": f"苏E{next_number(ctx, 'lvk'):05d}", "reason": "逃费"},
        {"reason": "多次逃费"},
        cross_creates=lambda ctx: [
            {"kind": "plate", "value": "苏E00002", "reason": "x", "park_id": ctx.world.a.park_id}
        ],
    ),
    "list create get patch delete",
)
add_resource(
    LIVING,
    Resource(
        "living/car-parks",
        car_park_body,
        {"name": "改名"},
        readers=NON_STAFF,
        cross_creates=lambda ctx: [{**car_park_body(ctx), "park_id": ctx.world.a.park_id}],
    ),
    "list create get patch delete",
)
add_resource(
    LIVING,
    Resource(
        "living/parking-spaces",
        lambda ctx: {"car_park_id": lv_car_park(ctx), "code": f"S{next_number(ctx, 'lvsp')}"},
        {"code": "S-X"},
        readers=NON_STAFF,
    ),
    "list create get patch delete",
)
add_resource(
    LIVING,
    Resource(
        "living/parking-permits",
        lambda ctx: {
            "plate": f"苏E{next_number(ctx, 'lvpm'):05d}",
            "first_day": "2026-05-01",
            "last_day": "2026-05-31",
        },
        {"holder": "员工"},
        cross_creates=lambda ctx: [
            {"plate": "苏E00003", "first_day": "2026-05-01", "last_day": "2026-05-31", "park_id": ctx.world.a.park_id},
            {"plate": "苏E00004", "first_day": "2026-05-01", "last_day": "2026-05-31", "car_park_id": lv_car_park(ctx)},
        ],
    ),
    "list create get patch delete",
)
add_resource(
    LIVING,
    Resource(
        "living/road-nodes",
        node_body,
        {"name": "东门"},
        readers=NON_STAFF,
        cross_creates=lambda ctx: [{**node_body(ctx), "park_id": ctx.world.a.park_id}],
    ),
    "list create get patch delete",
)
add_resource(
    LIVING,
    Resource(
        "living/road-edges",
        lambda ctx: {"a_id": lv_nodes(ctx)[0], "b_id": lv_nodes(ctx)[1], "restricted": True},
        {"name": "步行道"},
        readers=NON_STAFF,
    ),
    "list create get patch delete",
)
add_resource(
    LIVING,
    Resource(
        "living/vehicles",
        lambda ctx: {
            "code": f"R{next_number(ctx, 'lvv')}",
            "kind": "robot",
            "capacity": 2,
            "speed_mps": 1.5,
            "range_m": 5000,
            "depot_node_id": lv_nodes(ctx)[0],
        },
        {"capacity": 3},
        cross_creates=lambda ctx: [
            {
                "code": "X1",
                "kind": "van",
                "capacity": 2,
                "speed_mps": 5,
                "range_m": 5000,
                "depot_node_id": lv_nodes(ctx)[0],
            }
        ],
    ),
    "list create get patch delete",
)
add_resource(
    LIVING,
    Resource(
        "living/patrol-routes",
        patrol_body,
        {"every_minutes": 60},
        cross_creates=lambda ctx: [{**patrol_body(ctx), "park_id": ctx.world.a.park_id}],
    ),
    "list create get patch delete",
)
