"""GB 18218 asks for a substance's hazard category only where the identification uses it: for Q when the
substance is not in table 1, for β only when the unit is a major hazard source (β enters R alone). A unit below
S = 1 holding a table 1 substance that is not in table 3 is identified without one, through the API and the page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from tests.web.helpers import login, visible_text

API = "/api/v1/safety"


def test_evaluate_a_small_unit_without_categories(client: TestClient, world: World) -> None:
    boss = bearer(world.a.tokens["park_admin"])
    body = {"exposed_people": 30, "substances": [{"name": "甲醇", "quantity_t": 10}, {"name": "氨", "quantity_t": 2}]}
    found = client.post(f"{API}/hazard-sources/evaluate", headers=boss, json=body)
    assert found.status_code == 200, found.text
    result = found.json()
    assert result["is_major"] is False and result["r_value"] is None and result["weighted_sum"] is None
    assert [(s["critical_t"], s["beta"], s["beta_source"]) for s in result["substances"]] == [
        (500, None, None),
        (10, 2, "table3"),
    ]


def test_a_major_unit_still_needs_the_category_for_beta(client: TestClient, world: World) -> None:
    boss = bearer(world.a.tokens["park_admin"])
    body = {"exposed_people": 30, "substances": [{"name": "甲醇", "quantity_t": 600}]}
    refused = client.post(f"{API}/hazard-sources/evaluate", headers=boss, json=body)
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["substances.0.categories"]
    body["substances"][0]["categories"] = ["W5.3"]
    graded = client.post(f"{API}/hazard-sources/evaluate", headers=boss, json=body).json()
    assert graded["is_major"] is True and graded["substances"][0]["beta"] == 1 and graded["grade"] is not None


def test_record_a_small_unit_without_categories_and_show_it(client: TestClient, world: World) -> None:
    boss = bearer(world.a.tokens["park_admin"])
    body = {
        "code": "HS-MEOH",
        "name": "甲醇中间罐",
        "unit_kind": "storage",
        "exposed_people": 30,
        "substances": [{"name": "甲醇", "quantity_t": 10}],
        "building_id": world.a.building_id,
    }
    created = client.post(f"{API}/hazard-sources", headers=boss, json=body)
    assert created.status_code == 201, created.text
    row = created.json()
    assert row["is_major"] is False and row["s_value"] == 0.02 and row["substances"][0]["beta"] is None
    # growing it past S = 1 without a category is refused and leaves the record as it was
    grown = client.patch(
        f"{API}/hazard-sources/{row['id']}", headers=boss, json={"substances": [{"name": "甲醇", "quantity_t": 600}]}
    )
    assert grown.status_code == 422 and [e["field"] for e in grown.json()["errors"]] == ["substances.0.categories"]
    assert client.get(f"{API}/hazard-sources/{row['id']}", headers=boss).json()["s_value"] == 0.02
    login(client, "TA-park_admin")
    page = client.get(f"/safety/hazard-sources/{row['id']}")
    assert page.status_code == 200, page.text
    assert "甲醇" in visible_text(page.text) and "表1 #65" in visible_text(page.text)
