"""The webhook and start-approval actions, and rules firing on other domains' events end to end: a work order, a
booking, an application or an alarm changes, the domain publishes its event after the commit, the engine takes it
and the rule fires (actions done, the firing logged with the event's ids)."""

from __future__ import annotations

import contextlib
import http.server
import queue
import threading
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from sqlalchemy.orm import Session

from digipark.alarms import service as alarms
from digipark.alarms.provides import AlarmRaised, raise_external
from digipark.approvals.models import ApprovalInstance
from digipark.automation import events, logic, service, webhook
from digipark.automation.engine import AutomationEngine, Runner
from digipark.automation.models import AutomationFiring, AutomationNetworkAllow
from digipark.automation.schemas import RuleRead, RuleUpdate
from digipark.core.events import bus, publish_pending
from digipark.services import booking
from digipark.services.schemas import BookingCreate
from digipark.workorders import service as workorders
from digipark.workorders.provides import WorkOrderChanged, WorkOrderCreate
from tests.approvals.helpers import apply, install
from tests.automation.test_service import admin, make_rule
from tests.conftest import World
from tests.services.helpers import at, enterprise, machine

SECRET = "a-shared-secret-of-the-receiver"
NOTE = {"kind": "notify", "to": "值班室", "text": "请关注"}


class Receiver:
    """A local HTTP server: answers each POST with the next status of `answers` (then 200) and keeps what came."""

    def __init__(self, answers: list[int]) -> None:
        self.answers = list(answers)
        self.received: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append(({k: v for k, v in self.headers.items()}, body))
                self.send_response(outer.answers.pop(0) if outer.answers else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def hook(url: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "webhook", "url": url, "secret": SECRET, "timeout_s": 2, "retries": 2, **extra}


@pytest.fixture
def local_allowed(db: Session, world: World) -> None:
    """The park's admin allows the loopback network, where the tests' receivers listen (refused otherwise)."""
    db.add(AutomationNetworkAllow(park_id=world.a.park_id, network="127.0.0.0/8", note="test receivers"))
    db.flush()


def fire_event(db: Session, rule_id: int, name: str, **payload: Any) -> AutomationFiring:
    service.set_enabled(db, scope=admin(db), ident=rule_id, enabled=True)
    runner = Runner()
    runner.load(db)
    rows = runner.process(db, [logic.HistoryItem(1_790_000_000_000, "event", event=name, payload=payload)])
    (row,) = [r for r in rows if r.rule_id == rule_id]
    return row


def test_a_webhook_posts_the_firing_signed_and_retries_a_server_error(
    db: Session, world: World, monkeypatch: pytest.MonkeyPatch, local_allowed: None
) -> None:
    monkeypatch.setattr(webhook.time, "sleep", lambda s: None)
    with Receiver([503]) as receiver:
        ident = make_rule(db, {"kind": "event", "event": "work_order_opened"}, [hook(receiver.url)])
        row = fire_event(db, ident, "work_order_opened", work_order_id=7)
    (done,) = row.actions
    assert done["status"] == "done" and done["http_status"] == 200 and done["attempts"] == 2
    assert done["secret"] == logic.MASK  # the log never keeps the secret
    headers, body = receiver.received[-1]
    assert webhook.verify(SECRET, headers[webhook.TIMESTAMP_HEADER], body, headers[webhook.SIGNATURE_HEADER])
    assert not webhook.verify(
        "another secret", headers[webhook.TIMESTAMP_HEADER], body, headers[webhook.SIGNATURE_HEADER]
    )
    sent = orjson.loads(body)
    assert sent == {
        "rule_id": ident,
        "park_id": world.a.park_id,
        "ts": 1_790_000_000_000,
        "inputs": {"event": "work_order_opened", "work_order_id": 7},
    }


def test_a_webhook_that_keeps_failing_is_logged_failed(
    db: Session, world: World, monkeypatch: pytest.MonkeyPatch, local_allowed: None
) -> None:
    monkeypatch.setattr(webhook.time, "sleep", lambda s: None)
    with Receiver([500, 500, 500, 500]) as receiver:
        ident = make_rule(db, {"kind": "event", "event": "booking_made"}, [hook(receiver.url), NOTE])
        row = fire_event(db, ident, "booking_made")
        (failed, noted) = row.actions
        assert failed["status"] == "failed" and failed["attempts"] == 3 and failed["error"] == "HTTP 500"
        assert noted["status"] == "failed" and noted["error"] == "nobody on duty"  # the next action still runs
    with Receiver([404]) as receiver:  # a client error is not retried
        ident = make_rule(db, {"kind": "event", "event": "approval_started"}, [hook(receiver.url)])
        (failed,) = fire_event(db, ident, "approval_started").actions
        assert failed["attempts"] == 1 and failed["http_status"] == 404
    # nothing listening: a connection error, retried, then failed
    ident = make_rule(db, {"kind": "event", "event": "alarm_cleared"}, [hook(receiver.url, retries=1)])
    (failed,) = fire_event(db, ident, "alarm_cleared").actions
    assert failed["status"] == "failed" and failed["attempts"] == 2 and failed["http_status"] is None


def test_a_webhooks_secret_is_masked_when_read_and_kept_when_given_back(db: Session, world: World) -> None:
    ident = make_rule(db, {"kind": "event", "event": "booking_made"}, [hook("https://example.org/hook")])
    rule = service.RULES.get(db, scope=admin(db), ident=ident)
    shown = RuleRead.model_validate(rule).actions
    assert shown[0]["secret"] == logic.MASK and rule.actions[0]["secret"] == SECRET
    service.RULES.update(db, scope=admin(db), ident=ident, data=RuleUpdate(actions=shown))
    assert service.RULES.get(db, scope=admin(db), ident=ident).actions[0]["secret"] == SECRET
    # the dry-run shows what would be posted, without calling
    firing = logic.Firing(ident, 1, {"event": "booking_made"}, tuple(rule.actions))
    (planned,) = service.preview(db, world.a.park_id, [firing])[0].actions
    assert planned["status"] == "planned" and planned["secret"] == logic.MASK


def test_start_approval_starts_the_process_for_the_events_enterprise(db: Session, world: World) -> None:
    install(db)
    action = {
        "kind": "start_approval",
        "process": "certificate_request",
        "form": {"certificate_kind": "入驻证明", "purpose": "预约 {booking_id} 的场地证明"},
    }
    ident = make_rule(db, {"kind": "event", "event": "booking_approved"}, [action])
    enterprise_id = world.a.enterprise_ids[0]
    (done,) = fire_event(db, ident, "booking_approved", booking_id=42, enterprise_id=enterprise_id).actions
    assert done["status"] == "done", done
    instance = db.get(ApprovalInstance, done["approval_id"])
    assert instance is not None and instance.enterprise_id == enterprise_id and instance.state == "running"
    assert instance.form_data == {"certificate_kind": "入驻证明", "purpose": "预约 42 的场地证明"}
    assert instance.applicant == f"automation rule #{ident}"
    # no enterprise to apply for, or a form the process refuses: failed, with the reason
    other = make_rule(db, {"kind": "event", "event": "work_order_done"}, [action])
    (failed,) = fire_event(db, other, "work_order_done").actions
    assert failed["status"] == "failed" and "enterprise" in failed["error"]
    bad = make_rule(
        db,
        {"kind": "event", "event": "work_order_cancelled"},
        [{**action, "form": {"certificate_kind": "无此证明", "purpose": "x"}, "enterprise_id": enterprise_id}],
    )
    (failed,) = fire_event(db, bad, "work_order_cancelled").actions
    assert failed["status"] == "failed" and "certificate_kind" in failed["error"]


@contextlib.contextmanager
def listening() -> Iterator[AutomationEngine]:
    """An engine subscribed to the bus as its background service is (its thread not started)."""
    engine = AutomationEngine()
    bus.subscribe(AlarmRaised, engine.on_alarm)
    for source in events.SOURCES:
        bus.subscribe(source, engine.on_event)
    try:
        yield engine
    finally:
        bus.unsubscribe(AlarmRaised, engine.on_alarm)
        for source in events.SOURCES:
            bus.unsubscribe(source, engine.on_event)


def arrived(engine: AutomationEngine) -> list[logic.HistoryItem]:
    items = []
    while True:
        try:
            items.append(engine.inbox.get_nowait())
        except queue.Empty:
            return items


def run(db: Session, engine: AutomationEngine) -> list[AutomationFiring]:
    """What a commit does (the queued events published), then one engine run."""
    publish_pending(db)
    runner = Runner()
    runner.load(db)
    return runner.process(db, arrived(engine))


def rule_on(db: Session, event: str) -> int:
    ident = make_rule(db, {"kind": "event", "event": event}, [NOTE])
    service.set_enabled(db, scope=admin(db), ident=ident, enabled=True)
    return ident


def test_rules_fire_on_work_order_booking_approval_and_alarm_events(db: Session, world: World) -> None:
    a = world.a
    install(db)
    rules = {name: rule_on(db, name) for name in logic.EVENTS if name != "visitor_arrived"}
    publish_pending(db)  # what setting up queued
    with listening() as engine:
        order = workorders.report(db, scope=admin(db), data=WorkOrderCreate(title="灯不亮", park_id=a.park_id))
        fired = run(db, engine)
        assert [(r.rule_id, r.inputs["work_order_id"]) for r in fired] == [(rules["work_order_opened"], order.id)]
        workorders.cancel(db, scope=admin(db), ident=order.id)
        assert [r.rule_id for r in run(db, engine)] == [rules["work_order_cancelled"]]

        offering = machine(db, a, provider=a.enterprise_ids[1])
        made = booking.create_booking(
            db,
            scope=enterprise(a, 0),
            data=BookingCreate(offering_id=offering.id, starts_at=at(3, 9), ends_at=at(3, 11)),
        )
        (firing,) = run(db, engine)
        assert firing.rule_id == rules["booking_made"]
        assert firing.inputs["booking_id"] == made.id and firing.inputs["enterprise_id"] == a.enterprise_ids[0]
        booking.decide(db, scope=admin(db), ident=made.id, approve=True)
        assert [r.rule_id for r in run(db, engine)] == [rules["booking_approved"]]

        application = apply(db, "certificate_request")
        (firing,) = run(db, engine)
        assert firing.rule_id == rules["approval_started"] and firing.inputs["approval_id"] == application.id

        alarm = raise_external(
            db, park_id=a.park_id, source_kind="automation", source_ref="test", severity="minor", title_key="测试"
        )
        assert run(db, engine) == []  # raised: the alarm_raised trigger, not an event rule
        alarms.acknowledge(db, scope=admin(db), ident=alarm.id, comment=None)
        (firing,) = run(db, engine)
        assert firing.rule_id == rules["alarm_acknowledged"] and firing.inputs["alarm_id"] == alarm.id
    # another park's event does not fire this park's rules
    found = events.item_of(WorkOrderChanged(park_id=world.b.park_id, order_id=1, action="opened"))
    assert found is not None and found[1].park_id == world.b.park_id
    runner = Runner()
    runner.load(db)
    assert runner.process(db, [found[1]]) == []
