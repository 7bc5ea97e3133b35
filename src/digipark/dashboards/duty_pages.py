"""The duty staff's phone app at /duty: an installable web app (manifest, service worker with an offline shell) listing
the alarms the user may handle, with one button to acknowledge each and one to turn on Web Push for alarms raised
while the user is on the duty roster (the push's own button acknowledges too); the user's open emergency incident
tasks with a button to mark each done; the work orders of the teams the user leads, each with a button to start it
and one to complete it with a note (through the work orders' `provides`); and, for an enterprise user, the way to the
enterprise's monthly statistics form."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from digipark.alarms import provides as alarms
from digipark.auth.models import User
from digipark.core.listing import ListQuery
from digipark.dashboards import push
from digipark.dashboards.reports import SEVERITIES
from digipark.duty import provides as duty
from digipark.safety import provides as safety
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page
from digipark.workorders import provides as workorders

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
SERVICE_WORKER = Path(__file__).parents[1] / "web" / "static" / "js" / "duty_sw.js"
STATES = {"raised": N_("Raised"), "acknowledged": N_("Acknowledged")}
ORDER_STATES = {"assigned": N_("Dispatched"), "in_progress": N_("In progress")}
ORDER_PRIORITIES = {"normal": N_("Normal"), "urgent": N_("Urgent")}
HANDLE_ORDERS = "workorders.handle"


APP = "duty.app"  # the app's pages; its push and acknowledging need push.PERMISSION (park staff)


def _duty(page: Page) -> None:
    page.scope.require(APP)


def _names(page: Page) -> tuple[str, ...]:
    """The names a person is known by on rosters, tasks and teams: username and display name."""
    user = page.db.get(User, page.scope.user_id) if page.scope.user_id is not None else None
    return tuple(n for n in (user.username, user.display_name) if n) if user is not None else ()


@router.get("/duty", response_class=HTMLResponse, name="duty")
def duty_page(page: CurrentPage) -> HTMLResponse:
    _duty(page)
    rows: Sequence[object] = []
    if page.scope.can("alarm.view"):
        rows, _ = alarms.list_alarms(
            page.db, scope=page.scope, query=ListQuery(page_size=30, sort="-raised_at,-id"), active=True
        )
    names = _names(page)
    user = page.db.get(User, page.scope.user_id) if page.scope.user_id is not None else None
    on_duty = (
        user is not None and page.park is not None and user.id in duty.on_duty_user_ids(page.db, park_id=page.park.id)
    )
    return page.render(
        "dashboards/duty.html",
        {
            "tasks": safety.open_tasks_for(page.db, scope=page.scope, names=names),
            "may_finish": page.scope.can("emergency.command"),
            "orders": workorders.orders_led_by(page.db, scope=page.scope, names=names),
            "order_states": ORDER_STATES,
            "order_priorities": ORDER_PRIORITIES,
            "may_work": page.scope.can(HANDLE_ORDERS),
            "on_duty": on_duty,
            "may_report": page.scope.can("statistics.submit") and page.scope.enterprise_id is not None,
            "alarms": rows,
            "messages": {
                a.id: alarms.alarm_message(  # type: ignore[attr-defined]
                    a.message,  # type: ignore[attr-defined]
                    page.gettext,
                    a.message_en if page.lang == "en" else None,  # type: ignore[attr-defined]
                )
                for a in rows
            },
            "severities": SEVERITIES,
            "states": STATES,
            "may_handle": page.scope.can("alarm.handle") and page.scope.can(push.PERMISSION),
            "may_push": page.scope.can(push.PERMISSION),
        },
    )


@router.post("/duty/alarms/{ident}/acknowledge")
def acknowledge(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _duty(page)
    page.check_csrf(form)
    push.acknowledge(page.db, scope=page.scope, alarm_id=ident)
    return RedirectResponse("/duty", status_code=303)


@router.post("/duty/tasks/{ident}/done")
def finish_task(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _duty(page)
    page.check_csrf(form)
    note = (form.get("note") or "").strip()[:2000] or None
    safety.finish_task(page.db, scope=page.scope, ident=ident, note=note)
    return RedirectResponse("/duty", status_code=303)


@router.post("/duty/orders/{ident}/start")
def start_order(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    """Start a work order of a team the user leads."""
    _duty(page)
    page.check_csrf(form)
    with page.db.begin_nested():
        workorders.start_order(page.db, scope=page.scope, ident=ident, names=_names(page))
    return RedirectResponse(f"/duty#order-{ident}", status_code=303)


@router.post("/duty/orders/{ident}/complete")
def complete_order(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    """Complete a work order of a team the user leads, with the note typed (optional)."""
    _duty(page)
    page.check_csrf(form)
    note = (form.get("note") or "").strip()[:2000] or None
    with page.db.begin_nested():
        workorders.complete_order(page.db, scope=page.scope, ident=ident, note=note, names=_names(page))
    return RedirectResponse("/duty#duty-orders", status_code=303)


@router.get("/duty/offline", response_class=HTMLResponse, name="duty_offline")
def offline_page(page: CurrentPage) -> HTMLResponse:
    """The shell the service worker shows when the network is gone."""
    _duty(page)
    return page.render("dashboards/duty_offline.html", {})


@router.get("/duty/manifest.webmanifest")
def manifest(page: CurrentPage) -> Response:
    _duty(page)
    document = {
        "name": page.gettext("Duty app"),
        "short_name": page.gettext("Duty app"),
        "start_url": "/duty",
        "scope": "/duty",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f4e79",
        "lang": "zh-CN" if page.lang == "zh" else "en",
        "icons": [{"src": "/static/favicon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    }
    return Response(json.dumps(document, ensure_ascii=False), media_type="application/manifest+json")


@router.get("/duty/sw.js")
def service_worker(page: CurrentPage) -> Response:
    """The service worker (its scope is /duty); never cached by the browser's HTTP cache, so updates arrive."""
    _duty(page)
    return Response(
        SERVICE_WORKER.read_text(encoding="utf-8"),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/duty"},
    )
