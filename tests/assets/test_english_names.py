"""Assets, their classes, maintenance plans and spare parts in the page's language: the English name (the catalogue's
for the classes, name_en for the park's records) on English pages, the Chinese name on Chinese pages; units of issue
in the page's language; the register's import and the class and parts forms take the English name; work orders
the platform opens for an asset carry an English title."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.assets import parts, service
from digipark.assets.models import AssetClass, SparePart
from digipark.assets.schemas import PartCreate, PlanCreate
from digipark.workorders.models import WorkOrder
from tests.assets.test_service import _asset
from tests.conftest import World
from tests.web.helpers import form_token, login, visible_text
from tests.workorders.helpers import scope_of


def test_units_of_issue_in_the_page_language() -> None:
    assert parts.unit_of_issue("套", "en") == "set"
    assert parts.unit_of_issue("桶", "en") == "drum"
    assert parts.unit_of_issue("pcs", "zh") == "个"
    assert parts.unit_of_issue("PCS", "en") == "pcs"
    assert parts.unit_of_issue("套", "zh") == "套"
    assert parts.unit_of_issue("托盘", "en") == "托盘"  # the park's own unit: as written


def test_catalogue_classes_carry_their_english_names(db: Session, world: World) -> None:
    classes = service.seed_classes(db, park_id=world.a.park_id)
    assert (classes["pump"].name, classes["pump"].name_en) == ("水泵", "Pump")
    assert all(c.name_en for c in classes.values())


def test_the_register_and_the_store_show_english_names_on_english_pages(
    client: TestClient, db: Session, world: World
) -> None:
    asset = _asset(db, world, name_en="Circulating pump 1")
    service.create_plan(
        db,
        scope=scope_of(db, "TA", "park_admin"),
        asset_id=asset.id,
        data=PlanCreate(name="水泵季度保养", name_en="Pump quarterly service", kind="calendar", every_days=90),
    )
    parts.create_part(
        db,
        scope=scope_of(db, "TA", "park_admin"),
        data=PartCreate(code="BRG-1", name="深沟球轴承", name_en="Deep-groove ball bearing", unit="套"),
    )
    db.flush()
    login(client, "TA-operator")
    english = visible_text(client.get("/assets?lang=en").text)
    assert "Circulating pump 1" in english and "Pump" in english
    assert "循环水泵" not in english and "水泵" not in english
    chinese = visible_text(client.get("/assets?lang=zh").text)
    assert "PUMP-1号循环水泵" in chinese and "Circulating pump 1" not in chinese
    detail = visible_text(client.get(f"/assets/{asset.id}?lang=en").text)
    assert "Circulating pump 1" in detail and "Pump quarterly service" in detail and "季度保养" not in detail
    store = visible_text(client.get("/assets/parts?lang=en").text)
    assert "Deep-groove ball bearing" in store and " set " in f" {store} " and "轴承" not in store and "套" not in store
    assert "深沟球轴承" in visible_text(client.get("/assets/parts?lang=zh").text)


def test_forms_and_the_import_take_the_english_name(client: TestClient, db: Session, world: World) -> None:
    service.seed_classes(db, park_id=world.a.park_id)
    db.flush()
    login(client, "TA-park_admin")
    page = client.get("/assets/parts")
    done = client.post(
        "/assets/parts",
        data={
            "csrf_token": form_token(page.text),
            "action": "create",
            "code": "V-1",
            "name": "窄V带",
            "name_en": "V-belt",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert db.scalar(select(SparePart.name_en).where(SparePart.code == "V-1")) == "V-belt"
    form = client.get("/assets/classes/new")
    made = client.post(
        "/assets/classes/new",
        data={
            "csrf_token": form_token(form.text),
            "code": "compressor",
            "name": "空压机",
            "name_en": "Air compressor",
            "kind": "machinery",
            "useful_life_years": "10",
            "method": "straight_line",
            "salvage_rate": "0.05",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    klass = db.scalar(select(AssetClass).where(AssetClass.code == "compressor", AssetClass.park_id == world.a.park_id))
    assert klass is not None and klass.name_en == "Air compressor"
    assert "Air compressor" in visible_text(client.get("/assets/classes?lang=en").text)


def test_a_plan_order_the_platform_opens_carries_an_english_title(db: Session, world: World) -> None:
    asset = _asset(db, world, name_en="Circulating pump 1")
    admin = scope_of(db, "TA", "park_admin")
    service.create_plan(
        db,
        scope=admin,
        asset_id=asset.id,
        data=PlanCreate(
            name="水泵季度保养",
            name_en="Pump quarterly service",
            kind="calendar",
            every_days=90,
            last_done_on=dt.date(2025, 1, 5),
        ),
    )
    [order_id] = service.due_plans(db, scope=admin, park_id=world.a.park_id, on=dt.date(2026, 1, 5))
    order = db.get(WorkOrder, order_id)
    assert order is not None and order.title == "PUMP-1号循环水泵：水泵季度保养"
    assert order.title_en == "Circulating pump 1: Pump quarterly service"
