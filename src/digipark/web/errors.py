"""Errors on pages: the API's problem+json handlers stay in charge of /api; pages get an HTML error page."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import WebSocketRequestValidationError
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool

from digipark.core.db import RETRY_AFTER_S
from digipark.core.errors import DomainError, ValidationFailed
from digipark.web import i18n, security_headers
from digipark.web.i18n import N_
from digipark.web.shell import LoginRequired, error_shell, render

Handler = Callable[[Request, Exception], Response | Awaitable[Response]]

TITLES = {
    400: N_("The request could not be processed"),
    401: N_("Please log in"),
    403: N_("Access denied"),
    404: N_("Not found"),
    405: N_("Not allowed"),
    409: N_("Conflict with existing data"),
    422: N_("Invalid input"),
    423: N_("Locked"),
    500: N_("Something went wrong"),
    503: N_("Busy, please try again"),
    507: N_("Storage full"),
}
EXPLANATIONS = {
    403: N_("Your role may not do this here."),
    404: N_("The page or record does not exist, or it is not visible to you."),
    409: N_("The change conflicts with existing data."),
    422: N_("Some of the input is not valid."),
    500: N_("An unexpected error occurred; it has been logged."),
    503: N_("The platform is busy with other changes; nothing was changed. Please try again in a moment."),
    507: N_(
        "The server's disk is full: nothing was saved. Please try again later or tell the platform's administrator."
    ),
}

# problems whose status alone would mislead (a 503 is "busy" otherwise): by the problem's type
BY_TYPE = {
    "readings-server-unreachable": (
        N_("Readings server unreachable"),
        N_(
            "The database server that keeps this park's raw readings cannot be reached. Charts from rollups and "
            "other parks still work; please try again later or tell the platform's administrator."
        ),
    ),
}


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = "/login?next=" + quote(target, safe="/")
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def error_page(request: Request, status: int, detail: str | None, kind: str = "") -> Response:
    lang = getattr(request.state, "lang", None) or i18n.choose(request)
    title = TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400])
    explanation = EXPLANATIONS.get(status)
    if kind.rsplit("/", 1)[-1] in BY_TYPE:
        title, explanation = BY_TYPE[kind.rsplit("/", 1)[-1]]
    return render(
        request,
        "error.html",
        {
            "status": status,
            "title": title,
            "explanation": explanation,
            "detail": detail if status < 500 else None,
            **error_shell(request),
        },
        lang=lang,
        status_code=status,
    )


def busy_page(request: Request) -> Response | None:
    """A page's answer when the server stayed too busy to start it (`core.request_gate`; None for the API): the
    error page without the menu, which would need the database."""
    if is_api_path(request.url.path):
        return None
    page = render(
        request,
        "error.html",
        {"status": 503, "title": TITLES[503], "explanation": EXPLANATIONS[503], "detail": None},
        lang=i18n.choose(request),
        status_code=503,
    )
    page.headers["Retry-After"] = str(RETRY_AFTER_S)
    return page


def _page_aware(api_handler: Handler) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        if is_async_callable(api_handler):
            response: Response = await api_handler(request, exc)
        else:
            response = await run_in_threadpool(api_handler, request, exc)  # type: ignore[arg-type]
        if is_api_path(request.url.path):
            return response
        if response.status_code == 401:
            return login_redirect(request)
        try:
            problem: dict[str, Any] = json.loads(bytes(response.body))
        except ValueError:
            problem = {}
        page = error_page(request, response.status_code, problem.get("detail"), str(problem.get("type", "")))
        if "retry-after" in response.headers:
            page.headers["Retry-After"] = response.headers["retry-after"]
        return page

    return handle


async def _login_required(request: Request, exc: Exception) -> Response:
    return login_redirect(request)


def _with_security_headers(handler: Callable[[Request, Exception], Awaitable[Response]]) -> Handler:
    """The handler of unexpected errors answers outside every middleware: it adds the headers itself."""

    async def handle(request: Request, exc: Exception) -> Response:
        response = await handler(request, exc)
        security_headers.add_to(response.headers, request.scope)
        return response

    return handle


def _invalid_input(domain_handler: Handler) -> Handler:
    """A schema built from a form inside a handler and refused: bad input (422), never an unexpected error."""

    async def handle(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, ValidationError):
            raise exc
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['reason']}".removeprefix(": ") for e in errors)
        response = domain_handler(request, ValidationFailed(detail, errors=errors))
        return await response if isinstance(response, Awaitable) else response

    return handle


def install(app: FastAPI) -> None:
    """Wrap the problem+json handlers already registered (core.errors.install_problem_handlers)."""
    for key, handler in list(app.exception_handlers.items()):
        if key is Exception or key == 500:
            app.add_exception_handler(key, _with_security_headers(_page_aware(handler)))
        elif key is not WebSocketRequestValidationError:
            app.add_exception_handler(key, _page_aware(handler))
    app.add_exception_handler(ValidationError, _invalid_input(app.exception_handlers[DomainError]))
    app.add_exception_handler(LoginRequired, _login_required)
