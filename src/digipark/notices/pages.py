"""Notice pages: the list (pinned first, unread marked), a notice (opening it leaves a read receipt; its writers
see who has read it and publish drafts), and the form to write or edit one. Every read and write goes through
the notices service and the caller's scope."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from digipark.auth.dependencies import writes
from digipark.core.errors import DomainError, NotFound, PermissionDenied
from digipark.notices import service
from digipark.notices.models import Notice
from digipark.notices.schemas import NoticeCreate, NoticeUpdate
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

CATEGORIES = {
    "notice": N_("Notice"),
    "policy": N_("Policy"),
    "event": N_("Event"),
    "outage": N_("Water or power outage"),
}
AUDIENCES = {
    "everyone": N_("Everyone in the park"),
    "enterprises": N_("Enterprises only"),
    "staff": N_("Park staff only"),
}
FORM_FIELDS = ("title", "body", "category", "audience", "pinned", "expires_on")


def _reader(page: Page) -> None:
    page.scope.require(service.VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")


def _writer(page: Page) -> None:
    _reader(page)
    page.scope.require(service.WRITE)


def paragraphs(body: str) -> list[list[str]]:
    """The body's paragraphs (separated by blank lines), each as its lines; the template escapes them."""
    return [block.strip().splitlines() for block in re.split(r"\n\s*\n", body.replace("\r\n", "\n")) if block.strip()]


@router.get("/notices", response_class=HTMLResponse, name="notices")
def list_page(page: CurrentPage) -> HTMLResponse:
    _reader(page)
    raw = dict(page.request.query_params)
    raw.pop("lang", None)
    query = service.NOTICES.list_spec.parse_query(raw)
    query.page_size = min(query.page_size, 100)
    rows, total = service.NOTICES.list(page.db, scope=page.scope, query=query)
    unread = service.unread_among(page.db, scope=page.scope, rows=rows)
    items = [{"notice": r, "unread": r.id in unread, "draft": r.published_at is None} for r in rows]
    return page.render(
        "notices/list.html",
        {
            "items": items,
            "total": total,
            "query": query,
            "categories": CATEGORIES,
            "audiences": AUDIENCES,
            "may_write": page.scope.can(service.WRITE),
        },
    )


@router.get("/notices/new", response_class=HTMLResponse, name="notice_new")
def new_page(page: CurrentPage) -> HTMLResponse:
    _writer(page)
    return _form(page, None, {"category": "notice", "audience": "everyone"})


@router.post("/notices/new", response_class=HTMLResponse)
def create(page: CurrentPage, form: FormFields) -> Response:
    _writer(page)
    page.check_csrf(form)
    values = _values(form)
    try:
        with page.db.begin_nested():
            row = service.NOTICES.create(page.db, scope=page.scope, data=NoticeCreate(**values))
    except (ValidationError, DomainError) as exc:
        return _form(page, None, form, _errors(exc), status_code=_status(exc))
    return RedirectResponse(f"/notices/{row.id}?saved=1", status_code=303)


@router.get("/notices/{ident}", response_class=HTMLResponse, name="notice")
@writes  # opening a notice records its read receipt
def detail_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _reader(page)
    row = service.NOTICES.get(page.db, scope=page.scope, ident=ident)
    service.mark_read(page.db, scope=page.scope, ident=ident)
    may_write = page.scope.can(service.WRITE)
    receipts = service.receipts(page.db, scope=page.scope, ident=ident) if may_write else None
    return page.render(
        "notices/detail.html",
        {
            "notice": row,
            "paragraphs": paragraphs(row.body),
            "category": page.label(CATEGORIES, row.category),
            "audience": page.label(AUDIENCES, row.audience),
            "may_write": may_write,
            "receipts": receipts,
            "saved": page.request.query_params.get("saved") == "1",
        },
    )


@router.get("/notices/{ident}/edit", response_class=HTMLResponse, name="notice_edit")
def edit_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _writer(page)
    row = service.NOTICES.get(page.db, scope=page.scope, ident=ident)
    values = {name: getattr(row, name) for name in FORM_FIELDS}
    values["expires_on"] = row.expires_on.isoformat() if row.expires_on else ""
    return _form(page, row, values)


@router.post("/notices/{ident}/edit", response_class=HTMLResponse)
def update(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _writer(page)
    page.check_csrf(form)
    row = service.NOTICES.get(page.db, scope=page.scope, ident=ident)
    try:
        with page.db.begin_nested():
            service.NOTICES.update(page.db, scope=page.scope, ident=ident, data=NoticeUpdate(**_values(form)))
    except (ValidationError, DomainError) as exc:
        return _form(page, row, form, _errors(exc), status_code=_status(exc))
    return RedirectResponse(f"/notices/{ident}?saved=1", status_code=303)


@router.post("/notices/{ident}/publish")
def publish(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _writer(page)
    page.check_csrf(form)
    service.publish(page.db, scope=page.scope, ident=ident)
    return RedirectResponse(f"/notices/{ident}?saved=1", status_code=303)


@router.post("/notices/{ident}/delete")
def delete(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _writer(page)
    page.check_csrf(form)
    service.NOTICES.delete(page.db, scope=page.scope, ident=ident)
    return RedirectResponse("/notices", status_code=303)


def _values(form: dict[str, str]) -> dict[str, Any]:
    """The form's fields as the schema's input: an unticked box is False, an empty date none."""
    values: dict[str, Any] = {name: form.get(name, "") for name in ("title", "body", "category", "audience")}
    values["pinned"] = form.get("pinned") == "1"
    values["expires_on"] = form.get("expires_on") or None
    return values


def _errors(exc: ValidationError | DomainError) -> dict[str, str]:
    """Field -> reason (the key "" for reasons of no one field)."""
    if isinstance(exc, ValidationError):
        return {str(e["loc"][0]) if e["loc"] else "": e["msg"] for e in exc.errors()}
    if isinstance(exc, PermissionDenied | NotFound):
        raise exc
    if exc.errors:
        return {str(e.get("field") or ""): str(e.get("reason")) for e in exc.errors}
    return {"": exc.detail}


def _status(exc: ValidationError | DomainError) -> int:
    return exc.status if isinstance(exc, DomainError) else 422


def _form(
    page: Page,
    row: Notice | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    return page.render(
        "notices/form.html",
        {
            "notice": row,
            "values": values,
            "errors": errors or {},
            "categories": CATEGORIES,
            "audiences": AUDIENCES,
        },
        status_code=status_code,
    )
