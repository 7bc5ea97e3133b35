"""Maintenance cost per asset: the parts its work orders consumed plus their labour — hands-on hours (started →
completed, read through `workorders.provides`) × the trade's hourly rate (the order's category; rates as data in
`data/labour.yaml`). An asset's work orders are the ones the register links to it: opened by its predictions, its
condition alarms, its plans (the last), recorded as its failures' repairs, or named by its parts consumptions."""

from __future__ import annotations

import builtins
import dataclasses
import functools
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.assets import parts
from digipark.assets.models import AlarmOrder, Asset, Failure, MaintenancePlan, PartMovement, Prediction
from digipark.auth.scope import Scope
from digipark.core.errors import NotFound
from digipark.workorders.provides import WorkOrderRead, read_order


@functools.cache
def labour_rates() -> dict[str, Any]:
    text = resources.files("digipark.assets").joinpath("data/labour.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def rate_of(category: str) -> float:
    """Yuan per hour of the trade."""
    data = labour_rates()
    return float(data["rates"].get(category, data["default_rate"]))


def labour_hours(order: WorkOrderRead) -> float:
    """Hands-on hours of a completed order (0 while it is not completed)."""
    if order.completed_at is None:
        return 0.0
    began = order.started_at or order.completed_at
    return max(0.0, (order.completed_at - began).total_seconds() / 3600)


@dataclasses.dataclass(frozen=True)
class LabourLine:
    order: WorkOrderRead
    hours: float
    rate: float

    @property
    def cost(self) -> float:
        return round(self.hours * self.rate, 2)


@dataclasses.dataclass(frozen=True)
class Costs:
    parts: float
    labour: builtins.list[LabourLine]

    @property
    def labour_cost(self) -> float:
        return round(sum(line.cost for line in self.labour), 2)

    @property
    def total(self) -> float:
        return round(self.parts + self.labour_cost, 2)


def order_ids(session: Session, *, scope: Scope, asset: Asset) -> builtins.set[int]:
    """The ids of the work orders linked to the asset."""
    ids: builtins.set[int] = set()
    for column, model in (
        (Prediction.order_id, Prediction),
        (AlarmOrder.order_id, AlarmOrder),
        (Failure.repair_order_id, Failure),
        (MaintenancePlan.last_order_id, MaintenancePlan),
        (PartMovement.order_id, PartMovement),
    ):
        stmt = select(column).where(scope.condition(model), model.asset_id == asset.id, column.is_not(None))
        ids.update(int(i) for i in session.scalars(stmt) if i is not None)
    return ids


def of_asset(session: Session, *, scope: Scope, asset: Asset) -> Costs:
    """The asset's parts and labour costs (labour of its completed orders the caller reads)."""
    lines = []
    for ident in sorted(order_ids(session, scope=scope, asset=asset)):
        try:
            order = read_order(session, scope=scope, ident=ident)
        except NotFound:
            continue
        if order.completed_at is not None:
            lines.append(LabourLine(order, round(labour_hours(order), 2), rate_of(order.category)))
    return Costs(parts.parts_cost(session, scope=scope, asset=asset), lines)
