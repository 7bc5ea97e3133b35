"""Early warnings of the economic dashboard, by the rules of data/warning_rules.yaml."""

from __future__ import annotations

import datetime as dt
from typing import Any

from digipark.economy.monitoring_query import (
    ELECTRICITY,
    EnterpriseInfo,
    Row,
    SumColumns,
    Window,
    count_name,
    point_name,
    present_name,
    row_value,
    spring_festival_month,
)
from digipark.economy.schemas import WarningRead


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def _change(value: float, base: float) -> str:
    return f"{(value / base - 1) * 100:+.1f}%"


def _zh_month(period: dt.date) -> str:
    return f"{period.year}年{period.month}月"


def _en_month(period: dt.date) -> str:
    return f"{period:%Y-%m}"


def plan_warning_columns(columns: SumColumns, window: Window, rules: dict[str, Any]) -> None:
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


def evaluate_warnings(
    rows: list[dict[str, Any]], infos: dict[int, EnterpriseInfo], window: Window, rules: dict[str, Any]
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
        return bool(row.get(present_name(period)))

    def at(row: Row, figure: str, period: dt.date) -> float:
        return row_value(row, point_name(figure, period))

    festival = spring_festival_month(month.year)
    back = {k: window.back(k) for k in range(48)}
    stopped = spec["submissions_stopped"]
    recent_name = count_name(*window.stopped_periods(int(stopped["months"])))
    earlier_name = count_name(*window.lookback(int(stopped["months"]), int(stopped["lookback_months"])))
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
