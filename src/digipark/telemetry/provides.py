"""Telemetry's one door for other modules: what they may read and hook into.

- the newest reading of each point and the online rule: `PointLatest`, `online_points`, `online_condition`,
  `online_share`, `now_ms`;
- rollups of consumption and measurements: `Rollup15m`, `Rollup1h`, `Rollup1mo`, the cumulative state class
  (`CUMULATIVE`) and the local zone buckets are cut in (`local_zone`);
- one point's series, as the caller may read it: `point_series`;
- readings as they arrive and once stored (a rules engine): `InboundMessage`, `Ingestor`, `get_ingestor`,
  `ReadingsStored`; a connector's batches written with deferred coarse rollups (`WriteOptions`) and their refresh
  (`refresh_pending`);
- dead letters of connectors that read a field protocol and reject a frame before it becomes a message
  (`dead_letter`, `RejectReason`);
- devices' events over MQTT (a gate's pass, a vehicle's progress: `digipark/v1/<token>/events`, which only that
  device may publish to) for a domain's consumer: `DEVICE_EVENTS_FILTER`, `device_events_topic`,
  `token_of_events_topic`, and where to subscribe, as whom, `event_broker` (an `EventBroker`);
- the live event stream other modules' streams share: `Subscription`, `hub`, `format_event`, `HEARTBEAT_S`,
  `RETRY_MS`, `SSE_HEADERS`.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.registry.models import Point
from digipark.telemetry.device_events import (
    DEVICE_EVENTS_FILTER,
    EventBroker,
    device_events_topic,
    event_broker,
    token_of_events_topic,
)
from digipark.telemetry.events import ReadingsStored
from digipark.telemetry.ingest import InboundMessage, Ingestor, WriteOptions, get_ingestor
from digipark.telemetry.ingest_writes import DETAIL_LENGTH, DeadLetterDraft, cut_payload, store_dead_letters
from digipark.telemetry.live import HEARTBEAT_S, RETRY_MS, SSE_HEADERS, Subscription, format_event, hub
from digipark.telemetry.models import PointLatest, RejectReason, Rollup1h, Rollup1mo, Rollup15m
from digipark.telemetry.query import point_series
from digipark.telemetry.rollups import CUMULATIVE, local_zone
from digipark.telemetry.rollups_refresh import refresh_pending
from digipark.telemetry.status import now_ms, online_condition, online_share

__all__ = [
    "CUMULATIVE",
    "DEVICE_EVENTS_FILTER",
    "HEARTBEAT_S",
    "RETRY_MS",
    "SSE_HEADERS",
    "EventBroker",
    "InboundMessage",
    "Ingestor",
    "PointLatest",
    "ReadingsStored",
    "RejectReason",
    "Rollup1h",
    "Rollup1mo",
    "Rollup15m",
    "Subscription",
    "WriteOptions",
    "dead_letter",
    "device_events_topic",
    "event_broker",
    "format_event",
    "get_ingestor",
    "hub",
    "local_zone",
    "now_ms",
    "online_condition",
    "online_points",
    "online_share",
    "point_series",
    "refresh_pending",
    "token_of_events_topic",
]


def online_points(session: Session, point_ids: Collection[int], *, now: int | None = None) -> set[int]:
    """The points among `point_ids` whose newest reading is recent enough to count as online."""
    if not point_ids:
        return set()
    # the condition reads the point's own expected interval: joined to its point (without the join the query was
    # the product of every latest reading with every point, and counted a point online by the slowest point's rule)
    stmt = (
        select(PointLatest.point_id)
        .join(Point, Point.id == PointLatest.point_id)
        .where(PointLatest.point_id.in_(sorted(point_ids)), online_condition(now))
    )
    return set(session.scalars(stmt))


def dead_letter(
    session: Session,
    *,
    source: str,
    payload: str,
    reason: RejectReason,
    detail: str,
    received_ms: int,
    origin: str,
    park_id: int | None = None,
    device_id: int | None = None,
) -> None:
    """Keep a frame a connector (HJ 212, Modbus) could not turn into readings, with its reason, as a dead letter
    (rate-limited per `origin` as the ingest's own are)."""
    from digipark.telemetry.ingest import get_ingestor

    draft = DeadLetterDraft(
        message=0,
        park_id=park_id,
        device_id=device_id,
        source=source,
        topic=None,
        token=None,
        payload=cut_payload(payload, len(payload.encode("utf-8"))),
        reason=reason.value,
        detail=detail[:DETAIL_LENGTH],
        received_ms=received_ms,
        count=1,
        source_key=f"device:{device_id}" if device_id is not None else f"{source}:address:{origin}",
    )
    store_dead_letters(session, [draft], get_ingestor().dead_letter_limiter)
