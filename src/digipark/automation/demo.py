"""The demo park's automation and energy operations: two enabled rules a control room keeps (a combustible-gas
reading opens a work order and tells the safety roster; a major alarm tells the duty manager), a disabled
time-of-day rule, the billing setting (a building's public-area meter apportioned by leased area), and this year's
electricity plan of each enterprise with a meter (its quota near its pace so far, a few running ahead).

Synthetic and deterministic from the seed."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.automation.models import AutomationRule, BillingSetting, EnergyPlan
from digipark.energy.provides import meter_tree, year_data
from digipark.registry.models import Point, Room

MIN_QUOTA_KWH = 200_000.0


def _gas_point(session: Session, park_id: int) -> int | None:
    return session.scalar(
        select(Point.id)
        .where(Point.park_id == park_id, Point.quantity == "combustible_gas")
        .order_by(Point.id)
        .limit(1)
    )


def build_automation_demo(session: Session, *, park_id: int, as_of: dt.date, seed: int) -> dict[str, int]:
    """Write the demo's rules, billing setting and plans (none when the park has rules already)."""
    counts = {"automation_rules": 0, "energy_plans": 0, "billing_settings": 0}
    if session.scalar(select(func.count()).select_from(AutomationRule).where(AutomationRule.park_id == park_id)):
        return counts
    rng = random.Random(f"{seed}:automation")
    gas = _gas_point(session, park_id)
    rules = []
    if gas is not None:
        rules.append(
            AutomationRule(
                park_id=park_id,
                name="可燃气体浓度超限自动派单",
                trigger={
                    "kind": "reading",
                    "point_id": gas,
                    "conditions": [
                        {"type": "threshold", "op": "above", "high": 20.0, "low": None, "hysteresis": 2.0, "for_s": 0.0}
                    ],
                },
                conditions=None,
                actions=[
                    {"kind": "work_order", "title": "可燃气体浓度超限现场核查", "building_id": None},
                    {"kind": "notify", "to": "安全值班组", "text": "可燃气体浓度超过20%LEL，已自动派单"},
                ],
                enabled=True,
            )
        )
    rules.append(
        AutomationRule(
            park_id=park_id,
            name="严重告警通知值班长",
            trigger={"kind": "alarm_raised", "min_severity": "major", "building_id": None},
            conditions=None,
            actions=[{"kind": "notify", "to": "运营中心值班长", "text": "出现严重及以上告警，请到岗处置"}],
            enabled=True,
        )
    )
    rules.append(
        AutomationRule(
            park_id=park_id,
            name="工作日早间能耗巡检提醒",
            trigger={"kind": "schedule", "at": "08:30", "days": "working"},
            conditions=None,
            actions=[{"kind": "notify", "to": "能源管理员", "text": "请查看昨日分时用电与计划进度"}],
            enabled=False,
        )
    )
    session.add_all(rules)
    counts["automation_rules"] = len(rules)

    meters = meter_tree(session, park_id=park_id)
    electric = [m for m in meters if m["carrier"] == "electricity" and m["flow"] == "purchased" and m["point_id"]]
    shared = next((m for m in electric if m["level"] == "building"), None)
    areas: dict[str, float] = defaultdict(float)
    for enterprise_id, area in session.execute(
        select(Room.enterprise_id, Room.area_m2).where(Room.park_id == park_id, Room.enterprise_id.is_not(None))
    ):
        areas[str(enterprise_id)] += float(area or 0.0)
    session.add(
        BillingSetting(
            park_id=park_id, shared_meter_id=shared["id"] if shared else None, method="area", areas=dict(areas)
        )
    )
    counts["billing_settings"] = 1

    data = year_data(session, park_id, as_of.year)
    months = max(as_of.month, 1)
    used: dict[int, float] = defaultdict(float)
    for meter in electric:
        if meter["level"] == "enterprise" and meter["enterprise_id"] is not None:
            used[meter["enterprise_id"]] += sum(data.by_meter.get(meter["id"], [0.0])[:months])
    for enterprise_id, total in sorted(used.items()):
        quota = round(max(total * 12 / months * rng.uniform(0.92, 1.2), MIN_QUOTA_KWH), -3)
        session.add(
            EnergyPlan(
                park_id=park_id,
                enterprise_id=enterprise_id,
                year=as_of.year,
                carrier="electricity",
                quota=quota,
                weights=[],
            )
        )
        counts["energy_plans"] += 1
    session.flush()
    return counts
