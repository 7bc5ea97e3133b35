"""Work orders (digipark.workorders): reports by every member, the team's steps, rating, photos, teams and rules."""

from __future__ import annotations

from typing import Any

from tests.tenancy.exercises import IdentAction, IdentView, Resource, add_resource, ident_action, ident_view
from tests.tenancy.helpers import API, Ctx, Exercise, all_attackers, assert_problem, next_number
from tests.workorders.helpers import png

_WO = f"{API}/workorders"


def wo_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "title": f"水管漏水{next_number(ctx, 'wo')}",
        "building_id": ctx.world.a.building_id,
        "enterprise_id": ctx.world.a.enterprise_ids[0],
    }


def wo_team(ctx: Ctx) -> int:
    if "wo_team" not in ctx.cache:
        response = ctx.as_a_admin("POST", f"{_WO}/teams", json={"name": "维修班"})
        assert response.status_code == 201, response.text
        ctx.cache["wo_team"] = response.json()["id"]
    return int(ctx.cache["wo_team"])


def wo_order(ctx: Ctx) -> int:
    """An order of enterprise 0 reported by park A's admin (not dispatched: the park has no rules)."""
    response = ctx.as_a_admin("POST", _WO, json=wo_body(ctx))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _step(ctx: Ctx, ident: int, step: str, body: dict[str, Any] | None = None) -> None:
    response = ctx.as_a_admin("POST", f"{_WO}/{ident}/{step}", json=body)
    assert response.status_code == 200, response.text


def wo_assigned(ctx: Ctx) -> int:
    ident = wo_order(ctx)
    _step(ctx, ident, "assign", {"team_id": wo_team(ctx)})
    return ident


def wo_done(ctx: Ctx) -> int:
    ident = wo_assigned(ctx)
    _step(ctx, ident, "complete", {"note": "已修复"})
    return ident


def _upload(ctx: Ctx, ident: int, who: str = "park_admin", park: str = "a") -> Any:
    files = {"file": ("leak.png", png(), "image/png")}
    return ctx.call("POST", f"{_WO}/{ident}/photos", who, park, files=files, data={"stage": "report"})


def wo_photo(ctx: Ctx) -> int:
    if "wo_photo" not in ctx.cache:
        response = _upload(ctx, wo_order(ctx))
        assert response.status_code == 201, response.text
        ctx.cache["wo_photo"] = response.json()["id"]
    return int(ctx.cache["wo_photo"])


def check_wo_photo_upload(ctx: Ctx) -> None:
    ident = wo_order(ctx)
    for park, role in all_attackers():
        assert_problem(_upload(ctx, ident, role, park), 403, 404)
    assert _upload(ctx, ident).status_code == 201


_ORDERS = Resource(
    "workorders",
    wo_body,
    readers=frozenset({"enterprise"}),  # enterprise 0's order; residents see only the ones they reported
    writers=frozenset({"enterprise", "enterprise2", "resident"}),  # every member reports
    make_fn=wo_order,
    cross_creates=lambda ctx: [
        {**wo_body(ctx), "park_id": ctx.world.a.park_id},
        {"title": "跨园区", "building_id": ctx.world.a.building_id},
    ],
)
WORKORDERS: dict[tuple[str, str], Exercise] = {
    ("POST", f"{_WO}/{{ident}}/assign"): lambda ctx: ident_action(
        IdentAction("workorders/{ident}/assign", wo_order, lambda c: {"team_id": wo_team(c)}), ctx
    ),
    ("POST", f"{_WO}/{{ident}}/start"): lambda ctx: ident_action(
        IdentAction("workorders/{ident}/start", wo_assigned, None), ctx
    ),
    ("POST", f"{_WO}/{{ident}}/complete"): lambda ctx: ident_action(
        IdentAction("workorders/{ident}/complete", wo_assigned, lambda c: {"note": "好了"}), ctx
    ),
    ("POST", f"{_WO}/{{ident}}/cancel"): lambda ctx: ident_action(
        IdentAction("workorders/{ident}/cancel", wo_order, None), ctx
    ),
    # only the reporter (here park A's admin) rates
    ("POST", f"{_WO}/{{ident}}/rate"): lambda ctx: ident_action(
        IdentAction("workorders/{ident}/rate", wo_done, lambda c: {"rating": 5}), ctx
    ),
    ("GET", f"{_WO}/{{ident}}/photos"): lambda ctx: ident_view(
        IdentView("workorders/{ident}/photos", wo_order, readers=frozenset({"enterprise"})), ctx
    ),
    ("POST", f"{_WO}/{{ident}}/photos"): check_wo_photo_upload,
    ("GET", f"{_WO}/photos/{{ident}}"): lambda ctx: ident_view(
        IdentView("workorders/photos/{ident}", wo_photo, readers=frozenset({"enterprise"})), ctx
    ),
}
add_resource(WORKORDERS, _ORDERS, "list create get")
add_resource(
    WORKORDERS,
    Resource(
        "workorders/teams",
        lambda ctx: {"name": f"班组{next_number(ctx, 'wt')}"},
        {"name": "改名"},
        cross_creates=lambda ctx: [{"name": "跨园区班组", "park_id": ctx.world.a.park_id}],
    ),
    "list create get patch delete",
)
add_resource(
    WORKORDERS,
    Resource(
        "workorders/dispatch-rules",
        lambda ctx: {"category": "repair", "team_id": wo_team(ctx)},
        {"rank": 5},
        cross_creates=lambda ctx: [
            {"category": "repair", "team_id": wo_team(ctx), "park_id": ctx.world.a.park_id},
            {"category": "repair", "team_id": wo_team(ctx)},  # park B's own rule naming park A's team
        ],
    ),
    "list create get patch delete",
)
