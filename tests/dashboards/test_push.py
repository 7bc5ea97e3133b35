"""Web Push of the duty app: a browser's subscription is stored for its user; a raised alarm is pushed to the
subscriptions of users on the duty roster now who may read it, signed with the server's VAPID key (RFC 8292) and
encrypted for the browser (RFC 8291), to a local fake push service; the notification's button acknowledges the
alarm."""

from __future__ import annotations

import base64
import http.server
import json
import os
import threading
from collections.abc import Iterator
from typing import Any

import http_ece
import pytest
import time_machine
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms import acklink
from digipark.alarms import provides as alarms
from digipark.core.errors import PermissionDenied
from digipark.dashboards import push
from digipark.dashboards.models import PushSubscription
from digipark.dashboards.schemas import PushSubscriptionIn
from tests.conftest import World, bearer
from tests.duty.helpers import day_team, local
from tests.notices.helpers import scope_of


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _PushService:
    """A push service on 127.0.0.1 that keeps what it is sent and answers 201 (or `status`)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 201
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                outer.received.append(
                    (self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
                )
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def push_service() -> Iterator[_PushService]:
    service = _PushService()
    try:
        yield service
    finally:
        service.server.shutdown()


class _Browser:
    """A browser's push keys: its ECDH key pair and auth secret, as PushManager makes them."""

    def __init__(self, endpoint: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.subscription = PushSubscriptionIn.model_validate(
            {"endpoint": endpoint, "keys": {"p256dh": b64(public), "auth": b64(self.auth)}}
        )

    def decrypt(self, body: bytes) -> dict[str, Any]:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


def _alarm(db: Session, world: World) -> int:
    row = alarms.raise_external(
        db,
        park_id=world.a.park_id,
        source_kind="security:intrusion",
        source_ref="cam-1",
        severity="major",
        title_key="Intrusion",
        detail="东门",
    )
    return row.id


def _verify_vapid(header: str, server_public: str, audience: str) -> dict[str, Any]:
    """Check the `Authorization: vapid t=<JWT>, k=<key>` header: the key is the server's, the JWT (ES256) is
    signed by it for this push service's origin."""
    scheme, _, rest = header.partition(" ")
    assert scheme == "vapid"
    parts = dict(p.strip().split("=", 1) for p in rest.split(","))
    assert parts["k"] == server_public
    head, claims, signature = parts["t"].split(".")
    raw = unb64(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(parts["k"]))
    public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises when not signed by it
    decoded: dict[str, Any] = json.loads(unb64(claims))
    assert json.loads(unb64(head))["alg"] == "ES256" and decoded["aud"] == audience
    return decoded


def test_an_alarm_is_pushed_signed_and_encrypted_to_the_on_duty_subscription(
    db: Session, world: World, push_service: _PushService
) -> None:
    day_team(db)  # the operator and the admin are on duty on weekdays 08:00-20:00
    operator = scope_of(db, "TA", "operator")
    phone = _Browser(push_service.url + "/send/operator-phone")
    row = push.subscribe(db, scope=operator, data=phone.subscription)
    assert row.user_id == operator.user_id and row.park_id == world.a.park_id and row.on_duty
    off_duty = _Browser(push_service.url + "/send/off-duty")
    push.subscribe(db, scope=scope_of(db, "TA", "park_admin"), data=off_duty.subscription).on_duty = False
    other_park = _Browser(push_service.url + "/send/park-b")
    push.subscribe(db, scope=scope_of(db, "TB", "operator"), data=other_park.subscription)

    alarm_id = _alarm(db, world)
    with time_machine.travel(local(2026, 12, 12, 12, 0), tick=False):  # Saturday: nobody on duty, nothing pushed
        assert push.push_alarm(db, park_id=world.a.park_id, alarm_id=alarm_id, severity="major", message="x") == []
    with time_machine.travel(local(2026, 12, 7, 12, 0), tick=False):  # Monday noon
        reached = push.push_alarm(db, park_id=world.a.park_id, alarm_id=alarm_id, severity="major", message="东门入侵")
    assert reached == [row.id]
    assert [path for path, _, _ in push_service.received] == ["/send/operator-phone"]
    _, headers, body = push_service.received[0]
    assert headers["content-encoding"] == "aes128gcm" and int(headers["ttl"]) == push.TTL_S
    claims = _verify_vapid(headers["authorization"], push.public_key(db), push_service.url)
    assert claims["sub"].startswith("mailto:")
    message = phone.decrypt(body)
    assert message["alarm_id"] == alarm_id and message["body"] == "东门入侵"
    # the button posts to the signed acknowledge link made for this user (no session needed)
    assert message["acknowledge"].startswith("/alarms/ack/")
    link = acklink.verify(message["acknowledge"].rsplit("/", 1)[1])
    assert (link.alarm_id, link.user_id) == (alarm_id, operator.user_id)
    assert message["ack_label"] == "确认" and "严重" in message["title"]


def test_a_gone_subscription_is_removed(db: Session, world: World, push_service: _PushService) -> None:
    day_team(db)
    phone = _Browser(push_service.url + "/send/gone")
    row = push.subscribe(db, scope=scope_of(db, "TA", "operator"), data=phone.subscription)
    push_service.status = 410
    with time_machine.travel(local(2026, 12, 7, 12, 0), tick=False):
        reached = push.push_alarm(
            db, park_id=world.a.park_id, alarm_id=_alarm(db, world), severity="major", message="x"
        )
    assert reached == [] and len(push_service.received) == 1
    assert db.scalar(select(PushSubscription).where(PushSubscription.id == row.id)) is None


def test_subscribe_and_acknowledge_through_the_api(client: TestClient, world: World, db: Session) -> None:
    operator = bearer(world.a.tokens["operator"])
    key = client.get("/api/v1/duty/push/key", headers=operator).json()["public_key"]
    assert len(unb64(key)) == 65 and unb64(key)[0] == 4  # an uncompressed P-256 point
    assert client.get("/api/v1/duty/push/key", headers=operator).json()["public_key"] == key  # made once
    phone = _Browser("https://push.example.cn/send/xyz")
    body = phone.subscription.model_dump()
    stored = client.post("/api/v1/duty/push/subscriptions", headers=operator, json=body)
    assert stored.status_code == 201, stored.text
    assert client.post("/api/v1/duty/push/subscriptions", headers=operator, json=body).json() == stored.json()
    bad = client.post("/api/v1/duty/push/subscriptions", headers=operator, json={"endpoint": "ftp://x", "keys": {}})
    assert bad.status_code == 422
    alarm_id = _alarm(db, world)
    acked = client.post(f"/api/v1/duty/alarms/{alarm_id}/acknowledge", headers=operator)
    assert acked.status_code == 200 and acked.json()["state"] == "acknowledged"
    with pytest.raises(PermissionDenied):
        push.subscribe(db, scope=scope_of(db, "TA", "enterprise"), data=phone.subscription)  # the app, not its push
