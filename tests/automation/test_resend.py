"""Nothing a firing logged `pending` is lost when the process stops before sending it: once the firing process's
sending lease has run out, an engine (of any process, at start and every minute) sends it again — once, with the
secret from the rule (the log keeps it masked) — and marks it resent; an action no longer found in the rule is
logged failed instead of sent to where the rule no longer points."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from digipark.automation import delivery, logic, service, webhook
from digipark.automation.engine import AutomationEngine, Runner
from digipark.automation.models import AutomationFiring, AutomationRule
from digipark.core.db import utcnow
from tests.automation.test_actions_events import SECRET, Receiver, hook
from tests.automation.test_delivery import MONDAY_NOON, allow
from tests.automation.test_service import admin, make_rule
from tests.conftest import World


def _fired_and_stopped(db: Session, world: World, url: str) -> AutomationFiring:
    """A firing logged in its transaction by a process that stopped before sending (its queued works gone)."""
    ident = make_rule(db, {"kind": "event", "event": "booking_made"}, [hook(url)])
    service.set_enabled(db, scope=admin(db), ident=ident, enabled=True)
    runner = Runner()
    runner.load(db)
    found = runner.evaluate(
        [logic.HistoryItem(MONDAY_NOON, "event", event="booking_made", park_id=world.a.park_id)], now=MONDAY_NOON
    )
    (row,) = service.fire(db, world.a.park_id, found[world.a.park_id])
    delivery.take(db)  # the process stops here
    db.flush()
    return row


def _lease_runs_out(db: Session, row: AutomationFiring) -> None:
    row.send_lease_until = utcnow() - dt.timedelta(seconds=1)
    db.flush()


@pytest.fixture(autouse=True)
def _no_retry_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook.time, "sleep", lambda s: None)


def test_a_webhook_a_stopped_process_never_sent_is_sent_once_after_its_lease(db: Session, world: World) -> None:
    allow(db, world, "127.0.0.0/8")
    engine = AutomationEngine()
    with Receiver([]) as receiver:
        row = _fired_and_stopped(db, world, receiver.url)
        assert row.unsent_actions == 1 and row.actions[0]["status"] == "pending"
        assert row.actions[0]["secret"] == logic.MASK
        assert engine.resend_stranded() == 0  # the firing process may still be sending: its lease holds
        _lease_runs_out(db, row)
        assert engine.resend_stranded() == 1
        assert engine.resend_stranded() == 0  # recorded: not sent twice
    db.refresh(row)
    assert row.unsent_actions == 0 and row.send_lease_until is None
    assert row.actions[0]["status"] == "done" and row.actions[0]["resent"] is True
    assert row.actions[0]["secret"] == logic.MASK
    ((headers, body),) = receiver.received
    assert webhook.verify(SECRET, headers[webhook.TIMESTAMP_HEADER], body, headers[webhook.SIGNATURE_HEADER])
    assert body == webhook.body_of(rule_id=row.rule_id, park_id=row.park_id, ts=row.ts, inputs=row.inputs)


def test_the_engine_looks_for_stranded_sends_when_it_starts(db: Session, world: World) -> None:
    allow(db, world, "127.0.0.0/8")
    with Receiver([]) as receiver:
        row = _fired_and_stopped(db, world, receiver.url)
        _lease_runs_out(db, row)
        AutomationEngine().run_once()  # a process starting: its first run looks
    assert len(receiver.received) == 1


def test_an_action_the_rule_no_longer_has_is_logged_failed_not_sent(db: Session, world: World) -> None:
    allow(db, world, "127.0.0.0/8")
    with Receiver([]) as old, Receiver([]) as new:
        row = _fired_and_stopped(db, world, old.url)
        rule = db.get(AutomationRule, row.rule_id)
        assert rule is not None
        rule.actions = [hook(new.url)]
        _lease_runs_out(db, row)
        assert AutomationEngine().resend_stranded() == 0
    db.refresh(row)
    assert row.actions[0]["status"] == "failed" and row.actions[0]["error"] == delivery.RULE_CHANGED
    assert row.unsent_actions == 0
    assert old.received == [] and new.received == []


def test_a_firing_sent_as_usual_leaves_nothing_to_resend(db: Session, world: World) -> None:
    allow(db, world, "127.0.0.0/8")
    with Receiver([]) as receiver:
        ident = make_rule(db, {"kind": "event", "event": "booking_made"}, [hook(receiver.url)])
        service.set_enabled(db, scope=admin(db), ident=ident, enabled=True)
        engine = AutomationEngine()
        engine.inbox.put(logic.HistoryItem(MONDAY_NOON, "event", event="booking_made", park_id=world.a.park_id))
        assert engine.run_once() >= 1
        row = db.query(AutomationFiring).filter(AutomationFiring.rule_id == ident).one()
        db.refresh(row)
        _lease_runs_out(db, row)
        assert engine.resend_stranded() == 0
    assert row.unsent_actions == 0 and len(receiver.received) == 1
