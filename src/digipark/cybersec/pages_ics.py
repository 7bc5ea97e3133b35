"""Pages of the ICS self-assessment against 《工业控制系统网络安全防护指南》: the assessments an enterprise (or staff,
every enterprise's) keeps, and one assessment with its scores per area, its answers (a form), its gaps and their
rectification tasks. An enterprise sees and changes only its own."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from digipark.core.errors import DomainError, NotFound
from digipark.core.listing import ListQuery
from digipark.cybersec import ics
from digipark.cybersec.common import OWN, VIEW, WRITE
from digipark.cybersec.models import IcsAssessment, IcsTask
from digipark.registry.models import Enterprise
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

ANSWERS = {
    "todo": N_("Not answered"),
    "met": N_("Met"),
    "partial": N_("Partly met"),
    "not_met": N_("Not met"),
    "not_applicable": N_("Not applicable"),
}
TASK_STATUSES = {"open": N_("Open"), "done": N_("Done")}
SOURCE_STATUSES = {"verified": N_("verified"), "secondary": N_("secondary source"), "unverified": N_("unverified")}


def _park(page: Page) -> int:
    page.scope.require(VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    return page.park.id


def _may_write(page: Page) -> bool:
    return page.scope.can(OWN) if page.scope.own_enterprise_only else page.scope.can(WRITE)


def _names(page: Page, park_id: int) -> dict[int, str]:
    rows = page.db.execute(
        select(Enterprise.id, Enterprise.name).where(page.scope.condition(Enterprise), Enterprise.park_id == park_id)
    )
    return {ident: page.enterprise_name(ident, name) for ident, name in rows}


def form_errors(page: Page, exc: ValidationError | DomainError) -> list[str]:
    """A refused form's problems, one line each: the field and "invalid value", or the domain's reason translated."""
    if isinstance(exc, ValidationError):
        return [f"{'.'.join(str(p) for p in e['loc'])}: {page.gettext('Invalid value.')}" for e in exc.errors()]
    reasons = [
        f"{e['field']}: {page.gettext(str(e['reason']))}" for e in exc.errors if e.get("field") and e.get("reason")
    ]
    return reasons or [page.gettext(exc.detail)]


def _list(page: Page, *, errors: list[str] | None = None, values: dict[str, str] | None = None) -> HTMLResponse:
    park_id = _park(page)
    rows, _ = ics.ASSESSMENTS.list(
        page.db, scope=page.scope, query=ListQuery(page_size=200, filters={"park_id": park_id})
    )
    scored = [(a, ics.score(a.answers)[0]) for a in rows]
    open_tasks: dict[int, int] = {}
    for task in page.db.scalars(
        ics.TASKS.readable(page.scope).where(IcsTask.park_id == park_id, IcsTask.status == "open")
    ):
        open_tasks[task.assessment_id] = open_tasks.get(task.assessment_id, 0) + 1
    return page.render(
        "cybersec/ics_list.html",
        {
            "assessments": scored,
            "open_tasks": open_tasks,
            "names": _names(page, park_id),
            "may_write": _may_write(page),
            "own_only": page.scope.own_enterprise_only,
            "errors": errors or [],
            "values": values or {},
            "today": dt.date.today().isoformat(),
            "guide": ics.guide(),
            "source_statuses": SOURCE_STATUSES,
        },
        status_code=422 if errors else 200,
    )


@router.get("/security/ics", response_class=HTMLResponse, name="cybersec_ics")
def ics_list(page: CurrentPage) -> HTMLResponse:
    return _list(page)


@router.post("/security/ics", response_class=HTMLResponse)
def ics_create(page: CurrentPage, form: FormFields) -> Response:
    park_id = _park(page)
    page.check_csrf(form)
    raw: dict[str, Any] = {
        "title": form.get("title", ""),
        "assessed_on": form.get("assessed_on") or None,
        "assessor": form.get("assessor", ""),
        "park_id": park_id,
    }
    if not page.scope.own_enterprise_only:
        raw["enterprise_id"] = form.get("enterprise_id") or None
    try:
        with page.db.begin_nested():
            row = ics.ASSESSMENTS.create(page.db, scope=page.scope, data=ics.AssessmentCreate(**raw))
    except (ValidationError, DomainError) as exc:
        return _list(page, errors=form_errors(page, exc), values={k: str(v or "") for k, v in raw.items()})
    return RedirectResponse(f"/security/ics/{row.id}", status_code=303)


def _detail(page: Page, ident: int, *, errors: list[str] | None = None) -> HTMLResponse:
    park_id = _park(page)
    assessment: IcsAssessment = ics.ASSESSMENTS.get(page.db, scope=page.scope, ident=ident)
    found = ics.report(page.db, scope=page.scope, ident=ident)
    tasks = ics.tasks_of(page.db, scope=page.scope, assessment_id=ident)
    return page.render(
        "cybersec/ics_detail.html",
        {
            "assessment": assessment,
            "report": found,
            "tasks": tasks,
            "guide": ics.guide(),
            "items": ics.items(),
            "answers": ANSWERS,
            "task_statuses": TASK_STATUSES,
            "source_statuses": SOURCE_STATUSES,
            "names": _names(page, park_id),
            "may_write": _may_write(page),
            "errors": errors or [],
            "today": dt.date.today(),
            "en": page.lang == "en",
        },
        status_code=422 if errors else 200,
    )


@router.get("/security/ics/{ident}", response_class=HTMLResponse, name="cybersec_ics_detail")
def ics_detail(ident: Ident, page: CurrentPage) -> HTMLResponse:
    return _detail(page, ident)


@router.post("/security/ics/{ident}/answers", response_class=HTMLResponse)
def ics_answers(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    """Every item's answer of the form (an item left "not answered" keeps no answer)."""
    _park(page)
    page.check_csrf(form)
    answers: dict[str, Any] = {}
    for key in ics.items():
        status = form.get(f"status_{key}", "todo")
        if status != "todo":
            answers[key] = {"status": status, "evidence": form.get(f"evidence_{key}", "")}
    try:
        with page.db.begin_nested():
            row = ics.ASSESSMENTS.get(page.db, scope=page.scope, ident=ident)
            kept = {k: v for k, v in row.answers.items() if k in answers}
            row.answers = kept  # items set back to "not answered" lose their answer
            ics.ASSESSMENTS.update(page.db, scope=page.scope, ident=ident, data=ics.AssessmentUpdate(answers=answers))
    except (ValidationError, DomainError) as exc:
        page.db.expire_all()
        return _detail(page, ident, errors=form_errors(page, exc))
    return RedirectResponse(f"/security/ics/{ident}", status_code=303)


@router.post("/security/ics/{ident}/tasks", response_class=HTMLResponse)
def ics_task_create(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _park(page)
    page.check_csrf(form)
    raw = {
        "assessment_id": ident,
        "item": form.get("item", ""),
        "title": form.get("title", ""),
        "owner": form.get("owner", ""),
        "due_on": form.get("due_on") or None,
    }
    try:
        with page.db.begin_nested():
            ics.TASKS.create(page.db, scope=page.scope, data=ics.TaskCreate(**raw))
    except (ValidationError, DomainError) as exc:
        return _detail(page, ident, errors=form_errors(page, exc))
    return RedirectResponse(f"/security/ics/{ident}#tasks", status_code=303)


@router.post("/security/ics/tasks/{ident}/done", response_class=HTMLResponse)
def ics_task_done(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _park(page)
    page.check_csrf(form)
    task = ics.TASKS.update(page.db, scope=page.scope, ident=ident, data=ics.TaskUpdate(status="done"))
    return RedirectResponse(f"/security/ics/{task.assessment_id}#tasks", status_code=303)
