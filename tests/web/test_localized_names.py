"""Names of parks, zones, buildings and enterprises in the page's language: name_en (address_en) on an English
page when it is filled, the Chinese name otherwise (digipark.web.i18n.localized_name and its users)."""

from __future__ import annotations

import re
import types

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from digipark.core.codes import english_industry_name, industry
from digipark.registry.models import Building, Device, Enterprise, Park, Zone
from digipark.web.i18n import localized_name
from digipark.web.labels import industry_name
from tests.conftest import World
from tests.web.helpers import login, visible_text


def test_localized_name_picks_the_english_name_on_english_pages_only() -> None:
    zone = types.SimpleNamespace(name="一区", name_en="Zone One", address=None)
    assert localized_name(zone, "en") == "Zone One"
    assert localized_name(zone, "zh") == "一区"
    assert localized_name(types.SimpleNamespace(name="一区", name_en=None), "en") == "一区"  # falls back
    assert localized_name(types.SimpleNamespace(name="一区", name_en=""), "en") == "一区"
    assert localized_name(types.SimpleNamespace(name="一区"), "en") == "一区"  # a record without name_en
    assert localized_name({"name": "园区", "name_en": "Park"}, "en") == "Park"  # a mapping
    park = {"address": "星湖大道88号", "address_en": "88 Xinghu Avenue"}
    assert localized_name(park, "en", "address") == "88 Xinghu Avenue"
    assert localized_name(park, "zh", "address") == "星湖大道88号"
    assert localized_name(None, "en") == ""


def test_industry_groups_without_an_english_name_show_the_nearest_level_up() -> None:
    group = industry("381")  # 电机制造: our data names no 中类 in English
    assert group.name_en is None
    assert english_industry_name(group) == industry("38").name_en
    assert industry_name("381", "en") == industry("38").name_en
    assert industry_name("44", "en") == industry("D").name_en  # a 大类 without one: its section's
    assert industry_name("381", "zh") == "电机制造"


@pytest.fixture
def english_names(db: Session, world: World) -> None:
    a = world.a
    db.execute(update(Park).where(Park.id == a.park_id).values(name_en="Test Park TA", address="星湖大道88号"))
    db.execute(update(Park).where(Park.id == a.park_id).values(address_en="88 Xinghu Avenue"))
    db.execute(update(Zone).where(Zone.id == a.zone_id).values(name_en="Zone One"))
    db.execute(update(Building).where(Building.id == a.building_id).values(name_en="Plant 1"))
    db.execute(update(Enterprise).where(Enterprise.id == a.enterprise_ids[0]).values(name_en="TA Enterprise Zero"))
    db.flush()


@pytest.mark.usefixtures("english_names")
def test_the_overview_and_registry_lists_show_english_names_on_english_pages(client: TestClient) -> None:
    login(client, "TA-park_admin")
    english = client.get("/?lang=en").text
    plan = re.search(r'<svg id="site-plan".*?</svg>', english, re.S)
    assert plan
    assert "Zone One" in plan.group(0) and "Plant 1 (B1)" in plan.group(0)
    assert "一区" not in plan.group(0) and "1号厂房" not in plan.group(0)
    text = visible_text(english)
    assert "Test Park TA" in text and "88 Xinghu Avenue" in text
    assert "测试园区TA" not in text and "星湖大道88号" not in text
    for path, name, chinese in (
        ("/zones", "Zone One", "一区"),
        ("/buildings", "Plant 1", "1号厂房"),
        ("/enterprises", "TA Enterprise Zero", "TA企业0"),
    ):
        listed = visible_text(client.get(f"{path}?lang=en").text)
        assert name in listed and chinese not in listed, path
        assert chinese in visible_text(client.get(f"{path}?lang=zh").text), path
    chinese_page = visible_text(client.get("/?lang=zh").text)
    assert "测试园区TA" in chinese_page and "星湖大道88号" in chinese_page and "Zone One" not in chinese_page


def test_devices_show_their_english_name_on_english_pages(client: TestClient, db: Session, world: World) -> None:
    a = world.a
    db.execute(update(Device).where(Device.id == a.device_ids[0]).values(name_en="Enterprise Electricity Meter"))
    db.execute(update(Building).where(Building.id == a.building_id).values(name_en="Plant 1"))
    db.flush()
    login(client, "TA-park_admin")
    for path in ("/devices", "/telemetry/devices", "/points"):
        english = visible_text(client.get(f"{path}?lang=en").text)
        assert "Enterprise Electricity Meter" in english and "企业电表" not in english, path
        assert "企业电表" in visible_text(client.get(f"{path}?lang=zh").text), path
    assert "Plant 1" in visible_text(client.get("/telemetry/devices?lang=en").text)
    # a device without an English name keeps its name
    assert "园区气体探测器" in visible_text(client.get("/devices?lang=en").text)
