"""The engine's writer: persists rule state and raises or clears alarms for a batch of transitions, in one
transaction (audited as actor "rules"), then hands the notifications to the sender."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

import digipark.audit.service  # noqa: F401  (registers the audit hook)
from digipark.alarms import rules as rule_logic
from digipark.alarms.events import AlarmChanged, AlarmRaised
from digipark.alarms.models import Alarm, AlarmRuleState, AlarmState
from digipark.alarms.service import add_event, emit, open_key
from digipark.audit.service import Actor, set_actor
from digipark.core.config import get_settings
from digipark.core.db import transaction
from digipark.registry.catalog import english_point_name
from digipark.web.i18n import translations

if TYPE_CHECKING:
    from digipark.alarms.engine import Change

ACTOR = Actor("rules", role="system")


def _when(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def _message(change: Change, lang: str | None = None) -> str:
    """The alarm's text, kept with the alarm, in the platform's language or in `lang` (the names in it are the park's
    data: in English the rule's and the point's English names where they have one)."""
    lang = lang or get_settings().default_language
    t = translations(lang).gettext
    target, rule = change.target, change.rule
    unit = "" if target.unit in ("dimensionless", "") else f" {target.unit}"
    value = t("no data") if change.value is None else f"{change.value:g}{unit}"
    conditions = rule_logic.describe(list(rule.conditions), unit, t)
    rule_name, point_name = rule.name, target.name
    if lang == "en":
        rule_name = rule.name_en or rule.name
        point_name = english_point_name(target.name) or target.name
    return f"{rule_name}: {point_name} = {value} ({conditions})"[:500]


def _save_state(session: Session, change: Change, alarm_id: int | None) -> None:
    key = (change.rule.rule_id, change.target.point_id)
    row = session.get(AlarmRuleState, key)
    data = change.state
    if row is None:
        row = AlarmRuleState(rule_id=key[0], point_id=key[1])
        session.add(row)
    row.active = bool(data["active"])
    row.conditions = data["conditions"]
    row.flips = data["flips"]
    row.last_ts = data["last_ts"]
    row.normal_since = data["normal_since"]
    row.flapping = bool(data["flapping"])
    if alarm_id is not None:
        row.alarm_id = alarm_id


def _raise(session: Session, change: Change) -> tuple[Alarm, str] | None:
    rule, target = change.rule, change.target
    key = open_key(rule.rule_id, target.point_id)
    alarm = session.scalar(select(Alarm).where(Alarm.open_key == key))
    when = _when(change.ts)
    if alarm is None:
        alarm = Alarm(
            park_id=target.park_id,
            enterprise_id=target.enterprise_id,
            open_key=key,
            rule_id=rule.rule_id,
            point_id=target.point_id,
            device_id=target.device_id,
            zone_id=target.zone_id,
            building_id=target.building_id,
            severity=rule.severity,
            state=AlarmState.RAISED.value,
            message=_message(change),
            message_en=_message(change, "en"),
            trigger_ts=change.ts,
            trigger_value=change.value,
            last_value=change.value,
            raised_at=when,
            occurrences=1,
            flapping=change.flapping,
            escalation_level=0,
            next_escalation_at=when + dt.timedelta(seconds=rule.escalate_after_s),
        )
        session.add(alarm)
        session.flush()
        add_event(session, alarm, "raised", ACTOR.name, value=change.value, at=when)
        return alarm, "raised"
    alarm.occurrences += 1
    alarm.last_value = change.value
    if alarm.state == AlarmState.CLEARED.value:
        alarm.state = AlarmState.RAISED.value
        alarm.cleared_at = None
        alarm.acknowledged_at = None
        alarm.acknowledged_by = None
        alarm.message = _message(change)
        alarm.message_en = _message(change, "en")
        alarm.trigger_ts = change.ts
        alarm.trigger_value = change.value
        alarm.escalation_level = 0
        alarm.next_escalation_at = when + dt.timedelta(seconds=rule.escalate_after_s)
        alarm.flapping = alarm.flapping or change.flapping
        add_event(session, alarm, "raised_again", ACTOR.name, value=change.value, at=when)
        return alarm, "raised_again"
    if change.flapping and not alarm.flapping:
        alarm.flapping = True
        add_event(session, alarm, "flapping", ACTOR.name, value=change.value, at=when)
        return alarm, "flapping"
    return None


def _clear(session: Session, change: Change) -> tuple[Alarm, str] | None:
    key = open_key(change.rule.rule_id, change.target.point_id)
    alarm = session.scalar(select(Alarm).where(Alarm.open_key == key))
    if alarm is None or alarm.state not in (AlarmState.RAISED.value, AlarmState.ACKNOWLEDGED.value):
        return None
    when = _when(change.ts)
    alarm.state = AlarmState.CLEARED.value
    alarm.cleared_at = when
    alarm.flapping = False
    alarm.next_escalation_at = None
    if change.value is not None:
        alarm.last_value = change.value
    add_event(session, alarm, "cleared", ACTOR.name, value=change.value, at=when)
    return alarm, "cleared"


def apply(changes: list[Change], *, send: Callable[[Callable[[], None]], None]) -> None:
    """Write one batch of transitions; notify about the alarms raised (unless flapping)."""
    from digipark.alarms import notify

    to_notify: list[tuple[int, str]] = []
    with transaction(write=True) as session:
        set_actor(session, ACTOR)
        for change in changes:
            outcome = None
            if change.action == "raise":
                outcome = _raise(session, change)
            elif change.action == "clear":
                outcome = _clear(session, change)
            alarm_id = outcome[0].id if outcome is not None else None
            _save_state(session, change, alarm_id)
            if outcome is not None:
                alarm, action = outcome
                emit(session, alarm, action, AlarmRaised if action in ("raised", "raised_again") else AlarmChanged)
                if action in ("raised", "raised_again") and change.notify:
                    to_notify.append((alarm.id, "raised"))
        session.flush()
    if to_notify:

        def go() -> None:
            notify.notify_alarms(to_notify, level=0)

        send(go)
