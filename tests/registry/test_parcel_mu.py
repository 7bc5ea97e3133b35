"""Land area in 亩 (市亩, 1 亩 = 10000/15 m², `core/units.py`): a parcel's area may be given in m² or in 亩 — in the
API (`area_mu`) and in the form (a field per unit) — is stored in m² and read back in both; both at once is a 422
beside the field that writes nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.registry.models import LandParcel
from tests.conftest import World, bearer
from tests.web.helpers import login, visible_text

API = "/api/v1/land-parcels"


def _count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(LandParcel)) or 0)


def test_api_takes_the_area_in_mu(client: TestClient, world: World, db: Session) -> None:
    boss = bearer(world.a.tokens["park_admin"])
    created = client.post(API, headers=boss, json={"code": "MU1", "area_mu": 45, "land_use": "M1"})
    assert created.status_code == 201, created.text
    assert created.json()["area_m2"] == pytest.approx(30_000) and created.json()["area_mu"] == pytest.approx(45)
    ident = created.json()["id"]
    changed = client.patch(f"{API}/{ident}", headers=boss, json={"area_mu": 1.5})
    assert changed.status_code == 200, changed.text
    assert changed.json()["area_m2"] == pytest.approx(1000)
    in_m2 = client.patch(f"{API}/{ident}", headers=boss, json={"area_m2": 2000})
    assert in_m2.json()["area_mu"] == pytest.approx(3)


def test_api_refuses_both_units_at_once(client: TestClient, world: World, db: Session) -> None:
    boss = bearer(world.a.tokens["park_admin"])
    before = _count(db)
    both = client.post(API, headers=boss, json={"code": "MU2", "area_m2": 1000, "area_mu": 1.5, "land_use": "M1"})
    assert both.status_code == 422 and [e["field"] for e in both.json()["errors"]] == ["area_mu"], both.text
    negative = client.post(API, headers=boss, json={"code": "MU2", "area_mu": -3, "land_use": "M1"})
    assert negative.status_code == 422 and "area_mu" in negative.text
    assert _count(db) == before


def test_form_takes_the_area_in_mu(client: TestClient, world: World, db: Session) -> None:
    token = login(client, "TA-park_admin")
    form = client.get("/land-parcels/new").text
    assert 'name="area_mu"' in form and "面积（亩）" in visible_text(form)
    response = client.post(
        "/land-parcels/new",
        data={"csrf_token": token, "code": "MU3", "area_mu": "30", "land_use": "M1"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    parcel = db.scalars(select(LandParcel).where(LandParcel.code == "MU3")).one()
    assert parcel.area_m2 == pytest.approx(20_000)
    # the edit form shows both; changing the 亩 alone changes the area
    edit = client.get(f"/land-parcels/{parcel.id}/edit").text
    assert 'id="f-area_mu" name="area_mu" value="30"' in edit and 'name="area_m2" value="20000"' in edit
    changed = client.post(
        f"/land-parcels/{parcel.id}/edit",
        data={"csrf_token": token, "code": "MU3", "area_m2": "20000", "area_mu": "15", "land_use": "M1"},
        follow_redirects=False,
    )
    assert changed.status_code == 303, changed.text
    db.refresh(parcel)
    assert parcel.area_m2 == pytest.approx(10_000)


def test_form_with_both_units_answers_422_beside_the_field(client: TestClient, world: World, db: Session) -> None:
    token = login(client, "TA-park_admin")
    before = _count(db)
    response = client.post(
        "/land-parcels/new",
        data={"csrf_token": token, "code": "MU4", "area_m2": "1000", "area_mu": "3", "land_use": "M1"},
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert "give the area in m² or in 亩, not both" in visible_text(response.text)
    assert _count(db) == before
