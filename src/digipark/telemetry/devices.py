"""Device state: online/offline from the points' newest readings, last values, message and rejection counts.

A point is online while its newest reading is younger than `settings.offline_after_intervals` times its expected
interval (`telemetry.status.online_condition`). A device's state, over the points that have reported at least
once:
- `online`: every one of them is online;
- `partial`: some are, some are not;
- `offline`: none is;
- `no_data`: no point of the device has reported yet.
Reads go through the scope: park staff (and reviewers) see the park's devices, an enterprise user only its own
enterprise's devices, a resident none.
"""

from __future__ import annotations

import builtins
import datetime as dt
import enum
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import field_error
from digipark.core.listing import ListQuery, ListSpec, Page
from digipark.registry.models import Device, Point
from digipark.telemetry.models import DeviceRejection, DeviceTraffic, PointLatest
from digipark.telemetry.status import now_ms, online_condition


class DeviceState(enum.StrEnum):
    ONLINE = "online"
    PARTIAL = "partial"
    OFFLINE = "offline"
    NO_DATA = "no_data"


class PointState(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    name: str
    quantity: str
    unit: str
    state_class: str
    expected_interval_s: int
    valid_min: float | None
    valid_max: float | None
    ts: int | None
    last_seen: dt.datetime | None
    value: float | None
    quality: int | None
    online: bool


class DeviceStatusRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    enterprise_id: int | None
    building_id: int | None
    code: str
    name: str
    name_en: str | None = None
    kind: str
    status: str
    state: DeviceState
    points: int
    points_reporting: int
    points_online: int
    last_reading_ms: int | None
    last_reading: dt.datetime | None
    last_message_ms: int | None
    messages: int
    readings: int
    bad_quality: int
    rejected: int


class DeviceDetailRead(DeviceStatusRead):
    rejections: dict[str, int]
    point_states: list[PointState]


class ParkStateCounts(BaseModel):
    park_id: int
    devices: int
    online: int
    partial: int
    offline: int
    no_data: int


LIST_SPEC = ListSpec(
    filters={
        "park_id": Device.park_id,
        "kind": Device.kind,
        "building_id": Device.building_id,
        "enterprise_id": Device.enterprise_id,
        "status": Device.status,
    },
    search=(Device.code, Device.name),
    sort={"code": Device.code, "name": Device.name, "kind": Device.kind, "id": Device.id},
    default_sort="code",
)


def _ms_time(ms: int | None) -> dt.datetime | None:
    return None if ms is None else dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def parse_state(value: str | None) -> DeviceState | None:
    if value in (None, ""):
        return None
    try:
        return DeviceState(value)
    except ValueError:
        allowed = ", ".join(s.value for s in DeviceState)
        raise field_error("state", f"unknown state {value!r}; one of {allowed}") from None


def _point_stats(scope: Scope, now: int) -> Any:
    """Per device: points, points that reported, points online, newest reading."""
    online = case((and_(PointLatest.ts.is_not(None), online_condition(now)), 1), else_=0)
    return (
        select(
            Point.device_id.label("device_id"),
            func.count(Point.id).label("points"),
            func.count(PointLatest.point_id).label("reporting"),
            func.sum(online).label("online"),
            func.max(PointLatest.ts).label("last_ts"),
        )
        .outerjoin(PointLatest, PointLatest.point_id == Point.id)
        .where(scope.condition(Point))
        .group_by(Point.device_id)
        .subquery("point_stats")
    )


def _state_expr(stats: Any) -> ColumnElement[str]:
    reporting = func.coalesce(stats.c.reporting, 0)
    online = func.coalesce(stats.c.online, 0)
    return case(
        (reporting == 0, literal(DeviceState.NO_DATA.value)),
        (online >= reporting, literal(DeviceState.ONLINE.value)),
        (online == 0, literal(DeviceState.OFFLINE.value)),
        else_=literal(DeviceState.PARTIAL.value),
    )


def _status_select(scope: Scope, now: int) -> tuple[Select[Any], ColumnElement[str], Any]:
    stats = _point_stats(scope, now)
    state = _state_expr(stats).label("state")
    stmt = (
        select(Device, stats.c.points, stats.c.reporting, stats.c.online, stats.c.last_ts, state, DeviceTraffic)
        .outerjoin(stats, stats.c.device_id == Device.id)
        .outerjoin(DeviceTraffic, DeviceTraffic.device_id == Device.id)
        .where(scope.condition(Device))
    )
    return stmt, state, stats


def _read(row: Any) -> DeviceStatusRead:
    device, points, reporting, online, last_ts, state, traffic = row
    return DeviceStatusRead(
        id=device.id,
        park_id=device.park_id,
        enterprise_id=device.enterprise_id,
        building_id=device.building_id,
        code=device.code,
        name=device.name,
        name_en=device.name_en,
        kind=device.kind,
        status=device.status,
        state=DeviceState(state),
        points=int(points or 0),
        points_reporting=int(reporting or 0),
        points_online=int(online or 0),
        last_reading_ms=None if last_ts is None else int(last_ts),
        last_reading=_ms_time(None if last_ts is None else int(last_ts)),
        last_message_ms=traffic.last_seen_ms if traffic is not None else None,
        messages=int(traffic.messages) if traffic is not None else 0,
        readings=int(traffic.readings) if traffic is not None else 0,
        bad_quality=int(traffic.bad_quality) if traffic is not None else 0,
        rejected=int(traffic.rejected) if traffic is not None else 0,
    )


SORTS = {"state", "last_reading", "messages", "rejected"}


def list(
    session: Session, *, scope: Scope, query: ListQuery, state: DeviceState | None = None, now: int | None = None
) -> Page[DeviceStatusRead]:
    """The devices the scope may read with their state and counters, filtered, sorted and paged."""
    now = now_ms() if now is None else now
    stmt, state_col, stats = _status_select(scope, now)
    if state is not None:
        stmt = stmt.where(state_col == state.value)
    sort = query.sort or LIST_SPEC.default_sort
    extra: builtins.list[Any] = []
    plain: builtins.list[str] = []
    for part in sort.split(","):
        name = part.strip().lstrip("-")
        if not name:
            continue
        descending = part.strip().startswith("-")
        if name in SORTS:
            column: Any = {
                "state": state_col,
                "last_reading": func.coalesce(stats.c.last_ts, 0),
                "messages": func.coalesce(DeviceTraffic.messages, 0),
                "rejected": func.coalesce(DeviceTraffic.rejected, 0),
            }[name]
            extra.append(column.desc() if descending else column.asc())
        else:
            extra.extend(LIST_SPEC.order_by(part.strip()))
            plain.append(name)
    stmt = LIST_SPEC.filtered(stmt, query)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.execute(
        stmt.order_by(*extra, Device.id).limit(query.page_size).offset((query.page - 1) * query.page_size)
    ).all()
    return Page[DeviceStatusRead](
        items=[_read(row) for row in rows], total=total, page=query.page, page_size=query.page_size
    )


def counts(session: Session, *, scope: Scope, park_id: int, now: int | None = None) -> ParkStateCounts:
    """How many of the park's devices (that the scope may read) are in each state."""
    now = now_ms() if now is None else now
    stmt, state_col, _stats = _status_select(scope, now)
    sub = stmt.where(Device.park_id == park_id).with_only_columns(state_col).subquery()
    found = {
        str(state): int(n) for state, n in session.execute(select(sub.c.state, func.count()).group_by(sub.c.state))
    }
    return ParkStateCounts(
        park_id=park_id,
        devices=sum(found.values()),
        online=found.get(DeviceState.ONLINE.value, 0),
        partial=found.get(DeviceState.PARTIAL.value, 0),
        offline=found.get(DeviceState.OFFLINE.value, 0),
        no_data=found.get(DeviceState.NO_DATA.value, 0),
    )


def get(session: Session, *, scope: Scope, device_id: int, now: int | None = None) -> DeviceDetailRead:
    """One device's state, counters, rejections by reason and every point's last value. 404 outside the scope."""
    now = now_ms() if now is None else now
    device = scope.get_or_404(session, Device, device_id)
    stmt, _state, _stats = _status_select(scope, now)
    row = session.execute(stmt.where(Device.id == device.id)).one()
    base = _read(row)
    factor_condition = online_condition(now)
    point_rows = session.execute(
        select(Point, PointLatest.ts, PointLatest.value, PointLatest.quality, factor_condition)
        .outerjoin(PointLatest, PointLatest.point_id == Point.id)
        .where(Point.device_id == device.id, scope.condition(Point))
        .order_by(Point.id)
    ).all()
    points = [
        PointState(
            id=p.id,
            key=p.key,
            name=p.name,
            quantity=p.quantity,
            unit=p.unit,
            state_class=p.state_class,
            expected_interval_s=p.expected_interval_s,
            valid_min=p.valid_min,
            valid_max=p.valid_max,
            ts=None if ts is None else int(ts),
            last_seen=_ms_time(None if ts is None else int(ts)),
            value=value,
            quality=quality,
            online=bool(ts is not None and is_online),
        )
        for p, ts, value, quality, is_online in point_rows
    ]
    rejections = {
        str(reason): int(n)
        for reason, n in session.execute(
            select(DeviceRejection.reason, DeviceRejection.count)
            .where(DeviceRejection.device_id == device.id)
            .order_by(DeviceRejection.reason)
        )
    }
    return DeviceDetailRead(**base.model_dump(), rejections=rejections, point_states=points)


def readable_points(session: Session, *, scope: Scope, point_ids: builtins.list[int]) -> dict[int, Point]:
    """The points among `point_ids` the scope may read."""
    if not point_ids:
        return {}
    return {p.id: p for p in session.scalars(scope.readable(Point).where(Point.id.in_(sorted(set(point_ids)))))}
