"""REST API of alarms under /api/v1/alarms and the live alarm stream /api/v1/live/alarms (thin: parse, call the
service, shape)."""

# No `from __future__ import annotations`: FastAPI reads the route annotations at import time.

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from digipark.alarms import live, schemas, service
from digipark.alarms.models import Alarm
from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.auth.scope import Scope
from digipark.core.listing import ListQuery, Page, page_of
from digipark.crud.routes import add_routes

router = APIRouter(prefix="/api/v1")
RULES: list[str | Enum] = ["alarms: rules"]
ALARMS: list[str | Enum] = ["alarms: alarms"]
CONTACTS: list[str | Enum] = ["alarms: contacts"]

Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
ParkId = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="a park you may read; default: your own")]
RuleQuery = Annotated[ListQuery, Depends(service.RULE_SPEC.dependency())]
AlarmQuery = Annotated[ListQuery, Depends(service.ALARM_SPEC.dependency())]


def detail(db: Session, scope: Scope, alarm: Alarm) -> schemas.AlarmDetail:
    base = schemas.AlarmRead.model_validate(alarm)
    return schemas.AlarmDetail(
        **base.model_dump(),
        duration_s=service.duration_s(alarm),
        events=[schemas.AlarmEventRead.model_validate(e) for e in service.events_of(db, scope=scope, alarm=alarm)],
        deliveries=[
            schemas.DeliveryRead.model_validate(d) for d in service.deliveries_of(db, scope=scope, alarm=alarm)
        ],
    )


# -- rules -------------------------------------------------------------------------------------------------------
@router.get("/alarms/rules", response_model=Page[schemas.RuleRead], tags=RULES)
def list_rules(db: DbSession, scope: CurrentScope, query: RuleQuery) -> Any:
    rows, total = service.list_rules(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/alarms/rules", response_model=schemas.RuleRead, status_code=201, tags=RULES)
def create_rule(data: schemas.RuleCreate, db: DbSession, scope: CurrentScope) -> Any:
    return service.create_rule(db, scope=scope, data=data)


@router.get("/alarms/rules/{ident}", response_model=schemas.RuleRead, tags=RULES)
def get_rule(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.get_rule(db, scope=scope, ident=ident)


@router.patch("/alarms/rules/{ident}", response_model=schemas.RuleRead, tags=RULES)
def update_rule(ident: Ident, data: schemas.RuleUpdate, db: DbSession, scope: CurrentScope) -> Any:
    return service.update_rule(db, scope=scope, ident=ident, data=data)


@router.delete("/alarms/rules/{ident}", status_code=204, tags=RULES)
def delete_rule(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    service.delete_rule(db, scope=scope, ident=ident)
    return Response(status_code=204)


# -- contacts ----------------------------------------------------------------------------------------------------
add_routes(router, service.CONTACTS, "/alarms/contacts", tags=CONTACTS)


# -- alarms ------------------------------------------------------------------------------------------------------
@router.get("/alarms/stats", response_model=schemas.AlarmStats, tags=ALARMS)
def alarm_stats(db: DbSession, scope: CurrentScope, park_id: ParkId = None) -> Any:
    """Active alarms by severity and area, unacknowledged, open, raised in 24 h, mean duration over 30 days."""
    return service.stats(db, scope=scope, park_id=park_id)


@router.get("/alarms", response_model=Page[schemas.AlarmRead], tags=ALARMS)
def list_alarms(
    db: DbSession,
    scope: CurrentScope,
    query: AlarmQuery,
    active: Annotated[bool | None, Query(description="true: raised or acknowledged; false: the others")] = None,
) -> Any:
    rows, total = service.list(db, scope=scope, query=query, active=active)
    return page_of(rows, total, query)


@router.get("/alarms/{ident}", response_model=schemas.AlarmDetail, tags=ALARMS)
def get_alarm(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return detail(db, scope, service.get(db, scope=scope, ident=ident))


@router.post("/alarms/{ident}/acknowledge", response_model=schemas.AlarmDetail, tags=ALARMS)
def acknowledge(ident: Ident, data: schemas.AlarmAction, db: DbSession, scope: CurrentScope) -> Any:
    return detail(db, scope, service.acknowledge(db, scope=scope, ident=ident, comment=data.comment))


@router.post("/alarms/{ident}/close", response_model=schemas.AlarmDetail, tags=ALARMS)
def close(ident: Ident, data: schemas.AlarmAction, db: DbSession, scope: CurrentScope) -> Any:
    return detail(db, scope, service.close(db, scope=scope, ident=ident, comment=data.comment))


# -- live --------------------------------------------------------------------------------------------------------
@router.get(
    "/live/alarms",
    tags=ALARMS,
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}},
)
def live_alarms(db: DbSession, scope: CurrentScope) -> StreamingResponse:
    """Server-sent events (`event: alarm`) of the alarms the caller may read: the open ones first, then changes."""
    return live.open_stream(db, scope)
