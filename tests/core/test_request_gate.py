"""The request gate (`core.request_gate`): no more requests at work than the pool has connections, so threads and
connections never wait for each other; a request that waits too long is answered 503 with Retry-After, problem+json
on the API and the translated busy page on the web; a live stream does not keep its place."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.responses import StreamingResponse
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

from digipark.core.db import pool_capacity
from digipark.core.request_gate import RequestGate, slots_for
from digipark.web.errors import busy_page

pytestmark = pytest.mark.engine_neutral

REQUESTS = 60


def _app_of_many_steps(tmp_path: Path, *, gated: bool) -> FastAPI:
    """Requests as the platform's: a transaction taken by a dependency, more dependencies and a synchronous endpoint,
    each step on the thread pool, the connection held in between; a pool of 6 waiting 3 s for a connection."""
    engine = create_engine(f"sqlite:///{tmp_path}/gate.db", pool_size=5, max_overflow=1, pool_timeout=3)

    def transaction() -> Iterator[Connection]:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            yield connection

    def user(connection: Connection = Depends(transaction, scope="function")) -> int:
        return int(connection.execute(text("SELECT 2")).scalar_one())

    def scope(connection: Connection = Depends(transaction, scope="function"), who: int = Depends(user)) -> int:
        time.sleep(0.002)
        return who

    app = FastAPI()

    @app.get("/api/v1/work")
    def work(connection: Connection = Depends(transaction, scope="function"), who: int = Depends(scope)) -> int:
        time.sleep(0.005)
        return int(connection.execute(text("SELECT 3")).scalar_one()) + who

    if gated:
        app.add_middleware(RequestGate, slots=slots_for(pool_capacity(engine)), wait_s=30)
    return app


async def _many_at_once(app: FastAPI) -> list[int]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as client:
        answers = await asyncio.gather(*(client.get("/api/v1/work") for _ in range(REQUESTS)))
    return [answer.status_code for answer in answers]


def test_many_requests_at_once_all_get_their_connection_through_the_gate(tmp_path: Path) -> None:
    statuses = asyncio.run(_many_at_once(_app_of_many_steps(tmp_path, gated=True)))
    assert statuses == [200] * REQUESTS


def test_without_the_gate_the_same_requests_wait_for_each_other_until_the_pool_gives_up(tmp_path: Path) -> None:
    """What the gate is for (a regression guard of the test itself): the same app without it times out."""
    statuses = asyncio.run(_many_at_once(_app_of_many_steps(tmp_path, gated=False)))
    assert 500 in statuses


def _app_held_open(release: anyio.Event, entered: anyio.Event) -> RequestGate:
    app = FastAPI()

    @app.get("/api/v1/slow")
    async def slow() -> str:
        entered.set()
        await release.wait()
        return "done"

    @app.get("/slow-page")
    async def slow_page() -> str:
        return await slow()

    @app.get("/api/v1/stream")
    async def stream() -> StreamingResponse:
        async def body() -> Iterator[bytes]:  # type: ignore[misc]
            entered.set()
            yield b"data: first\n\n"
            await release.wait()
            yield b"data: last\n\n"

        return StreamingResponse(body(), media_type="text/event-stream")

    @app.get("/api/v1/quick")
    async def quick() -> str:
        return "quick"

    return RequestGate(app, slots=1, wait_s=0.3, busy_page=busy_page)


def test_a_request_that_waits_too_long_is_answered_busy_on_the_api_and_on_pages() -> None:
    async def scenario() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        release, entered = anyio.Event(), anyio.Event()
        transport = httpx.ASGITransport(app=_app_held_open(release, entered))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            holder = asyncio.create_task(client.get("/api/v1/slow"))
            await entered.wait()
            api = await client.get("/api/v1/quick")
            client.cookies.set("dp_lang", "zh")
            page = await client.get("/slow-page")
            release.set()
            return api, page, await holder

    api, page, held = asyncio.run(scenario())
    assert api.status_code == 503 and api.headers["Retry-After"].isdigit()
    assert api.headers["content-type"].startswith("application/problem+json") and "busy" in api.json()["detail"]
    assert page.status_code == 503 and page.headers["Retry-After"].isdigit()
    assert "text/html" in page.headers["content-type"] and "请稍后" in page.text
    assert held.status_code == 200 and held.json() == "done"


def test_a_live_stream_leaves_its_place_when_its_response_starts() -> None:
    async def scenario() -> tuple[int, bytes]:
        release, entered = anyio.Event(), anyio.Event()
        gate = _app_held_open(release, entered)
        first_event = anyio.Event()

        async def streaming_send(message: dict[str, object]) -> None:
            if message["type"] == "http.response.body":
                first_event.set()

        stream = asyncio.create_task(_call(gate, "/api/v1/stream", streaming_send))
        await first_event.wait()
        quick: list[dict[str, object]] = []

        async def collect(message: dict[str, object]) -> None:
            quick.append(message)

        await _call(gate, "/api/v1/quick", collect)
        release.set()
        await stream
        return int(quick[0]["status"]), b"".join(bytes(m.get("body", b"")) for m in quick[1:])  # type: ignore[call-overload]

    assert asyncio.run(scenario()) == (200, b'"quick"')


async def _call(app: object, path: str, send: object) -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }

    requested = False

    async def receive() -> dict[str, object]:
        nonlocal requested
        if requested:  # the client stays connected
            await anyio.sleep_forever()
        requested = True
        return {"type": "http.request", "body": b"", "more_body": False}

    await app(scope, receive, send)  # type: ignore[operator]
