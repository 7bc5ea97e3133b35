"""Dashboards (digipark.dashboards): dashboards as data, export/import, widget data; scheduled report
subscriptions and their delivery log; the duty app's push subscriptions and acknowledgements."""

from __future__ import annotations

from typing import Any

from tests.tenancy.api_alarms import al_alarm
from tests.tenancy.exercises import (
    IdentAction,
    IdentView,
    Resource,
    add_resource,
    ident_action,
    ident_view,
    static_view,
)
from tests.tenancy.helpers import API, B_ROLES, Ctx, Exercise, assert_problem, next_number

_DB = f"{API}/dashboards"
_RS = f"{API}/reports/subscriptions"
OPERATOR = frozenset({"operator"})


def db_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "name": f"看板{next_number(ctx, 'db')}",
        "shared_roles": ["operator", "reviewer"],
        "spec": {"widgets": [{"kind": "timeseries", "title": "温度", "points": [ctx.world.a.point_ids[0]]}]},
    }


def db_made(ctx: Ctx) -> int:
    response = ctx.as_a_admin("POST", _DB, json=db_body(ctx))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def rs_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "name": f"日报{next_number(ctx, 'rs')}",
        "report": "safety",
        "formats": ["pdf"],
        "cron": "0 8 * * *",
        "emails": ["duty@park.example.cn"],
    }


def rs_made(ctx: Ctx) -> int:
    response = ctx.as_a_admin("POST", _RS, json=rs_body(ctx))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def check_import(ctx: Ctx) -> None:
    exported = ctx.as_a_admin("GET", f"{_DB}/{db_made(ctx)}/export").json()
    for role in B_ROLES:  # into park A, by park B's users
        response = ctx.call("POST", f"{_DB}/import", role, "b", json=exported, params={"park_id": ctx.world.a.park_id})
        assert_problem(response, 403, 404, 422)
    for role in ("enterprise", "reviewer", "resident", "operator"):  # only admins compose dashboards
        assert_problem(ctx.call("POST", f"{_DB}/import", role, json={**exported, "name": "x"}), 403)
    response = ctx.as_a_admin("POST", f"{_DB}/import", json=exported, params={"name": "副本"})
    assert response.status_code == 201 and response.json()["park_id"] == ctx.world.a.park_id, response.text


def check_push_subscription(ctx: Ctx) -> None:
    body = {"endpoint": "https://push.example.cn/send/abc", "keys": {"p256dh": "B" * 87, "auth": "A" * 22}}
    for role in ("enterprise", "reviewer", "resident"):
        assert_problem(ctx.call("POST", f"{API}/duty/push/subscriptions", role, json=body), 403)
    response = ctx.as_a_admin("POST", f"{API}/duty/push/subscriptions", json=body)
    assert response.status_code == 201, response.text


DASHBOARDS: dict[tuple[str, str], Exercise] = {
    ("GET", f"{_DB}/schema"): lambda ctx: static_view("dashboards/schema", ctx),
    ("GET", f"{_DB}/catalogue"): lambda ctx: static_view("dashboards/catalogue", ctx),
    ("POST", f"{_DB}/import"): check_import,
    ("GET", f"{_DB}/{{ident}}/export"): lambda ctx: ident_view(IdentView("dashboards/{ident}/export", db_made), ctx),
    ("GET", f"{_DB}/{{ident}}/data"): lambda ctx: ident_view(IdentView("dashboards/{ident}/data", db_made), ctx),
    ("GET", f"{API}/reports/kinds"): lambda ctx: static_view("reports/kinds", ctx),
    ("GET", f"{_RS}/{{ident}}/deliveries"): lambda ctx: ident_view(
        IdentView("reports/subscriptions/{ident}/deliveries", rs_made, reviewer_reads=False), ctx
    ),
    ("POST", f"{_RS}/{{ident}}/run"): lambda ctx: ident_action(
        IdentAction("reports/subscriptions/{ident}/run", rs_made, None, ok=(202,)), ctx
    ),
    ("GET", f"{API}/duty/push/key"): lambda ctx: static_view("duty/push/key", ctx),
    ("POST", f"{API}/duty/push/subscriptions"): check_push_subscription,
    ("POST", f"{API}/duty/alarms/{{ident}}/acknowledge"): lambda ctx: ident_action(
        IdentAction("duty/alarms/{ident}/acknowledge", al_alarm, None), ctx
    ),
}
add_resource(
    DASHBOARDS,
    Resource(
        "dashboards",
        db_body,
        {"name": "改名"},
        cross_creates=lambda ctx: [{**db_body(ctx), "park_id": ctx.world.a.park_id}],
    ),
    "list create get patch delete",
)
add_resource(
    DASHBOARDS,
    Resource(
        "reports/subscriptions",
        rs_body,
        {"name": "改名"},
        writers=OPERATOR,
        reviewer_reads=False,
        cross_creates=lambda ctx: [{**rs_body(ctx), "park_id": ctx.world.a.park_id}],
    ),
    "list create get patch delete",
)
