"""Rooms, enterprises and EV charging piles as NGSI-LD entities (schema.org Room and Organization, Smart Data Models
EVChargingStation), read by a client that names their types by the park's @context: each caller sees what the
registry lets it see (staff the park's, an enterprise its leased rooms, itself and its own piles), park B nothing of
park A's; they are read-only here."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.auth.scope import system_scope
from digipark.registry import schemas
from digipark.registry import service as registry
from tests.conftest import World, bearer

BASE = "/ngsi-ld/v1"
REL = 'rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"


def _h(client: TestClient, world: World, who: str, park: str = "a") -> dict[str, str]:
    tokens = (world.a if park == "a" else world.b).tokens
    return {**bearer(tokens[who]), "Link": f"<{client.base_url}{BASE}/context.jsonld>; {REL}"}


def _ids(client: TestClient, world: World, query: str, who: str, park: str = "a") -> list[str]:
    response = client.get(f"{BASE}/entities?{query}", headers=_h(client, world, who, park))
    assert response.status_code == 200, response.text
    return [e["id"] for e in response.json()]


def _charger(db: Session, world: World) -> str:
    device = registry.create(
        db,
        scope=system_scope(world.a.park_id),
        kind=registry.KINDS["device"],
        data=schemas.DeviceCreate(
            code="EV1", name="充电桩1", kind="ev_charger", enterprise_id=world.a.enterprise_ids[0], lon=120.7, lat=31.3
        ),
    )
    return f"urn:ngsi-ld:EVChargingStation:digipark-{device.id}"


def test_rooms_are_schema_org_rooms_seen_by_staff_and_their_tenant(client: TestClient, world: World) -> None:
    room = f"urn:ngsi-ld:Room:digipark-{world.a.room_id}"
    body: Any = client.get(f"{BASE}/entities/{room}", headers=_h(client, world, "park_admin")).json()
    assert body["type"] == "Room" and body["name"]["value"] == "101"
    assert body["floorSize"] == {"type": "Property", "value": 500, "unitCode": "MTK"}
    assert body["floorLevel"]["value"] == 1
    assert body["refBuilding"]["object"] == f"urn:ngsi-ld:Building:digipark-{world.a.building_id}"
    assert body["tenant"]["object"] == f"urn:ngsi-ld:Organization:digipark-{world.a.enterprise_ids[0]}"
    assert _ids(client, world, "type=Room&q=floorSize>100", "enterprise") == [room]  # its leased room
    assert _ids(client, world, "type=Room&q=floorSize>1000", "park_admin") == []
    for who, park in (("enterprise2", "a"), ("park_admin", "b"), ("enterprise", "b")):
        assert room not in _ids(client, world, "type=Room", who, park), (who, park)
        assert client.get(f"{BASE}/entities/{room}", headers=_h(client, world, who, park)).status_code == 404


def test_an_enterprise_reads_itself_as_an_organization_and_staff_read_all(client: TestClient, world: World) -> None:
    first, second = (f"urn:ngsi-ld:Organization:digipark-{i}" for i in world.a.enterprise_ids)
    assert _ids(client, world, "type=Organization", "park_admin") == [first, second]
    assert _ids(client, world, "type=Organization", "enterprise") == [first]
    assert _ids(client, world, "type=Organization", "enterprise2") == [second]
    assert not {first, second} & set(_ids(client, world, "type=Organization", "park_admin", "b"))
    body = client.get(f"{BASE}/entities/{first}", headers=_h(client, world, "enterprise")).json()
    assert body["type"] == "Organization" and len(body["taxID"]["value"]) == 18
    assert body["industryCode"]["value"] == "3311"
    assert not {"contact_name", "contactPoint", "telephone", "email"} & set(body)  # no personal data
    assert client.get(f"{BASE}/entities/{first}", headers=_h(client, world, "enterprise2")).status_code == 404


def test_charging_piles_are_ev_charging_stations_of_their_enterprise(
    client: TestClient, world: World, db: Session
) -> None:
    pile = _charger(db, world)
    body = client.get(f"{BASE}/entities/{pile}", headers=_h(client, world, "enterprise")).json()
    assert body["type"] == "EVChargingStation" and body["status"]["value"] == "working"
    assert body["refDevice"]["object"].startswith("urn:ngsi-ld:Device:digipark-")
    assert body["location"]["value"] == {"type": "Point", "coordinates": [120.7, 31.3]}
    assert _ids(client, world, "type=EVChargingStation", "park_admin") == [pile]
    assert _ids(client, world, "type=EVChargingStation", "enterprise2") == []
    assert _ids(client, world, "type=EVChargingStation", "park_admin", "b") == []
    types = client.get(f"{BASE}/types", headers=_h(client, world, "enterprise")).json()["typeList"]
    assert {"Room", "Organization", "EVChargingStation"} <= set(types)
    # read-only here: the registry is their record
    patch = client.patch(
        f"{BASE}/entities/{pile}/attrs",
        json={"status": {"type": "Property", "value": "full"}},
        headers=_h(client, world, "enterprise"),
    )
    assert patch.status_code == 422 and patch.json()["type"] == ERRORS + "OperationNotSupported"
    made = client.post(
        f"{BASE}/entities",
        json={"id": pile.replace("EV1", "x"), "type": "EVChargingStation"},
        headers=_h(client, world, "enterprise"),
    )
    assert made.status_code == 400
