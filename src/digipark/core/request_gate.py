"""At most as many requests doing their work at once as the database pool can serve.

A request's transaction takes a pooled connection at its first statement and keeps it while its next step (a
dependency, the endpoint, the commit) waits for a thread. With more requests inside than connections, the threads can
all end up waiting for a connection while every connection waits for a thread: nothing moves until the pool's timeout
(measured: 200 requests/s against two processes answered 10 a second, the rest 503 after 30–60 s, the CPU idle).
The gate admits no more requests than the pool has connections (less a few for background work) and lets the rest wait
outside, holding nothing; a request leaves the gate when its response starts (its transaction has ended by then; a
live stream does not hold a place). One that waits longer than `WAIT_S` is answered 503 with Retry-After, as a busy
database is."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from weakref import WeakKeyDictionary

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digipark.core.db import RETRY_AFTER_S, get_engine, pool_capacity
from digipark.core.errors import PROBLEM_MEDIA_TYPE, ServiceBusy

RESERVED_CONNECTIONS = 4
"""Connections left to work outside requests: tasks after a response, the dispatcher and sweeps in the process."""
WAIT_S = 30.0
"""How long a request waits for a place (the pool's own wait for a connection is as long)."""
UNGATED_PREFIXES = ("/static/", "/healthz", "/metrics")
BUSY_DETAIL = "the server is busy with other requests; nothing was changed, try again shortly"


def slots_for(capacity: int) -> int:
    """Requests admitted at once for a pool of `capacity` connections."""
    return max(1, capacity - RESERVED_CONNECTIONS)


class RequestGate:
    """Plain ASGI middleware (see the module's text)."""

    def __init__(
        self,
        app: ASGIApp,
        slots: int | None = None,
        wait_s: float = WAIT_S,
        busy_page: Callable[[Request], Response | None] | None = None,
    ) -> None:
        """`busy_page`: the answer to a request that waited too long (None, or it answers None: problem+json)."""
        self.app = app
        self.slots = slots
        self.wait_s = wait_s
        self.busy_page = busy_page
        self._places: WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.Semaphore] = WeakKeyDictionary()

    def _semaphore(self) -> anyio.Semaphore:
        """The places of the running event loop (a server has one; tests start one per client)."""
        loop = asyncio.get_running_loop()
        places = self._places.get(loop)
        if places is None:  # sized by the engine the process serves when it first answers
            places = self._places[loop] = anyio.Semaphore(self.slots or slots_for(pool_capacity(get_engine())))
        return places

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNGATED_PREFIXES):
            await self.app(scope, receive, send)
            return
        places = self._semaphore()
        try:
            with anyio.fail_after(self.wait_s):
                await places.acquire()
        except TimeoutError:
            response = self.busy_page(Request(scope)) if self.busy_page is not None else None
            await (response or _busy_problem(scope))(scope, receive, send)
            return
        held = True

        def leave() -> None:
            nonlocal held
            if held:
                held = False
                places.release()

        async def send_leaving(message: Message) -> None:
            if message["type"] == "http.response.start":
                leave()
            await send(message)

        try:
            await self.app(scope, receive, send_leaving)
        finally:
            leave()


def _busy_problem(scope: Scope) -> Response:
    body = ServiceBusy(BUSY_DETAIL).problem()
    body.setdefault("instance", scope["path"])
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=body["status"],
        media_type=PROBLEM_MEDIA_TYPE,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )
