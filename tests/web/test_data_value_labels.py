"""Data values shown in the page's language: a point's quantity, class and unit through the catalogue in Chinese,
and a catalogue point's English name on an English page (points are created with the catalogue's Chinese name)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from tests.web.helpers import login, visible_text


def test_points_list_shows_translated_quantities_and_english_names(client: TestClient, world: World) -> None:
    login(client, "TA-park_admin")
    zh = visible_text(client.get("/points", params={"lang": "zh"}).text)
    assert "电能" in zh and "功率因数" in zh and "无单位" in zh
    assert "electric_energy" not in zh and "dimensionless" not in zh

    en = visible_text(client.get("/points", params={"lang": "en"}).text)
    assert "Active energy import" in en and "Electric energy" in en
    assert "正向有功总电能" not in en


def test_enterprise_energy_page_names_its_factor_sources_and_environment_facts(
    client: TestClient, world: World
) -> None:
    login(client, "TA-park_admin")
    enterprise = world.a.enterprise_ids[0]
    entry = {"enterprise_id": enterprise, "period": "2025-01", "carrier": "bituminous", "quantity": 100}
    created = client.post("/api/v1/energy/entries", json=entry, headers=bearer(world.a.tokens["park_admin"]))
    assert created.status_code == 201, created.text
    zh = visible_text(client.get(f"/energy/enterprises/{enterprise}", params={"year": 2025, "lang": "zh"}).text)
    assert "行业核算指南附录表 2.1" in zh and "二手来源" in zh
    assert "sector guides" not in zh and "secondary" not in zh and "exceedances_hour" not in zh
