"""REST API of the transformation domain under /api/v1/transformation (thin: parse, call the service, shape)."""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.responses import Response

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.core.downloads import file_response
from digipark.core.errors import NotFound
from digipark.core.listing import ListQuery, Page, page_of
from digipark.crud.routes import add_routes
from digipark.transformation import schemas, service
from digipark.transformation.assessment import questionnaire

router = APIRouter(prefix="/api/v1/transformation")
ASSESSMENTS: list[str | Enum] = ["transformation: assessments"]
RECORDS: list[str | Enum] = ["transformation: certificates and adoption"]
CATALOGUE: list[str | Enum] = ["transformation: catalogue and provider requests"]
PARK: list[str | Enum] = ["transformation: the park"]

Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
ParkId = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="a park you may read; default: your own")]
AssessmentQuery = Annotated[ListQuery, Depends(service.ASSESSMENT_SPEC.dependency())]
RequestQuery = Annotated[ListQuery, Depends(service.REQUEST_SPEC.dependency())]
UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"description": "file too large"},
    415: {"description": "file type not accepted, or the content does not match it"},
}


def _read(file: UploadFile) -> bytes:
    return file.file.read(service.MAX_EVIDENCE_BYTES + 1)


def detail(row: Any) -> schemas.AssessmentDetail:
    base = schemas.AssessmentRead.model_validate(row)
    result = service.result_of(row)
    return schemas.AssessmentDetail(
        **base.model_dump(), result=schemas.ResultRead.model_validate(dataclasses.asdict(result))
    )


# -- the questionnaire -----------------------------------------------------------------------------------------
@router.get("/questionnaire", response_model=schemas.QuestionnaireRead, tags=ASSESSMENTS)
def get_questionnaire(scope: CurrentScope) -> Any:
    return dataclasses.asdict(questionnaire())


# -- assessments -----------------------------------------------------------------------------------------------
@router.get("/assessments", response_model=Page[schemas.AssessmentRead], tags=ASSESSMENTS)
def list_assessments(db: DbSession, scope: CurrentScope, query: AssessmentQuery) -> Any:
    rows, total = service.list_assessments(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/assessments", response_model=schemas.AssessmentDetail, status_code=201, tags=ASSESSMENTS)
def create_assessment(data: schemas.AssessmentCreate, db: DbSession, scope: CurrentScope) -> Any:
    return detail(service.create_assessment(db, scope=scope, data=data))


@router.get("/assessments/{ident}", response_model=schemas.AssessmentDetail, tags=ASSESSMENTS)
def get_assessment(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return detail(service.get_assessment(db, scope=scope, ident=ident))


@router.patch("/assessments/{ident}", response_model=schemas.AssessmentDetail, tags=ASSESSMENTS)
def save_draft(ident: Ident, data: schemas.AssessmentUpdate, db: DbSession, scope: CurrentScope) -> Any:
    return detail(service.save_draft(db, scope=scope, ident=ident, data=data))


@router.post("/assessments/{ident}/submit", response_model=schemas.AssessmentDetail, tags=ASSESSMENTS)
def submit_assessment(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return detail(service.submit_assessment(db, scope=scope, ident=ident))


@router.post("/assessments/{ident}/review", response_model=schemas.AssessmentDetail, tags=ASSESSMENTS)
def review_assessment(ident: Ident, data: schemas.ReviewDecision, db: DbSession, scope: CurrentScope) -> Any:
    return detail(service.review_assessment(db, scope=scope, ident=ident, data=data))


@router.get("/assessments/{ident}/revisions", response_model=list[schemas.AssessmentRevisionRead], tags=ASSESSMENTS)
def assessment_revisions(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.assessment_revisions(db, scope=scope, ident=ident)


@router.get("/assessments/{ident}/evidence", response_model=list[schemas.EvidenceRead], tags=ASSESSMENTS)
def list_evidence(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.list_evidence(db, scope=scope, ident=ident)


@router.post(
    "/assessments/{ident}/evidence",
    response_model=schemas.EvidenceRead,
    status_code=201,
    tags=ASSESSMENTS,
    responses=UPLOAD_RESPONSES,
)
def add_evidence(
    ident: Ident,
    db: DbSession,
    scope: CurrentScope,
    file: Annotated[UploadFile, File()],
    question: Annotated[str | None, Form(max_length=10)] = None,
) -> Any:
    return service.add_evidence(
        db,
        scope=scope,
        ident=ident,
        filename=file.filename or "",
        content_type=file.content_type or "",
        content=_read(file),
        question=question,
    )


@router.get("/evidence/{ident}", tags=ASSESSMENTS, responses={200: {"content": {"application/octet-stream": {}}}})
def download_evidence(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    evidence = service.get_evidence(db, scope=scope, ident=ident)
    return file_response(evidence.content, evidence.content_type, evidence.filename)


@router.delete("/evidence/{ident}", status_code=204, tags=ASSESSMENTS)
def delete_evidence(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    service.delete_evidence(db, scope=scope, ident=ident)
    return Response(status_code=204)


# -- certificates ----------------------------------------------------------------------------------------------
add_routes(router, service.CERTIFICATES, "/certificates", tags=RECORDS)


@router.post("/certificates/{ident}/verify", response_model=schemas.CertificateRead, tags=RECORDS)
def verify_certificate(ident: Ident, data: schemas.CertificateVerify, db: DbSession, scope: CurrentScope) -> Any:
    return service.verify_certificate(db, scope=scope, ident=ident, verified=data.verified)


@router.post(
    "/certificates/{ident}/file", response_model=schemas.CertificateRead, tags=RECORDS, responses=UPLOAD_RESPONSES
)
def attach_certificate_file(
    ident: Ident, db: DbSession, scope: CurrentScope, file: Annotated[UploadFile, File()]
) -> Any:
    return service.attach_certificate_file(
        db,
        scope=scope,
        ident=ident,
        filename=file.filename or "",
        content_type=file.content_type or "",
        content=_read(file),
    )


@router.get("/certificates/{ident}/file", tags=RECORDS, responses={200: {"content": {"application/octet-stream": {}}}})
def download_certificate_file(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    row = service.get_certificate(db, scope=scope, ident=ident)
    if row.file_content is None:
        raise NotFound(f"certificate {ident} has no file")
    return file_response(row.file_content, row.file_content_type or "application/octet-stream", row.file_name or "file")


# -- adoption records ------------------------------------------------------------------------------------------
add_routes(router, service.ADOPTIONS, "/adoption", tags=RECORDS)


# -- catalogue, recommendations, provider requests -------------------------------------------------------------
add_routes(router, service.CATALOGUE, "/catalogue", tags=CATALOGUE)


@router.get("/enterprises/{ident}/recommendations", response_model=schemas.RecommendationsRead, tags=CATALOGUE)
def recommendations(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    found = service.recommendations(db, scope=scope, enterprise_id=ident)
    return schemas.RecommendationsRead(
        enterprise_id=found.enterprise_id,
        assessment_id=found.assessment_id,
        assessment_year=found.assessment_year,
        weakest_indicators=found.weakest_indicators,
        weak_scenes=found.weak_scenes,
        items=[
            schemas.Recommendation(
                entry=schemas.CatalogueRead.model_validate(item.entry),
                matched_indicators=item.matched_indicators,
                matched_scenes=item.matched_scenes,
                score=item.score,
            )
            for item in found.items
        ],
    )


@router.get("/provider-requests", response_model=Page[schemas.ProviderRequestRead], tags=CATALOGUE)
def list_requests(db: DbSession, scope: CurrentScope, query: RequestQuery) -> Any:
    rows, total = service.list_requests(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/provider-requests", response_model=schemas.ProviderRequestRead, status_code=201, tags=CATALOGUE)
def create_request(data: schemas.ProviderRequestCreate, db: DbSession, scope: CurrentScope) -> Any:
    return service.create_request(db, scope=scope, data=data)


@router.get("/provider-requests/{ident}", response_model=schemas.ProviderRequestRead, tags=CATALOGUE)
def get_request(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.get_request(db, scope=scope, ident=ident)


@router.post("/provider-requests/{ident}/status", response_model=schemas.ProviderRequestRead, tags=CATALOGUE)
def change_request_status(
    ident: Ident, data: schemas.ProviderRequestStatusChange, db: DbSession, scope: CurrentScope
) -> Any:
    return service.change_request_status(db, scope=scope, ident=ident, data=data)


# -- the park --------------------------------------------------------------------------------------------------
@router.get("/summary", response_model=schemas.ParkSummary, tags=PARK)
def park_summary(
    db: DbSession,
    scope: CurrentScope,
    park_id: ParkId = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Any:
    return service.park_summary(db, scope=scope, park_id=park_id, year=year)
