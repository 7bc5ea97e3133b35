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
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.codes import CodeError, english_industry_name, industry
from digipark.economy.early_warnings import evaluate_warnings, plan_warning_columns
from digipark.economy.land import land_allocation
from digipark.economy.models import FIGURES, MonthlyStatistic
from digipark.economy.monitoring_query import (
    ELECTRICITY,
    FIGURE_UNITS,
    OUTPUT,
    STOCK_FIGURES,
    TAX,
    TOP_N,
    EnterpriseInfo,
    SumColumns,
    Window,
    band_of,
    coal_factor,
    column_sum,
    comparable_subset,
    employee_bands,
    enterprise_rows,
    growth,
    growth_over,
    park_enterprises,
    row_value,
    warning_rules,
)
from digipark.economy.schemas import (
    BreakdownRow,
    Dashboard,
    EnergySummary,
    FigureSummary,
    LandRow,
    LandSummary,
    RankRow,
    TrendPoint,
    WarningRead,
)
from digipark.economy.statistics import add_months, current_month, expected_condition
from digipark.registry.models import Enterprise


# -- the dashboard ---------------------------------------------------------------------------------------------
def latest_period(session: Session, *, scope: Scope, park_id: int) -> dt.date | None:
    stmt = select(func.max(MonthlyStatistic.period)).where(
        MonthlyStatistic.park_id == park_id, scope.condition(MonthlyStatistic)
    )
    return session.scalar(stmt)


def default_period(session: Session, *, scope: Scope, park_id: int | None = None) -> dt.date:
    """The latest month with statistics, or the previous calendar month when there are none."""
    scope.require("economy.read")
    park = scope.acting_park(park_id)
    return latest_period(session, scope=scope, park_id=park) or add_months(current_month(), -1)


def _industry_labels(code: str) -> tuple[str, str]:
    try:
        entry = industry(code)
    except CodeError:
        return code, code
    return entry.name_zh, english_industry_name(entry) or entry.name_zh


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
                output_month=sum(row_value(r, names["output_month"]) for r in members),
                output_ytd=sum(row_value(r, names["output_ytd"]) for r in members),
                tax_ytd=sum(row_value(r, names["tax_ytd"]) for r in members),
                output_ytd_yoy=growth_over(
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
    scope.require("economy.read")
    park = scope.acting_park(park_id)
    latest = latest_period(session, scope=scope, park_id=park)
    if period is None:
        period = default_period(session, scope=scope, park_id=park)
    window = Window(period)
    month = window.month
    months_ytd = month.month
    rules = warning_rules()

    columns = SumColumns()
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
    plan_warning_columns(columns, window, rules)

    rows = enterprise_rows(session, scope, park, columns)
    infos = park_enterprises(session, scope, park)
    rows = [row for row in rows if row["enterprise_id"] in infos]
    for row in rows:
        row["_ytd_complete"] = row[n_ytd] == months_ytd and row[n_pytd] == months_ytd
        row["_ytd_touched"] = bool(row[n_ytd] or row[n_pytd])

    reporting = [r for r in rows if r[n_m]]
    yoy_set, yoy_excluded = comparable_subset(rows, n_m, n_y)
    mom_set, mom_excluded = comparable_subset(rows, n_m, n_m1)
    ytd_set = [r for r in rows if r["_ytd_complete"]]
    ytd_excluded = sum(1 for r in rows if r["_ytd_touched"] and not r["_ytd_complete"])
    summaries = []
    for figure in FIGURES:
        stock = figure in STOCK_FIGURES
        m, m1, y = point[figure, "m"], point[figure, "m1"], point[figure, "y"]
        ytd, pytd = point[figure, "ytd"], point[figure, "pytd"]
        ytd_total = column_sum(rows, ytd)
        summaries.append(
            FigureSummary(
                figure=figure,
                unit=FIGURE_UNITS[figure],
                stock=stock,
                month_total=column_sum(reporting, m),
                ytd_total=ytd_total / months_ytd if stock else ytd_total,
                reporting=len(reporting),
                yoy=growth(column_sum(yoy_set, m), column_sum(yoy_set, y), len(yoy_set), yoy_excluded),
                mom=growth(column_sum(mom_set, m), column_sum(mom_set, m1), len(mom_set), mom_excluded),
                ytd_yoy=growth(column_sum(ytd_set, ytd), column_sum(ytd_set, pytd), len(ytd_set), ytd_excluded),
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

    ranked: list[tuple[float, float | None, EnterpriseInfo]] = []
    for row in rows:
        if row[n_ytd]:
            value, base = row_value(row, ytd_name), row_value(row, pytd_name)
            percent = (value / base - 1) * 100 if row["_ytd_complete"] and base > 0 else None
            ranked.append((value, percent, infos[row["enterprise_id"]]))

    def rank_rows(items: list[tuple[float, float | None, EnterpriseInfo]]) -> list[RankRow]:
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
        warnings=evaluate_warnings(rows, infos, window, rules),
        trend=_trend(session, scope, park, month),
        notes=[] if rows else ["no statistics for this month in this park"],
    )


def _land_summary(
    session: Session,
    park: int,
    window: Window,
    rows: list[dict[str, Any]],
    infos: dict[int, EnterpriseInfo],
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
        output, tax = row_value(row, point[OUTPUT, "ttm"]), row_value(row, point[TAX, "ttm"])
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
    output = sum(row_value(r, point[OUTPUT, "ttm"]) for r in rows)
    kwh = sum(row_value(r, point[ELECTRICITY, "ttm"]) for r in rows)
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
    scope.require("economy.read")
    park = scope.acting_park(park_id)
    if period is None:
        period = default_period(session, scope=scope, park_id=park)
    window = Window(period)
    rules = warning_rules()
    columns = SumColumns()
    plan_warning_columns(columns, window, rules)
    infos = park_enterprises(session, scope, park)
    rows = [r for r in enterprise_rows(session, scope, park, columns) if r["enterprise_id"] in infos]
    return evaluate_warnings(rows, infos, window, rules)


# -- one enterprise --------------------------------------------------------------------------------------------
@dataclasses.dataclass
class EnterpriseSummary:
    period: dt.date
    months: list[dict[str, Any]]  # the last twelve months: period and figures (None: not submitted)
    ytd: dict[str, float]  # flows summed over the submitted months Jan..M; stocks (employees) averaged over them
    ytd_last_year: dict[str, float]
    ytd_yoy_percent: dict[str, float | None]  # null unless every month of both years was submitted
    ytd_complete: bool
    month: dict[str, float | None]  # the figures of month M (None: not submitted)
    yoy_base: dt.date  # M − 12, the base of 当月同比
    yoy_available: bool  # both M and M − 12 submitted
    yoy_percent: dict[str, float | None]  # 当月同比 = M / (M − 12) − 1; null when unavailable or the base ≤ 0
    mom_base: dt.date  # M − 1, the base of 环比
    mom_available: bool
    mom_percent: dict[str, float | None]  # 环比 = M / (M − 1) − 1


def _ytd(statistics: list[MonthlyStatistic | None]) -> dict[str, float]:
    """Year to date: a flow is the sum of the submitted months, a stock (employees) their average."""
    submitted = [s for s in statistics if s is not None]
    totals = {f: float(sum(getattr(s, f) for s in submitted)) for f in FIGURES}
    return {f: (totals[f] / len(submitted) if f in STOCK_FIGURES and submitted else totals[f]) for f in FIGURES}


def _month_growth(
    current: MonthlyStatistic | None, base: MonthlyStatistic | None
) -> tuple[bool, dict[str, float | None]]:
    available = current is not None and base is not None
    percent: dict[str, float | None] = {}
    for f in FIGURES:
        value, before = (getattr(current, f), getattr(base, f)) if available else (None, None)
        percent[f] = (value / before - 1) * 100 if value is not None and before is not None and before > 0 else None
    return available, percent


def enterprise_summary(
    session: Session, *, scope: Scope, enterprise_id: int, period: dt.date | None = None
) -> EnterpriseSummary | None:
    """One enterprise's last twelve months, its month-on-month (环比) and year-on-year (当月同比) growth of month M
    and its year-to-date growth (the archive's statistics section)."""
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
    ytd, pytd = _ytd(this_year), _ytd(last_year)
    percent = {f: ((ytd[f] / pytd[f] - 1) * 100 if complete and pytd[f] > 0 else None) for f in FIGURES}
    current = by_period.get(period)
    yoy_available, yoy = _month_growth(current, by_period.get(window.last_year))
    mom_available, mom = _month_growth(current, by_period.get(window.back(1)))
    return EnterpriseSummary(
        period=period,
        months=months,
        ytd=ytd,
        ytd_last_year=pytd,
        ytd_yoy_percent=percent,
        ytd_complete=complete,
        month={f: (getattr(current, f) if current is not None else None) for f in FIGURES},
        yoy_base=window.last_year,
        yoy_available=yoy_available,
        yoy_percent=yoy,
        mom_base=window.back(1),
        mom_available=mom_available,
        mom_percent=mom,
    )
