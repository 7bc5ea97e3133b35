"""Infrastructure and security pages: coverage by building in both languages; the security page shows an
enterprise only its own incidents; staff collect the platform's failed logins into an incident from the page."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.cybersec import events, inventory, reference
from digipark.cybersec.schemas import EventBatch, EventIn, NetworkElementCreate
from tests.conftest import World
from tests.cybersec.helpers import admin
from tests.web.helpers import form_token, login, visible_text

THRESHOLD = int(reference.rules()["brute_force"]["threshold"])


def test_infrastructure_page_shows_coverage_by_building_in_both_languages(
    client: TestClient, world: World, db: Session
) -> None:
    for code, tech in (("PF1", "fibre_gigabit"), ("PR1", "5g_a")):
        inventory.ELEMENTS.create(
            db,
            scope=admin(world.a),
            data=NetworkElementCreate(
                code=code, name=code, kind="switch", technology=tech, building_id=world.a.building_id
            ),
        )
    db.commit()
    login(client, "TA-enterprise")
    zh = client.get("/infrastructure", params={"lang": "zh"})
    assert zh.status_code == 200 and "各楼宇双千兆覆盖" in visible_text(zh.text)
    row = zh.text.split(f'data-building="{world.a.building_id}"')[1].split("</tr>")[0]
    assert 'data-covered="yes"' in zh.text and "已覆盖" in row
    en = client.get("/infrastructure", params={"lang": "en"})
    assert "Double-gigabit coverage by building" in visible_text(en.text)


def test_an_enterprise_sees_only_its_own_incidents_on_the_security_page(
    client: TestClient, world: World, db: Session
) -> None:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    for ip, owner in (("10.91.0.1", world.a.enterprise_ids[0]), ("10.92.0.1", world.a.enterprise_ids[1])):
        batch = [
            EventIn(
                at=start + dt.timedelta(seconds=i), sensor="fw", kind="auth_failure", src_ip=ip, enterprise_id=owner
            )
            for i in range(THRESHOLD)
        ]
        events.post_events(db, scope=admin(world.a), data=EventBatch(events=batch))
    db.commit()
    login(client, "TA-enterprise")
    page = client.get("/security", params={"lang": "zh"})
    assert page.status_code == 200
    assert 'data-key="10.91.0.1"' in page.text and 'data-key="10.92.0.1"' not in page.text
    assert 'id="collect-logins"' not in page.text  # staff only
    client.cookies.clear()
    login(client, "TA-resident")
    assert client.get("/security").status_code in (403, 404)


def test_staff_collect_the_platforms_failed_logins_into_an_incident(client: TestClient, world: World) -> None:
    for _ in range(THRESHOLD):
        token = form_token(client.get("/login").text)
        client.post("/login", data={"username": "TA-reviewer", "password": "wrong-guess-1", "csrf_token": token})
    token = login(client, "TA-operator")
    page = client.get("/security")
    response = client.post(
        "/security/collect-logins", data={"csrf_token": form_token(page.text) or token}, follow_redirects=False
    )
    assert response.status_code == 303
    after = client.get("/security", params={"lang": "en"})
    assert 'data-key="user:TA-reviewer"' in after.text and "Brute-force login" in visible_text(after.text)
