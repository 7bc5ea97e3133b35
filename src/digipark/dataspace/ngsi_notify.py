"""NGSI-LD notifications (ETSI GS CIM 009 §5.11): when readings are stored (telemetry's `ReadingsStored`, published
after their commit) or an entity is changed through the NGSI-LD API (create, update, append, partial update or delete
of attributes, delete of the entity, the batch operations: `NgsiChange` rows written in the change's own
transaction), each active, unexpired subscription of the parks whose notificationTrigger, entities and watched
attributes the change meets, and whose `q` the entity matches, is sent a Notification (`type`, `subscriptionId`,
`notifiedAt`, `data`) — unless its throttling period since its last notification has not passed. A deleted entity is
notified (trigger entityDeleted) as its id and type, when it matched the subscription's selectors and `q` as it was.
The notifications are queued and delivered, with retries, by `ngsi_delivery`.

`NgsiNotifier` is the queued subscriber of readings (one thread, `core.subscriber`); `ChangeNotifier` takes the
entity API's changes and delivers the notifications due (retries too) every POLL_S seconds (a periodic thread: the
API's processes and the ingest processes that run the background services are not the same). `notify_points` and
`notify_changes` do the work and may be called directly (tests)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.background import Handle, SharedService
from digipark.core.periodic import PeriodicThread
from digipark.core.subscriber import QueuedSubscriber
from digipark.dataspace import ngsi, ngsi_delivery, ngsi_subs
from digipark.dataspace.models import ContextEntity, NgsiChange, NgsiSubscription
from digipark.dataspace.ngsi_context import (
    Context,
    core_context,
    matches,
    parse_q,
    platform_terms,
    resolve,
    spec,
    user_pattern,
)
from digipark.dataspace.ngsi_delivery import Due, Post
from digipark.registry.models import Device, Point
from digipark.telemetry.provides import ReadingsStored

log = logging.getLogger(__name__)
POLL_S = 1.0  # how often the entity API's changes are taken and the notifications due delivered
CHANGES_PER_ROUND = 1000


@dataclasses.dataclass
class Touched:
    """What changes did to one entity: its type IRI and, per notification trigger, the attribute IRIs."""

    type: str
    events: dict[str, set[str]] = dataclasses.field(default_factory=dict)

    def add(self, events: dict[str, Any]) -> None:
        for trigger, iris in events.items():
            self.events.setdefault(trigger, set()).update(iris)


@dataclasses.dataclass
class ParkChanges:
    live: dict[str, Touched] = dataclasses.field(default_factory=dict)  # entity id -> what changed
    deleted: dict[str, tuple[str, dict[str, Any]]] = dataclasses.field(default_factory=dict)  # id -> (type, was)


Changes = dict[int, ParkChanges]


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


def _changed(session: Session, point_ids: Collection[int]) -> Changes:
    """The devices the readings of `point_ids` changed, with the attribute IRIs of their points."""
    reserved = set(spec()["reserved_entity"]) | set(platform_terms())
    vocab = spec()["default_vocab"]
    device_type = platform_terms()["Device"]
    out: Changes = {}
    rows = session.execute(
        select(Device.park_id, Device.id, Point.key)
        .join(Device, Device.id == Point.device_id)
        .where(Point.id.in_(sorted(point_ids)[:100_000]))
    )
    for park_id, device_id, key in rows:
        term = key if key not in reserved else f"point_{key}"
        entity = out.setdefault(park_id, ParkChanges()).live.setdefault(
            f"{ngsi.DEVICE_PREFIX}{device_id}", Touched(device_type)
        )
        entity.add({"attributeUpdated": [vocab + term]})
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


def _fires(row: NgsiSubscription, listened: set[str], touched: Touched) -> bool:
    """Whether the change meets the subscription's notificationTrigger and watchedAttributes."""
    for trigger, iris in touched.events.items():
        if trigger not in listened:
            continue
        if trigger.startswith("entity") or not row.watched or iris & set(row.watched):
            return True
    return False


def _message(
    row: NgsiSubscription, context: Context, data: list[dict[str, Any]], now: dt.datetime
) -> tuple[dict[str, Any], dict[str, str]]:
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
    return body, headers


def _live(session: Session, row: NgsiSubscription, context: Context, entities: dict[str, Touched]) -> list[Any]:
    """The changed entities the subscription is notified of, as its maker reads them now."""
    listened = ngsi_subs.listened(row)
    touched = [e for e, change in entities.items() if _fires(row, listened, change)]
    if not touched:
        return []
    found = ngsi.query(
        session,
        scope=_scope(row),
        context=context,
        types=sorted({entities[e].type for e in touched}),
        attrs=[],
        q=row.q,
        ids=touched,
        id_pattern=None,
    )
    carried = [context.compact(a) for a in row.attrs]
    return [ngsi.compact(e, context, attrs=carried) for e in found if _selected(row, e)]


def _gone(row: NgsiSubscription, context: Context, deleted: dict[str, tuple[str, dict[str, Any]]]) -> list[Any]:
    """The deleted entities the subscription is notified of (trigger entityDeleted): those its maker could read and
    whose selectors and `q` they matched as they were; each as its id and type (§5.2.14: nothing else without
    sysAttrs)."""
    if "entityDeleted" not in ngsi_subs.listened(row) or not deleted:
        return []
    scope, tree = _scope(row), parse_q(row.q) if row.q else None
    out = []
    for entity_id, (entity_type, was) in deleted.items():
        if not scope.may_read(ContextEntity, park_id=row.park_id, enterprise_id=was.get("owner")):
            continue
        if not _selected(row, {"id": entity_id, "type": entity_type}):
            continue
        if tree is not None and not matches(tree, was.get("attrs") or {}, context):
            continue
        out.append({"id": entity_id, "type": context.compact(entity_type)})
    return out


def _notifications(session: Session, changed: Changes, now: dt.datetime) -> Due:
    """The notifications the changes call for, now: for each subscription, one of the entities changed and one of
    those deleted."""
    out: Due = []
    subs = session.scalars(
        select(NgsiSubscription)
        .where(NgsiSubscription.park_id.in_(sorted(changed)), NgsiSubscription.active.is_(True))
        .order_by(NgsiSubscription.id)
    )
    for row in subs:
        if not _due(row, now):
            continue
        park = changed[row.park_id]
        context = _context(row)
        try:
            batches = [_live(session, row, context, park.live), _gone(row, context, park.deleted)]
        except Exception:  # a subscription whose terms no longer resolve: skipped, the others are sent
            log.exception("NGSI-LD subscription %s: entities not read", row.subscription_id)
            continue
        for data in batches:
            if data:
                body, headers = _message(row, context, data, now)
                out.append((row.id, row.park_id, body, headers))
    return out


def notify_points(point_ids: Collection[int], *, post: Post | None = None, now: dt.datetime | None = None) -> int:
    """Queue the notifications the new readings of `point_ids` call for and deliver those due; the number
    delivered."""
    from digipark.core.db import transaction

    moment = now or dt.datetime.now(dt.UTC)
    with transaction(name="dataspace: NGSI-LD notifications due") as session:
        # most parks have no subscription: then nothing is read per point (ingest publishes every batch here)
        if session.scalar(select(NgsiSubscription.id).where(NgsiSubscription.active.is_(True)).limit(1)) is None:
            return 0
        changed = _changed(session, point_ids)
        due = _notifications(session, changed, moment) if changed else []
    if not due:
        return 0  # retries are the change notifier's (every POLL_S)
    with transaction(write=True, name="dataspace: NGSI-LD notifications queued") as session:
        ngsi_delivery.queue(session, due, moment)
        _mark(session, due, moment)
    return ngsi_delivery.deliver(post=post, now=moment)


def notify_changes(*, post: Post | None = None, now: dt.datetime | None = None) -> int:
    """Take the entity API's waiting changes (each once, whichever process takes it), queue the notifications they
    call for, and deliver those due (retries too); the number delivered."""
    from digipark.core.db import transaction

    moment = now or dt.datetime.now(dt.UTC)
    with transaction(write=True, name="dataspace: NGSI-LD entity changes taken") as session:
        taken = select(NgsiChange).order_by(NgsiChange.id).limit(CHANGES_PER_ROUND)
        rows = list(session.scalars(taken.with_for_update(skip_locked=True)))
        if rows:
            changed: Changes = {}
            for change in rows:
                park = changed.setdefault(change.park_id, ParkChanges())
                if change.deleted is not None:
                    park.deleted[change.entity_id] = (change.entity_type, change.deleted)
                else:
                    events = change.events or {"attributeUpdated": change.attrs}
                    park.live.setdefault(change.entity_id, Touched(change.entity_type)).add(events)
                session.delete(change)
            session.flush()
            due = _notifications(session, changed, moment)
            ngsi_delivery.queue(session, due, moment)
            _mark(session, due, moment)
    return ngsi_delivery.deliver(post=post, now=moment)


def _mark(session: Session, due: Due, now: dt.datetime) -> None:
    """Start each subscription's throttling period when its notification is queued."""
    for subscription_ref in {d[0] for d in due}:
        row = session.get(NgsiSubscription, subscription_ref)
        if row is not None and row.throttling:
            row.last_notification = now


def _select(event: ReadingsStored) -> tuple[int, ...] | None:
    return tuple(event.latest) or None


def _handle(point_ids: tuple[int, ...]) -> int | None:
    return notify_points(point_ids) or None


class NgsiNotifier(QueuedSubscriber[ReadingsStored, tuple[int, ...]]):
    def __init__(self, *, sync: bool = False) -> None:
        super().__init__(ReadingsStored, select=_select, handle=_handle, name="dataspace-ngsi-notify", sync=sync)


class ChangeNotifier(PeriodicThread):
    """A daemon thread running `notify_changes` every POLL_S seconds."""

    thread_name, failure, logger = "digipark-ngsi-changes", "dataspace: NGSI-LD change notifications failed", log

    def __init__(self, *, every_s: float = POLL_S) -> None:
        super().__init__(first_after_s=every_s, every_s=every_s)

    def run_once(self) -> int:
        return notify_changes()


_notifier: SharedService[NgsiNotifier] = SharedService(NgsiNotifier)
_change_notifier: SharedService[ChangeNotifier] = SharedService(ChangeNotifier)


def start_ngsi_notifier() -> Handle[NgsiNotifier]:
    return _notifier.acquire()


def start_change_notifier() -> Handle[ChangeNotifier]:
    return _change_notifier.acquire()
