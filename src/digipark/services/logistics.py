"""Logistics: shipments into and out of the park for an enterprise (consignee, carrier, plate, goods, status), the
gate events that move them on, and the dock schedule — loading bays are bookable logistics services, so a shipment
names its dock booking and the bay's calendar is the schedule."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, field_error
from digipark.core.listing import ListSpec
from digipark.crud import RecordType
from digipark.services.booking import readable_bookings
from digipark.services.common import WRITE, required_enterprise_owner, write_permission
from digipark.services.models import Booking, Shipment, ShipmentStatus
from digipark.services.schemas import ShipmentCreate, ShipmentRead, ShipmentUpdate

# which gate or dock event may follow which status
NEXT: dict[str, frozenset[str]] = {
    ShipmentStatus.PLANNED.value: frozenset({"arrived", "cancelled"}),
    ShipmentStatus.ARRIVED.value: frozenset({"loading", "departed"}),
    ShipmentStatus.LOADING.value: frozenset({"departed"}),
    ShipmentStatus.DEPARTED.value: frozenset(),
    ShipmentStatus.CANCELLED.value: frozenset(),
}


def _validate(session: Session, scope: Scope, values: dict[str, Any], row: Shipment | None) -> dict[str, Any]:
    booking_id = values.get("dock_booking_id")
    if booking_id is not None:
        booking = session.scalar(readable_bookings(scope).where(Booking.id == booking_id))
        if booking is None:
            raise field_error("dock_booking_id", f"no booking {booking_id}")
    if row is None:
        values["gate_events"] = []
    return values


SHIPMENTS: RecordType[Shipment] = RecordType(
    name="shipment",
    model=Shipment,
    create_schema=ShipmentCreate,
    update_schema=ShipmentUpdate,
    read_schema=ShipmentRead,
    list_spec=ListSpec(
        filters={
            "park_id": Shipment.park_id,
            "enterprise_id": Shipment.enterprise_id,
            "direction": Shipment.direction,
            "status": Shipment.status,
        },
        search=[Shipment.consignee, Shipment.goods, Shipment.plate, Shipment.carrier],
        sort={"id": Shipment.id, "expected_at": Shipment.expected_at},
        default_sort="-expected_at,-id",
    ),
    write_permission=write_permission,
    owner=required_enterprise_owner,
    validate=_validate,
)


def gate_event(session: Session, *, scope: Scope, ident: int, kind: str, gate: str) -> Shipment:
    """The gate (park staff) records a shipment arriving, loading, leaving, or cancelled."""
    row = SHIPMENTS.get(session, scope=scope, ident=ident)
    scope.authorize_write(WRITE, park_id=row.park_id)
    if kind not in NEXT[row.status]:
        raise Conflict(f"shipment {ident} is {row.status}; {kind} cannot follow")
    row.status = kind
    row.gate_events = [*row.gate_events, {"kind": kind, "gate": gate, "at": utcnow().isoformat(), "by": scope.username}]
    session.flush()
    return row
