"""The FastAPI application: every domain's API router and web pages."""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digipark import __version__
from digipark.audit import service as audit_service
from digipark.core import collector, memtrace, metrics, modules
from digipark.core import progress as work_progress
from digipark.core.broker import probe_mqtt
from digipark.core.config import get_settings
from digipark.core.db import get_engine
from digipark.core.errors import install_problem_handlers
from digipark.core.modules import resolve
from digipark.core.progress import DEMO_EXTRAS
from digipark.core.request_gate import RequestGate

log = logging.getLogger("digipark.http")


def _next_segment(path: str, prefix: str) -> str | None:
    """The path's segment right after `prefix` ("" for the prefix itself or a trailing slash); None when the path
    goes on past the prefix without a slash (`/api/v1/economyX` under `/api/v1/economy`): no route there."""
    rest = path[len(prefix) :]
    if not rest:
        return ""
    if not rest.startswith("/"):
        return None
    return rest[1:].split("/", 1)[0]


def _route_heads(router: APIRouter) -> frozenset[str] | None:
    """The segments right after the router's prefix that its routes start with; None when one starts with a
    parameter (or has no path), so that any segment may match."""
    heads = set()
    for route in router.routes:
        path = getattr(route, "path", None)
        head = _next_segment(path, router.prefix) if isinstance(path, str) else None
        if head is None or "{" in head:
            return None
        heads.add(head)
    return frozenset(heads)


def _skipped_outside_prefix(router: APIRouter) -> APIRouter:
    """Let a router answer "no match" at once for a path outside its prefix (every domain's API router,
    `/api/v1/<domain>`) or whose next segment none of its routes starts with (`/` against the energy pages, or
    `/api/v1/points` against a router of `/api/v1/parks`). FastAPI (0.16x) keeps included routers and asks each in
    turn, which tries each of its routes: about 470 route matches for a request to a late domain, a third of a
    small request's CPU (bench/booking.py); the page routers have no prefix, so a page was matched against each of
    their routes (bench/request_cpu.py). The heads are read again when the router's routes change; where FastAPI
    copies routes at include time instead, this is never called."""
    if getattr(router, "_digipark_skips", False):  # a module's router, already wrapped by an earlier create_app
        return router
    prefix = router.prefix
    matches = router.matches
    known: tuple[int, frozenset[str] | None] = (-1, None)

    def within_prefix(scope: Scope) -> tuple[Match, Scope]:
        nonlocal known
        path: str = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if not path.startswith(prefix):
            return Match.NONE, {}
        if known[0] != len(router.routes):
            known = (len(router.routes), _route_heads(router))
        heads = known[1]
        if heads is not None and _next_segment(path, prefix) not in heads:
            return Match.NONE, {}
        return matches(scope)

    setattr(router, "matches", within_prefix)  # noqa: B010  (an instance's own, not the class's)
    setattr(router, "_digipark_skips", True)  # noqa: B010
    return router


class AccessLog:
    """Logs each HTTP request (method, path, status, duration) once its response is sent: a plain ASGI middleware
    (Starlette's `BaseHTTPMiddleware` costs a task and a stream per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        rid = metrics.request_id(dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1") or None)
        reset = metrics.REQUEST_ID.set(rid)

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            metrics.observe_request(scope["method"], route, status, seconds)
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
            metrics.REQUEST_ID.reset(reset)


def create_app() -> FastAPI:
    import digipark.modules  # noqa: F401  (installs the module records)
    from digipark.web import errors as web_errors
    from digipark.web import pages as web_pages

    audit_service.install()
    memtrace.start_if_configured()  # a web worker of `serve --workers N` starts here, not in the command
    app = FastAPI(
        title="digipark",
        version=__version__,
        description="园区统一数字平台 — unified digital platform of a high-standard digital industrial park",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    install_problem_handlers(app)
    for module in modules.installed():
        for ref in module.routers:
            app.include_router(_skipped_outside_prefix(resolve(ref)))
    for module in modules.installed():
        for ref in module.pages:
            app.include_router(_skipped_outside_prefix(resolve(ref)))
    app.add_middleware(RequestGate, busy_page=web_errors.busy_page)  # inside the pages' middleware (headers)
    web_pages.install(app)

    app.add_middleware(AccessLog)

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        token = get_settings().metrics_token
        if token and not hmac.compare_digest(request.headers.get("authorization", ""), f"Bearer {token}"):
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE_LATEST)

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", tags=["operations"], responses={503: {}})
    def readyz() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            with get_engine().connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # readiness reports, it does not raise
            checks["database"] = f"unreachable: {type(exc).__name__}"
        mqtt_url = get_settings().mqtt_url
        if mqtt_url:
            checks["broker"] = probe_mqtt(mqtt_url)
        else:
            checks["broker"] = "not configured (embedded)"
        ready = all(v == "ok" or v.startswith("not configured") for v in checks.values())
        body: dict[str, Any] = {"status": "ready" if ready else "not ready", "checks": checks}
        writing = work_progress.running(DEMO_EXTRAS)  # the served demo answers while it writes the rest of its data
        if writing is not None:
            body["demo"] = f"writing {writing[0]} ({writing[1] + 1} of {writing[2]})"
        return JSONResponse(body, status_code=200 if ready else 503)

    collector.settle_if_asked()
    return app
