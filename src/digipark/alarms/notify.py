"""Notifications of alarms: e-mail over SMTP, signed webhooks, chat robots (钉钉, 企业微信, 飞书: `alarms.robots`) and
SMS (`alarms.sms`), to the contacts of an escalation level and to the person of the duty roster at that level
(level 0: the first person on duty, level 1: the next, …, then the team leads; `duty.provides.escalation_roster`),
and escalation to the next level when an alarm stays unacknowledged past its rule's `escalate_after_s`. Every message
carries a signed link that acknowledges the alarm as its recipient (`alarms.acklink`).

Webhook body: JSON (`alarm_payload`), header `X-Digipark-Signature: sha256=<hex HMAC-SHA256 of the body>` keyed with
the contact's secret (or DIGIPARK_ALARMS_WEBHOOK_SECRET). Every attempt is recorded in `alarm_delivery`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import httpx
import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms import acklink
from digipark.alarms.models import (
    SEVERITY_RANK,
    Alarm,
    AlarmRule,
    AlarmState,
    NotificationContact,
    NotificationDelivery,
)
from digipark.alarms.robots import ROBOT_CHANNELS, send_robot
from digipark.alarms.rules import severity_names
from digipark.alarms.sms import configured_provider
from digipark.audit.service import Actor, set_actor
from digipark.auth.models import User
from digipark.core.config import get_settings
from digipark.core.db import transaction
from digipark.duty.provides import escalation_roster, member_phone

log = logging.getLogger("digipark.alarms.notify")
SIGNATURE_HEADER = "X-Digipark-Signature"
ACTOR = Actor("notifier", role="system")


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, header: str) -> bool:
    return hmac.compare_digest(sign(body, secret), header)


def alarm_payload(alarm: Alarm, reason: str, level: int, subject: str | None = None) -> dict[str, Any]:
    """The message's content; `subject` ("u<user id>" / "c<contact id>"): whom its acknowledge link acts as."""
    payload = {
        "event": f"alarm.{reason}",
        "alarm_id": alarm.id,
        "rule_id": alarm.rule_id,
        "park_id": alarm.park_id,
        "enterprise_id": alarm.enterprise_id,
        "zone_id": alarm.zone_id,
        "building_id": alarm.building_id,
        "point_id": alarm.point_id,
        "severity": alarm.severity,
        "state": alarm.state,
        "message": alarm.message,
        "value": alarm.last_value,
        "trigger_ts": alarm.trigger_ts,
        "raised_at": alarm.raised_at.isoformat(),
        "escalation_level": level,
        "url": f"{get_settings().alarms_public_url.rstrip('/')}/alarms/{alarm.id}",
    }
    if subject is not None:
        payload["acknowledge_url"] = acklink.link(alarm.id, subject)
    return payload


def alarm_text(alarm: Alarm, payload: dict[str, Any], reason: str, level: int) -> str:
    """The short text of chat robots and SMS-like channels: severity, message, number, the links."""
    labels = severity_names("zh")
    lines = [
        f"【园区告警·{labels.get(alarm.severity, alarm.severity)}】{alarm.message}",
        f"告警编号 {alarm.id}，升级级别 {level}，{reason}",
        str(payload["url"]),
    ]
    if "acknowledge_url" in payload:
        lines.append(f"确认告警：{payload['acknowledge_url']}")
    return "\n".join(lines)


def send_sms(phone: str, alarm: Alarm, payload: dict[str, Any]) -> None:
    provider = configured_provider()
    if provider is None:
        raise RuntimeError("no SMS provider configured (DIGIPARK_SMS_PROVIDER)")
    labels = severity_names("zh")
    summary = f"{labels.get(alarm.severity, alarm.severity)}:{alarm.message}"[:35]
    provider.send(phone, {"alarm": summary, "link": str(payload.get("acknowledge_url") or payload["url"])})


def contacts_for(session: Session, alarm: Alarm, level: int) -> list[NotificationContact]:
    rank = SEVERITY_RANK.get(alarm.severity, 0)
    rows = session.scalars(
        select(NotificationContact).where(
            NotificationContact.park_id == alarm.park_id,
            NotificationContact.active.is_(True),
            NotificationContact.level == level,
        )
    )
    return [
        c
        for c in rows
        if SEVERITY_RANK.get(c.min_severity, 0) <= rank
        and (c.enterprise_id is None or c.enterprise_id == alarm.enterprise_id)
    ]


def send_email(address: str, subject: str, text: str) -> None:
    settings = get_settings()
    if not settings.alarms_smtp_host:
        raise RuntimeError("no SMTP server configured (DIGIPARK_ALARMS_SMTP_HOST)")
    message = EmailMessage()
    message["From"] = settings.alarms_smtp_from
    message["To"] = address
    message["Subject"] = subject
    message.set_content(text)
    timeout = settings.alarms_notify_timeout_s
    with smtplib.SMTP(settings.alarms_smtp_host, settings.alarms_smtp_port, timeout=timeout) as s:
        if settings.alarms_smtp_starttls:
            s.starttls()
        if settings.alarms_smtp_username:
            s.login(settings.alarms_smtp_username, settings.alarms_smtp_password or "")
        s.send_message(message)


def send_webhook(url: str, body: bytes, secret: str) -> None:
    response = httpx.post(
        url,
        content=body,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)},
        timeout=get_settings().alarms_notify_timeout_s,
    )
    response.raise_for_status()


def _deliver(contact: NotificationContact, alarm: Alarm, reason: str, level: int) -> str | None:
    """Send one notification; the error text, or None when it went out."""
    payload = alarm_payload(alarm, reason, level, subject=f"c{contact.id}")
    try:
        if contact.channel == "email":
            labels = severity_names("zh")
            subject = f"[digipark {labels.get(alarm.severity, alarm.severity)}] {alarm.message}"[:200]
            lines = [f"{k}: {v}" for k, v in payload.items()]
            send_email(contact.address, subject, "\n".join(lines))
        elif contact.channel in ROBOT_CHANNELS:
            text = alarm_text(alarm, payload, reason, level)
            send_robot(
                contact.channel, contact.address, text, contact.secret, timeout=get_settings().alarms_notify_timeout_s
            )
        elif contact.channel == "sms":
            send_sms(contact.address, alarm, payload)
        else:
            body = orjson.dumps(payload)
            send_webhook(contact.address, body, contact.secret or get_settings().alarms_webhook_secret)
    except Exception as exc:  # recorded, never raised: one contact's failure must not stop the others
        log.warning("alarm %s: notifying contact %s failed: %s", alarm.id, contact.id, exc)
        return f"{type(exc).__name__}: {exc}"[:500]
    return None


def roster_person(session: Session, alarm: Alarm, level: int, at: dt.datetime | None = None) -> User | None:
    """The person of the duty roster an alarm reaches at an escalation level (None: the roster has nobody there)."""
    order = escalation_roster(session, park_id=alarm.park_id, at=at)
    return session.get(User, order[level]) if level < len(order) else None


def _deliver_to_person(
    session: Session, user: User, alarm: Alarm, reason: str, level: int
) -> tuple[str, str, str | None]:
    """Notify a person on duty by SMS (their roster mobile number) or else e-mail: (channel, address, error)."""
    payload = alarm_payload(alarm, reason, level, subject=f"u{user.id}")
    phone = member_phone(session, park_id=alarm.park_id, user_id=user.id)
    channel, address = ("sms", phone) if phone else ("email", user.email or "")
    try:
        if phone:
            send_sms(phone, alarm, payload)
        elif user.email:
            labels = severity_names("zh")
            subject = f"[digipark {labels.get(alarm.severity, alarm.severity)}] {alarm.message}"[:200]
            send_email(user.email, subject, alarm_text(alarm, payload, reason, level))
        else:
            raise RuntimeError("the person on duty has neither a mobile number on the roster nor an e-mail address")
    except Exception as exc:
        log.warning("alarm %s: notifying the person on duty %s failed: %s", alarm.id, user.id, exc)
        return channel, address, f"{type(exc).__name__}: {exc}"[:500]
    return channel, address, None


def notify_alarms(items: list[tuple[int, str]], *, level: int) -> int:
    """Notify the contacts of `level` about these (alarm id, reason); returns how many deliveries succeeded."""
    sent = 0
    with transaction(write=True) as session:
        set_actor(session, ACTOR)
        for alarm_id, reason in items:
            alarm = session.get(Alarm, alarm_id)
            if alarm is None:
                continue
            for contact in contacts_for(session, alarm, level):
                error = _deliver(contact, alarm, reason, level)
                sent += error is None
                session.add(
                    NotificationDelivery(
                        park_id=alarm.park_id,
                        alarm_id=alarm.id,
                        contact_id=contact.id,
                        channel=contact.channel,
                        address=contact.address,
                        level=level,
                        reason=reason,
                        status="sent" if error is None else "failed",
                        error=error,
                    )
                )
            person = roster_person(session, alarm, level)
            if person is not None:
                channel, address, error = _deliver_to_person(session, person, alarm, reason, level)
                sent += error is None
                session.add(
                    NotificationDelivery(
                        park_id=alarm.park_id,
                        alarm_id=alarm.id,
                        user_id=person.id,
                        channel=channel,
                        address=address[:500],
                        level=level,
                        reason=reason,
                        status="sent" if error is None else "failed",
                        error=error,
                    )
                )
    return sent


def escalate_due(now: dt.datetime, *, send: Callable[[Callable[[], None]], None] | None = None) -> list[int]:
    """Move every raised (unacknowledged) alarm whose escalation time has come to the next level and notify that
    level's contacts and the next person of the duty roster; an alarm with neither at the next level stops
    escalating. Returns the alarm ids."""
    from digipark.alarms.events import AlarmChanged
    from digipark.alarms.service import add_event, emit

    escalated: list[tuple[int, int]] = []
    with transaction(write=True) as session:
        set_actor(session, Actor("escalation", role="system"))
        due = session.scalars(
            select(Alarm).where(
                Alarm.state == AlarmState.RAISED.value,
                Alarm.next_escalation_at.is_not(None),
                Alarm.next_escalation_at <= now,
            )
        ).all()
        for alarm in due:
            level = alarm.escalation_level + 1
            if not contacts_for(session, alarm, level) and roster_person(session, alarm, level, now) is None:
                alarm.next_escalation_at = None
                continue
            rule = session.get(AlarmRule, alarm.rule_id)
            after = rule.escalate_after_s if rule is not None else 900
            alarm.escalation_level = level
            alarm.next_escalation_at = now + dt.timedelta(seconds=after)
            add_event(session, alarm, "escalated", "escalation", comment=f"level {level}", at=now)
            emit(session, alarm, "escalated", AlarmChanged)
            escalated.append((alarm.id, level))
    for alarm_id, level in escalated:

        def go(alarm_id: int = alarm_id, level: int = level) -> None:
            notify_alarms([(alarm_id, "escalated")], level=level)

        if send is None:
            go()
        else:
            send(go)
    return [a for a, _ in escalated]
