"""Safety pages: the centre (risk map, live alarm list, incident board), lists and details in Chinese and English,
the incident report form with a photo, the hidden-danger workflow through forms, enterprise isolation."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.safety import service
from digipark.safety.models import Incident, IncidentPhoto
from digipark.safety.schemas import HiddenDangerCreate, PlanCreate, ResourceCreate, RiskPointCreate
from tests.conftest import World
from tests.safety.helpers import admin, own
from tests.web.helpers import form_token, login, visible_text

NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=True):
        yield


def _seed(db: Session, world: World) -> dict[str, int]:
    boss = admin(world.a)
    point = service.create_risk_point(
        db,
        scope=boss,
        data=RiskPointCreate(
            code="RP-9",
            name="氨制冷机房",
            responsible_person="赵工",
            method="LEC",
            l_value=6,
            e_value=6,
            c_value=15,
            building_id=world.a.building_id,
        ),
    )
    mine = service.create_risk_point(
        db,
        scope=own(world.a),
        data=RiskPointCreate(code="E-9", name="企业喷涂间", responsible_person="钱", method="LS", l_value=2, s_value=2),
    )
    danger = service.create_hidden_danger(
        db, scope=boss, data=HiddenDangerCreate(title="应急照明损坏", grade="major", building_id=world.a.building_id)
    )
    service.create_resource(
        db, scope=boss, data=ResourceCreate(kind="team", name="园区专职消防队", lon=120.7002, lat=31.3002)
    )
    service.create_plan(
        db,
        scope=boss,
        data=PlanCreate(code="P-1", title="综合应急预案", plan_type="comprehensive", incident_kinds=["fire"]),
    )
    db.flush()
    return {"point": point.id, "mine": mine.id, "danger": danger.id}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_centre_and_lists_render(client: TestClient, world: World, db: Session, lang: str) -> None:
    ids = _seed(db, world)
    login(client, "TA-park_admin")
    page = client.get(f"/safety?lang={lang}")
    assert page.status_code == 200, page.text
    text = visible_text(page.text)
    if lang == "zh":
        assert "安全应急中心" in text and "风险四色图" in text and "各片区风险" in text and "事件看板" in text
        assert "Safety and emergency centre" not in text
    else:
        assert "Safety and emergency centre" in text and "Risk colour map" in text
    assert 'id="safety-plan"' in page.text and "risk-building" in page.text
    assert 'id="al-live"' in page.text  # the alarms module's live list is included
    for path in (
        "/safety/risk-points",
        "/safety/hazard-sources",
        "/safety/hidden-dangers",
        "/safety/incidents",
        "/safety/plans",
        "/safety/resources",
        f"/safety/risk-points/{ids['point']}",
        f"/safety/hidden-dangers/{ids['danger']}",
        "/safety/incidents/new",
        "/safety/hidden-dangers/new",
    ):
        response = client.get(f"{path}?lang={lang}")
        assert response.status_code == 200, (path, response.text)
    assert "氨制冷机房" in client.get("/safety/risk-points").text
    assert 'href="/safety"' in page.text  # the navigation entry


def test_enterprise_sees_only_its_own(client: TestClient, world: World, db: Session) -> None:
    ids = _seed(db, world)
    login(client, "TA-enterprise2")
    listing = client.get("/safety/risk-points").text
    assert "氨制冷机房" not in listing and "企业喷涂间" not in listing
    assert client.get(f"/safety/risk-points/{ids['mine']}").status_code == 404
    assert client.get("/safety").status_code == 200
    client.cookies.clear()
    login(client, "TA-resident")
    assert client.get("/safety").status_code == 403


def test_report_an_incident_with_a_photo(client: TestClient, world: World, db: Session) -> None:
    _seed(db, world)
    login(client, "TA-enterprise")
    form = client.get("/safety/incidents/new").text
    token = form_token(form)
    bad = client.post(
        "/safety/incidents/new",
        data={"csrf_token": token, "title": "冒烟", "kind": "fire", "level": "IV"},
        files={"photos": ("a.png", PNG, "image/png")},
    )
    assert bad.status_code == 422 and "location" in bad.text  # nowhere given: nothing stored
    assert db.query(Incident).count() == 0
    fake = client.post(
        "/safety/incidents/new",
        data={"csrf_token": token, "title": "冒烟", "kind": "fire", "location": "仓库北门"},
        files={"photos": ("a.png", b"GIF89a....", "image/png")},
    )
    assert fake.status_code == 415 and db.query(Incident).count() == 0
    ok = client.post(
        "/safety/incidents/new",
        data={
            "csrf_token": token,
            "title": "冒烟",
            "kind": "fire",
            "location": "仓库北门",
            "lon": "120.7002",
            "lat": "31.3002",
        },
        files={"photos": ("现场.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    ident = int(re.search(r"/safety/incidents/(\d+)", ok.headers["location"]).group(1))  # type: ignore[union-attr]
    row = db.get(Incident, ident)
    assert row is not None and row.enterprise_id == world.a.enterprise_ids[0] and row.source == "report"
    photo = db.query(IncidentPhoto).filter_by(incident_id=ident).one()
    detail = client.get(f"/safety/incidents/{ident}")
    assert detail.status_code == 200 and "园区专职消防队" in detail.text  # nearest resources
    assert client.get(f"/safety/photos/{photo.id}").content == PNG
    assert client.get(f"/safety/incidents/{ident}/report").status_code == 200
    client.cookies.clear()
    login(client, "TA-enterprise2")
    assert client.get(f"/safety/photos/{photo.id}").status_code == 404


def test_hidden_danger_workflow_through_forms(client: TestClient, world: World, db: Session) -> None:
    ids = _seed(db, world)
    login(client, "TA-operator")
    url = f"/safety/hidden-dangers/{ids['danger']}"
    token = form_token(client.get(url).text)
    wrong = client.post(f"{url}/rectify", data={"csrf_token": token, "rectification": "修好了"})
    assert wrong.status_code == 409  # found → rectified is not allowed; nothing changes
    assert service.get_hidden_danger(db, scope=admin(world.a), ident=ids["danger"]).status == "found"
    response = client.post(
        f"{url}/assign",
        data={"csrf_token": token, "assignee": "物业", "deadline": "2026-06-20"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    client.post(f"{url}/rectify", data={"csrf_token": token, "rectification": "已更换灯具"})
    client.post(f"{url}/verify", data={"csrf_token": token, "passed": "1"})
    db.expire_all()
    assert service.get_hidden_danger(db, scope=admin(world.a), ident=ids["danger"]).status == "verified"
