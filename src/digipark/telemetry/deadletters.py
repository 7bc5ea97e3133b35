"""The dead-letter queue and device traffic: inspect, replay after fixing the registry, discard; counters.

Who sees what (reads need `telemetry.view` and follow the device's visibility, `Device` being enterprise-scoped):
- park staff (admin, operator, reviewer) see the dead letters and traffic of the parks they read;
- an enterprise user (`own_enterprise_only`) sees those of its own enterprise's devices only;
- dead letters of unknown tokens belong to no park (park_id NULL): only `telemetry.unknown_devices` (park admins)
  sees them, since a misconfigured device may be anyone's (a park admin of a multi-park deployment sees those of
  every park);
- residents see none.
Replay and discard need `telemetry.deadletters` (park admins and operators) in the letter's park
(`telemetry.unknown_devices` for letters without a park); both are audited per dead letter
(`dead_letter_replayed`, `dead_letter_discarded`).
Only open letters may be replayed or discarded (409 otherwise).

A replay re-runs the stored payload (only the values that were rejected, timestamps filled in) through the
process's Ingestor after a forced registry refresh: accepted whole → status replayed with who and when; values
still failing → the letter stays open holding only those values with the new reason (a second failing reason
becomes a new open letter). A replay adds the readings it stores to the device's counters but counts no new
message or rejection.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.orm import Session

from digipark.audit.service import record
from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound, PermissionDenied
from digipark.core.listing import ListQuery, ListSpec, Page
from digipark.registry.models import Device, Park
from digipark.telemetry.ingest import InboundMessage, get_ingestor
from digipark.telemetry.ingest_schemas import DeadLetterRead, DeviceTrafficRead, ReplaySummary
from digipark.telemetry.ingest_writes import dead_letter_values, store_dead_letters
from digipark.telemetry.models import DeadLetter, DeadLetterStatus, DeviceRejection, DeviceTraffic

READ_PERMISSION = "telemetry.view"
WRITE_PERMISSION = "telemetry.deadletters"
UNKNOWN_DEVICES_PERMISSION = "telemetry.unknown_devices"  # dead letters of unknown tokens (no park)

LIST_SPEC = ListSpec(
    filters={
        "park_id": DeadLetter.park_id,
        "device_id": DeadLetter.device_id,
        "reason": DeadLetter.reason,
        "status": DeadLetter.status,
        "source": DeadLetter.source,
        "token": DeadLetter.token,
    },
    search=(DeadLetter.detail, DeadLetter.topic),
    sort={
        "id": DeadLetter.id,
        "received_at": DeadLetter.received_at,
        "reason": DeadLetter.reason,
        "status": DeadLetter.status,
        "device_id": DeadLetter.device_id,
    },
    default_sort="-id",
)

_COUNTERS = ("messages", "readings", "duplicates", "bad_quality", "rejected", "last_seen_ms")


def _zero_if_null(column: Any) -> Any:
    return func.coalesce(column, 0)


TRAFFIC_SPEC = ListSpec(
    filters={
        "enterprise_id": Device.enterprise_id,
        "building_id": Device.building_id,
        "kind": Device.kind,
        "status": Device.status,
    },
    search=(Device.code, Device.name),
    sort={
        "code": Device.code,
        "id": Device.id,
        # a device without traffic has no row: sorted as zeros on every database (NULLs sort apart otherwise)
        **{name: _zero_if_null(getattr(DeviceTraffic, name)) for name in _COUNTERS},
    },
    default_sort="code",
)


@dataclasses.dataclass
class DeadLetterParams:
    """A list request: filters, search, sort and page (`query`), and a receive-time window [from, to); a
    naive time is read in the platform's time zone."""

    query: ListQuery = dataclasses.field(default_factory=ListQuery)
    received_from: dt.datetime | None = None
    received_to: dt.datetime | None = None


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=zoneinfo.ZoneInfo(get_settings().timezone))
    return value


def visible(scope: Scope) -> ColumnElement[bool]:
    """The dead letters this scope may read (see the module docstring)."""
    if not scope.can(READ_PERMISSION):
        return false()
    parks: ColumnElement[bool] = DeadLetter.park_id.in_(sorted(scope.read_parks))
    if scope.own_enterprise_only:
        if not (scope.enterprise_id and scope.read_parks):
            return false()
        owned = select(Device.id).where(scope.condition(Device))
        return parks & DeadLetter.device_id.in_(owned)
    return or_(parks, DeadLetter.park_id.is_(None)) if scope.can(UNKNOWN_DEVICES_PERMISSION) else parks


def list_dead_letters(session: Session, *, scope: Scope, params: DeadLetterParams) -> Page[DeadLetterRead]:
    stmt = select(DeadLetter).where(visible(scope))
    if params.received_from is not None:
        stmt = stmt.where(DeadLetter.received_at >= _aware(params.received_from))
    if params.received_to is not None:
        stmt = stmt.where(DeadLetter.received_at < _aware(params.received_to))
    rows, total = LIST_SPEC.apply(session, stmt, params.query)
    return Page[DeadLetterRead](
        items=[DeadLetterRead.model_validate(row) for row in rows],
        total=total,
        page=params.query.page,
        page_size=params.query.page_size,
    )


def get_dead_letter(session: Session, *, scope: Scope, ident: int) -> DeadLetter:
    found = session.scalar(select(DeadLetter).where(visible(scope), DeadLetter.id == ident))
    if found is None:
        raise NotFound(f"dead_letter {ident} not found")
    return found


def _for_write(session: Session, scope: Scope, ids: Sequence[int]) -> builtins.list[DeadLetter]:
    """The open dead letters `ids`, checked: 404 for any not visible, 403 without the permission in its park,
    409 for any no longer open."""
    wanted = sorted(set(ids))
    stmt = select(DeadLetter).where(visible(scope), DeadLetter.id.in_(wanted)).order_by(DeadLetter.id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    letters = builtins.list(session.scalars(stmt))
    missing = sorted(set(wanted) - {letter.id for letter in letters})
    if missing:
        raise NotFound(f"dead letters not found: {missing[:20]}")
    scope.require(WRITE_PERMISSION)
    for letter in letters:
        if letter.park_id is None:
            if not scope.can(UNKNOWN_DEVICES_PERMISSION):
                raise PermissionDenied("only a park admin may handle dead letters of unknown devices")
        else:
            scope.authorize_write(WRITE_PERMISSION, park_id=letter.park_id)
    closed = [letter.id for letter in letters if letter.status != DeadLetterStatus.OPEN.value]
    if closed:
        raise Conflict(f"dead letters already replayed or discarded: {closed[:20]}")
    return letters


def _epoch_ms(value: dt.datetime) -> int:
    return int(value.timestamp() * 1000)


def replay(session: Session, *, scope: Scope, ids: Sequence[int]) -> ReplaySummary:
    letters = _for_write(session, scope, ids)
    messages = [
        InboundMessage(
            source=letter.source,
            topic=letter.topic,
            username=letter.token,
            payload=letter.payload.encode("utf-8"),
            received_ms=_epoch_ms(letter.received_at),
            token_hash=letter.token_hash,
        )
        for letter in letters
    ]
    batch = get_ingestor().run(session, messages, force_refresh=True, count_traffic=False)
    failing: dict[int, builtins.list[Any]] = {}
    for draft in batch.dead:
        failing.setdefault(draft.message, []).append(draft)
    now = utcnow()
    replayed: builtins.list[int] = []
    still_open: builtins.list[int] = []
    extra = []
    for index, letter in enumerate(letters):
        before = {"status": letter.status, "reason": letter.reason, "payload": letter.payload}
        drafts = failing.get(index, [])
        if not drafts:
            letter.status = DeadLetterStatus.REPLAYED.value
            letter.resolved_at = now
            letter.resolved_by = scope.username
            replayed.append(letter.id)
        else:
            first, *rest = drafts
            values = dead_letter_values(first)
            letter.reason, letter.detail, letter.payload = values["reason"], values["detail"], values["payload"]
            letter.park_id, letter.device_id = values["park_id"], values["device_id"]
            extra.extend(rest)
            still_open.append(letter.id)
        session.flush()
        record(
            session,
            action="dead_letter_replayed",
            entity_type="dead_letter",
            entity_id=letter.id,
            park_id=letter.park_id,
            before=before,
            after={"status": letter.status, "reason": letter.reason, "payload": letter.payload},
        )
    if extra:
        store_dead_letters(session, extra)
    summary = batch.summary
    return ReplaySummary(
        requested=len(letters),
        replayed=len(replayed),
        still_open=len(still_open),
        stored=summary.stored,
        duplicates=summary.duplicates,
        bad_quality=summary.bad_quality,
        rejected_by_reason=dict(summary.rejected_by_reason),
        replayed_ids=replayed,
        open_ids=still_open,
    )


def discard(session: Session, *, scope: Scope, ids: Sequence[int]) -> int:
    letters = _for_write(session, scope, ids)
    now = utcnow()
    for letter in letters:
        letter.status = DeadLetterStatus.DISCARDED.value
        letter.resolved_at = now
        letter.resolved_by = scope.username
        session.flush()
        record(
            session,
            action="dead_letter_discarded",
            entity_type="dead_letter",
            entity_id=letter.id,
            park_id=letter.park_id,
            before={"status": DeadLetterStatus.OPEN.value},
            after={"status": letter.status, "reason": letter.reason},
        )
    return len(letters)


# -- traffic ------------------------------------------------------------------------------------------------------
def _rejections(session: Session, device_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {}
    if not device_ids:
        return found
    stmt = select(DeviceRejection.device_id, DeviceRejection.reason, DeviceRejection.count).where(
        DeviceRejection.device_id.in_(sorted(device_ids))
    )
    for device_id, reason, count in session.execute(stmt.order_by(DeviceRejection.reason)):
        found.setdefault(device_id, {})[reason] = int(count)
    return found


def _traffic_read(device: Device, traffic: DeviceTraffic | None, rejections: dict[str, int]) -> DeviceTrafficRead:
    last_seen_ms = traffic.last_seen_ms if traffic is not None else None
    return DeviceTrafficRead(
        device_id=device.id,
        park_id=device.park_id,
        enterprise_id=device.enterprise_id,
        code=device.code,
        name=device.name,
        messages=traffic.messages if traffic is not None else 0,
        readings=traffic.readings if traffic is not None else 0,
        duplicates=traffic.duplicates if traffic is not None else 0,
        bad_quality=traffic.bad_quality if traffic is not None else 0,
        rejected=traffic.rejected if traffic is not None else 0,
        rejections=rejections,
        last_seen_ms=last_seen_ms,
        last_seen=None if last_seen_ms is None else dt.datetime.fromtimestamp(last_seen_ms / 1000, dt.UTC),
    )


def device_traffic(session: Session, *, scope: Scope, device_id: int) -> DeviceTrafficRead:
    """Counters of one device the scope may read (zeros before its first message)."""
    device = scope.get_or_404(session, Device, device_id)
    traffic = session.get(DeviceTraffic, device.id)
    return _traffic_read(device, traffic, _rejections(session, [device.id]).get(device.id, {}))


def park_traffic(session: Session, *, scope: Scope, park_id: int, query: ListQuery) -> Page[DeviceTrafficRead]:
    """Counters of the park's devices the scope may read, devices without traffic included (zeros)."""
    park = scope.get_or_404(session, Park, park_id)
    stmt: Select[Any] = (
        select(Device, DeviceTraffic)  # type: ignore[assignment]
        .outerjoin(DeviceTraffic, DeviceTraffic.device_id == Device.id)
        .where(scope.condition(Device), Device.park_id == park.id)
    )
    stmt = TRAFFIC_SPEC.filtered(stmt, query)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page = stmt.order_by(*TRAFFIC_SPEC.order_by(query.sort), Device.id)
    rows: builtins.list[tuple[Device, DeviceTraffic | None]] = [
        (device, traffic)
        for device, traffic in session.execute(page.limit(query.page_size).offset((query.page - 1) * query.page_size))
    ]
    rejections = _rejections(session, [device.id for device, _traffic in rows])
    return Page[DeviceTrafficRead](
        items=[_traffic_read(device, traffic, rejections.get(device.id, {})) for device, traffic in rows],
        total=total,
        page=query.page,
        page_size=query.page_size,
    )
