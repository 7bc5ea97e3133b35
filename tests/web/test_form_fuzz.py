"""Item 6 of issue 14: every HTML form POST route of the app (read from the app's routes, /api excluded) is
fuzzed — missing fields, wrong types, huge numbers, garbage choices, over-long text, garbage path parameters — as
a user who may post it and as one who may not. Nothing answers 500; the forbidden user gets 403 (or 404 for a row
they may not see), never a validation answer, whatever the input."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

import digipark.web
from digipark.app import create_app
from tests.conftest import World
from tests.tenancy.api_alarms import al_alarm
from tests.tenancy.api_automation import au_allowed
from tests.tenancy.api_cybersec import cy_incident, cy_log_source
from tests.tenancy.api_dataspace_jobs import ds_job
from tests.tenancy.api_devices import cm_command, pk_key
from tests.tenancy.api_safety import _sf_task
from tests.tenancy.api_services import sv_awarded_demand
from tests.tenancy.api_transformation import _tf_request_id
from tests.tenancy.api_workorders import wo_order
from tests.tenancy.duty_rows import duty_shift, duty_team
from tests.tenancy.helpers import Ctx
from tests.tenancy.table import made_by
from tests.tenancy.test_pages import PAGE_OBJECTS, PageObject
from tests.web.helpers import login

TEMPLATES = Path(digipark.web.__file__).parent / "templates"
# routes anybody may post (signing in and out, choosing among one's own parks, one's own account) and routes a
# resident may post too (reporting a repair, inviting a visitor): fuzzed for "no 500" only
OPEN_TO_ALL = {
    "/login",
    "/logout",
    "/park",
    "/login/second-factor",
    "/login/second-factor/confirm",
    "/login/second-factor/enrol",
    "/account/password",
    "/account/tokens",
    "/account/tokens/{token_id}/revoke",
    "/account/second-factor/enrol",
    "/account/second-factor/confirm",
    "/workorders/new",
    "/living/passes/new",
}
# routes whose rows no page object makes (a task of a running approval, a bill, another park, a booking request, a
# finance application, one's own token, a data-space connector key): fuzzed with garbage identifiers only
GARBAGE_ONLY = {
    "/dataspace/keys/{ident}/revoke",
    "/account/tokens/{token_id}/revoke",
    "/approvals/tasks/{ident}/claim",
    "/approvals/tasks/{ident}/correct",
    "/approvals/tasks/{ident}/decide",
    "/living/bills/{ident}/paid",
    "/platform/parks/{ident}/edit",
    "/services/applications/{ident}/consent",
    "/services/bookings/{ident}/decide",
}
PERMITTED = "park_admin"
FORBIDDEN = "resident"


def form_post_routes() -> list[str]:
    app = create_app()
    return sorted(
        {
            context.path
            for context in iter_route_contexts(app.routes)
            if context.path
            and "POST" in (context.methods or ())
            and not context.path.startswith(("/api", "/ngsi-ld"))  # the JSON APIs, not forms
            and context.path not in ("/login", "/logout")
        }
    )


def field_names() -> list[str]:
    """Every field name the templates post (the generic forms' names are added from their schemas)."""
    names: set[str] = set()
    for path in TEMPLATES.rglob("*.html"):
        names |= set(re.findall(r'\bname="([a-z_][a-z0-9_]*)"', path.read_text(encoding="utf-8")))
    from pydantic import BaseModel

    for model in _schemas(BaseModel):
        names |= set(model.model_fields)
    return sorted(names - {"csrf_token"})


def _schemas(base: type[Any]) -> list[type[Any]]:
    import digipark.modules  # noqa: F401  (imports every domain's schemas)

    found: list[type[Any]] = []
    stack = list(base.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        # the generic forms post a record type's Create/Update fields (Starlette reads at most 1,000 fields)
        if cls.__module__.startswith("digipark.") and cls.__name__.endswith(("Create", "Update")):
            found.append(cls)
    return found


# rows for the POST routes whose parameter no page of PAGE_OBJECTS shows
POST_OBJECTS = {
    "/transformation/adoption/": PageObject(made_by("transformation/adoption")),
    "/transformation/requests/": PageObject(_tf_request_id),
    "/device-commands/": PageObject(cm_command),
    "/provisioning-keys/": PageObject(lambda ctx: int(pk_key(ctx)["id"])),
    "/automation/allowed-networks/": PageObject(au_allowed),
    "/services/logistics/shipments/": PageObject(made_by("services/shipments")),
    "/services/supply-chain/shares/": PageObject(made_by("services/shares")),
    "/services/purchasing/demands/": PageObject(sv_awarded_demand),
    "/security/incidents/": PageObject(cy_incident),
    "/security/log-sources/": PageObject(cy_log_source),
    "/duty/alarms/": PageObject(al_alarm),
    "/duty/tasks/": PageObject(_sf_task),
    "/duty/orders/": PageObject(wo_order),
    "/duty-roster/teams/": PageObject(duty_team),
    "/duty-roster/shifts/": PageObject(duty_shift),
    "/duty-roster/": PageObject(duty_team),  # /duty-roster/{kind}/{ident}/delete
    "/dataspace/jobs/": PageObject(ds_job),
}
ROUTES = form_post_routes()
FIELDS = field_names()
HUGE = "9" * 40
VALUES = {
    "wrong types": "abc",
    "huge numbers": HUGE,
    "negative": "-1",
    "not finite": "nan",
    "garbage choice": "bogus☃",
    "over-long": "x" * 20_000,
    "dates": "2026-13-45",
}
ACTIONS = (  # real actions of the safety pages and a garbage one
    "confirm",
    "close",
    "assign",
    "rectify",
    "verify",
    "reject",
    "report",
    "archive",
    "bogus",
)


def _object_for(path: str) -> PageObject | None:
    """How to make the row a POST route with a parameter acts on: the object of the page it belongs to."""
    objects = {**PAGE_OBJECTS, **{prefix + "{ident}": obj for prefix, obj in POST_OBJECTS.items()}}
    for page_path, obj in sorted(objects.items(), key=lambda item: -len(item[0])):
        if path.startswith(page_path.split("{")[0]) and page_path.count("{") == 1:
            return obj
    return None


def _urls(ctx: Ctx, path: str) -> tuple[list[str], list[str]]:
    """(URLs naming a real row of park A, URLs with garbage identifiers)."""
    if "{" not in path:
        return [path], []
    obj = _object_for(path)
    real = [_fill(path, str(obj.ident(ctx)))] if obj is not None else []
    if "{action}" in path:
        real = [url.rsplit("/", 1)[0] + "/" + action for url in real for action in ACTIONS]
    return real, [_fill(path, "1"), _fill(path, HUGE), _fill(path, "abc")]


def _fill(path: str, ident: str) -> str:
    return re.sub(r"\{(ident|key|token_id)\}", ident, path).replace("{action}", "bogus")


def _payloads(csrf: str) -> dict[str, dict[str, str]]:
    payloads = {
        "missing fields": {"csrf_token": csrf},
        "empty fields": {"csrf_token": csrf, **dict.fromkeys(FIELDS, "")},
    }
    for case, value in VALUES.items():
        payloads[case] = {"csrf_token": csrf, **dict.fromkeys(FIELDS, value)}
    return payloads


def _post(client: TestClient, url: str, data: dict[str, str]) -> Response:
    return client.post(url, data=data, follow_redirects=False)


@pytest.fixture
def client(app_instance: Any, db: Session) -> Iterator[TestClient]:
    """Unexpected errors answer 500 here instead of raising in the test, so every case is reported."""
    with TestClient(app_instance, base_url="http://testserver", raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("path", ROUTES)
def test_form_post_never_fails_and_checks_permission_first(
    path: str, client: TestClient, world: World, db: Session
) -> None:
    ctx = Ctx(client, world, db)
    real, garbage = _urls(ctx, path)
    failures: list[str] = []

    if path not in OPEN_TO_ALL:
        csrf = login(client, f"TA-{FORBIDDEN}")
        # the forbidden user on real rows and paths (a garbage identifier names nothing: 404 or 422 say so alike)
        for url in real:
            for case, data in _payloads(csrf).items():
                response = _post(client, url, data)
                if response.status_code not in (403, 404):
                    failures.append(f"{FORBIDDEN} {url[:80]} [{case}] -> {response.status_code}")
        client.cookies.clear()

    csrf = login(client, f"TA-{PERMITTED}")
    for url in real + garbage:
        for case, data in _payloads(csrf).items():
            response = _post(client, url, data)
            if response.status_code >= 500:
                failures.append(f"{PERMITTED} {url} [{case}] -> {response.status_code}")
    assert not failures, failures


def test_the_routes_are_read_from_the_app() -> None:
    assert len(ROUTES) >= 40
    without_row = {path for path in ROUTES if "{" in path and _object_for(path) is None}
    assert without_row == GARBAGE_ONLY, "routes without a real row"
    assert "/transformation/requests/{ident}/status" in ROUTES and "/economy/chains/new" in ROUTES
