"""Economy pages: the economic operation dashboard, monthly statistics (list, submit, correct, import) and the
enterprise archive. Every read and write goes through the economy services and the caller's scope."""

from __future__ import annotations

import datetime as dt
import functools
import math
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.economy import archive, monitoring, schemas, statistics
from digipark.economy.models import FIGURES, IPKind, QualificationKind
from digipark.economy.schemas import MonthlyStatisticCorrect, MonthlyStatisticCreate
from digipark.registry import service as registry
from digipark.registry.models import Enterprise
from digipark.web import forms, i18n
from digipark.web.i18n import N_
from digipark.web.labels import industry_name
from digipark.web.overview import json_script
from digipark.web.shell import CurrentPage, FormFields, Page, kind_path
from digipark.web.spreadsheet_pages import Uploaded, import_page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

FIGURE_LABELS = {
    "output_value_wan_yuan": N_("Industrial output (10k yuan)"),
    "sales_revenue_wan_yuan": N_("Sales revenue (10k yuan)"),
    "tax_paid_wan_yuan": N_("Tax paid (10k yuan)"),
    "total_profit_wan_yuan": N_("Total profit (10k yuan)"),
    "employees": N_("Employees"),
    "rnd_spending_wan_yuan": N_("R&D spending (10k yuan)"),
    "electricity_kwh": N_("Electricity used (kWh)"),
    "export_value_wan_yuan": N_("Export delivery value (10k yuan)"),
}
SHORT_LABELS = {
    "output_value_wan_yuan": N_("Industrial output"),
    "sales_revenue_wan_yuan": N_("Sales revenue"),
    "tax_paid_wan_yuan": N_("Tax paid"),
    "total_profit_wan_yuan": N_("Total profit"),
    "employees": N_("Employees"),
    "rnd_spending_wan_yuan": N_("R&D spending"),
    "electricity_kwh": N_("Electricity used"),
    "export_value_wan_yuan": N_("Export delivery value"),
}
UNIT_LABELS = {"万元": N_("10k yuan"), "人": N_("persons"), "kWh": "kWh"}
KPI_FIGURES = (
    "output_value_wan_yuan",
    "sales_revenue_wan_yuan",
    "tax_paid_wan_yuan",
    "total_profit_wan_yuan",
    "electricity_kwh",
    "employees",
)
QUALIFICATION_LABELS = {
    QualificationKind.HIGH_TECH.value: N_("High-tech enterprise"),
    QualificationKind.SPECIALIZED_SME.value: N_("Specialised and sophisticated SME"),
    QualificationKind.LITTLE_GIANT.value: N_('Specialised and sophisticated "little giant"'),
    QualificationKind.TECH_SME.value: N_("Technology-based SME"),
    QualificationKind.MANUFACTURING_CHAMPION.value: N_("Manufacturing single champion"),
    QualificationKind.OTHER.value: N_("Other"),
}
IP_LABELS = {
    IPKind.INVENTION_PATENT.value: N_("Invention patent"),
    IPKind.UTILITY_MODEL.value: N_("Utility model"),
    IPKind.DESIGN_PATENT.value: N_("Design patent"),
    IPKind.SOFTWARE_COPYRIGHT.value: N_("Software copyright"),
    IPKind.STANDARD_NATIONAL.value: N_("National standard"),
    IPKind.STANDARD_INDUSTRY.value: N_("Industry standard"),
    IPKind.STANDARD_GROUP.value: N_("Group standard"),
}
STATUS_LABELS = {"valid": N_("Valid"), "expired": N_("Expired"), "pending": N_("Not yet valid")}
SOURCE_LABELS = {"online": N_("Online"), "import": N_("Excel import")}
RULE_LABELS = {
    "output_yoy_drop": N_("Output falling"),
    "tax_yoy_drop": N_("Tax falling"),
    "electricity_drop": N_("Electricity falling"),
    "figure_zero": N_("Dropped to zero"),
    "submissions_stopped": N_("Submissions stopped"),
}
SEVERITY_LABELS = {"high": N_("High"), "medium": N_("Medium"), "low": N_("Low")}
LAND_ROWS_SHOWN = 30
FORM_NAMES = frozenset({"enterprise_id", "period", *FIGURES})


def _period_arg(page: Page, name: str = "period") -> dt.date | None:
    raw = page.request.query_params.get(name, "").strip()
    if not raw:
        return None
    try:
        return schemas.parse_period(raw)
    except ValueError as exc:
        raise ValidationFailed(f"{name}: {exc}", errors=[{"field": name, "reason": str(exc)}]) from None


def _month_text(page: Page, period: dt.date | None) -> str:
    if period is None:
        return "—"
    return f"{period.year}年{period.month}月" if page.lang == "zh" else f"{period:%Y-%m}"


def _percent(value: float | None) -> dict[str, Any]:
    if value is None:
        return {"text": "—", "css": "flat"}
    return {"text": f"{value:+.1f}%", "css": "up" if value > 0.05 else "down" if value < -0.05 else "flat"}


def _growth(page: Page, g: schemas.Growth) -> dict[str, Any]:
    shown = _percent(g.percent)
    shown["title"] = page.gettext(
        "%(comparable)s comparable enterprises, %(excluded)s excluded", comparable=g.comparable, excluded=g.excluded
    )
    shown["excluded"] = g.excluded
    return shown


def _industry(page: Page, code: str) -> str:
    return f"{code} {industry_name(code, page.lang)}"


# -- the dashboard ---------------------------------------------------------------------------------------------
@router.get("/economy", response_class=HTMLResponse, name="economy_dashboard")
def dashboard_page(page: CurrentPage) -> Response:
    scope = page.scope
    if not scope.can("economy.read"):
        if scope.own_enterprise_only and scope.can("statistics.submit"):
            return RedirectResponse("/economy/statistics", status_code=303)
        scope.require("economy.read")
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    period = _period_arg(page)
    found = monitoring.dashboard(page.db, scope=scope, period=period, park_id=page.park.id)
    figures = {f.figure: f for f in found.figures}
    kpis = []
    for key in KPI_FIGURES:
        f = figures[key]
        digits = 0 if key in ("employees", "electricity_kwh") else 1
        value, ytd, unit = f.month_total, f.ytd_total, page.gettext(UNIT_LABELS.get(f.unit, f.unit))
        if key == "electricity_kwh":
            value, ytd, unit = value / 10_000, ytd / 10_000, page.gettext("10k kWh")
        kpis.append(
            {
                "label": SHORT_LABELS[key],
                "value": value,
                "ytd": ytd,
                "unit": unit,
                "digits": digits,
                "stock": f.stock,
                "yoy": _growth(page, f.yoy),
                "mom": _growth(page, f.mom),
                "ytd_yoy": _growth(page, f.ytd_yoy),
            }
        )
    output = figures["output_value_wan_yuan"]

    def label(b: schemas.BreakdownRow) -> str:
        return b.label_en if page.lang == "en" else b.label_zh

    trend = json_script(
        {
            "kind": "trend",
            "months": [str(p.month) if page.lang == "en" else f"{p.month}月" for p in found.trend],
            "series": [
                {"name": str(found.period.year), "data": [p.this_year for p in found.trend]},
                {"name": str(found.period.year - 1), "data": [p.last_year for p in found.trend]},
            ],
            "unit": page.gettext("10k yuan"),
        }
    )
    industries = [
        {
            "code": b.key,
            "name": label(b),
            "enterprises": b.enterprises,
            "output_month": b.output_month,
            "output_ytd": b.output_ytd,
            "tax_ytd": b.tax_ytd,
            "growth": _growth(page, b.output_ytd_yoy),
        }
        for b in found.by_industry
    ]
    industry_chart = json_script(
        {
            "kind": "bars",
            "series": [{"name": label(b), "value": round(b.output_ytd, 1)} for b in found.by_industry[:12]],
            "label": page.gettext("Output year to date (10k yuan)"),
        }
    )

    def sizes(rows: list[schemas.BreakdownRow]) -> list[dict[str, Any]]:
        return [
            {
                "name": label(b),
                "enterprises": b.enterprises,
                "output_month": b.output_month,
                "output_ytd": b.output_ytd,
                "growth": _growth(page, b.output_ytd_yoy),
            }
            for b in rows
        ]

    warnings = [
        {
            "enterprise_id": w.enterprise_id,
            "name": w.name,
            "rule": RULE_LABELS.get(w.rule, w.rule),
            "severity": w.severity,
            "severity_label": SEVERITY_LABELS.get(w.severity, w.severity),
            "reason": w.reason_en if page.lang == "en" else w.reason_zh,
        }
        for w in found.warnings
    ]

    def ranks(rows: list[schemas.RankRow]) -> list[dict[str, Any]]:
        return [
            {
                "enterprise_id": r.enterprise_id,
                "name": r.name,
                "industry": _industry(page, r.industry_code[:2]),
                "output_ytd": r.output_ytd,
                "growth": _percent(r.output_ytd_yoy_percent),
            }
            for r in rows
        ]

    return page.render(
        "economy/dashboard.html",
        {
            "d": found,
            "period_value": f"{found.period:%Y-%m}",
            "period_text": _month_text(page, found.period),
            "latest_text": _month_text(page, found.latest_period),
            "kpis": kpis,
            "output": output,
            "trend_chart": trend,
            "industry_chart": industry_chart,
            "industries": industries,
            "by_scale": sizes(found.by_scale),
            "by_employees": sizes(found.by_employees),
            "land_rows": found.land.ranked[:LAND_ROWS_SHOWN],
            "land_more": max(0, len(found.land.ranked) - LAND_ROWS_SHOWN),
            "land_from": _month_text(page, found.land.window_from),
            "top": ranks(found.top),
            "top_growth": ranks(found.top_growth),
            "bottom_growth": ranks(found.bottom_growth),
            "warnings": warnings,
            "excel": f"/api/v1/economy/dashboard.xlsx?period={found.period:%Y-%m}",
            "missing": found.expected - found.reporting if found.expected > found.reporting else 0,
        },
    )


# -- statistics ------------------------------------------------------------------------------------------------
def _enterprise_choices(page: Page) -> list[forms.Choice]:
    if page.park is None:
        return []
    rows = registry.all_rows(
        page.db,
        scope=page.scope,
        kind=registry.KINDS["enterprise"],
        query=ListQuery(filters={"park_id": page.park.id, "industrial": True}, sort="name"),
    )
    return [forms.Choice(str(e.id), page.name(e)) for e in rows]


def _names(page: Page, ids: list[int]) -> dict[int, str]:
    return page.enterprise_names(archive.enterprise_names(page.db, scope=page.scope, ids=sorted(set(ids))))


def _may_submit(page: Page) -> bool:
    return page.scope.can("statistics.submit") and bool(page.scope.write_parks)


@router.get("/economy/statistics", response_class=HTMLResponse, name="economy_statistics")
def statistics_page(page: CurrentPage) -> HTMLResponse:
    raw = {k: v for k, v in page.request.query_params.items() if k not in ("lang",)}
    period = _period_arg(page)
    if period is not None:
        raw["period"] = period.isoformat()
    query = statistics.LIST_SPEC.parse_query(raw)
    rows, total = statistics.list(page.db, scope=page.scope, query=query)
    names = _names(page, [r.enterprise_id for r in rows])
    last_page = max(1, math.ceil(total / query.page_size))
    missing = None
    default_missing = statistics.add_months(statistics.current_month(), -1)
    missing_period = period or default_missing
    if page.scope.can("economy.read") and page.park is not None:
        missing = statistics.missing_submissions(page.db, scope=page.scope, period=missing_period, park_id=page.park.id)
    reminders: list[dict[str, Any]] = []
    if page.scope.own_enterprise_only and page.scope.enterprise_id is not None:
        reminders = [
            {
                "period": _month_text(page, r.period),
                "value": f"{r.period:%Y-%m}",
                "sent_at": i18n.local_time(r.sent_at),
                "note": r.note,
            }
            for r in statistics.open_reminders(page.db, scope=page.scope, enterprise_id=page.scope.enterprise_id)
        ]
    export = "/api/v1/economy/statistics.{fmt}" + (f"?period={period.isoformat()}" if period else "")
    notice = None
    if page.request.query_params.get("reminded"):
        notice = page.gettext("%(n)s reminders sent.", n=page.request.query_params.get("reminded"))
    return page.render(
        "economy/statistics_list.html",
        {
            "rows": [
                {
                    "id": r.id,
                    "enterprise_id": r.enterprise_id,
                    "enterprise": names.get(r.enterprise_id, f"#{r.enterprise_id}"),
                    "period": f"{r.period:%Y-%m}",
                    "output": r.output_value_wan_yuan,
                    "sales": r.sales_revenue_wan_yuan,
                    "tax": r.tax_paid_wan_yuan,
                    "electricity": r.electricity_kwh,
                    "employees": r.employees,
                    "source": SOURCE_LABELS.get(r.source, r.source),
                    "revision": r.revision,
                }
                for r in rows
            ],
            "total": total,
            "query": query,
            "period_value": f"{period:%Y-%m}" if period else "",
            "last_page": last_page,
            "missing": missing,
            "missing_period": f"{missing_period:%Y-%m}",
            "missing_text": _month_text(page, missing_period),
            "can_remind": page.scope.can("statistics.remind") and bool(page.scope.write_parks),
            "can_submit": _may_submit(page),
            "can_import": page.scope.can("statistics.import") and bool(page.scope.write_parks),
            "reminders": reminders,
            "exports": {"xlsx": export.format(fmt="xlsx"), "csv": export.format(fmt="csv")},
            "notice": notice,
        },
    )


@router.post("/economy/statistics/reminders", name="economy_send_reminders")
def send_reminders_page(page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    page.scope.require("statistics.remind")  # before the input is looked at
    try:
        period = schemas.parse_period(form.get("period", ""))
    except ValueError as exc:
        raise ValidationFailed(f"period: {exc}", errors=[{"field": "period", "reason": str(exc)}]) from None
    sent = statistics.send_reminders(page.db, scope=page.scope, period=period, note=form.get("note") or None)
    return RedirectResponse(f"/economy/statistics?period={period:%Y-%m}&reminded={len(sent)}", status_code=303)


def _figure_fields(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": figure,
            "label": FIGURE_LABELS[figure],
            "value": "" if values.get(figure) is None else str(values[figure]),
            "step": "1" if figure == "employees" else "any",
            "required": figure not in ("rnd_spending_wan_yuan", "export_value_wan_yuan"),
        }
        for figure in FIGURES
    ]


def _form(page: Page, *, values: dict[str, Any], errors: dict[str, str], status_code: int = 200) -> HTMLResponse:
    own = page.scope.own_enterprise_only
    own_name = None
    if own and page.scope.enterprise_id is not None:
        own_name = _names(page, [page.scope.enterprise_id]).get(page.scope.enterprise_id)
    return page.render(
        "economy/statistics_form.html",
        {
            "fields": _figure_fields(values),
            "values": values,
            "errors": errors,
            "general_errors": [
                text for name, text in errors.items() if name not in {"enterprise_id", "period", *FIGURES}
            ],
            "own": own,
            "own_name": own_name,
            "enterprises": [] if own else _enterprise_choices(page),
            "default_period": values.get("period") or f"{statistics.add_months(statistics.current_month(), -1):%Y-%m}",
        },
        status_code=status_code,
    )


@router.get("/economy/statistics/new", response_class=HTMLResponse, name="economy_statistics_new")
def new_statistic(page: CurrentPage) -> HTMLResponse:
    if not _may_submit(page):
        raise PermissionDenied("you may not submit statistics in this park")
    values: dict[str, Any] = {k: v for k, v in page.request.query_params.items() if k in ("enterprise_id", "period")}
    return _form(page, values=values, errors={})


def _parsed(form: dict[str, str], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: form[name].strip().replace(",", "") for name in names if form.get(name, "").strip()}


@router.post("/economy/statistics/new", name="economy_statistics_create")
def create_statistic(page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    if not _may_submit(page):
        raise PermissionDenied("you may not submit statistics in this park")
    values = _parsed(form, ("enterprise_id", "period", *FIGURES))
    errors: dict[str, str] = {}
    conflict = False
    try:
        data = MonthlyStatisticCreate.model_validate(values)
        with page.db.begin_nested():
            row = statistics.submit(page.db, scope=page.scope, data=data)
    except ValidationError as exc:
        errors = forms.validation_errors(exc, page.gettext)
    except (ValidationFailed, Conflict) as exc:
        errors, conflict = forms.domain_errors(exc, {"enterprise_id", "period", *FIGURES}), isinstance(exc, Conflict)
    else:
        return RedirectResponse(f"/economy/statistics/{row.id}?created=1", status_code=303)
    return _form(page, values=values, errors=errors, status_code=409 if conflict else 422)


def _detail(
    page: Page,
    ident: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    row = statistics.get(page.db, scope=page.scope, ident=ident)
    history = statistics.revisions(page.db, scope=page.scope, ident=ident)
    try:
        page.scope.authorize_write_row("statistics.submit", row)
        can_correct = True
    except PermissionDenied:
        can_correct = False
    current = statistics.figures_of(row)
    notice = None
    if page.request.query_params.get("created"):
        notice = page.gettext("Statistics submitted.")
    elif page.request.query_params.get("corrected"):
        notice = page.gettext("Correction saved; the previous values are kept in the history.")
    return page.render(
        "economy/statistics_detail.html",
        {
            "row": row,
            "enterprise": _names(page, [row.enterprise_id]).get(row.enterprise_id, f"#{row.enterprise_id}"),
            "period_text": _month_text(page, row.period),
            "figures": [{"label": FIGURE_LABELS[f], "value": current[f], "name": f} for f in FIGURES],
            "history": [
                {
                    "revision": h.revision,
                    "at": i18n.local_time(h.at),
                    "by": h.corrected_by,
                    "reason": h.reason,
                    "source": SOURCE_LABELS.get(h.source, h.source),
                    "changes": [
                        {"label": SHORT_LABELS[f], "before": h.previous.get(f)} for f in FIGURES if f in h.previous
                    ],
                }
                for h in history
            ],
            "fields": _figure_fields(values if values is not None else current),
            "reason": (values or {}).get("reason", ""),
            "errors": errors or {},
            "can_correct": can_correct,
            "source": SOURCE_LABELS.get(row.source, row.source),
            "submitted_at": i18n.local_time(row.submitted_at),
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/economy/statistics/import", response_class=HTMLResponse, name="economy_statistics_import")
def import_form(page: CurrentPage) -> HTMLResponse:
    page.scope.require("statistics.import")
    return page.render("economy/statistics_import.html", {"report": None, "problem": None})


@router.post("/economy/statistics/import", response_class=HTMLResponse, name="economy_statistics_import_post")
def import_post(page: CurrentPage, uploaded: Uploaded) -> HTMLResponse:
    page.scope.require("statistics.import")
    run = functools.partial(statistics.import_or_raise, page.db, scope=page.scope)
    return import_page(page, "economy/statistics_import.html", uploaded, run)


@router.get("/economy/statistics/{ident}", response_class=HTMLResponse, name="economy_statistic")
def statistic_page(page: CurrentPage, ident: Ident) -> HTMLResponse:
    return _detail(page, ident)


@router.post("/economy/statistics/{ident}/correct", name="economy_statistic_correct")
def correct_statistic(page: CurrentPage, ident: Ident, form: FormFields) -> Response:
    page.check_csrf(form)
    row = statistics.get(page.db, scope=page.scope, ident=ident)
    values = _parsed(form, FIGURES)
    changed = {name: value for name, value in values.items() if str(getattr(row, name)) != value}
    payload: dict[str, Any] = {**changed, "reason": form.get("reason", "")}
    errors: dict[str, str] = {}
    try:
        data = MonthlyStatisticCorrect.model_validate(payload)
        with page.db.begin_nested():
            statistics.correct(page.db, scope=page.scope, ident=ident, data=data)
    except ValidationError as exc:
        errors = forms.validation_errors(exc, page.gettext)
    except ValidationFailed as exc:
        errors = forms.domain_errors(exc, {"reason", *FIGURES})
        if not errors:
            errors = {forms.GENERAL: exc.detail}
    else:
        return RedirectResponse(f"/economy/statistics/{ident}?corrected=1", status_code=303)
    return _detail(page, ident, errors=errors, values={**values, "reason": form.get("reason", "")}, status_code=422)


# -- the archive -----------------------------------------------------------------------------------------------
def _archive_view(page: Page, section: schemas.ArchiveSectionRead) -> dict[str, Any]:
    data = section.data or {}
    view: dict[str, Any] = {
        "key": section.key,
        "title": section.title,
        "available": section.available,
        "note": section.note,
        "data": data,
    }
    if section.key == "qualifications":
        view["items"] = [
            {
                **q,
                "kind_label": QUALIFICATION_LABELS.get(q["kind"], q["kind"]),
                "status_label": STATUS_LABELS.get(q["status"], q["status"]),
            }
            for q in data.get("items", [])
        ]
    elif section.key == "intellectual_property":
        view["items"] = [{**p, "kind_label": IP_LABELS.get(p["kind"], p["kind"])} for p in data.get("items", [])]
        view["counts"] = [{"label": IP_LABELS.get(k, k), "n": n} for k, n in sorted(data.get("by_kind", {}).items())]
    elif section.key == "statistics" and data:
        view["months"] = [
            {"period": f"{m['period']:%Y-%m}", **{f: m[f] for f in FIGURES}} for m in data.get("months", [])
        ]
        view["ytd"] = [
            {
                "label": SHORT_LABELS[f],
                "ytd": data["ytd"][f],
                "last": data["ytd_last_year"][f],
                "growth": _percent(data["ytd_yoy_percent"][f]),
                "digits": 0 if f == "electricity_kwh" else 1,
            }
            for f in ("output_value_wan_yuan", "sales_revenue_wan_yuan", "tax_paid_wan_yuan", "electricity_kwh")
        ]
        view["period_text"] = _month_text(page, data.get("period"))
        view["month_growth"] = [
            {
                "label": SHORT_LABELS[f],
                "value": data["month"][f],
                "yoy": _percent(data["yoy_percent"][f]),
                "mom": _percent(data["mom_percent"][f]),
                "digits": 0 if f in ("electricity_kwh", "employees") else 1,
            }
            for f in ("output_value_wan_yuan", "tax_paid_wan_yuan", "electricity_kwh", "employees")
        ]
        view["growth_missing"] = [
            page.gettext(message, month=_month_text(page, data[base]))
            for available, base, message in (
                ("yoy_available", "yoy_base", N_("Year on year of the month unavailable: %(month)s was not submitted")),
                ("mom_available", "mom_base", N_("Month on month unavailable: %(month)s was not submitted")),
            )
            if not data[available]
        ]
        view["chart"] = json_script(
            {
                "kind": "trend",
                "months": [m["period"] for m in view["months"]],
                "series": [
                    {
                        "name": page.gettext("Industrial output"),
                        "data": [m["output_value_wan_yuan"] for m in view["months"]],
                    }
                ],
                "unit": page.gettext("10k yuan"),
            }
        )
    elif section.key == "industry" and data:
        view["name"] = (data.get("name_en") or data.get("name_zh")) if page.lang == "en" else data.get("name_zh")
        division = data.get("division") or {}
        division_name = (division.get("name_en") if page.lang == "en" else None) or division.get("name_zh", "")
        view["division"] = f"{division.get('code', '')} {division_name}" if division else ""
    elif section.key not in KNOWN_SECTIONS and data:
        view["props"] = [
            (key, _plain_value(value)) for key, value in data.items() if not isinstance(value, list | dict)
        ]
        view["tables"] = [
            {
                "title": key,
                "headers": list(value[0].keys()),
                "rows": [[_plain_value(item.get(h)) for h in value[0]] for item in value],
            }
            for key, value in data.items()
            if isinstance(value, list) and value and all(isinstance(item, dict) for item in value)
        ]
    return view


KNOWN_SECTIONS = frozenset(
    {"registration", "industry", "premises", "qualifications", "intellectual_property", "products", "statistics"}
)


def _plain_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list | dict):
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return str(value)


@router.get("/enterprises/{ident}/archive", response_class=HTMLResponse, name="enterprise_archive")
def archive_page(page: CurrentPage, ident: Ident) -> HTMLResponse:
    found = archive.enterprise_archive(page.db, scope=page.scope, enterprise_id=ident)
    enterprise = page.db.get(Enterprise, ident)
    return page.render(
        "economy/archive.html",
        {
            "archive": found,
            "enterprise": enterprise,
            "sections": [_archive_view(page, s) for s in found.sections],
            "generated_at": i18n.local_time(found.generated_at),
            "detail_href": f"{kind_path('enterprise')}/{ident}",
            "statistics_href": f"/economy/statistics?enterprise_id={ident}",
        },
    )
