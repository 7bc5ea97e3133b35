"""The web shell's own pages: static files, front-end libraries, login, overview, error pages (each module's pages
are mounted from its record)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digipark.web import auth, errors, i18n, overview, park_switch, security_headers, shell, vendor

STATIC_DIR = Path(__file__).parent / "static"
LANG_COOKIE_DAYS = 365


class RememberLanguage:
    """`?lang=en|zh` on any page also sets the dp_lang cookie, `?theme=system|light|dark` the dp_theme cookie, so
    the choice sticks. A plain ASGI middleware: a request without either parameter (every API call) passes straight
    through (Starlette's `BaseHTTPMiddleware` cost a task and a stream per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query: bytes = scope.get("query_string", b"")
        if scope["type"] != "http" or (b"lang=" not in query and b"theme=" not in query):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        cookies = _cookies_to_set(request)
        if not cookies:
            await self.app(scope, receive, send)
            return

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for value in cookies:
                    headers.append("set-cookie", value)
            await send(message)

        await self.app(scope, receive, send_with_cookies)


def _cookies_to_set(request: Request) -> list[str]:
    if errors.is_api_path(request.url.path):
        return []
    carrier = Response()
    lang = i18n.normalise(request.query_params.get("lang"))
    if lang and request.cookies.get(i18n.LANG_COOKIE) != lang:
        carrier.set_cookie(i18n.LANG_COOKIE, lang, max_age=LANG_COOKIE_DAYS * 86400, samesite="lax", path="/")
    theme = request.query_params.get("theme")
    if theme in shell.THEMES and request.cookies.get(shell.THEME_COOKIE) != theme:
        carrier.set_cookie(shell.THEME_COOKIE, theme, max_age=LANG_COOKIE_DAYS * 86400, samesite="lax", path="/")
    return [value.decode("latin-1") for key, value in carrier.raw_headers if key == b"set-cookie"]


def install(app: FastAPI) -> None:
    app.include_router(vendor.router)  # /static/vendor/* before the /static mount
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(auth.router)
    app.include_router(park_switch.router)
    app.include_router(overview.router)
    errors.install(app)
    app.add_middleware(RememberLanguage)
    app.add_middleware(security_headers.SecurityHeadersMiddleware)
    vendor.node_modules()
