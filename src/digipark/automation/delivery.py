"""What a firing sends outside the platform — webhooks and notifications — is called after the firing's write
transaction committed, never inside it, so a slow receiver holds no database write.

`service.fire` logs such an action as `pending` (a notification with its recipients: the people on duty at the
firing's moment, from the duty module's rosters, each by SMS to their roster mobile number or else by e-mail; or
the action's one address) and queues a `Work` on the session (`take`). The engine commits, then `perform`s each
work (the webhook's POST, the e-mails, SMS and robot messages through the alarms module's channels) and, in a
short second transaction, `record`s the outcome in the firing's log: `done`, `partial` (some recipients failed),
`failed` or `refused` (an address inside the platform's network: automation/network.py), each recipient with its
own `sent` / `failed` and error."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from digipark.alarms.provides import ROBOT_CHANNELS, send_email, send_robot, sms_provider
from digipark.auth.models import User
from digipark.automation import network, webhook
from digipark.automation.models import AutomationFiring
from digipark.automation.provides import allowed_networks as allowed_networks
from digipark.core.config import get_settings
from digipark.duty.provides import member_phone, on_duty

log = logging.getLogger("digipark.automation.delivery")
PENDING = "automation_pending"  # the session.info key of the works queued by service.fire


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
        refused = network.refusal(address, work.allowed)
        if refused is not None:
            raise PermissionError(refused)
        send_robot(channel, address, text, action.get("secret"), timeout=get_settings().alarms_notify_timeout_s)
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
        row.actions = actions
    session.flush()


def run(session: Session, works: Iterable[Work]) -> None:
    """Perform and record in the caller's session (tests and benchmarks; the engine performs after its commit)."""
    record(session, [(work, perform(work)) for work in works])
