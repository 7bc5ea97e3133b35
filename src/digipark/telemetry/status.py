"""Online state of points and devices: a point is online while its newest reading is younger than
`settings.offline_after_intervals` times its expected interval."""

from __future__ import annotations

import time

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from digipark.core.config import get_settings
from digipark.registry.models import Point
from digipark.telemetry.models import PointLatest


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def online_condition(now: int | None = None) -> ColumnElement[bool]:
    """SQL condition on PointLatest joined to Point: the point reported recently enough."""
    now = now_ms() if now is None else now
    factor = get_settings().offline_after_intervals
    return PointLatest.ts >= now - Point.expected_interval_s * 1000 * factor


def online_share(
    session: Session, *, park_id: int, quantity: str | None = None, now: int | None = None
) -> tuple[int, int]:
    """(online points, all points) of a park, optionally of one quantity (e.g. "electric_energy")."""
    total_query = select(func.count()).select_from(Point).where(Point.park_id == park_id)
    online_query = (
        select(func.count())
        .select_from(Point)
        .join(PointLatest, and_(PointLatest.point_id == Point.id, online_condition(now)))
        .where(Point.park_id == park_id)
    )
    if quantity is not None:
        total_query = total_query.where(Point.quantity == quantity)
        online_query = online_query.where(Point.quantity == quantity)
    return int(session.scalar(online_query) or 0), int(session.scalar(total_query) or 0)
