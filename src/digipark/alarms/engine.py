"""The rules engine: evaluates every incoming reading against a precompiled index of rules by point id, runs a
timer for no-data, deferred flapping clears and escalation, and writes alarms only on transitions.

Per reading (as it arrives, `on_received`; again once stored, `on_readings`, which passes over what it has seen):
one dict lookup by point id; for each rule on that
point, its conditions are evaluated in memory (rules.evaluate). No SQL. A transition (a condition starts or stops
holding, an alarm is raised or cleared) is queued to the writer thread, which persists the rule state, writes the
alarm and its history in one transaction (audited, actor "rules"), then sends notifications. State survives a
restart: it is read back from `alarm_rule_state` when the engine loads.

`start_rules_engine()` (stopped through the handle it returns, `core.background`) is called where ingestion runs
(telemetry.runtime.run_ingest with a database sink: `digipark demo`, `digipark ingest`, `digipark ingest --worker`).
Tests build a `RulesEngine(sync=True)` and call `on_readings` / `tick` directly: transitions are then written in the
calling thread.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import queue
import threading
import time
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.alarms import rules as rule_logic
from digipark.alarms.events import RulesChanged
from digipark.alarms.models import Alarm, AlarmRule, AlarmRuleState
from digipark.alarms.rules import CondState, Context
from digipark.core.background import Handle, SharedService
from digipark.core.config import get_settings
from digipark.core.events import bus
from digipark.registry.models import Building, Device, Point
from digipark.telemetry.provides import InboundMessage, Ingestor, PointLatest, ReadingsStored, get_ingestor

log = logging.getLogger("digipark.alarms.engine")

TICK_S = 1.0
ESCALATION_EVERY_S = 5.0
RELOAD_EVERY_S = 15.0
BASELINE_EVERY_S = 3600.0


@dataclasses.dataclass(frozen=True)
class Target:
    point_id: int
    park_id: int
    enterprise_id: int | None
    device_id: int
    building_id: int | None
    zone_id: int | None
    device_class: str
    quantity: str
    interval_s: int
    unit: str
    name: str


@dataclasses.dataclass(frozen=True)
class Compiled:
    rule_id: int
    park_id: int
    name: str
    severity: str
    conditions: tuple[dict[str, Any], ...]
    flap_window_ms: int
    flap_max: int
    escalate_after_s: int
    timer_only: bool  # a no-data rule
    name_en: str | None = None

    def signature(self) -> tuple[Any, ...]:
        return (self.conditions, self.flap_window_ms, self.flap_max)


class Source:
    """One rule on one point: its conditions' state, whether the rule holds (`active`), flapping bookkeeping."""

    __slots__ = ("active", "conds", "fast", "flapping", "flips", "last_ts", "normal_since", "rule", "target")

    def __init__(self, rule: Compiled, target: Target) -> None:
        self.rule = rule
        self.target = target
        self.fast = fast_limits(rule)
        self.conds = [CondState() for _ in rule.conditions]
        self.active = False
        self.flips: list[int] = []
        self.last_ts: int | None = None
        self.normal_since: int | None = None
        self.flapping = False

    def dump(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "conditions": [c.dump() for c in self.conds],
            "flips": list(self.flips),
            "last_ts": self.last_ts,
            "normal_since": self.normal_since,
            "flapping": self.flapping,
        }


@dataclasses.dataclass
class Change:
    """What the writer does for one source: persist its state; and raise or clear its alarm."""

    rule: Compiled
    target: Target
    state: dict[str, Any]
    action: str = "state"  # state | raise | clear
    ts: int = 0
    value: float | None = None
    notify: bool = True
    flapping: bool = False


def fast_limits(rule: Compiled) -> tuple[float, float, float] | None:
    """(raise above, raise below, hysteresis) of a rule that is one plain threshold (no duration): the per-reading
    fast path compares against these without calling the general evaluator."""
    if len(rule.conditions) != 1:
        return None
    c = rule.conditions[0]
    if c["type"] != "threshold" or c.get("for_s"):
        return None
    high = c["high"] if c["op"] in ("above", "outside") and c["high"] is not None else float("inf")
    low = c["low"] if c["op"] in ("below", "outside") and c["low"] is not None else float("-inf")
    return (float(high), float(low), float(c["hysteresis"]))


def quiet_band(sources: list[Source]) -> tuple[float, float] | None:
    """The values that change nothing for these sources (all plain thresholds at rest), or None."""
    lo, hi = float("-inf"), float("inf")
    for s in sources:
        if s.fast is None or s.active or s.flapping or s.conds[0].raw:
            return None
        high, low, _h = s.fast
        hi = min(hi, high)
        lo = max(lo, low)
    return (lo, hi) if lo <= hi else None


def local_offset_ms() -> int:
    offset = dt.datetime.now(zoneinfo.ZoneInfo(get_settings().timezone)).utcoffset()
    return int(offset.total_seconds() * 1000) if offset is not None else 0


# ---------------------------------------------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------------------------------------------
def compile_rule(rule: AlarmRule) -> Compiled:
    conditions = tuple(rule.conditions)
    return Compiled(
        rule_id=rule.id,
        park_id=rule.park_id,
        name=rule.name,
        severity=rule.severity,
        conditions=conditions,
        flap_window_ms=int(rule.flap_window_s) * 1000,
        flap_max=int(rule.flap_max),
        escalate_after_s=int(rule.escalate_after_s),
        timer_only=any(c["type"] == "no_data" for c in conditions),
        name_en=rule.name_en,
    )


def _targets(session: Session, park_ids: Iterable[int]) -> list[Target]:
    rows = session.execute(
        select(
            Point.id,
            Point.park_id,
            Point.enterprise_id,
            Point.device_id,
            Device.building_id,
            Building.zone_id,
            Point.device_class,
            Point.quantity,
            Point.expected_interval_s,
            Point.unit,
            Point.name,
        )
        .join(Device, Device.id == Point.device_id)
        .outerjoin(Building, Building.id == Device.building_id)
        .where(Point.park_id.in_(sorted(park_ids)))
    )
    return [Target(*row) for row in rows]


def matches(rule: AlarmRule, t: Target) -> bool:
    if rule.point_id is not None:
        return t.point_id == rule.point_id
    if t.park_id != rule.park_id or rule.device_class is None or t.device_class != rule.device_class:
        return False
    if rule.quantity is not None and t.quantity != rule.quantity:
        return False
    if rule.zone_id is not None and t.zone_id != rule.zone_id:
        return False
    if rule.building_id is not None and t.building_id != rule.building_id:
        return False
    return rule.target_enterprise_id is None or t.enterprise_id == rule.target_enterprise_id


def rule_targets(session: Session, rule: AlarmRule) -> list[Target]:
    return [t for t in _targets(session, [rule.park_id]) if matches(rule, t)]


# ---------------------------------------------------------------------------------------------------------------
# the engine
# ---------------------------------------------------------------------------------------------------------------
class RulesEngine:
    def __init__(
        self, *, sync: bool = False, clock: Callable[[], float] = time.time, ingestor: Ingestor | None = None
    ) -> None:
        self.sync = sync
        self.clock = clock
        self.ingestor = ingestor  # reads arriving messages (on_received); None: the process's
        self._lock = threading.RLock()
        self.by_point: dict[int, list[Source]] = {}
        # point -> (lo, hi): every rule of the point is a plain threshold at rest, so a value within [lo, hi]
        # changes nothing and is skipped with one comparison
        self.quiet: dict[int, tuple[float, float]] = {}
        self.timer_sources: list[Source] = []
        self.flapping: set[Source] = set()
        self.last_seen: dict[int, int] = {}  # point -> ms of its newest reading (points of no-data rules)
        self.devices: frozenset[int] = frozenset()  # the devices of the points that rules watch
        self.started_ms = int(clock() * 1000)
        self.context = Context(baselines={}, offset_ms=local_offset_ms())
        self._signature: tuple[Any, ...] = ()
        self._queue: queue.Queue[list[Change] | Callable[[], None] | None] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._timer: threading.Thread | None = None
        self._stop = threading.Event()
        self._reload_wanted = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._pending = 0
        self._pending_lock = threading.Lock()
        self._sender: ThreadPoolExecutor | None = None
        self.transitions = 0
        self.may_escalate = False  # set once an unacknowledged alarm may exist (no escalation queries before)

    # -- loading -------------------------------------------------------------------------------------------------
    def _rules_signature(self, session: Session) -> tuple[Any, ...]:
        count, latest = session.execute(select(func.count(AlarmRule.id), func.max(AlarmRule.updated_at))).one()
        points = session.scalar(select(func.count(Point.id)))
        return (count, latest, points)

    def load(self, session: Session | None = None) -> int:
        """(Re)build the index from the database; keep in-memory state of rules whose conditions did not change."""
        from digipark.alarms import baseline
        from digipark.core.db import new_session

        own = session is None
        db = session if session is not None else new_session()
        try:
            signature = self._rules_signature(db)
            if not self.may_escalate:
                self.may_escalate = bool(
                    db.scalar(select(func.count(Alarm.id)).where(Alarm.next_escalation_at.is_not(None)))
                )
            rules = list(db.scalars(select(AlarmRule).where(AlarmRule.enabled.is_(True)).order_by(AlarmRule.id)))
            targets = _targets(db, {r.park_id for r in rules}) if rules else []
            by_point_target = {t.point_id: t for t in targets}
            stored = (
                {
                    (s.rule_id, s.point_id): s
                    for s in db.scalars(select(AlarmRuleState).where(AlarmRuleState.rule_id.in_([r.id for r in rules])))
                }
                if rules
                else {}
            )
            with self._lock:
                old = {(s.rule.rule_id, s.target.point_id): s for sources in self.by_point.values() for s in sources}
                old.update({(s.rule.rule_id, s.target.point_id): s for s in self.timer_sources})
            by_point: dict[int, list[Source]] = {}
            timer_sources: list[Source] = []
            baseline_points: dict[int, int] = {}
            for rule in rules:
                compiled = compile_rule(rule)
                chosen = [by_point_target[rule.point_id]] if rule.point_id in by_point_target else []
                if rule.point_id is None:
                    chosen = [t for t in targets if matches(rule, t)]
                for target in chosen:
                    key = (rule.id, target.point_id)
                    previous = old.get(key)
                    if previous is not None and previous.rule.signature() == compiled.signature():
                        source = previous
                        source.rule = compiled
                        source.target = target
                    else:
                        source = Source(compiled, target)
                        row = stored.get(key)
                        if row is not None and len(row.conditions) == len(compiled.conditions):
                            source.active = bool(row.active)
                            source.conds = [CondState(bool(c.get("on")), c.get("since")) for c in row.conditions]
                            source.flips = list(row.flips or [])
                            source.last_ts = row.last_ts
                            source.normal_since = row.normal_since
                            source.flapping = bool(row.flapping)
                    if compiled.timer_only:
                        timer_sources.append(source)
                    else:
                        by_point.setdefault(target.point_id, []).append(source)
                    for c in compiled.conditions:
                        if c["type"] == "baseline":
                            baseline_points[target.point_id] = max(baseline_points.get(target.point_id, 0), c["weeks"])
            seen = {s.target.point_id for s in timer_sources}
            latest: dict[int, int] = {}
            ids = sorted(seen)
            for i in range(0, len(ids), 500):
                rows = db.execute(
                    select(PointLatest.point_id, PointLatest.ts).where(PointLatest.point_id.in_(ids[i : i + 500]))
                )
                latest.update({int(p): int(t) for p, t in rows})
            baselines = baseline.learn(db, baseline_points, now_ms=int(self.clock() * 1000)) if baseline_points else {}
            with self._lock:
                self.by_point = by_point
                self.quiet = {pid: band for pid, sources in by_point.items() if (band := quiet_band(sources))}
                self.timer_sources = timer_sources
                self.devices = frozenset(
                    [s.target.device_id for sources in by_point.values() for s in sources]
                    + [s.target.device_id for s in timer_sources]
                )
                self.flapping = {s for sources in by_point.values() for s in sources if s.flapping} | {
                    s for s in timer_sources if s.flapping
                }
                for pid in seen:
                    self.last_seen.setdefault(pid, -1)  # watched from now on; -1: nothing yet
                for pid, ts in latest.items():
                    if ts > self.last_seen.get(pid, -1):
                        self.last_seen[pid] = int(ts)
                self.context = Context(baselines=baselines, offset_ms=local_offset_ms())
                self._signature = signature
            return sum(len(v) for v in by_point.values()) + len(timer_sources)
        finally:
            if own:
                db.close()

    def refresh_baselines(self) -> None:
        self.load()

    # -- the per-reading path ----------------------------------------------------------------------------------
    def on_received(self, messages: Sequence[InboundMessage]) -> None:
        """Readings as they arrive, before their batch is stored (the ingest runner's `on_receive`): an alarm does
        not wait for the store. The readings of devices not yet in the ingestor's cache are evaluated after they
        are stored (`on_readings`), which passes over those already seen here."""
        devices = self.devices
        if devices:
            self.evaluate((self.ingestor or get_ingestor()).readings_of(messages, devices))

    def on_readings(self, event: ReadingsStored) -> None:
        self.evaluate(event.readings)

    def evaluate(self, readings: Iterable[tuple[int, int, float, int]]) -> None:
        """Each reading against the rules of its point, in order; a reading not newer than the last one a rule
        saw of its point changes nothing (late data, or a reading seen on arrival and again once stored)."""
        by_point = self.by_point
        if not by_point and not self.last_seen:  # no rule looks at any point
            return
        changes: list[Change] = []
        ctx = self.context
        quiet = self.quiet
        with self._lock:
            watched = self.last_seen
            for pid, ts, value, quality in readings:
                if watched and pid in watched and ts > watched[pid]:
                    watched[pid] = ts
                band = quiet.get(pid)
                if band is not None and band[0] <= value <= band[1]:
                    continue
                sources = by_point.get(pid)
                if sources is None or quality:
                    continue
                for source in sources:
                    fast = source.fast
                    if fast is not None and not source.flapping and source.active == source.conds[0].raw:
                        # one plain threshold: decide here whether anything changes
                        high, low, h = fast
                        margin = h if source.active else 0.0
                        holds = value > high - margin or value < low + margin
                        if holds == source.active and (source.last_ts is None or ts >= source.last_ts):
                            source.last_ts = ts
                            continue
                    self._evaluate(source, pid, ts, value, ctx, changes)
                self._reband(pid, sources)
        if changes:
            self._submit(changes)

    def _reband(self, pid: int, sources: list[Source]) -> None:
        band = quiet_band(sources)
        if band is None:
            self.quiet.pop(pid, None)
        else:
            self.quiet[pid] = band

    def _evaluate(self, s: Source, pid: int, ts: int, value: float, ctx: Context, out: list[Change]) -> None:
        if s.last_ts is not None and ts <= s.last_ts:
            return
        s.last_ts = ts
        conds = s.conds
        before = [c.raw for c in conds]
        holds = True
        for c, st in zip(s.rule.conditions, conds, strict=True):
            if not rule_logic.evaluate(c, st, pid, ts, value, ctx):
                holds = False
        changed = any(c.raw != b for c, b in zip(conds, before, strict=True))
        self._transition(s, holds, ts, value, changed, out)

    def _transition(
        self, s: Source, holds: bool, ts: int, value: float | None, changed: bool, out: list[Change]
    ) -> None:
        rule = s.rule
        if holds and not s.active:
            s.active = True
            s.flips = [f for f in s.flips if f > ts - rule.flap_window_ms] + [ts]
            s.normal_since = None
            if s.flapping:  # still flapping: the alarm stayed open; no new notification
                out.append(Change(rule, s.target, s.dump(), "raise", ts, value, notify=False, flapping=True))
            elif len(s.flips) > rule.flap_max:
                s.flapping = True
                self.flapping.add(s)
                out.append(Change(rule, s.target, s.dump(), "raise", ts, value, notify=False, flapping=True))
            else:
                out.append(Change(rule, s.target, s.dump(), "raise", ts, value))
            self.transitions += 1
        elif not holds and s.active:
            s.active = False
            if s.flapping:  # clear later, once it stays normal for the whole window
                s.normal_since = ts
                out.append(Change(rule, s.target, s.dump(), "state", ts, value))
            else:
                out.append(Change(rule, s.target, s.dump(), "clear", ts, value))
            self.transitions += 1
        elif not holds and s.flapping and s.normal_since is not None and ts - s.normal_since >= rule.flap_window_ms:
            self._end_flapping(s, ts, value, out)
        elif changed:
            out.append(Change(rule, s.target, s.dump(), "state", ts, value))

    def _end_flapping(self, s: Source, ts: int, value: float | None, out: list[Change]) -> None:
        s.flapping = False
        s.flips = []
        s.normal_since = None
        self.flapping.discard(s)
        out.append(Change(s.rule, s.target, s.dump(), "clear", ts, value))
        self.transitions += 1

    # -- the timer ---------------------------------------------------------------------------------------------
    def tick(self, now_ms: int | None = None, *, escalate: bool = True) -> None:
        """No-data rules, deferred clears of flapping alarms, and (with `escalate`) escalation of alarms nobody
        acknowledged in time."""
        now = int(self.clock() * 1000) if now_ms is None else now_ms
        changes: list[Change] = []
        with self._lock:
            for s in self.timer_sources:
                cond = s.rule.conditions[0]
                seen_ms = self.last_seen.get(s.target.point_id, -1)
                last = seen_ms if seen_ms >= 0 else None
                holds = rule_logic.no_data_holds(cond, last, self.started_ms, now, s.target.interval_s)
                st = s.conds[0]
                changed = st.raw != holds
                if changed:
                    st.raw = holds
                    st.since = now if holds else None
                s.last_ts = now
                self._transition(s, holds, now, None, changed, changes)
            for s in list(self.flapping):
                if not s.active and s.normal_since is not None and now - s.normal_since >= s.rule.flap_window_ms:
                    self._end_flapping(s, now, None, changes)
                    sources = self.by_point.get(s.target.point_id)
                    if sources is not None:
                        self._reband(s.target.point_id, sources)
        if changes:
            self._submit(changes)
        if escalate and self.may_escalate:
            self._run(lambda: self._escalate(now))

    def _escalate(self, now_ms: int) -> None:
        from digipark.alarms import notify

        notify.escalate_due(dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC), send=self.send)

    # -- writing -----------------------------------------------------------------------------------------------
    def _submit(self, changes: list[Change]) -> None:
        if self.sync:
            self._write(changes)
            return
        with self._pending_lock:
            self._pending += 1
            self._idle.clear()
        self._queue.put(changes)

    def _run(self, fn: Callable[[], None]) -> None:
        if self.sync:
            fn()
            return
        with self._pending_lock:
            self._pending += 1
            self._idle.clear()
        self._queue.put(fn)

    def _write(self, changes: list[Change]) -> None:
        from digipark.alarms import writer

        if any(c.action == "raise" for c in changes):
            self.may_escalate = True
        writer.apply(changes, send=self.send)

    def send(self, fn: Callable[[], None]) -> None:
        """Run a notification (network I/O) off the writer thread; inline when synchronous."""
        if self.sync or self._sender is None:
            fn()
        else:
            self._sender.submit(fn)

    def _writer_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                if callable(item):
                    item()
                else:
                    batch = list(item)
                    while True:  # merge the transitions waiting into one transaction
                        try:
                            more = self._queue.get_nowait()
                        except queue.Empty:
                            break
                        if more is None or callable(more):
                            self._queue.put(more)  # keep its place after this batch
                            break
                        batch.extend(more)
                        self._done()
                    self._write(batch)
            except Exception:
                log.exception("alarms: writing transitions failed")
            finally:
                self._done()

    def _done(self) -> None:
        with self._pending_lock:
            self._pending -= 1
            if self._pending <= 0:
                self._pending = 0
                self._idle.set()

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every queued transition is written (and notifications handed to the sender)."""
        if self.sync:
            return True
        return self._idle.wait(timeout)

    def _timer_loop(self) -> None:
        last_escalation = last_reload = last_baseline = time.monotonic()
        while not self._stop.wait(TICK_S):
            try:
                now = time.monotonic()
                escalate = now - last_escalation >= ESCALATION_EVERY_S
                if escalate:
                    last_escalation = now
                self.tick(escalate=escalate)
                if self._reload_wanted.is_set() or now - last_reload >= RELOAD_EVERY_S:
                    self._reload_wanted.clear()
                    last_reload = now
                    self._maybe_reload(force=now - last_baseline >= BASELINE_EVERY_S)
                    if now - last_baseline >= BASELINE_EVERY_S:
                        last_baseline = now
            except Exception:
                log.exception("alarms: timer failed")

    def _maybe_reload(self, *, force: bool = False) -> None:
        from digipark.core.db import new_session

        with new_session() as db:
            signature = self._rules_signature(db)
        if force or signature != self._signature:
            self.load()

    def _on_rules_changed(self, _event: RulesChanged) -> None:
        if self.sync:
            self.load()
        else:
            self._reload_wanted.set()

    # -- life cycle --------------------------------------------------------------------------------------------
    def start(self) -> None:
        try:
            self.load()
        except Exception:  # a database without the alarm tables, or not reachable yet: the timer retries
            log.exception("alarms: loading rules failed; retrying on the timer")
        bus.subscribe(ReadingsStored, self.on_readings)
        bus.subscribe(RulesChanged, self._on_rules_changed)
        if not self.sync:
            self._sender = ThreadPoolExecutor(max_workers=2, thread_name_prefix="digipark-alarm-notify")
            self._writer = threading.Thread(target=self._writer_loop, name="digipark-alarm-writer", daemon=True)
            self._writer.start()
            self._timer = threading.Thread(target=self._timer_loop, name="digipark-alarm-timer", daemon=True)
            self._timer.start()

    def stop(self, timeout: float = 30.0) -> None:
        bus.unsubscribe(ReadingsStored, self.on_readings)
        bus.unsubscribe(RulesChanged, self._on_rules_changed)
        self._stop.set()
        if self._timer is not None:
            self._timer.join(timeout)
        if self._writer is not None:
            self.drain(timeout)
            self._queue.put(None)
            self._writer.join(timeout)
        if self._sender is not None:
            self._sender.shutdown(wait=True)


# ---------------------------------------------------------------------------------------------------------------
# one engine per process
# ---------------------------------------------------------------------------------------------------------------
_engine: SharedService[RulesEngine] = SharedService(RulesEngine)


def start_rules_engine() -> Handle[RulesEngine]:
    """Start the process's rules engine (or join the running one)."""
    return _engine.acquire()


def running_engine() -> RulesEngine | None:
    return _engine.running


def on_received(messages: list[InboundMessage]) -> None:
    """The running engine's look at messages as they arrive (see RulesEngine.on_received)."""
    engine = _engine.running
    if engine is not None:
        engine.on_received(messages)
