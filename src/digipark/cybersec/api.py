"""REST API of the cybersec module under /api/v1/cybersec: the inventory (network elements, compute resources and
allocations) and the park's coverage and compute in use; enterprises' gradings, data catalogue and ICS assets;
advisories (with a feed import) and their matches; known-bad addresses; security events (JSON, syslog lines) and
incidents."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.core.listing import ListQuery, Page, page_of
from digipark.crud.routes import add_routes
from digipark.cybersec import events, ics, inventory, listener, posture, schemas, security

router = APIRouter(prefix="/api/v1/cybersec")
INFRA: list[str | Enum] = ["cybersec: infrastructure"]
RECORDS: list[str | Enum] = ["cybersec: security records"]
AWARENESS: list[str | Enum] = ["cybersec: events and incidents"]
Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
ParkId = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="a park you may read; default: your own")]
EventQuery = Annotated[ListQuery, Depends(events.EVENT_SPEC.dependency())]
IncidentQuery = Annotated[ListQuery, Depends(events.INCIDENT_SPEC.dependency())]


# -- infrastructure -----------------------------------------------------------------------------------------------
@router.get("/infrastructure", response_model=schemas.InfrastructureRead, tags=INFRA)
def infrastructure(db: DbSession, scope: CurrentScope, park_id: ParkId = None, on: dt.date | None = None) -> Any:
    """双千兆 coverage per building (from the network inventory) and compute in use on a day (default today)."""
    return inventory.infrastructure(db, scope=scope, park_id=park_id, on=on or dt.date.today())


add_routes(router, inventory.ELEMENTS, "/network-elements", tags=INFRA)
add_routes(router, inventory.RESOURCES, "/compute-resources", tags=INFRA)
add_routes(router, inventory.ALLOCATIONS, "/compute-allocations", tags=INFRA)


# -- security records ---------------------------------------------------------------------------------------------
@router.get("/advisory-matches", response_model=list[schemas.AdvisoryMatch], tags=RECORDS)
def advisory_matches(db: DbSession, scope: CurrentScope, park_id: ParkId = None) -> Any:
    """ICS assets whose vendor, model and firmware an advisory covers (an enterprise: its own assets)."""
    return security.matches(db, scope=scope, park_id=park_id)


@router.post("/advisories/import", response_model=schemas.ImportResult, tags=RECORDS)
def import_advisories(data: schemas.AdvisoryImport, db: DbSession, scope: CurrentScope) -> Any:
    """Advisories of a national or vendor feed, created or updated by their ident (all or nothing)."""
    return security.import_advisories(db, scope=scope, data=data)


@router.post("/bad-addresses/import", response_model=schemas.ImportResult, tags=AWARENESS)
def import_bad_addresses(data: schemas.BadAddressImport, db: DbSession, scope: CurrentScope) -> Any:
    """A list of known-bad addresses or networks (traffic to them becomes an incident)."""
    return events.import_bad_addresses(db, scope=scope, data=data)


@router.get("/data-items/{ident}/sharing-check", tags=RECORDS)
def sharing_check(ident: Ident, db: DbSession, scope: CurrentScope, export: bool = False) -> dict[str, Any]:
    """May this data item be shared (or, with export=true, leave the country)?"""
    ok, reason = security.sharing_check(db, scope=scope, ident=ident, export=export)
    return {"ok": ok, "reason": reason}


add_routes(router, security.GRADINGS, "/gradings", tags=RECORDS)
add_routes(router, security.DATA_ITEMS, "/data-items", tags=RECORDS)
add_routes(router, security.ICS_ASSETS, "/ics-assets", tags=RECORDS)
add_routes(router, security.ADVISORIES, "/advisories", tags=RECORDS)


# -- ICS self-assessment (《工业控制系统网络安全防护指南》) ------------------------------------------------------------
@router.get("/ics-assessments/{ident}/report", response_model=ics.Report, tags=RECORDS)
def ics_report(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """Scores per requirement area and overall, the gaps, and how many rectification tasks are open or overdue."""
    return ics.report(db, scope=scope, ident=ident)


add_routes(router, ics.ASSESSMENTS, "/ics-assessments", tags=RECORDS)
add_routes(router, ics.TASKS, "/ics-tasks", tags=RECORDS)


# -- events and incidents ------------------------------------------------------------------------------------------
add_routes(router, listener.LOG_SOURCES, "/log-sources", tags=AWARENESS)


@router.post("/events", response_model=schemas.IngestResult, tags=AWARENESS)
def post_events(data: schemas.EventBatch, db: DbSession, scope: CurrentScope) -> Any:
    """Security events as JSON; they are stored and correlated at once."""
    return events.post_events(db, scope=scope, data=data)


@router.post("/syslog", response_model=schemas.IngestResult, tags=AWARENESS)
def post_syslog(data: schemas.SyslogBatch, db: DbSession, scope: CurrentScope) -> Any:
    """Syslog lines (RFC 3164 or 5424) relayed over HTTP; normalised, stored and correlated."""
    return events.post_syslog(db, scope=scope, data=data)


@router.get("/events", response_model=Page[schemas.EventRead], tags=AWARENESS)
def list_events(db: DbSession, scope: CurrentScope, query: EventQuery) -> Any:
    rows, total = events.list_events(db, scope=scope, query=query)
    return page_of([schemas.EventRead.model_validate(r) for r in rows], total, query)


@router.get("/events/{ident}", response_model=schemas.EventRead, tags=AWARENESS)
def get_event(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return events.get_event(db, scope=scope, ident=ident)


@router.get("/incidents", response_model=Page[schemas.IncidentRead], tags=AWARENESS)
def list_incidents(db: DbSession, scope: CurrentScope, query: IncidentQuery) -> Any:
    rows, total = events.list_incidents(db, scope=scope, query=query)
    return page_of([schemas.IncidentRead.model_validate(r) for r in rows], total, query)


@router.get("/incidents/{ident}", response_model=schemas.IncidentRead, tags=AWARENESS)
def get_incident(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return events.get_incident(db, scope=scope, ident=ident)


@router.post("/incidents/{ident}/close", response_model=schemas.IncidentRead, tags=AWARENESS)
def close_incident(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """Close a handled incident (its alarm is closed in the alarms module)."""
    return events.close_incident(db, scope=scope, ident=ident)


@router.post("/incidents/{ident}/hand-over", response_model=schemas.IncidentRead, tags=AWARENESS)
def hand_over(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """Hand the incident over to the emergency module: its safety incident (opened from the incident's alarm, or
    the one already open for it) is linked as `safety_incident_id`."""
    return posture.hand_over(db, scope=scope, ident=ident)
