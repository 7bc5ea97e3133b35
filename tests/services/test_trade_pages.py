"""Pages of group purchasing, supply-chain collaboration and logistics: an enterprise posts demands, shares figures
and announces shipments through forms; park staff open a round, record quotes, award and deliver, record gate
events; each sees what its role may (an enterprise never another's demands, shares or shipments), in both
languages; the demand board's match reasons are translated."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.core.listing import ListQuery
from digipark.services import booking, purchasing, supply_chain
from digipark.services.common import today
from digipark.services.models import PurchaseDemand, PurchaseQuote, PurchaseRound, Shipment, SupplierShare
from digipark.services.schemas import BookingCreate, DemandCreate, PostCreate, RelationCreate
from tests.conftest import World
from tests.services.helpers import at, enterprise, machine, new_enterprise, scope
from tests.web.helpers import form_token, login, visible_text


def _next_month() -> dt.date:
    return (today().replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _row(page_html: str, ident: int) -> str:
    return page_html.split(f'data-id="{ident}"')[1].split("</tr>")[0]


def _as(client: TestClient, user: str) -> None:
    client.cookies.clear()
    login(client, user)


def test_a_group_purchase_from_demand_to_split_through_the_pages(client: TestClient, world: World, db: Session) -> None:
    month = _next_month()
    other = purchasing.DEMANDS.create(
        db,
        scope=enterprise(world.a, 1),
        data=DemandCreate(
            category="packaging", item="五层瓦楞纸箱", quantity=500, unit="个", period=month, last_unit_price_yuan=3.0
        ),
    )
    db.commit()

    login(client, "TA-enterprise")
    page = client.get("/services/purchasing", params={"lang": "zh"})
    assert page.status_code == 200 and 'id="demand-form"' in page.text and 'id="aggregation"' not in page.text
    assert f'data-id="{other.id}"' not in page.text  # another enterprise's demand
    token = form_token(page.text)
    bad = client.post(
        "/services/purchasing/demands",
        data={"csrf_token": token, "category": "packaging", "item": "五层瓦楞纸箱", "quantity": "abc", "unit": "个"},
    )
    assert bad.status_code == 422 and "field-error" in bad.text
    done = client.post(
        "/services/purchasing/demands",
        data={
            "csrf_token": token,
            "category": "packaging",
            "item": "五层瓦楞纸箱",
            "quantity": "1000",
            "unit": "个",
            "period": month.strftime("%Y-%m"),
            "last_unit_price_yuan": "3.2",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    mine = db.scalars(select(PurchaseDemand).where(PurchaseDemand.enterprise_id == world.a.enterprise_ids[0])).all()
    assert [(d.quantity, d.period, d.status) for d in mine] == [(1000, month, "open")]
    demand = mine[0]
    # an enterprise may not open a round
    assert (
        client.post(
            "/services/purchasing/rounds", data={"csrf_token": token, "category": "packaging", "period": str(month)}
        ).status_code
        == 403
    )

    _as(client, "TA-operator")
    staff = client.get("/services/purchasing", params={"lang": "zh"})
    group = staff.text.split(f'data-category="packaging" data-period="{month.strftime("%Y-%m")}"')[1].split("</tr>")[0]
    assert "1,500.00 个" in group and "包装材料" in visible_text(group)
    token = form_token(staff.text)
    supplier = client.post(
        "/services/purchasing/suppliers",
        data={"csrf_token": token, "name": "苏州包装有限公司", "category_packaging": "1"},
        follow_redirects=False,
    )
    assert supplier.status_code == 303
    second = client.post(
        "/services/purchasing/suppliers",
        data={"csrf_token": token, "name": "昆山纸品厂", "category_packaging": "1"},
        follow_redirects=False,
    )
    assert second.status_code == 303
    opened = client.post(
        "/services/purchasing/rounds",
        data={"csrf_token": token, "category": "packaging", "period": month.strftime("%Y-%m")},
        follow_redirects=False,
    )
    assert opened.status_code == 303
    round_row = db.scalar(select(PurchaseRound).where(PurchaseRound.item == "五层瓦楞纸箱"))
    assert round_row is not None and round_row.total_quantity == 1500 and round_row.demand_count == 2
    assert opened.headers["location"].startswith(f"/services/purchasing/rounds/{round_row.id}")
    listed = purchasing.SUPPLIERS.list(db, scope=scope(world.a, Role.OPERATOR), query=ListQuery())[0]
    suppliers = {s.name: s.id for s in listed}
    url = f"/services/purchasing/rounds/{round_row.id}"
    bad_quote = client.post(
        f"{url}/quotes", data={"csrf_token": token, "supplier_id": str(suppliers["昆山纸品厂"]), "unit_price_yuan": "x"}
    )
    assert bad_quote.status_code == 422
    for name, price in (("苏州包装有限公司", "2.9"), ("昆山纸品厂", "2.7")):
        quoted = client.post(
            f"{url}/quotes",
            data={"csrf_token": token, "supplier_id": str(suppliers[name]), "unit_price_yuan": price},
            follow_redirects=False,
        )
        assert quoted.status_code == 303
    assert len(db.scalars(select(PurchaseQuote).where(PurchaseQuote.round_id == round_row.id)).all()) == 2
    awarded = client.post(f"{url}/award", data={"csrf_token": token}, follow_redirects=False)
    assert awarded.status_code == 303
    db.refresh(round_row)
    assert round_row.status == "awarded" and round_row.awarded_unit_price_yuan == 2.7
    round_page = client.get(url, params={"lang": "zh"})
    assert "昆山纸品厂" in round_page.text and 'id="quotes"' in round_page.text
    assert f'data-id="{demand.id}"' in round_page.text and f'data-id="{other.id}"' in round_page.text
    delivered = client.post(
        f"/services/purchasing/demands/{demand.id}/delivery",
        data={"csrf_token": token, "delivered_quantity": "1000"},
        follow_redirects=False,
    )
    assert delivered.status_code == 303
    db.refresh(demand)
    assert demand.status == "delivered"

    _as(client, "TA-enterprise")
    split = client.get(url, params={"lang": "zh"})
    assert split.status_code == 200 and 'id="quotes"' not in split.text  # quotes are the park's
    assert f'data-id="{other.id}"' not in split.text  # only its own share of the split
    own = _row(split.text, demand.id)
    assert "2.70" in own and "500.00" in own and "已送达" in visible_text(own)
    english = client.get("/services/purchasing", params={"lang": "en"})
    assert "Delivered" in visible_text(_row(english.text, demand.id))
    _as(client, "TA-enterprise2")
    theirs = client.get(url)
    assert f'data-id="{demand.id}"' not in theirs.text and f'data-id="{other.id}"' in theirs.text
    _as(client, "TB-enterprise")
    assert client.get(url).status_code == 404


def test_a_lead_enterprise_sees_shortages_its_supplier_consented_to_share(
    client: TestClient, world: World, db: Session
) -> None:
    lead, supplier = world.a.enterprise_ids
    month = _next_month()
    supply_chain.RELATIONS.create(
        db, scope=enterprise(world.a, 1), data=RelationCreate(customer_enterprise_id=lead, goods="电机端盖")
    )
    db.commit()
    login(client, "TA-enterprise2")  # the supplier
    page = client.get("/services/supply-chain")
    assert page.status_code == 200 and 'id="share-form"' in page.text
    token = form_token(page.text)
    saved = client.post(
        "/services/supply-chain/shares",
        data={
            "csrf_token": token,
            "lead_enterprise_id": str(lead),
            "item": "电机端盖",
            "unit": "件",
            "period": month.strftime("%Y-%m"),
            "forecast_order_qty": "1000",
            "capacity_qty": "600",
            "stock_qty": "100",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    share = db.scalar(select(SupplierShare).where(SupplierShare.enterprise_id == supplier))
    assert share is not None and not share.shared

    _as(client, "TA-enterprise")
    before = client.get("/services/supply-chain")
    assert f'data-share="{share.id}"' not in before.text and f'data-id="{share.id}"' not in before.text
    assert 'id="shared"' in before.text

    _as(client, "TA-enterprise2")
    page = client.get("/services/supply-chain")
    consent = client.post(
        f"/services/supply-chain/shares/{share.id}/consent",
        data={"csrf_token": form_token(page.text), "shared": "1"},
        follow_redirects=False,
    )
    assert consent.status_code == 303
    db.refresh(share)
    assert share.shared

    _as(client, "TA-enterprise")
    after = client.get("/services/supply-chain", params={"lang": "zh"})
    row = after.text.split(f'data-share="{share.id}"')[1].split("</tr>")[0]
    assert "电机端盖" in row and "300.00 件" in row
    assert "未来缺口" in visible_text(after.text)
    # the lead enterprise may not withdraw the supplier's consent
    denied = client.post(
        f"/services/supply-chain/shares/{share.id}/consent",
        data={"csrf_token": form_token(after.text), "shared": "0"},
    )
    assert denied.status_code in (403, 404)
    published = client.post(
        "/services/supply-chain/posts",
        data={
            "csrf_token": form_token(after.text),
            "kind": "scenario",
            "title": "开放焊接质检视觉场景",
            "products": "视觉检测, 焊缝",
        },
        follow_redirects=False,
    )
    assert published.status_code == 303
    assert "开放焊接质检视觉场景" in client.get("/services/supply-chain").text

    _as(client, "TA-operator")
    staff = client.get("/services/supply-chain", params={"lead": str(lead)})
    assert f'data-share="{share.id}"' in staff.text and 'id="share-form"' not in staff.text
    _as(client, "TB-enterprise")
    assert "电机端盖" not in client.get("/services/supply-chain").text


def test_shipments_gate_events_and_the_dock_schedule(client: TestClient, world: World, db: Session) -> None:
    dock = machine(db, world.a, kind="logistics", name="1号装卸月台", price_unit="hour", unit_price_yuan=60)
    slot = booking.create_booking(
        db,
        scope=enterprise(world.a, 0),
        data=BookingCreate(offering_id=dock.id, starts_at=at(1, 9), ends_at=at(1, 10)),
    )
    db.commit()
    login(client, "TA-enterprise")
    page = client.get("/services/logistics", params={"lang": "zh"})
    assert page.status_code == 200 and f'data-dock="{dock.id}"' in page.text
    assert f'<option value="{slot.id}">' in page.text  # its own dock booking to name
    assert "1号装卸月台" in _row(page.text, slot.id)
    token = form_token(page.text)
    bad = client.post(
        "/services/logistics/shipments", data={"csrf_token": token, "direction": "sideways", "goods": "x"}
    )
    assert bad.status_code == 422
    done = client.post(
        "/services/logistics/shipments",
        data={
            "csrf_token": token,
            "direction": "out",
            "goods": "电机 200 台",
            "consignee": "上海某机电公司",
            "carrier": "园区物流公司",
            "plate": "苏E12345",
            "weight_t": "8.5",
            "expected_at": f"{at(1, 9):%Y-%m-%dT%H:%M}",
            "dock_booking_id": str(slot.id),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    shipment = db.scalar(select(Shipment).where(Shipment.goods == "电机 200 台"))
    assert shipment is not None and shipment.dock_booking_id == slot.id and shipment.status == "planned"
    assert (
        client.post(
            f"/services/logistics/shipments/{shipment.id}/gate", data={"csrf_token": token, "kind": "arrived"}
        ).status_code
        == 403
    )

    _as(client, "TA-enterprise2")
    theirs = client.get("/services/logistics")
    assert f'data-id="{shipment.id}"' not in theirs.text and "电机 200 台" not in theirs.text
    assert f'data-id="{slot.id}"' not in theirs.text  # another's dock booking

    _as(client, "TA-operator")
    staff = client.get("/services/logistics", params={"lang": "zh"})
    token = form_token(staff.text)
    wrong = client.post(
        f"/services/logistics/shipments/{shipment.id}/gate", data={"csrf_token": token, "kind": "loading"}
    )
    assert wrong.status_code == 409
    arrived = client.post(
        f"/services/logistics/shipments/{shipment.id}/gate",
        data={"csrf_token": token, "kind": "arrived", "gate": "2"},
        follow_redirects=False,
    )
    assert arrived.status_code == 303
    db.refresh(shipment)
    assert shipment.status == "arrived" and shipment.gate_events[-1]["gate"] == "2"
    row = _row(client.get("/services/logistics", params={"lang": "zh"}).text, shipment.id)
    assert "已到达" in visible_text(row) and "出园" in visible_text(row)


def test_match_reasons_are_shown_in_the_page_language(client: TestClient, world: World, db: Session) -> None:
    maker = new_enterprise(db, world.a, "精密铸造厂", "3391", serial=71)
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
    zh = visible_text(_row(client.get("/services/board", params={"lang": "zh"}).text, need.id))
    assert "产能共享：压铸" in zh and "产能充足" in zh and "capacity" not in zh
    en = visible_text(_row(client.get("/services/board", params={"lang": "en"}).text, need.id))
    assert "capacity offer: 压铸" in en and "enough capacity" in en


def test_every_services_tab_is_reachable_for_each_role(client: TestClient, world: World) -> None:
    for user in ("TA-enterprise", "TA-operator", "TA-park_admin", "TA-reviewer"):
        _as(client, user)
        catalogue = client.get("/services")
        for href in ("/services/purchasing", "/services/supply-chain", "/services/logistics"):
            assert f'href="{href}"' in catalogue.text
            assert client.get(href).status_code == 200, (user, href)
