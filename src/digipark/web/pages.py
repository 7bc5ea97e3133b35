"""The web shell's own pages: static files, front-end libraries, login, overview, error pages (each module's pages
are mounted from its record)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from digipark.web import auth, errors, i18n, overview, park_switch, security_headers, shell, vendor

STATIC_DIR = Path(__file__).parent / "static"
LANG_COOKIE_DAYS = 365


async def remember_language(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """`?lang=en|zh` on any page also sets the dp_lang cookie, `?theme=system|light|dark` the dp_theme cookie, so
    the choice sticks."""
    response = await call_next(request)
    lang = i18n.normalise(request.query_params.get("lang"))
    if lang and not errors.is_api_path(request.url.path) and request.cookies.get(i18n.LANG_COOKIE) != lang:
        response.set_cookie(i18n.LANG_COOKIE, lang, max_age=LANG_COOKIE_DAYS * 86400, samesite="lax", path="/")
    theme = request.query_params.get("theme")
    if (
        theme in shell.THEMES
        and not errors.is_api_path(request.url.path)
        and request.cookies.get(shell.THEME_COOKIE) != theme
    ):
        response.set_cookie(shell.THEME_COOKIE, theme, max_age=LANG_COOKIE_DAYS * 86400, samesite="lax", path="/")
    return response


def install(app: FastAPI) -> None:
    app.include_router(vendor.router)  # /static/vendor/* before the /static mount
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(auth.router)
    app.include_router(park_switch.router)
    app.include_router(overview.router)
    errors.install(app)
    app.middleware("http")(remember_language)
    app.add_middleware(security_headers.SecurityHeadersMiddleware)
    vendor.node_modules()
