"""Production services (digipark.services): catalogue, bookings, usage, group purchasing, supply chain, logistics,
finance. Rows owned by an enterprise belong to park A's enterprise 0 ("enterprise"); two-party rows name
enterprise 1 ("enterprise2") as the other party where it should read them."""

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
    API,
    Ctx,
    Exercise,
    all_attackers,
    assert_problem,
    b_denial,
    next_number,
)

_SV = f"{API}/services"
_E = frozenset({"enterprise"})
_BOTH = frozenset({"enterprise", "enterprise2"})
_SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _post(ctx: Ctx, path: str, body: dict[str, Any] | None = None, who: str = "park_admin") -> Any:
    response = ctx.call("POST", f"{_SV}/{path}", who, json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


def _e0(ctx: Ctx) -> int:
    return ctx.world.a.enterprise_ids[0]


def _e1(ctx: Ctx) -> int:
    return ctx.world.a.enterprise_ids[1]


# -- catalogue ----------------------------------------------------------------------------------------------------
def sv_offering_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "kind": "shared_equipment",
        "name": f"共享加工中心{next_number(ctx, 'sv_offering')}",
        "provider_name": "园区共享制造中心",
        "unit_price_yuan": 150,
        "price_unit": "hour",
        "bookable": True,
        "enterprise_id": _e0(ctx),
    }


def sv_machine(ctx: Ctx) -> int:
    """A bookable machine the park itself provides (its staff decide its bookings)."""
    if "sv_machine" not in ctx.cache:
        body = {**sv_offering_body(ctx), "enterprise_id": None, "units": 1}
        ctx.cache["sv_machine"] = _post(ctx, "offerings", body)["id"]
    return int(ctx.cache["sv_machine"])


def sv_plain_service(ctx: Ctx) -> int:
    if "sv_plain" not in ctx.cache:
        body = {
            "kind": "testing",
            "name": "材料检测",
            "provider_name": "园区检测中心",
            "unit_price_yuan": 800,
            "price_unit": "sample",
        }
        ctx.cache["sv_plain"] = _post(ctx, "offerings", body)["id"]
    return int(ctx.cache["sv_plain"])


def sv_loan(ctx: Ctx) -> int:
    if "sv_loan" not in ctx.cache:
        body = {"kind": "finance", "name": "科技贷", "provider_name": "苏州银行"}
        ctx.cache["sv_loan"] = _post(ctx, "offerings", body)["id"]
    return int(ctx.cache["sv_loan"])


def _slot(ctx: Ctx) -> tuple[str, str]:
    """Two future hours no other booking of the test holds."""
    n = next_number(ctx, "sv_slot")
    day = dt.date.today() + dt.timedelta(days=10 + n)
    start = dt.datetime.combine(day, dt.time(9), _SHANGHAI)
    return start.isoformat(), (start + dt.timedelta(hours=2)).isoformat()


def check_import_transformation(ctx: Ctx) -> None:
    url = f"{_SV}/offerings/import-transformation"
    for park, role in all_attackers():
        expected = (403, 404) if park == "b" and role in ("park_admin", "operator") else (403,)
        assert_problem(ctx.call("POST", url, role, park, json={"park_id": ctx.world.a.park_id}), *expected)
    assert ctx.as_a_admin("POST", url, json={}).status_code == 200


# -- bookings ------------------------------------------------------------------------------------------------------
def sv_booking_body(ctx: Ctx) -> dict[str, Any]:
    start, end = _slot(ctx)
    return {"offering_id": sv_machine(ctx), "starts_at": start, "ends_at": end, "enterprise_id": _e0(ctx)}


def sv_booking(ctx: Ctx, *, approve: bool = False, check_in: bool = False) -> int:
    ident = int(_post(ctx, "bookings", sv_booking_body(ctx))["id"])
    if approve or check_in:
        _post(ctx, f"bookings/{ident}/decision", {"approve": True})
    if check_in:
        _post(ctx, f"bookings/{ident}/check-in")
    return ident


def sv_maintenance_body(ctx: Ctx) -> dict[str, Any]:
    start, end = _slot(ctx)
    return {"starts_at": start, "ends_at": end, "reason": "保养"}


def sv_usage_body(ctx: Ctx) -> dict[str, Any]:
    return {"offering_id": sv_plain_service(ctx), "enterprise_id": _e0(ctx), "used_on": "2026-01-05", "quantity": 3}


def _check_enterprise_read(ctx: Ctx, path: str, params: dict[str, Any], readers: frozenset[str]) -> None:
    """A read about one enterprise of park A (`params` name it): its own users and staff read; others are refused
    or see nothing."""
    url = f"{_SV}/{path}"
    for park, role in all_attackers():
        response = ctx.call("GET", url, role, park, params=params)
        if park == "a" and (role in readers or role == "reviewer"):
            assert response.status_code == 200, (role, response.text)
        else:
            assert_problem(response, 403, 404, 422)
    assert ctx.as_a_admin("GET", url, params=params).status_code == 200


def check_statement(ctx: Ctx) -> None:
    _post(ctx, "usage", sv_usage_body(ctx))
    _check_enterprise_read(ctx, "statement", {"month": "2026-01-01", "enterprise_id": _e0(ctx)}, _E)


# -- group purchasing -------------------------------------------------------------------------------------------------
def sv_demand_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "category": "packaging",
        "item": f"瓦楞纸箱{next_number(ctx, 'sv_demand')}",
        "quantity": 1000,
        "unit": "个",
        "period": "2026-05-01",
        "last_unit_price_yuan": 3.2,
        "enterprise_id": _e0(ctx),
    }


def sv_supplier(ctx: Ctx) -> int:
    if "sv_supplier" not in ctx.cache:
        ctx.cache["sv_supplier"] = _post(ctx, "suppliers", {"name": "包装供应商", "categories": ["packaging"]})["id"]
    return int(ctx.cache["sv_supplier"])


def sv_round(ctx: Ctx, *, quoted: bool = False) -> int:
    body = sv_demand_body(ctx)
    _post(ctx, "demands", body)
    rounds = _post(ctx, "rounds", {"category": "packaging", "period": body["period"]})
    ident = int(next(r["id"] for r in rounds if r["item"] == body["item"]))
    if quoted:
        _post(ctx, f"rounds/{ident}/quotes", {"supplier_id": sv_supplier(ctx), "unit_price_yuan": 2.9})
    return ident


def sv_awarded_demand(ctx: Ctx) -> int:
    round_id = sv_round(ctx, quoted=True)
    _post(ctx, f"rounds/{round_id}/award")
    response = ctx.as_a_admin("GET", f"{_SV}/demands", params={"round_id": round_id})
    return int(response.json()["items"][0]["id"])


def check_aggregate(ctx: Ctx) -> None:
    _post(ctx, "demands", sv_demand_body(ctx))
    park_action(
        ParkAction(
            "services/rounds", lambda c: {"category": "packaging", "period": "2026-05-01", "park_id": c.world.a.park_id}
        ),
        ctx,
    )


def check_savings(ctx: Ctx) -> None:
    sv_awarded_demand(ctx)
    _check_enterprise_read(ctx, "savings", {"enterprise_id": _e0(ctx)}, _E)


# -- supply chain ------------------------------------------------------------------------------------------------------
def sv_relation_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "customer_enterprise_id": _e1(ctx),
        "goods": f"电机壳体{next_number(ctx, 'sv_rel')}",
        "enterprise_id": _e0(ctx),
    }


def sv_post_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "kind": "need",
        "title": f"求购精密轴{next_number(ctx, 'sv_post')}",
        "industry_codes": ["34"],
        "products": ["精密轴"],
        "enterprise_id": _e0(ctx),
    }


def sv_share_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "lead_enterprise_id": _e1(ctx),
        "item": f"轴承{next_number(ctx, 'sv_share')}",
        "unit": "件",
        "period": (dt.date.today() + dt.timedelta(days=40)).replace(day=1).isoformat(),
        "forecast_order_qty": 100,
        "capacity_qty": 50,
        "stock_qty": 10,
        "shared": True,
        "enterprise_id": _e0(ctx),
    }


def check_shortages(ctx: Ctx) -> None:
    _post(ctx, "shares", sv_share_body(ctx))
    # the lead enterprise (enterprise 1 of park A) and staff read its shortages
    url = f"{_SV}/shortages"
    params = {"lead_enterprise_id": _e1(ctx)}
    for park, role in all_attackers():
        response = ctx.call("GET", url, role, park, params=params)
        if park == "a" and role in ("enterprise2", "reviewer"):
            assert response.status_code == 200 and response.json(), (role, response.text)
        else:
            assert_problem(response, 403, 404, 422)
    assert ctx.as_a_admin("GET", url, params=params).json()


# -- logistics and finance --------------------------------------------------------------------------------------------
def sv_shipment_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "direction": "in",
        "consignee": f"收货人{next_number(ctx, 'sv_ship')}",
        "carrier": "顺丰",
        "plate": "苏E12345",
        "goods": "钢材",
        "enterprise_id": _e0(ctx),
    }


def sv_application_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "offering_id": sv_loan(ctx),
        "amount_wan_yuan": 200,
        "term_months": 12,
        "purpose": "设备更新",
        "enterprise_id": _e0(ctx),
    }


def sv_application(ctx: Ctx, *, consented: bool = False) -> int:
    ident = int(_post(ctx, "applications", sv_application_body(ctx))["id"])
    if consented:
        _post(ctx, f"applications/{ident}/consent", who="enterprise")
    return ident


def check_consent(ctx: Ctx) -> None:
    """Only the applying enterprise consents: staff too are refused."""
    ident = sv_application(ctx)
    url = f"{_SV}/applications/{ident}/consent"
    for park, role in [*all_attackers(), ("a", "park_admin"), ("a", "operator")]:
        if park == "a" and role == "enterprise":
            continue
        assert_problem(ctx.call("POST", url, role, park), *(b_denial(role) if park == "b" else (403, 404)))
    response = ctx.call("POST", url, "enterprise")
    assert response.status_code == 200 and response.json()["consent_at"], response.text


SERVICES: dict[tuple[str, str], Exercise] = {
    ("POST", f"{_SV}/offerings/import-transformation"): check_import_transformation,
    ("GET", f"{_SV}/offerings/{{ident}}/calendar"): lambda ctx: ident_view(
        IdentView("services/offerings/{ident}/calendar", sv_machine, readers=_BOTH), ctx
    ),
    ("POST", f"{_SV}/offerings/{{ident}}/maintenance"): lambda ctx: ident_action(
        IdentAction("services/offerings/{ident}/maintenance", sv_machine, sv_maintenance_body), ctx
    ),
    ("POST", f"{_SV}/bookings/{{ident}}/decision"): lambda ctx: ident_action(
        IdentAction("services/bookings/{ident}/decision", sv_booking, lambda c: {"approve": True}), ctx
    ),
    ("POST", f"{_SV}/bookings/{{ident}}/cancel"): lambda ctx: ident_action(
        IdentAction("services/bookings/{ident}/cancel", sv_booking, None, writers=_E), ctx
    ),
    ("POST", f"{_SV}/bookings/{{ident}}/check-in"): lambda ctx: ident_action(
        IdentAction("services/bookings/{ident}/check-in", lambda c: sv_booking(c, approve=True), None), ctx
    ),
    ("POST", f"{_SV}/bookings/{{ident}}/check-out"): lambda ctx: ident_action(
        IdentAction("services/bookings/{ident}/check-out", lambda c: sv_booking(c, check_in=True), None), ctx
    ),
    ("GET", f"{_SV}/statement"): check_statement,
    ("GET", f"{_SV}/utilisation"): lambda ctx: park_view(
        ParkView("services/utilisation", readers=_BOTH, params={"since": "2026-01-01", "until": "2026-01-31"}), ctx
    ),
    ("GET", f"{_SV}/savings"): check_savings,
    ("POST", f"{_SV}/demands/{{ident}}/delivery"): lambda ctx: ident_action(
        IdentAction("services/demands/{ident}/delivery", sv_awarded_demand, lambda c: {"delivered_quantity": 900}), ctx
    ),
    ("POST", f"{_SV}/rounds"): check_aggregate,
    ("GET", f"{_SV}/rounds/{{ident}}/quotes"): lambda ctx: ident_view(
        IdentView("services/rounds/{ident}/quotes", lambda c: sv_round(c, quoted=True), reviewer_reads=False), ctx
    ),
    ("POST", f"{_SV}/rounds/{{ident}}/quotes"): lambda ctx: ident_action(
        IdentAction(
            "services/rounds/{ident}/quotes",
            sv_round,
            lambda c: {"supplier_id": sv_supplier(c), "unit_price_yuan": 2.8},
        ),
        ctx,
    ),
    ("POST", f"{_SV}/rounds/{{ident}}/award"): lambda ctx: ident_action(
        IdentAction("services/rounds/{ident}/award", lambda c: sv_round(c, quoted=True), None), ctx
    ),
    ("GET", f"{_SV}/posts/{{ident}}/matches"): lambda ctx: ident_view(
        IdentView(
            "services/posts/{ident}/matches", lambda c: int(_post(c, "posts", sv_post_body(c))["id"]), readers=_BOTH
        ),
        ctx,
    ),
    ("GET", f"{_SV}/shortages"): check_shortages,
    ("POST", f"{_SV}/shipments/{{ident}}/gate"): lambda ctx: ident_action(
        IdentAction(
            "services/shipments/{ident}/gate",
            lambda c: int(_post(c, "shipments", sv_shipment_body(c))["id"]),
            lambda c: {"kind": "arrived", "gate": "1"},
        ),
        ctx,
    ),
    ("POST", f"{_SV}/applications/{{ident}}/consent"): check_consent,
    ("GET", f"{_SV}/applications/{{ident}}/profile"): lambda ctx: ident_view(
        IdentView("services/applications/{ident}/profile", lambda c: sv_application(c, consented=True), readers=_E), ctx
    ),
    ("POST", f"{_SV}/applications/{{ident}}/decision"): lambda ctx: ident_action(
        IdentAction("services/applications/{ident}/decision", sv_application, lambda c: {"status": "reviewing"}), ctx
    ),
}


def _park_a(body: dict[str, Any], ctx: Ctx) -> list[dict[str, Any]]:
    return [{**body, "park_id": ctx.world.a.park_id}]


SERVICES_RESOURCES: list[tuple[Resource, str]] = [
    (
        Resource("services/offerings", sv_offering_body, {"name": "改名"}, readers=_BOTH, writers=_E),
        "list create get patch delete",
    ),
    (Resource("services/bookings", sv_booking_body, readers=_E, writers=_E), "list create get"),
    (Resource("services/usage", sv_usage_body, readers=_E), "list create"),
    (
        Resource("services/demands", sv_demand_body, {"quantity": 1200}, readers=_E, writers=_E),
        "list create get patch delete",
    ),
    (
        Resource(
            "services/suppliers",
            lambda c: {"name": f"供应商{next_number(c, 'sv_sup')}", "categories": ["steel"]},
            {"name": "改名"},
            readers=_BOTH,
            cross_creates=lambda c: _park_a({"name": "跨园供应商", "categories": ["steel"]}, c),
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "services/listings",
            lambda c: {"product": f"伺服电机{next_number(c, 'sv_list')}", "unit": "台", "enterprise_id": _e0(c)},
            {"product": "改名"},
            readers=_BOTH,
            writers=_E,
        ),
        "list create get patch delete",
    ),
    (Resource("services/rounds", sv_demand_body, readers=_BOTH, make_fn=sv_round), "list get"),
    (
        Resource("services/relations", sv_relation_body, {"goods": "改名"}, readers=_BOTH, writers=_E),
        "list create get patch delete",
    ),
    (
        Resource("services/posts", sv_post_body, {"title": "改名"}, readers=_BOTH, writers=_E),
        "list create get patch delete",
    ),
    (
        Resource("services/shares", sv_share_body, {"stock_qty": 20}, readers=_BOTH, writers=_E),
        "list create get patch delete",
    ),
    (
        Resource("services/shipments", sv_shipment_body, {"plate": "苏E54321"}, readers=_E, writers=_E),
        "list create get patch delete",
    ),
    (Resource("services/applications", sv_application_body, readers=_E, writers=_E), "list create get"),
]
for _resource, _methods in SERVICES_RESOURCES:
    add_resource(SERVICES, _resource, _methods)
