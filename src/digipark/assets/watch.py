"""The condition indicators an asset class declares (class data, `condition_indicators`), evaluated for each asset of
the class — a new class is watched without code:

- an indicator of a telemetry `quantity` (e.g. `bearing_temperature`, `winding_temperature`) is watched on ingest:
  for each asset of the class whose linked point (run hours, vibration, temperature, cycles, energy) measures that
  quantity, the alarms module keeps a threshold rule (`alarms.provides.ensure_threshold_rule`, key
  `asset:<asset>:<point>:<quantity>`; a rule of a point the asset no longer links stays, and its alarms open no
  order since the point is no asset's) with the indicator's `low`/`high` limits and `severity` (default major).
  The rules engine raises the alarm when a reading passes a limit, and the alarm opens a repair order through the
  existing alarm → work-order path (`alarm_orders`, `service.order_for_alarm`);
- an indicator of a computed vibration `feature` (`vib_rms`, `vib_peak`, `crest_factor`, `kurtosis`,
  `temperature_c` of the asset's condition day) is evaluated periodically by the maintenance day on the newest
  condition day: past a limit it raises an alarm through `alarms.provides.raise_external` (kind
  `asset:indicator`, one open alarm per asset and feature) and opens its repair order the same way.

Rules are written again only when the declaration or the asset's link changed, and a feature's day is evaluated once
(`asset_indicator_rule`: for a quantity the rule, for a feature the alarm last raised and the day)."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms.provides import ensure_threshold_rule, raise_external, retire_threshold_rule
from digipark.assets.models import USAGE_POINTS, Asset, AssetClass, ConditionDay, IndicatorRule, LifecycleState
from digipark.auth.scope import Scope, system_scope
from digipark.registry.models import Point
from digipark.web.i18n import N_

LINKS = ("vibration_point_id", "temperature_point_id", *USAGE_POINTS.values())
FEATURES = ("vib_rms", "vib_peak", "crest_factor", "kurtosis", "temperature_c")
SEVERITIES = ("info", "minor", "major", "critical")
DEFAULT_SEVERITY = "major"
FEATURE_ALARM = "asset:indicator"
FEATURE_TITLE = N_("Condition indicator past its limit")  # the alarm's title, translated where it is shown
IN_USE = (LifecycleState.IN_SERVICE.value, LifecycleState.UNDER_MAINTENANCE.value)


def check_indicators(declared: list[dict[str, Any]]) -> None:
    """A class's indicator declaration is well formed (raises ValueError naming the indicator)."""
    for spec in declared:
        name = spec.get("quantity") or spec.get("feature")
        if not name or (spec.get("quantity") and spec.get("feature")):
            raise ValueError(f"indicator {name!r}: give a telemetry quantity or a computed feature, one of them")
        if spec.get("feature") and spec["feature"] not in FEATURES:
            raise ValueError(f"indicator {name!r}: feature one of {', '.join(FEATURES)}")
        if spec.get("low") is None and spec.get("high") is None:
            raise ValueError(f"indicator {name!r}: needs a low or a high limit")
        for limit in ("low", "high"):
            if spec.get(limit) is not None and not isinstance(spec[limit], int | float):
                raise ValueError(f"indicator {name!r}: {limit} must be a number")
        if spec.get("severity", DEFAULT_SEVERITY) not in SEVERITIES:
            raise ValueError(f"indicator {name!r}: severity one of {', '.join(SEVERITIES)}")


def _scope(park_id: int, username: str) -> Scope:
    return dataclasses.replace(system_scope(park_id), username=username)


def linked_points(session: Session, asset: Asset) -> dict[str, int]:
    """quantity -> the asset's linked point measuring it."""
    ids = [getattr(asset, link) for link in LINKS if getattr(asset, link) is not None]
    if not ids:
        return {}
    rows = session.execute(select(Point.quantity, Point.id).where(Point.id.in_(ids), Point.park_id == asset.park_id))
    return {quantity: pid for quantity, pid in rows if quantity}


def _rule_key(asset_id: int, point_id: int, quantity: str) -> str:
    return f"asset:{asset_id}:{point_id}:{quantity}"[:80]


def sync_asset(session: Session, *, asset: Asset, username: str = "assets-automation") -> list[int]:
    """Keep the alarm rules of the asset's class's quantity indicators on its linked points; the rule ids. The rule
    of an indicator the class no longer declares (or whose point is no longer linked) is disabled."""
    klass = session.get(AssetClass, asset.class_id)
    declared = [s for s in (klass.condition_indicators or []) if s.get("quantity")] if klass else []
    points = linked_points(session, asset)
    kept = {r.indicator: r for r in session.scalars(select(IndicatorRule).where(IndicatorRule.asset_id == asset.id))}
    watched = {s["quantity"] for s in declared if points.get(s["quantity"]) is not None}
    for indicator, gone in list(kept.items()):
        if gone.point_id and indicator not in watched:
            key = _rule_key(asset.id, gone.point_id, indicator)
            retire_threshold_rule(session, scope=_scope(asset.park_id, username), park_id=asset.park_id, key=key)
            session.delete(gone)
            del kept[indicator]
    out: list[int] = []
    for spec in declared:
        point_id = points.get(spec["quantity"])
        if point_id is None:
            continue
        severity = spec.get("severity") or DEFAULT_SEVERITY
        signature = f"{point_id}|{spec.get('low')}|{spec.get('high')}|{severity}"
        row = kept.get(spec["quantity"])
        if row is not None and row.signature == signature:
            out.append(row.rule_id)
            continue
        label = spec.get("label_zh") or spec["quantity"]
        rule_id = ensure_threshold_rule(
            session,
            scope=_scope(asset.park_id, username),
            park_id=asset.park_id,
            point_id=point_id,
            key=_rule_key(asset.id, point_id, spec["quantity"]),
            name=f"{asset.code} {label}超限"[:200],
            name_en=f"{asset.code} {spec.get('label_en') or spec['quantity']} out of limits"[:200],
            above=spec.get("high"),
            below=spec.get("low"),
            severity=severity,
        )
        if row is None:
            row = IndicatorRule(park_id=asset.park_id, asset_id=asset.id, indicator=spec["quantity"][:60])
            session.add(row)
        row.point_id, row.rule_id, row.signature = point_id, rule_id, signature
        out.append(rule_id)
    session.flush()
    return out


def sync_park(session: Session, *, park_id: int, username: str = "assets-maintenance") -> int:
    """`sync_asset` for every asset in use of the park's classes that declare quantity indicators; rules kept."""
    classes = [
        c.id
        for c in session.scalars(select(AssetClass).where(AssetClass.park_id == park_id))
        if any(s.get("quantity") for s in c.condition_indicators or [])
    ]
    if not classes:
        return 0
    assets = session.scalars(
        select(Asset).where(Asset.park_id == park_id, Asset.class_id.in_(classes), Asset.state.in_(IN_USE))
    )
    return sum(len(sync_asset(session, asset=a, username=username)) for a in assets)


def passed(spec: dict[str, Any], value: float | None) -> bool:
    """Whether a value is past the indicator's limits (outside [low, high])."""
    if value is None:
        return False
    low, high = spec.get("low"), spec.get("high")
    return (high is not None and value > high) or (low is not None and value < low)


def check_features(session: Session, *, scope: Scope, asset: Asset) -> list[int]:
    """Evaluate the class's feature indicators on the asset's newest condition day: an alarm (raised or raised
    again) and its repair order for each limit passed. The ids of the orders opened."""
    from digipark.assets.service import order_for_asset_alarm

    klass = session.get(AssetClass, asset.class_id)
    declared = [s for s in (klass.condition_indicators or []) if s.get("feature")] if klass else []
    if not declared or asset.state not in IN_USE:
        return []
    day = session.scalar(
        select(ConditionDay).where(ConditionDay.asset_id == asset.id).order_by(ConditionDay.day.desc()).limit(1)
    )
    if day is None:
        return []
    kept = {r.indicator: r for r in session.scalars(select(IndicatorRule).where(IndicatorRule.asset_id == asset.id))}
    opened: list[int] = []
    for spec in declared:
        value = getattr(day, spec["feature"])
        severity = spec.get("severity") or DEFAULT_SEVERITY
        signature = f"{day.day}|{spec.get('low')}|{spec.get('high')}|{severity}"
        row = kept.get(spec["feature"])
        if (row is not None and row.signature == signature) or not passed(spec, value):
            continue  # this day was evaluated already (the maintenance day runs hourly), or is within the limits
        label = spec.get("label_zh") or spec["feature"]
        limits = "–".join("" if spec.get(k) is None else str(spec[k]) for k in ("low", "high"))
        detail = f"{asset.code} {asset.name}：{label} {value:.2f} {spec.get('unit') or ''}（限值 {limits}，{day.day}）"
        alarm = raise_external(
            session,
            park_id=asset.park_id,
            source_kind=FEATURE_ALARM,
            source_ref=f"{asset.id}:{spec['feature']}",
            severity=severity,
            title_key=FEATURE_TITLE,
            detail=detail,
            building_id=asset.building_id,
            enterprise_id=asset.enterprise_id,
        )
        if row is None:
            row = IndicatorRule(park_id=asset.park_id, asset_id=asset.id, indicator=spec["feature"], point_id=0)
            session.add(row)
        row.rule_id, row.signature = alarm.id, signature
        order_id = order_for_asset_alarm(
            session, scope=scope, asset=asset, alarm_id=alarm.id, severity=severity, message=detail
        )
        if order_id is not None:
            opened.append(order_id)
    return opened
