"""Web Push for the duty app (RFC 8030 with VAPID, RFC 8292; payload encryption RFC 8291), by pywebpush: each
browser of a duty user stores its subscription; an alarm raised in the park is pushed to the subscriptions of the
users on the park's duty roster now (`duty.provides.on_duty_user_ids`) who may read it; the notification's button
acknowledges the alarm through the signed acknowledge link made for that user (`alarms.provides.ack_path`), so it
works even when the app's session has expired."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms import provides as alarms
from digipark.auth.models import Role, User
from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.errors import DomainError
from digipark.core.modules import N_
from digipark.dashboards.models import PushServerKey, PushSubscription
from digipark.dashboards.reports import SEVERITIES, translator
from digipark.dashboards.schemas import PushSubscriptionIn
from digipark.duty.provides import on_duty_user_ids

log = logging.getLogger("digipark.dashboards.push")
PERMISSION = "duty.push"  # park staff: push subscriptions and acknowledging from the app (the page: duty.app)
TTL_S = 3600
Sender = Callable[..., Any]


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def server_key(session: Session) -> ec.EllipticCurvePrivateKey:
    """The deployment's VAPID key (P-256), made on first use."""
    row = session.scalar(select(PushServerKey).order_by(PushServerKey.id).limit(1))
    if row is None:
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        row = PushServerKey(private_pem=pem.decode())
        session.add(row)
        session.flush()
    loaded = serialization.load_pem_private_key(row.private_pem.encode(), password=None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    return loaded


def public_key_of(key: ec.EllipticCurvePrivateKey) -> str:
    """The uncompressed public point, base64url: PushManager.subscribe's applicationServerKey."""
    raw = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return _b64url(raw)


def public_key(session: Session) -> str:
    return public_key_of(server_key(session))


def subscribe(session: Session, *, scope: Scope, data: PushSubscriptionIn) -> PushSubscription:
    """Store (or move to the caller) a browser's push subscription."""
    scope.require(PERMISSION)
    if scope.user_id is None:
        raise DomainError("only a signed-in user can subscribe to push")
    park_id = scope.acting_write_park(None)
    row = session.scalar(select(PushSubscription).where(PushSubscription.endpoint == data.endpoint))
    if row is None:
        row = PushSubscription(endpoint=data.endpoint)
        session.add(row)
    row.park_id = park_id
    row.user_id = scope.user_id
    row.p256dh = data.keys.p256dh
    row.auth = data.keys.auth
    row.on_duty = True
    session.flush()
    return row


def acknowledge(session: Session, *, scope: Scope, alarm_id: int) -> dict[str, Any]:
    """Acknowledge an alarm from the duty app (its notification's button)."""
    scope.require(PERMISSION)
    alarm = alarms.acknowledge(session, scope=scope, ident=alarm_id)
    return {"id": alarm.id, "state": alarm.state}


def payload(alarm_id: int, severity: str, message: str, lang: str, user_id: int | None = None) -> dict[str, Any]:
    """What the service worker shows: the alarm's text, its severity, where to open it, how to acknowledge it."""
    t = translator(lang)
    return {
        "type": "alarm",
        "alarm_id": alarm_id,
        "severity": severity,
        "title": f"{t(SEVERITIES.get(severity, severity))} · {t(N_('Alarm'))} #{alarm_id}",
        "body": alarms.alarm_message(message, t)[:200],
        "ack_label": t(N_("Acknowledge")),
        "url": f"/alarms/{alarm_id}",
        "acknowledge": (
            alarms.ack_path(alarm_id, f"u{user_id}")
            if user_id is not None
            else f"/api/v1/duty/alarms/{alarm_id}/acknowledge"
        ),
    }


def push_alarm(
    session: Session, *, park_id: int, alarm_id: int, severity: str, message: str, send: Sender | None = None
) -> list[int]:
    """Push an alarm to the subscriptions (push turned on) of the users on the park's duty roster now who may read
    it; answers the ids of the subscriptions reached (a subscription the push service says is gone, 404/410, is
    removed). Nobody on the roster now: nothing is pushed."""
    from py_vapid import Vapid02
    from pywebpush import WebPushException, webpush

    send = send or webpush
    vapid = Vapid02(private_key=server_key(session))
    reached: list[int] = []
    rows = session.scalars(
        select(PushSubscription).where(PushSubscription.park_id == park_id, PushSubscription.on_duty.is_(True))
    )
    on_duty = on_duty_user_ids(session, park_id=park_id)
    for row in list(rows):
        if row.user_id not in on_duty:
            continue
        user = session.get(User, row.user_id)
        if user is None or not user.is_active:
            continue
        scope = Scope.for_user(
            role=Role(user.role),
            username=user.username,
            user_id=user.id,
            park_id=park_id,
            enterprise_id=user.enterprise_id,
        )
        try:
            alarms.get(session, scope=scope, ident=alarm_id)
        except DomainError:
            continue  # not an alarm this user may see
        body = json.dumps(payload(alarm_id, severity, message, user.language, user.id), ensure_ascii=False)
        try:
            send(
                subscription_info={"endpoint": row.endpoint, "keys": {"p256dh": row.p256dh, "auth": row.auth}},
                data=body,
                vapid_private_key=vapid,
                vapid_claims={"sub": f"mailto:{get_settings().alarms_smtp_from}"},
                ttl=TTL_S,
                timeout=get_settings().alarms_notify_timeout_s,
            )
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (404, 410):
                session.delete(row)
            log.warning("web push to subscription %s failed: %s", row.id, exc)
            continue
        reached.append(row.id)
    session.flush()
    return reached
