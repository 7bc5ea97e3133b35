"""The FastAPI application: every domain's API router and web pages."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from digipark import __version__
from digipark.audit import service as audit_service
from digipark.core import metrics, modules
from digipark.core import progress as work_progress
from digipark.core.broker import probe_mqtt
from digipark.core.config import get_settings
from digipark.core.db import get_engine
from digipark.core.errors import install_problem_handlers
from digipark.core.modules import resolve
from digipark.core.progress import DEMO_EXTRAS

log = logging.getLogger("digipark.http")


def create_app() -> FastAPI:
    import digipark.modules  # noqa: F401  (installs the module records)
    from digipark.web import pages as web_pages

    audit_service.install()
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
            app.include_router(resolve(ref))
    for module in modules.installed():
        for ref in module.pages:
            app.include_router(resolve(ref))
    web_pages.install(app)

    @app.middleware("http")
    async def access_log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        rid = metrics.request_id(request.headers.get("x-request-id"))
        reset = metrics.REQUEST_ID.set(rid)
        try:
            response = await call_next(request)
            seconds = time.perf_counter() - started
            route = getattr(request.scope.get("route"), "path", None) or "unmatched"
            metrics.observe_request(request.method, route, response.status_code, seconds)
            response.headers["X-Request-ID"] = rid
            log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.url.path,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
            return response
        finally:
            metrics.REQUEST_ID.reset(reset)

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

    return app
