"""Production-service coverage (S2.2, declared in services.module): which of the park's 规上 industrial enterprises
used at least one production service in the twelve months to the evaluation day — a booking approved or taking place
in them, a usage record, a group purchase awarded, a finance application, a shipment handled by the park, or a
digital-transformation service (read through transformation's provides)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from digipark.evaluation.provides import Computed, Gap, IndicatorContext, enterprise_row, share
from digipark.services.common import zone
from digipark.services.models import (
    USED,
    ApplicationStatus,
    Booking,
    DemandStatus,
    FinanceApplication,
    PurchaseDemand,
    ServiceOffering,
    ServiceUsage,
    Shipment,
    ShipmentStatus,
)
from digipark.transformation import provides as transformation

WINDOW_MONTHS = 12


def window_start(as_of: dt.date) -> dt.date:
    """The first day of the twelve months ending on `as_of`."""
    try:
        return as_of.replace(year=as_of.year - 1) + dt.timedelta(days=1)
    except ValueError:  # 29 February
        return as_of.replace(year=as_of.year - 1, day=28) + dt.timedelta(days=1)


def services_used(session: Session, *, park_id: int, since: dt.date, as_of: dt.date) -> dict[int, list[str]]:
    """Enterprise id -> names of the production services it used from `since` to `as_of` (plain park id: the
    caller checks its scope)."""
    start = dt.datetime.combine(since, dt.time(), zone())
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), zone())
    used: dict[int, list[str]] = defaultdict(list)

    def add(enterprise_id: int | None, name: str) -> None:
        if enterprise_id is not None and name not in used[enterprise_id]:
            used[enterprise_id].append(name)

    bookings = session.execute(
        select(Booking.enterprise_id, ServiceOffering.name)
        .join(ServiceOffering, ServiceOffering.id == Booking.offering_id)
        .where(
            Booking.park_id == park_id,
            Booking.status.in_([s.value for s in USED]),
            or_(
                and_(Booking.starts_at >= start, Booking.starts_at < end),
                and_(Booking.decided_at >= start, Booking.decided_at < end),
            ),
        )
    )
    usage = session.execute(
        select(ServiceUsage.enterprise_id, ServiceOffering.name)
        .join(ServiceOffering, ServiceOffering.id == ServiceUsage.offering_id)
        .where(ServiceUsage.park_id == park_id, ServiceUsage.used_on >= since, ServiceUsage.used_on <= as_of)
    )
    finance = session.execute(
        select(FinanceApplication.enterprise_id, ServiceOffering.name)
        .join(ServiceOffering, ServiceOffering.id == FinanceApplication.offering_id)
        .where(
            FinanceApplication.park_id == park_id,
            FinanceApplication.status != ApplicationStatus.WITHDRAWN.value,
            FinanceApplication.created_at >= start,
            FinanceApplication.created_at < end,
        )
    )
    for enterprise_id, name in [*bookings, *usage, *finance]:
        add(enterprise_id, name)
    demands = session.execute(
        select(PurchaseDemand.enterprise_id, PurchaseDemand.item).where(
            PurchaseDemand.park_id == park_id,
            PurchaseDemand.status.in_([DemandStatus.AWARDED.value, DemandStatus.DELIVERED.value]),
            PurchaseDemand.period >= since.replace(day=1),
            PurchaseDemand.period <= as_of,
        )
    )
    for enterprise_id, item in demands:
        add(enterprise_id, f"集采 {item}")
    shipments = session.scalars(
        select(Shipment.enterprise_id).where(
            Shipment.park_id == park_id,
            Shipment.status.in_(
                [ShipmentStatus.ARRIVED.value, ShipmentStatus.LOADING.value, ShipmentStatus.DEPARTED.value]
            ),
            Shipment.created_at >= start,
            Shipment.created_at < end,
        )
    )
    for enterprise_id in shipments:
        add(enterprise_id, "园区物流")
    for enterprise_id, names in transformation.transformation_service_users(
        session, park_id=park_id, since=since, as_of=as_of
    ).items():
        for name in names:
            add(enterprise_id, name)
    return dict(used)


def production_service_coverage(ctx: IndicatorContext) -> Computed:
    """规上 industrial enterprises that used at least one production service in the last twelve months."""
    used = services_used(ctx.session, park_id=ctx.park_id, since=window_start(ctx.as_of), as_of=ctx.as_of)
    rows = []
    gaps = []
    for e in ctx.above_scale():
        names = used.get(e.id, [])
        rows.append({**enterprise_row(e), "services": "、".join(names[:5]), "ok": bool(names)})
        if not names:
            gaps.append(Gap("enterprise", e.name, "production_service", e.id))
    using = sum(1 for r in rows if r["ok"])
    return Computed(
        share(using, len(rows)),
        using,
        len(rows),
        columns=["enterprise", "uscc", "industry", "services", "ok"],
        rows=rows,
        gaps=gaps,
    )
