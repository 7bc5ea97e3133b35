"""The store's pages: the Excel import form (a bad file is rejected whole with its problems listed, a good one
imported), the spare-parts page (a new part, a receipt, a consumption by a work order, the reorder list), the
register's reliability by class and an asset's MTBF/MTTR and parts cost; both languages; an enterprise may not."""

from __future__ import annotations

import io

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.assets import service
from digipark.assets.models import Asset, SparePart
from digipark.assets.schemas import PlanCreate
from digipark.workorders.provides import OriginKind
from tests.assets.test_pages import _degrading_pump
from tests.conftest import World
from tests.web.helpers import form_token, login, visible_text
from tests.workorders.helpers import scope_of


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_import_page_rejects_a_bad_file_whole_and_imports_a_good_one(
    client: TestClient, world: World, db: Session
) -> None:
    service.seed_classes(db, park_id=world.a.park_id)
    db.commit()
    login(client, "TA-operator")
    form = client.get("/assets/import")
    assert form.status_code == 200 and "导入资产台账" in visible_text(form.text)
    bad = _xlsx([["code", "name", "class_code"], ["IM-1", "水泵", "pump"], ["IM-2", "风机", "no-such-class"]])
    files = {"file": ("a.xlsx", bad, "application/octet-stream")}
    response = client.post("/assets/import", data={"csrf_token": form_token(form.text)}, files=files)
    assert response.status_code == 422 and "no-such-class" in response.text and "class_code" in response.text
    assert db.scalar(select(Asset.id).where(Asset.code == "IM-1")) is None
    good = _xlsx([["code", "name", "class_code"], ["IM-1", "水泵", "pump"], ["IM-2", "风机", "fan"]])
    files = {"file": ("a.xlsx", good, "application/octet-stream")}
    done = client.post("/assets/import", data={"csrf_token": form_token(form.text)}, files=files)
    assert done.status_code == 200 and "已导入2行" in visible_text(done.text)
    db.expire_all()
    assert set(db.scalars(select(Asset.code).where(Asset.code.like("IM-%")))) == {"IM-1", "IM-2"}
    export = client.get("/api/v1/assets/export.xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"
    client.cookies.clear()
    login(client, "TA-enterprise")
    assert client.get("/assets/import").status_code == 403


def test_the_parts_page_receives_uses_and_lists_what_to_reorder(client: TestClient, world: World, db: Session) -> None:
    asset = _degrading_pump(db, world)
    order = service.open_asset_order(
        db,
        scope=scope_of(db, "TA", "park_admin"),
        asset=asset,
        title="换轴承",
        description=None,
        origin=OriginKind.ASSET,
        origin_ref="t",
    )
    db.commit()
    login(client, "TA-operator")
    page = client.get("/assets/parts")
    token = form_token(page.text)
    created = client.post(
        "/assets/parts",
        data={
            "csrf_token": token,
            "action": "create",
            "code": "BRG-1",
            "name": "轴承",
            "unit": "套",
            "reorder_level": "2",
            "reorder_quantity": "6",
            "unit_cost": "50",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    part = db.scalar(select(SparePart).where(SparePart.code == "BRG-1"))
    assert part is not None and part.stock == 0
    received = client.post(
        "/assets/parts",
        data={"csrf_token": token, "action": "receipt", "part_id": str(part.id), "quantity": "3"},
        follow_redirects=False,
    )
    assert received.status_code == 303
    short = client.post(
        "/assets/parts",
        data={
            "csrf_token": token,
            "action": "consumption",
            "part_id": str(part.id),
            "quantity": "9",
            "order_id": str(order),
            "asset_id": str(asset.id),
        },
    )
    assert short.status_code == 409 and "BRG-1" in short.text
    used = client.post(
        "/assets/parts",
        data={
            "csrf_token": token,
            "action": "consumption",
            "part_id": str(part.id),
            "quantity": "2",
            "order_id": str(order),
            "asset_id": str(asset.id),
        },
        follow_redirects=False,
    )
    assert used.status_code == 303
    listing = client.get("/assets/parts")
    assert 'id="parts-reorder"' in listing.text and "库存1" in visible_text(listing.text)
    detail = client.get(f"/assets/{asset.id}")
    assert "100.00" in visible_text(detail.text.split('id="asset-parts-cost"')[1][:60])
    assert "平均故障间隔时间" in visible_text(detail.text)
    assert "Spare parts" in client.get("/assets/parts?lang=en").text
    register = client.get("/assets")
    assert 'id="class-reliability"' in register.text and 'id="assets-import"' in register.text


def test_the_calendar_lists_plans_falling_due_and_predicted_failures(
    client: TestClient, world: World, db: Session
) -> None:
    asset = _degrading_pump(db, world)
    admin = scope_of(db, "TA", "park_admin")
    service.create_plan(
        db, scope=admin, asset_id=asset.id, data=PlanCreate(name="季度保养", kind="calendar", every_days=30)
    )
    db.commit()
    login(client, "TA-operator")
    page = client.get("/assets/calendar")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert text.count("季度保养") == 4  # overdue (today), then every 30 days over the next 90
    assert 'data-kind="predicted"' in page.text and "预计达到振动限值" in text
    assert "Maintenance calendar" in client.get("/assets/calendar?lang=en").text
