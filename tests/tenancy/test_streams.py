"""Live pages (endless server-sent event streams) refuse another tenant's points, whoever asks."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.tenancy.helpers import B_ROLES, Ctx, Exercise, page_denied
from tests.tenancy.records import GET_PAGES, is_stream_page


def check_live_points_page(ctx: Ctx) -> None:
    """Only refusals (a granted stream never ends): no other tenant's points, whoever asks."""
    meter_point = ctx.world.a.point_ids[0]
    for park, role in [("b", role) for role in B_ROLES] + [("a", "enterprise2")]:
        response = ctx.call("GET", "/telemetry/live", role, park, params={"point_id": [meter_point]})
        assert page_denied(response) or response.status_code == 422, (park, role, response.status_code)


def check_live_alarms_page(ctx: Ctx) -> None:
    for park in ("a", "b"):
        response = ctx.call("GET", "/alarms/live", "resident", park, follow_redirects=False)
        assert page_denied(response), (park, response.status_code)


def check_live_parking_page(ctx: Ctx) -> None:
    """The stream is of the caller's own park (the page's park, never a parameter): no login, no stream; another
    park's scope is refused in tests/living/test_live.py (a granted stream never ends)."""
    ctx.client.cookies.clear()
    response = ctx.client.get("/living/parking/live", follow_redirects=False)
    assert page_denied(response) or response.status_code == 401, response.status_code


def check_live_screen_page(ctx: Ctx) -> None:
    """The operations screen's stream is staff's, of the page's park (never a parameter): enterprises and residents
    of either park are refused, and so is nobody logged in; another park's operator is refused in
    tests/ioc/test_screen.py (a granted stream never ends)."""
    for park in ("a", "b"):
        for role in ("enterprise", "resident"):
            response = ctx.call("GET", "/ioc/screen/live", role, park, follow_redirects=False)
            assert page_denied(response), (park, role, response.status_code)
    ctx.client.cookies.clear()
    response = ctx.client.get("/ioc/screen/live", follow_redirects=False)
    assert page_denied(response) or response.status_code == 401, response.status_code


STREAM_PAGES: dict[str, Exercise] = {
    "/ioc/screen/live": check_live_screen_page,
    "/telemetry/live": check_live_points_page,
    "/alarms/live": check_live_alarms_page,
    "/living/parking/live": check_live_parking_page,
}


@pytest.mark.parametrize("path", sorted(path for path in GET_PAGES if is_stream_page(path)))
def test_live_page_streams_nothing_of_another_tenant(path: str, client: TestClient, world: World, db: Session) -> None:
    exercise = STREAM_PAGES.get(path)
    assert exercise is not None, f"{path} streams: add its refusals to STREAM_PAGES in tests/tenancy/test_streams.py"
    exercise(Ctx(client, world, db))
