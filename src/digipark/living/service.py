"""What spans the living services: a gate event (a pass or plate at a gate; at a car park's gate also the parking
session and its fee), the overview a member of the park sees, and whether the park's living services are used."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.living import parking, visitors
from digipark.living.models import Decision, Delivery, Direction, ParkingSession, VisitorPass
from digipark.living.schemas import GateDecision, GateEvent
from digipark.workorders.provides import count_reported


def gate_event(session: Session, *, scope: Scope, event: GateEvent) -> GateDecision:
    record, row = visitors.record_gate_event(session, scope=scope, event=event)
    session_id: int | None = None
    fee: Decimal | None = None
    if record.decision == Decision.ALLOWED.value and event.plate and event.car_park_id is not None:
        stay, charged = parking.plate_seen(
            session,
            park_id=record.park_id,
            car_park_id=event.car_park_id,
            plate=event.plate,
            entering=event.direction == Direction.IN,
            at=record.at,
            pass_id=row.id if row else None,
        )
        session_id, fee = stay.id, charged.total_yuan if charged else None
    return GateDecision(
        event_id=record.id,
        decision=Decision(record.decision),
        reason=record.reason,
        pass_id=record.pass_id,
        session_id=session_id,
        fee_yuan=fee,
    )


def living_service_in_use(session: Session, park_id: int, since: dt.datetime) -> bool:
    """Whether people of the park used a living service online since `since`: a work order reported, a visitor
    invited, a delivery ordered, or a car parked through the platform (a system read, for indicator S2.1)."""
    return any(n > 0 for n in online_service_counts(session, park_id, since).values())


def online_service_counts(session: Session, park_id: int, since: dt.datetime) -> dict[str, int]:
    """How many living and property services the park's people handled online since `since`, by service."""

    def count(model: Any, column: Any) -> int:
        stmt = select(func.count()).select_from(model).where(model.park_id == park_id, column >= since)
        return int(session.scalar(stmt) or 0)

    return {
        "work_orders": count_reported(session, park_id=park_id, since=since),
        "visitor_passes": count(VisitorPass, VisitorPass.created_at),
        "deliveries": count(Delivery, Delivery.created_at),
        "parking_sessions": count(ParkingSession, ParkingSession.entered_at),
    }
