"""The routes the module records (`digipark.modules.MODULES`) declare: their API routers' and their pages'."""

from __future__ import annotations

import typing
from typing import Any

from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute, iter_route_contexts

from digipark.core.modules import resolve
from digipark.modules import MODULES


def record_routes(part: str) -> set[tuple[str, str]]:
    """(method, path) of every route of the records' `routers` or `pages`."""
    return {
        (method, context.path)
        for module in MODULES
        for ref in getattr(module, part)
        for context in iter_route_contexts(resolve(ref).routes)
        for method in context.methods or ()
    }


API_ROUTES = record_routes("routers")
PAGE_ROUTES = record_routes("pages")


def route_id(route: Any) -> str:
    return f"{route[0]} {route[1]}" if isinstance(route, tuple) else str(route)


def mounted_routes(app: Any) -> dict[tuple[str, str], Any]:
    """(method, path) of every route the app serves -> the route object it serves it with."""
    return {
        (method, context.path or ""): context.original_route
        for context in iter_route_contexts(app.routes)
        for method in context.methods or ()
    }


def is_stream_page(path: str) -> bool:
    """Whether the page route at `path` answers with an endless stream (server-sent events)."""
    for module in MODULES:
        for ref in module.pages:
            for context in iter_route_contexts(resolve(ref).routes):
                if context.path == path and isinstance(context.original_route, APIRoute):
                    returns = typing.get_type_hints(context.original_route.endpoint).get("return")
                    return isinstance(returns, type) and issubclass(returns, StreamingResponse)
    return False


GET_PAGES = sorted(path for method, path in PAGE_ROUTES if method == "GET")
PLATFORM_PAGES = [path for path in GET_PAGES if path.startswith("/platform/")]
"""Pages of the platform administrator: no park's user sees them (tests/tenancy/test_platform_pages.py)."""
CAPABILITY_PAGES = frozenset({"/alarms/ack/{token}"})
"""Pages whose path parameter is a signed, expiring capability, not a row id: the signed acknowledge link of an alarm
message works without a login for whoever holds it (refused when changed or expired:
tests/alarms/test_roster_sms.py)."""
OBJECT_PAGES = [
    path for path in GET_PAGES if "{" in path and path not in PLATFORM_PAGES and path not in CAPABILITY_PAGES
]
LIST_PAGES = [path for path in GET_PAGES if "{" not in path and not is_stream_page(path) and path not in PLATFORM_PAGES]
