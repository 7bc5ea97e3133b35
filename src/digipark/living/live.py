"""The car-park page live: a server-sent event stream of the park's occupancy, sent again as soon as one of its
parking sensors' readings is stored (telemetry's live hub), and at least every `REFRESH_S` (visitor reservations
start and end without a reading)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from digipark.auth.scope import Scope
from digipark.core.db import transaction
from digipark.living import parking
from digipark.living.models import ParkingSpace
from digipark.telemetry import provides as telemetry

OCCUPANCY = "occupancy"
REFRESH_S = 15.0


def occupancy_now(scope: Scope, park_id: int) -> list[dict[str, Any]]:
    with transaction() as db:
        return [o.model_dump(mode="json") for o in parking.occupancy(db, scope=scope, park_id=park_id)]


async def occupancy_stream(
    sub: telemetry.Subscription,
    scope: Scope,
    park_id: int,
    first: list[dict[str, Any]],
    *,
    refresh_s: float = REFRESH_S,
) -> AsyncIterator[str]:
    """The retry hint and the occupancy now, then the occupancy again after each batch of sensor readings."""
    try:
        sub.bind()
        yield f"retry: {telemetry.RETRY_MS}\n\n"
        yield telemetry.format_event(OCCUPANCY, first)
        while not sub.closed:
            await sub.next(refresh_s)
            yield telemetry.format_event(OCCUPANCY, await run_in_threadpool(occupancy_now, scope, park_id))
    finally:
        telemetry.hub().unsubscribe(sub)


def open_stream(db: Session, scope: Scope, park_id: int) -> StreamingResponse:
    """Checks the caller may read the park's car parks before the stream starts (a refusal is a plain answer)."""
    first = [o.model_dump(mode="json") for o in parking.occupancy(db, scope=scope, park_id=park_id)]
    points = db.scalars(
        select(ParkingSpace.point_id).where(ParkingSpace.park_id == park_id, ParkingSpace.point_id.is_not(None))
    )
    sub = telemetry.hub().subscribe([p for p in points if p is not None])
    return StreamingResponse(
        occupancy_stream(sub, scope, park_id, first), media_type="text/event-stream", headers=telemetry.SSE_HEADERS
    )
