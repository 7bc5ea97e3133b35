"""Notifications: e-mail to a local SMTP server started by the test, a signed webhook to a local HTTP server,
escalation to the next level's contact when nobody acknowledges in time (frozen time)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms import notify, service
from digipark.alarms.models import NotificationDelivery
from digipark.alarms.schemas import ContactCreate
from digipark.auth.scope import system_scope
from digipark.core.config import get_settings
from tests.alarms.helpers import T0, actions, alarms, engine, feed, gas_point, make_rule
from tests.conftest import World

SECRET = "webhook-secret-123"


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Inbox]:
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = get_settings()
    monkeypatch.setattr(settings, "alarms_smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "alarms_smtp_port", port)
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[tuple[bytes, str]]]]:
    received: list[tuple[bytes, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, self.headers.get(notify.SIGNATURE_HEADER, "")))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def contact(db: Session, world: World, **data: Any) -> int:
    return service.create_contact(db, scope=system_scope(world.a.park_id), data=ContactCreate(**data)).id


def test_raised_alarm_is_mailed_and_posted_with_a_valid_signature(
    db: Session, world: World, smtp: _Inbox, webhook: tuple[str, list[tuple[bytes, str]]]
) -> None:
    url, received = webhook
    contact(db, world, name="值班长", channel="email", address="duty@park.example.cn", min_severity="major")
    contact(db, world, name="区域平台", channel="webhook", address=url, secret=SECRET)
    contact(db, world, name="只收紧急以上", channel="email", address="boss@park.example.cn", min_severity="critical")
    rule = make_rule(db, world, [{"type": "threshold", "op": "above", "high": 25}], severity="major")
    feed(engine(db), gas_point(world), [(0, 40)])
    [alarm] = alarms(db, rule)
    [(sender, recipients, content)] = smtp.messages
    assert recipients == ["duty@park.example.cn"] and sender == get_settings().alarms_smtp_from
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert str(message["Subject"]).startswith("[digipark 严重]")
    [(body, signature)] = received
    assert notify.verify(body, SECRET, signature)
    assert not notify.verify(body + b" ", SECRET, signature)
    assert signature == notify.sign(body, SECRET)
    payload = json.loads(body)
    assert payload["alarm_id"] == alarm.id and payload["severity"] == "major" and payload["event"] == "alarm.raised"
    statuses = db.scalars(select(NotificationDelivery.status).where(NotificationDelivery.alarm_id == alarm.id))
    assert sorted(statuses) == ["sent", "sent"]


def test_a_failing_channel_is_recorded_and_does_not_stop_the_others(
    db: Session, world: World, webhook: tuple[str, list[tuple[bytes, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "alarms_smtp_host", None)
    url, received = webhook
    contact(db, world, name="值班长", channel="email", address="duty@park.example.cn")
    contact(db, world, name="区域平台", channel="webhook", address=url)
    rule = make_rule(db, world, [{"type": "threshold", "op": "above", "high": 25}])
    feed(engine(db), gas_point(world), [(0, 40)])
    [alarm] = alarms(db, rule)
    rows = db.scalars(select(NotificationDelivery).where(NotificationDelivery.alarm_id == alarm.id)).all()
    assert {(r.channel, r.status) for r in rows} == {("email", "failed"), ("webhook", "sent")}
    assert len(received) == 1 and notify.verify(received[0][0], get_settings().alarms_webhook_secret, received[0][1])


def test_escalation_to_the_next_contact_when_not_acknowledged_in_time(db: Session, world: World, smtp: _Inbox) -> None:
    contact(db, world, name="值班员", channel="email", address="first@park.example.cn", level=0)
    contact(db, world, name="安全主管", channel="email", address="second@park.example.cn", level=1)
    rule = make_rule(db, world, [{"type": "threshold", "op": "above", "high": 25}], escalate_after_s=600)
    e = engine(db)
    feed(e, gas_point(world), [(0, 40)])
    assert [m[1] for m in smtp.messages] == [["first@park.example.cn"]]
    start = dt.datetime.fromtimestamp(T0 / 1000, dt.UTC)
    assert notify.escalate_due(start + dt.timedelta(seconds=599)) == []
    [alarm] = alarms(db, rule)
    assert notify.escalate_due(start + dt.timedelta(seconds=601)) == [alarm.id]
    assert [m[1] for m in smtp.messages] == [["first@park.example.cn"], ["second@park.example.cn"]]
    [alarm] = alarms(db, rule)
    assert alarm.escalation_level == 1 and actions(db, alarm.id) == ["raised", "escalated"]
    # no level 2 contact: it stops there
    assert notify.escalate_due(start + dt.timedelta(seconds=1300)) == []
    assert alarms(db, rule)[0].next_escalation_at is None


def test_an_acknowledged_alarm_does_not_escalate(db: Session, world: World, smtp: _Inbox) -> None:
    contact(db, world, name="值班员", channel="email", address="first@park.example.cn", level=0)
    contact(db, world, name="安全主管", channel="email", address="second@park.example.cn", level=1)
    rule = make_rule(db, world, [{"type": "threshold", "op": "above", "high": 25}], escalate_after_s=600)
    feed(engine(db), gas_point(world), [(0, 40)])
    [alarm] = alarms(db, rule)
    start = dt.datetime.fromtimestamp(T0 / 1000, dt.UTC)
    with time_machine.travel(start + dt.timedelta(seconds=300), tick=False):
        service.acknowledge(db, scope=system_scope(world.a.park_id), ident=alarm.id, comment="已派人")
    assert notify.escalate_due(start + dt.timedelta(seconds=700)) == []
    assert [m[1] for m in smtp.messages] == [["first@park.example.cn"]]
