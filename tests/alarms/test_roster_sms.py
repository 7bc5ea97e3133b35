"""Alarms reach the people on the duty roster by SMS through Aliyun's SendSms API, to a local fake of that API
started by the test which checks the signature (Alibaba Cloud signature method V1, HMAC-SHA1) as Aliyun does; an
unacknowledged alarm walks the roster after its rule's escalation delay (frozen time); each text carries a signed
acknowledge link for its recipient, and opening it acknowledges the alarm as that person (audited), while a changed
or expired link is refused with a page saying so."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.server
import json
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms import acklink, notify
from digipark.alarms.models import Alarm, NotificationDelivery
from digipark.alarms.sms import AliyunSms, aliyun_signature
from digipark.audit.models import AuditEntry
from digipark.core.config import get_settings
from digipark.duty import service as duty
from tests.alarms.helpers import actions, alarms, engine, feed, gas_point, make_rule
from tests.alarms.test_notify import contact
from tests.conftest import World
from tests.duty.helpers import local, users
from tests.notices.helpers import scope_of

KEY_ID = "LTAI5tTestKeyId"
KEY_SECRET = "testSecretOfTheFakeAliyun0123"
MONDAY_NOON = local(2026, 12, 7, 12, 0)


class FakeAliyunSms:
    """What dysmsapi.aliyuncs.com checks of a SendSms GET (its documented signing) and answers."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    @staticmethod
    def _encode(value: str) -> str:
        return urllib.parse.quote(value, safe="~").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")

    def answer(self, query: dict[str, str]) -> dict[str, Any]:
        signature = query.pop("Signature", "")
        if query.get("AccessKeyId") != KEY_ID:
            return {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."}
        # written from the documentation, independently of digipark.alarms.sms
        canonical = "&".join(f"{self._encode(k)}={self._encode(query[k])}" for k in sorted(query))
        to_sign = "GET&" + self._encode("/") + "&" + self._encode(canonical)
        expected = base64.b64encode(
            hmac.new((KEY_SECRET + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
        ).decode()
        if not hmac.compare_digest(signature, expected):
            return {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched."}
        if query.get("Action") != "SendSms" or query.get("SignatureMethod") != "HMAC-SHA1":
            return {"Code": "InvalidParameter", "Message": "bad action"}
        self.sent.append(query)
        return {"Code": "OK", "Message": "OK", "BizId": f"9001^{len(self.sent)}", "RequestId": "F655A8D5"}


@pytest.fixture
def aliyun(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAliyunSms]:
    fake = FakeAliyunSms()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query, keep_blank_values=True))
            body = json.dumps(fake.answer(query)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = get_settings()
    for name, value in {
        "sms_provider": "aliyun",
        "sms_endpoint": f"http://127.0.0.1:{server.server_address[1]}/",
        "sms_access_key_id": KEY_ID,
        "sms_access_key_secret": KEY_SECRET,
        "sms_template_code": "SMS_123456789",
        "alarms_smtp_host": None,
    }.items():
        monkeypatch.setattr(settings, name, value)
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def test_the_aliyun_signature_is_the_documented_one() -> None:
    """Alibaba Cloud's own worked example of signature method V1 (DescribeRegions, secret "testsecret")."""
    params = {
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
    }
    assert aliyun_signature(params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_a_wrong_secret_is_refused_by_the_provider(aliyun: FakeAliyunSms) -> None:
    bad = AliyunSms(
        endpoint=get_settings().sms_endpoint,
        access_key_id=KEY_ID,
        access_key_secret="not-the-secret",
        sign_name="数字园区",
        template_code="SMS_1",
    )
    with pytest.raises(RuntimeError, match="SignatureDoesNotMatch"):
        bad.send("13800000000", {"alarm": "x", "link": "y"})
    assert aliyun.sent == []


def _roster(db: Session) -> dict[str, int]:
    admin = scope_of(db, "TA", "park_admin")
    ids = users(db)
    team = duty.create_team(db, scope=admin, name="安全值班组", lead_user_id=ids["park_admin"])
    duty.add_member(db, scope=admin, team_id=team.id, user_id=ids["operator"], position=0, phone="13800000001")
    duty.add_shift(db, scope=admin, team_id=team.id, name="白班", starts=dt.time(8), ends=dt.time(20), weekdays=[0])
    admin_member = duty.add_member(db, scope=admin, team_id=team.id, user_id=ids["park_admin"], position=1)
    admin_member.phone = "13800000002"
    db.flush()
    return ids


def test_an_unacknowledged_alarm_walks_the_roster_by_sms(db: Session, world: World, aliyun: FakeAliyunSms) -> None:
    ids = _roster(db)
    contact(db, world, name="值班手机", channel="sms", address="13900000009", level=0)
    rule = make_rule(db, world, [{"type": "threshold", "op": "above", "high": 25}], escalate_after_s=600)
    with time_machine.travel(MONDAY_NOON, tick=False):
        feed(engine(db), gas_point(world), [(0, 40)])
    [alarm] = alarms(db, rule)
    assert sorted(m["PhoneNumbers"] for m in aliyun.sent) == ["13800000001", "13900000009"]
    for message in aliyun.sent:
        assert message["SignName"] == "数字园区" and message["TemplateCode"] == "SMS_123456789"
        params = json.loads(message["TemplateParam"])
        assert "/alarms/ack/" in params["link"] and params["alarm"].startswith("紧急")
    start = alarm.next_escalation_at
    assert start is not None
    assert notify.escalate_due(start - dt.timedelta(seconds=1)) == []
    # the roster is asked at the escalation time: on Monday noon the admin is next
    aliyun.sent.clear()
    with time_machine.travel(MONDAY_NOON + dt.timedelta(seconds=601), tick=False):
        assert notify.escalate_due(max(start, MONDAY_NOON + dt.timedelta(seconds=601))) == [alarm.id]
    assert [m["PhoneNumbers"] for m in aliyun.sent] == ["13800000002"]
    rows = db.scalars(select(NotificationDelivery).where(NotificationDelivery.alarm_id == alarm.id)).all()
    people = sorted((r.level, r.user_id, r.channel, r.status) for r in rows if r.user_id is not None)
    assert people == [(0, ids["operator"], "sms", "sent"), (1, ids["park_admin"], "sms", "sent")]
    assert actions(db, alarm.id) == ["raised", "escalated"]
    # nobody after the lead: it stops
    later = MONDAY_NOON + dt.timedelta(seconds=1300)
    with time_machine.travel(later, tick=False):
        assert notify.escalate_due(max(later, start + dt.timedelta(seconds=700))) == []


def test_nobody_on_duty_means_no_roster_message(db: Session, world: World, aliyun: FakeAliyunSms) -> None:
    _roster(db)
    make_rule(db, world, [{"type": "threshold", "op": "above", "high": 25}])
    with time_machine.travel(local(2026, 12, 8, 12, 0), tick=False):  # Tuesday: the shift is Monday's only
        feed(engine(db), gas_point(world), [(0, 40)])
    assert aliyun.sent == []


def _ack_token(aliyun: FakeAliyunSms, phone: str) -> str:
    [message] = [m for m in aliyun.sent if m["PhoneNumbers"] == phone]
    return json.loads(message["TemplateParam"])["link"].rsplit("/", 1)[1]


def test_the_signed_link_acknowledges_as_its_recipient(
    db: Session, world: World, aliyun: FakeAliyunSms, client: TestClient
) -> None:
    ids = _roster(db)
    rule = make_rule(db, world, [{"type": "threshold", "op": "above", "high": 25}])
    with time_machine.travel(MONDAY_NOON, tick=False):
        feed(engine(db), gas_point(world), [(0, 40)])
    token = _ack_token(aliyun, "13800000001")
    assert acklink.verify(token).user_id == ids["operator"]
    page = client.get(f"/alarms/ack/{token}", params={"lang": "zh"})
    assert page.status_code == 200 and 'id="ack-button"' in page.text
    [alarm] = alarms(db, rule)
    assert alarm.state == "raised"  # opening (a chat app's preview) does not acknowledge
    done = client.post(f"/alarms/ack/{token}", params={"lang": "zh"})
    assert done.status_code == 200 and "已确认" in done.text
    db.expire_all()
    alarm = db.get(Alarm, alarm.id)
    assert alarm is not None and alarm.state == "acknowledged" and alarm.acknowledged_by == "TA-operator"
    entry = db.scalar(
        select(AuditEntry)
        .where(AuditEntry.entity_type == "alarm", AuditEntry.entity_id == str(alarm.id), AuditEntry.action == "update")
        .order_by(AuditEntry.id.desc())
    )
    assert entry is not None and entry.actor == "TA-operator"
    again = client.post(f"/alarms/ack/{token}", params={"lang": "en"})
    assert again.status_code == 200 and "already acknowledged" in again.text


def test_a_changed_or_expired_link_is_refused(db: Session, world: World, client: TestClient) -> None:
    ids = users(db)
    token = acklink.make_token(7, f"u{ids['operator']}")
    alarm_id, subject, expires, signature = token.split(".")
    for changed in (
        f"8.{subject}.{expires}.{signature}",  # another alarm
        f"{alarm_id}.u{ids['park_admin']}.{expires}.{signature}",  # another person
        f"{alarm_id}.{subject}.{int(expires) + 86400}.{signature}",  # a later expiry
        f"{alarm_id}.{subject}.{expires}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        "not-a-token",
    ):
        with pytest.raises(acklink.BadLink):
            acklink.verify(changed)
        for method in (client.get, client.post):
            page = method(f"/alarms/ack/{changed}", params={"lang": "zh"})
            assert page.status_code == 403 and "链接无效" in page.text
    old = acklink.make_token(7, f"u{ids['operator']}", now=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    with pytest.raises(acklink.BadLink) as refused:
        acklink.verify(old)
    assert refused.value.expired
    page = client.post(f"/alarms/ack/{old}", params={"lang": "en"})
    assert page.status_code == 410 and "expired" in page.text
    assert client.get(f"/alarms/ack/{old}", params={"lang": "zh"}).status_code == 410
