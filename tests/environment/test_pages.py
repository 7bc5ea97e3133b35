"""Environment pages of a user reading several parks act in the park chosen in the header's switcher."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import User, UserPark
from digipark.environment import service
from digipark.environment.schemas import OutletCreate, PermitQuotaCreate
from tests.conftest import ParkWorld, World
from tests.environment.helpers import admin
from tests.web.helpers import login, visible_text


@pytest.fixture
def reviewer_of_two_parks(db: Session, world: World) -> str:
    """Park A's reviewer, appointed to park B as well; returns the username."""
    reviewer = db.scalar(select(User).where(User.username == "TA-reviewer"))
    assert reviewer is not None
    db.add(UserPark(user_id=reviewer.id, park_id=world.b.park_id))
    db.flush()
    return reviewer.username


def _outlet_and_permit(db: Session, park: ParkWorld, mark: str) -> None:
    enterprise = park.enterprise_ids[0]
    data = OutletCreate(
        enterprise_id=enterprise, code=f"DW-{mark}", name=f"{mark}排口", medium="water", standard="GB8978-1996-1"
    )
    service.create_outlet(db, scope=admin(park), data=data)
    permit = PermitQuotaCreate(enterprise_id=enterprise, permit_no=f"PERMIT-{mark}", year=2026, factor="cod", annual=10)
    service.create_permit(db, scope=admin(park), data=permit)


def test_a_reviewer_of_two_parks_sees_the_outlets_and_permits_of_the_chosen_park_only(
    client: TestClient, db: Session, world: World, reviewer_of_two_parks: str
) -> None:
    _outlet_and_permit(db, world.a, "甲园")
    _outlet_and_permit(db, world.b, "乙园")
    token = login(client, reviewer_of_two_parks)

    first = visible_text(client.get("/environment", params={"year": 2026}).text)
    assert "DW-甲园 甲园排口" in first and "PERMIT-甲园" in first
    assert "乙园" not in first

    chosen = client.post("/park", data={"csrf_token": token, "park_id": str(world.b.park_id), "next": "/environment"})
    assert chosen.status_code == 200, chosen.text
    second = visible_text(client.get("/environment", params={"year": 2026}).text)
    assert "DW-乙园 乙园排口" in second and "PERMIT-乙园" in second
    assert "甲园" not in second


def test_outlet_cards_come_a_page_at_a_time(
    client: TestClient, db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digipark.environment import pages

    monkeypatch.setattr(pages, "OUTLETS_PER_PAGE", 2)
    for n in range(3):
        data = OutletCreate(
            enterprise_id=world.a.enterprise_ids[0],
            code=f"DW-{n}",
            name=f"排口{n}",
            medium="water",
            standard="GB8978-1996-1",
        )
        service.create_outlet(db, scope=admin(world.a), data=data)
    login(client, "TA-park_admin")
    first = client.get("/environment")
    assert first.status_code == 200
    text = visible_text(first.text)
    assert "DW-0 排口0" in text and "DW-1 排口1" in text and "DW-2" not in text
    assert "第 1–2 条，共 3 条" in text
    assert 'href="/environment?outlets_page=2#outlets"' in first.text
    second = visible_text(client.get("/environment", params={"outlets_page": 2}).text)
    assert "DW-2 排口2" in second and "DW-0" not in second
    beyond = visible_text(client.get("/environment", params={"outlets_page": 9}).text)
    assert "DW-2 排口2" in beyond  # past the last page: the last page
    assert client.get("/environment", params={"outlets_page": 0}).status_code == 422
