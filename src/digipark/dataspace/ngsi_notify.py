"""NGSI-LD notifications (ETSI GS CIM 009 §5.11): when readings are stored (telemetry's `ReadingsStored`, published
after their commit), each active, unexpired subscription of the readings' parks whose entities and watched
attributes the new readings touch, and whose `q` the entity now matches, is sent a Notification
(`type`, `subscriptionId`, `notifiedAt`, `data`) by HTTP POST to its endpoint — outside any transaction, with a
timeout, to an address checked again (resolved) just before the call (`core.network`) — unless its throttling
period since its last notification has not passed. Each send is recorded on the subscription (`timesSent`,
`lastNotification`, `lastSuccess` or `lastFailure`).

`NgsiNotifier` is the queued subscriber (one thread, `core.subscriber`); `notify_points` does the work and may be
called directly (tests)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Collection
from typing import Any

import httpx
import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core import network
from digipark.core.background import Handle, SharedService
from digipark.core.subscriber import QueuedSubscriber
from digipark.dataspace import ngsi, ngsi_subs
from digipark.dataspace.models import NgsiSubscription
from digipark.dataspace.ngsi_context import Context, core_context, platform_terms, resolve, spec, user_pattern
from digipark.registry.models import Device, Point
from digipark.telemetry.provides import ReadingsStored

log = logging.getLogger(__name__)
TIMEOUT_S = 5.0
Post = Callable[[str, bytes, dict[str, str]], int]


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    response = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT_S, follow_redirects=False)
    return response.status_code


def _scope(row: NgsiSubscription) -> Scope:
    """What the subscription's maker reads: its enterprise's view, or the park's for staff."""
    return Scope.for_user(
        role=Role(row.role),
        username=row.created_by,
        user_id=None,
        park_id=row.park_id,
        enterprise_id=row.enterprise_id,
    )


def _context(row: NgsiSubscription) -> Context:
    return core_context() if row.context is None else resolve(row.context, row.base)


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.replace(tzinfo=dt.UTC) if moment is not None and moment.tzinfo is None else moment


def _due(row: NgsiSubscription, now: dt.datetime) -> bool:
    if ngsi_subs.status(row, now) != "active":
        return False
    last = _aware(row.last_notification)
    return not row.throttling or last is None or (now - last).total_seconds() >= row.throttling


def _changed(session: Session, point_ids: Collection[int]) -> dict[int, dict[str, set[str]]]:
    """park id -> device entity id -> the attribute IRIs the readings changed."""
    reserved = set(spec()["reserved_entity"]) | set(platform_terms())
    vocab = spec()["default_vocab"]
    out: dict[int, dict[str, set[str]]] = {}
    rows = session.execute(
        select(Device.park_id, Device.id, Point.key)
        .join(Device, Device.id == Point.device_id)
        .where(Point.id.in_(sorted(point_ids)[:100_000]))
    )
    for park_id, device_id, key in rows:
        term = key if key not in reserved else f"point_{key}"
        out.setdefault(park_id, {}).setdefault(f"{ngsi.DEVICE_PREFIX}{device_id}", set()).add(vocab + term)
    return out


def _selected(row: NgsiSubscription, entity: dict[str, Any]) -> bool:
    if not row.entities:
        return True
    for selector in row.entities:
        if selector["type"] != entity["type"]:
            continue
        if "id" in selector and selector["id"] != entity["id"]:
            continue
        if "idPattern" in selector and not user_pattern(selector["idPattern"], "idPattern").search(entity["id"]):
            continue
        return True
    return False


def _notifications(
    session: Session, changed: dict[int, dict[str, set[str]]], now: dt.datetime
) -> list[tuple[int, str, bytes, dict[str, str]]]:
    """(subscription row id, endpoint, body, headers) of each notification due."""
    out = []
    subs = session.scalars(
        select(NgsiSubscription)
        .where(NgsiSubscription.park_id.in_(sorted(changed)), NgsiSubscription.active.is_(True))
        .order_by(NgsiSubscription.id)
    )
    for row in subs:
        if not _due(row, now):
            continue
        devices = changed[row.park_id]
        touched = [e for e, attrs in devices.items() if not row.watched or attrs & set(row.watched)]
        if not touched:
            continue
        context = _context(row)
        try:
            found = ngsi.query(
                session,
                scope=_scope(row),
                context=context,
                types=[platform_terms()["Device"]],
                attrs=[],
                q=row.q,
                ids=touched,
                id_pattern=None,
            )
        except Exception:  # a subscription whose terms no longer resolve: skipped, the others are sent
            log.exception("NGSI-LD subscription %s: entities not read", row.subscription_id)
            continue
        carried = [context.compact(a) for a in row.attrs]
        data = [ngsi.compact(e, context, attrs=carried) for e in found if _selected(row, e)]
        if not data:
            continue
        body: dict[str, Any] = {
            "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
            "type": "Notification",
            "subscriptionId": row.subscription_id,
            "notifiedAt": ngsi_subs._iso(now),
            "data": data,
        }
        headers = {"Content-Type": row.accept}
        document = context.document
        if row.accept == "application/ld+json":
            body["@context"] = document
        else:
            url = document if isinstance(document, str) else spec()["core_context"]
            headers["Link"] = f'<{url}>; rel="{spec()["context_rel"]}"; type="application/ld+json"'
        out.append((row.id, row.endpoint, orjson.dumps(body), headers))
    return out


def notify_points(point_ids: Collection[int], *, post: Post | None = None, now: dt.datetime | None = None) -> int:
    """Send the notifications the new readings of `point_ids` call for; the number sent successfully."""
    from digipark.core.db import transaction

    moment = now or dt.datetime.now(dt.UTC)
    with transaction(name="dataspace: NGSI-LD notifications due") as session:
        subscribed = select(NgsiSubscription.id).where(NgsiSubscription.active.is_(True)).limit(1)
        if session.scalar(subscribed) is None:  # the usual case: no point's park to look up for every batch
            return 0
        changed = _changed(session, point_ids)
        due = _notifications(session, changed, moment) if changed else []
    if not due:
        return 0
    allowed = ngsi_subs.allowed_networks()
    results: list[tuple[int, bool, str | None]] = []
    for row_id, url, body, headers in due:  # outside any transaction
        refused = network.refusal(url, allowed)
        if refused is not None:
            results.append((row_id, False, refused))
            continue
        try:
            code = (post or _post)(url, body, headers)
        except (httpx.HTTPError, OSError) as error:
            results.append((row_id, False, f"{type(error).__name__}: {error}"))
            continue
        results.append((row_id, 200 <= code < 300, None if 200 <= code < 300 else f"HTTP {code}"))
    with transaction(write=True, name="dataspace: NGSI-LD notifications sent") as session:
        for row_id, ok, why in results:
            row = session.get(NgsiSubscription, row_id)
            if row is None:
                continue
            row.times_sent += 1
            row.last_notification = moment
            if ok:
                row.last_success = moment
            else:
                row.last_failure, row.last_error = moment, (why or "")[:300]
    return sum(1 for _, ok, _ in results if ok)


def _select(event: ReadingsStored) -> tuple[int, ...] | None:
    return tuple(event.latest) or None


def _handle(point_ids: tuple[int, ...]) -> int | None:
    return notify_points(point_ids) or None


class NgsiNotifier(QueuedSubscriber[ReadingsStored, tuple[int, ...]]):
    def __init__(self, *, sync: bool = False) -> None:
        super().__init__(ReadingsStored, select=_select, handle=_handle, name="dataspace-ngsi-notify", sync=sync)


_notifier: SharedService[NgsiNotifier] = SharedService(NgsiNotifier)


def start_ngsi_notifier() -> Handle[NgsiNotifier]:
    return _notifier.acquire()
