"""Browser security headers on every response: pages, API, static files, redirects and error responses.

The Content-Security-Policy allows scripts only from this origin (no inline script, no eval): page data reaches the
scripts in `<script type="application/json">` blocks, which the browser does not execute. Inline styles stay
allowed (ECharts positions its tooltip with style attributes). Only FastAPI's interactive API documentation page
keeps its own inline bootstrap script and CDN; it shows no stored data.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digipark.core.config import get_settings

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
API_DOCS_CDN = "https://cdn.jsdelivr.net"
API_DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        f"script-src 'self' 'unsafe-inline' {API_DOCS_CDN}",
        f"style-src 'self' 'unsafe-inline' {API_DOCS_CDN}",
        "img-src 'self' data: https:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
API_DOCS_PATHS = frozenset({"/api/docs", "/api/docs/oauth2-redirect"})
REFERRER_POLICY = "same-origin"
HSTS_MAX_AGE_S = 365 * 86400


def served_over_https(scheme: str, forwarded_proto: str | None) -> bool:
    """HTTPS directly, or behind a proxy whose X-Forwarded-Proto the settings say to trust."""
    if scheme in ("https", "wss"):
        return True
    if forwarded_proto and get_settings().trust_forwarded_proto:
        return forwarded_proto.split(",")[0].strip().lower() == "https"
    return False


def tile_origin(url: str | None) -> str | None:
    """The origin of the operator's map tiles (DIGIPARK_MAP_TILE_URL) when they come from another server."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None  # a path on this server: 'self' covers it
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy() -> str:
    """The policy, with the operator's tile server allowed to images and fetches when one is configured."""
    origin = tile_origin(get_settings().map_tile_url)
    if origin is None:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("img-src 'self'", f"img-src 'self' {origin}").replace(
        "connect-src 'self'", f"connect-src 'self' {origin}"
    )


def security_headers(path: str, scheme: str, forwarded_proto: str | None) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": API_DOCS_POLICY if path in API_DOCS_PATHS else content_security_policy(),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": REFERRER_POLICY,
    }
    if served_over_https(scheme, forwarded_proto):
        headers["Strict-Transport-Security"] = f"max-age={HSTS_MAX_AGE_S}; includeSubDomains"
    return headers


def headers_for_scope(scope: MutableMapping[str, Any]) -> dict[str, str]:
    forwarded: str | None = None
    for name, value in scope.get("headers", ()):
        if name == b"x-forwarded-proto":
            forwarded = value.decode("latin-1")
    return security_headers(str(scope.get("path", "")), str(scope.get("scheme", "http")), forwarded)


def add_to(headers: MutableHeaders, scope: MutableMapping[str, Any]) -> None:
    for name, value in headers_for_scope(scope).items():
        headers[name] = value


class SecurityHeadersMiddleware:
    """Pure ASGI, so streamed responses (files, server-sent events) get the headers too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_to(MutableHeaders(scope=message), scope)
            await send(message)

        await self.app(scope, receive, send_with_headers)
