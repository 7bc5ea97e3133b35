"""Energy-operations pages beyond the bill: the prepaid accounts (staff top up; an enterprise sees its own balance
and entries) and the outlook — the monthly output-value forecast with its interval and backtest (an enterprise:
its own), the park's 能耗双控, and the PV, storage and charging site with tomorrow's storage dispatch."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from digipark.automation import dualcontrol, insight, ops, prepaid
from digipark.core.errors import DomainError, NotFound
from digipark.registry.models import Enterprise
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
KINDS = {prepaid.TOP_UP: N_("Top-up"), prepaid.BILL: N_("Bill deducted")}


def _require(page: Page, permission: str) -> None:
    page.scope.require(permission)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")


def _prepaid(page: Page, error: str | None = None) -> HTMLResponse:
    accounts = prepaid.accounts(page.db, scope=page.scope)
    staff = page.scope.can(ops.WRITE)
    names = {
        e.id: e.name
        for e in page.db.scalars(
            page.scope.readable(Enterprise).where(Enterprise.park_id == page.scope.acting_park(None))
        )
    }
    own = accounts[0] if accounts and not page.scope.can(ops.READ) else None
    entries = prepaid.entries(page.db, scope=page.scope, account_id=own.id) if own else []
    return page.render(
        "automation/prepaid.html",
        {
            "accounts": accounts,
            "names": names,
            "staff": staff,
            "own": own,
            "entries": entries,
            "kinds": {k: page.gettext(v) for k, v in KINDS.items()},
            "error": error,
        },
    )


@router.get("/energy-ops/prepaid", response_class=HTMLResponse, name="energy_ops_prepaid")
def prepaid_page(page: CurrentPage) -> HTMLResponse:
    _require(page, ops.VIEW)
    return _prepaid(page)


@router.post("/energy-ops/prepaid", response_class=HTMLResponse)
def prepaid_top_up(page: CurrentPage, form: FormFields) -> Response:
    _require(page, ops.WRITE)
    page.check_csrf(form)
    try:
        enterprise = int(form.get("enterprise_id", "") or 0)
        amount = float(form.get("amount", "") or 0)
        low = form.get("low_balance", "").strip()
        with page.db.begin_nested():
            prepaid.top_up(
                page.db,
                scope=page.scope,
                enterprise_id=enterprise,
                amount=amount,
                low_balance=float(low) if low else None,
                note=form.get("note", "").strip()[:300] or None,
            )
    except (ValueError, DomainError) as exc:  # the savepoint undid the top-up; the request's transaction goes on
        return _prepaid(page, str(exc)[:300])
    return RedirectResponse("/energy-ops/prepaid", status_code=303)


@router.get("/energy-ops/outlook", response_class=HTMLResponse, name="energy_ops_outlook")
def outlook_page(page: CurrentPage) -> HTMLResponse:
    _require(page, ops.VIEW)
    staff = page.scope.can(ops.READ)
    output = insight.output_forecast(page.db, scope=page.scope)
    today = insight.today()
    dual: dualcontrol.DualControl | None = None
    site_months: list[dict[str, float]] = []
    dispatch = None
    cycles = 0.0
    records = None
    site_of = today.year
    if staff:
        dual = insight.dual_control(page.db, scope=page.scope, year=today.year)
        records = insight.site_records_year(page.db, scope=page.scope, year=today.year)
        if records is not None:  # the platform's records: this year so far
            site_months, cycles = records.months, records.cycles
        else:  # no site device: the synthetic demo site's last year
            site_of = today.year - 1
            year = insight.site_year(page.db, scope=page.scope, year=site_of)
            site_months = year.monthly()
            cycles = sum(d.cycles for d in year.days)
        dispatch = insight.dispatch_suggestion(page.db, scope=page.scope, day=today + dt.timedelta(days=1))
    return page.render(
        "automation/outlook.html",
        {
            "output": output,
            "staff": staff,
            "dual": dual,
            "site_months": site_months,
            "site_year": site_of,
            "site_records": records,
            "cycles": cycles,
            "dispatch": dispatch,
        },
    )
