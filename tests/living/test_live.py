"""The car-park page live: its stream sends the occupancy at once and again when a parking sensor's reading is
stored, and it is refused to whom may not read the park's car parks."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.orm import Session

from digipark.core.errors import DomainError
from digipark.living import live
from digipark.telemetry.provides import PointLatest, hub
from tests.conftest import World
from tests.living.helpers import car_park, scope_of


def _occupied(message: str, car_park_id: int) -> int:
    event, data = message.strip().split("\n", 1)
    assert event == f"event: {live.OCCUPANCY}"
    rows = json.loads(data.removeprefix("data: "))
    return next(int(r["occupied"]) for r in rows if r["car_park_id"] == car_park_id)


def test_a_sensor_change_is_pushed(db: Session, world: World) -> None:
    lot = car_park(db, world, code="PL", capacity=2, visitor_spaces=0)
    point = world.a.point_ids[0]
    db.execute(delete(PointLatest).where(PointLatest.point_id == point))
    db.add(PointLatest(point_id=point, ts=1_700_000_000_000, value=0.0, quality=0))
    db.flush()
    operator = scope_of(db, "TA", "operator")
    response = live.open_stream(db, operator, world.a.park_id)
    subs = [s for s in hub()._all if point in s.point_ids]  # the stream listens to the car park's sensors
    assert subs

    async def run() -> list[str]:
        body = response.body_iterator
        got = [await anext(body), await anext(body)]  # retry hint, the occupancy now
        reading = db.get(PointLatest, point)
        assert reading is not None
        reading.value, reading.ts = 1.0, 1_700_000_060_000
        db.flush()
        for sub in subs:
            sub.offer_readings({point: (1_700_000_060_000, 1.0, 0)})
        got.append(await asyncio.wait_for(anext(body), 5))
        await body.aclose()  # type: ignore[attr-defined]
        return got

    retry, first, pushed = asyncio.run(run())
    assert retry.startswith("retry:")
    assert (_occupied(first, lot.id), _occupied(pushed, lot.id)) == (0, 1)
    assert all(s.closed for s in subs)


def test_the_stream_is_refused_outside_the_park(db: Session, world: World) -> None:
    before = len(hub()._all)
    with pytest.raises(DomainError) as refused:  # another park's operator asks for park A's car parks
        live.open_stream(db, scope_of(db, "TB", "operator"), world.a.park_id)
    assert refused.value.status in (403, 404) and len(hub()._all) == before  # nothing subscribed


def test_the_page_stream_needs_a_login(client: TestClient) -> None:
    response = client.get("/living/parking/live", follow_redirects=False)
    assert response.status_code in (303, 401, 403)
