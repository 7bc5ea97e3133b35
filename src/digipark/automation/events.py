"""The domain events automation rules fire on: each domain publishes its own event class after the commit
(`core.events`), imported here through the domain's `provides`; `item_of` turns one into the `event` history item
the evaluator takes (its name in logic.EVENTS and a payload of ids that goes into the firing's inputs), or None
for an event no rule can name.

| domain event | action | rule event |
|---|---|---|
| workorders `WorkOrderChanged` | opened, done, cancelled | work_order_opened, work_order_done, work_order_cancelled |
| services `BookingChanged` | requested, approved, declined, cancelled | booking_made, booking_approved, … |
| approvals `ApprovalChanged` | started, approved, rejected | approval_started, approval_approved, approval_rejected |
| alarms `AlarmChanged` | acknowledged, cleared | alarm_acknowledged, alarm_cleared |

(`AlarmRaised` is the `alarm_raised` trigger, with its severity.)"""

from __future__ import annotations

from typing import Any

from digipark.alarms.provides import AlarmChanged
from digipark.approvals.provides import ApprovalChanged
from digipark.automation import logic
from digipark.core.events import DomainEvent
from digipark.services.provides import BookingChanged
from digipark.workorders.provides import WorkOrderChanged

SOURCES: tuple[type[DomainEvent], ...] = (WorkOrderChanged, BookingChanged, ApprovalChanged, AlarmChanged)
_BOOKING = {"requested": "booking_made"}


def name_and_payload(event: DomainEvent) -> tuple[str, dict[str, Any]] | None:
    if isinstance(event, WorkOrderChanged):
        payload: dict[str, Any] = {"work_order_id": event.order_id, "code": event.code}
        name = f"work_order_{event.action}"
    elif isinstance(event, BookingChanged):
        payload = {"booking_id": event.booking_id, "offering_id": event.offering_id}
        name = _BOOKING.get(event.action, f"booking_{event.action}")
    elif isinstance(event, ApprovalChanged):
        payload = {"approval_id": event.instance_id, "process": event.process_key}
        name = f"approval_{event.action}"
    elif isinstance(event, AlarmChanged):
        payload = {"alarm_id": event.alarm_id, "severity": event.severity}
        name = f"alarm_{event.action}"
    else:
        return None
    if name not in logic.EVENTS:
        return None
    enterprise_id = getattr(event, "enterprise_id", None)
    if enterprise_id is not None:
        payload["enterprise_id"] = enterprise_id
    building_id = getattr(event, "building_id", None)
    if building_id is not None:
        payload["building_id"] = building_id
    return name, payload


def item_of(event: DomainEvent) -> tuple[int, logic.HistoryItem] | None:
    """(park, history item) of a domain event a rule may fire on."""
    found = name_and_payload(event)
    if found is None or event.park_id is None:
        return None
    name, payload = found
    ts = int(event.occurred_at.timestamp() * 1000)
    return event.park_id, logic.HistoryItem(ts, "event", event=name, payload=payload, park_id=event.park_id)
