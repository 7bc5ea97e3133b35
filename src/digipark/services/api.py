"""REST API of the production services under /api/v1/services: catalogue, bookings and usage, group purchasing
and joint selling, supply-chain collaboration, logistics and finance."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.core.listing import ListQuery, Page, page_of
from digipark.crud.routes import add_routes
from digipark.services import booking, catalogue, finance, logistics, purchasing, schemas, supply_chain
from digipark.services.common import WRITE, today

router = APIRouter(prefix="/api/v1/services")
TAGS: list[str | Enum] = ["services"]
Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
OptionalId = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
BookingList = Annotated[ListQuery, Depends(booking.BOOKING_LIST.dependency())]
UsageList = Annotated[ListQuery, Depends(booking.USAGE_LIST.dependency())]
ApplicationList = Annotated[ListQuery, Depends(finance.APPLICATION_LIST.dependency())]


# -- catalogue -------------------------------------------------------------------------------------------------------
@router.post("/offerings/import-transformation", response_model=list[schemas.OfferingRead], tags=TAGS)
def import_transformation(data: schemas.ParkTarget, db: DbSession, scope: CurrentScope) -> Any:
    """List the transformation catalogue's services not yet in the service catalogue (staff)."""
    scope.require(WRITE)
    return catalogue.import_transformation_services(db, scope=scope, park_id=scope.acting_write_park(data.park_id))


add_routes(router, catalogue.OFFERINGS, "/offerings", tags=TAGS)


@router.get("/offerings/{ident}/calendar", response_model=list[schemas.CalendarSlot], tags=TAGS)
def calendar(
    ident: Ident,
    db: DbSession,
    scope: CurrentScope,
    day: dt.date | None = None,
    days: Annotated[int, Query(ge=1, le=31)] = 1,
) -> Any:
    """Free units of each slot of a bookable service, from `day` (default today) for `days` days."""
    return booking.calendar(db, scope=scope, offering_id=ident, day=day or today(), days=days)


@router.post("/offerings/{ident}/maintenance", response_model=schemas.MaintenanceRead, status_code=201, tags=TAGS)
def add_maintenance(ident: Ident, data: schemas.MaintenanceCreate, db: DbSession, scope: CurrentScope) -> Any:
    """Take a bookable service out of use (its provider); 409 while bookings hold its slots."""
    return booking.add_maintenance(db, scope=scope, offering_id=ident, data=data)


# -- bookings and usage ----------------------------------------------------------------------------------------------
@router.get("/bookings", response_model=Page[schemas.BookingRead], tags=TAGS)
def list_bookings(db: DbSession, scope: CurrentScope, query: BookingList) -> Any:
    """Your enterprise's bookings and the requests to the services it provides (staff: the park's)."""
    rows, total = booking.list_bookings(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/bookings", response_model=schemas.BookingRead, status_code=201, tags=TAGS)
def create_booking(data: schemas.BookingCreate, db: DbSession, scope: CurrentScope) -> Any:
    """Request a bookable service; 409 when a slot is fully booked (also against concurrent requests)."""
    return booking.create_booking(db, scope=scope, data=data)


@router.get("/bookings/{ident}", response_model=schemas.BookingRead, tags=TAGS)
def get_booking(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return booking.get_booking(db, scope=scope, ident=ident)


@router.post("/bookings/{ident}/decision", response_model=schemas.BookingRead, tags=TAGS)
def decide_booking(ident: Ident, data: schemas.Decision, db: DbSession, scope: CurrentScope) -> Any:
    """The provider approves or declines a request."""
    return booking.decide(db, scope=scope, ident=ident, approve=data.approve, note=data.note)


@router.post("/bookings/{ident}/cancel", response_model=schemas.BookingRead, tags=TAGS)
def cancel_booking(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """Cancel within the service's cancellation rule (the provider: any time)."""
    return booking.cancel(db, scope=scope, ident=ident)


@router.post("/bookings/{ident}/check-in", response_model=schemas.BookingRead, tags=TAGS)
def check_in(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return booking.check_in(db, scope=scope, ident=ident)


@router.post("/bookings/{ident}/check-out", response_model=schemas.BookingRead, tags=TAGS)
def check_out(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """End the use; its usage and price are recorded."""
    return booking.check_out(db, scope=scope, ident=ident)


@router.get("/usage", response_model=Page[schemas.UsageRead], tags=TAGS)
def list_usage(db: DbSession, scope: CurrentScope, query: UsageList) -> Any:
    rows, total = booking.list_usage(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/usage", response_model=schemas.UsageRead, status_code=201, tags=TAGS)
def record_usage(data: schemas.UsageCreate, db: DbSession, scope: CurrentScope) -> Any:
    """The provider records what an enterprise used of a service without a calendar."""
    return booking.record_usage(db, scope=scope, data=data)


@router.get("/statement", response_model=schemas.Statement, tags=TAGS)
def statement(db: DbSession, scope: CurrentScope, month: dt.date, enterprise_id: OptionalId = None) -> Any:
    """An enterprise's bill of a month (yours, for an enterprise user)."""
    return booking.statement(db, scope=scope, enterprise_id=enterprise_id, month=month)


@router.get("/utilisation", response_model=list[schemas.Utilisation], tags=TAGS)
def utilisation(db: DbSession, scope: CurrentScope, since: dt.date, until: dt.date, park_id: OptionalId = None) -> Any:
    """Booked hours of available hours per bookable service between two days."""
    return booking.utilisation(db, scope=scope, since=since, until=until, park_id=park_id)


# -- group purchasing and joint selling ------------------------------------------------------------------------------
@router.get("/savings", response_model=list[schemas.Savings], tags=TAGS)
def savings(db: DbSession, scope: CurrentScope, enterprise_id: OptionalId = None) -> Any:
    """What group purchases saved each enterprise against its own last prices (yours, for an enterprise user)."""
    return purchasing.savings(db, scope=scope, enterprise_id=enterprise_id)


add_routes(router, purchasing.DEMANDS, "/demands", tags=TAGS)


@router.post("/demands/{ident}/delivery", response_model=schemas.DemandRead, tags=TAGS)
def deliver(ident: Ident, data: schemas.Delivery, db: DbSession, scope: CurrentScope) -> Any:
    return purchasing.deliver(db, scope=scope, demand_id=ident, delivered_quantity=data.delivered_quantity)


add_routes(router, purchasing.SUPPLIERS, "/suppliers", tags=TAGS)
add_routes(router, purchasing.LISTINGS, "/listings", tags=TAGS)


@router.post("/rounds", response_model=list[schemas.RoundRead], status_code=201, tags=TAGS)
def aggregate(data: schemas.AggregateRequest, db: DbSession, scope: CurrentScope) -> Any:
    """Aggregate the open demands of a category and month into rounds, one per item (staff)."""
    return purchasing.aggregate(db, scope=scope, category=data.category, period=data.period, park_id=data.park_id)


add_routes(router, purchasing.ROUNDS, "/rounds", tags=TAGS, operations=("list", "get"))


@router.get("/rounds/{ident}/quotes", response_model=list[schemas.QuoteRead], tags=TAGS)
def list_quotes(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return purchasing.quotes(db, scope=scope, round_id=ident)


@router.post("/rounds/{ident}/quotes", response_model=schemas.QuoteRead, status_code=201, tags=TAGS)
def add_quote(ident: Ident, data: schemas.QuoteCreate, db: DbSession, scope: CurrentScope) -> Any:
    return purchasing.add_quote(
        db, scope=scope, round_id=ident, supplier_id=data.supplier_id, unit_price_yuan=data.unit_price_yuan
    )


@router.post("/rounds/{ident}/award", response_model=schemas.RoundRead, tags=TAGS)
def award(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """Award to the lowest quote and split the order back to each demand."""
    return purchasing.award(db, scope=scope, round_id=ident)


# -- supply chain ----------------------------------------------------------------------------------------------------
add_routes(router, supply_chain.RELATIONS, "/relations", tags=TAGS)
add_routes(router, supply_chain.POSTS, "/posts", tags=TAGS)


@router.get("/posts/{ident}/matches", response_model=list[schemas.Match], tags=TAGS)
def matches(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """Park enterprises able to meet a need, best first."""
    return supply_chain.match(db, scope=scope, post_id=ident)


@router.get("/shortages", response_model=list[schemas.Shortage], tags=TAGS)
def shortages(db: DbSession, scope: CurrentScope, lead_enterprise_id: OptionalId = None) -> Any:
    """Shortages ahead at a lead enterprise's suppliers, from what they shared with it."""
    return supply_chain.shortages(db, scope=scope, lead_enterprise_id=lead_enterprise_id)


add_routes(router, supply_chain.SHARES, "/shares", tags=TAGS)

# -- logistics -------------------------------------------------------------------------------------------------------
add_routes(router, logistics.SHIPMENTS, "/shipments", tags=TAGS)


@router.post("/shipments/{ident}/gate", response_model=schemas.ShipmentRead, tags=TAGS)
def gate_event(ident: Ident, data: schemas.GateEventCreate, db: DbSession, scope: CurrentScope) -> Any:
    """The gate records a shipment arriving, loading, leaving or cancelled (staff)."""
    return logistics.gate_event(db, scope=scope, ident=ident, kind=data.kind, gate=data.gate)


# -- finance ---------------------------------------------------------------------------------------------------------
@router.get("/applications", response_model=Page[schemas.ApplicationRead], tags=TAGS)
def list_applications(db: DbSession, scope: CurrentScope, query: ApplicationList) -> Any:
    rows, total = finance.list_applications(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/applications", response_model=schemas.ApplicationRead, status_code=201, tags=TAGS)
def apply(data: schemas.ApplicationCreate, db: DbSession, scope: CurrentScope) -> Any:
    return finance.apply(db, scope=scope, data=data)


@router.get("/applications/{ident}", response_model=schemas.ApplicationRead, tags=TAGS)
def get_application(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return finance.get_application(db, scope=scope, ident=ident)


@router.post("/applications/{ident}/consent", response_model=schemas.ApplicationRead, tags=TAGS)
def consent(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """The applying enterprise consents to share its credit profile with the provider."""
    return finance.consent(db, scope=scope, ident=ident)


@router.get("/applications/{ident}/profile", tags=TAGS)
def profile(
    ident: Ident,
    db: DbSession,
    scope: CurrentScope,
    format: Annotated[str, Query(pattern="^(json|pdf)$")] = "json",
) -> Any:
    """The credit profile shared with consent (409 before it); `format=pdf` for the PDF."""
    shared = finance.shared_profile(db, scope=scope, ident=ident)
    if format == "pdf":
        return Response(finance.profile_pdf(shared), media_type="application/pdf")
    return shared


@router.post("/applications/{ident}/decision", response_model=schemas.ApplicationRead, tags=TAGS)
def decide_application(ident: Ident, data: schemas.ApplicationDecision, db: DbSession, scope: CurrentScope) -> Any:
    """The provider reviews, approves or rejects."""
    return finance.decide(db, scope=scope, ident=ident, status=data.status, note=data.note)
