"""REST API of one-stop services under /api/v1/approvals: definitions (versions, publishing), departments,
applications (apply, progress, decision document), tasks (claim, decide, correct), statistics and reporting
upward."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from digipark.approvals import definitions, documents, schemas, service, statistics, upward
from digipark.auth.dependencies import CurrentScope, DbSession, writes
from digipark.core.bounds import INT32_MAX

router = APIRouter(prefix="/api/v1/approvals")
TAGS: list[str | Enum] = ["approvals"]
Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
Year = Annotated[int, Query(ge=2000, le=2100)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/definitions", response_model=list[schemas.DefinitionRead], tags=TAGS)
def list_definitions(
    db: DbSession, scope: CurrentScope, park_id: Annotated[int | None, Query(ge=1, le=INT32_MAX)] = None
) -> Any:
    """The newest active version of each process of the park."""
    scope.require(service.VIEW)
    return definitions.current(db, scope=scope, park_id=park_id)


@router.post("/definitions", response_model=schemas.DefinitionRead, status_code=201, tags=TAGS)
def publish_definition(data: schemas.DefinitionCreate, db: DbSession, scope: CurrentScope) -> Any:
    """Publish a new version of a process (its key is the BPMN process id); running applications stay on theirs."""
    return definitions.publish(
        db,
        scope=scope,
        bpmn_xml=data.bpmn_xml,
        dmn_xml=data.dmn_xml,
        called_bpmn_xml=data.called_bpmn_xml,
        form_schema=data.form_schema,
        park_id=data.park_id,
    )


@router.post("/definitions/bundled", response_model=list[schemas.DefinitionRead], tags=TAGS)
def install_bundled(db: DbSession, scope: CurrentScope) -> Any:
    """Install version 1 of each bundled demo process the park does not have yet."""
    return definitions.install_bundled(db, scope=scope)


@router.get("/definitions/{ident}", response_model=schemas.DefinitionDetail, tags=TAGS)
def get_definition(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    scope.require(service.VIEW)
    return definitions.get(db, scope=scope, ident=ident)


@router.post("/departments", response_model=schemas.DepartmentMemberRead, status_code=201, tags=TAGS)
def assign_department(data: schemas.DepartmentAssign, db: DbSession, scope: CurrentScope) -> Any:
    """Make a reviewer or operator of the park a member of a department (park admins)."""
    return service.assign(db, scope=scope, user_id=data.user_id, department=data.department)


@router.get("/applications", response_model=list[schemas.ApplicationRead], tags=TAGS)
def list_applications(
    db: DbSession,
    scope: CurrentScope,
    state: Annotated[str | None, Query(max_length=20)] = None,
    process: Annotated[str | None, Query(max_length=60)] = None,
) -> Any:
    """Applications you may read: your enterprise's own; every application of the park for staff."""
    return service.list_instances(db, scope=scope, state=state, key=process)


@router.post("/applications", response_model=schemas.ApplicationRead, status_code=201, tags=TAGS)
def apply(data: schemas.ApplicationCreate, db: DbSession, scope: CurrentScope) -> Any:
    """Apply: the platform fills in what it knows, the rest is checked against the process's form (422)."""
    return service.apply(
        db, scope=scope, key=data.process, form=data.form, enterprise_id=data.enterprise_id, park_id=data.park_id
    )


@router.get("/applications/{ident}", response_model=schemas.ApplicationDetail, tags=TAGS)
def get_application(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """An application with each step's times, and where it stands in its process."""
    row = service.get_instance(db, scope=scope, ident=ident)
    detail = schemas.ApplicationRead.model_validate(row).model_dump()
    steps = [schemas.TaskRead.model_validate(t) for t in service.steps(db, scope=scope, instance=row)]
    return schemas.ApplicationDetail(**detail, steps=steps, position=service.position(db, row))


@router.get("/applications/{ident}/decision.pdf", tags=TAGS, response_class=Response)
@writes  # the first request issues the document
def decision_pdf(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    """The decision document of an ended application (404 while it runs), made on the first request; its SHA-256
    is in the audit log."""
    row = service.get_instance(db, scope=scope, ident=ident)
    document = documents.decision_document(db, scope=scope, instance=row)
    headers = {
        "Content-Disposition": f'attachment; filename="{document.filename}"',
        "X-Content-SHA256": document.sha256,
    }
    return Response(document.content, media_type="application/pdf", headers=headers)


@router.get("/tasks", response_model=list[schemas.TaskRead], tags=TAGS)
def list_tasks(
    db: DbSession,
    scope: CurrentScope,
    open_only: bool = True,
    department: Annotated[str | None, Query(max_length=40)] = None,
) -> Any:
    """Your departments' tasks (reviewers), every task of the park (admins), your applications' (enterprises)."""
    return service.list_tasks(db, scope=scope, open_only=open_only, department=department)


@router.post("/tasks/{ident}/claim", response_model=schemas.TaskRead, tags=TAGS)
def claim(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.claim(db, scope=scope, ident=ident)


@router.post("/tasks/{ident}/decide", response_model=schemas.TaskRead, tags=TAGS)
def decide(ident: Ident, data: schemas.DecisionCreate, db: DbSession, scope: CurrentScope) -> Any:
    """Approve, reject (with a reason) or return for correction (with a reason)."""
    return service.decide(db, scope=scope, ident=ident, decision=data.decision, reason=data.reason)


@router.post("/tasks/{ident}/correct", response_model=schemas.TaskRead, tags=TAGS)
def correct(ident: Ident, data: schemas.CorrectionCreate, db: DbSession, scope: CurrentScope) -> Any:
    """The applicant's correction of a returned application."""
    return service.correct(db, scope=scope, ident=ident, form=data.form, note=data.note)


@router.get("/statistics", tags=TAGS)
def get_statistics(db: DbSession, scope: CurrentScope) -> Any:
    """Volumes, handling times per process and step, on-time rate, subsidies granted (政策兑现)."""
    return statistics.summary(db, scope=scope)


@router.get("/upward", tags=TAGS)
def upward_package(year: Year, db: DbSession, scope: CurrentScope) -> Any:
    """The package reported upward for a year (JSON; format described in the docs)."""
    return upward.package(db, scope=scope, year=year)


@router.get("/upward.xlsx", tags=TAGS, response_class=Response)
def upward_workbook(year: Year, db: DbSession, scope: CurrentScope) -> Response:
    content = upward.to_xlsx(upward.package(db, scope=scope, year=year))
    headers = {"Content-Disposition": f'attachment; filename="upward-{year}.xlsx"'}
    return Response(content, media_type=XLSX, headers=headers)


@router.post("/upward/submissions", response_model=schemas.SubmissionRead, status_code=201, tags=TAGS)
def submit_upward(year: Year, db: DbSession, scope: CurrentScope) -> Any:
    """Record a signed submission of the year's package."""
    row, _ = upward.submit(db, scope=scope, year=year)
    return row
