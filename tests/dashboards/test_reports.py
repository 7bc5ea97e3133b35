"""Scheduled reports: the schedule in the park's time zone with China's working days, a report delivered to a
local SMTP server with its PDF's Chinese text drawn from the embedded font, the chat robot, retries and the notice
after the last failed attempt."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.core.config import get_settings
from digipark.core.errors import ValidationFailed
from digipark.dashboards import schedule, subscriptions
from digipark.dashboards.models import ReportDelivery, ReportSubscription
from digipark.dashboards.schemas import SubscriptionCreate
from digipark.notices.models import Notice
from tests import pdf_rendering
from tests.conftest import World, bearer
from tests.notices.helpers import scope_of

UTC = dt.UTC


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
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


def _subscription(db: Session, **fields: Any) -> ReportSubscription:
    values: dict[str, Any] = {
        "name": "每日安全简报",
        "report": "safety",
        "formats": ["pdf", "xlsx"],
        "cron": "0 8 * * *",
        "emails": ["duty@park.example.cn"],
        **fields,
    }
    return subscriptions.SUBSCRIPTIONS.create(
        db, scope=scope_of(db, "TA", "operator"), data=SubscriptionCreate(**values)
    )


def test_schedule_in_the_park_zone_and_on_working_days() -> None:
    after = dt.datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert schedule.next_run("0 9 * * *", after) == dt.datetime(2026, 10, 1, 1, 0, tzinfo=UTC)
    # 1-7 October are the National Day holiday; the 8th is the next working day
    assert schedule.next_run("0 9 * * *", after, working_days_only=True) == dt.datetime(2026, 10, 8, 1, 0, tzinfo=UTC)
    # Saturday 10 October is worked instead of a holiday: a Saturday-only schedule on working days runs then
    assert schedule.next_run("0 9 * * 6", after, working_days_only=True) == dt.datetime(2026, 10, 10, 1, 0, tzinfo=UTC)
    assert schedule.check_cron("0 9 * *") and schedule.check_cron("61 9 * * *")
    assert schedule.check_cron("*/15 8-18 * * 1-5") is None


def test_bad_subscriptions_are_refused(db: Session, world: World) -> None:
    cases = {
        "cron": {"cron": "every day at 9"},
        "report": {"report": "weather"},
        "params.enterprise_id": {"report": "carbon_enterprise"},
        "formats": {"report": "environment_waste", "formats": ["pdf"]},
        "emails": {"emails": []},
        "robot_url": {"robot_channel": "dingtalk"},
    }
    for field, values in cases.items():
        with pytest.raises(ValidationFailed) as caught:
            _subscription(db, **values)
        assert caught.value.errors[0]["field"] == field, (field, caught.value.errors)


def test_a_report_reaches_the_smtp_server_with_chinese_pdf(db: Session, world: World, smtp: _Inbox) -> None:
    pdf_rendering.require_poppler()
    row = _subscription(db)
    assert row.subscriber == "TA-operator" and row.next_run_at is not None
    now = row.next_run_at + dt.timedelta(seconds=5)
    result = subscriptions.run_due(db, now=now)
    assert len(result.queued) == 1 and result.sent == result.queued and not result.failed
    assert row.next_run_at > now  # the next day's run
    assert len(smtp.messages) == 1
    recipients, raw = smtp.messages[0]
    assert recipients == ["duty@park.example.cn"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert "每日安全简报" in str(message["Subject"])
    files = {part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()}  # type: ignore[attr-defined]
    names = sorted(files)
    assert names[0].endswith(".pdf") and names[1].endswith(".xlsx"), names
    pdf = files[names[0]]
    assert pdf.startswith(b"%PDF")
    assert "安全态势" in pdf_rendering.text(pdf)
    fonts = pdf_rendering.fonts(pdf)
    assert fonts and all(f.embedded for f in fonts), fonts
    page = pdf_rendering.first_page(pdf)
    # the title line (16 pt at the top margin) carries ink drawn from the embedded glyphs, with no system font
    assert page.ink(40, 40, 300, 70) > 100
    assert files[names[1]][:2] == b"PK"
    log = db.scalars(select(ReportDelivery).where(ReportDelivery.subscription_id == row.id)).all()
    assert [(d.status, d.attempts, d.files) for d in log] == [("sent", 1, names)]


def test_the_chat_robot_gets_the_report(db: Session, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[str, str, str | None, str]] = []
    monkeypatch.setattr(
        "digipark.dashboards.delivery.send_robot",
        lambda channel, url, secret, text: sent.append((channel, url, secret, text)),
    )
    row = _subscription(
        db, emails=[], robot_channel="feishu", robot_url="https://open.feishu.example/hook/x", robot_secret="s"
    )
    subscriptions.run_now(db, scope=scope_of(db, "TA", "operator"), ident=row.id)
    result = subscriptions.run_due(db, now=dt.datetime.now(UTC) + dt.timedelta(seconds=1))
    assert len(result.sent) == 1
    assert (
        sent and sent[0][:3] == ("feishu", "https://open.feishu.example/hook/x", "s") and "每日安全简报" in sent[0][3]
    )


def test_failed_delivery_is_retried_then_the_subscriber_is_told(
    db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "alarms_smtp_host", None)
    row = _subscription(db, name="月度安全报告")
    assert row.next_run_at is not None
    now = row.next_run_at
    first = subscriptions.run_due(db, now=now)
    assert first.retrying and not first.failed
    item = db.get(ReportDelivery, first.retrying[0])
    assert item is not None and item.status == "pending" and item.attempts == 1 and "SMTP" in (item.last_error or "")
    assert item.next_try_at == now + subscriptions.RETRY_AFTER
    assert not subscriptions.run_due(db, now=now + dt.timedelta(minutes=1)).retrying  # not yet
    second = subscriptions.run_due(db, now=now + dt.timedelta(minutes=6))
    assert second.retrying == [item.id] and item.attempts == 2
    third = subscriptions.run_due(db, now=now + dt.timedelta(minutes=20))
    assert third.failed == [item.id] and item.status == "failed" and item.attempts == subscriptions.MAX_ATTEMPTS
    told = db.scalars(
        select(Notice).where(Notice.park_id == world.a.park_id, Notice.title.contains("月度安全报告"))
    ).all()
    assert len(told) == 1 and told[0].audience == "staff" and told[0].published_at is not None
    assert "TA-operator" in told[0].body


def test_subscription_api(client: TestClient, world: World) -> None:
    operator = bearer(world.a.tokens["operator"])
    body = {
        "name": "经济月报",
        "report": "economy_monthly",
        "formats": ["xlsx"],
        "cron": "0 9 1 * *",
        "emails": ["a@b.cn"],
    }
    created = client.post("/api/v1/reports/subscriptions", headers=operator, json=body)
    assert created.status_code == 201, created.text
    ident = created.json()["id"]
    assert "robot_secret" not in created.json()
    queued = client.post(f"/api/v1/reports/subscriptions/{ident}/run", headers=operator)
    assert queued.status_code == 202 and queued.json()["status"] == "pending"
    log = client.get(f"/api/v1/reports/subscriptions/{ident}/deliveries", headers=operator)
    assert [d["id"] for d in log.json()] == [queued.json()["id"]]
    bad = client.post("/api/v1/reports/subscriptions", headers=operator, json={**body, "cron": "0 9 1 *"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cron"
    hidden = client.get(f"/api/v1/reports/subscriptions/{ident}", headers=bearer(world.a.tokens["enterprise"]))
    assert hidden.status_code in (403, 404)
    kinds = client.get("/api/v1/reports/kinds", headers=operator).json()
    assert {k["key"] for k in kinds} >= {
        "economy_monthly",
        "energy_carbon",
        "environment_waste",
        "safety",
        "evaluation",
    }
