"""Alarms (digipark.alarms): rules, contacts, alarms and their lifecycle, the live alarm stream."""

from __future__ import annotations

from typing import Any

from tests.tenancy.exercises import IdentAction, ParkView, Resource, add_resource, ident_action, park_view
from tests.tenancy.helpers import API, Ctx, Exercise, assert_problem, next_number

_AL = f"{API}/alarms"


def _al_rule_body(ctx: Ctx) -> dict[str, Any]:
    """A rule on park A's enterprise-0 power point (so enterprise 0 reads it)."""
    return {
        "name": f"功率过高{next_number(ctx, 'al_rule')}",
        "severity": "major",
        "conditions": [{"type": "threshold", "op": "above", "high": 500, "hysteresis": 10}],
        "point_id": ctx.world.a.point_ids[1],
    }


def al_alarm(ctx: Ctx, state: str = "raised") -> int:
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
            lambda ctx: {
                "name": f"值班员{next_number(ctx, 'al_contact')}",
                "channel": "email",
                "address": "duty@park.cn",
            },
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
            make_fn=al_alarm,
        ),
        "list get",
    ),
]
ALARMS: dict[tuple[str, str], Exercise] = {
    ("POST", f"{_AL}/{{ident}}/acknowledge"): lambda ctx: ident_action(
        IdentAction(
            "alarms/{ident}/acknowledge", al_alarm, lambda c: {"comment": "在处理"}, writers=frozenset({"enterprise"})
        ),
        ctx,
    ),
    ("POST", f"{_AL}/{{ident}}/close"): lambda ctx: ident_action(
        IdentAction(
            "alarms/{ident}/close", lambda c: al_alarm(c, "cleared"), lambda c: {}, writers=frozenset({"enterprise"})
        ),
        ctx,
    ),
    ("GET", f"{_AL}/stats"): lambda ctx: park_view(
        ParkView("alarms/stats", readers=frozenset({"enterprise", "enterprise2"})), ctx
    ),
    ("GET", f"{API}/live/alarms"): check_live_alarms,
}
for _res, _methods in ALARMS_RESOURCES:
    add_resource(ALARMS, _res, _methods)
