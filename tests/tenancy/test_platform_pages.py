"""The platform administrator's pages (`/platform/...`): every user of every park, whatever the role, gets 403 and
changes nothing; a platform administrator sees every park, creates one and edits another park's details."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth import service as auth_service
from digipark.auth.models import Role
from digipark.registry.models import Park
from tests.conftest import World
from tests.tenancy.helpers import B_ROLES, Ctx, count_rows
from tests.tenancy.records import PAGE_ROUTES, PLATFORM_PAGES
from tests.web.helpers import login

PLATFORM_ROUTES = sorted(route for route in PAGE_ROUTES if route[1].startswith("/platform/"))


def test_the_platform_pages_are_known() -> None:
    assert "/platform/parks" in PLATFORM_PAGES and ("POST", "/platform/parks") in PLATFORM_ROUTES


@pytest.mark.parametrize("route", PLATFORM_ROUTES, ids=lambda route: f"{route[0]} {route[1]}")
def test_no_park_user_may_use_a_platform_page(
    route: tuple[str, str], client: TestClient, world: World, db: Session
) -> None:
    method, path = route
    ctx = Ctx(client, world, db)
    url = re.sub(r"\{[a-z_]+\}", str(world.a.park_id), path)
    parks_before = count_rows(db, Park)
    for park in ("a", "b"):
        for role in B_ROLES:
            response = ctx.call(method, url, role, park, data={"code": "X1", "name": "x", "region_code": "320507"})
            assert response.status_code == 403, (park, role, response.status_code)
            assert "测试园区" not in response.text
    assert count_rows(db, Park) == parks_before


def test_a_platform_admin_creates_and_edits_parks_on_the_pages(client: TestClient, world: World, db: Session) -> None:
    user = auth_service.create(
        db, username="pa-pages", password=world.password, role=Role.PARK_ADMIN, park_id=world.b.park_id
    )
    user.is_platform_admin = True
    db.flush()
    csrf = login(client, "pa-pages")
    listing = client.get("/platform/parks")
    assert listing.status_code == 200 and "测试园区TA" in listing.text and "测试园区TB" in listing.text
    parks_before = count_rows(db, Park)  # two of the world, and any an earlier test of the session committed
    refused = client.post("/platform/parks", data={"csrf_token": csrf, "code": "NP1", "name": "", "region_code": "12"})
    assert refused.status_code == 422
    assert 'class="field-error"' in refused.text and count_rows(db, Park) == parks_before
    created = client.post(
        "/platform/parks",
        data={
            "csrf_token": csrf,
            "code": "NP1",
            "name": "新建园区",
            "region_code": "320507",
            "leading_industries": "3973",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    new = db.scalar(select(Park).where(Park.code == "NP1"))
    assert new is not None and new.leading_industries == ["3973"]
    edit = client.get(f"/platform/parks/{world.a.park_id}/edit")
    assert edit.status_code == 200 and 'value="测试园区TA"' in edit.text
    saved = client.post(
        f"/platform/parks/{world.a.park_id}/edit",
        data={"csrf_token": csrf, "name": "改名园区", "region_code": "320500", "address": "苏州"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    db.expire_all()
    park_a = db.get(Park, world.a.park_id)
    assert park_a is not None and (park_a.name, park_a.address) == ("改名园区", "苏州")
