"""Chat robots: an alarm delivered to local fakes of the DingTalk, WeCom and Feishu robot APIs started by the test;
the fakes check the signing as the vendors do (DingTalk: timestamp and sign in the query, Feishu: in the body) and
answer with the vendors' error codes, so a wrong secret is recorded as a failed delivery."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms.models import NotificationDelivery
from digipark.alarms.robots import dingtalk_sign, feishu_sign, robot_request
from tests.alarms.helpers import alarms, engine, feed, gas_point, make_rule
from tests.alarms.test_notify import contact
from tests.conftest import World

DING_SECRET = "SECb3f1d2c4e5a6978877665544332211"
FEISHU_SECRET = "feishu-sign-secret-01"


class FakeRobots:
    """What the three vendors' robot endpoints check and answer (their documented signing and error codes)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []

    def answer(self, path: str, query: dict[str, list[str]], body: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        if path == "/robot/send":  # DingTalk
            timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
            if not timestamp.isdigit() or abs(int(timestamp) / 1000 - now) > 3600:
                return {"errcode": 310000, "errmsg": "invalid timestamp"}
            expected = base64.b64encode(
                hmac.new(DING_SECRET.encode(), f"{timestamp}\n{DING_SECRET}".encode(), hashlib.sha256).digest()
            ).decode()
            if not hmac.compare_digest(sign, expected):  # parse_qs has decoded the URL encoding
                return {"errcode": 310000, "errmsg": "sign not match"}
            self.received.append(("dingtalk", body))
            return {"errcode": 0, "errmsg": "ok"}
        if path == "/cgi-bin/webhook/send":  # WeCom: the key in the URL
            if query.get("key") != ["wecom-key-1"]:
                return {"errcode": 93000, "errmsg": "invalid webhook url"}
            self.received.append(("wecom", body))
            return {"errcode": 0, "errmsg": "ok"}
        if path.startswith("/open-apis/bot/v2/hook/"):  # Feishu
            timestamp = str(body.get("timestamp", ""))
            expected = base64.b64encode(
                hmac.new(f"{timestamp}\n{FEISHU_SECRET}".encode(), b"", hashlib.sha256).digest()
            ).decode()
            if not timestamp.isdigit() or body.get("sign") != expected:
                return {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}
            self.received.append(("feishu", body))
            return {"code": 0, "msg": "success"}
        return {"errcode": 404, "errmsg": "no such robot"}


@pytest.fixture
def robots() -> Iterator[tuple[str, FakeRobots]]:
    fake = FakeRobots()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            answer = json.dumps(fake.answer(url.path, urllib.parse.parse_qs(url.query), body)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", fake
    finally:
        server.shutdown()
        server.server_close()


def test_dingtalk_signing_is_the_documented_one() -> None:
    """DingTalk's own example: HMAC-SHA256 keyed with the secret over "timestamp\\nsecret", Base64, URL-encoded."""
    digest = hmac.new(b"SECx", b"1700000000000\nSECx", hashlib.sha256).digest()
    assert dingtalk_sign("SECx", 1_700_000_000_000) == urllib.parse.quote_plus(base64.b64encode(digest))
    url, body = robot_request(
        "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=t", "告警", "SECx", now=1.7e9
    )
    assert url.startswith("https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1700000000000&sign=")
    assert body == {"msgtype": "text", "text": {"content": "告警"}}
    assert feishu_sign("s", 1) == base64.b64encode(hmac.new(b"1\ns", b"", hashlib.sha256).digest()).decode()


def test_an_alarm_reaches_the_chat_robots_signed_and_a_wrong_secret_is_a_failed_delivery(
    db: Session, world: World, robots: tuple[str, FakeRobots]
) -> None:
    base, fake = robots
    contact(
        db,
        world,
        name="安全群（钉钉）",
        channel="dingtalk",
        address=f"{base}/robot/send?access_token=abc",
        secret=DING_SECRET,
    )
    contact(
        db, world, name="值班群（企业微信）", channel="wecom", address=f"{base}/cgi-bin/webhook/send?key=wecom-key-1"
    )
    contact(
        db,
        world,
        name="应急群（飞书）",
        channel="feishu",
        address=f"{base}/open-apis/bot/v2/hook/x",
        secret=FEISHU_SECRET,
    )
    contact(
        db,
        world,
        name="旧钉钉群",
        channel="dingtalk",
        address=f"{base}/robot/send?access_token=old",
        secret="SECwrong-secret-0000",
    )
    rule = make_rule(db, world, [{"type": "threshold", "op": "above", "high": 25}], severity="major")
    feed(engine(db), gas_point(world), [(0, 40)])
    [alarm] = alarms(db, rule)
    assert sorted(channel for channel, _ in fake.received) == ["dingtalk", "feishu", "wecom"]
    texts = {channel: body.get("text", body.get("content", {})) for channel, body in fake.received}
    assert all(f"告警编号 {alarm.id}" in (t.get("content") or t.get("text")) for t in texts.values())
    rows = db.scalars(select(NotificationDelivery).where(NotificationDelivery.alarm_id == alarm.id)).all()
    outcome = sorted((r.channel, r.status, r.error or "") for r in rows)
    assert [o[:2] for o in outcome] == [
        ("dingtalk", "failed"),
        ("dingtalk", "sent"),
        ("feishu", "sent"),
        ("wecom", "sent"),
    ]
    assert "sign not match" in outcome[0][2]
