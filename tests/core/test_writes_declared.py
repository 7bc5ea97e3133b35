"""Every GET route that writes says so up front (`digipark.auth.dependencies.writes`).

On SQLite a reading transaction that starts writing fails with `database is locked` as soon as another connection
wrote in between (exports under ingestion answered 500). `transaction()` reports a reading unit of work that
changed rows (`core.db.report_write_in_read`); here every GET route of the records' API and pages is called as
park A's admin and as its enterprise user, and none may be reported."""

from __future__ import annotations

import re
import typing
from typing import Any

import pytest
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.core import db as core_db
from digipark.core.modules import resolve
from digipark.modules import MODULES
from tests.conftest import World
from tests.tenancy.api_registry import KIND_BY_PATH
from tests.tenancy.helpers import API, Ctx
from tests.tenancy.records import API_ROUTES, PAGE_ROUTES, route_id
from tests.tenancy.test_pages import PAGE_OBJECTS


def _streams(path: str) -> bool:
    for module in MODULES:
        for ref in (*module.routers, *module.pages):
            for context in iter_route_contexts(resolve(ref).routes):
                if context.path == path and isinstance(context.original_route, APIRoute):
                    returns = typing.get_type_hints(context.original_route.endpoint).get("return")
                    if isinstance(returns, type) and issubclass(returns, StreamingResponse):
                        return True
    return False


GET_ROUTES = sorted(path for method, path in API_ROUTES | PAGE_ROUTES if method == "GET" and not _streams(path))


def _urls(path: str, ctx: Ctx) -> list[str]:
    if path in PAGE_OBJECTS:
        ident = str(PAGE_OBJECTS[path].ident(ctx))
        return [re.sub(r"\{[a-z_]+\}", ident, path)]
    kind = KIND_BY_PATH.get(path.removeprefix(API + "/").split("/")[0].split(".")[0])
    ident = str(kind.row(ctx.world.a)) if kind is not None else "1"
    url = path.replace("{ident}", ident).replace("{key}", "statistics_reporting")
    return [url.replace("{fmt}", fmt) for fmt in ("csv", "xlsx")] if "{fmt}" in url else [url]


@pytest.fixture
def writes_in_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    found: list[str] = []
    monkeypatch.setattr(core_db, "report_write_in_read", found.append)
    return found


def test_a_reading_transaction_that_writes_is_reported(db: Session, world: World, writes_in_reads: list[str]) -> None:
    from digipark.registry.models import Zone

    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("the check counts SQLite's changed rows")
    with core_db.transaction(name="the probe") as session:
        session.get(Zone, world.a.zone_id).name = "renamed"  # type: ignore[union-attr]
        session.flush()
        session.rollback()
    assert writes_in_reads == ["the probe"]
    with core_db.transaction(write=True, name="declared") as session:
        session.get(Zone, world.a.zone_id).name = "renamed again"  # type: ignore[union-attr]
    assert writes_in_reads == ["the probe"]


@pytest.mark.parametrize("path", GET_ROUTES, ids=route_id)
def test_get_route_declares_its_writes(
    path: str, client: TestClient, world: World, db: Session, writes_in_reads: list[str]
) -> None:
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("the check counts SQLite's changed rows")
    ctx = Ctx(client, world, db)
    answered: list[tuple[str, str, int]] = []
    urls = _urls(path, ctx)
    for role in ("park_admin", "enterprise"):
        for url in urls:
            response = ctx.call("GET", url, role, follow_redirects=False)
            answered.append((role, url, response.status_code))
            assert response.status_code < 500, (role, url, response.status_code, response.text[:300])
    assert not writes_in_reads, f"GET routes that write without `@writes`: {writes_in_reads} ({answered})"


def test_marked_routes_write_in_a_writing_transaction(client: TestClient, world: World, db: Any) -> None:
    """The marked export still answers and is audited."""
    from sqlalchemy import func, select

    from digipark.audit.models import AuditEntry

    before = db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "export"))
    ctx = Ctx(client, world, db)
    response = ctx.as_a_admin("GET", f"{API}/buildings.csv")
    assert response.status_code == 200
    after = db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "export"))
    assert after == before + 1
