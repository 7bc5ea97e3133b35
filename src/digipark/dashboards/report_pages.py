"""Scheduled report pages: the subscriptions with their next run and the form to add one; a subscription with its
delivery log, "run now" and delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from digipark.core.errors import DomainError, NotFound
from digipark.dashboards import reports, subscriptions
from digipark.dashboards.pages import errors_of, status_of
from digipark.dashboards.schemas import SubscriptionCreate
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
CHANNELS = {"dingtalk": N_("DingTalk robot"), "wecom": N_("WeCom robot"), "feishu": N_("Feishu robot")}
STATUSES = {"pending": N_("Pending"), "sent": N_("Sent"), "failed": N_("Failed")}


def _subscriber(page: Page) -> None:
    page.scope.require(subscriptions.WRITE)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")


@router.get("/reports/subscriptions", response_class=HTMLResponse, name="report_subscriptions")
def list_page(page: CurrentPage) -> HTMLResponse:
    _subscriber(page)
    return _list(page, {"cron": "0 8 * * 1", "language": page.lang}, {})


def _list(page: Page, values: dict[str, Any], errors: dict[str, str], *, status_code: int = 200) -> HTMLResponse:
    query = subscriptions.SUBSCRIPTIONS.list_spec.parse_query({"page_size": "100"})
    rows, total = subscriptions.SUBSCRIPTIONS.list(page.db, scope=page.scope, query=query)
    return page.render(
        "dashboards/subscriptions.html",
        {
            "rows": rows,
            "total": total,
            "values": values,
            "errors": errors,
            "kinds": reports.REPORTS,
            "channels": CHANNELS,
        },
        status_code=status_code,
    )


def _values(form: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": form.get("name", ""),
        "report": form.get("report", ""),
        "formats": [f for f in ("pdf", "xlsx") if form.get(f"format_{f}") == "1"],
        "language": form.get("language") or "zh",
        "cron": form.get("cron", "").strip(),
        "working_days_only": form.get("working_days_only") == "1",
        "emails": [e.strip() for e in form.get("emails", "").replace("，", ",").split(",") if e.strip()],
        "robot_channel": form.get("robot_channel") or None,
        "robot_url": form.get("robot_url") or None,
        "robot_secret": form.get("robot_secret") or None,
    }
    if form.get("enterprise_id", "").strip():
        values["params"] = {"enterprise_id": form["enterprise_id"].strip()}
    return values


@router.post("/reports/subscriptions", response_class=HTMLResponse)
def create(page: CurrentPage, form: FormFields) -> Response:
    _subscriber(page)
    page.check_csrf(form)
    try:
        with page.db.begin_nested():
            data = SubscriptionCreate(**_values(form))
            row = subscriptions.SUBSCRIPTIONS.create(page.db, scope=page.scope, data=data)
    except (ValidationError, DomainError) as exc:
        return _list(page, form, errors_of(exc), status_code=status_of(exc))
    return RedirectResponse(f"/reports/subscriptions/{row.id}", status_code=303)


@router.get("/reports/subscriptions/{ident}", response_class=HTMLResponse, name="report_subscription")
def detail_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _subscriber(page)
    row = subscriptions.SUBSCRIPTIONS.get(page.db, scope=page.scope, ident=ident)
    log = subscriptions.deliveries(page.db, scope=page.scope, ident=ident)
    return page.render(
        "dashboards/subscription.html",
        {"row": row, "log": log, "kind": reports.REPORTS.get(row.report), "statuses": STATUSES, "channels": CHANNELS},
    )


@router.post("/reports/subscriptions/{ident}/run")
def run_now(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _subscriber(page)
    page.check_csrf(form)
    subscriptions.run_now(page.db, scope=page.scope, ident=ident)
    return RedirectResponse(f"/reports/subscriptions/{ident}", status_code=303)


@router.post("/reports/subscriptions/{ident}/delete")
def delete(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _subscriber(page)
    page.check_csrf(form)
    subscriptions.SUBSCRIPTIONS.delete(page.db, scope=page.scope, ident=ident)
    return RedirectResponse("/reports/subscriptions", status_code=303)
