"""Energy plans and quotas (能耗计划与定额): a yearly quota split by month, progress against the plan to date, and
warnings before the quota is reached — free of the database.

Warnings (levels in data/plans.yaml, the park's policy): `approaching` / `near` / `reached` when consumption to
date reaches that share of the year's quota; `ahead` when consumption to date runs more than `ahead_of_plan` above
the plan to date; `projected` when the year's projection (consumption to date × plan of the year ÷ plan to date)
exceeds the quota although it is not reached yet."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def plan_data() -> dict[str, Any]:
    text = resources.files("digipark.automation").joinpath("data/plans.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def monthly(quota: float, weights: Sequence[float] | None = None) -> list[float]:
    """The year's quota split into 12 months by `weights` (even when none)."""
    raw = list(weights) if weights else [1.0] * 12
    if len(raw) != 12 or any(w < 0 for w in raw) or sum(raw) <= 0:
        raise ValueError("12 non-negative monthly weights, not all zero")
    total = sum(raw)
    return [quota * w / total for w in raw]


@dataclasses.dataclass(frozen=True)
class Progress:
    quota: float
    months: int  # months counted (1..12)
    plan_to_date: float
    actual_to_date: float
    projected: float
    warnings: tuple[str, ...]

    @property
    def share_of_year(self) -> float:
        return self.actual_to_date / self.quota if self.quota else 0.0

    @property
    def share_of_plan(self) -> float:
        return self.actual_to_date / self.plan_to_date if self.plan_to_date else 0.0


def progress(quota: float, plan_months: Sequence[float], actual_months: Sequence[float], months: int) -> Progress:
    """Progress over the first `months` months of the year."""
    months = max(1, min(12, months))
    plan_to_date = sum(plan_months[:months])
    actual = sum(actual_months[:months])
    projected = actual * quota / plan_to_date if plan_to_date else actual
    data = plan_data()
    warnings: list[str] = []
    reached = [lvl["code"] for lvl in data["levels"] if quota and actual >= quota * float(lvl["share_of_year"])]
    if reached:
        warnings.append(reached[-1])
    if plan_to_date and actual > plan_to_date * (1 + float(data["ahead_of_plan"])):
        warnings.append("ahead")
    if quota and projected > quota and actual < quota:
        warnings.append("projected")
    return Progress(quota, months, plan_to_date, actual, projected, tuple(warnings))
