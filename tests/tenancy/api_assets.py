"""Assets (digipark.assets): the register (owned by park A's enterprise 0, which reads it), lifecycle changes and
the depreciation schedule."""

from __future__ import annotations

from typing import Any

from digipark.assets.service import seed_classes
from tests.tenancy.exercises import IdentAction, IdentView, Resource, add_resource, ident_action, ident_view
from tests.tenancy.helpers import Ctx, Exercise, next_number

_E = frozenset({"enterprise"})


def as_body(ctx: Ctx) -> dict[str, Any]:
    pump = seed_classes(ctx.db, park_id=ctx.world.a.park_id)["pump"]
    return {
        "class_id": pump.id,
        "code": f"PUMP-{next_number(ctx, 'as')}",
        "name": "冷却水泵",
        "purchase_value": 86000,
        "in_service_on": "2025-03-01",
        "state": "acquired",
        "enterprise_id": ctx.world.a.enterprise_ids[0],
    }


ASSET = Resource("assets", as_body, {"name": "改名"}, readers=_E)


def as_asset(ctx: Ctx) -> int:
    return int(ASSET.make(ctx))


ASSETS: dict[tuple[str, str], Exercise] = {}
add_resource(ASSETS, ASSET, "list create get patch delete")
ASSETS[("POST", "/api/v1/assets/{ident}/state")] = lambda ctx: ident_action(
    IdentAction("assets/{ident}/state", as_asset, lambda ctx: {"state": "in_service"}), ctx
)
ASSETS[("GET", "/api/v1/assets/{ident}/depreciation")] = lambda ctx: ident_view(
    IdentView("assets/{ident}/depreciation", as_asset, readers=_E), ctx
)
