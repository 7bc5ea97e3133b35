"""REST API of device state and the live stream (thin: parse, check scope, call telemetry.devices / .live).

- `GET /api/v1/telemetry/devices`: the devices the caller may read with their online state and counters.
- `GET /api/v1/telemetry/devices/{id}`: one device with every point's last value and its rejections by reason.
- `GET /api/v1/live/points?point_id=…`: server-sent events (`event: readings`, data
  `{"points": {"<id>": {"ts", "value", "quality"}}}`) of the newest values of those points, the current ones
  first; heartbeats as SSE comments. Only points the caller may read (404 otherwise), at most 200.
"""

# No `from __future__ import annotations`: FastAPI reads the route annotations at import time.

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.auth.scope import Scope
from digipark.core.bounds import RowId
from digipark.core.errors import NotFound, field_error
from digipark.core.listing import ListQuery, Page
from digipark.telemetry import devices, live
from digipark.telemetry.devices import DeviceDetailRead, DeviceStatusRead
from digipark.telemetry.models import PointLatest

router = APIRouter(prefix="/api/v1")
DEVICES: list[str | Enum] = ["telemetry: device state"]
LIVE: list[str | Enum] = ["telemetry: live"]

Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_ID = 2**31 - 1
PointIds = Annotated[list[RowId], Query(alias="point_id", description="repeat for several points (at most 200)")]
StateParam = Annotated[str | None, Query(max_length=20, description="online, partial, offline or no_data")]


@router.get("/telemetry/devices", response_model=Page[DeviceStatusRead], tags=DEVICES)
def list_device_states(
    db: DbSession,
    scope: CurrentScope,
    query: Annotated[ListQuery, Depends(devices.LIST_SPEC.dependency())],
    state: StateParam = None,
) -> Any:
    """Sort by code, name, kind, id, state, last_reading, messages or rejected ('-' for descending)."""
    return devices.list(db, scope=scope, query=query, state=devices.parse_state(state))


@router.get("/telemetry/devices/{ident}", response_model=DeviceDetailRead, tags=DEVICES)
def get_device_state(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return devices.get(db, scope=scope, device_id=ident)


def open_stream(session: Session, scope: Scope, point_ids: list[int]) -> StreamingResponse:
    """Check the points against the scope, read their current values, and stream (shared with the page route)."""
    ids = list(dict.fromkeys(point_ids))
    if not ids:
        raise field_error("point_id", "give at least one point id")
    if len(ids) > live.MAX_POINTS:
        raise field_error("point_id", f"at most {live.MAX_POINTS} points per stream", limit=live.MAX_POINTS)
    if any(not 1 <= pid <= MAX_ID for pid in ids):
        raise field_error("point_id", f"a point id is a whole number from 1 to {MAX_ID}")
    readable = devices.readable_points(session, scope=scope, point_ids=ids)
    missing = [pid for pid in ids if pid not in readable]
    if missing:
        raise NotFound(f"point {missing[0]} not found")
    initial = {
        int(pid): (int(ts), float(value), int(quality))
        for pid, ts, value, quality in session.execute(
            select(PointLatest.point_id, PointLatest.ts, PointLatest.value, PointLatest.quality).where(
                PointLatest.point_id.in_(ids)
            )
        )
    }
    sub = live.hub().subscribe(ids)
    return StreamingResponse(live.event_stream(sub, initial), media_type="text/event-stream", headers=live.SSE_HEADERS)


@router.get(
    "/live/points",
    tags=LIVE,
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}},
)
def live_points(db: DbSession, scope: CurrentScope, point_ids: PointIds) -> StreamingResponse:
    """Server-sent events of the newest values of these points."""
    return open_stream(db, scope, point_ids)
