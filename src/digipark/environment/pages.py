"""Environment pages: pollution monitoring (outlets with live values and daily averages against the limits,
exceedances, permit use), an outlet's hourly and daily values, the solid waste ledger and hazardous waste with
its transfer manifests. Every read goes through the environment service and the caller's scope: an enterprise
user sees its own outlets and ledgers only; a user of several parks sees the park chosen in the header."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from digipark.core.listing import ListQuery
from digipark.environment import pollution, service, waste
from digipark.registry.models import Enterprise
from digipark.telemetry.provides import local_zone
from digipark.web.i18n import N_
from digipark.web.overview import json_script
from digipark.web.shell import CurrentPage, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
YearQ = Annotated[int | None, Query(ge=2000, le=2100)]
DAYS_SHOWN = 7
OUTLETS_PER_PAGE = 8  # outlet cards per page of /environment (each a table of its factors' daily averages)

STATUS_LABELS = {
    "verified": N_("verified"),
    "secondary": N_("secondary source"),
    "unverified": N_("unverified"),
}
MEDIUM_LABELS = {"water": N_("Wastewater"), "air": N_("Flue gas")}
LEVEL_LABELS = {"ok": N_("Within permit"), "warning": N_("Nearly used"), "exceeded": N_("Exceeded")}
PERIOD_LABELS = {"hour": N_("Hourly average"), "day": N_("Daily average")}
STORAGE_LABELS = {
    "ok": N_("In time"),
    "due_soon": N_("Storage limit near"),
    "overdue": N_("Stored beyond the limit"),
    "cleared": N_("Hauled away"),  # not "Cleared": that msgid is the alarm state (已恢复)
}
MANIFEST_LABELS = {
    "created": N_("Filled in"),
    "in_transit": N_("In transit"),
    "received": N_("Received"),
    "cancelled": N_("Cancelled"),
}
METHOD_LABELS = {
    "flow_weighted": N_("flow-weighted"),
    "arithmetic": N_("arithmetic mean"),
    "range": N_("range, not averaged"),
    "volume": N_("daily volume"),
}


def _in_park(page: Page) -> dict[str, Any]:
    """The list filter of the park the page acts in (the header's switcher chooses it for a user of several)."""
    return {"park_id": page.park.id} if page.park is not None else {}


def _all(page: Page) -> ListQuery:
    return ListQuery(page=1, page_size=500, filters=_in_park(page))


def _names(page: Page, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = page.db.execute(
        select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(sorted(ids)), page.scope.condition(Enterprise))
    )
    return {ident: name for ident, name in rows}


def _source(page: Page, d: Any, key: str | None) -> str:
    """A cited source in the page's language (the data's Chinese text when it has no English one)."""
    if key is None:
        return ""
    english = d.sources_en.get(key) if page.lang == "en" else None
    return str(english or d.sources.get(key, key))


def _standard_title(page: Page, d: Any, key: str | None) -> str | None:
    """An outlet's emission standard by its title in the page's language (its key when the data does not know it)."""
    return page.name(d.standards[key], "title") if key in d.standards else key


def factor_name(page: Page, key: str) -> str:
    factor = pollution.data().factors.get(key)
    if factor is None:
        return key
    return factor.abbr if page.lang == "en" else factor.name_zh


def _status(page: Page, status: str | None) -> str:
    return page.label(STATUS_LABELS, status) if status else ""


def _limit_text(limit_min: float | None, limit_max: float | None) -> str:
    if limit_min is not None and limit_max is not None:
        return f"{limit_min:g}–{limit_max:g}"
    if limit_max is not None:
        return f"≤ {limit_max:g}"
    if limit_min is not None:
        return f"≥ {limit_min:g}"
    return "—"


def _value_text(value: float | None, low: float | None = None, high: float | None = None, ph: bool = False) -> str:
    if ph:
        return "—" if low is None or high is None else f"{low:.2f}–{high:.2f}"
    return "—" if value is None else f"{value:,.2f}"


def _local(moment: dt.datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")


def _tabs(page: Page, active: str) -> list[dict[str, Any]]:
    return [
        {"href": "/environment", "label": page.gettext("Pollution monitoring"), "active": active == "pollution"},
        {"href": "/environment/waste", "label": page.gettext("Solid waste ledger"), "active": active == "waste"},
        {"href": "/environment/hazardous", "label": page.gettext("Hazardous waste"), "active": active == "hazardous"},
        {
            "href": "/environment/waste/intensity",
            "label": page.gettext("Waste intensity"),
            "active": active == "intensity",
        },
    ]


# -- pollution monitoring ------------------------------------------------------------------------------------------
@router.get("/environment", response_class=HTMLResponse, name="environment")
def pollution_page(
    page: CurrentPage, year: YearQ = None, outlets_page: Annotated[int, Query(ge=1, le=1000)] = 1
) -> HTMLResponse:
    d = pollution.data()
    year = year or service.today().year
    outlets, _ = service.list_outlets(page.db, scope=page.scope, query=_all(page))
    pages = max(1, -(-len(outlets) // OUTLETS_PER_PAGE))
    outlets_page = min(outlets_page, pages)
    shown = outlets[(outlets_page - 1) * OUTLETS_PER_PAGE : outlets_page * OUTLETS_PER_PAGE]
    factors = service.factors_of(page.db, [o.id for o in shown])
    last = service.today()
    first = last - dt.timedelta(days=DAYS_SHOWN - 1)
    names = _names(page, {o.enterprise_id for o in shown})
    cards = []
    for outlet in shown:
        read = service.outlet_read(page.db, outlet, factors[outlet.id])
        live = {x.factor: x for x in service.latest_of(page.db, outlet, factors[outlet.id])}
        averages = service.compute_averages(page.db, outlet, factors[outlet.id], first, last, with_hours=False)
        rows = []
        for fa in averages.factors:
            factor = d.factors[fa.factor]
            ph = factor.role == "ph"
            now = live.get(fa.factor)
            rows.append(
                {
                    "name": factor_name(page, fa.factor),
                    "abbr": factor.abbr,
                    "unit": fa.unit if factor.role != "flow" else "m³",
                    "live": "—" if now is None or now.value is None else f"{now.value:,.2f} {now.unit}",
                    "live_stale": now is None or now.stale,
                    "live_exceeded": bool(now and now.exceeded),
                    "limit": _limit_text(fa.limit_min, fa.limit_max),
                    "limit_status": _status(page, fa.limit_status),
                    "limit_unverified": fa.limit_status == "unverified",
                    "days": [
                        {
                            "text": _value_text(x.value, x.min, x.max, ph) if x.valid_hours else "—",
                            "valid": x.valid,
                            "exceeded": x.exceeded,
                            "title": f"{x.day:%m-%d} · {x.valid_hours} h · {page.label(METHOD_LABELS, x.method)}",
                        }
                        for x in fa.days
                    ],
                }
            )
        cards.append(
            {
                "id": outlet.id,
                "code": outlet.code,
                "name": page.name(outlet),
                "enterprise": page.enterprise_name(outlet.enterprise_id, names.get(outlet.enterprise_id, "")),
                "medium": page.label(MEDIUM_LABELS, outlet.medium),
                "standard": _standard_title(page, d, outlet.standard),
                "standard_status": _status(page, read.standard_status),
                "standard_unverified": read.standard_status == "unverified",
                "active": outlet.active,
                "rows": rows,
            }
        )
    day_heads = [f"{first + dt.timedelta(days=i):%m-%d}" for i in range(DAYS_SHOWN)]
    exceedances, total_exceedances = service.list_exceedances(
        page.db, scope=page.scope, query=ListQuery(page=1, page_size=20, sort="-bucket,id", filters=_in_park(page))
    )
    outlet_codes = {o.id: o.code for o in outlets}
    exceedance_rows = [
        {
            "time": _local(dt.datetime.fromtimestamp(e.bucket / 1000, dt.UTC)),
            "period": page.label(PERIOD_LABELS, e.period),
            "outlet": outlet_codes.get(e.outlet_id, str(e.outlet_id)),
            "outlet_id": e.outlet_id,
            "factor": factor_name(page, e.factor),
            "value": f"{e.value:,.2f} {e.unit}",
            "limit": _limit_text(e.limit_min, e.limit_max),
        }
        for e in exceedances
    ]
    usage = service.permit_usage(
        page.db, scope=page.scope, year=year, park_id=page.park.id if page.park is not None else None
    )
    usage_names = _names(page, {u.enterprise_id for u in usage})
    usage_rows = [
        {
            "enterprise": page.enterprise_name(u.enterprise_id, usage_names.get(u.enterprise_id, "")),
            "permit_no": u.permit_no,
            "factor": factor_name(page, u.factor),
            "permitted": u.permitted_t,
            "discharged": u.discharged_t,
            "percent": u.percent,
            "level": u.level,
            "level_label": page.label(LEVEL_LABELS, u.level),
        }
        for u in usage
    ]
    chart = {
        "kind": "permit",
        "categories": [f"{r['enterprise']} {r['factor']}" for r in usage_rows],
        "values": [round(u.percent or 0.0, 1) for u in usage],
        "levels": [r["level"] for r in usage_rows],
        "marks": [lvl.at_percent for lvl in d.permit_levels],
        "label": page.gettext("Share of the permitted quantity used (%)"),
    }
    rules = [
        {
            "medium": page.label(MEDIUM_LABELS, a.medium),
            "coverage": f"{a.hour_min_coverage * 60:.0f}",
            "hours": a.day_min_valid_hours,
            "mean": page.label(METHOD_LABELS, a.day_mean),
            "status": _status(page, a.status),
            "source": _source(page, d, a.source),
        }
        for a in d.averaging.values()
    ]
    return page.render(
        "environment/pollution.html",
        {
            "tabs": _tabs(page, "pollution"),
            "cards": cards,
            "outlet_total": len(outlets),
            "outlets_page": outlets_page,
            "outlets_first": (outlets_page - 1) * OUTLETS_PER_PAGE + 1,
            "outlet_pages": pages,
            "day_heads": day_heads,
            "exceedances": exceedance_rows,
            "exceedance_total": total_exceedances,
            "usage": usage_rows,
            "usage_chart": json_script(chart),
            "year": year,
            "rules": rules,
            "ph_source": _source(page, d, d.ph_rule["source"]),
            "levels": [f"{lvl.at_percent:g} %" for lvl in d.permit_levels],
        },
    )


@router.get("/environment/outlets/{ident}", response_class=HTMLResponse, name="environment_outlet")
def outlet_page(
    page: CurrentPage,
    ident: Ident,
    first: Annotated[dt.date | None, Query()] = None,
    last: Annotated[dt.date | None, Query()] = None,
) -> HTMLResponse:
    d = pollution.data()
    last = last or service.today()
    first = first or last - dt.timedelta(days=2)
    outlet = service.get_outlet(page.db, scope=page.scope, ident=ident)
    averages = service.outlet_averages(page.db, scope=page.scope, ident=ident, first=first, last=last)
    names = _names(page, {outlet.enterprise_id})
    series = []
    tables = []
    for fa in averages.factors:
        factor = d.factors[fa.factor]
        ph = factor.role == "ph"
        series.append(
            {
                "name": f"{factor_name(page, fa.factor)} ({factor.unit})",
                "ph": ph,
                "points": [
                    [h.bucket, None if not h.valid else (h.max if ph else h.mean), h.min if ph else None]
                    for h in fa.hours
                ],
                "limit_max": fa.limit_max,
                "limit_min": fa.limit_min,
            }
        )
        tables.append(
            {
                "name": factor_name(page, fa.factor),
                "unit": "m³" if factor.role == "flow" else factor.unit,
                "limit": _limit_text(fa.limit_min, fa.limit_max),
                "limit_status": _status(page, fa.limit_status),
                "limit_unverified": fa.limit_status == "unverified",
                "rule_status": _status(page, fa.rule_status),
                "days": [
                    {
                        "day": x.day.isoformat(),
                        "text": _value_text(x.value, x.min, x.max, ph),
                        "hours": x.valid_hours,
                        "valid": x.valid,
                        "exceeded": x.exceeded,
                        "method": page.label(METHOD_LABELS, x.method),
                    }
                    for x in fa.days
                ],
            }
        )
    exceedances, _ = service.list_exceedances(
        page.db,
        scope=page.scope,
        query=ListQuery(page=1, page_size=50, sort="-bucket,id", filters={"outlet_id": ident}),
    )
    return page.render(
        "environment/outlet.html",
        {
            "tabs": _tabs(page, "pollution"),
            "outlet": outlet,
            "enterprise": page.enterprise_name(outlet.enterprise_id, names.get(outlet.enterprise_id, "")),
            "medium": page.label(MEDIUM_LABELS, outlet.medium),
            "standard": _standard_title(page, d, outlet.standard),
            "first": first.isoformat(),
            "last": last.isoformat(),
            "tables": tables,
            "chart": json_script({"kind": "hours", "series": series}),
            "exceedances": [
                {
                    "time": _local(dt.datetime.fromtimestamp(e.bucket / 1000, dt.UTC)),
                    "period": page.label(PERIOD_LABELS, e.period),
                    "factor": factor_name(page, e.factor),
                    "value": f"{e.value:,.2f} {e.unit}",
                    "limit": _limit_text(e.limit_min, e.limit_max),
                }
                for e in exceedances
            ],
        },
    )


# -- solid waste ---------------------------------------------------------------------------------------------------
@router.get("/environment/waste", response_class=HTMLResponse, name="environment_waste")
def waste_page(page: CurrentPage, year: YearQ = None) -> HTMLResponse:
    year = year or service.today().year
    w = waste.data()
    rows, _ = service.list_waste(
        page.db,
        scope=page.scope,
        query=ListQuery(page=1, page_size=500, sort="enterprise_id,month", filters=_in_park(page)),
    )
    rows = [r for r in rows if r.month.year == year]
    names = _names(page, {r.enterprise_id for r in rows})
    ids = sorted({r.enterprise_id for r in rows})
    totals = service.general_totals(page.db, enterprise_ids=ids, year=year)
    entries = [
        {
            "enterprise": names.get(r.enterprise_id, ""),
            "month": f"{r.month:%Y-%m}",
            "category": f"{r.category} {w.general[r.category].name(page.lang) if r.category in w.general else ''}",
            "opening": r.opening_t,
            "generated": r.generated_t,
            "utilised": r.utilised_t,
            "disposed": r.disposed_t,
            "stored": r.stored_t,
            "unaccounted": waste.unaccounted(r.opening_t, r.generated_t, r.utilised_t, r.disposed_t, r.stored_t),
        }
        for r in rows
    ]
    by_month: dict[str, list[float]] = {}
    for r in rows:
        m = by_month.setdefault(f"{r.month:%Y-%m}", [0.0, 0.0, 0.0, 0.0])
        m[0] += r.generated_t
        m[1] += r.utilised_t
        m[2] += r.disposed_t
        m[3] += r.stored_t
    months = sorted(by_month)
    chart = {
        "kind": "waste",
        "months": months,
        "series": [
            {"name": page.gettext(label), "data": [round(by_month[m][i], 3) for m in months]}
            for i, label in enumerate((N_("Generated"), N_("Utilised"), N_("Disposed"), N_("In storage")))
        ],
        "unit": "t",
    }
    return page.render(
        "environment/waste.html",
        {
            "tabs": _tabs(page, "waste"),
            "year": year,
            "entries": entries,
            "totals": totals,
            "chart": json_script(chart),
            "category_status": _status(page, w.general_status),
            "category_source": _source(page, w, w.general_source),
            "rates_status": _status(page, w.rates_status),
            "rates_source": _source(page, w, w.rates_source),
        },
    )


@router.get("/environment/hazardous", response_class=HTMLResponse, name="environment_hazardous")
def hazardous_page(page: CurrentPage, year: YearQ = None) -> HTMLResponse:
    year = year or service.today().year
    w = waste.data()
    batches, _ = service.list_batches(page.db, scope=page.scope, query=_all(page))
    reads = service.batch_reads(page.db, batches)
    manifests, _ = service.list_manifests(page.db, scope=page.scope, query=_all(page))
    manifests = [m for m in manifests if m.shipped_on.year == year]
    names = _names(page, {b.enterprise_id for b in reads} | {m.enterprise_id for m in manifests})
    codes = {b.id: b.code for b in reads}
    order = {"overdue": 0, "due_soon": 1, "ok": 2, "cleared": 3}
    reads.sort(key=lambda r: (order[r.storage_state], r.deadline))
    return page.render(
        "environment/hazardous.html",
        {
            "tabs": _tabs(page, "hazardous"),
            "year": year,
            "batches": [
                {
                    **r.model_dump(),
                    "enterprise": names.get(r.enterprise_id, ""),
                    "category_name": w.hazardous[r.category].name_zh if r.category in w.hazardous else "",
                    "state_label": page.label(STORAGE_LABELS, r.storage_state),
                }
                for r in reads
            ],
            "manifests": [
                {
                    "number": m.number,
                    "enterprise": names.get(m.enterprise_id, ""),
                    "batch": codes.get(m.batch_id, str(m.batch_id)),
                    "quantity": m.quantity_t,
                    "carrier": m.carrier,
                    "receiver": m.receiver,
                    "receiver_licence": m.receiver_licence,
                    "shipped_on": m.shipped_on.isoformat(),
                    "received_on": m.received_on.isoformat() if m.received_on else "—",
                    "status": page.label(MANIFEST_LABELS, m.status),
                }
                for m in manifests
            ],
            "overdue": sum(1 for r in reads if r.storage_state == "overdue"),
            "due_soon": sum(1 for r in reads if r.storage_state == "due_soon"),
            "storage_days": w.storage_days,
            "warn_days": w.warn_days,
            "storage_status": _status(page, w.storage_status),
            "storage_source": _source(page, w, w.storage_source),
        },
    )
