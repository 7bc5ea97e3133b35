"""Events of the production services' bookings, published after the transaction that caused them commits
(`core.events`): `BookingChanged` with `action` requested, approved, declined, cancelled, checked_in or completed —
automation rules fire on them (through `services.provides`)."""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from digipark.core.events import DomainEvent, queue_event
from digipark.services.models import Booking


@dataclasses.dataclass(frozen=True, kw_only=True)
class BookingChanged(DomainEvent):
    booking_id: int
    action: str  # requested, approved, declined, cancelled, checked_in, completed
    offering_id: int
    enterprise_id: int | None = None
    provider_enterprise_id: int | None = None


def emit(session: Session, row: Booking, action: str) -> None:
    """Queue the event of a booking (published after the commit)."""
    queue_event(
        session,
        BookingChanged(
            park_id=row.park_id,
            booking_id=row.id,
            action=action,
            offering_id=row.offering_id,
            enterprise_id=row.enterprise_id,
            provider_enterprise_id=row.provider_enterprise_id,
        ),
    )
