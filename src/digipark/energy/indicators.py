"""The guide's indicator computed from the energy domain's metering points (declared in energy.module): S3.x
electric-energy metering points online, by telemetry's online rule."""

from __future__ import annotations

from sqlalchemy import select

from digipark.evaluation.provides import Computed, Gap, IndicatorContext, online_points_of, point_states, share
from digipark.registry.models import Enterprise

ENERGY_QUANTITY = "electric_energy"


def energy_metered_online(ctx: IndicatorContext) -> Computed:
    """Electric-energy metering points online (telemetry's online share)."""
    online, total = online_points_of(ctx, ENERGY_QUANTITY)
    names = {
        ident: (name, name_en or name)
        for ident, name, name_en in ctx.session.execute(
            select(Enterprise.id, Enterprise.name, Enterprise.name_en).where(Enterprise.park_id == ctx.park_id)
        )
    }
    rows = []
    gaps = []
    for device in point_states(ctx, ENERGY_QUANTITY):
        device["enterprise"], device["enterprise_en"] = names.get(device["enterprise_id"], ("", ""))
        rows.append(device)
        if not device["ok"]:
            gaps.append(
                Gap(
                    "device",
                    device["device"],
                    "bring_online",
                    device["device_id"],
                    {
                        "offline": device["points"] - device["online"],
                        "points": device["points"],
                        "name_en": device["device_en"],
                    },
                )
            )
    return Computed(
        share(online, total),
        online,
        total,
        columns=["device", "enterprise", "points", "online", "ok"],
        rows=rows,
        gaps=gaps,
    )
