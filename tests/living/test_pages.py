"""Living pages: the overview by role, a resident invites a visitor and sees the QR code, bad input re-renders the
form, the car-park page, the delivery map with routes; both languages."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.core.listing import ListQuery
from digipark.living import delivery
from digipark.living.models import VisitorPass
from tests.conftest import World
from tests.living.helpers import car_park, scope_of
from tests.living.test_delivery import _network, _order
from tests.web.helpers import form_token, login, visible_text


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M")


def test_a_resident_invites_a_visitor(client: TestClient, world: World, db: Session) -> None:
    login(client, "TA-resident")
    overview = client.get("/living")
    assert overview.status_code == 200 and 'id="invite-visitor"' in overview.text
    assert 'id="lv-in-park"' not in overview.text  # staff only
    token = form_token(client.get("/living/passes/new").text)
    start = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    response = client.post(
        "/living/passes/new",
        data={
            "csrf_token": token,
            "visitor_name": "王芳",
            "visitor_phone": "13900139002",
            "valid_from": _local(start),
            "valid_until": _local(start + dt.timedelta(hours=3)),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    match = re.match(r"/living/passes/(\d+)", response.headers["location"])
    assert match
    ident = int(match.group(1))
    row = db.get(VisitorPass, ident)
    assert row is not None and row.visitor_name == "王芳"
    assert abs((row.valid_from.replace(tzinfo=dt.UTC) - start).total_seconds()) < 60  # the form's time is Shanghai's
    page = client.get(f"/living/passes/{ident}")
    assert "王芳" in page.text and f"/living/passes/{ident}/qr.svg" in page.text
    qr = client.get(f"/living/passes/{ident}/qr.svg")
    assert qr.headers["content-type"].startswith("image/svg+xml") and b"<svg" in qr.content


def test_bad_pass_input_shows_the_form_again(client: TestClient, db: Session) -> None:
    login(client, "TA-resident")
    token = form_token(client.get("/living/passes/new").text)
    before = db.scalar(select(VisitorPass.id).order_by(VisitorPass.id.desc()).limit(1))
    response = client.post(
        "/living/passes/new",
        data={
            "csrf_token": token,
            "visitor_name": "",
            "valid_from": "2026-05-04T10:00",
            "valid_until": "2026-05-04T09:00",
        },
    )
    assert response.status_code == 422 and 'id="pass-form"' in response.text and "has-error" in response.text
    assert db.scalar(select(VisitorPass.id).order_by(VisitorPass.id.desc()).limit(1)) == before


def test_parking_and_delivery_pages(client: TestClient, world: World, db: Session) -> None:
    car_park(db, world)
    ids = _network(db)
    _order(db, "resident", ids["B"])
    login(client, "TA-operator")
    parking_page = client.get("/living/parking")
    assert parking_page.status_code == 200 and "停车场P9" in parking_page.text
    deliveries = client.get("/living/deliveries")
    assert deliveries.status_code == 200
    assert deliveries.text.count('class="route"') == 1 and "VAN" in deliveries.text
    (row,) = delivery.list_deliveries(db, scope=scope_of(db, "TA", "resident"), query=ListQuery(page_size=5))[0]
    one = client.get(f"/living/deliveries/{row.id}?lang=zh")
    assert one.status_code == 200 and "VAN" in one.text and "已排程" in visible_text(one.text)
    client.cookies.clear()
    login(client, "TA-resident")
    assert client.get("/living/deliveries").status_code in (403, 404)
    assert client.get(f"/living/deliveries/{row.id}").status_code == 200  # who ordered it reads it
    client.cookies.clear()
    login(client, "TA-enterprise")
    assert client.get(f"/living/deliveries/{row.id}").status_code == 404


def test_pages_in_both_languages(client: TestClient, world: World, db: Session) -> None:
    car_park(db, world)
    login(client, "TA-operator")
    for url in ("/living", "/living/parking", "/living/passes/new", "/living/deliveries"):
        zh = visible_text(client.get(url, params={"lang": "zh"}).text)
        en = visible_text(client.get(url, params={"lang": "en"}).text)
        assert "生活服务" in zh or "停车" in zh or "访客" in zh or "配送" in zh, url
        for english in ("Living services", "Parking", "Invite a visitor", "Delivery map", "Free spaces"):
            assert english not in zh, (url, english)
        assert "Unified Park Platform" in en


def test_the_building_view(client: TestClient, world: World, db: Session) -> None:
    from digipark.workorders.schemas import WorkOrderCreate
    from digipark.workorders.service import report
    from tests.living.helpers import scope_of

    report(
        db,
        scope=scope_of(db, "TA", "operator"),
        data=WorkOrderCreate(title="灯不亮", building_id=world.a.building_id, room_id=world.a.room_id),
    )
    login(client, "TA-operator")
    page = client.get(f"/living/buildings/{world.a.building_id}")
    assert page.status_code == 200
    assert (
        f'data-room="{world.a.room_id}"' in page.text and "灯不亮" in page.text and 'class="room-orders"' in page.text
    )
    assert "TA企业0" in page.text  # the tenant, for staff
    client.cookies.clear()
    login(client, "TA-resident")
    page = client.get(f"/living/buildings/{world.a.building_id}")
    assert page.status_code == 200 and "TA企业0" not in page.text and "灯不亮" not in page.text
    assert client.get(f"/living/buildings/{world.b.building_id}").status_code == 404


def test_the_site_plan_links_each_building_view(client: TestClient, world: World) -> None:
    login(client, "TA-resident")
    overview = client.get("/", params={"lang": "zh"}).text
    views = re.search(r'<ul class="legend" id="building-views".*?</ul>', overview, re.S)
    assert views is not None and "楼宇视图" in views.group(0)
    assert re.findall(r'href="(/living/buildings/\d+)"', views.group(0)) == [f"/living/buildings/{world.a.building_id}"]
    assert client.get(f"/living/buildings/{world.a.building_id}").status_code == 200


def test_no_building_view_links_without_the_living_module(client: TestClient, world: World) -> None:
    from digipark.core import modules

    everything = modules.installed()
    modules.install([m for m in everything if m.name != "living"])
    try:
        login(client, "TA-resident")
        overview = client.get("/").text
        assert 'id="site-plan"' in overview and 'id="building-views"' not in overview
    finally:
        modules.install(everything)


def test_security_desk_and_event_pages(client: TestClient, world: World, db: Session) -> None:
    import base64

    from digipark.living import security
    from digipark.living.schemas import Checkpoint, PatrolRouteCreate, PatrolScan, SecurityEventCreate
    from tests.living.helpers import scope_of
    from tests.workorders.helpers import png

    operator = scope_of(db, "TA", "operator")
    event = security.report_event(
        db,
        scope=operator,
        data=SecurityEventCreate(
            kind="smoke", source="CAM-33", location="仓库北", snapshot_base64=base64.b64encode(png()).decode()
        ),
    )
    route = security.ROUTES.create(
        db,
        scope=operator,
        data=PatrolRouteCreate(
            name="夜巡路线",
            every_minutes=60,
            checkpoints=[Checkpoint(code="K1", name="东门"), Checkpoint(code="K2", name="库房")],
        ),
    )
    security.scan(db, scope=operator, data=PatrolScan(route_id=route.id, checkpoint="K1"))
    db.commit()
    login(client, "TA-operator")
    desk = client.get("/living/security", params={"lang": "zh"})
    assert desk.status_code == 200
    row = re.search(rf'<tr data-event="{event.id}">.*?</tr>', desk.text, re.S)
    assert row is not None and "烟火" in row.group(0) and "CAM-33" in row.group(0)
    assert f'href="/workorders/{event.work_order_id}"' in row.group(0)
    patrol = re.search(rf'<tr data-route="{route.id}">.*?</tr>', desk.text, re.S)
    assert patrol is not None
    assert re.search(r'class="lv-missing"><strong>K2</strong>', patrol.group(0)) and ">K1<" in patrol.group(0)
    detail = client.get(f"/living/security/{event.id}", params={"lang": "en"})
    assert detail.status_code == 200 and "Smoke or fire" in detail.text and 'id="lv-snapshot"' in detail.text
    image = client.get(f"/living/security/{event.id}/snapshot")
    assert image.status_code == 200 and image.content == png() and image.headers["content-type"] == "image/png"
    client.cookies.clear()
    login(client, "TA-resident")
    assert client.get("/living/security").status_code == 403
    assert client.get(f"/living/security/{event.id}/snapshot").status_code in (403, 404)


def test_bills_pages_own_and_mark_paid(client: TestClient, world: World, db: Session) -> None:
    from decimal import Decimal

    from digipark.living import bills
    from digipark.living.models import Bill
    from digipark.living.schemas import BillingRun
    from tests.living.helpers import scope_of

    made = bills.run_billing(
        db,
        scope=scope_of(db, "TA", "park_admin"),
        data=BillingRun(
            month=dt.date(2026, 3, 1),
            rent_yuan_per_m2=Decimal("50"),
            property_fee_yuan_per_m2=Decimal("5"),
            electricity_yuan_per_kwh=Decimal("0.8"),
        ),
    )
    db.commit()
    assert made.created > 0
    rent = db.scalars(select(Bill).where(Bill.kind == "rent", Bill.park_id == world.a.park_id)).first()
    assert rent is not None and rent.status == "unpaid"
    login(client, "TA-enterprise")
    own = client.get("/living/bills", params={"lang": "zh"})
    assert own.status_code == 200 and f'data-bill="{rent.id}"' in own.text and "租金" in own.text
    assert f"/living/bills/{rent.id}/paid" not in own.text  # an enterprise reads, staff record payments
    client.cookies.clear()
    login(client, "TA-enterprise2")
    assert f'data-bill="{rent.id}"' not in client.get("/living/bills").text  # another tenant's bill
    client.cookies.clear()
    token = login(client, "TA-operator")
    staff = client.get("/living/bills", params={"status": "unpaid", "lang": "en"})
    assert f'action="/living/bills/{rent.id}/paid"' in staff.text and "Mark paid" in staff.text
    done = client.post(f"/living/bills/{rent.id}/paid", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    db.expire_all()
    assert db.get(Bill, rent.id).status == "paid"  # type: ignore[union-attr]
    assert f'data-bill="{rent.id}"' not in client.get("/living/bills", params={"status": "unpaid"}).text
    refused = client.post(f"/living/bills/{rent.id}/paid", data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 409  # paid already: nothing changes
