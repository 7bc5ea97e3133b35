"""Every list page shows park B's users and park A's other enterprise none of enterprise 0's rows."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.registry.models import Park
from tests.conftest import World
from tests.tenancy.api_alarms import al_alarm
from tests.tenancy.api_economy import statistic_id
from tests.tenancy.api_energy import en_meter_id
from tests.tenancy.api_environment import env_outlet
from tests.tenancy.api_safety import sf_danger, sf_incident
from tests.tenancy.api_transformation import tf_assessment_id
from tests.tenancy.helpers import B_ROLES, Ctx, enterprise_markers, page_denied, park_a_markers
from tests.tenancy.records import LIST_PAGES
from tests.tenancy.table import made_by

# list pages that list rows of enterprise 0 to park A's admin (so that their absence for others proves something)
ROW_LISTS = frozenset(
    {
        "/devices",
        "/enterprises",
        "/rooms",
        "/economy/statistics",
        "/environment",
        "/safety/hidden-dangers",
        "/safety/incidents",
        "/safety/risk-points",
        "/safety/hazard-sources",
        "/safety/plans",
        "/telemetry/devices",
        "/transformation/review",
    }
)


def _enterprise_0_rows(ctx: Ctx) -> list[str]:
    """Make a row of enterprise 0 of park A in every domain; the text that only those rows (and it) show."""
    for make in (sf_incident, sf_danger, made_by("safety/risk-points"), made_by("safety/hazard-sources")):
        make(ctx)
    for make in (made_by("safety/plans"), env_outlet, al_alarm, statistic_id, tf_assessment_id, en_meter_id):
        make(ctx)
    rows = ["储罐区异味1", "消防通道堵塞1", "液氨储罐", "液氯库"]  # incident, hidden danger, risk point, hazard source
    return [*enterprise_markers(ctx.db, ctx.world.a.enterprise_ids[0]), *rows]


@pytest.mark.parametrize("path", LIST_PAGES)
def test_list_page_shows_no_row_of_another_tenant(path: str, client: TestClient, world: World, db: Session) -> None:
    """Park A's enterprise 0 has a row of every kind; park B's users and park A's other enterprise see none of it."""
    ctx = Ctx(client, world, db)
    enterprise_0 = _enterprise_0_rows(ctx)
    park_a = [*park_a_markers(ctx), str(db.scalar(select(Park.name).where(Park.id == world.a.park_id))), *enterprise_0]
    own = ctx.as_a_admin("GET", path, follow_redirects=False)
    assert own.status_code == 200, (path, own.status_code)
    if path in ROW_LISTS:
        assert any(marker in own.text for marker in enterprise_0), path
    for park, role in [("b", role) for role in B_ROLES] + [("a", "enterprise2")]:
        response = ctx.call("GET", path, role, park, follow_redirects=False)
        if page_denied(response):
            continue
        # a page an enterprise has no overview of sends it on to its own (its enterprise's) page
        assert response.status_code in (200, 303), (path, park, role, response.status_code, response.text[:500])
        shown = [marker for marker in (park_a if park == "b" else enterprise_0) if marker in response.text]
        assert not shown, (path, park, role, shown)
        if response.status_code == 303:
            target = ctx.call("GET", response.headers["location"], role, park, follow_redirects=False)
            assert not [marker for marker in (park_a if park == "b" else enterprise_0) if marker in target.text]
