"""Entries are chained when their transaction commits, not when they are recorded: a savepoint rolled back takes
its entries with it, reading the log inside the transaction sees them, and on PostgreSQL a writer does not wait for
another writer's open transaction (the chain head's row lock is held only from the commit's start)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from digipark.audit import service as audit
from digipark.audit.models import AuditEntry

PROBE = "deferred_probe"


def _probes(db: Session) -> list[str | None]:
    rows = db.scalars(select(AuditEntry.entity_id).where(AuditEntry.entity_type == PROBE).order_by(AuditEntry.id))
    return list(rows)


def test_a_rolled_back_savepoint_takes_its_entries_with_it(db: Session) -> None:
    audit.record(db, action="probe", entity_type=PROBE, entity_id="before")
    with pytest.raises(RuntimeError), db.begin_nested():
        audit.record(db, action="probe", entity_type=PROBE, entity_id="undone")
        raise RuntimeError("rolled back")
    with db.begin_nested():
        audit.record(db, action="probe", entity_type=PROBE, entity_id="released")
    audit.record(db, action="probe", entity_type=PROBE, entity_id="after")
    assert _probes(db) == ["before", "released", "after"]  # reading the log chains what is pending first
    assert audit.verify(db).ok


def test_a_savepoint_inside_a_savepoint_rolled_back_keeps_the_outer_ones_entries(db: Session) -> None:
    with db.begin_nested():
        audit.record(db, action="probe", entity_type=PROBE, entity_id="outer")
        with pytest.raises(RuntimeError), db.begin_nested():
            audit.record(db, action="probe", entity_type=PROBE, entity_id="inner")
            raise RuntimeError("rolled back")
    assert _probes(db) == ["outer"]


def test_a_writer_does_not_wait_for_another_writers_open_transaction(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time anyway")
    factory = sessionmaker(bind=engine)
    with factory() as first:
        first.begin()
        first.execute(text("SELECT 1"))
        audit.record(first, action="probe", entity_type=PROBE, entity_id="first")
        first.flush()
        with factory() as second, second.begin():
            second.execute(text("SET LOCAL lock_timeout = '5s'"))  # the old head lock made this commit fail
            audit.record(second, action="probe", entity_type=PROBE, entity_id="second")
        first.commit()
    with factory() as reader:
        assert _probes(reader)[-2:] == ["second", "first"]  # chained in the order of the commits
        assert audit.verify(reader).ok


def test_a_session_closed_without_commit_does_not_carry_its_entries_into_its_next_transaction(engine: Engine) -> None:
    factory = sessionmaker(bind=engine)
    with factory() as session:
        audit.set_actor(session, audit.Actor("closed-without-commit"))
        audit.record(session, action="probe", entity_type=PROBE, entity_id="discarded")
        session.close()  # no commit, no rollback event: the entry goes with the transaction
        audit.set_actor(session, audit.Actor("next-transaction"))
        with session.begin():
            audit.record(session, action="probe", entity_type=PROBE, entity_id="kept")
    with factory() as reader:
        probes = _probes(reader)
        assert "kept" in probes and "discarded" not in probes
