"""The park's car parks as Smart Data Models `OffStreetParking` entities, read through living's door: a client that
names the type by the park's @context (Link header) finds them with their spot numbers and location; the count of
occupied spots follows the spaces' sensors; park B does not see park A's; the platform's ids cannot be created."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.living.models import CarPark, ParkingSpace
from digipark.registry.models import Point
from digipark.telemetry.models import PointLatest
from tests.conftest import World, bearer

BASE = "/ngsi-ld/v1"
REL = 'rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"


def _car_park(db: Session, world: World) -> str:
    car_park = CarPark(
        park_id=world.a.park_id, code="P9", name="北区停车场", lon=120.61, lat=31.3, capacity=10, hourly_yuan=Decimal(5)
    )
    db.add(car_park)
    db.flush()
    point = db.scalar(select(Point).where(Point.device_id == world.a.device_ids[1]).order_by(Point.id))
    assert point is not None
    db.add(ParkingSpace(park_id=world.a.park_id, car_park_id=car_park.id, code="S1", point_id=point.id))
    db.merge(PointLatest(point_id=point.id, ts=1_796_083_200_000, value=1.0, quality=0))
    db.flush()
    return f"urn:ngsi-ld:OffStreetParking:digipark-{car_park.id}"


def _headers(client: TestClient, world: World, who: str, park: str = "a") -> dict[str, str]:
    tokens = (world.a if park == "a" else world.b).tokens
    return {**bearer(tokens[who]), "Link": f"<{client.base_url}{BASE}/context.jsonld>; {REL}"}


def test_car_parks_are_offstreetparking_entities(client: TestClient, world: World, db: Session) -> None:
    ident = _car_park(db, world)
    found = client.get(f"{BASE}/entities?type=OffStreetParking", headers=_headers(client, world, "park_admin"))
    assert found.status_code == 200, found.text
    entity = next(e for e in found.json() if e["id"] == ident)
    assert entity["type"] == "OffStreetParking" and entity["name"]["value"] == "北区停车场"
    assert entity["totalSpotNumber"]["value"] == 10 and entity["occupiedSpotNumber"]["value"] == 1
    assert entity["availableSpotNumber"]["value"] == 9
    assert entity["availableSpotNumber"]["observedAt"] == "2026-12-01T00:00:00Z"
    assert entity["location"]["value"] == {"type": "Point", "coordinates": [120.61, 31.3]}

    one = client.get(f"{BASE}/entities/{ident}", headers=_headers(client, world, "enterprise"))
    assert one.status_code == 200 and one.json()["totalSpotNumber"]["value"] == 10
    near = client.get(
        f"{BASE}/entities",
        params={"type": "OffStreetParking", "q": "availableSpotNumber>5"},
        headers=_headers(client, world, "park_admin"),
    )
    assert [e["id"] for e in near.json()] == [ident]
    types = client.get(f"{BASE}/types", headers=_headers(client, world, "park_admin")).json()
    assert "OffStreetParking" in str(types)

    other = client.get(f"{BASE}/entities/{ident}", headers=_headers(client, world, "park_admin", "b"))
    assert other.status_code == 404 and other.json()["type"] == ERRORS + "ResourceNotFound"
    listed = client.get(f"{BASE}/entities?type=OffStreetParking", headers=_headers(client, world, "park_admin", "b"))
    assert ident not in [e["id"] for e in listed.json()]

    made = client.post(
        f"{BASE}/entities",
        json={"id": ident, "type": "OffStreetParking", "name": {"type": "Property", "value": "x"}},
        headers=_headers(client, world, "enterprise"),
    )
    assert made.status_code == 400 and made.json()["type"] == ERRORS + "BadRequestData"
    changed = client.patch(
        f"{BASE}/entities/{ident}/attrs",
        json={"name": {"type": "Property", "value": "x"}},
        headers=_headers(client, world, "park_admin"),
    )
    assert changed.status_code == 422 and changed.json()["type"] == ERRORS + "OperationNotSupported"
