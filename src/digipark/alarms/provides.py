"""What the alarms module offers other modules (declared in alarms.module), keyword-only after the session and
through the caller's scope:

- `get(session, scope=, ident=) -> Alarm`: one alarm (NotFound outside the scope) — safety links incidents to it;
- `acknowledge(session, scope=, ident=, comment=)`: raised → acknowledged, and `list_alarms(session, scope=, query=,
  active=)`: the alarms the caller may read — the duty app;
- `active_counts(session, scope=, park_id=) -> list[AlarmCount]`: raised or acknowledged alarms by zone, building,
  enterprise and severity — safety's situation picture;
- `ensure_threshold_rule(session, scope=, park_id=, point_id=, key=, name=, above=, below=, severity=,
  name_en=) -> int`: create or update the threshold rule identified by `key` — environment's outlet limits;
  `retire_threshold_rule(session, scope=, park_id=, key=)` disables it (an asset class no longer declaring the
  indicator);
- `raise_external(session, park_id=, source_kind=, source_ref=, severity=, title_key=, detail=, building_id=,
  enterprise_id=, at=) -> Alarm`: an alarm from an event another module received (living's security events);
- `raise_external_many(session, park_id=, alarms=[ExternalAlarm(...)]) -> list[int]`: many at once, one flush
  (cybersec's batches of incidents);
- `AlarmRaised`: the event published after an alarm is raised — safety's automatic incidents subscribe to it;
  `AlarmChanged` (acknowledged, cleared, closed, escalated, flapping) — automation's event triggers;
- the rule conditions' checks and evaluation (`normalise_conditions`, `evaluate_condition`, `CondState`,
  `ConditionContext`, `ConditionError`) — automation's reading triggers use the same conditions as alarm rules;
- `send_robot(channel, url, text, secret, timeout=)`, `ROBOT_CHANNELS`: a text to a 钉钉/企业微信/飞书 group robot —
  the scheduled reports' chat delivery;
- `send_email(address, subject, text)`, `sms_provider() -> SmsProvider | None`: the alarms' configured SMTP server
  and SMS provider (DIGIPARK_ALARMS_SMTP_*, DIGIPARK_SMS_*) — automation's `notify` action;
- `raised_between(session, park_id=, since=, until=)`: (raised at, severity, building, alarm id) of the park's
  alarms raised in a period — automation's dry-run over history;
- `raised_times(session, scope=, park_id=, since=, until=)`: when the alarms the caller may read were raised in a
  period (an enterprise: its own) — safety's next-week trend;
- `alarm_message(message, translate, english=None)`: an alarm's message as the pages show it (`english`, the
  alarm's `message_en`, on an English page where it has one; a msgid translated; a rule's text with its values as
  it is);
- `ack_path(alarm_id, subject)`: the path of a signed acknowledge link for "u<user id>" — the duty app's push;
- `open_alarms(session, scope=, park_id=, limit=)`: the newest open alarms the caller may read (id, severity, state,
  message, building, device, point, raised at) — the operations centre's map and alarm ticker.
"""

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms.acklink import path as ack_path
from digipark.alarms.events import AlarmChanged, AlarmRaised
from digipark.alarms.external import ExternalAlarm, raise_external, raise_external_many
from digipark.alarms.live import shown_message as alarm_message
from digipark.alarms.models import OPEN_STATES, Alarm
from digipark.alarms.notify import send_email
from digipark.alarms.robots import ROBOT_CHANNELS, send_robot
from digipark.alarms.rules import ConditionError, CondState, normalise_conditions
from digipark.alarms.rules import Context as ConditionContext
from digipark.alarms.rules import evaluate as evaluate_condition
from digipark.alarms.service import (
    VIEW,
    acknowledge,
    active_counts,
    ensure_threshold_rule,
    get,
    retire_threshold_rule,
)
from digipark.alarms.service import list as list_alarms
from digipark.alarms.sms import SmsProvider
from digipark.alarms.sms import configured_provider as sms_provider
from digipark.auth.scope import Scope

__all__ = [
    "ROBOT_CHANNELS",
    "AlarmChanged",
    "AlarmRaised",
    "CondState",
    "ConditionContext",
    "ConditionError",
    "ExternalAlarm",
    "SmsProvider",
    "ack_path",
    "acknowledge",
    "active_counts",
    "alarm_message",
    "ensure_threshold_rule",
    "evaluate_condition",
    "get",
    "list_alarms",
    "normalise_conditions",
    "open_alarms",
    "raise_external",
    "raise_external_many",
    "raised_between",
    "raised_times",
    "retire_threshold_rule",
    "send_email",
    "send_robot",
    "sms_provider",
]


def raised_between(
    session: Session, *, park_id: int, since: dt.datetime, until: dt.datetime
) -> list[tuple[dt.datetime, str, int | None, int]]:
    """(raised at, severity, building id, alarm id) of the park's alarms raised in [since, until], oldest first."""
    rows = session.execute(
        select(Alarm.raised_at, Alarm.severity, Alarm.building_id, Alarm.id)
        .where(Alarm.park_id == park_id, Alarm.raised_at >= since, Alarm.raised_at <= until)
        .order_by(Alarm.raised_at, Alarm.id)
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def raised_times(
    session: Session, *, scope: Scope, park_id: int, since: dt.datetime, until: dt.datetime
) -> list[dt.datetime]:
    """When the park's alarms the caller may read were raised in [since, until), oldest first."""
    scope.require(VIEW)
    rows = session.scalars(
        scope.readable(Alarm, select(Alarm.raised_at))
        .where(Alarm.park_id == park_id, Alarm.raised_at >= since, Alarm.raised_at < until)
        .order_by(Alarm.raised_at)
    )
    return list(rows)


def open_alarms(session: Session, *, scope: Scope, park_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """The park's newest open (raised, acknowledged or cleared) alarms the caller may read, newest first."""
    scope.require(VIEW)
    rows = session.scalars(
        scope.readable(Alarm)
        .where(Alarm.park_id == park_id, Alarm.state.in_(sorted(OPEN_STATES)))
        .order_by(Alarm.raised_at.desc(), Alarm.id.desc())
        .limit(limit)
    )
    return [
        {
            "id": a.id,
            "severity": a.severity,
            "state": a.state,
            "message": a.message,
            "message_en": a.message_en,
            "building_id": a.building_id,
            "device_id": a.device_id,
            "point_id": a.point_id,
            "enterprise_id": a.enterprise_id,
            "raised_at": a.raised_at.isoformat(),
        }
        for a in rows
    ]
