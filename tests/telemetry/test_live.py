"""Live push: the hub hands new values to subscribers across threads, keeps only the newest per point for a
slow client, streams them as server-sent events over HTTP, and only for points the caller may read."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.core.events import bus
from digipark.telemetry import live
from digipark.telemetry.events import ReadingsStored
from digipark.telemetry.live import LiveHub, Subscription
from digipark.telemetry.models import PointLatest
from tests.conftest import World, bearer


def _run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_a_value_published_from_another_thread_reaches_the_subscriber() -> None:
    hub = LiveHub()
    sub = hub.subscribe([1, 2])

    async def main() -> list[tuple[str, Any]]:
        sub.bind()
        thread = threading.Thread(target=hub.offer_readings, args=({1: (1000, 5.5, 0), 3: (1000, 1.0, 0)},))
        thread.start()
        got = await sub.next(5)
        thread.join()
        return got

    assert _run(main()) == [("readings", {"points": {"1": {"ts": 1000, "value": 5.5, "quality": 0}}})]
    hub.unsubscribe(sub)
    assert hub.subscriptions() == 0


def test_a_slow_client_gets_the_newest_value_per_point_not_a_backlog() -> None:
    hub = LiveHub()
    sub = hub.subscribe([1, 2])
    for ts in range(1, 1001):
        hub.offer_readings({1: (ts, float(ts), 0), 2: (ts // 2, float(ts), 0)})
    batch = sub.take()
    assert batch == [
        (
            "readings",
            {
                "points": {
                    "1": {"ts": 1000, "value": 1000.0, "quality": 0},
                    "2": {"ts": 500, "value": 1000.0, "quality": 0},
                }
            },
        )
    ]
    hub.offer_readings({1: (999, 0.0, 0)})  # older than what was sent: dropped
    assert sub.take() == []
    hub.offer_readings({1: (1001, 1.0, 1)})
    assert sub.take()[0][1]["points"]["1"] == {"ts": 1001, "value": 1.0, "quality": 1}


def test_other_live_events_use_the_same_stream() -> None:
    hub = LiveHub()
    sub = hub.subscribe([1])
    hub.offer("alarm", 7, {"id": 7, "severity": "high"})
    assert sub.take() == [("alarm", {"id": 7, "severity": "high"})]
    assert live.format_event("alarm", {"id": 7}) == 'event: alarm\ndata: {"id":7}\n\n'


def test_the_hub_listens_to_readings_stored_on_the_bus() -> None:
    hub = LiveHub()
    sub = hub.subscribe([42])
    try:
        bus.publish(ReadingsStored(latest={42: (5, 1.5, 0), 43: (5, 2.0, 0)}))
        assert sub.take() == [("readings", {"points": {"42": {"ts": 5, "value": 1.5, "quality": 0}}})]
    finally:
        hub.uninstall()
    bus.publish(ReadingsStored(latest={42: (6, 1.5, 0)}))
    assert sub.take() == []


def test_polling_fallback_reads_point_latest(db: Session, world: World) -> None:
    """With ingestion in other processes the API process polls point_latest of the subscribed points."""
    point = world.a.point_ids[0]
    db.add(PointLatest(point_id=point, ts=123_000, value=9.0, quality=0))
    db.flush()
    hub = LiveHub()
    sub = hub.subscribe([point])
    assert hub.poll_once() == 1
    assert sub.take() == [("readings", {"points": {str(point): {"ts": 123_000, "value": 9.0, "quality": 0}}})]
    assert hub.poll_once() == 1
    assert sub.take() == []  # nothing newer


# -- over HTTP ----------------------------------------------------------------------------------------------------
async def _stream(
    app: Any, path: str, headers: dict[str, str], until: Callable[[str], bool], on_open: Callable[[], None] | None
) -> tuple[int, dict[str, str], str]:
    """Drive the ASGI app: GET path, read the body until `until(body)`, then disconnect."""
    received: list[bytes] = []
    status: list[int] = []
    head: dict[str, str] = {}
    done = asyncio.Event()
    path_only, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path_only,
        "raw_path": path_only.encode(),
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in {**headers, "host": "testserver"}.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "root_path": "",
    }
    sent_request = False

    async def receive() -> dict[str, Any]:
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
            head.update({k.decode(): v.decode() for k, v in message["headers"]})
            if on_open is not None and message["status"] == 200:
                threading.Timer(0.3, on_open).start()
        elif message["type"] == "http.response.body":
            received.append(message.get("body", b""))
            if until(b"".join(received).decode()) or not message.get("more_body", False):
                done.set()

    task = asyncio.create_task(app(scope, receive, send))
    await asyncio.wait_for(done.wait(), 15)
    await asyncio.wait_for(task, 15)
    return status[0], head, b"".join(received).decode()


def _events(body: str) -> list[tuple[str, Any]]:
    out = []
    for block in body.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "event" in lines:
            out.append((lines["event"], orjson.loads(lines["data"])))
    return out


def test_sse_sends_current_values_then_new_ones(
    client: TestClient, app_instance: Any, db: Session, world: World
) -> None:
    own_point, other_point = world.a.point_ids[0], world.a.point_ids[1]
    db.add(PointLatest(point_id=own_point, ts=1_000, value=10.0, quality=0))
    db.flush()

    def publish() -> None:  # as the ingest thread does after its commit
        bus.publish(ReadingsStored(latest={own_point: (2_000, 11.5, 0), other_point: (2_000, 3.0, 0)}))

    path = f"/api/v1/live/points?point_id={own_point}"
    status, headers, body = _run(
        _stream(
            app_instance,
            path,
            bearer(world.a.tokens["enterprise"]),
            lambda text: text.count("event: readings") >= 2,
            publish,
        )
    )
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    events = _events(body)
    assert events[0] == ("readings", {"points": {str(own_point): {"ts": 1_000, "value": 10.0, "quality": 0}}})
    assert events[1] == ("readings", {"points": {str(own_point): {"ts": 2_000, "value": 11.5, "quality": 0}}})
    assert live.hub().subscriptions() == 0  # the disconnect ended the subscription


def test_sse_refuses_points_the_caller_may_not_read(client: TestClient, world: World) -> None:
    meter_point, park_point = world.a.point_ids[0], world.a.point_ids[4]
    for who, park in (("enterprise2", "a"), ("resident", "a"), ("park_admin", "b")):
        pw = world.a if park == "a" else world.b
        response = client.get(f"/api/v1/live/points?point_id={meter_point}", headers=bearer(pw.tokens[who]))
        assert response.status_code == 404, (who, response.text)
    # an enterprise user may not mix in a point of the park's own device
    response = client.get(
        f"/api/v1/live/points?point_id={meter_point}&point_id={park_point}",
        headers=bearer(world.a.tokens["enterprise"]),
    )
    assert response.status_code == 404
    assert client.get("/api/v1/live/points", headers=bearer(world.a.tokens["park_admin"])).status_code == 422
    assert client.get(f"/api/v1/live/points?point_id={meter_point}").status_code == 401


@pytest.mark.parametrize("count", [201])
def test_sse_limits_the_points_of_one_stream(client: TestClient, world: World, count: int) -> None:
    query = "&".join(f"point_id={i}" for i in range(1, count + 1))
    response = client.get(f"/api/v1/live/points?{query}", headers=bearer(world.a.tokens["park_admin"]))
    assert response.status_code == 422


def test_subscription_wakes_only_when_bound() -> None:
    sub = Subscription([1])
    sub.offer_readings({1: (1, 1.0, 0)})  # before the stream started: kept

    async def main() -> list[tuple[str, Any]]:
        sub.bind()
        return await sub.next(2)

    assert _run(main())[0][1]["points"]["1"]["ts"] == 1
