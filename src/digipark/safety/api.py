"""REST API of the safety domain under /api/v1/safety (thin: parse, call the service, shape)."""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from fastapi.responses import Response

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.core.downloads import file_response
from digipark.core.listing import ListQuery, Page, page_of
from digipark.crud.routes import add_routes
from digipark.safety import major_hazard, risk, schemas, service

router = APIRouter(prefix="/api/v1/safety")
REGISTER: list[str | Enum] = ["safety: risk register and hazard sources"]
DANGERS: list[str | Enum] = ["safety: hidden dangers"]
EMERGENCY: list[str | Enum] = ["safety: emergency plans and resources"]
INCIDENTS: list[str | Enum] = ["safety: incidents and drills"]
WARNING: list[str | Enum] = ["safety: early warning"]

Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
ParkId = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="a park you may read; default: your own")]
DangerQuery = Annotated[ListQuery, Depends(service.DANGER_SPEC.dependency())]
IncidentQuery = Annotated[ListQuery, Depends(service.INCIDENT_SPEC.dependency())]
UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"description": "file too large"},
    415: {"description": "file type not accepted, or the content does not match it"},
}


# -- reference tables ----------------------------------------------------------------------------------------------
@router.get("/reference", tags=REGISTER)
def reference(scope: CurrentScope) -> dict[str, Any]:
    """The LEC scales and D bands, the LS matrix and its bands, the four colours, and GB 18218-2018's tables
    (with their sources), as the calculations use them."""
    return {
        "risk_assessment": risk.data(),
        "major_hazard": major_hazard.tables(),
        "early_warning": service.warning_data(),
    }


# -- risk points ---------------------------------------------------------------------------------------------------
add_routes(router, service.RISK_POINTS, "/risk-points", tags=REGISTER)


# -- major hazard sources ------------------------------------------------------------------------------------------
@router.post("/hazard-sources/evaluate", response_model=schemas.EvaluationRead, tags=REGISTER)
def evaluate(data: schemas.Evaluate, scope: CurrentScope) -> Any:
    """GB 18218-2018 identification and grading of a unit without recording it."""
    found = service.evaluate(data.substances, data.exposed_people)
    return schemas.EvaluationRead(
        substances=[
            schemas.SubstanceRead(**dataclasses.asdict(r), categories=list(s.categories))
            for s, r in zip(data.substances, found.substances, strict=True)
        ],
        s_value=found.s,
        is_major=found.major,
        alpha=found.alpha,
        weighted_sum=found.weighted_sum,
        r_value=found.r,
        grade=found.grade,
        grade_name=found.grade_name,
    )


add_routes(router, service.HAZARD_SOURCES, "/hazard-sources", tags=REGISTER)


# -- hidden dangers ------------------------------------------------------------------------------------------------
def danger(row: Any) -> schemas.HiddenDangerRead:
    read = schemas.HiddenDangerRead.model_validate(row)
    read.overdue = service.is_overdue(row)
    return read


@router.get("/hidden-dangers", response_model=Page[schemas.HiddenDangerRead], tags=DANGERS)
def list_hidden_dangers(
    db: DbSession,
    scope: CurrentScope,
    query: DangerQuery,
    overdue: Annotated[bool | None, Query(description="only those past (true) or not past (false) deadline")] = None,
) -> Any:
    rows, total = service.list_hidden_dangers(db, scope=scope, query=query, overdue=overdue)
    return page_of([danger(r) for r in rows], total, query)


@router.post("/hidden-dangers", response_model=schemas.HiddenDangerRead, status_code=201, tags=DANGERS)
def create_hidden_danger(data: schemas.HiddenDangerCreate, db: DbSession, scope: CurrentScope) -> Any:
    return danger(service.create_hidden_danger(db, scope=scope, data=data))


@router.get("/hidden-dangers/{ident}", response_model=schemas.HiddenDangerRead, tags=DANGERS)
def get_hidden_danger(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return danger(service.get_hidden_danger(db, scope=scope, ident=ident))


@router.patch("/hidden-dangers/{ident}", response_model=schemas.HiddenDangerRead, tags=DANGERS)
def update_hidden_danger(ident: Ident, data: schemas.HiddenDangerUpdate, db: DbSession, scope: CurrentScope) -> Any:
    return danger(service.update_hidden_danger(db, scope=scope, ident=ident, data=data))


@router.post("/hidden-dangers/{ident}/assign", response_model=schemas.HiddenDangerRead, tags=DANGERS)
def assign_hidden_danger(ident: Ident, data: schemas.Assign, db: DbSession, scope: CurrentScope) -> Any:
    return danger(service.assign_hidden_danger(db, scope=scope, ident=ident, data=data))


@router.post("/hidden-dangers/{ident}/rectify", response_model=schemas.HiddenDangerRead, tags=DANGERS)
def rectify_hidden_danger(ident: Ident, data: schemas.Rectify, db: DbSession, scope: CurrentScope) -> Any:
    return danger(service.rectify_hidden_danger(db, scope=scope, ident=ident, data=data))


@router.post("/hidden-dangers/{ident}/verify", response_model=schemas.HiddenDangerRead, tags=DANGERS)
def verify_hidden_danger(ident: Ident, data: schemas.Verify, db: DbSession, scope: CurrentScope) -> Any:
    return danger(service.verify_hidden_danger(db, scope=scope, ident=ident, data=data))


# -- early warning -------------------------------------------------------------------------------------------------
@router.get("/risk-picture", response_model=schemas.RiskPicture, tags=WARNING)
def risk_picture(db: DbSession, scope: CurrentScope, park_id: ParkId = None) -> Any:
    return service.risk_picture(db, scope=scope, park_id=park_id)


# -- plans and resources -------------------------------------------------------------------------------------------
add_routes(router, service.PLANS, "/plans", tags=EMERGENCY)
add_routes(router, service.RESOURCES, "/resources", tags=EMERGENCY)


# -- incidents -----------------------------------------------------------------------------------------------------
def incident_detail(db: Any, scope: Any, row: Any) -> schemas.IncidentDetail:
    base = schemas.IncidentRead.model_validate(row)
    return schemas.IncidentDetail(
        **base.model_dump(),
        tasks=[schemas.TaskRead.model_validate(t) for t in service.tasks(db, scope=scope, ident=row.id)],
        photos=[schemas.PhotoRead.model_validate(p) for p in service.photos(db, scope=scope, ident=row.id)],
        pushes=[schemas.PushRead.model_validate(p) for p in service.pushes(db, scope=scope, ident=row.id)],
    )


@router.get("/incidents", response_model=Page[schemas.IncidentRead], tags=INCIDENTS)
def list_incidents(db: DbSession, scope: CurrentScope, query: IncidentQuery) -> Any:
    rows, total = service.list_incidents(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/incidents", response_model=schemas.IncidentDetail, status_code=201, tags=INCIDENTS)
def create_incident(data: schemas.IncidentCreate, db: DbSession, scope: CurrentScope) -> Any:
    """An incident reported by a person (photos: POST /incidents/{ident}/photos), or a drill (`drill: true`)."""
    return incident_detail(db, scope, service.create_incident(db, scope=scope, data=data))


@router.post("/incidents/from-alarm", response_model=schemas.IncidentDetail, status_code=201, tags=INCIDENTS)
def create_incident_from_alarm(data: schemas.IncidentFromAlarm, db: DbSession, scope: CurrentScope) -> Any:
    return incident_detail(db, scope, service.create_incident_from_alarm(db, scope=scope, data=data))


@router.get("/incidents/{ident}", response_model=schemas.IncidentDetail, tags=INCIDENTS)
def get_incident(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return incident_detail(db, scope, service.get_incident(db, scope=scope, ident=ident))


@router.get("/incidents/{ident}/timeline", response_model=list[schemas.EventRead], tags=INCIDENTS)
def incident_timeline(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.timeline(db, scope=scope, ident=ident)


@router.post("/incidents/{ident}/notes", response_model=schemas.EventRead, status_code=201, tags=INCIDENTS)
def add_note(ident: Ident, data: schemas.Note, db: DbSession, scope: CurrentScope) -> Any:
    return service.add_note(db, scope=scope, ident=ident, text=data.text)


@router.post(
    "/incidents/{ident}/photos",
    response_model=schemas.PhotoRead,
    status_code=201,
    tags=INCIDENTS,
    responses=UPLOAD_RESPONSES,
)
def add_photo(ident: Ident, db: DbSession, scope: CurrentScope, file: Annotated[UploadFile, File()]) -> Any:
    return service.add_photo(
        db,
        scope=scope,
        ident=ident,
        filename=file.filename or "",
        content_type=file.content_type or "",
        content=file.file.read(service.MAX_PHOTO_BYTES + 1),
    )


@router.get("/photos/{ident}", tags=INCIDENTS, responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}})
def download_photo(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    photo = service.get_photo(db, scope=scope, ident=ident)
    return file_response(photo.content, photo.content_type, photo.filename, inline=True)


@router.post("/incidents/{ident}/tasks", response_model=schemas.TaskRead, status_code=201, tags=INCIDENTS)
def add_task(ident: Ident, data: schemas.TaskCreate, db: DbSession, scope: CurrentScope) -> Any:
    return service.add_task(db, scope=scope, ident=ident, data=data)


@router.post("/tasks/{ident}/status", response_model=schemas.TaskRead, tags=INCIDENTS)
def change_task(ident: Ident, data: schemas.TaskStatusChange, db: DbSession, scope: CurrentScope) -> Any:
    return service.change_task(db, scope=scope, ident=ident, data=data)


@router.get("/incidents/{ident}/nearest-resources", response_model=list[schemas.NearestResource], tags=INCIDENTS)
def nearest_resources(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return [
        schemas.NearestResource(resource=schemas.ResourceRead.model_validate(r), distance_m=d)
        for r, d in service.nearest_resources(db, scope=scope, ident=ident)
    ]


@router.post("/incidents/{ident}/close", response_model=schemas.IncidentDetail, tags=INCIDENTS)
def close_incident(ident: Ident, data: schemas.Close, db: DbSession, scope: CurrentScope) -> Any:
    return incident_detail(db, scope, service.close_incident(db, scope=scope, ident=ident, data=data))


@router.get("/incidents/{ident}/report.json", tags=INCIDENTS, responses={200: {"content": {"application/json": {}}}})
def incident_report(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    """The incident report (documented JSON schema: docs/safety.md)."""
    row = service.get_incident(db, scope=scope, ident=ident)
    body = service.report_body(service.report(db, scope=scope, ident=ident))
    return file_response(body, "application/json", f"{row.code}.json", inline=True)


@router.post("/incidents/{ident}/push", response_model=list[schemas.PushRead], tags=INCIDENTS)
def push_report(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """Push the report to the regional command webhook now (retried; every attempt recorded)."""
    return service.push_report(db, scope=scope, ident=ident)
