"""The header's park switcher: a user reading several parks chooses the park every page acts in."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms import service as alarms
from digipark.alarms.schemas import RuleCreate
from digipark.auth.models import User, UserPark
from digipark.auth.scope import system_scope
from digipark.registry.models import Point, Zone
from digipark.web.shell import PARK_COOKIE
from tests.conftest import World
from tests.web.helpers import login, visible_text

SWITCHER = re.compile(r'<form class="parkswitch" method="post" action="/park">.*?</form>', re.S)


@pytest.fixture
def reviewer_of_two_parks(db: Session, world: World) -> str:
    """Park A's reviewer, appointed to park B as well; returns the username."""
    reviewer = db.scalar(select(User).where(User.username == "TA-reviewer"))
    assert reviewer is not None
    db.add(UserPark(user_id=reviewer.id, park_id=world.b.park_id))
    db.flush()
    return reviewer.username


def _park_name(page_html: str) -> str:
    match = re.search(r'<span class="park-name">([^<]*)</span>', page_html)
    assert match, "no park name in the header"
    return match.group(1)


def _choose(client: TestClient, token: str, park_id: int, next_path: str = "/") -> str:
    response = client.post(
        "/park", data={"csrf_token": token, "park_id": str(park_id), "next": next_path}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return response.headers["location"]


def test_reviewer_of_two_parks_switches_and_pages_act_in_the_chosen_park(
    client: TestClient, world: World, db: Session, reviewer_of_two_parks: str
) -> None:
    rule = alarms.create_rule(
        db,
        scope=system_scope(world.b.park_id),
        data=RuleCreate(
            name="乙园区报警规则",
            severity="major",
            conditions=[{"type": "threshold", "op": "above", "high": 25}],
            point_id=world.b.point_ids[0],
        ),
    )
    token = login(client, reviewer_of_two_parks)
    page = client.get("/").text
    switcher = SWITCHER.search(page)
    assert switcher, "a reviewer of two parks sees the park switcher"
    options = re.findall(r'<option value="(\d+)"( selected)?>([^<]*)</option>', switcher.group(0))
    expected = [(world.a.park_id, "测试园区TA"), (world.b.park_id, "测试园区TB")]
    assert [(int(v), name) for v, _, name in options] == expected
    assert [int(v) for v, selected, _ in options if selected] == [world.a.park_id]
    assert 'aria-label="当前园区"' in switcher.group(0)
    assert _park_name(page) == "测试园区TA"
    assert "乙园区报警规则" not in client.get("/alarms/rules").text

    assert _choose(client, token, world.b.park_id, "/alarms/rules?lang=zh") == "/alarms/rules?lang=zh"
    assert client.cookies.get(PARK_COOKIE) == str(world.b.park_id)
    rules = client.get("/alarms/rules").text
    assert _park_name(rules) == "测试园区TB"
    point_name = db.get(Point, rule.point_id).name  # type: ignore[union-attr]
    assert "乙园区报警规则" in visible_text(rules) and point_name in visible_text(rules)  # the rule's target by name
    overview = client.get("/").text
    assert _park_name(overview) == "测试园区TB"
    assert f'href="/zones/{world.b.zone_id}"' in overview and f'href="/zones/{world.a.zone_id}"' not in overview
    switcher = SWITCHER.search(overview)
    assert switcher and f'<option value="{world.b.park_id}" selected>' in switcher.group(0)

    _choose(client, token, world.a.park_id)
    assert _park_name(client.get("/").text) == "测试园区TA"
    english = client.get("/?lang=en").text
    assert 'aria-label="Park you act in"' in english


def test_record_lists_of_a_user_of_two_parks_show_the_chosen_park(
    client: TestClient, world: World, reviewer_of_two_parks: str
) -> None:
    token = login(client, reviewer_of_two_parks)
    first = visible_text(client.get("/enterprises").text)
    assert "TA企业0" in first and "TB企业0" not in first
    _choose(client, token, world.b.park_id)
    chosen = client.get("/enterprises").text
    assert "TB企业0" in visible_text(chosen) and "TA企业0" not in visible_text(chosen)
    assert f"/api/v1/enterprises.xlsx?park_id={world.b.park_id}" in chosen  # the download matches the list
    asked = visible_text(client.get("/enterprises", params={"park_id": world.a.park_id}).text)
    assert "TA企业0" in asked and "TB企业0" not in asked


def test_records_are_added_to_the_chosen_park_and_only_where_the_user_may_write(
    client: TestClient, world: World, db: Session
) -> None:
    admin = db.scalar(select(User).where(User.username == "TA-park_admin"))
    assert admin is not None
    db.add(UserPark(user_id=admin.id, park_id=world.b.park_id))  # reads park B, writes park A only
    db.flush()
    token = login(client, admin.username)
    _choose(client, token, world.b.park_id)
    assert 'href="/zones/new"' not in client.get("/zones").text
    refused = client.post("/zones/new", data={"csrf_token": token, "code": "Z8", "name": "八区", "function": "office"})
    assert refused.status_code == 403
    assert db.scalar(select(Zone.id).where(Zone.code == "Z8")) is None
    _choose(client, token, world.a.park_id)
    assert 'href="/zones/new"' in client.get("/zones").text
    created = client.post(
        "/zones/new",
        data={"csrf_token": token, "code": "Z8", "name": "八区", "function": "office"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    assert db.scalar(select(Zone.park_id).where(Zone.code == "Z8")) == world.a.park_id


def test_a_cookie_naming_a_park_the_user_does_not_read_is_ignored(client: TestClient, world: World) -> None:
    login(client, "TA-operator")
    for value in (str(world.b.park_id), "not-a-park", "-1", "0", "9" * 40):
        client.cookies.set(PARK_COOKIE, value)
        page = client.get("/").text
        assert _park_name(page) == "测试园区TA", value
        assert f'href="/zones/{world.a.zone_id}"' in page and f'href="/zones/{world.b.zone_id}"' not in page


def test_choosing_a_park_the_user_does_not_read_is_not_found(client: TestClient, world: World) -> None:
    token = login(client, "TA-park_admin")
    response = client.post(
        "/park", data={"csrf_token": token, "park_id": str(world.b.park_id), "next": "/"}, follow_redirects=False
    )
    assert response.status_code == 404
    assert PARK_COOKIE not in response.headers.get("set-cookie", "")
    assert _park_name(client.get("/").text) == "测试园区TA"
    bad = client.post("/park", data={"csrf_token": token, "park_id": "x", "next": "/"}, follow_redirects=False)
    assert bad.status_code == 422
    assert PARK_COOKIE not in bad.headers.get("set-cookie", "")


def test_choosing_needs_the_session_csrf_token(client: TestClient, world: World, reviewer_of_two_parks: str) -> None:
    login(client, reviewer_of_two_parks)
    for token in ("", "wrong"):
        response = client.post(
            "/park", data={"csrf_token": token, "park_id": str(world.b.park_id)}, follow_redirects=False
        )
        assert response.status_code == 403
        assert PARK_COOKIE not in response.headers.get("set-cookie", "")
    assert _park_name(client.get("/").text) == "测试园区TA"


def test_choosing_goes_back_only_to_a_local_path(client: TestClient, world: World, reviewer_of_two_parks: str) -> None:
    token = login(client, reviewer_of_two_parks)
    for target in ("https://evil.example/x", "//evil.example/x", "/\\evil.example", "evil", ""):
        assert _choose(client, token, world.b.park_id, target) == "/", target
    assert _choose(client, token, world.b.park_id, "/buildings?page=2") == "/buildings?page=2"


def test_users_of_one_park_see_no_switcher(client: TestClient) -> None:
    for username in ("TA-enterprise", "TA-park_admin", "TA-reviewer"):
        login(client, username)
        page = client.get("/").text
        assert 'action="/park"' not in page, username
        assert _park_name(page) == "测试园区TA"
        client.cookies.clear()


def test_logging_out_forgets_the_chosen_park(client: TestClient, world: World, reviewer_of_two_parks: str) -> None:
    token = login(client, reviewer_of_two_parks)
    _choose(client, token, world.b.park_id)
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert PARK_COOKIE not in client.cookies
