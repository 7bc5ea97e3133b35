"""What the services module offers other modules (declared in services.module): whether production services are in
use in a park, who used which, the "services used" section of an enterprise's archive, and `BookingChanged`, the
event published when a booking is requested, decided, cancelled, checked in or completed (automation's triggers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.listing import ListQuery
from digipark.registry.models import Enterprise
from digipark.services.booking import booking_read_condition, usage_read_condition
from digipark.services.common import today
from digipark.services.coverage import services_used, window_start
from digipark.services.events import BookingChanged
from digipark.services.finance import list_applications
from digipark.services.models import (
    USED,
    Booking,
    DemandStatus,
    PartnerRelation,
    PurchaseDemand,
    ServiceKind,
    ServiceOffering,
    ServiceUsage,
)
from digipark.services.purchasing import DEMANDS, savings
from digipark.services.supply_chain import RELATIONS

__all__ = [
    "BookingChanged",
    "archive_section",
    "booked_hours",
    "partner_relations",
    "production_service_in_use",
    "services_used",
    "shared_equipment",
]


def production_service_in_use(session: Session, park_id: int, since: dt.date) -> bool:
    """Whether any enterprise of the park has used a production service from `since` to today (plain park id:
    the caller checks its scope)."""
    return bool(services_used(session, park_id=park_id, since=since, as_of=today()))


def archive_section(session: Session, scope: Scope, enterprise: Enterprise) -> dict[str, Any]:
    """The services the enterprise used in the last twelve months (what the caller may read of them): per service
    its uses and cost, its bookings, its group purchases and savings, its finance applications."""
    since = window_start(today())
    usage = session.execute(
        select(
            ServiceOffering.kind,
            ServiceOffering.name,
            ServiceOffering.provider_name,
            func.count(ServiceUsage.id),
            func.sum(ServiceUsage.amount_yuan),
            func.max(ServiceUsage.used_on),
        )
        .join(ServiceOffering, ServiceOffering.id == ServiceUsage.offering_id)
        .where(
            scope.condition(ServiceUsage),
            usage_read_condition(scope),
            ServiceUsage.enterprise_id == enterprise.id,
            ServiceUsage.used_on >= since,
        )
        .group_by(ServiceOffering.kind, ServiceOffering.name, ServiceOffering.provider_name)
        .order_by(func.sum(ServiceUsage.amount_yuan).desc())
    ).all()
    bookings = session.scalar(
        scope.readable(Booking, select(func.count(Booking.id))).where(
            booking_read_condition(scope), Booking.enterprise_id == enterprise.id
        )
    )
    demands = session.scalar(
        DEMANDS.readable(scope, select(func.count(PurchaseDemand.id))).where(
            PurchaseDemand.enterprise_id == enterprise.id,
            PurchaseDemand.status.in_([DemandStatus.AWARDED.value, DemandStatus.DELIVERED.value]),
        )
    )
    saved = [s for s in savings(session, scope=scope) if s.enterprise_id == enterprise.id]
    applications, _ = list_applications(
        session, scope=scope, query=ListQuery(filters={"enterprise_id": enterprise.id}, page_size=20)
    )
    return {
        "services": [
            {
                "kind": kind,
                "name": name,
                "provider": provider,
                "uses": int(count),
                "amount_yuan": round(float(amount or 0), 2),
                "last_used": str(last) if last is not None else None,
            }
            for kind, name, provider, count, amount, last in usage
        ],
        "bookings": int(bookings or 0),
        "group_purchases": int(demands or 0),
        "saved_yuan": saved[0].saved_yuan if saved else 0.0,
        "finance_applications": [
            {"product_id": a.offering_id, "amount_wan_yuan": a.amount_wan_yuan, "status": a.status}
            for a in applications
        ],
        "link": "/services",
    }


def partner_relations(session: Session, *, scope: Scope, park_id: int) -> list[dict[str, Any]]:
    """The park's supplier -> customer relations between its enterprises that the caller may read (declared, or
    made by services delivered through the platform): the local supply-chain graph a chain map can show."""
    rows = session.scalars(
        RELATIONS.readable(scope).where(PartnerRelation.park_id == park_id).order_by(PartnerRelation.id)
    )
    return [
        {
            "supplier_id": r.enterprise_id,
            "customer_id": r.customer_enterprise_id,
            "goods": r.goods,
            "source": r.source,
        }
        for r in rows
    ]


def shared_equipment(session: Session, *, park_id: int) -> dict[int, str]:
    """The park's bookable shared-equipment offerings (id -> name), for linking a park asset to the service it is
    booked as (plain park id: the caller checks its scope; offerings are public in their park)."""
    rows = session.execute(
        select(ServiceOffering.id, ServiceOffering.name)
        .where(
            ServiceOffering.park_id == park_id,
            ServiceOffering.kind == ServiceKind.SHARED_EQUIPMENT.value,
            ServiceOffering.bookable.is_(True),
        )
        .order_by(ServiceOffering.name, ServiceOffering.id)
    ).all()
    return {int(i): str(name) for i, name in rows}


def booked_hours(
    session: Session, *, park_id: int, offering_ids: list[int], since: dt.datetime, until: dt.datetime
) -> dict[int, float]:
    """Hours each offering was booked (approved, checked in or completed bookings) within [since, until), the
    bookings clipped to the window, summed over enterprises (a park figure: the caller checks its scope)."""
    if not offering_ids:
        return {}
    rows = session.execute(
        select(Booking.offering_id, Booking.starts_at, Booking.ends_at).where(
            Booking.park_id == park_id,
            Booking.offering_id.in_(offering_ids),
            Booking.status.in_([s.value for s in USED]),
            Booking.starts_at < until,
            Booking.ends_at > since,
        )
    ).all()
    hours: dict[int, float] = dict.fromkeys(offering_ids, 0.0)
    for offering_id, starts_at, ends_at in rows:
        span = min(ends_at, until) - max(starts_at, since)
        hours[int(offering_id)] += max(0.0, span.total_seconds() / 3600)
    return hours
