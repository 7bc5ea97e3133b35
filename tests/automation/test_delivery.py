"""What a firing sends outside: a notification reaches the people on duty (the duty module's roster: SMS to their
roster mobile number through a local fake of Aliyun's SendSms, else e-mail to a local SMTP server) or a channel's
address (钉钉/企业微信/飞书 robots: local fakes checking the vendors' signing; e-mail; SMS), each recipient's result
in the firing log; a webhook or robot address inside the platform's network is refused unless the park's admin
allow-listed it; the engine calls them after its write transaction committed; the dry-run shows whom a
notification would reach and the value a shared attribute would replace."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.auth.models import User
from digipark.automation import delivery, logic, service, webhook
from digipark.automation.engine import AutomationEngine, Runner
from digipark.automation.models import AutomationFiring, AutomationNetworkAllow
from digipark.core import db as core_db
from digipark.core import network  # the guard automation uses
from digipark.core.errors import ValidationFailed
from digipark.devices.provides import shared_attributes
from tests.alarms.test_notify import _Inbox, smtp  # noqa: F401  (fixture)
from tests.alarms.test_robots import DING_SECRET, FEISHU_SECRET, FakeRobots, robots  # noqa: F401  (fixture)
from tests.alarms.test_roster_sms import FakeAliyunSms, aliyun  # noqa: F401  (fixture)
from tests.automation.test_actions_events import Receiver, hook
from tests.automation.test_service import admin, make_rule
from tests.conftest import World, bearer
from tests.duty.helpers import day_team, local, users

MONDAY_NOON = int(local(2026, 12, 7, 12, 0).timestamp() * 1000)
SATURDAY_NOON = int(local(2026, 12, 12, 12, 0).timestamp() * 1000)
ADMIN_MAIL = "duty-admin@park.example.cn"


def fire(db: Session, rule_id: int, ts: int, event: str = "booking_made") -> AutomationFiring:
    service.set_enabled(db, scope=admin(db), ident=rule_id, enabled=True)
    runner = Runner()
    runner.load(db)
    rows = runner.process(db, [logic.HistoryItem(ts, "event", event=event)])
    (row,) = [r for r in rows if r.rule_id == rule_id]
    db.refresh(row)
    return row


def allow(db: Session, world: World, network_text: str) -> None:
    db.add(AutomationNetworkAllow(park_id=world.a.park_id, network=network_text))
    db.flush()


def test_a_notification_reaches_the_people_on_duty_by_sms_or_email(
    db: Session,
    world: World,
    aliyun: FakeAliyunSms,  # noqa: F811
    smtp: _Inbox,  # noqa: F811
) -> None:
    ids = users(db)
    team_id, _ = day_team(db, phone="13800000001")  # the operator with a mobile number, the admin without
    user = db.get(User, ids["park_admin"])
    assert user is not None
    user.email = ADMIN_MAIL
    note = {"kind": "notify", "to": "安全值班组", "text": "燃气报警，请到岗", "team_id": team_id}
    ident = make_rule(db, {"kind": "event", "event": "booking_made"}, [note])
    # the dry-run's whom = what firing does
    rule = service.RULES.get(db, scope=admin(db), ident=ident)
    (planned,) = service.preview(
        db, world.a.park_id, [logic.Firing(ident, MONDAY_NOON, {"event": "booking_made"}, tuple(rule.actions))]
    )
    row = fire(db, ident, MONDAY_NOON)
    (done,) = row.actions
    assert done["status"] == "done"
    assert [(r["user_id"], r["channel"], r["address"], r["status"]) for r in done["recipients"]] == [
        (ids["operator"], "sms", "13800000001", "sent"),
        (ids["park_admin"], "email", ADMIN_MAIL, "sent"),
    ]
    assert planned.actions[0]["status"] == "planned"
    assert planned.actions[0]["recipients"] == [
        {k: v for k, v in r.items() if k != "status"} for r in done["recipients"]
    ]
    (sms,) = aliyun.sent
    assert sms["PhoneNumbers"] == "13800000001"
    assert json.loads(sms["TemplateParam"])["alarm"].startswith("安全值班组:燃气报警")
    ((_, recipients, content),) = smtp.messages
    assert recipients == [ADMIN_MAIL] and "燃气报警，请到岗" in content.decode()
    # Saturday: the shift is not worked — nobody to tell, said so
    aliyun.sent.clear()
    saturday = fire(db, ident, SATURDAY_NOON)
    assert saturday.actions[0]["status"] == "failed" and saturday.actions[0]["error"] == "nobody on duty"
    assert aliyun.sent == []
    # a team of another park is refused when the rule is saved
    with pytest.raises(ValidationFailed):
        make_rule(db, {"kind": "event", "event": "booking_made"}, [{**note, "team_id": 2**31 - 1}])


def test_a_notification_to_chat_robots_email_and_sms_is_sent_and_logged(
    db: Session,
    world: World,
    robots: tuple[str, FakeRobots],  # noqa: F811
    aliyun: FakeAliyunSms,  # noqa: F811
    smtp: _Inbox,  # noqa: F811  (after aliyun, which unsets the SMTP server)
) -> None:
    base, fake = robots
    text = {"kind": "notify", "to": "值班群", "text": "冷站停机"}
    actions = [
        {**text, "channel": "dingtalk", "address": f"{base}/robot/send?access_token=abc", "secret": DING_SECRET},
        {**text, "channel": "wecom", "address": f"{base}/cgi-bin/webhook/send?key=wecom-key-1"},
        {**text, "channel": "feishu", "address": f"{base}/open-apis/bot/v2/hook/x", "secret": FEISHU_SECRET},
        {**text, "channel": "feishu", "address": f"{base}/open-apis/bot/v2/hook/y", "secret": "a-wrong-secret"},
        {**text, "channel": "email", "address": "energy@park.example.cn"},
        {**text, "channel": "sms", "address": "13900000009"},
    ]
    with pytest.raises(ValidationFailed) as refused:  # the fakes listen on the loopback: inside, refused
        make_rule(db, {"kind": "event", "event": "booking_made"}, actions)
    assert refused.value.errors[0]["field"] == "actions[0].address"
    allow(db, world, "127.0.0.1/32")
    ident = make_rule(db, {"kind": "event", "event": "booking_made"}, actions)
    row = fire(db, ident, MONDAY_NOON)
    outcome = [(a["channel"], a["status"]) for a in row.actions]
    assert outcome == [
        ("dingtalk", "done"),
        ("wecom", "done"),
        ("feishu", "done"),
        ("feishu", "failed"),  # the robot refused the signature: its answer is the error
        ("email", "done"),
        ("sms", "done"),
    ]
    assert "19021" in row.actions[3]["recipients"][0]["error"]
    assert all(a.get("secret") in (None, logic.MASK) for a in row.actions)  # the log keeps no secret
    assert sorted(channel for channel, _ in fake.received) == ["dingtalk", "feishu", "wecom"]
    assert [m[1] for m in smtp.messages] == [["energy@park.example.cn"]]
    assert [m["PhoneNumbers"] for m in aliyun.sent] == ["13900000009"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/hook",
        "http://192.168.1.20/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://100.64.0.1/hook",
    ],
)
def test_a_webhook_to_the_platforms_own_network_is_refused(db: Session, world: World, url: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        make_rule(db, {"kind": "event", "event": "booking_made"}, [hook(url)])
    assert refused.value.errors[0]["field"] == "actions[0].url"


def test_a_name_resolving_inside_is_refused_at_the_call_unless_allowed(
    db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolved = {"hooks.partner.example": ["93.184.216.34", "10.0.0.5"]}  # one inside address is enough to refuse
    monkeypatch.setattr(network, "_resolve", lambda host, port: resolved[host])
    ident = make_rule(db, {"kind": "event", "event": "booking_made"}, [hook("https://hooks.partner.example/x")])
    (refused,) = fire(db, ident, MONDAY_NOON).actions
    assert refused["status"] == "refused" and refused["attempts"] == 0 and "10.0.0.5" in refused["error"]
    assert network.refusal("http://h/x", [], resolve=lambda h, p: ["93.184.216.34"]) is None
    assert network.refusal("http://h/x", [], resolve=lambda h, p: ["::ffff:169.254.169.254"]) is not None
    assert network.refusal("http://h/x", ["10.0.0.0/8"], resolve=lambda h, p: ["10.0.0.5"]) is None
    assert network.literal_refusal("http://10.0.0.5/x", ["10.0.0.0/8"]) is None


def test_the_engine_calls_webhooks_after_its_write_transaction(
    db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    allow(db, world, "127.0.0.0/8")
    monkeypatch.setattr(webhook.time, "sleep", lambda s: None)
    real_transaction, real_call = core_db.transaction, webhook.call
    depth = [0]
    seen: list[tuple[int, str]] = []

    @contextlib.contextmanager
    def counted(*args: Any, **kwargs: Any) -> Iterator[Session]:
        depth[0] += 1
        try:
            with real_transaction(*args, **kwargs) as session:
                yield session
        finally:
            depth[0] -= 1

    def call(action: dict[str, Any], body: bytes, **kwargs: Any) -> dict[str, Any]:
        logged = db.query(AutomationFiring).filter(AutomationFiring.rule_id == ident).one()
        db.refresh(logged)
        seen.append((depth[0], logged.actions[0]["status"]))
        return real_call(action, body, **kwargs)

    monkeypatch.setattr(core_db, "transaction", counted)
    monkeypatch.setattr(delivery.webhook, "call", call)
    with Receiver([]) as receiver:
        ident = make_rule(db, {"kind": "event", "event": "booking_made"}, [hook(receiver.url)])
        service.set_enabled(db, scope=admin(db), ident=ident, enabled=True)
        engine = AutomationEngine()
        engine.inbox.put(logic.HistoryItem(MONDAY_NOON, "event", event="booking_made", park_id=world.a.park_id))
        assert engine.run_once() >= 1
    assert seen == [(0, "pending")]  # called with no transaction open, the firing already logged as pending
    row = db.query(AutomationFiring).filter(AutomationFiring.rule_id == ident).one()
    db.refresh(row)
    assert row.actions[0]["status"] == "done" and row.actions[0]["http_status"] == 200
    assert len(receiver.received) == 1


def test_set_attribute_action_sets_it_and_the_dry_run_shows_the_value_it_replaces(db: Session, world: World) -> None:
    device = world.a.device_ids[1]
    action = {"kind": "set_attribute", "device_id": device, "key": "alarm_threshold_lel", "value": 20}
    with pytest.raises(ValidationFailed):  # a device of another park
        make_rule(db, {"kind": "event", "event": "booking_made"}, [{**action, "device_id": world.b.device_ids[1]}])
    ident = make_rule(db, {"kind": "event", "event": "booking_made"}, [action])
    rule = service.RULES.get(db, scope=admin(db), ident=ident)
    firing = logic.Firing(ident, MONDAY_NOON, {"event": "booking_made"}, tuple(rule.actions))
    (before,) = service.preview(db, world.a.park_id, [firing])
    assert before.actions[0]["status"] == "planned" and before.actions[0]["previous"] is None
    (done,) = fire(db, ident, MONDAY_NOON).actions
    assert done["status"] == "done" and done["version"] == 1
    assert shared_attributes(db, scope=admin(db), device_id=device) == {"alarm_threshold_lel": 20}
    (after,) = service.preview(db, world.a.park_id, [firing])
    assert after.actions[0]["previous"] == 20


def test_only_the_parks_admin_keeps_the_allow_list(client: TestClient, db: Session, world: World) -> None:
    url = "/api/v1/automation/allowed-networks"
    body = {"network": "10.20.0.0/16", "note": "楼宇控制网"}
    assert client.post(url, json=body, headers=bearer(world.a.tokens["operator"])).status_code == 403
    bad = client.post(url, json={"network": "10.20.0.0/33"}, headers=bearer(world.a.tokens["park_admin"]))
    assert bad.status_code == 422
    made = client.post(url, json={**body, "network": "10.20.1.1/16"}, headers=bearer(world.a.tokens["park_admin"]))
    assert made.status_code == 201 and made.json()["network"] == "10.20.0.0/16"
    assert delivery.allowed_networks(db, world.a.park_id) == ("10.20.0.0/16",)
    shown = client.get(url, headers=bearer(world.a.tokens["operator"]))
    assert shown.status_code == 200 and [r["network"] for r in shown.json()["items"]] == ["10.20.0.0/16"]


def test_the_call_connects_to_the_address_it_checked_not_to_a_second_answer(
    db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard resolves the name once; the request goes to that address (the name only in the Host header), so a
    DNS answer changed between the check and the connection cannot redirect it. The test's name is known only to
    the guard's resolver: the system resolver cannot find it, so a second lookup would fail the call."""
    name = "hooks.partner.invalid"
    with Receiver([]) as receiver:
        port = int(receiver.url.rsplit(":", 1)[1].split("/", 1)[0])
        monkeypatch.setattr(network, "_resolve", lambda host, p: ["127.0.0.1"] if host == name else [])
        url = f"http://{name}:{port}/hook"
        assert network.refusal(url, []) is not None  # loopback: refused unless allowed
        monkeypatch.setattr(webhook.time, "sleep", lambda s: None)
        outcome = webhook.call(hook(url), b"{}", allowed=["127.0.0.0/8"])
        assert outcome["status"] == "done", outcome
        ((headers, _body),) = receiver.received
    assert headers["Host"] == f"{name}:{port}"
    pinned = network.pin(f"https://{name}/x", ["127.0.0.0/8"])
    assert isinstance(pinned, network.Pinned)
    assert pinned.url == "https://127.0.0.1/x" and pinned.extensions == {"sni_hostname": name}  # TLS checks the name
    both = network.pin("http://h:8080/x", [], resolve=lambda h, p: ["2606:2800:220:1::1", "93.184.216.34"])
    assert isinstance(both, network.Pinned) and both.url == "http://93.184.216.34:8080/x"
    assert both.headers == {"Host": "h:8080"}
    v6 = network.pin("http://h/x", [], resolve=lambda h, p: ["2606:2800:220:1::1"])
    assert isinstance(v6, network.Pinned) and v6.url == "http://[2606:2800:220:1::1]/x"


def test_a_robot_address_is_called_at_the_address_checked(
    db: Session,
    world: World,
    robots: tuple[str, FakeRobots],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, fake = robots
    port = int(base.rsplit(":", 1)[1])
    name = "oapi.dingtalk.invalid"
    monkeypatch.setattr(network, "_resolve", lambda host, p: ["127.0.0.1"] if host == name else [])
    action = {"kind": "notify", "to": "值班群", "text": "冷站停机", "channel": "dingtalk"}
    action |= {"address": f"http://{name}:{port}/robot/send?access_token=abc", "secret": DING_SECRET}
    allow(db, world, "127.0.0.1/32")
    ident = make_rule(db, {"kind": "event", "event": "booking_made"}, [action])
    (sent,) = fire(db, ident, MONDAY_NOON).actions
    assert sent["status"] == "done", sent
    assert [channel for channel, _ in fake.received] == ["dingtalk"]
