"""Alarms raised by another domain from an event it received (a camera's intrusion, a forced door), not by a rule
on live data.

Each (park, source kind) has one rule of kind `external` that is never evaluated (kept disabled; it only names the
alarms and carries their escalation time). An event of a source still open raises the same alarm again (one more
occurrence); the alarm's message is the title's msgid, translated where it is shown. External alarms never clear by
themselves: staff close them once handled.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms import rules as rule_logic
from digipark.alarms.events import AlarmRaised, RulesChanged
from digipark.alarms.models import Alarm, AlarmRule, AlarmState
from digipark.alarms.service import EXTERNAL_KIND, add_event, emit
from digipark.core.db import utcnow
from digipark.core.errors import field_error
from digipark.core.events import queue_event
from digipark.registry.models import Building

EXTERNAL = EXTERNAL_KIND


def is_external(rule: AlarmRule | None) -> bool:
    return rule is not None and rule.kind == EXTERNAL


def _rule(session: Session, park_id: int, source_kind: str, title_key: str, severity: str) -> AlarmRule:
    key = f"{EXTERNAL}:{source_kind}"
    rule = session.scalar(select(AlarmRule).where(AlarmRule.park_id == park_id, AlarmRule.key == key))
    if rule is None:
        rule = AlarmRule(
            park_id=park_id,
            key=key,
            name=title_key,
            kind=EXTERNAL,
            conditions=[],
            severity=severity,
            enabled=False,
            escalate_after_s=int(rule_logic.default("escalate_after_s")),
            flap_window_s=int(rule_logic.default("flap_window_s")),
            flap_max=int(rule_logic.default("flap_max")),
        )
        session.add(rule)
        session.flush()
    return rule


def _open_key(rule_id: int, source_ref: str) -> str:
    return f"x{rule_id}:{hashlib.sha256(source_ref.encode()).hexdigest()[:24]}"


def raise_external(
    session: Session,
    *,
    park_id: int,
    source_kind: str,
    source_ref: str,
    severity: str,
    title_key: str,
    detail: str | None = None,
    building_id: int | None = None,
    enterprise_id: int | None = None,
    at: dt.datetime | None = None,
) -> Alarm:
    """Raise (or raise again, while still open) the alarm of `source_ref` (e.g. a camera) of kind `source_kind`
    (e.g. "security:intrusion") in the park. `title_key` is an English msgid the caller's catalogue translates;
    `detail` (where, what) goes into the alarm's history. The caller has checked its own permission."""
    if severity not in rule_logic.severities():
        raise field_error("severity", f"one of {', '.join(rule_logic.severities())}")
    zone_id = None
    if building_id is not None:
        building = session.get(Building, building_id)
        if building is None or building.park_id != park_id:
            raise field_error("building_id", "no such building in this park")
        zone_id = building.zone_id
    rule = _rule(session, park_id, source_kind, title_key, severity)
    when = at or utcnow()
    key = _open_key(rule.id, source_ref)
    alarm = session.scalar(select(Alarm).where(Alarm.open_key == key))
    if alarm is not None:
        alarm.occurrences += 1
        if alarm.state == AlarmState.CLEARED.value:
            alarm.state = AlarmState.RAISED.value
            alarm.cleared_at = None
        session.flush()
        add_event(session, alarm, "raised_again", EXTERNAL, comment=detail, at=when)
        emit(session, alarm, "raised_again", AlarmRaised)
        return alarm
    alarm = Alarm(
        park_id=park_id,
        enterprise_id=enterprise_id,
        open_key=key,
        rule_id=rule.id,
        zone_id=zone_id,
        building_id=building_id,
        severity=severity,
        state=AlarmState.RAISED.value,
        message=title_key[:500],
        trigger_ts=int(when.timestamp() * 1000),
        raised_at=when,
        occurrences=1,
        escalation_level=0,
        next_escalation_at=when + dt.timedelta(seconds=rule.escalate_after_s),
        comment=detail[:2000] if detail else None,
    )
    session.add(alarm)
    session.flush()
    add_event(session, alarm, "raised", EXTERNAL, comment=detail[:2000] if detail else None, at=when)
    emit(session, alarm, "raised", AlarmRaised)
    # the rules engine looks for alarms to escalate only once it knows one may exist (it checks when rules change)
    queue_event(session, RulesChanged(park_id=park_id, rule_ids=(rule.id,)))
    return alarm


@dataclasses.dataclass(frozen=True)
class ExternalAlarm:
    """One alarm of `raise_external_many` (the arguments of `raise_external`, without a building)."""

    source_kind: str
    source_ref: str
    severity: str
    title_key: str
    detail: str | None = None
    enterprise_id: int | None = None
    at: dt.datetime | None = None


def raise_external_many(session: Session, *, park_id: int, alarms: Sequence[ExternalAlarm]) -> list[int]:
    """`raise_external` for many alarms of one park at once (a batch of security incidents): the same alarms, each
    rule and the open alarms read once, one flush for the new alarms and one for their history. Returns the alarm
    ids in the order given."""
    if not alarms:
        return []
    for item in alarms:
        if item.severity not in rule_logic.severities():
            raise field_error("severity", f"one of {', '.join(rule_logic.severities())}")
    rules: dict[str, AlarmRule] = {}
    for item in alarms:
        if item.source_kind not in rules:
            rules[item.source_kind] = _rule(session, park_id, item.source_kind, item.title_key, item.severity)
    keys = [_open_key(rules[item.source_kind].id, item.source_ref) for item in alarms]
    open_alarms: dict[str, Alarm] = {}
    unique = sorted(set(keys))
    for start in range(0, len(unique), 500):
        for row in session.scalars(select(Alarm).where(Alarm.open_key.in_(unique[start : start + 500]))):
            open_alarms[row.open_key or ""] = row
    result: list[Alarm] = []
    history: list[tuple[Alarm, str, str | None, dt.datetime]] = []
    new_rules: set[int] = set()
    for item, key in zip(alarms, keys, strict=True):
        when = item.at or utcnow()
        detail = item.detail[:2000] if item.detail else None
        alarm = open_alarms.get(key)
        if alarm is not None:
            alarm.occurrences += 1
            if alarm.state == AlarmState.CLEARED.value:
                alarm.state = AlarmState.RAISED.value
                alarm.cleared_at = None
            history.append((alarm, "raised_again", detail, when))
        else:
            rule = rules[item.source_kind]
            alarm = Alarm(
                park_id=park_id,
                enterprise_id=item.enterprise_id,
                open_key=key,
                rule_id=rule.id,
                severity=item.severity,
                state=AlarmState.RAISED.value,
                message=item.title_key[:500],
                trigger_ts=int(when.timestamp() * 1000),
                raised_at=when,
                occurrences=1,
                escalation_level=0,
                next_escalation_at=when + dt.timedelta(seconds=rule.escalate_after_s),
                comment=detail,
            )
            session.add(alarm)
            open_alarms[key] = alarm
            new_rules.add(rule.id)
            history.append((alarm, "raised", detail, when))
        result.append(alarm)
    session.flush()
    for alarm, action, detail, when in history:
        add_event(session, alarm, action, EXTERNAL, comment=detail, at=when)
        emit(session, alarm, action, AlarmRaised)
    if new_rules:
        queue_event(session, RulesChanged(park_id=park_id, rule_ids=tuple(sorted(new_rules))))
    session.flush()
    return [alarm.id for alarm in result]
