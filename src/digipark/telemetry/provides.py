"""What telemetry offers other modules to read: which points are online (telemetry's online rule)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.telemetry.models import PointLatest
from digipark.telemetry.status import now_ms, online_condition, online_share

__all__ = ["now_ms", "online_condition", "online_points", "online_share"]


def online_points(session: Session, point_ids: Collection[int], *, now: int | None = None) -> set[int]:
    """The points among `point_ids` whose newest reading is recent enough to count as online."""
    if not point_ids:
        return set()
    stmt = select(PointLatest.point_id).where(PointLatest.point_id.in_(sorted(point_ids)), online_condition(now))
    return set(session.scalars(stmt))
