"""The park's economic dashboard: totals and growth, breakdowns, 亩均 figures, output per unit of energy,
rankings and early warnings, for one park and one month.

Everything is computed from one aggregate query (GROUP BY enterprise over the months the dashboard needs,
with conditional sums per period) plus a few small ones, so the cost grows with the number of enterprises,
not with years of history.

Growth on a comparable basis (同口径), the way Chinese statistics compute it:
- 同比 (year on year) of month M: Σ figure(M) / Σ figure(M-12) − 1 over the enterprises that submitted both
  months; 环比 (month on month): the same with M-1.
- 累计同比 (year-to-date growth): Σ figure(Jan..M of year Y) / Σ figure(Jan..M of year Y-1) − 1 over the
  enterprises that submitted *every* month Jan..M of *both* years. An enterprise missing any of those months
  is excluded from that comparison — from the numerator and the denominator — and counted in `excluded`.
- Totals (month, year to date) are plain sums of every submission, whatever the comparable set.
- A base of zero or less (a loss last year) gives no percentage (null).
- Figures are the current ones: a correction replaces the values in every growth rate; its history keeps the
  old values.
- Employees are a stock: the year-to-date figure is the average of the months, not their sum.

亩均 (per mu of land): an enterprise occupies rooms (Room.enterprise_id) in buildings on land parcels. A parcel
is allocated to its tenants in proportion to the floor area each leases in that parcel's buildings (a parcel
with one tenant goes wholly to it; vacant floor area is not counted, so the parcel is fully allocated to its
tenants). 亩均产值 / 亩均税收 = output / tax of the twelve months ending M (trailing twelve months) ÷ allocated
land in 亩 (core.units `mu`: 1 亩 = 10000/15 m²). Only enterprises that submitted all twelve months are ranked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core import spreadsheet
from digipark.core.codes import CodeError, industry
from digipark.core.errors import NotFound
from digipark.core.units import convert
from digipark.economy.models import FIGURES, MonthlyStatistic
from digipark.economy.schemas import (
    BreakdownRow,
    Dashboard,
    EnergySummary,
    FigureSummary,
    Growth,
    LandRow,
    LandSummary,
    RankRow,
    TrendPoint,
    WarningRead,
)
from digipark.economy.statistics import add_months, current_month, expected_condition
from digipark.registry.models import Building, Enterprise, LandParcel, Room

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


def _growth_over(
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
    return growth(_sum(members, value), _sum(members, base), len(members), excluded)


def _sum(rows: Iterable[Row], name: str) -> float:
    return float(sum(row[name] or 0 for row in rows))


def _comparable(rows: list[dict[str, Any]], present: str, base_present: str) -> tuple[list[dict[str, Any]], int]:
    """The rows reported in both periods, and how many reported in only one of them."""
    both = [r for r in rows if r[present] and r[base_present]]
    either = sum(1 for r in rows if r[present] or r[base_present])
    return both, either - len(both)


# -- the aggregate query ---------------------------------------------------------------------------------------
@cache
def _key(period: dt.date) -> str:
    return f"{period:%Y%m}"


@cache
def _point_name(figure: str, period: dt.date) -> str:
    return f"{figure}@{_key(period)}"


@cache
def _present_name(period: dt.date) -> str:
    return f"n@{_key(period)}"


@cache
def _count_name(first: dt.date, last: dt.date) -> str:
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


class _Columns:
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
        name = _count_name(first, last)
        if name not in self.columns:
            self.columns[name] = func.count(case((MonthlyStatistic.period.between(first, last), 1)))
            self.periods.update((first, last))
        return name


def _enterprise_rows(
    session: Session, scope: Scope, park_id: int, columns: _Columns, enterprise_id: int | None = None
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


def _value(row: Row, name: str) -> float:
    value = row[name]
    return 0.0 if value is None else value


@dataclasses.dataclass(frozen=True)
class _EnterpriseInfo:
    id: int
    name: str
    industry_code: str
    above_scale: bool
    employees: int | None
    status: str


def _enterprises(session: Session, scope: Scope, park_id: int) -> dict[int, _EnterpriseInfo]:
    stmt = select(
        Enterprise.id,
        Enterprise.name,
        Enterprise.industry_code,
        Enterprise.above_scale,
        Enterprise.employees,
        Enterprise.status,
    ).where(Enterprise.park_id == park_id, scope.condition(Enterprise))
    return {row.id: _EnterpriseInfo(*row) for row in session.execute(stmt)}


# -- land ------------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class LandShare:
    m2: float = 0.0
    parcels: list[tuple[int, str, float, float]] = dataclasses.field(default_factory=list)  # id, code, m2, share

    @property
    def mu(self) -> float:
        return self.m2 / m2_per_mu()


@cache
def m2_per_mu() -> float:
    """Square metres in one 亩 (from the unit registry, converted once)."""
    return convert(1.0, "mu", "m**2")


def land_allocation(session: Session, *, park_id: int, enterprise_id: int | None = None) -> dict[int, LandShare]:
    """Land per enterprise: each parcel split among its tenants by the floor area each leases on it.

    Reads the registry directly (not through a scope): the allocation of a parcel depends on every tenant of
    it, and callers show an enterprise only its own share.
    """
    leased = (
        select(Building.parcel_id, Room.enterprise_id, func.sum(Room.area_m2).label("area"))
        .join(Building, Building.id == Room.building_id)
        .where(Room.park_id == park_id, Room.enterprise_id.is_not(None), Building.parcel_id.is_not(None))
        .group_by(Building.parcel_id, Room.enterprise_id)
    )
    by_parcel: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for parcel_id, tenant, area in session.execute(leased):
        if parcel_id is not None and tenant is not None and area and area > 0:
            by_parcel[parcel_id].append((tenant, float(area)))
    if enterprise_id is not None:
        by_parcel = {p: tenants for p, tenants in by_parcel.items() if any(t == enterprise_id for t, _ in tenants)}
    if not by_parcel:
        return {}
    parcels = {
        ident: (code, float(area))
        for ident, code, area in session.execute(
            select(LandParcel.id, LandParcel.code, LandParcel.area_m2).where(LandParcel.id.in_(sorted(by_parcel)))
        )
    }
    shares: dict[int, LandShare] = defaultdict(LandShare)
    for parcel_id, tenants in by_parcel.items():
        code, parcel_area = parcels[parcel_id]
        total = sum(area for _, area in tenants)
        for tenant, area in tenants:
            if enterprise_id is not None and tenant != enterprise_id:
                continue
            share = area / total
            shares[tenant].m2 += parcel_area * share
            shares[tenant].parcels.append((parcel_id, code, parcel_area * share, share))
    return dict(shares)


# -- warnings --------------------------------------------------------------------------------------------------
def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def _change(value: float, base: float) -> str:
    return f"{(value / base - 1) * 100:+.1f}%"


def _zh_month(period: dt.date) -> str:
    return f"{period.year}年{period.month}月"


def _en_month(period: dt.date) -> str:
    return f"{period:%Y-%m}"


def _plan_warning_columns(columns: _Columns, window: Window, rules: dict[str, Any]) -> None:
    spec = rules["rules"]
    for k in range(int(spec["output_yoy_drop"]["consecutive_months"])):
        columns.point(spec["output_yoy_drop"]["figure"], window.back(k))
        columns.point(spec["output_yoy_drop"]["figure"], window.back(k + 12))
    columns.point(spec["tax_yoy_drop"]["figure"], window.month)
    columns.point(spec["tax_yoy_drop"]["figure"], window.back(12))
    for k in range(int(spec["electricity_drop"]["baseline_months"]) + 1):
        columns.point(spec["electricity_drop"]["figure"], window.back(k))
    for figure in spec["figure_zero"]["figures"]:
        columns.point(figure, window.month)
        columns.point(figure, window.back(1))
    stopped = spec["submissions_stopped"]
    columns.count(*window.stopped_periods(int(stopped["months"])))
    columns.count(*window.lookback(int(stopped["months"]), int(stopped["lookback_months"])))


def _evaluate_warnings(
    rows: list[dict[str, Any]], infos: dict[int, _EnterpriseInfo], window: Window, rules: dict[str, Any]
) -> list[WarningRead]:
    spec, messages, names = rules["rules"], rules["messages"], rules["figures"]
    month = window.month
    found: list[WarningRead] = []

    def add(row: dict[str, Any], rule: str, figure: str | None, zh: str, en: str, values: dict[str, Any]) -> None:
        info = infos.get(row["enterprise_id"])
        if info is None:
            return
        found.append(
            WarningRead(
                enterprise_id=info.id,
                name=info.name,
                rule=rule,
                figure=figure,
                period=month,
                severity=str(spec[rule]["severity"]),
                reason_zh=zh,
                reason_en=en,
                values=values,
            )
        )

    def has(row: Row, period: dt.date) -> bool:
        return bool(row.get(_present_name(period)))

    def at(row: Row, figure: str, period: dt.date) -> float:
        return _value(row, _point_name(figure, period))

    festival = spring_festival_month(month.year)
    back = {k: window.back(k) for k in range(48)}
    stopped = spec["submissions_stopped"]
    recent_name = _count_name(*window.stopped_periods(int(stopped["months"])))
    earlier_name = _count_name(*window.lookback(int(stopped["months"]), int(stopped["lookback_months"])))
    for row in rows:
        # output down year on year for consecutive months
        rule = spec["output_yoy_drop"]
        figure, threshold = str(rule["figure"]), float(rule["drop_percent"])
        months = int(rule["consecutive_months"])
        details: list[tuple[dt.date, float, float]] = []
        for k in range(months):
            period, base_period = back[k], back[k + 12]
            if not (has(row, period) and has(row, base_period)):
                break
            value, base = at(row, figure, period), at(row, figure, base_period)
            if base < float(rule["min_base"]) or value > base * (1 - threshold / 100):
                break
            details.append((period, value, base))
        if len(details) == months:
            msg = messages["output_yoy_drop"]
            zh = msg["zh"].format(
                months=months,
                threshold=_fmt(threshold, 0),
                details="；".join(
                    msg["detail_zh"].format(period=_zh_month(p), value=_fmt(v), base=_fmt(b), change=_change(v, b))
                    for p, v, b in details
                ),
            )
            en = msg["en"].format(
                months=months,
                threshold=_fmt(threshold, 0),
                details="; ".join(
                    msg["detail_en"].format(period=_en_month(p), value=_fmt(v), base=_fmt(b), change=_change(v, b))
                    for p, v, b in details
                ),
            )
            add(
                row,
                "output_yoy_drop",
                figure,
                zh,
                en,
                {"months": [{"period": p.isoformat(), "value": v, "last_year": b} for p, v, b in details]},
            )

        # tax down year on year
        rule = spec["tax_yoy_drop"]
        figure, threshold = str(rule["figure"]), float(rule["drop_percent"])
        if has(row, month) and has(row, back[12]):
            value, base = at(row, figure, month), at(row, figure, back[12])
            if base >= float(rule["min_base"]) and value <= base * (1 - threshold / 100):
                params: dict[str, Any] = {
                    "threshold": _fmt(threshold, 0),
                    "value": _fmt(value),
                    "base": _fmt(base),
                    "change": _change(value, base),
                }
                add(
                    row,
                    "tax_yoy_drop",
                    figure,
                    messages["tax_yoy_drop"]["zh"].format(period=_zh_month(month), **params),
                    messages["tax_yoy_drop"]["en"].format(period=_en_month(month), **params),
                    {"value": value, "last_year": base},
                )

        # electricity down against the months before
        rule = spec["electricity_drop"]
        figure, threshold = str(rule["figure"]), float(rule["drop_percent"])
        baseline = int(rule["baseline_months"])
        skip = bool(rule.get("skip_spring_festival")) and festival == month
        before = [back[k] for k in range(1, baseline + 1)]
        if not skip and has(row, month) and all(has(row, p) for p in before):
            value = at(row, figure, month)
            base = sum(at(row, figure, p) for p in before) / baseline
            if base >= float(rule["min_base"]) and value <= base * (1 - threshold / 100):
                params = {
                    "threshold": _fmt(threshold, 0),
                    "value": _fmt(value, 0),
                    "base": _fmt(base, 0),
                    "change": _change(value, base),
                    "months": baseline,
                }
                add(
                    row,
                    "electricity_drop",
                    figure,
                    messages["electricity_drop"]["zh"].format(period=_zh_month(month), **params),
                    messages["electricity_drop"]["en"].format(period=_en_month(month), **params),
                    {"value": value, "baseline_average": base},
                )

        # a figure dropping to zero
        for figure in spec["figure_zero"]["figures"]:
            if has(row, month) and has(row, back[1]):
                value, base = at(row, figure, month), at(row, figure, back[1])
                if value == 0 and base > 0:
                    label = names.get(figure, {"zh": figure, "en": figure})
                    digits = 0 if figure == ELECTRICITY else 1
                    add(
                        row,
                        "figure_zero",
                        figure,
                        messages["figure_zero"]["zh"].format(
                            figure_zh=label["zh"], period=_zh_month(month), base=_fmt(base, digits)
                        ),
                        messages["figure_zero"]["en"].format(
                            figure_en=label["en"], period=_en_month(month), base=_fmt(base, digits)
                        ),
                        {"value": value, "previous_month": base},
                    )

        # submissions stopped
        rule = spec["submissions_stopped"]
        months = int(rule["months"])
        recent = row.get(recent_name) or 0
        earlier = row.get(earlier_name) or 0
        info = infos.get(row["enterprise_id"])
        if recent == 0 and earlier > 0 and info is not None and info.status == "active":
            missing = [back[k] for k in range(months - 1, -1, -1)]
            last = row["last_period"]
            add(
                row,
                "submissions_stopped",
                None,
                messages["submissions_stopped"]["zh"].format(
                    months=months, periods="、".join(_zh_month(p) for p in missing), last=_zh_month(last)
                ),
                messages["submissions_stopped"]["en"].format(
                    months=months, periods=", ".join(_en_month(p) for p in missing), last=_en_month(last)
                ),
                {"missing": [p.isoformat() for p in missing], "last_period": last.isoformat()},
            )
    severity = {"high": 0, "medium": 1, "low": 2}
    found.sort(key=lambda w: (severity.get(w.severity, 3), w.rule, w.name))
    return found


# -- the dashboard ---------------------------------------------------------------------------------------------
def readable_park(scope: Scope, park_id: int | None) -> int:
    scope.require("economy.read")
    park = park_id if park_id is not None else scope.park_id
    if park is None and len(scope.read_parks) == 1:
        park = next(iter(scope.read_parks))
    if park is None or park not in scope.read_parks:
        raise NotFound(f"park {park_id} not found")
    return park


def latest_period(session: Session, *, scope: Scope, park_id: int) -> dt.date | None:
    stmt = select(func.max(MonthlyStatistic.period)).where(
        MonthlyStatistic.park_id == park_id, scope.condition(MonthlyStatistic)
    )
    return session.scalar(stmt)


def default_period(session: Session, *, scope: Scope, park_id: int | None = None) -> dt.date:
    """The latest month with statistics, or the previous calendar month when there are none."""
    park = readable_park(scope, park_id)
    return latest_period(session, scope=scope, park_id=park) or add_months(current_month(), -1)


def _industry_labels(code: str) -> tuple[str, str]:
    try:
        entry = industry(code)
    except CodeError:
        return code, code
    return entry.name_zh, entry.name_en or entry.name_zh


def _breakdown(
    rows: list[dict[str, Any]],
    group_of: Callable[[dict[str, Any]], tuple[str, str, str] | None],
    names: dict[str, str],
    order: Callable[[BreakdownRow], Any],
) -> list[BreakdownRow]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    labels: dict[str, tuple[str, str]] = {}
    for row in rows:
        found = group_of(row)
        if found is None:
            continue
        key, zh, en = found
        groups[key].append(row)
        labels[key] = (zh, en)
    result = []
    for key, members in groups.items():
        result.append(
            BreakdownRow(
                key=key,
                label_zh=labels[key][0],
                label_en=labels[key][1],
                enterprises=sum(1 for r in members if r[names["reporting"]]),
                output_month=sum(_value(r, names["output_month"]) for r in members),
                output_ytd=sum(_value(r, names["output_ytd"]) for r in members),
                tax_ytd=sum(_value(r, names["tax_ytd"]) for r in members),
                output_ytd_yoy=_growth_over(
                    members,
                    names["output_ytd"],
                    names["output_pytd"],
                    lambda r: r["_ytd_complete"],
                    lambda r: r["_ytd_touched"],
                ),
            )
        )
    return sorted(result, key=order)


def dashboard(
    session: Session, *, scope: Scope, period: dt.date | None = None, park_id: int | None = None
) -> Dashboard:
    """The economic dashboard of a park for month `period` (default: the latest month with statistics)."""
    park = readable_park(scope, park_id)
    latest = latest_period(session, scope=scope, park_id=park)
    if period is None:
        period = default_period(session, scope=scope, park_id=park)
    window = Window(period)
    month = window.month
    months_ytd = month.month
    rules = warning_rules()

    columns = _Columns()
    point: dict[tuple[str, str], str] = {}
    for figure in FIGURES:
        point[figure, "m"] = columns.point(figure, month)
        point[figure, "m1"] = columns.point(figure, window.back(1))
        point[figure, "y"] = columns.point(figure, window.last_year)
        point[figure, "ytd"] = columns.span(figure, window.ytd_from, month)
        point[figure, "pytd"] = columns.span(figure, window.pytd_from, window.last_year)
    for figure in (OUTPUT, TAX, ELECTRICITY):
        point[figure, "ttm"] = columns.span(figure, window.ttm_from, month)
    n_m, n_m1, n_y = columns.present(month), columns.present(window.back(1)), columns.present(window.last_year)
    n_ytd = columns.count(window.ytd_from, month)
    n_pytd = columns.count(window.pytd_from, window.last_year)
    n_ttm = columns.count(window.ttm_from, month)
    _plan_warning_columns(columns, window, rules)

    rows = _enterprise_rows(session, scope, park, columns)
    infos = _enterprises(session, scope, park)
    rows = [row for row in rows if row["enterprise_id"] in infos]
    for row in rows:
        row["_ytd_complete"] = row[n_ytd] == months_ytd and row[n_pytd] == months_ytd
        row["_ytd_touched"] = bool(row[n_ytd] or row[n_pytd])

    reporting = [r for r in rows if r[n_m]]
    yoy_set, yoy_excluded = _comparable(rows, n_m, n_y)
    mom_set, mom_excluded = _comparable(rows, n_m, n_m1)
    ytd_set = [r for r in rows if r["_ytd_complete"]]
    ytd_excluded = sum(1 for r in rows if r["_ytd_touched"] and not r["_ytd_complete"])
    summaries = []
    for figure in FIGURES:
        stock = figure in STOCK_FIGURES
        m, m1, y = point[figure, "m"], point[figure, "m1"], point[figure, "y"]
        ytd, pytd = point[figure, "ytd"], point[figure, "pytd"]
        ytd_total = _sum(rows, ytd)
        summaries.append(
            FigureSummary(
                figure=figure,
                unit=FIGURE_UNITS[figure],
                stock=stock,
                month_total=_sum(reporting, m),
                ytd_total=ytd_total / months_ytd if stock else ytd_total,
                reporting=len(reporting),
                yoy=growth(_sum(yoy_set, m), _sum(yoy_set, y), len(yoy_set), yoy_excluded),
                mom=growth(_sum(mom_set, m), _sum(mom_set, m1), len(mom_set), mom_excluded),
                ytd_yoy=growth(_sum(ytd_set, ytd), _sum(ytd_set, pytd), len(ytd_set), ytd_excluded),
            )
        )

    names = {
        "reporting": n_m,
        "output_month": point[OUTPUT, "m"],
        "output_ytd": point[OUTPUT, "ytd"],
        "output_pytd": point[OUTPUT, "pytd"],
        "tax_ytd": point[TAX, "ytd"],
    }

    def by_industry(row: dict[str, Any]) -> tuple[str, str, str]:
        division = infos[row["enterprise_id"]].industry_code[:2]
        zh, en = _industry_labels(division)
        return division, zh, en

    def by_scale(row: dict[str, Any]) -> tuple[str, str, str]:
        if infos[row["enterprise_id"]].above_scale:
            return "above", "规模以上", "Above designated size"
        return "below", "规模以下", "Below designated size"

    def by_employees(row: dict[str, Any]) -> tuple[str, str, str]:
        employees = row.get(point["employees", "m"]) if row[n_m] else infos[row["enterprise_id"]].employees
        band = band_of(int(employees or 0))
        return band.key, band.zh, band.en

    band_order = {band.key: i for i, band in enumerate(employee_bands())}
    by_output: Callable[[BreakdownRow], Any] = lambda b: (-b.output_ytd, b.key)  # noqa: E731

    # rankings
    ytd_name, pytd_name = point[OUTPUT, "ytd"], point[OUTPUT, "pytd"]

    ranked: list[tuple[float, float | None, _EnterpriseInfo]] = []
    for row in rows:
        if row[n_ytd]:
            value, base = _value(row, ytd_name), _value(row, pytd_name)
            percent = (value / base - 1) * 100 if row["_ytd_complete"] and base > 0 else None
            ranked.append((value, percent, infos[row["enterprise_id"]]))

    def rank_rows(items: list[tuple[float, float | None, _EnterpriseInfo]]) -> list[RankRow]:
        return [
            RankRow.model_construct(
                enterprise_id=info.id,
                name=info.name,
                industry_code=info.industry_code,
                output_ytd=value,
                output_ytd_yoy_percent=percent,
            )
            for value, percent, info in items[:TOP_N]
        ]

    top = rank_rows(sorted(ranked, key=lambda r: (-r[0], r[2].name)))
    comparable = [r for r in ranked if r[1] is not None]
    top_growth = rank_rows(sorted(comparable, key=lambda r: (-(r[1] or 0), r[2].name)))
    bottom_growth = rank_rows(sorted(comparable, key=lambda r: (r[1] or 0, r[2].name)))

    return Dashboard(
        park_id=park,
        period=month,
        latest_period=latest,
        expected=session.scalar(
            select(func.count())
            .select_from(Enterprise)
            .where(Enterprise.park_id == park, scope.condition(Enterprise), expected_condition(month))
        )
        or 0,
        reporting=len(reporting),
        figures=summaries,
        by_industry=_breakdown(rows, by_industry, names, by_output),
        by_scale=_breakdown(rows, by_scale, names, lambda b: b.key),
        by_employees=_breakdown(rows, by_employees, names, lambda b: band_order.get(b.key, 99)),
        land=_land_summary(session, park, window, rows, infos, point, n_ttm),
        energy=_energy_summary(window, rows, point),
        top=top,
        top_growth=top_growth,
        bottom_growth=bottom_growth,
        warnings=_evaluate_warnings(rows, infos, window, rules),
        trend=_trend(session, scope, park, month),
        notes=[] if rows else ["no statistics for this month in this park"],
    )


def _land_summary(
    session: Session,
    park: int,
    window: Window,
    rows: list[dict[str, Any]],
    infos: dict[int, _EnterpriseInfo],
    point: dict[tuple[str, str], str],
    n_ttm: str,
) -> LandSummary:
    land = land_allocation(session, park_id=park)
    ranked: list[LandRow] = []
    without_land = incomplete = 0
    for row in rows:
        if not row[n_ttm]:
            continue
        share = land.get(row["enterprise_id"])
        if share is None or share.m2 <= 0:
            without_land += 1
            continue
        if row[n_ttm] < 12:
            incomplete += 1
            continue
        info = infos[row["enterprise_id"]]
        mu = share.mu
        output, tax = _value(row, point[OUTPUT, "ttm"]), _value(row, point[TAX, "ttm"])
        ranked.append(
            LandRow.model_construct(
                enterprise_id=info.id,
                name=info.name,
                industry_code=info.industry_code,
                land_m2=share.m2,
                land_mu=mu,
                output_ttm=output,
                tax_ttm=tax,
                output_per_mu=output / mu,
                tax_per_mu=tax / mu,
                rank=0,
            )
        )
    ranked.sort(key=lambda r: (-r.output_per_mu, r.name))
    for position, row_ in enumerate(ranked, start=1):
        row_.rank = position
    land_mu = sum(r.land_mu for r in ranked)
    output_total = sum(r.output_ttm for r in ranked)
    tax_total = sum(r.tax_ttm for r in ranked)
    return LandSummary(
        window_from=window.ttm_from,
        window_to=window.month,
        land_mu=land_mu,
        output_ttm=output_total,
        tax_ttm=tax_total,
        output_per_mu=output_total / land_mu if land_mu > 0 else None,
        tax_per_mu=tax_total / land_mu if land_mu > 0 else None,
        ranked=ranked,
        without_land=without_land,
        incomplete=incomplete,
    )


def _energy_summary(window: Window, rows: list[dict[str, Any]], point: dict[tuple[str, str], str]) -> EnergySummary:
    output = sum(_value(r, point[OUTPUT, "ttm"]) for r in rows)
    kwh = sum(_value(r, point[ELECTRICITY, "ttm"]) for r in rows)
    factor, source = coal_factor()
    tce = kwh * factor / 1000
    return EnergySummary(
        window_from=window.ttm_from,
        window_to=window.month,
        output_ttm=output,
        electricity_kwh_ttm=kwh,
        standard_coal_tce=tce,
        output_per_10k_kwh=output / (kwh / 10_000) if kwh > 0 else None,
        output_per_tce=output / tce if tce > 0 else None,
        coal_factor_kgce_per_kwh=factor,
        coal_factor_source=source,
    )


def _trend(session: Session, scope: Scope, park: int, month: dt.date) -> list[TrendPoint]:
    """Monthly output of the park, this year up to `month` and the whole of last year."""
    first = dt.date(month.year - 1, 1, 1)
    totals = {
        period: float(total or 0)
        for period, total in session.execute(
            select(MonthlyStatistic.period, func.sum(MonthlyStatistic.output_value_wan_yuan))
            .where(
                MonthlyStatistic.park_id == park,
                MonthlyStatistic.period.between(first, month),
                scope.condition(MonthlyStatistic),
            )
            .group_by(MonthlyStatistic.period)
        )
    }
    return [
        TrendPoint(
            month=m,
            this_year=totals.get(dt.date(month.year, m, 1)) if m <= month.month else None,
            last_year=totals.get(dt.date(month.year - 1, m, 1)),
        )
        for m in range(1, 13)
    ]


def warnings(
    session: Session, *, scope: Scope, period: dt.date | None = None, park_id: int | None = None
) -> list[WarningRead]:
    """The early warnings of a park for month `period` (default: the latest month with statistics)."""
    park = readable_park(scope, park_id)
    if period is None:
        period = default_period(session, scope=scope, park_id=park)
    window = Window(period)
    rules = warning_rules()
    columns = _Columns()
    _plan_warning_columns(columns, window, rules)
    infos = _enterprises(session, scope, park)
    rows = [r for r in _enterprise_rows(session, scope, park, columns) if r["enterprise_id"] in infos]
    return _evaluate_warnings(rows, infos, window, rules)


# -- one enterprise --------------------------------------------------------------------------------------------
@dataclasses.dataclass
class EnterpriseSummary:
    period: dt.date
    months: list[dict[str, Any]]  # the last twelve months: period and figures (None: not submitted)
    ytd: dict[str, float]
    ytd_last_year: dict[str, float]
    ytd_yoy_percent: dict[str, float | None]  # null unless every month of both years was submitted
    ytd_complete: bool


def enterprise_summary(
    session: Session, *, scope: Scope, enterprise_id: int, period: dt.date | None = None
) -> EnterpriseSummary | None:
    """One enterprise's last twelve months and its year-to-date growth (the archive's statistics section)."""
    enterprise = scope.get_or_404(session, Enterprise, enterprise_id)
    if period is None:
        period = session.scalar(
            select(func.max(MonthlyStatistic.period)).where(
                MonthlyStatistic.enterprise_id == enterprise.id, scope.condition(MonthlyStatistic)
            )
        )
        if period is None:
            return None
    window = Window(period)
    stmt = (
        scope.readable(MonthlyStatistic)
        .where(
            MonthlyStatistic.enterprise_id == enterprise.id,
            MonthlyStatistic.period.between(min(window.pytd_from, window.ttm_from), period),
        )
        .order_by(MonthlyStatistic.period)
    )
    by_period = {s.period: s for s in session.scalars(stmt)}
    months = []
    for k in range(11, -1, -1):
        p = window.back(k)
        s = by_period.get(p)
        months.append({"period": p, **{f: (getattr(s, f) if s is not None else None) for f in FIGURES}})
    this_year = [by_period.get(dt.date(period.year, m, 1)) for m in range(1, period.month + 1)]
    last_year = [by_period.get(dt.date(period.year - 1, m, 1)) for m in range(1, period.month + 1)]
    complete = all(s is not None for s in (*this_year, *last_year))
    ytd = {f: float(sum(getattr(s, f) for s in this_year if s is not None)) for f in FIGURES}
    pytd = {f: float(sum(getattr(s, f) for s in last_year if s is not None)) for f in FIGURES}
    percent = {f: ((ytd[f] / pytd[f] - 1) * 100 if complete and pytd[f] > 0 else None) for f in FIGURES}
    return EnterpriseSummary(period, months, ytd, pytd, percent, complete)


# -- Excel -----------------------------------------------------------------------------------------------------
FIGURE_TITLES = {
    "output_value_wan_yuan": "工业总产值（万元）",
    "sales_revenue_wan_yuan": "营业收入（万元）",
    "tax_paid_wan_yuan": "实缴税金（万元）",
    "total_profit_wan_yuan": "利润总额（万元）",
    "employees": "从业人员（人）",
    "rnd_spending_wan_yuan": "研发费用（万元）",
    "electricity_kwh": "用电量（千瓦时）",
    "export_value_wan_yuan": "出口交货值（万元）",
}


def _headers(*pairs: tuple[str, str]) -> list[str]:
    return [f"{zh} ({key})" for zh, key in pairs]


def dashboard_xlsx(found: Dashboard) -> bytes:
    """The dashboard's tables as a workbook: figures, industries, sizes, 亩均 ranking, rankings, warnings."""
    book = spreadsheet.new_workbook()
    spreadsheet.add_table_sheet(
        book,
        f"指标 figures {found.period:%Y-%m}",
        _headers(
            ("指标", "figure"),
            ("单位", "unit"),
            ("本月", "month_total"),
            ("本年累计", "ytd_total"),
            ("同比%", "yoy_percent"),
            ("环比%", "mom_percent"),
            ("累计同比%", "ytd_yoy_percent"),
            ("累计同比可比企业", "ytd_comparable"),
            ("累计同比剔除企业", "ytd_excluded"),
        ),
        [
            (
                FIGURE_TITLES.get(f.figure, f.figure),
                f.unit,
                f.month_total,
                f.ytd_total,
                f.yoy.percent,
                f.mom.percent,
                f.ytd_yoy.percent,
                f.ytd_yoy.comparable,
                f.ytd_yoy.excluded,
            )
            for f in found.figures
        ],
    )
    breakdown_headers = _headers(
        ("分组", "key"),
        ("名称", "label"),
        ("报送企业", "enterprises"),
        ("本月产值", "output_month"),
        ("累计产值", "output_ytd"),
        ("累计税金", "tax_ytd"),
        ("累计产值同比%", "output_ytd_yoy_percent"),
    )
    for title, rows in (
        ("分行业 industries", found.by_industry),
        ("分规模 size", [*found.by_scale, *found.by_employees]),
    ):
        spreadsheet.add_table_sheet(
            book,
            title,
            breakdown_headers,
            [
                (b.key, b.label_zh, b.enterprises, b.output_month, b.output_ytd, b.tax_ytd, b.output_ytd_yoy.percent)
                for b in rows
            ],
        )
    spreadsheet.add_table_sheet(
        book,
        "亩均 per mu",
        _headers(
            ("排名", "rank"),
            ("企业", "name"),
            ("行业代码", "industry_code"),
            ("用地（亩）", "land_mu"),
            ("近12个月产值（万元）", "output_ttm"),
            ("近12个月税金（万元）", "tax_ttm"),
            ("亩均产值（万元/亩）", "output_per_mu"),
            ("亩均税收（万元/亩）", "tax_per_mu"),
        ),
        [
            (r.rank, r.name, r.industry_code, r.land_mu, r.output_ttm, r.tax_ttm, r.output_per_mu, r.tax_per_mu)
            for r in found.land.ranked
        ],
    )
    rank_headers = _headers(
        ("企业", "name"),
        ("行业代码", "industry_code"),
        ("累计产值（万元）", "output_ytd"),
        ("累计同比%", "output_ytd_yoy_percent"),
    )
    for title, ranks in (
        ("产值前列 top", found.top),
        ("增长最快 fastest", found.top_growth),
        ("增长最慢 slowest", found.bottom_growth),
    ):
        spreadsheet.add_table_sheet(
            book,
            title,
            rank_headers,
            [(r.name, r.industry_code, r.output_ytd, r.output_ytd_yoy_percent) for r in ranks],
        )
    spreadsheet.add_table_sheet(
        book,
        "预警 warnings",
        _headers(
            ("企业", "name"), ("规则", "rule"), ("级别", "severity"), ("原因", "reason_zh"), ("reason", "reason_en")
        ),
        [(w.name, w.rule, w.severity, w.reason_zh, w.reason_en) for w in found.warnings],
    )
    return spreadsheet.save(book)
