"""REST API of the collection jobs under /api/v1/dataspace/jobs: create (with a schedule), list, read, change
(schedule, rules, pause), ask for a run, and the runs with their progress (`jobs`)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Path

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.dataspace import jobs, schemas
from digipark.dataspace.models import CollectionJob

router = APIRouter(prefix="/api/v1/dataspace")
TAGS: list[str | Enum] = ["dataspace"]
Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _read(job: CollectionJob) -> schemas.JobRead:
    """The job as shown: its source's settings without the secret (a database address shows its host only)."""
    return schemas.JobRead.model_validate(job)


@router.get("/jobs", response_model=list[schemas.JobRead], tags=TAGS)
def list_jobs(db: DbSession, scope: CurrentScope) -> Any:
    """Your collection jobs (staff: the park's), with their schedule and last and next run."""
    return [_read(j) for j in jobs.list_jobs(db, scope=scope)]


@router.post("/jobs", response_model=schemas.JobRead, status_code=201, tags=TAGS)
def create_job(data: schemas.JobCreate, db: DbSession, scope: CurrentScope) -> Any:
    """A collection job from a table, an uploaded file's rows, an HTTP API or a PostgreSQL database, cleaned by its
    rules, run by its schedule (`cron`, five fields in the park's time zone, or `every_minutes`) or by hand."""
    return _read(jobs.create_job(db, scope=scope, data=data))


@router.get("/jobs/{ident}", response_model=schemas.JobRead, tags=TAGS)
def get_job(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return _read(jobs.get_job(db, scope=scope, ident=ident))


@router.patch("/jobs/{ident}", response_model=schemas.JobRead, tags=TAGS)
def update_job(ident: Ident, data: schemas.JobUpdate, db: DbSession, scope: CurrentScope) -> Any:
    """Change the name, rules, schedule (`clear_schedule`: by hand only) or pause and resume (`active`)."""
    return _read(jobs.update_job(db, scope=scope, ident=ident, data=data))


@router.post("/jobs/{ident}/run", response_model=schemas.RunRead, status_code=202, tags=TAGS)
def run_job(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """Queue a run now (the scheduler runs it within half a minute); follow it in the job's runs."""
    return jobs.request_run(db, scope=scope, ident=ident)


@router.get("/jobs/{ident}/runs", response_model=list[schemas.RunRead], tags=TAGS)
def job_runs(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """The job's runs, newest first: window, trigger, state, stage and counts, the dataset made, the error."""
    return jobs.list_runs(db, scope=scope, job_id=ident)
