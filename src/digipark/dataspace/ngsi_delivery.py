"""Delivery of NGSI-LD notifications with retries (ETSI GS CIM 009 §5.11; the counters of §5.2.14).

A notification a change calls for is queued (`queue`, an `NgsiNotification` row written in the transaction that
decided it, so a restart loses none) and delivered by `deliver`: it takes the due ones (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, and a lease, so two processes never send one at once), POSTs each to its subscription's endpoint outside
any transaction — with a timeout, no redirects, to an address checked again (resolved) just before the call
(`core.network`) — and records each attempt on the subscription (`timesSent`, `timesFailed`, `lastNotification`,
`lastSuccess` or `lastFailure` with its reason). A delivered notification is deleted; a failed one (connection
refused, timeout, a status other than 2xx, a refused address) is tried again after RETRY_AFTER_S, at most
MAX_ATTEMPTS times, then kept as failed with its reason (`notifications`: what the subscription's owner reads)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from digipark.automation.provides import allowed_networks
from digipark.core import network
from digipark.dataspace.models import NgsiNotification, NgsiSubscription, NotificationState

TIMEOUT_S = 5.0
RETRY_AFTER_S = (10, 60, 300, 1800)  # the wait after the 1st, 2nd, 3rd and 4th failed attempt
MAX_ATTEMPTS = len(RETRY_AFTER_S) + 1
LEASE_S = 600  # a taken notification is not taken again before this (its process may have ended mid-send)
PER_ROUND = 50
KEEP_FAILED = 100  # failed notifications kept per subscription (the oldest are dropped)
Post = Callable[[str, bytes, dict[str, str]], int]
Due = list[tuple[int, int, dict[str, Any], dict[str, str]]]  # (subscription row id, park id, body, headers)


def _post(target: network.Pinned, body: bytes, headers: dict[str, str]) -> int:
    """POST to the address the guard checked (the name in Host and as the TLS server name: core.network.pin)."""
    with httpx.Client(timeout=TIMEOUT_S, follow_redirects=False) as client:
        response = client.post(
            target.url, content=body, headers={**headers, **target.headers}, extensions=target.extensions
        )
    return response.status_code


def queue(session: Session, due: Due, now: dt.datetime) -> None:
    """Write the notifications `due`, to be delivered from `now` (in the caller's transaction)."""
    for subscription_ref, park_id, body, headers in due:
        session.add(
            NgsiNotification(
                park_id=park_id,
                subscription_ref=subscription_ref,
                body=orjson.dumps(body).decode(),
                headers=headers,
                state=NotificationState.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    session.flush()


def _attempt(url: str, body: bytes, headers: dict[str, str], allowed: tuple[str, ...], post: Post | None) -> str | None:
    """One attempt: None when the endpoint answered 2xx, else why not."""
    target = network.pin(url, allowed)
    if isinstance(target, str):
        return target
    try:
        code = post(url, body, headers) if post is not None else _post(target, body, headers)
    except (httpx.HTTPError, OSError) as error:
        return f"{type(error).__name__}: {error}"
    return None if 200 <= code < 300 else f"HTTP {code}"


def deliver(*, post: Post | None = None, now: dt.datetime | None = None) -> int:
    """Attempt every notification due (new ones and retries); the number delivered."""
    from digipark.core.db import transaction

    moment = now or dt.datetime.now(dt.UTC)
    waiting = NgsiNotification.state == NotificationState.PENDING, NgsiNotification.next_attempt_at <= moment
    with transaction(name="dataspace: NGSI-LD notifications due?") as session:
        if session.scalar(select(NgsiNotification.id).where(*waiting).limit(1)) is None:
            return 0  # most rounds: nothing due, and no write taken
    taken: list[tuple[int, int, str, bytes, dict[str, str], int]] = []
    with transaction(write=True, name="dataspace: NGSI-LD notifications taken") as session:
        due = (
            select(NgsiNotification)
            .where(*waiting)
            .order_by(NgsiNotification.next_attempt_at, NgsiNotification.id)
            .limit(PER_ROUND)
            .with_for_update(skip_locked=True)
        )
        for row in session.scalars(due):
            subscription = session.get(NgsiSubscription, row.subscription_ref)
            if subscription is None:
                continue
            row.next_attempt_at = moment + dt.timedelta(seconds=LEASE_S)
            body, headers = row.body.encode(), dict(row.headers)
            taken.append((row.id, subscription.id, subscription.endpoint, body, headers, subscription.park_id))
        allowed = {park_id: allowed_networks(session, park_id) for park_id in {t[5] for t in taken}}
    if not taken:
        return 0
    results = [(n, s, _attempt(url, body, headers, allowed[p], post)) for n, s, url, body, headers, p in taken]
    with transaction(write=True, name="dataspace: NGSI-LD notifications sent") as session:
        for notification_id, subscription_id, error in results:
            _record(session, notification_id, subscription_id, error, moment)
    return sum(1 for _, _, error in results if error is None)


def _record(session: Session, notification_id: int, subscription_id: int, error: str | None, now: dt.datetime) -> None:
    subscription = session.get(NgsiSubscription, subscription_id)
    if subscription is not None:
        subscription.times_sent += 1
        subscription.last_notification = now
        if error is None:
            subscription.last_success = now
        else:
            subscription.times_failed += 1
            subscription.last_failure, subscription.last_error = now, error[:300]
    row = session.get(NgsiNotification, notification_id)
    if row is None:
        return
    row.attempts += 1
    row.last_attempt_at = now
    if error is None:
        session.delete(row)
        return
    row.last_error = error[:300]
    if row.attempts < MAX_ATTEMPTS:
        row.next_attempt_at = now + dt.timedelta(seconds=RETRY_AFTER_S[row.attempts - 1])
        return
    row.state = NotificationState.FAILED
    session.flush()
    kept = select(NgsiNotification.id).where(
        NgsiNotification.subscription_ref == row.subscription_ref, NgsiNotification.state == NotificationState.FAILED
    )
    dropped = list(session.scalars(kept.order_by(NgsiNotification.id.desc()).offset(KEEP_FAILED)))
    if dropped:
        session.execute(delete(NgsiNotification).where(NgsiNotification.id.in_(dropped)))


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def notifications(session: Session, subscription: NgsiSubscription) -> list[dict[str, Any]]:
    """The subscription's notifications not delivered: waiting for an attempt, or failed after the last one (with
    the reason), newest first."""
    rows = session.scalars(
        select(NgsiNotification)
        .where(NgsiNotification.subscription_ref == subscription.id)
        .order_by(NgsiNotification.id.desc())
    )
    out = []
    for row in rows:
        body = orjson.loads(row.body)
        item: dict[str, Any] = {
            "id": body.get("id"),
            "status": row.state,
            "attempts": row.attempts,
            "createdAt": _iso(row.created_at),
            "entities": [e.get("id") for e in body.get("data", [])],
        }
        if row.last_attempt_at is not None:
            item["lastAttempt"] = _iso(row.last_attempt_at)
        if row.last_error:
            item["reason"] = row.last_error
        if row.state == NotificationState.PENDING:
            item["nextAttempt"] = _iso(row.next_attempt_at)
        out.append(item)
    return out
