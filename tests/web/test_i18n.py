"""Languages: the catalogs cover every message, the choice of language, and no English left on zh pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from digipark.auth.models import User
from digipark.web import i18n
from tests.conftest import World
from tests.web.helpers import login, visible_text

ROOT = Path(__file__).resolve().parents[2]

# msgids that must not appear on a Chinese page (a sample of the shell's and the pages' words)
ENGLISH_PHRASES = (
    "Overview",
    "Enterprises",
    "Buildings",
    "Zones",
    "Log out",
    "Search",
    "Details",
    "Edit",
    "Site plan",
    "Park overview",
    "Download Excel",
    "Floors",
    "Devices",
    "Points",
    "Filter",
    "Unified Park Platform",
    "Occupied units",
    "records",
    "Save",
    "Cancel",
    "Yes",
    "No ",
)


def _extracted_messages() -> set[str | tuple[str, str]]:
    method_map = [("digipark/**.py", "python"), ("digipark/web/templates/**.html", "jinja2")]
    options = {"digipark/web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found: set[str | tuple[str, str]] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT / "src"), method_map=method_map, options_map=options, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def test_every_message_has_a_chinese_translation() -> None:
    translated = {}
    for path in i18n.catalog_files("zh"):
        with path.open("rb") as handle:
            catalog = read_po(handle)
        translated.update({m.id if isinstance(m.id, str) else tuple(m.id): m for m in catalog if m.id})
    messages = _extracted_messages()
    assert len(messages) > 150
    missing = sorted(str(m) for m in messages if m not in translated or not translated[m].string or translated[m].fuzzy)
    assert not missing, f"untranslated in zh (run the commands in babel.cfg): {missing}"


def test_catalogs_are_read_from_po_files() -> None:
    assert i18n.translations("zh").gettext("Enterprises") == "企业"
    assert i18n.translations("en").gettext("Enterprises") == "Enterprises"
    assert i18n.translations("zh").ngettext("%(num)s record", "%(num)s records", 3) == "共 %(num)s 条记录"


def test_language_choice_order(client: TestClient, world: World, db: Session) -> None:
    db.execute(update(User).where(User.username == "TA-operator").values(language="en"))
    db.flush()
    login(client, "TA-operator")
    assert "Park overview" in client.get("/").text  # the user's language
    response = client.get("/?lang=zh")  # the query wins and is remembered in a cookie
    assert "园区总览" in response.text
    assert "dp_lang=zh" in response.headers["set-cookie"]
    assert "园区总览" in client.get("/").text
    client.cookies.set("dp_lang", "en")
    assert "Park overview" in client.get("/").text


def test_default_language_is_chinese(client: TestClient) -> None:
    assert "Log in" in client.get("/login?lang=en").text
    client.cookies.clear()
    login(client, "TA-park_admin")
    assert 'lang="zh-CN"' in client.get("/").text


def _pages(world: World) -> list[str]:
    a = world.a
    return [
        "/",
        "/zones",
        "/buildings",
        "/land-parcels",
        "/floors",
        "/rooms",
        "/enterprises",
        "/devices",
        "/points",
        "/parks",
        f"/zones/{a.zone_id}",
        f"/buildings/{a.building_id}",
        f"/floors/{a.floor_id}",
        f"/rooms/{a.room_id}",
        f"/land-parcels/{a.parcel_id}",
        f"/enterprises/{a.enterprise_ids[0]}",
        f"/devices/{a.device_ids[0]}",
        f"/points/{a.point_ids[0]}",
        f"/parks/{a.park_id}",
        f"/enterprises/{a.enterprise_ids[0]}/edit",
        "/devices/new",
        "/buildings/999999",
    ]


@pytest.mark.parametrize("username", ["TA-park_admin", "TA-enterprise"])
def test_pages_render_fully_in_both_languages(client: TestClient, world: World, username: str) -> None:
    login(client, username)
    for url in _pages(world):
        zh = client.get(url, params={"lang": "zh"})
        assert zh.status_code in (200, 403, 404), url
        # the services' error messages are English; zh error pages fold them away as technical details
        text = visible_text(re.sub(r'(?s)<details class="technical">.*?</details>', "", zh.text))
        leftovers = [p for p in ENGLISH_PHRASES if p in text]
        assert not leftovers, f"{url} shows English in zh: {leftovers}"
        assert "园区统一数字平台" in text
        en = client.get(url, params={"lang": "en"})
        assert en.status_code == zh.status_code
        assert "园区统一数字平台" not in visible_text(en.text) and "Unified Park Platform" in en.text
