"""The assets module's share of evaluation indicator S3.1 资产管理数字化 (the guide: 整合园区土地、楼宇、道路设施等
各类资产信息，实现资产全链条全生命周期数字化……推动资产智能化运维，实现设施设备动态监测、智能评估与运维优化). The
reference's definition (guide_standards.yaml, S3.1) counts, besides buildings and parcels, "public equipment
registered with lifecycle records, and key equipment with condition monitoring"; the evaluation's
`asset_management` formula takes these two parts from here when the module is installed:

- `equipment_complete`: the park's own assets in service (or under maintenance) whose record is complete for
  lifecycle management — in-service day, purchase value, location (a building or a place) and an active
  maintenance plan;
- `key_equipment_monitored`: those of them of a rotating class (the machines condition monitoring applies to)
  with a linked vibration or temperature point that is online.
"""

from __future__ import annotations

from sqlalchemy import select

from digipark.assets.models import Asset, AssetClass, LifecycleState, MaintenancePlan
from digipark.evaluation.provides import Computed, Gap, IndicatorContext, Part
from digipark.telemetry.provides import online_points

IN_USE = (LifecycleState.IN_SERVICE.value, LifecycleState.UNDER_MAINTENANCE.value)


def asset_equipment(ctx: IndicatorContext) -> Computed:
    """The two equipment parts of S3.1 (value: the lower of them)."""
    assets = list(
        ctx.session.scalars(
            select(Asset)
            .where(Asset.park_id == ctx.park_id, Asset.enterprise_id.is_(None), Asset.state.in_(IN_USE))
            .order_by(Asset.code)
        )
    )
    classes = {c.id: c for c in ctx.session.scalars(select(AssetClass).where(AssetClass.park_id == ctx.park_id))}
    planned = set(
        ctx.session.scalars(
            select(MaintenancePlan.asset_id).where(
                MaintenancePlan.park_id == ctx.park_id, MaintenancePlan.active.is_(True)
            )
        )
    )
    linked = {p for a in assets for p in (a.vibration_point_id, a.temperature_point_id) if p is not None}
    online = online_points(ctx.session, sorted(linked), now=ctx.now_ms) if linked else set()
    rows = []
    gaps: list[Gap] = []
    complete = key = monitored = 0
    for a in assets:
        missing = [
            field
            for field, ok in (
                ("in_service_on", a.in_service_on is not None),
                ("purchase_value", a.purchase_value > 0),
                ("location", a.building_id is not None or bool(a.location)),
                ("maintenance_plan", a.id in planned),
            )
            if not ok
        ]
        klass = classes.get(a.class_id)
        rotating = bool(klass is not None and klass.rotating)
        watched = any(p in online for p in (a.vibration_point_id, a.temperature_point_id) if p is not None)
        complete += not missing
        key += rotating
        monitored += rotating and watched
        rows.append(
            {
                "asset": "equipment",
                "name": f"{a.code} {a.name}",
                "missing": ", ".join(missing + ([] if watched or not rotating else ["condition_monitoring"])),
                "ok": not missing and (watched or not rotating),
                "link": f"/assets/{a.id}",
            }
        )
        if missing:
            gaps.append(Gap("equipment", f"{a.code} {a.name}", "complete_equipment", a.id, {"fields": missing}))
        if rotating and not watched:
            gaps.append(Gap("equipment", f"{a.code} {a.name}", "monitor_equipment", a.id))
    parts = [Part("equipment_complete", complete, len(assets)), Part("key_equipment_monitored", monitored, key)]
    shares = [p.share for p in parts if p.share is not None]
    return Computed(min(shares) if shares else None, parts=parts, rows=rows, gaps=gaps)
