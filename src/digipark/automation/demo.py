"""The demo park's automation and energy operations: two enabled rules a control room keeps (a combustible-gas
reading opens a work order and tells the safety roster; a major alarm tells the duty manager), a disabled
time-of-day rule, the billing setting (a building's public-area meter apportioned by leased area), this year's
electricity plan of each enterprise with a meter (its quota near its pace so far, a few running ahead) and its
prepaid electricity account (one in eight below its warning level).

Synthetic and deterministic from the seed."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.automation.models import AutomationRule, BillingSetting, EnergyPlan
from digipark.automation.prepaid_models import PrepaidAccount, PrepaidEntry
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
    counts = {"automation_rules": 0, "energy_plans": 0, "billing_settings": 0, "prepaid_accounts": 0}
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
    counts["prepaid_accounts"] = _prepaid(session, park_id, as_of, rng, sorted(used.items()))
    return counts


def _prepaid(session: Session, park_id: int, as_of: dt.date, rng: random.Random, used: list[tuple[int, float]]) -> int:
    """Prepaid accounts of the enterprises with a meter: a top-up at the start of this month of about two months'
    electricity (at 0.8 yuan/kWh); one in eight topped up too little, below its warning level."""
    months = max(as_of.month, 1)
    when = dt.datetime.combine(as_of.replace(day=1), dt.time(9, 0), tzinfo=dt.UTC)
    for index, (enterprise_id, total) in enumerate(used):
        monthly = total / months * 0.8
        low = round(max(monthly * 0.5, 1000.0), -2)
        amount = round(low * rng.uniform(0.3, 0.8) if index % 8 == 3 else monthly * rng.uniform(1.5, 2.5) + low, -2)
        account = PrepaidAccount(
            park_id=park_id, enterprise_id=enterprise_id, balance=amount, low_balance=low, warned=amount < low
        )
        session.add(account)
        session.flush()
        session.add(
            PrepaidEntry(
                park_id=park_id,
                enterprise_id=enterprise_id,
                account_id=account.id,
                kind="top_up",
                amount=amount,
                balance_after=amount,
                at=when,
                by="demo",
                note="银行转账充值",
            )
        )
    session.flush()
    return len(used)
