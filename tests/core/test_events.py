"""Domain events are delivered after the transaction commits, and never for a rolled-back one."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import system_scope
from digipark.core.db import transaction
from digipark.core.events import DomainEvent, bus, publish_pending, queue_event
from digipark.registry import schemas
from digipark.registry import service as registry
from digipark.registry.models import Zone
from digipark.registry.service import RegistryChanged
from tests.conftest import World


@dataclasses.dataclass(frozen=True, kw_only=True)
class Pinged(DomainEvent):
    n: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class LoudPinged(Pinged):
    pass


@pytest.fixture
def received() -> Iterator[list[DomainEvent]]:
    events: list[DomainEvent] = []
    handlers = [(Pinged, events.append), (RegistryChanged, events.append)]
    for event_type, handler in handlers:
        bus.subscribe(event_type, handler)
    yield events
    for event_type, handler in handlers:
        bus.unsubscribe(event_type, handler)


def test_published_only_after_commit(db: Session, received: list[DomainEvent]) -> None:
    with transaction(db) as session:
        queue_event(session, Pinged(n=1))
        queue_event(session, Pinged(n=2))
        session.flush()
        assert received == []  # not before the commit
    assert [e.n for e in received if isinstance(e, Pinged)] == [1, 2]


def test_not_published_on_rollback(db: Session, received: list[DomainEvent]) -> None:
    with pytest.raises(RuntimeError), transaction(db) as session:
        queue_event(session, Pinged(n=1))
        raise RuntimeError("boom")
    assert received == []
    with transaction(db):  # the discarded event does not leak into the next unit of work
        pass
    assert received == []


def test_registry_change_is_announced_after_commit_only(db: Session, world: World, received: list[DomainEvent]) -> None:
    scope = system_scope(world.a.park_id)
    zones = db.scalar(select(func.count()).select_from(Zone))
    with pytest.raises(RuntimeError), transaction(db) as session:
        registry.create(
            session,
            scope=scope,
            kind=registry.KINDS["zone"],
            data=schemas.ZoneCreate(code="EV1", name="事件区", function="office"),
        )
        raise RuntimeError("abort the unit of work")
    assert received == []
    assert db.scalar(select(func.count()).select_from(Zone)) == zones
    with transaction(db) as session:
        zone = registry.create(
            session,
            scope=scope,
            kind=registry.KINDS["zone"],
            data=schemas.ZoneCreate(code="EV2", name="事件区", function="office"),
        )
        assert received == []
    assert received == [
        RegistryChanged(
            occurred_at=received[0].occurred_at, park_id=world.a.park_id, kind="zone", action="create", row_id=zone.id
        )
    ]


def test_own_session_is_used_when_none_given(db: Session, received: list[DomainEvent]) -> None:
    with transaction() as session:
        assert session is not db
        queue_event(session, Pinged(n=7))
    assert [e.n for e in received if isinstance(e, Pinged)] == [7]


def test_subclass_events_reach_base_subscribers_and_failing_handlers_are_isolated(
    db: Session, received: list[DomainEvent]
) -> None:
    calls: list[str] = []

    def broken(event: DomainEvent) -> None:
        calls.append("broken")
        raise ValueError("a subscriber bug")

    bus.subscribe(LoudPinged, broken)
    try:
        with transaction(db) as session:
            queue_event(session, LoudPinged(n=3))
    finally:
        bus.unsubscribe(LoudPinged, broken)
    assert calls == ["broken"]
    assert [type(e) for e in received] == [LoudPinged]  # a Pinged subscriber gets the subclass too


def test_events_queued_in_a_rolled_back_savepoint_are_dropped(db: Session) -> None:
    received: list[DomainEvent] = []
    bus.subscribe(DomainEvent, received.append)
    try:
        kept, dropped, kept_too = DomainEvent(park_id=1), DomainEvent(park_id=2), DomainEvent(park_id=3)
        queue_event(db, kept)
        with contextlib.suppress(RuntimeError), db.begin_nested():
            queue_event(db, dropped)
            raise RuntimeError("undo this write")
        savepoint = db.begin_nested()
        queue_event(db, kept_too)
        savepoint.commit()
        publish_pending(db)
    finally:
        bus.unsubscribe(DomainEvent, received.append)
    assert received == [kept, kept_too]
