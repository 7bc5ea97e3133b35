"""REST API of the guide's evaluation under /api/v1/evaluation (thin: parse, call the service, shape)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from fastapi.responses import Response

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.core.bounds import RowId
from digipark.core.config import get_settings
from digipark.core.downloads import file_response
from digipark.core.errors import NotFound, field_error
from digipark.evaluation import report, schemas, service

router = APIRouter(prefix="/api/v1/evaluation")
TAGS: list[str | Enum] = ["evaluation"]

Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
ParkId = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="a park you may read; default: your own")]
Year = Annotated[int | None, Query(ge=2000, le=2100, description="the year; a signed year shows its snapshot")]
Lang = Annotated[str | None, Query(pattern="^(zh|en)$", description="report language; default: the platform's")]


@router.get("/indicators", response_model=schemas.IndicatorSystemRead, tags=TAGS)
def indicator_system(scope: CurrentScope) -> Any:
    return service.indicator_system()


@router.get("", response_model=schemas.Evaluation, tags=TAGS)
def evaluation(db: DbSession, scope: CurrentScope, park_id: ParkId = None, year: Year = None) -> Any:
    return service.for_year(db, scope=scope, park_id=park_id, year=year)


@router.get(
    "/report.{fmt}",
    tags=TAGS,
    responses={200: {"content": {"application/pdf": {}, report.MEDIA_TYPES["xlsx"]: {}, "text/html": {}}}},
)
def evaluation_report(
    fmt: str, db: DbSession, scope: CurrentScope, park_id: ParkId = None, year: Year = None, lang: Lang = None
) -> Response:
    if fmt not in report.MEDIA_TYPES:
        raise NotFound(f"no report format {fmt!r}; use html, pdf or xlsx")
    found = service.for_year(db, scope=scope, park_id=park_id, year=year)
    content, media_type, filename = report.render(found, fmt, lang or get_settings().default_language)
    return file_response(content, media_type, filename, inline=fmt == "html")


@router.get("/declarations", response_model=list[schemas.DeclarationRead], tags=TAGS)
def list_declarations(
    db: DbSession,
    scope: CurrentScope,
    park_id: ParkId = None,
    indicator: Annotated[str | None, Query(max_length=60)] = None,
) -> Any:
    return service.list_declarations(db, scope=scope, park_id=park_id, indicator=indicator)


@router.post("/declarations", response_model=schemas.DeclarationRead, status_code=201, tags=TAGS)
def declare(
    db: DbSession,
    scope: CurrentScope,
    indicator: Annotated[str, Form(max_length=60)],
    value: Annotated[float, Form()],
    note: Annotated[str, Form(max_length=4000)],
    evidence: Annotated[UploadFile, File()],
    park_id: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
) -> Any:
    content = evidence.file.read(service.MAX_EVIDENCE_BYTES + 1)
    if not evidence.filename:
        raise field_error("evidence", "required: a file that documents the value")
    return service.declare(
        db,
        scope=scope,
        park_id=park_id,
        indicator=indicator,
        value=value,
        note=note,
        evidence_name=evidence.filename,
        evidence_type=evidence.content_type,
        evidence_content=content,
    )


@router.get("/declarations/{ident}/evidence", tags=TAGS, responses={200: {"content": {"application/octet-stream": {}}}})
def declaration_evidence(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    content, media_type, filename = service.evidence(db, scope=scope, ident=ident)
    return file_response(content, media_type, filename)


@router.get("/snapshots", response_model=list[schemas.SnapshotRead], tags=TAGS)
def list_snapshots(db: DbSession, scope: CurrentScope, park_id: ParkId = None) -> Any:
    return service.list_snapshots(db, scope=scope, park_id=park_id)


@router.post("/snapshots", response_model=schemas.SnapshotRead, status_code=201, tags=TAGS)
def sign_snapshot(data: schemas.SnapshotCreate, db: DbSession, scope: CurrentScope) -> Any:
    return service.sign(db, scope=scope, park_id=data.park_id, year=data.year, note=data.note)


@router.get("/snapshots/{ident}", response_model=schemas.Evaluation, tags=TAGS)
def get_snapshot(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.snapshot_evaluation(service.get_snapshot(db, scope=scope, ident=ident))


@router.get("/years", response_model=schemas.YearOnYear, tags=TAGS)
def year_on_year(db: DbSession, scope: CurrentScope, park_id: ParkId = None) -> Any:
    return service.year_on_year(db, scope=scope, park_id=park_id)


@router.get("/compare", response_model=schemas.Comparison, tags=TAGS)
def compare(
    db: DbSession,
    scope: CurrentScope,
    park_ids: Annotated[
        list[RowId] | None, Query(description="parks to compare; default: every park you may read")
    ] = None,
    year: Year = None,
) -> Any:
    for park_id in park_ids or []:
        if not 1 <= park_id <= 2**31 - 1:
            raise field_error("park_ids", f"no park {park_id}")
    return service.compare(db, scope=scope, park_ids=park_ids, year=year)
