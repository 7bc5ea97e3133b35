"""The live automation engine: one `Runner` per process keeps an `Evaluator` per park over its enabled rules
(reloaded when rules change), takes readings as they are stored, alarms as they are raised and the other domains'
events (work orders, bookings, approvals, alarms changing: automation/events.py) as they are published (each item
fed only to its own park's evaluator), advances the clock for the schedules, and carries out what fires
(service.fire: actions done, each firing logged with its inputs).

`start_automation()` (the module record's background service) runs it in a thread of its own: every TICK_S it
drains what arrived and advances the clock; what fires is carried out and logged in one write transaction, and the
webhooks and notifications it queued are sent after that commit, their outcomes written in a second short one
(automation/delivery.py). Tests call `Runner.process` directly (which sends in the caller's session)."""

from __future__ import annotations

import contextlib
import logging
import queue
import time
from collections.abc import Container, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms.provides import AlarmRaised
from digipark.audit.service import Actor, set_actor
from digipark.automation import delivery, events, logic, service
from digipark.automation.models import AutomationFiring, AutomationRule
from digipark.core.background import Handle, SharedService
from digipark.core.events import DomainEvent, bus
from digipark.core.periodic import PeriodicThread
from digipark.telemetry.provides import ReadingsStored, now_ms

log = logging.getLogger("digipark.automation.engine")
ACTOR = Actor("automation", role="system")
TICK_S = 1.0


class Runner:
    """Evaluators of every park with enabled rules; `process` feeds them and fires what they return."""

    def __init__(self) -> None:
        self.evaluators: dict[int, logic.Evaluator] = {}
        self.signature: dict[int, tuple[Any, ...]] = {}

    def load(self, session: Session) -> None:
        """(Re)build a park's evaluator when its enabled rules or scenes changed; keep the state otherwise."""
        rules: dict[int, list[AutomationRule]] = {}
        for rule in session.scalars(select(AutomationRule).where(AutomationRule.enabled).order_by(AutomationRule.id)):
            rules.setdefault(rule.park_id, []).append(rule)
        for park_id in list(self.evaluators):
            if park_id not in rules:
                del self.evaluators[park_id], self.signature[park_id]
        for park_id, park_rules in rules.items():
            scenes = service.scenes_of(session, park_id)
            signature = (
                tuple((r.id, repr(r.trigger), repr(r.conditions), repr(r.actions)) for r in park_rules),
                repr(sorted(scenes.items())),
            )
            if self.signature.get(park_id) != signature:
                previous = self.evaluators.get(park_id)
                evaluator = service.evaluator_for(session, park_id, park_rules)
                if previous is not None:
                    evaluator.clock_ms = previous.clock_ms
                    evaluator.latest = previous.latest
                self.evaluators[park_id], self.signature[park_id] = evaluator, signature

    def watched(self) -> frozenset[int]:
        """The points whose readings some park's rules look at."""
        return frozenset().union(*(evaluator.watched for evaluator in self.evaluators.values()))

    def evaluate(self, items: Iterable[logic.HistoryItem], *, now: int | None = None) -> dict[int, list[logic.Firing]]:
        """Feed what arrived (in time order) to every park's evaluator and advance the clocks to `now`: what
        fires, by park. In memory only."""
        ordered = sorted(items, key=lambda i: i.ts)
        found: dict[int, list[logic.Firing]] = {}
        for park, evaluator in sorted(self.evaluators.items()):
            mine = [i for i in ordered if i.park_id is None or i.park_id == park]
            if evaluator.clock_ms is None:
                evaluator.clock(mine[0].ts - 1 if mine else (now or now_ms()))
            fired = logic.feed(evaluator, mine)
            if now is not None:
                fired.extend(evaluator.clock(now))
            if fired:
                found[park] = fired
        return found

    def process(
        self, session: Session, items: Iterable[logic.HistoryItem], *, now: int | None = None
    ) -> list[AutomationFiring]:
        """Evaluate and fire (actions carried out, firings logged) in the caller's transaction; the webhooks and
        notifications are sent then too (the engine sends them after its commit)."""
        rows: list[AutomationFiring] = []
        for park, fired in self.evaluate(items, now=now).items():
            rows.extend(service.fire(session, park, fired))
        delivery.run(session, delivery.take(session))
        return rows


class AutomationEngine(PeriodicThread):
    thread_name, failure, logger = "digipark-automation", "automation: a run failed", log

    def __init__(self) -> None:
        super().__init__(first_after_s=TICK_S, every_s=TICK_S)
        self.runner = Runner()
        self.inbox: queue.SimpleQueue[logic.HistoryItem] = queue.SimpleQueue()
        self.next_sweep = 0.0  # monotonic time of the next look for stranded sends (at once: the process starts)
        # the stored readings as they came, a batch per event: most points have no rule, so their items are made
        # only for the watched points once the rules are loaded (`take`)
        self.readings: queue.SimpleQueue[tuple[tuple[int, int, float, int], ...]] = queue.SimpleQueue()

    def on_readings(self, event: ReadingsStored) -> None:
        if event.readings:
            self.readings.put(event.readings)

    def take(self, watched: Container[int] | None = None) -> list[logic.HistoryItem]:
        """What arrived since the last call, in time order: alarms, events and the good readings of the `watched`
        points (None: every point); BAD readings (outside the instrument's range) are not evaluated (as alarm
        rules)."""
        items: list[logic.HistoryItem] = []
        with contextlib.suppress(queue.Empty):
            while True:
                items.append(self.inbox.get_nowait())
        with contextlib.suppress(queue.Empty):
            while True:
                items.extend(
                    logic.HistoryItem(ts, "reading", point_id=point_id, value=value)
                    for point_id, ts, value, quality in self.readings.get_nowait()
                    if not quality and (watched is None or point_id in watched)
                )
        items.sort(key=lambda item: item.ts)
        return items

    def on_alarm(self, event: AlarmRaised) -> None:
        ts = event.trigger_ts or int(event.occurred_at.timestamp() * 1000)
        self.inbox.put(
            logic.HistoryItem(
                ts,
                "alarm",
                severity=event.severity,
                building_id=event.building_id,
                alarm_id=event.alarm_id,
                park_id=event.park_id,
            )
        )

    def on_event(self, event: DomainEvent) -> None:
        """A domain event a rule may fire on (automation/events.py)."""
        found = events.item_of(event)
        if found is not None:
            self.inbox.put(found[1])

    def start(self) -> None:
        bus.subscribe(ReadingsStored, self.on_readings)
        bus.subscribe(AlarmRaised, self.on_alarm)
        for source in events.SOURCES:
            bus.subscribe(source, self.on_event)
        super().start()

    def stop(self, timeout: float = 30.0) -> None:
        bus.unsubscribe(ReadingsStored, self.on_readings)
        bus.unsubscribe(AlarmRaised, self.on_alarm)
        for source in events.SOURCES:
            bus.unsubscribe(source, self.on_event)
        super().stop(timeout)

    def run_once(self) -> int:
        from digipark.core.db import transaction

        if time.monotonic() >= self.next_sweep:
            self.next_sweep = time.monotonic() + delivery.SWEEP_EVERY_S
            self.resend_stranded()
        with transaction() as session:
            self.runner.load(session)
        found = self.runner.evaluate(self.take(self.runner.watched()), now=now_ms())
        if not found:
            return 0
        with transaction(write=True) as session:
            set_actor(session, ACTOR)
            count = sum(len(service.fire(session, park, fired)) for park, fired in found.items())
            works = delivery.take(session)
        if works:  # after the commit: a slow receiver holds no database write
            self._send(works)
        return count

    def resend_stranded(self) -> int:
        """Send again what firings logged pending and a stopped process never sent (delivery.stranded)."""
        from digipark.core.db import transaction

        with transaction() as session:  # the usual answer is "none": no write transaction for it
            if not delivery.has_stranded(session):
                return 0
        with transaction(write=True) as session:
            set_actor(session, ACTOR)
            works = delivery.stranded(session)
        self._send(works, resent=True)
        return len(works)

    def _send(self, works: list[delivery.Work], *, resent: bool = False) -> None:
        from digipark.core.db import transaction

        done = [(work, delivery.perform(work)) for work in works]
        if resent:
            done = [(work, delivery.resent(outcome)) for work, outcome in done]
        with transaction(write=True) as session:
            set_actor(session, ACTOR)
            delivery.record(session, done)


_engine: SharedService[AutomationEngine] = SharedService(AutomationEngine)


def start_automation() -> Handle[AutomationEngine]:
    """Start the process's automation engine (or join the running one)."""
    return _engine.acquire()
