"""Depreciation schedules as Chinese accounting practice computes them (rules and sources in
data/depreciation.yaml): straight-line (年限平均法), double-declining balance (双倍余额递减法, straight-line over the
last two years) and sum-of-the-years'-digits (年数总和法). Depreciation starts the month after the asset is put
into service; a year of the schedule is twelve months from that month, each month a twelfth of its year."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from importlib import resources
from typing import Any

import yaml

from digipark.assets.models import DepreciationMethod


@functools.cache
def rules() -> dict[str, Any]:
    text = resources.files("digipark.assets").joinpath("data/depreciation.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@dataclasses.dataclass(frozen=True)
class Month:
    month: dt.date  # the first day of the month
    depreciation: float
    accumulated: float
    net_book_value: float


def annual_amounts(cost: float, salvage: float, years: int, method: str) -> list[float]:
    """The depreciation of each year of the useful life."""
    if years < 1:
        raise ValueError("useful life must be at least one year")
    base = cost - salvage
    if method == DepreciationMethod.STRAIGHT_LINE:
        return [base / years] * years
    if method == DepreciationMethod.SUM_OF_YEARS:
        digits = years * (years + 1) / 2
        return [base * (years - i) / digits for i in range(years)]
    if method == DepreciationMethod.DOUBLE_DECLINING:
        switch = min(int(rules()["double_declining_switch_years"]), years)
        rate = 2 / years
        amounts: list[float] = []
        book = cost
        for _ in range(years - switch):
            amount = book * rate
            amounts.append(amount)
            book -= amount
        amounts.extend([(book - salvage) / switch] * switch)
        return amounts
    raise ValueError(f"unknown depreciation method {method!r}")


def _add_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


def first_month(in_service_on: dt.date) -> dt.date:
    """The first month depreciated: the month after the one the asset was put into service."""
    start = in_service_on.replace(day=1)
    return _add_months(start, 1) if rules()["start_next_month"] else start


def monthly_schedule(
    *, cost: float, salvage: float, life_months: int, method: str, in_service_on: dt.date
) -> list[Month]:
    """Every month of the useful life: its depreciation, the accumulated depreciation and the net book value.
    Straight-line takes any number of months; the accelerated methods a whole number of years."""
    if life_months < 1:
        raise ValueError("useful life must be at least one month")
    if method == DepreciationMethod.STRAIGHT_LINE:
        monthly = [(cost - salvage) / life_months] * life_months
    else:
        if life_months % 12:
            raise ValueError("accelerated depreciation needs a useful life of whole years")
        monthly = [
            amount / 12 for amount in annual_amounts(cost, salvage, life_months // 12, method) for _ in range(12)
        ]
    start = first_month(in_service_on)
    months: list[Month] = []
    accumulated = 0.0
    for n, amount in enumerate(monthly):
        accumulated += amount
        months.append(Month(_add_months(start, n), amount, accumulated, cost - accumulated))
    return months


def net_book_value(
    *, cost: float, salvage: float, life_months: int, method: str, in_service_on: dt.date | None, on: dt.date
) -> float:
    """The net book value at the end of the month before `on` (the cost before depreciation has started)."""
    if in_service_on is None:
        return cost
    value = cost
    for month in monthly_schedule(
        cost=cost, salvage=salvage, life_months=life_months, method=method, in_service_on=in_service_on
    ):
        if month.month >= on.replace(day=1):
            break
        value = month.net_book_value
    return value


def yearly_totals(months: list[Month]) -> list[float]:
    """Depreciation per schedule year (twelve months each)."""
    return [sum(m.depreciation for m in months[i : i + 12]) for i in range(0, len(months), 12)]
