"""REST API of HTTP ingestion, dead letters and device traffic (thin: parse, call the service, shape).

`POST /api/v1/devices/{token}/telemetry` takes no user authentication: the device token in the path is the
credential (as in ThingsBoard's HTTP device API). The body is the native payload (`{"ts", "values"}` or a list,
or flat `{"key": value}`), at most MAX_BODY_BYTES. Answers: 200 with what became of the values (partial
rejections included, each dead-lettered); 404 for an unknown token and 422 for a body that cannot be read —
both problem+json, and the message is dead-lettered all the same (the transaction commits); 413 for a body too
large (not stored).
"""

# No `from __future__ import annotations`: FastAPI reads the route annotations at import time.

import datetime as dt
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.core.errors import PROBLEM_MEDIA_TYPE, DomainError, NotFound, ValidationFailed
from digipark.core.listing import ListQuery, Page
from digipark.telemetry import deadletters
from digipark.telemetry.ingest import InboundMessage, get_ingestor, now_ms
from digipark.telemetry.ingest_schemas import (
    DeadLetterIds,
    DeadLetterRead,
    DeviceTrafficRead,
    DiscardResult,
    IngestResult,
    ReplaySummary,
)
from digipark.telemetry.models import RejectReason

router = APIRouter(prefix="/api/v1")
INGEST: list[str | Enum] = ["telemetry: ingestion"]
DEAD_LETTERS: list[str | Enum] = ["telemetry: dead letters"]
TRAFFIC: list[str | Enum] = ["telemetry: device traffic"]

MAX_BODY_BYTES = 256 * 1024
Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
Token = Annotated[str, Path(min_length=1, max_length=64)]
DeadLetterQuery = Annotated[ListQuery, Depends(deadletters.LIST_SPEC.dependency())]
TrafficQuery = Annotated[ListQuery, Depends(deadletters.TRAFFIC_SPEC.dependency())]


class BodyTooLarge(DomainError):
    type_slug = "payload-too-large"
    status = 413
    title = "Payload too large"


async def read_body(request: Request) -> bytes:
    """The raw body, refused beyond MAX_BODY_BYTES without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _problem(request: Request, error: DomainError, summary: IngestResult) -> JSONResponse:
    body = error.problem(request.url.path)
    body["result"] = summary.model_dump()
    return JSONResponse(body, status_code=error.status, media_type=PROBLEM_MEDIA_TYPE)


@router.post(
    "/devices/{token}/telemetry",
    response_model=IngestResult,
    tags=INGEST,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "description": 'a {"ts": <epoch ms>, "values": {"<point key>": <number>}} object, a list of '
                        'them, or {"<point key>": <number>} (received now)',
                        "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}],
                    }
                }
            },
        }
    },
    responses={
        404: {"description": "no device has this token (the message is dead-lettered)"},
        413: {"description": "body too large"},
        422: {"description": "the body cannot be read (the message is dead-lettered)"},
    },
)
def post_telemetry(token: Token, request: Request, db: DbSession, body: Annotated[bytes, Depends(read_body)]) -> Any:
    origin = request.client.host if request.client is not None else None
    message = InboundMessage(
        source="http", topic=None, username=token, payload=body, received_ms=now_ms(), origin=origin
    )
    summary = IngestResult.model_validate(get_ingestor().ingest(db, [message]))
    reasons = summary.rejected_by_reason
    if RejectReason.UNKNOWN_TOKEN.value in reasons:
        return _problem(request, NotFound("no device has this token; the message was dead-lettered"), summary)
    for reason in (RejectReason.MALFORMED.value, RejectReason.BAD_TIMESTAMP.value):
        if reason in reasons:
            return _problem(request, ValidationFailed(f"{reason}: the message was dead-lettered"), summary)
    return summary


# -- dead letters ------------------------------------------------------------------------------------------------
@router.get("/dead-letters", response_model=Page[DeadLetterRead], tags=DEAD_LETTERS)
def list_dead_letters(
    db: DbSession,
    scope: CurrentScope,
    query: DeadLetterQuery,
    received_from: Annotated[dt.datetime | None, Query(description="received at or after (ISO 8601)")] = None,
    received_to: Annotated[dt.datetime | None, Query(description="received before (ISO 8601)")] = None,
) -> Any:
    params = deadletters.DeadLetterParams(query=query, received_from=received_from, received_to=received_to)
    return deadletters.list_dead_letters(db, scope=scope, params=params)


@router.get("/dead-letters/{ident}", response_model=DeadLetterRead, tags=DEAD_LETTERS)
def get_dead_letter(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return deadletters.get_dead_letter(db, scope=scope, ident=ident)


@router.post("/dead-letters/replay", response_model=ReplaySummary, tags=DEAD_LETTERS)
def replay_dead_letters(data: DeadLetterIds, db: DbSession, scope: CurrentScope) -> Any:
    return deadletters.replay(db, scope=scope, ids=data.ids)


@router.post("/dead-letters/discard", response_model=DiscardResult, tags=DEAD_LETTERS)
def discard_dead_letters(data: DeadLetterIds, db: DbSession, scope: CurrentScope) -> Any:
    return DiscardResult(discarded=deadletters.discard(db, scope=scope, ids=data.ids))


# -- traffic ---------------------------------------------------------------------------------------------------------
@router.get("/devices/{ident}/traffic", response_model=DeviceTrafficRead, tags=TRAFFIC)
def device_traffic(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return deadletters.device_traffic(db, scope=scope, device_id=ident)


@router.get("/parks/{ident}/traffic", response_model=Page[DeviceTrafficRead], tags=TRAFFIC)
def park_traffic(ident: Ident, db: DbSession, scope: CurrentScope, query: TrafficQuery) -> Any:
    return deadletters.park_traffic(db, scope=scope, park_id=ident, query=query)
