"""What the economic dashboard is computed from: the reference data (warning rules, Spring Festivals, employee
bands, the standard coal factor), growth on a comparable basis (同口径) and the one aggregate query (GROUP BY
enterprise over the months the dashboard needs, with conditional sums per period)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.economy.models import MonthlyStatistic
from digipark.economy.schemas import Growth
from digipark.economy.statistics import add_months
from digipark.registry.models import Enterprise

TOP_N = 10
Row = Mapping[str, Any]
FIGURE_UNITS = {
    "output_value_wan_yuan": "万元",
    "sales_revenue_wan_yuan": "万元",
    "tax_paid_wan_yuan": "万元",
    "total_profit_wan_yuan": "万元",
    "employees": "人",
    "rnd_spending_wan_yuan": "万元",
    "electricity_kwh": "kWh",
    "export_value_wan_yuan": "万元",
}
STOCK_FIGURES = frozenset({"employees"})
OUTPUT, TAX, ELECTRICITY = "output_value_wan_yuan", "tax_paid_wan_yuan", "electricity_kwh"


# -- reference data --------------------------------------------------------------------------------------------
@cache
def _data(name: str) -> dict[str, Any]:
    text = resources.files("digipark.economy").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise RuntimeError(f"malformed economy data: {name}")
    return raw


def warning_rules() -> dict[str, Any]:
    return dict(_data("warnings.yaml"))


@cache
def spring_festivals() -> dict[int, dt.date]:
    """Year -> the date of the Spring Festival (农历正月初一)."""
    return {int(year): dt.date.fromisoformat(str(day)) for year, day in _data("spring_festival.yaml")["dates"].items()}


def spring_festival_month(year: int) -> dt.date | None:
    day = spring_festivals().get(year)
    return day.replace(day=1) if day is not None else None


@dataclasses.dataclass(frozen=True)
class EmployeeBand:
    min: int
    key: str
    zh: str
    en: str


@cache
def employee_bands() -> tuple[EmployeeBand, ...]:
    bands = [
        EmployeeBand(int(b["min"]), str(b["key"]), str(b["zh"]), str(b["en"]))
        for b in _data("enterprise_size.yaml")["bands"]
    ]
    return tuple(sorted(bands, key=lambda b: b.min))


def band_of(employees: int) -> EmployeeBand:
    found = employee_bands()[0]
    for band in employee_bands():
        if employees >= band.min:
            found = band
    return found


@cache
def coal_factor() -> tuple[float, str]:
    """kgce per kWh of electricity (equivalent value) and its source."""
    raw = _data("standard_coal.yaml")
    return float(raw["electricity"]["kgce_per_unit"]), str(raw["source"])


# -- growth ----------------------------------------------------------------------------------------------------
def growth(value: float, base: float, comparable: int, excluded: int) -> Growth:
    percent = (value / base - 1) * 100 if base > 0 else None
    return Growth(value=value, base=base, percent=percent, comparable=comparable, excluded=excluded)


def growth_over(
    rows: Iterable[dict[str, Any]],
    value: str,
    base: str,
    in_set: Callable[[dict[str, Any]], bool],
    touched: Callable[[dict[str, Any]], bool],
) -> Growth:
    """Growth of column `value` over column `base`, summed over the rows `in_set` (the comparable set);
    rows `touched` (reported in either period) but not in the set are counted as excluded."""
    members = [row for row in rows if in_set(row)]
    excluded = sum(1 for row in rows if touched(row) and not in_set(row))
    return growth(column_sum(members, value), column_sum(members, base), len(members), excluded)


def column_sum(rows: Iterable[Row], name: str) -> float:
    return float(sum(row[name] or 0 for row in rows))


def comparable_subset(rows: list[dict[str, Any]], present: str, base_present: str) -> tuple[list[dict[str, Any]], int]:
    """The rows reported in both periods, and how many reported in only one of them."""
    both = [r for r in rows if r[present] and r[base_present]]
    either = sum(1 for r in rows if r[present] or r[base_present])
    return both, either - len(both)


# -- the aggregate query ---------------------------------------------------------------------------------------
@cache
def _key(period: dt.date) -> str:
    return f"{period:%Y%m}"


@cache
def point_name(figure: str, period: dt.date) -> str:
    return f"{figure}@{_key(period)}"


@cache
def present_name(period: dt.date) -> str:
    return f"n@{_key(period)}"


@cache
def count_name(first: dt.date, last: dt.date) -> str:
    return f"n@{_key(first)}-{_key(last)}"


@dataclasses.dataclass(frozen=True)
class Window:
    """The months one dashboard needs, all relative to the month M asked for."""

    month: dt.date

    def back(self, months: int) -> dt.date:
        return add_months(self.month, -months)

    @property
    def ytd_from(self) -> dt.date:
        return self.month.replace(month=1)

    @property
    def last_year(self) -> dt.date:
        return self.back(12)

    @property
    def pytd_from(self) -> dt.date:
        return self.last_year.replace(month=1)

    @property
    def ttm_from(self) -> dt.date:
        return self.back(11)

    def stopped_periods(self, months: int) -> tuple[dt.date, dt.date]:
        return self.back(months - 1), self.month

    def lookback(self, months: int, lookback: int) -> tuple[dt.date, dt.date]:
        return self.back(months + lookback - 1), self.back(months)


class SumColumns:
    """Collects the labelled aggregate columns of the query, each added once."""

    def __init__(self) -> None:
        self.columns: dict[str, ColumnElement[Any]] = {}
        self.periods: set[dt.date] = set()

    def point(self, figure: str, period: dt.date) -> str:
        name = f"{figure}@{_key(period)}"
        if name not in self.columns:
            column = getattr(MonthlyStatistic, figure)
            self.columns[name] = func.sum(case((MonthlyStatistic.period == period, column)))
            self.periods.add(period)
        self.present(period)
        return name

    def present(self, period: dt.date) -> str:
        name = f"n@{_key(period)}"
        if name not in self.columns:
            self.columns[name] = func.count(case((MonthlyStatistic.period == period, 1)))
            self.periods.add(period)
        return name

    def span(self, figure: str, first: dt.date, last: dt.date) -> str:
        name = f"{figure}@{_key(first)}-{_key(last)}"
        if name not in self.columns:
            column = getattr(MonthlyStatistic, figure)
            self.columns[name] = func.sum(case((MonthlyStatistic.period.between(first, last), column)))
            self.periods.update((first, last))
        return name

    def count(self, first: dt.date, last: dt.date) -> str:
        name = count_name(first, last)
        if name not in self.columns:
            self.columns[name] = func.count(case((MonthlyStatistic.period.between(first, last), 1)))
            self.periods.update((first, last))
        return name


def enterprise_rows(
    session: Session, scope: Scope, park_id: int, columns: SumColumns, enterprise_id: int | None = None
) -> list[dict[str, Any]]:
    """One dict per enterprise with statistics in the window: the labelled aggregates and `last_period`."""
    first, last = min(columns.periods), max(columns.periods)
    stmt = (
        select(
            MonthlyStatistic.enterprise_id.label("enterprise_id"),
            func.max(MonthlyStatistic.period).label("last_period"),
            *(column.label(name) for name, column in columns.columns.items()),
        )
        .where(
            MonthlyStatistic.park_id == park_id,
            MonthlyStatistic.period.between(first, last),
            scope.condition(MonthlyStatistic),
        )
        .group_by(MonthlyStatistic.enterprise_id)
    )
    if enterprise_id is not None:
        stmt = stmt.where(MonthlyStatistic.enterprise_id == enterprise_id)
    result = session.connection().execute(stmt)  # plain rows: no ORM processing of a wide result
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


def row_value(row: Row, name: str) -> float:
    value = row[name]
    return 0.0 if value is None else value


@dataclasses.dataclass(frozen=True)
class EnterpriseInfo:
    id: int
    name: str
    industry_code: str
    above_scale: bool
    employees: int | None
    status: str


def park_enterprises(session: Session, scope: Scope, park_id: int) -> dict[int, EnterpriseInfo]:
    stmt = select(
        Enterprise.id,
        Enterprise.name,
        Enterprise.industry_code,
        Enterprise.above_scale,
        Enterprise.employees,
        Enterprise.status,
    ).where(Enterprise.park_id == park_id, scope.condition(Enterprise))
    return {row.id: EnterpriseInfo(*row) for row in session.execute(stmt)}
