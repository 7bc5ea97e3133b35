"""What a firing sends outside the platform — webhooks and notifications — is called after the firing's write
transaction committed, never inside it, so a slow receiver holds no database write.

`service.fire` logs such an action as `pending` (a notification with its recipients: the people on duty at the
firing's moment, from the duty module's rosters, each by SMS to their roster mobile number or else by e-mail; or
the action's one address) and queues a `Work` on the session (`take`). The engine commits, then `perform`s each
work (the webhook's POST, the e-mails, SMS and robot messages through the alarms module's channels) and, in a
short second transaction, `record`s the outcome in the firing's log: `done`, `partial` (some recipients failed),
`failed` or `refused` (an address inside the platform's network: core/network.py), each recipient with its
own `sent` / `failed` and error.

Nothing logged `pending` is lost when a process stops between the commit and the sending: the firing counts its
unsent actions and the firing process holds a lease on sending them (`LEASE`). Once the lease has run out — the
process stopped, or was killed — the engine of any process (`stranded`, looked for every `SWEEP_EVERY_S` and at
start) takes the firing with a new lease and sends them again, marked `resent`. A message that went out just before
a crash, its outcome unrecorded, may so arrive twice: at least once, never silently dropped."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from digipark.alarms.provides import ROBOT_CHANNELS, send_email, send_robot, sms_provider
from digipark.auth.models import User
from digipark.automation import webhook
from digipark.automation.models import AutomationFiring, AutomationRule, AutomationScene
from digipark.automation.provides import allowed_networks as allowed_networks
from digipark.core import network
from digipark.core.config import get_settings
from digipark.core.db import utcnow
from digipark.duty.provides import member_phone, on_duty

log = logging.getLogger("digipark.automation.delivery")
PENDING = "automation_pending"  # the session.info key of the works queued by service.fire
LEASE = dt.timedelta(minutes=10)  # longer than any send takes (robots' and webhooks' timeouts, retries)
SWEEP_EVERY_S = 60.0
RULE_CHANGED = "not sent before a stop, and the rule has changed since"


@dataclasses.dataclass
class Work:
    """One action to send after the commit: the action as stored (with its secret), what to send and where."""

    park_id: int
    rule_id: int
    index: int
    action: dict[str, Any]
    allowed: tuple[str, ...]
    body: bytes = b""
    recipients: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    firing_id: int | None = None


def recipients(session: Session, park_id: int, action: dict[str, Any], ts: int) -> list[dict[str, Any]]:
    """Whom a notification reaches at `ts` (ms): the people on duty then (of the action's team, if it names one),
    each once, by SMS to their roster mobile number or else by e-mail; or the action's own channel and address."""
    if action.get("channel", "roster") != "roster":
        return [{"channel": action["channel"], "address": action["address"]}]
    at = dt.datetime.fromtimestamp(ts / 1000, dt.UTC)
    found: list[dict[str, Any]] = []
    seen: set[int] = set()
    for shift in on_duty(session, park_id=park_id, at=at):
        if action.get("team_id") is not None and shift.team_id != action["team_id"]:
            continue
        for user_id in shift.user_ids:
            if user_id in seen:
                continue
            seen.add(user_id)
            user = session.get(User, user_id)
            name = user.display_name if user is not None else str(user_id)
            phone = member_phone(session, park_id=park_id, user_id=user_id)
            if phone:
                found.append({"user_id": user_id, "name": name, "channel": "sms", "address": phone})
            elif user is not None and user.email:
                found.append({"user_id": user_id, "name": name, "channel": "email", "address": user.email})
            else:
                found.append({"user_id": user_id, "name": name, "channel": None, "address": None})
    return found


def _link(rule_id: int) -> str:
    return f"{get_settings().alarms_public_url.rstrip('/')}/automation/rules/{rule_id}"


def _send_one(work: Work, recipient: dict[str, Any]) -> None:
    """One message; raises when it did not go out."""
    action, channel, address = work.action, recipient.get("channel"), recipient.get("address")
    text = f"【园区自动化·{action['to']}】{action['text']}"
    if channel is None or not address:
        raise RuntimeError("the person on duty has neither a mobile number on the roster nor an e-mail address")
    if channel == "email":
        send_email(address, f"[digipark] {action['to']}: {action['text']}"[:200], f"{text}\n{_link(work.rule_id)}")
    elif channel == "sms":
        provider = sms_provider()
        if provider is None:
            raise RuntimeError("no SMS provider configured (DIGIPARK_SMS_PROVIDER)")
        provider.send(address, {"alarm": f"{action['to']}:{action['text']}"[:35], "link": _link(work.rule_id)})
    elif channel in ROBOT_CHANNELS:
        timeout = get_settings().alarms_notify_timeout_s
        post = network.pinned_post(work.allowed)
        send_robot(channel, address, text, action.get("secret"), timeout=timeout, post=post)
    else:
        raise RuntimeError(f"not a channel: {channel}")


def _notify(work: Work) -> dict[str, Any]:
    if not work.recipients:
        return {"status": "failed", "error": "nobody on duty", "recipients": []}
    sent = []
    for recipient in work.recipients:
        try:
            _send_one(work, recipient)
        except Exception as exc:  # recorded, never raised: one recipient's failure must not stop the others
            log.warning("automation rule %s: a notification failed: %s", work.rule_id, exc)
            status = "refused" if isinstance(exc, PermissionError) else "failed"
            sent.append({**recipient, "status": status, "error": f"{type(exc).__name__}: {exc}"[:300]})
        else:
            sent.append({**recipient, "status": "sent"})
    ok = sum(r["status"] == "sent" for r in sent)
    if ok == len(sent):
        status = "done"
    elif ok:
        status = "partial"
    else:
        status = "refused" if all(r["status"] == "refused" for r in sent) else "failed"
    return {"status": status, "recipients": sent}


def perform(work: Work) -> dict[str, Any]:
    """Send one work (no database): its outcome for the firing log."""
    if work.action["kind"] == "webhook":
        return webhook.call(work.action, work.body, allowed=work.allowed)
    return _notify(work)


def take(session: Session) -> list[Work]:
    """The works `service.fire` queued on this session (removed from it)."""
    return list(session.info.pop(PENDING, []))


def record(session: Session, done: Iterable[tuple[Work, dict[str, Any]]]) -> None:
    """Write the outcomes into their firings' logs."""
    for work, outcome in done:
        row = session.get(AutomationFiring, work.firing_id) if work.firing_id is not None else None
        if row is None:
            continue
        actions = [dict(a) for a in row.actions]
        actions[work.index] = {**actions[work.index], **outcome}
        _set_actions(row, actions)
    session.flush()


def _set_actions(row: AutomationFiring, actions: list[dict[str, Any]]) -> None:
    row.actions = actions
    row.unsent_actions = sum(a.get("status") == "pending" for a in actions)
    if not row.unsent_actions:
        row.send_lease_until = None


def has_stranded(session: Session, now: dt.datetime | None = None) -> bool:
    """Whether any firing has unsent actions whose sending lease ran out (a cheap read before `stranded`)."""
    return session.scalar(_stranded_query(now or utcnow()).limit(1)) is not None


def _stranded_query(now: dt.datetime) -> Any:
    return (
        select(AutomationFiring)
        .where(
            AutomationFiring.unsent_actions > 0,
            or_(AutomationFiring.send_lease_until.is_(None), AutomationFiring.send_lease_until < now),
        )
        .order_by(AutomationFiring.id)
    )


def stranded(session: Session, now: dt.datetime | None = None, limit: int = 200) -> list[Work]:
    """The unsent actions of firings whose sending lease ran out, taken with a new lease (in the caller's write
    transaction) to be sent again. The secret of a webhook or robot, masked in the log, comes from the rule or
    scene action the log matches; an action no longer found there is logged `failed` instead of sent."""
    now = now or utcnow()
    works: list[Work] = []
    rows = session.scalars(_stranded_query(now).limit(limit).with_for_update(skip_locked=True)).all()
    for row in rows:
        allowed = allowed_networks(session, row.park_id)
        stored = _stored_actions(session, row.rule_id)
        actions = [dict(a) for a in row.actions]
        for index, logged in enumerate(actions):
            if logged.get("status") != "pending":
                continue
            action = next((a for a in stored if _is_logged_as(a, logged)), None)
            if action is None:
                actions[index] = {**logged, "status": "failed", "error": RULE_CHANGED}
                continue
            work = Work(row.park_id, row.rule_id, index, dict(action), allowed, firing_id=row.id)
            if action["kind"] == "webhook":
                work.body = webhook.body_of(rule_id=row.rule_id, park_id=row.park_id, ts=row.ts, inputs=row.inputs)
            else:
                work.recipients = list(logged.get("recipients") or [])
            works.append(work)
        _set_actions(row, actions)
        row.send_lease_until = now + LEASE
        log.warning("automation rule %s: resending %d action(s) of firing %d", row.rule_id, row.unsent_actions, row.id)
    session.flush()
    return works


def _stored_actions(session: Session, rule_id: int) -> list[dict[str, Any]]:
    """The rule's actions and those of its park's scenes (a firing carries out a scene's actions too)."""
    rule = session.get(AutomationRule, rule_id)
    if rule is None:
        return []
    scenes = session.scalars(select(AutomationScene.actions).where(AutomationScene.park_id == rule.park_id))
    return [*rule.actions, *(action for actions in scenes for action in actions)]


def _is_logged_as(action: dict[str, Any], logged: dict[str, Any]) -> bool:
    return all(logged.get(key) == value for key, value in action.items() if key != "secret")


def resent(outcome: dict[str, Any]) -> dict[str, Any]:
    return {**outcome, "resent": True}


def run(session: Session, works: Iterable[Work]) -> None:
    """Perform and record in the caller's session (tests and benchmarks; the engine performs after its commit)."""
    record(session, [(work, perform(work)) for work in works])
