"""REST API of work orders under /api/v1/workorders: report, read, dispatch, start, complete, cancel, rate,
photos; teams and dispatch rules as plain records."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, UploadFile
from fastapi.responses import Response

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.core.downloads import file_response
from digipark.core.listing import ListQuery, Page, page_of
from digipark.crud.routes import add_routes
from digipark.workorders import schemas, service
from digipark.workorders.models import PhotoStage

router = APIRouter(prefix="/api/v1/workorders")
TAGS: list[str | Enum] = ["workorders"]
Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
OrderQuery = Annotated[ListQuery, Depends(service.ORDER_SPEC.dependency())]
UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"description": "file too large"},
    415: {"description": "file type not accepted, or the content does not match it"},
}

add_routes(router, service.TEAMS, "/teams", tags=TAGS)
add_routes(router, service.RULES, "/dispatch-rules", tags=TAGS)


@router.get("/photos/{ident}", tags=TAGS, responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}})
def download_photo(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    photo = service.get_photo(db, scope=scope, ident=ident)
    return file_response(photo.content, photo.content_type, photo.filename, inline=True)


@router.get("", response_model=Page[schemas.WorkOrderRead], tags=TAGS)
def list_orders(db: DbSession, scope: CurrentScope, query: OrderQuery) -> Any:
    """The orders you may read: staff all of the park, an enterprise its own, a resident the ones it reported."""
    rows, total = service.list_orders(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("", response_model=schemas.WorkOrderRead, status_code=201, tags=TAGS)
def report(data: schemas.WorkOrderCreate, db: DbSession, scope: CurrentScope) -> Any:
    """Report a problem (photos: POST /{ident}/photos); the park's dispatch rules give it to a team."""
    return service.report(db, scope=scope, data=data)


@router.get("/{ident}", response_model=schemas.WorkOrderRead, tags=TAGS)
def get_order(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.get_order(db, scope=scope, ident=ident)


@router.post("/{ident}/assign", response_model=schemas.WorkOrderRead, tags=TAGS)
def assign(ident: Ident, data: schemas.AssignRequest, db: DbSession, scope: CurrentScope) -> Any:
    """Give the order to a team (none named: by the dispatch rules)."""
    return service.assign(db, scope=scope, ident=ident, team_id=data.team_id)


@router.post("/{ident}/start", response_model=schemas.WorkOrderRead, tags=TAGS)
def start(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.start(db, scope=scope, ident=ident)


@router.post("/{ident}/complete", response_model=schemas.WorkOrderRead, tags=TAGS)
def complete(ident: Ident, data: schemas.CompleteRequest, db: DbSession, scope: CurrentScope) -> Any:
    """The team has finished (photos of the work: POST /{ident}/photos with stage=completion)."""
    return service.complete(db, scope=scope, ident=ident, note=data.note)


@router.post("/{ident}/cancel", response_model=schemas.WorkOrderRead, tags=TAGS)
def cancel(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.cancel(db, scope=scope, ident=ident)


@router.post("/{ident}/rate", response_model=schemas.WorkOrderRead, tags=TAGS)
def rate(ident: Ident, data: schemas.RateRequest, db: DbSession, scope: CurrentScope) -> Any:
    """The reporter rates the completed order (1..5), which closes it."""
    return service.rate(db, scope=scope, ident=ident, rating=data.rating, comment=data.comment)


@router.get("/{ident}/photos", response_model=list[schemas.PhotoRead], tags=TAGS)
def list_photos(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.photos(db, scope=scope, ident=ident)


@router.post(
    "/{ident}/photos", response_model=schemas.PhotoRead, status_code=201, tags=TAGS, responses=UPLOAD_RESPONSES
)
def add_photo(
    ident: Ident,
    db: DbSession,
    scope: CurrentScope,
    file: Annotated[UploadFile, File()],
    stage: Annotated[PhotoStage, Form()] = PhotoStage.REPORT,
) -> Any:
    return service.add_photo(
        db,
        scope=scope,
        ident=ident,
        stage=stage,
        filename=file.filename or "",
        content_type=file.content_type or "",
        content=file.file.read(service.MAX_PHOTO_BYTES + 1),
    )
