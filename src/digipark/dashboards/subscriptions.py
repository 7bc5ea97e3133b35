"""Scheduled reports: subscriptions (`SUBSCRIPTIONS`, derived CRUD with the schedule checked and the next run
computed), and the scheduler's work (`run_due`): every subscription whose run is due gets a delivery row; every
pending delivery is made as its subscriber (their scope: a report shows only what they may read), sent by e-mail
with its files attached and to the chat robot, retried with growing pauses, and after the last failed attempt
marked failed with a notice to the subscriber."""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session

from digipark.auth.models import Role, User
from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import field_error
from digipark.core.listing import ListSpec
from digipark.core.modules import N_
from digipark.crud import RecordType
from digipark.dashboards import delivery, reports, schedule
from digipark.dashboards.models import DeliveryStatus, ReportDelivery, ReportSubscription
from digipark.dashboards.schemas import SubscriptionCreate, SubscriptionRead, SubscriptionUpdate
from digipark.notices import provides as notices

log = logging.getLogger("digipark.dashboards.subscriptions")
WRITE = "reports.subscribe"
MAX_ATTEMPTS = 3
RETRY_AFTER = dt.timedelta(minutes=5)  # doubled after each failed attempt
DUE_BATCH = 50


def _validate(session: Session, scope: Scope, values: dict[str, Any], row: ReportSubscription | None) -> dict[str, Any]:
    report = values.get("report", row.report if row else None)
    kind = reports.REPORTS.get(str(report))
    if kind is None:
        raise field_error("report", f"unknown report; one of {', '.join(reports.REPORTS)}")
    formats = values.get("formats", row.formats if row else [])
    if not any(f in kind.formats for f in formats):
        raise field_error("formats", f"this report is made as {', '.join(kind.formats)}")
    params = values.get("params", row.params if row else {}) or {}
    unknown = set(params) - {"enterprise_id", "year"}
    if unknown:
        raise field_error("params", f"unknown parameters {sorted(unknown)}; known: enterprise_id, year")
    if kind.needs_enterprise and "enterprise_id" not in params:
        raise field_error("params.enterprise_id", "this report needs an enterprise")
    cron = values.get("cron", row.cron if row else "")
    reason = schedule.check_cron(cron)
    if reason:
        raise field_error("cron", reason)
    emails = values.get("emails", row.emails if row else [])
    channel = values.get("robot_channel", row.robot_channel if row else None)
    url = values.get("robot_url", row.robot_url if row else None)
    if bool(channel) != bool(url):
        raise field_error("robot_url", "a chat robot needs both its channel and its webhook URL")
    if not emails and not channel:
        raise field_error("emails", "give at least one e-mail address or a chat robot")
    working = values.get("working_days_only", row.working_days_only if row else False)
    values["next_run_at"] = schedule.next_run(cron, utcnow(), working_days_only=bool(working))
    return values


def read_condition(scope: Scope) -> ColumnElement[bool]:
    """Subscriptions are read by the staff who may subscribe (they hold robot addresses and recipients)."""
    return true() if scope.can(WRITE) else false()


def _before_create(session: Session, scope: Scope, row: ReportSubscription) -> None:
    row.subscriber_id = scope.user_id
    row.subscriber = scope.username


SUBSCRIPTIONS: RecordType[ReportSubscription] = RecordType(
    name="report_subscription",
    model=ReportSubscription,
    create_schema=SubscriptionCreate,
    update_schema=SubscriptionUpdate,
    read_schema=SubscriptionRead,
    list_spec=ListSpec(
        filters={"park_id": ReportSubscription.park_id, "report": ReportSubscription.report},
        search=[ReportSubscription.name],
        sort={
            "id": ReportSubscription.id,
            "name": ReportSubscription.name,
            "next_run_at": ReportSubscription.next_run_at,
        },
        default_sort="name,id",
    ),
    write_permission=WRITE,
    read_condition=read_condition,
    validate=_validate,
    before_create=_before_create,
)


def deliveries(session: Session, *, scope: Scope, ident: int, limit: int = 50) -> builtins.list[ReportDelivery]:
    """The delivery log of a subscription the caller may read, newest first."""
    row = SUBSCRIPTIONS.get(session, scope=scope, ident=ident)
    stmt = (
        select(ReportDelivery)
        .where(ReportDelivery.subscription_id == row.id)
        .order_by(ReportDelivery.scheduled_for.desc(), ReportDelivery.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def run_now(session: Session, *, scope: Scope, ident: int) -> ReportDelivery:
    """Queue a run of the subscription now (the scheduler sends it on its next sweep, or `run_due` at once)."""
    row = SUBSCRIPTIONS.get(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, row)
    now = utcnow()
    queued = ReportDelivery(park_id=row.park_id, subscription_id=row.id, scheduled_for=now, next_try_at=now)
    session.add(queued)
    session.flush()
    return queued


@dataclasses.dataclass
class SweepResult:
    queued: list[int] = dataclasses.field(default_factory=list)
    sent: list[int] = dataclasses.field(default_factory=list)
    retrying: list[int] = dataclasses.field(default_factory=list)
    failed: list[int] = dataclasses.field(default_factory=list)


Sender = Callable[[ReportSubscription, list[reports.FileOut]], None]


def _subscriber_scope(session: Session, subscription: ReportSubscription) -> Scope:
    user = session.get(User, subscription.subscriber_id) if subscription.subscriber_id else None
    if user is None or not user.is_active:
        raise RuntimeError("the subscriber's account no longer exists or is disabled")
    return Scope.for_user(
        role=Role(user.role),
        username=user.username,
        user_id=user.id,
        park_id=subscription.park_id,
        enterprise_id=user.enterprise_id,
    )


def send(subscription: ReportSubscription, files: list[reports.FileOut]) -> None:
    """E-mail the files and tell the chat robot (each channel raises on failure)."""
    title = reports.translator(subscription.language)(reports.REPORTS[subscription.report].label)
    subject = f"{subscription.name} · {title}"
    names = ", ".join(name for _, _, name in files)
    if subscription.emails:
        delivery.send_email(subscription.emails, subject, f"{subject}\n\n{names}\n", files)
    if subscription.robot_channel and subscription.robot_url:
        delivery.send_robot(
            subscription.robot_channel, subscription.robot_url, subscription.robot_secret, f"{subject}: {names}"
        )


def _attempt(session: Session, item: ReportDelivery, now: dt.datetime, sender: Sender, result: SweepResult) -> None:
    subscription = session.get(ReportSubscription, item.subscription_id)
    if subscription is None:
        return
    item.attempts += 1
    try:
        with session.begin_nested():
            scope = _subscriber_scope(session, subscription)
            files = reports.produce(
                session,
                scope=scope,
                park_id=subscription.park_id,
                report=subscription.report,
                params=subscription.params or {},
                formats=subscription.formats,
                lang=subscription.language,
            )
        item.files = [name for _, _, name in files]
        sender(subscription, files)
    except Exception as exc:
        item.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if item.attempts >= MAX_ATTEMPTS:
            item.status = DeliveryStatus.FAILED.value
            item.next_try_at = None
            _tell_subscriber(session, subscription, item)
            result.failed.append(item.id)
        else:
            item.next_try_at = now + RETRY_AFTER * (2 ** (item.attempts - 1))
            result.retrying.append(item.id)
        log.warning("report delivery %s failed (attempt %s): %s", item.id, item.attempts, item.last_error)
        return
    item.status = DeliveryStatus.SENT.value
    item.sent_at = now
    item.next_try_at = None
    item.last_error = None
    result.sent.append(item.id)


def _tell_subscriber(session: Session, subscription: ReportSubscription, item: ReportDelivery) -> None:
    t = reports.translator(subscription.language)
    title = f"{t(N_('Scheduled report not delivered'))}: {subscription.name}"
    body = (
        f"{t(N_('Subscriber'))}: {subscription.subscriber or '-'}\n"
        f"{t(N_('Scheduled for'))}: {item.scheduled_for:%Y-%m-%d %H:%M} UTC\n"
        f"{t(N_('Attempts'))}: {item.attempts}\n\n{item.last_error or ''}"
    )
    notices.post_staff_notice(session, park_id=subscription.park_id, title=title, body=body, author="reports")


def run_due(session: Session, *, now: dt.datetime, sender: Sender = send) -> SweepResult:
    """Queue the due runs, then try every pending delivery whose time has come (never commits)."""
    result = SweepResult()
    due = session.scalars(
        select(ReportSubscription)
        .where(ReportSubscription.active.is_(True), ReportSubscription.next_run_at <= now)
        .order_by(ReportSubscription.next_run_at, ReportSubscription.id)
        .limit(DUE_BATCH)
    )
    for subscription in due:
        assert subscription.next_run_at is not None
        queued = ReportDelivery(
            park_id=subscription.park_id,
            subscription_id=subscription.id,
            scheduled_for=subscription.next_run_at,
            next_try_at=now,
        )
        session.add(queued)
        subscription.next_run_at = schedule.next_run(
            subscription.cron, max(now, subscription.next_run_at), working_days_only=subscription.working_days_only
        )
        session.flush()
        result.queued.append(queued.id)
    pending = session.scalars(
        select(ReportDelivery)
        .where(ReportDelivery.status == DeliveryStatus.PENDING.value, ReportDelivery.next_try_at <= now)
        .order_by(ReportDelivery.next_try_at, ReportDelivery.id)
        .limit(DUE_BATCH)
    )
    for item in list(pending):
        _attempt(session, item, now, sender, result)
    session.flush()
    return result
