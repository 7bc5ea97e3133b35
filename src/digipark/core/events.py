"""Typed domain events and the in-process bus.

Services queue events on the session (`queue_event`); they are delivered after the transaction commits,
so a handler never sees a change that was rolled back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

_PENDING_KEY = "digipark.pending_events"
_SAVEPOINT_MARKS_KEY = "digipark.pending_event_marks"


@dataclasses.dataclass(frozen=True, kw_only=True)
class DomainEvent:
    occurred_at: dt.datetime = dataclasses.field(default_factory=lambda: dt.datetime.now(dt.UTC))
    park_id: int | None = None


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Any], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        self._handlers[event_type].append(handler)

    def unsubscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        self._handlers[event_type].remove(handler)

    def publish(self, event: DomainEvent) -> None:
        for event_type in type(event).__mro__:
            for handler in list(self._handlers.get(event_type, ())):
                try:
                    handler(event)
                except Exception:  # a failing subscriber must not undo a committed change
                    log.exception("event handler %r failed for %r", handler, event)


bus = EventBus()


def queue_event(session: Session, event: DomainEvent) -> None:
    session.info.setdefault(_PENDING_KEY, []).append(event)


def publish_pending(session: Session) -> None:
    events: list[DomainEvent] = session.info.pop(_PENDING_KEY, [])
    for event in events:
        bus.publish(event)


def discard_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


# Events queued inside a SAVEPOINT that is rolled back are dropped with it, wherever the rollback happens
# (an import undoing a bad file, a form undoing a failed write), so callers never manage the queue.
@orm_event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault(_SAVEPOINT_MARKS_KEY, {})
        marks[id(transaction)] = len(session.info.get(_PENDING_KEY, []))


@orm_event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    if not previous_transaction.nested:
        discard_pending(session)
        return
    mark = session.info.get(_SAVEPOINT_MARKS_KEY, {}).pop(id(previous_transaction), None)
    if mark is not None and _PENDING_KEY in session.info:
        del session.info[_PENDING_KEY][mark:]
