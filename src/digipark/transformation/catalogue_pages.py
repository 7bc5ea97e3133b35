"""The 小快轻准 catalogue and enterprises' provider requests with their handling."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from digipark.core.errors import field_error
from digipark.core.listing import ListQuery
from digipark.transformation import schemas, service
from digipark.transformation.assessment import questionnaire
from digipark.transformation.page_parts import (
    KIND_LABELS,
    REQUEST_LABELS,
    Ident,
    enterprise_names,
    indicator_name,
    notice_of,
    scene_name,
)
from digipark.web import forms, i18n
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)


@router.get("/transformation/catalogue", response_class=HTMLResponse, name="transformation_catalogue")
def catalogue_page(page: CurrentPage) -> HTMLResponse:
    page.scope.require(service.VIEW)
    q = questionnaire()
    rows, _total = service.list_catalogue(
        page.db, scope=page.scope, query=ListQuery(filters={"active": True}, page_size=500, sort="name")
    )
    scene = page.request.query_params.get("scene", "")
    if scene in q.scene_by_code:
        rows = [r for r in rows if scene in r.scenes]
    may_request = page.scope.can(service.SELF_WRITE)  # only an enterprise requests a provider
    return page.render(
        "transformation/catalogue.html",
        {
            "rows": [
                {
                    "id": r.id,
                    "name": page.name(r),
                    "provider": page.name(r, "provider"),
                    "contact": r.contact,
                    "kind": page.label(KIND_LABELS, r.kind),
                    "description": page.name(r, "description"),
                    "price_note": page.name(r, "price_note"),
                    "demo": r.demo,
                    "scenes": [scene_name(page, q, c) for c in r.scenes],
                    "indicators": [indicator_name(page, q, c) for c in r.indicators],
                }
                for r in rows
            ],
            "scene": scene,
            "scene_choices": [{"value": s.code, "label": scene_name(page, q, s.code)} for s in q.scenes],
            "may_request": may_request,
            "notice": notice_of(page),
        },
    )


@router.post("/transformation/requests", name="transformation_request_create")
def create_request_page(page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    page.scope.require(service.WRITE if page.scope.can(service.WRITE) else service.SELF_WRITE)  # before the input
    entry = form.get("entry_id", "")
    if not entry.isdigit() or not 1 <= int(entry) < 2**31:
        raise field_error("entry_id", "choose a catalogue entry")
    data = schemas.ProviderRequestCreate(entry_id=int(entry), message=(form.get("message") or "")[:2000] or None)
    service.create_request(page.db, scope=page.scope, data=data)
    back = form.get("back", "")
    target = back if back.startswith("/transformation/") else "/transformation/requests"
    return RedirectResponse(f"{target}?done=requested", status_code=303)


@router.get("/transformation/requests", response_class=HTMLResponse, name="transformation_requests")
def requests_page(page: CurrentPage) -> HTMLResponse:
    return _requests(page)


def _requests(page: Page, errors: dict[int, dict[str, str]] | None = None, status_code: int = 200) -> HTMLResponse:
    """The requests; `errors`: request id -> field -> message, shown beside that request's status form."""
    page.scope.require(service.VIEW)
    rows, _total = service.list_requests(page.db, scope=page.scope, query=ListQuery(page_size=500))
    entries = {e.id: e for e in service.list_catalogue(page.db, scope=page.scope, query=ListQuery(page_size=500))[0]}
    names = enterprise_names(page, {r.enterprise_id for r in rows})
    may_handle = page.scope.can(service.WRITE) and bool(page.scope.write_parks)
    return page.render(
        "transformation/requests.html",
        {
            "rows": [
                {
                    "id": r.id,
                    "enterprise_id": r.enterprise_id,
                    "enterprise": names.get(r.enterprise_id, f"#{r.enterprise_id}"),
                    "entry": page.name(entries[r.entry_id]) if r.entry_id in entries else f"#{r.entry_id}",
                    "provider": page.name(entries[r.entry_id], "provider") if r.entry_id in entries else "",
                    "status": page.label(REQUEST_LABELS, r.status),
                    "status_code": r.status,
                    "message": r.message,
                    "note": r.note,
                    "created_at": i18n.local_time(r.created_at),
                    "errors": (errors or {}).get(r.id, {}),
                    "next": [
                        {"value": s, "label": page.label(REQUEST_LABELS, s)}
                        for s in sorted(service.REQUEST_TRANSITIONS[r.status], key=list(REQUEST_LABELS).index)
                    ],
                    "history": [
                        {
                            "status": page.label(REQUEST_LABELS, h.get("status")),
                            "at": i18n.local_time(dt.datetime.fromisoformat(h["at"])) if h.get("at") else "",
                            "by": h.get("by"),
                            "note": h.get("note"),
                        }
                        for h in r.history
                    ],
                }
                for r in rows
            ],
            "may_handle": may_handle,
            "notice": notice_of(page),
        },
        status_code=status_code,
    )


@router.post("/transformation/requests/{ident}/status", name="transformation_request_status")
def request_status_page(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    page.scope.require(service.WRITE)  # before the input is looked at
    try:
        data = schemas.ProviderRequestStatusChange(status=form.get("status", ""), note=form.get("note") or None)
    except ValidationError as exc:
        errors = forms.validation_errors(exc, page.gettext)
        return _requests(page, {ident: errors}, status_code=422)
    service.change_request_status(page.db, scope=page.scope, ident=ident, data=data)
    return RedirectResponse("/transformation/requests?done=updated", status_code=303)
