"""The collection jobs page of the data platform: the jobs with their schedule, last and next run and the newest
run's progress (refreshed while a run waits or runs), a form to make one (a dataset of yours, a CSV text or an Excel
file, an HTTP API, a PostgreSQL SELECT; rules; a cron expression or an interval), and run now, pause, resume. Every
write goes through `jobs`, which the audit log records."""

from __future__ import annotations

import csv
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from digipark.core.errors import DomainError, NotFound, PermissionDenied
from digipark.core.spreadsheet import blank, load_rows
from digipark.dataspace import jobs, service
from digipark.dataspace.pages import LABELS, _member
from digipark.dataspace.pages_data import SAMPLE_RULES, _rows
from digipark.dataspace.schemas import JobCreate, JobUpdate
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
MAX_FILE_BYTES = 10 * 1024 * 1024
SOURCE_LABELS = {
    "table": N_("A dataset of yours"),
    "upload": N_("A CSV or Excel file"),
    "http": N_("An HTTP API"),
    "database": N_("A PostgreSQL database"),
}
RUN_LABELS = {"running": N_("Running"), "done": N_("Done"), "failed": N_("Failed")}
STAGE_LABELS = {
    "queued": N_("Queued"),
    "fetching": N_("Fetching rows"),
    "cleaning": N_("Cleaning the rows"),
    "stored": N_("Stored"),
}
TRIGGER_LABELS = {"schedule": N_("Schedule"), "manual": N_("By hand")}
FIELD_LABELS = {
    "name": N_("Name"),
    "cron": N_("Cron expression"),
    "every_minutes": N_("Every (minutes)"),
    "rules": N_("Cleaning rules"),
    "rows": N_("Rows"),
    "dataset_id": N_("Dataset"),
    "energy_year": N_("Year"),
    "url": N_("Address"),
    "connection": N_("Database address"),
    "query": N_("Query"),
}
REASONS = (  # the services' reasons a user can act on, in the catalogue
    N_("a cron expression or an interval in minutes, not both"),
    N_("not a five-field cron expression (minute hour day-of-month month day-of-week)"),
    N_("a dataset of yours, or the year of your monthly energy"),
    N_("no such dataset of yours"),
    N_("energy data is an enterprise's: the park collects datasets"),
    N_("the file has no rows"),
    N_("an http or https address"),
    N_("a postgresql:// address and a SELECT query"),
    N_("a postgresql:// address with a host (other databases are not offered)"),
    N_("not a database address (postgresql://user:password@host:5432/name)"),
    N_("one SELECT statement"),
)


def _jobs_page(
    page: Page, values: dict[str, str] | None = None, error: str | None = None, status: int = 200
) -> HTMLResponse:
    _member(page)
    rows = jobs.list_jobs(page.db, scope=page.scope)
    latest = jobs.latest_runs(page.db, scope=page.scope, job_ids=[j.id for j in rows])
    names = service.enterprise_names(page.db, {j.enterprise_id for j in rows})
    return page.render(
        "dataspace/jobs.html",
        {
            "jobs": rows,
            "latest": latest,
            "names": names,
            "busy": any(r.state == "running" for r in latest.values()),
            "may_write": page.scope.can(jobs.WRITE),
            "values": values or {"rules": SAMPLE_RULES, "every_minutes": "60"},
            "error": error,
            "job_sources": SOURCE_LABELS,
            "run_states": RUN_LABELS,
            "stages": STAGE_LABELS,
            "triggers": TRIGGER_LABELS,
            **LABELS,
        },
        status_code=status,
    )


@router.get("/dataspace/jobs", response_class=HTMLResponse, name="dataspace_jobs")
def jobs_page(page: CurrentPage) -> HTMLResponse:
    return _jobs_page(page)


async def _form(request: Request) -> tuple[dict[str, str], bytes | None]:
    form = await request.form()
    fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    file = form.get("file")
    if isinstance(file, UploadFile) and file.filename:
        return fields, await file.read(MAX_FILE_BYTES + 1)
    return fields, None


def _excel_rows(content: bytes) -> list[dict[str, Any]]:
    loaded = load_rows(content, max_bytes=MAX_FILE_BYTES)
    if not loaded:
        return []
    header = [str(v).strip() if not blank(v) else "" for v in loaded[0][1]]
    if any(not h for h in header):
        raise ValueError("header")
    return [dict(zip(header, values, strict=False)) for _, values in loaded[1:]]


def _explain(page: Page, exc: DomainError) -> str:
    """A service's refusal in the page's language: each field's label and reason."""
    if not exc.errors:
        return exc.detail
    parts = []
    for e in exc.errors:
        field = str(e.get("field", ""))
        label = page.gettext(FIELD_LABELS[field]) if field in FIELD_LABELS else field
        reason = str(e.get("reason", ""))
        if reason.startswith("the address is inside the platform's network"):
            reason = N_("Refused: inside the platform's network")
        parts.append(f"{label}: {page.gettext(reason)}")
    return "; ".join(parts)


@router.post("/dataspace/jobs", response_class=HTMLResponse)
def create_job(page: CurrentPage, uploaded: Annotated[tuple[dict[str, str], bytes | None], Depends(_form)]) -> Response:
    form, file = uploaded
    _member(page)
    page.check_csrf(form)
    page.scope.require(jobs.WRITE)
    data: dict[str, Any] = {"name": form.get("name", ""), "source": form.get("source", "upload")}
    try:
        data["rules"] = json.loads(form.get("rules") or "[]")
    except ValueError:
        return _jobs_page(page, form, page.gettext("The rules are not a JSON list."), 422)
    schedule = form.get("schedule", "every")
    if schedule == "cron":
        data["cron"] = form.get("cron") or None
    elif schedule == "every":
        data["every_minutes"] = form.get("every_minutes") or None
    for key in ("dataset_id", "url", "items", "connection", "query"):
        if form.get(key):
            data[key] = form[key]
    if data["source"] == "upload":
        try:
            data["rows"] = _excel_rows(file) if file else _rows(form.get("csv", ""))
        except (ValueError, csv.Error):
            return _jobs_page(page, form, page.gettext("The rows are not a CSV table with a header row."), 422)
        except DomainError as exc:
            return _jobs_page(
                page,
                form,
                page.gettext("The file is not an Excel workbook (.xlsx) with a header row.") + f" ({exc.detail})",
                422,
            )
    try:
        with page.db.begin_nested():
            row = jobs.create_job(page.db, scope=page.scope, data=JobCreate.model_validate(data))
    except (NotFound, PermissionDenied):
        raise
    except ValidationError as exc:
        detail = "; ".join(
            f"{page.gettext(FIELD_LABELS.get(str(e['loc'][0]), str(e['loc'][0])))}: {e['msg']}" for e in exc.errors()
        )
        return _jobs_page(page, form, detail, 422)
    except DomainError as exc:
        return _jobs_page(page, form, _explain(page, exc), exc.status)
    return RedirectResponse(f"/dataspace/jobs#job-{row.id}", status_code=303)


def _act(page: Page, form: dict[str, str], ident: int, act: str) -> Response:
    _member(page)
    page.check_csrf(form)
    try:
        with page.db.begin_nested():
            if act == "run":
                jobs.request_run(page.db, scope=page.scope, ident=ident)
            else:
                jobs.update_job(page.db, scope=page.scope, ident=ident, data=JobUpdate(active=act == "resume"))
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        return _jobs_page(page, None, _explain(page, exc), exc.status)
    return RedirectResponse(f"/dataspace/jobs#job-{ident}", status_code=303)


@router.post("/dataspace/jobs/{ident}/run", response_class=HTMLResponse)
def run_job(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    return _act(page, form, ident, "run")


@router.post("/dataspace/jobs/{ident}/pause", response_class=HTMLResponse)
def pause_job(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    return _act(page, form, ident, "pause")


@router.post("/dataspace/jobs/{ident}/resume", response_class=HTMLResponse)
def resume_job(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    return _act(page, form, ident, "resume")
