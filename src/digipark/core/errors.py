"""Domain errors and their RFC 9457 `application/problem+json` rendering."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from fastapi import FastAPI

PROBLEM_BASE = "https://digipark.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


class DomainError(Exception):
    """An error a caller can act on; carries a stable problem type."""

    type_slug: ClassVar[str] = "domain-error"
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Request could not be processed"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.type_slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        return body


class NotFound(DomainError):
    type_slug = "not-found"
    status = 404
    title = "Not found"


class PermissionDenied(DomainError):
    type_slug = "forbidden"
    status = 403
    title = "Forbidden"


class NotAuthenticated(DomainError):
    type_slug = "not-authenticated"
    status = 401
    title = "Authentication required"


class ValidationFailed(DomainError):
    type_slug = "validation-error"
    status = 422
    title = "Invalid input"


class Conflict(DomainError):
    type_slug = "conflict"
    status = 409
    title = "Conflict with existing data"


class ServiceBusy(DomainError):
    """The database stayed locked by other writes (SQLite has one writer): try again after `Retry-After`."""

    type_slug = "busy"
    status = 503
    title = "Busy, try again shortly"


class StorageFull(DomainError):
    """A disk the request needed (the uploads' spool folder, the database's) is full: nothing was saved."""

    type_slug = "storage-full"
    status = 507
    title = "Storage full"


STORAGE_FULL_DETAIL = "the server's storage is full; nothing was saved. Try again later or tell the administrator"


class ReadingsServerUnreachable(DomainError):
    """A park's raw readings are kept on another database server (telemetry.shards) that cannot be reached."""

    type_slug = "readings-server-unreachable"
    status = 503
    title = "Readings server unreachable"


READINGS_SERVER_UNREACHABLE_DETAIL = (
    "the database server that keeps this park's raw readings cannot be reached; nothing was changed. "
    "Rollups (15 min and coarser) and other parks are not affected"
)


class AccountLocked(DomainError):
    type_slug = "account-locked"
    status = 423
    title = "Account locked"


def field_error(field: str, reason: str, **extra: Any) -> ValidationFailed:
    return ValidationFailed(f"{field}: {reason}", errors=[{"field": field, "reason": reason, **extra}])


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error of the API as problem+json; never leak a traceback."""
    import logging

    from fastapi import Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from sqlalchemy.exc import DataError, IntegrityError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from digipark.core.db import (
        RETRY_AFTER_S,
        DatabaseBusy,
        is_database_locked,
        is_foreign_server_unreachable,
        is_storage_full,
    )

    log = logging.getLogger("digipark.errors")

    def respond(request: Request, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
        body.setdefault("instance", request.url.path)
        return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_MEDIA_TYPE, headers=headers)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
        return respond(request, exc.problem(), headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")),
                "location": str(err.get("loc", ("",))[0]),
                "reason": err.get("msg", "invalid"),
            }
            for err in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors) or "invalid request"
        return respond(request, ValidationFailed(detail, errors=errors).problem())

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
        log.info("integrity error: %s", exc.orig)
        return respond(request, Conflict("the change conflicts with existing data (duplicate or in use)").problem())

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> JSONResponse:
        # the database refused a value the schemas let through (a NUL character, a number out of range)
        log.info("data error: %s", exc.orig)
        return respond(request, ValidationFailed("a value cannot be stored or compared by the database").problem())

    def busy(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database busy on %s %s: %s", request.method, request.url.path, exc)
        retry_after = exc.retry_after_s if isinstance(exc, DatabaseBusy) else RETRY_AFTER_S
        detail = "the database is busy with other writes; nothing was changed, try again shortly"
        return respond(request, ServiceBusy(detail).problem(), {"Retry-After": str(retry_after)})

    @app.exception_handler(OverflowError)
    async def overflow_error(request: Request, exc: OverflowError) -> JSONResponse:
        # a number beyond what the database stores (SQLite: 64 bits) that a schema let through: the schemas bound
        # every integer (core.bounds), this is the net under them
        log.warning("number out of range on %s %s: %s", request.method, request.url.path, exc)
        return respond(request, ValidationFailed("a number is out of the range the database can store").problem())

    @app.exception_handler(DatabaseBusy)
    async def database_busy(request: Request, exc: DatabaseBusy) -> JSONResponse:
        return busy(request, exc)

    @app.exception_handler(PoolTimeout)
    async def pool_exhausted(request: Request, exc: PoolTimeout) -> JSONResponse:
        # every connection of the pool stayed busy longer than the pool waits: as busy as a locked database
        return busy(request, exc)

    def storage_full(request: Request, exc: BaseException) -> JSONResponse:
        log.error("storage full on %s %s: %s", request.method, request.url.path, exc)
        return respond(request, StorageFull(STORAGE_FULL_DETAIL).problem())

    @app.exception_handler(OSError)
    async def os_error(request: Request, exc: OSError) -> JSONResponse:
        if is_storage_full(exc):  # a page spooling an upload to a full disk
            return storage_full(request, exc)
        raise exc  # to the handler of unexpected errors

    @app.exception_handler(OperationalError)
    async def operational_error(request: Request, exc: OperationalError) -> JSONResponse:
        # a handled error, not the catch-all below: that one re-raises and the server drops the connection
        if is_database_locked(exc):
            return busy(request, exc)
        if is_storage_full(exc):
            return storage_full(request, exc)
        if is_foreign_server_unreachable(exc):
            log.error("readings server unreachable on %s %s: %s", request.method, request.url.path, exc.orig)
            return respond(request, ReadingsServerUnreachable(READINGS_SERVER_UNREACHABLE_DETAIL).problem())
        log.error("database error on %s %s", request.method, request.url.path, exc_info=exc)
        return respond(request, _internal_error())

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.__cause__ is not None and is_storage_full(exc.__cause__):
            # FastAPI answers 400 "error parsing the body" to any failure reading a form, a full disk included
            return storage_full(request, exc.__cause__)
        slug = {404: "not-found", 405: "method-not-allowed", 401: "not-authenticated", 403: "forbidden"}.get(
            exc.status_code, "http-error"
        )
        body = {
            "type": PROBLEM_BASE + slug,
            "title": str(exc.detail),
            "status": exc.status_code,
            "detail": str(exc.detail),
        }
        return respond(request, body, dict(exc.headers) if exc.headers else None)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(request, _internal_error())


def _internal_error() -> dict[str, Any]:
    return {
        "type": PROBLEM_BASE + "internal-error",
        "title": "Internal error",
        "status": 500,
        "detail": "an unexpected error occurred; it has been logged",
    }
