"""The operations pages in the page's language: compute resources, ICS assets and advisories, the security
page's sources, pollution outlets, incidents and drills show their English names on English pages (the Chinese
names on Chinese pages); text people wrote (a work order's title and description, a command's reason) is marked
translate="no"; the APIs take the English names."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.cybersec.models import Advisory, ComputeResource, IcsAsset
from digipark.environment.models import Outlet
from digipark.safety import service as safety
from digipark.safety.schemas import IncidentCreate
from digipark.workorders import service as workorders
from digipark.workorders.schemas import WorkOrderCreate
from tests.conftest import World, bearer
from tests.safety.helpers import admin as safety_admin
from tests.web.helpers import login, visible_text
from tests.workorders.helpers import scope_of


def test_infrastructure_and_security_pages_name_records_in_the_page_language(
    client: TestClient, db: Session, world: World
) -> None:
    a = world.a
    db.add(
        ComputeResource(
            park_id=a.park_id, code="AI-9", name="园区智算中心", name_en="Park AI Centre", kind="ai", capacity=10
        )
    )
    db.add(
        IcsAsset(
            park_id=a.park_id,
            enterprise_id=a.enterprise_ids[0],
            name="产线PLC-1",
            name_en="Line PLC 1",
            kind="plc",
            vendor="Siemens",
            model="S7-1200 CPU1214C",
            firmware="V4.4.0",
        )
    )
    db.add(
        Advisory(
            park_id=a.park_id,
            ident="CNVD-T-1",
            title="拒绝服务漏洞",
            title_en="Denial-of-service flaw",
            vendor="Siemens",
            model_pattern="S7-1200*",
            affected="<4.5.2",
            severity="major",
        )
    )
    db.flush()
    login(client, "TA-park_admin")
    infra = visible_text(client.get("/infrastructure?lang=en").text)
    assert "Park AI Centre" in infra and "智算" not in infra
    assert "园区智算中心" in visible_text(client.get("/infrastructure?lang=zh").text)
    security = visible_text(client.get("/security?lang=en").text)
    assert "Line PLC 1" in security and "Denial-of-service flaw" in security
    assert "Baseline for classified protection of cybersecurity" in security  # a source's English title
    assert not re.search(r"产线|拒绝服务|网络安全等级保护基本要求", security)
    chinese = visible_text(client.get("/security?lang=zh").text)
    assert "产线PLC-1" in chinese and "网络安全等级保护基本要求" in chinese


def test_an_outlet_keeps_its_english_name_through_the_api_and_pages(
    client: TestClient, db: Session, world: World
) -> None:
    a = world.a
    outlet = Outlet(
        park_id=a.park_id,
        enterprise_id=a.enterprise_ids[0],
        code="DW901",
        name="废水总排口",
        name_en="Main wastewater outlet",
        medium="water",
        standard="GB8978-1996-1",
        active=True,
    )
    db.add(outlet)
    db.flush()
    login(client, "TA-park_admin")
    page = visible_text(client.get(f"/environment/outlets/{outlet.id}?lang=en").text)
    assert "Main wastewater outlet" in page and "废水总排口" not in page
    boss = bearer(a.tokens["park_admin"])
    changed = client.patch(f"/api/v1/environment/outlets/{outlet.id}", headers=boss, json={"name_en": "Outlet 1"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["name_en"] == "Outlet 1"


def test_incidents_and_drills_show_their_english_titles(client: TestClient, db: Session, world: World) -> None:
    safety.create_incident(
        db,
        scope=safety_admin(world.a),
        data=IncidentCreate(title="仓库起火", title_en="Warehouse fire", kind="fire", location="仓库", drill=True),
    )
    db.flush()
    login(client, "TA-park_admin")
    centre = visible_text(client.get("/safety?lang=en").text)
    assert "Warehouse fire" in centre and "仓库起火" not in centre
    assert "仓库起火" in visible_text(client.get("/safety?lang=zh").text)


def test_words_people_wrote_are_marked_as_written(client: TestClient, db: Session, world: World) -> None:
    order = workorders.report(
        db,
        scope=scope_of(db, "TA", "park_admin"),
        data=WorkOrderCreate(title="三楼走廊漏水", description="天花板滴水"),
    )
    db.flush()
    login(client, "TA-park_admin")
    listing = client.get("/workorders?lang=en").text
    assert re.search(r'translate="no">三楼走廊漏水</a>', listing)
    detail = client.get(f"/workorders/{order.id}?lang=en").text
    assert re.search(r'<h1 translate="no">三楼走廊漏水</h1>', detail) and '<dd translate="no">天花板滴水</dd>' in detail
