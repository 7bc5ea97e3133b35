"""One-stop service pages: the services an enterprise may apply for and its applications; the form (rendered from
the process's JSON Schema, the platform's facts filled in and shown, never asked); an application's progress with
each step's times, its documents, the decision document and the process diagram; reviewers' task lists and their
decisions; statistics. Every read and write goes through the approvals services and the caller's scope."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from digipark.approvals import definitions, documents, forms, service, statistics
from digipark.approvals.models import ApprovalInstance
from digipark.auth.dependencies import writes
from digipark.auth.models import Role
from digipark.core.errors import DomainError, NotFound, PermissionDenied
from digipark.core.spreadsheet import FileTooLarge, UnsupportedFile
from digipark.web import vendor
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
Key = Annotated[str, PathParam(pattern=r"^[a-z][a-z0-9_]{1,59}$")]

STATES = {
    "running": N_("In progress"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "ineligible": N_("Not eligible"),
}
TASK_STATES = {"open": N_("Waiting"), "claimed": N_("Being handled"), "done": N_("Done"), "cancelled": N_("Withdrawn")}
DECISIONS = {
    "approve": N_("Approved"),
    "reject": N_("Rejected"),
    "return": N_("Returned for correction"),
    "corrected": N_("Corrected"),
}
DEPARTMENTS = {
    "applicant": N_("Applicant"),
    "investment": N_("Investment services"),
    "park_office": N_("Park management office"),
    "economic_development": N_("Economic development bureau"),
    "fire": N_("Fire safety"),
    "environment": N_("Ecology and environment"),
    "safety": N_("Emergency management"),
    "finance": N_("Finance bureau"),
}


def _viewer(page: Page) -> None:
    page.scope.require(service.VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")


def _errors(exc: DomainError) -> dict[str, str]:
    if isinstance(exc, PermissionDenied | NotFound):
        raise exc
    if isinstance(exc, UnsupportedFile | FileTooLarge):
        return {"documents": exc.detail}
    if exc.errors:
        return {str(e.get("field") or ""): str(e.get("reason")) for e in exc.errors}
    return {"": exc.detail}


@router.get("/approvals", response_class=HTMLResponse, name="approvals")
def home(page: CurrentPage) -> HTMLResponse:
    _viewer(page)
    scope = page.scope
    enterprise = scope.role == Role.ENTERPRISE
    return page.render(
        "approvals/home.html",
        {
            "services": definitions.current(page.db, scope=scope) if scope.can(service.APPLY) else [],
            "applications": service.list_instances(page.db, scope=scope, limit=100),
            "tasks": [] if enterprise else service.list_tasks(page.db, scope=scope),
            "corrections": service.list_tasks(page.db, scope=scope) if enterprise else [],
            "departments": sorted(service.departments_of(page.db, scope)),
            "may_manage": scope.can(service.MANAGE),
            "may_see_statistics": scope.can(statistics.STATISTICS),
            "states": STATES,
            "task_states": TASK_STATES,
            "department_names": DEPARTMENTS,
            "installed": request_flag(page, "installed"),
        },
    )


def request_flag(page: Page, name: str) -> bool:
    return page.request.query_params.get(name) == "1"


@router.post("/approvals/definitions/bundled")
def install_bundled(page: CurrentPage, form: FormFields) -> Response:
    _viewer(page)
    page.check_csrf(form)
    definitions.install_bundled(page.db, scope=page.scope)
    return RedirectResponse("/approvals?installed=1", status_code=303)


def _form_page(
    page: Page,
    key: str,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    definition = definitions.newest(page.db, scope=page.scope, key=key)
    assert definition is not None
    enterprise = page.scope.enterprise_id  # staff see the form as a preview, without an enterprise's data
    platform = (
        service.prefilled(page.db, scope=page.scope, definition=definition, enterprise_id=enterprise)
        if enterprise is not None
        else {}
    )
    return page.render(
        "approvals/apply.html",
        {
            "definition": definition,
            "title": definition.form_schema.get("x-title-en" if page.lang == "en" else "title", definition.name),
            "fields": forms.fields(definition.form_schema, page.lang),
            "platform": platform,
            "values": values,
            "errors": errors or {},
            "preview": enterprise is None,
        },
        status_code=status_code,
    )


@router.get("/approvals/apply/{key}", response_class=HTMLResponse, name="approvals_apply")
def apply_page(key: Key, page: CurrentPage) -> HTMLResponse:
    _viewer(page)
    return _form_page(page, key, {})


async def _with_files(request: Request) -> tuple[dict[str, str], list[tuple[str, str, bytes]]]:
    form = await request.form()
    fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    files = []
    for value in form.getlist("documents"):
        if isinstance(value, UploadFile) and value.filename:
            content = await value.read(documents.UPLOADS.max_bytes + 1)
            files.append((value.filename, value.content_type or "application/octet-stream", content))
    return fields, files


Uploaded = Annotated[tuple[dict[str, str], list[tuple[str, str, bytes]]], Depends(_with_files)]


@router.post("/approvals/apply/{key}", response_class=HTMLResponse)
def apply(key: Key, page: CurrentPage, uploaded: Uploaded) -> Response:
    _viewer(page)
    fields, files = uploaded
    page.check_csrf(fields)
    page.scope.require(service.APPLY)
    definition = definitions.newest(page.db, scope=page.scope, key=key)
    assert definition is not None
    try:
        with page.db.begin_nested():
            entered = forms.coerce(definition.form_schema, fields)
            instance = service.apply(page.db, scope=page.scope, key=key, form=entered)
            for filename, content_type, content in files:
                documents.upload(
                    page.db,
                    scope=page.scope,
                    instance=instance,
                    filename=filename,
                    content_type=content_type,
                    content=content,
                )
    except DomainError as exc:
        return _form_page(page, key, fields, _errors(exc), status_code=exc.status)
    return RedirectResponse(f"/approvals/applications/{instance.id}?submitted=1", status_code=303)


def _detail_context(page: Page, instance: ApprovalInstance) -> dict[str, Any]:
    steps = service.steps(page.db, scope=page.scope, instance=instance)
    mine = {t.id for t in service.list_tasks(page.db, scope=page.scope)}
    definition = definitions.get(page.db, scope=page.scope, ident=instance.definition_id)
    labels = {f.name: f.title for f in forms.fields(definition.form_schema, page.lang)}
    return {
        "instance": instance,
        "definition": definition,
        "steps": steps,
        "actionable": [t for t in steps if t.id in mine and t.state in ("open", "claimed")],
        "documents": documents.list_documents(page.db, scope=page.scope, instance=instance),
        "labels": labels,
        "fields": forms.fields(definition.form_schema, page.lang),
        "position": json.dumps(service.position(page.db, instance)),
        "states": STATES,
        "task_states": TASK_STATES,
        "decisions": DECISIONS,
        "department_names": DEPARTMENTS,
        "is_applicant": page.scope.role == Role.ENTERPRISE,
        "submitted": request_flag(page, "submitted"),
        "has_bpmn": vendor.available("bpmn-viewer.js"),
    }


@router.get("/approvals/applications/{ident}", response_class=HTMLResponse, name="approvals_application")
def application_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _viewer(page)
    instance = service.get_instance(page.db, scope=page.scope, ident=ident)
    return page.render("approvals/application.html", _detail_context(page, instance))


@router.get("/approvals/applications/{ident}/decision.pdf", name="approvals_decision_pdf")
@writes  # the first request issues the document
def decision_pdf(ident: Ident, page: CurrentPage) -> Response:
    _viewer(page)
    instance = service.get_instance(page.db, scope=page.scope, ident=ident)
    document = documents.decision_document(page.db, scope=page.scope, instance=instance)
    headers = {
        "Content-Disposition": f'attachment; filename="{document.filename}"',
        "X-Content-SHA256": document.sha256,
    }
    return Response(document.content, media_type="application/pdf", headers=headers)


@router.get("/approvals/documents/{ident}", name="approvals_document")
def document_download(ident: Ident, page: CurrentPage) -> Response:
    _viewer(page)
    row = documents.get(page.db, scope=page.scope, ident=ident)
    headers = {"Content-Disposition": f'attachment; filename="document-{row.id}"'}
    return Response(row.content, media_type=row.content_type, headers=headers)


@router.post("/approvals/tasks/{ident}/claim")
def claim(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _viewer(page)
    page.check_csrf(form)
    task = service.claim(page.db, scope=page.scope, ident=ident)
    return RedirectResponse(f"/approvals/applications/{task.instance_id}", status_code=303)


@router.post("/approvals/tasks/{ident}/decide", response_class=HTMLResponse)
def decide(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _viewer(page)
    page.check_csrf(form)
    task = service.get_task(page.db, scope=page.scope, ident=ident)
    try:
        with page.db.begin_nested():
            service.decide(
                page.db, scope=page.scope, ident=ident, decision=form.get("decision", ""), reason=form.get("reason")
            )
    except DomainError as exc:
        instance = service.get_instance(page.db, scope=page.scope, ident=task.instance_id)
        context = _detail_context(page, instance) | {"errors": _errors(exc), "values": form}
        return page.render("approvals/application.html", context, status_code=exc.status)
    return RedirectResponse(f"/approvals/applications/{task.instance_id}", status_code=303)


@router.post("/approvals/tasks/{ident}/correct", response_class=HTMLResponse)
def correct(ident: Ident, page: CurrentPage, uploaded: Uploaded) -> Response:
    _viewer(page)
    fields, files = uploaded
    page.check_csrf(fields)
    task = service.get_task(page.db, scope=page.scope, ident=ident)
    instance = service.get_instance(page.db, scope=page.scope, ident=task.instance_id)
    definition = definitions.get(page.db, scope=page.scope, ident=instance.definition_id)
    try:
        with page.db.begin_nested():
            for filename, content_type, content in files:
                documents.upload(
                    page.db,
                    scope=page.scope,
                    instance=instance,
                    filename=filename,
                    content_type=content_type,
                    content=content,
                )
            entered = forms.coerce(definition.form_schema, fields)
            service.correct(page.db, scope=page.scope, ident=ident, form=entered, note=fields.get("note"))
    except DomainError as exc:
        context = _detail_context(page, instance) | {"errors": _errors(exc), "values": fields}
        return page.render("approvals/application.html", context, status_code=exc.status)
    return RedirectResponse(f"/approvals/applications/{instance.id}", status_code=303)


@router.get("/approvals/statistics", response_class=HTMLResponse, name="approvals_statistics")
def statistics_page(page: CurrentPage) -> HTMLResponse:
    _viewer(page)
    figures = statistics.summary(page.db, scope=page.scope)
    return page.render(
        "approvals/statistics.html",
        {"figures": figures, "names": {d.key: d.name for d in definitions.current(page.db, scope=page.scope)}},
    )
