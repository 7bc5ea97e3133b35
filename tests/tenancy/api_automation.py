"""Automation and energy operations (digipark.automation): scenes, rules, enabling, dry-runs, the firing log; plans
and their progress, meter replacements, the billing setting and the month's bills."""

from __future__ import annotations

from typing import Any

from tests.tenancy.api_energy import en_meter_id
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
from tests.tenancy.helpers import API, Ctx, Exercise, next_number

_AU = f"{API}/automation"
_EO = f"{API}/energy-ops"
ENTERPRISES = frozenset({"enterprise", "enterprise2"})


def au_scene_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "name": f"下班模式{next_number(ctx, 'au_scene')}",
        "actions": [
            {"kind": "device_command", "building_id": ctx.world.a.building_id, "system": "lighting", "command": "off"}
        ],
    }


def au_rule_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "name": f"访客到达提醒{next_number(ctx, 'au_rule')}",
        "trigger": {"kind": "event", "event": "visitor_arrived"},
        "actions": [{"kind": "notify", "to": "前台", "text": "访客已到"}],
    }


def au_allow_body(ctx: Ctx) -> dict[str, Any]:
    number = next_number(ctx, "au_allow")
    return {"network": f"10.{number % 250}.{number // 250}.0/24", "note": "楼宇控制网"}


def au_allowed(ctx: Ctx) -> int:
    """An entry of park A's allow-list of inside networks."""
    response = ctx.as_a_admin("POST", f"{_AU}/allowed-networks", json=au_allow_body(ctx))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def au_rule(ctx: Ctx) -> int:
    response = ctx.as_a_admin("POST", f"{_AU}/rules", json=au_rule_body(ctx))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def au_enabled_rule(ctx: Ctx) -> int:
    ident = au_rule(ctx)
    assert ctx.as_a_admin("POST", f"{_AU}/rules/{ident}/enable").status_code == 200
    return ident


def eo_plan_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "year": 2001 + next_number(ctx, "eo_plan"),
        "quota": 120000.0,
        "enterprise_id": ctx.world.a.enterprise_ids[0],
    }


def eo_replacement_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "meter_id": en_meter_id(ctx),
        "replaced_at": "2026-10-15T10:30:00+08:00",
        "old_final": 1520.5,
        "new_initial": 0.0,
    }


def eo_account(ctx: Ctx) -> int:
    body = {"enterprise_id": ctx.world.a.enterprise_ids[0], "amount": 800, "low_balance": 1000}
    response = ctx.as_a_admin("POST", f"{_EO}/prepaid/top-up", json=body)
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


def _cross(body: Any) -> Any:
    return lambda ctx: [{**body(ctx), "park_id": ctx.world.a.park_id}]


AUTOMATION: dict[tuple[str, str], Exercise] = {
    ("GET", f"{_AU}/firings"): lambda ctx: park_view(ParkView("automation/firings", takes_park_id=False), ctx),
    ("POST", f"{_AU}/rules/{{ident}}/enable"): lambda ctx: ident_action(
        IdentAction("automation/rules/{ident}/enable", au_rule, None), ctx
    ),
    ("POST", f"{_AU}/rules/{{ident}}/disable"): lambda ctx: ident_action(
        IdentAction("automation/rules/{ident}/disable", au_enabled_rule, None), ctx
    ),
    ("GET", f"{_AU}/rules/{{ident}}/dry-run"): lambda ctx: ident_view(
        IdentView("automation/rules/{ident}/dry-run", au_rule), ctx
    ),
    ("GET", f"{_EO}/plans/progress"): lambda ctx: park_view(
        ParkView("energy-ops/plans/progress", readers=ENTERPRISES, params={"year": 2026}, takes_park_id=False), ctx
    ),
    ("GET", f"{_EO}/bills"): lambda ctx: park_view(
        ParkView("energy-ops/bills", readers=ENTERPRISES, params={"month": "2026-09-01"}, takes_park_id=False), ctx
    ),
    ("GET", f"{_EO}/bills.xlsx"): lambda ctx: park_view(
        ParkView("energy-ops/bills.xlsx", readers=ENTERPRISES, params={"month": "2026-09-01"}, takes_park_id=False), ctx
    ),
    ("GET", f"{_EO}/bills.pdf"): lambda ctx: park_view(
        ParkView("energy-ops/bills.pdf", readers=ENTERPRISES, params={"month": "2026-09-01"}, takes_park_id=False), ctx
    ),
    ("GET", f"{_EO}/dual-control"): lambda ctx: park_view(
        ParkView("energy-ops/dual-control", params={"year": 2026}, takes_park_id=False), ctx
    ),
    ("GET", f"{_EO}/site"): lambda ctx: park_view(
        ParkView("energy-ops/site", params={"year": 2025}, takes_park_id=False), ctx
    ),
    ("GET", f"{_EO}/storage-dispatch"): lambda ctx: park_view(
        ParkView("energy-ops/storage-dispatch", params={"day": "2026-07-01"}, takes_park_id=False), ctx
    ),
    ("GET", f"{_EO}/output-forecast"): lambda ctx: park_view(
        ParkView("energy-ops/output-forecast", readers=ENTERPRISES, takes_park_id=False), ctx
    ),
    ("GET", f"{_EO}/prepaid"): lambda ctx: park_view(
        ParkView("energy-ops/prepaid", readers=ENTERPRISES, takes_park_id=False), ctx
    ),
    ("GET", f"{_EO}/prepaid/{{ident}}/entries"): lambda ctx: ident_view(
        IdentView("energy-ops/prepaid/{ident}/entries", eo_account, readers=frozenset({"enterprise"})), ctx
    ),
    ("POST", f"{_EO}/prepaid/top-up"): lambda ctx: park_action(
        ParkAction(
            "energy-ops/prepaid/top-up", lambda ctx: {"enterprise_id": ctx.world.a.enterprise_ids[0], "amount": 500}
        ),
        ctx,
    ),
    ("POST", f"{_EO}/prepaid/deduct"): lambda ctx: park_action(
        ParkAction(
            "energy-ops/prepaid/deduct",
            lambda ctx: {"month": "2026-09-01", "enterprise_id": ctx.world.a.enterprise_ids[0]},
        ),
        ctx,
    ),
    ("POST", f"{_EO}/billing-setting"): lambda ctx: park_action(
        ParkAction(
            "energy-ops/billing-setting", lambda ctx: {"shared_meter_id": en_meter_id(ctx), "method": "consumption"}
        ),
        ctx,
    ),
}
add_resource(
    AUTOMATION,
    Resource("automation/scenes", au_scene_body, {"description": "工作日19:00后"}, cross_creates=_cross(au_scene_body)),
    "list create get patch delete",
)
add_resource(
    AUTOMATION,
    Resource("automation/rules", au_rule_body, {"name": "改名"}, cross_creates=_cross(au_rule_body)),
    "list create get patch delete",
)
add_resource(  # the park's admin only writes it
    AUTOMATION,
    Resource("automation/allowed-networks", au_allow_body, {"note": "改"}, cross_creates=_cross(au_allow_body)),
    "list create get patch delete",
)
add_resource(
    AUTOMATION,
    Resource(
        "energy-ops/plans",
        eo_plan_body,
        {"quota": 100000.0},
        readers=frozenset({"enterprise"}),
        cross_creates=_cross(eo_plan_body),
    ),
    "list create get patch delete",
)
add_resource(
    AUTOMATION,
    Resource(
        "energy-ops/meter-replacements",
        eo_replacement_body,
        {"note": "表计故障更换"},
        cross_creates=_cross(eo_replacement_body),
    ),
    "list create get patch delete",
)
