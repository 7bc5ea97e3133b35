"""Service pages: the catalogue and its search, booking a machine from its page (bad input re-renders the form
with the reason and books nothing), the provider approving on the bookings page, both languages."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.services.models import Booking
from tests.conftest import World
from tests.services.helpers import at, machine
from tests.web.helpers import form_token, login, visible_text


def test_an_enterprise_books_from_the_page_and_the_park_approves(client: TestClient, world: World, db: Session) -> None:
    one = machine(db, world.a)
    db.commit()
    login(client, "TA-enterprise")
    catalogue = client.get("/services", params={"q": one.name, "lang": "zh"})
    assert (
        catalogue.status_code == 200 and one.name in catalogue.text and "共享制造设备" in visible_text(catalogue.text)
    )
    page = client.get(f"/services/offerings/{one.id}")
    assert page.status_code == 200 and 'id="calendar"' in page.text
    token = form_token(page.text)
    day = at(4, 0).date().isoformat()
    bad = client.post(
        f"/services/offerings/{one.id}/book", data={"csrf_token": token, "day": day, "start": "10:00", "end": "09:00"}
    )
    assert bad.status_code == 422 and "field-error" in bad.text
    count = db.scalar(select(func.count()).select_from(Booking).where(Booking.offering_id == one.id))
    assert count == 0
    done = client.post(
        f"/services/offerings/{one.id}/book",
        data={"csrf_token": token, "day": day, "start": "09:00", "end": "11:00", "purpose": "试制"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    mine = client.get("/services/bookings", params={"lang": "zh"})
    row = db.scalar(select(Booking).where(Booking.offering_id == one.id))
    assert row is not None and row.starts_at == at(4, 9).astimezone(dt.UTC)
    own_row = mine.text.split(f'data-id="{row.id}"')[1].split("</tr>")[0]
    assert "已申请" in visible_text(own_row)
    assert "approve" not in own_row  # the booker may not approve its own request

    client.cookies.clear()
    login(client, "TA-park_admin")
    staff = client.get("/services/bookings")
    token = form_token(staff.text)
    approved = client.post(
        f"/services/bookings/{row.id}/decide", data={"csrf_token": token, "approve": "1"}, follow_redirects=False
    )
    assert approved.status_code == 303
    db.refresh(row)
    assert row.status == "approved"
    english = client.get("/services/bookings", params={"lang": "en"})
    assert "Approved" in visible_text(english.text)


def test_another_parks_enterprise_does_not_book(client: TestClient, world: World, db: Session) -> None:
    one = machine(db, world.a)
    db.commit()
    login(client, "TB-enterprise")
    assert client.get(f"/services/offerings/{one.id}").status_code == 404


def test_the_enterprise_archive_page_shows_the_services_used(client: TestClient, world: World, db: Session) -> None:
    from digipark.services import booking as service_booking
    from digipark.services.schemas import UsageCreate
    from tests.services.helpers import admin

    lab = machine(
        db, world.a, bookable=False, kind="testing", price_unit="sample", unit_price_yuan=650, name="材料理化检测"
    )
    service_booking.record_usage(
        db,
        scope=admin(world.a),
        data=UsageCreate(
            offering_id=lab.id, enterprise_id=world.a.enterprise_ids[0], used_on=dt.date.today(), quantity=2
        ),
    )
    db.commit()
    login(client, "TA-enterprise")
    page = client.get(f"/enterprises/{world.a.enterprise_ids[0]}/archive", params={"lang": "zh"})
    assert page.status_code == 200
    section = page.text.split('id="s-services"')[1].split("</section>")[0]
    assert "材料理化检测" in section and "1,300.00" in section and "检验检测认证" in visible_text(section)


def test_the_demand_board_shows_posts_and_the_matches_of_own_needs(
    client: TestClient, world: World, db: Session
) -> None:
    from digipark.services import supply_chain
    from digipark.services.schemas import PostCreate
    from tests.services.helpers import enterprise, new_enterprise, scope

    maker = new_enterprise(db, world.a, "精密铸造厂", "3391", serial=70)
    supply_chain.POSTS.create(
        db,
        scope=scope(world.a, enterprise(world.a, 0).role, maker),
        data=PostCreate(kind="capacity", title="压铸产能", products=["压铸"], quantity=9000, unit="件"),
    )
    need = supply_chain.POSTS.create(
        db,
        scope=enterprise(world.a, 0),
        data=PostCreate(kind="need", title="求购压铸端盖", products=["压铸"], quantity=500, unit="件"),
    )
    db.commit()
    login(client, "TA-enterprise")
    page = client.get("/services/board", params={"lang": "zh"})
    assert page.status_code == 200
    row = page.text.split(f'data-id="{need.id}"')[1].split("</tr>")[0]
    assert "精密铸造厂" in row and "需求" in visible_text(row)
    client.cookies.clear()
    login(client, "TB-enterprise")
    assert "求购压铸端盖" not in client.get("/services/board").text


def test_an_enterprise_consents_on_its_account_page(client: TestClient, world: World, db: Session) -> None:
    from digipark.services import catalogue, finance
    from digipark.services.schemas import ApplicationCreate, OfferingCreate
    from tests.services.helpers import admin, enterprise

    loan = catalogue.OFFERINGS.create(
        db, scope=admin(world.a), data=OfferingCreate(kind="finance", name="科技贷", provider_name="苏州银行")
    )
    row = finance.apply(
        db,
        scope=enterprise(world.a, 0),
        data=ApplicationCreate(offering_id=loan.id, amount_wan_yuan=300, term_months=12, purpose="设备更新"),
    )
    db.commit()
    login(client, "TA-park_admin")
    staff = client.get("/services/account", params={"lang": "zh"})
    assert "未共享" in visible_text(staff.text.split(f'data-id="{row.id}"')[1].split("</tr>")[0])
    assert "consent" not in staff.text.split(f'data-id="{row.id}"')[1].split("</tr>")[0]
    client.cookies.clear()
    login(client, "TA-enterprise")
    page = client.get("/services/account", params={"month": "2026-01"})
    assert page.status_code == 200 and 'id="statement"' in page.text
    done = client.post(
        f"/services/applications/{row.id}/consent", data={"csrf_token": form_token(page.text)}, follow_redirects=False
    )
    assert done.status_code == 303
    db.refresh(row)
    assert row.consent_at is not None and row.profile is not None
    assert client.get(f"/api/v1/services/applications/{row.id}/profile", params={"format": "pdf"}).content.startswith(
        b"%PDF"
    )
