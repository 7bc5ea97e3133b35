"""The FastAPI application: every domain's API router and web pages."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from digipark import __version__
from digipark.audit import service as audit_service
from digipark.core.broker import probe_mqtt
from digipark.core.config import get_settings
from digipark.core.db import get_engine
from digipark.core.errors import install_problem_handlers

log = logging.getLogger("digipark.http")


def create_app() -> FastAPI:
    from digipark.audit.api import router as audit_router
    from digipark.auth.api import router as auth_router
    from digipark.economy.api import router as economy_router
    from digipark.economy.chains_api import router as chains_router
    from digipark.registry.api import router as registry_router
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
    app.include_router(auth_router)
    from digipark.telemetry.api import router as telemetry_router

    app.include_router(telemetry_router)  # before the registry: /points/latest must precede /points/{ident}
    app.include_router(registry_router)
    app.include_router(audit_router)
    app.include_router(economy_router)
    app.include_router(chains_router)
    from digipark.evaluation.api import router as evaluation_router
    from digipark.evaluation.pages import router as evaluation_pages

    app.include_router(evaluation_router)
    app.include_router(evaluation_pages)
    from digipark.telemetry.ingest_api import router as telemetry_ingest_router

    app.include_router(telemetry_ingest_router)
    from digipark.telemetry.live_api import router as telemetry_live_router
    from digipark.telemetry.pages import router as telemetry_pages

    app.include_router(telemetry_live_router)
    app.include_router(telemetry_pages)
    from digipark.transformation.api import router as transformation_router
    from digipark.transformation.pages import router as transformation_pages

    app.include_router(transformation_router)
    app.include_router(transformation_pages)
    from digipark.environment.api import router as environment_router
    from digipark.environment.pages import router as environment_pages

    app.include_router(environment_router)
    app.include_router(environment_pages)
    from digipark.alarms.api import router as alarms_router
    from digipark.alarms.pages import router as alarms_pages

    app.include_router(alarms_router)
    app.include_router(alarms_pages)
    from digipark.energy.api import router as energy_router
    from digipark.energy.pages import router as energy_pages

    app.include_router(energy_router)
    app.include_router(energy_pages)
    from digipark.safety.api import router as safety_router
    from digipark.safety.pages import router as safety_pages

    app.include_router(safety_router)
    app.include_router(safety_pages)
    web_pages.install(app)

    @app.middleware("http")
    async def access_log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.url.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return response

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
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
        )

    return app
