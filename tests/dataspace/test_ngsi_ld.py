"""The NGSI-LD API (ETSI GS CIM 009) driven as a client written from the spec would: its example entity (Annex C,
the Vehicle with brandName, isParked and speed), the media types and Link header, the query language, the
update operations, the ProblemDetails error types; the registry's devices with their newest readings as Smart Data
Models entities; and who sees what (an enterprise, its connector key)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.dataspace import keys, service
from digipark.registry.models import Point
from digipark.telemetry.models import PointLatest
from tests.conftest import World, bearer
from tests.dataspace.helpers import contract, dataset_product, scope_of

BASE = "/ngsi-ld/v1"
CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
REL = 'rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
# the spec's example, with its vehicle context given inline (the platform fetches no remote context)
VEHICLE_CONTEXT = {
    "Vehicle": "http://example.org/vehicle/Vehicle",
    "brandName": "http://example.org/vehicle/brandName",
    "speed": "http://example.org/vehicle/speed",
    "isParked": "http://example.org/common/isParked",
    "providedBy": "http://example.org/common/providedBy",
}


def _vehicle(**extra: Any) -> dict[str, Any]:
    return {
        "id": "urn:ngsi-ld:Vehicle:A4567",
        "type": "Vehicle",
        "brandName": {"type": "Property", "value": "Mercedes"},
        "isParked": {
            "type": "Relationship",
            "object": "urn:ngsi-ld:OffStreetParking:Downtown1",
            "observedAt": "2017-07-29T12:00:04Z",
            "providedBy": {"type": "Relationship", "object": "urn:ngsi-ld:Person:Bob"},
        },
        "speed": {"type": "Property", "value": 80},
        **extra,
    }


def _h(world: World, who: str = "enterprise", **headers: str) -> dict[str, str]:
    return {**bearer(world.a.tokens[who]), **headers}


def _park_link(client: TestClient) -> str:
    return f"<{client.base_url}{BASE}/context.jsonld>; {REL}"


def _problem(response: Any, kind: str, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["type"] == ERRORS + kind and body["title"] and body["detail"], body


def test_the_specs_example_entity_round_trip_with_its_context_in_the_body(client: TestClient, world: World) -> None:
    created = client.post(
        f"{BASE}/entities",
        content=json.dumps(_vehicle(**{"@context": [VEHICLE_CONTEXT, CORE]})),
        headers=_h(world, **{"Content-Type": "application/ld+json"}),
    )
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"{BASE}/entities/urn:ngsi-ld:Vehicle:A4567"
    # read back without a context: the terms are the expanded IRIs (only the core context applies)
    plain = client.get(f"{BASE}/entities/urn:ngsi-ld:Vehicle:A4567", headers=_h(world))
    assert plain.status_code == 200 and plain.headers["content-type"].startswith("application/json")
    assert CORE in plain.headers["link"] and "json-ld#context" in plain.headers["link"]
    body = plain.json()
    assert body["type"] == "http://example.org/vehicle/Vehicle"
    assert body["http://example.org/vehicle/speed"] == {"type": "Property", "value": 80}
    parked = body["http://example.org/common/isParked"]
    assert (
        parked["object"] == "urn:ngsi-ld:OffStreetParking:Downtown1" and parked["observedAt"] == "2017-07-29T12:00:04Z"
    )
    assert parked["http://example.org/common/providedBy"]["object"] == "urn:ngsi-ld:Person:Bob"
    # the same entity asked for as JSON-LD carries its @context in the body
    ld = client.get(f"{BASE}/entities/urn:ngsi-ld:Vehicle:A4567", headers=_h(world, Accept="application/ld+json"))
    assert ld.headers["content-type"].startswith("application/ld+json") and ld.json()["@context"] == CORE
    # a second create of the same id is refused, whatever its terms
    _problem(client.post(f"{BASE}/entities", json=_vehicle(), headers=_h(world)), "AlreadyExists", 409)


def test_query_language_update_and_delete_on_json_with_the_default_context(client: TestClient, world: World) -> None:
    for ident, brand, speed in (("A1", "Mercedes", 80), ("A2", "Volvo", 45), ("A3", "Mercedes-Benz", 120)):
        entity = _vehicle(id=f"urn:ngsi-ld:Vehicle:{ident}")
        entity["brandName"]["value"], entity["speed"]["value"] = brand, speed
        assert client.post(f"{BASE}/entities", json=entity, headers=_h(world)).status_code == 201

    def ids(query: str, **headers: str) -> list[str]:
        found = client.get(f"{BASE}/entities?{query}", headers=_h(world, **headers))
        assert found.status_code == 200, found.text
        return sorted(e["id"].rsplit(":", 1)[1] for e in found.json())

    assert ids("type=Vehicle") == ["A1", "A2", "A3"]
    assert ids("type=Vehicle&q=speed>50") == ["A1", "A3"]
    assert ids('type=Vehicle&q=speed>50;brandName=="Mercedes"') == ["A1"]
    assert ids('type=Vehicle&q=brandName=="Volvo"|speed>=100') == ["A2", "A3"]
    assert ids("type=Vehicle&q=speed==40..90") == ["A1", "A2"]
    assert ids('type=Vehicle&q=brandName~="^Merc"') == ["A1", "A3"]
    assert ids('type=Vehicle&q=brandName=="Volvo","Mercedes"') == ["A1", "A2"]
    assert ids('type=Vehicle&q=isParked=="urn:ngsi-ld:OffStreetParking:Downtown1";speed<100') == ["A1", "A2"]
    assert ids("type=Vehicle&q=isParked.observedAt>2017-07-29T11:00:00Z") == ["A1", "A2", "A3"]
    assert ids("q=speed") == ["A1", "A2", "A3"]  # the attribute exists
    assert ids("attrs=brandName&idPattern=A[12]$") == ["A1", "A2"]
    # a term the park's context does not define falls to the default vocabulary, as without a context
    assert ids("type=Vehicle", Link=_park_link(client)) == ["A1", "A2", "A3"]
    page = client.get(f"{BASE}/entities?type=Vehicle&limit=2&offset=1&count=true", headers=_h(world))
    assert page.headers["NGSILD-Results-Count"] == "3" and len(page.json()) == 2
    key_values = client.get(f"{BASE}/entities?type=Vehicle&q=speed<50&options=keyValues", headers=_h(world)).json()
    assert key_values == [
        {"id": "urn:ngsi-ld:Vehicle:A2", "type": "Vehicle", "brandName": "Volvo",
         "isParked": "urn:ngsi-ld:OffStreetParking:Downtown1", "speed": 45}
    ]  # fmt: skip

    url = f"{BASE}/entities/urn:ngsi-ld:Vehicle:A2"
    # Update Attributes: an attribute the entity has is replaced; one it lacks is reported (207)
    done = client.patch(f"{url}/attrs", json={"speed": {"type": "Property", "value": 50}}, headers=_h(world))
    assert done.status_code == 204, done.text
    partly = client.patch(
        f"{url}/attrs",
        json={"speed": {"type": "Property", "value": 55}, "colour": {"type": "Property", "value": "red"}},
        headers=_h(world),
    )
    assert partly.status_code == 207 and partly.json() == {
        "updated": ["speed"],
        "notUpdated": [{"attributeName": "colour", "reason": "the entity has no such attribute"}],
    }
    # Partial Attribute Update: the members given, the rest of the attribute kept
    fragment = {"value": 60, "observedAt": "2026-12-06T10:00:00Z"}
    assert client.patch(f"{url}/attrs/speed", json=fragment, headers=_h(world)).status_code == 204
    speed = client.get(url, headers=_h(world)).json()["speed"]
    assert speed == {"type": "Property", "value": 60, "observedAt": "2026-12-06T10:00:00Z"}
    # Append Attributes, noOverwrite keeps what is there
    appended = client.post(
        f"{url}/attrs?options=noOverwrite",
        json={"colour": {"type": "Property", "value": "red"}, "speed": {"type": "Property", "value": 1}},
        headers=_h(world),
    )
    assert appended.status_code == 207 and appended.json()["updated"] == ["colour"]
    assert client.get(url, headers=_h(world)).json()["speed"]["value"] == 60
    assert client.delete(f"{url}/attrs/colour", headers=_h(world)).status_code == 204
    _problem(client.delete(f"{url}/attrs/colour", headers=_h(world)), "ResourceNotFound", 404)
    assert client.delete(url, headers=_h(world)).status_code == 204
    _problem(client.get(url, headers=_h(world)), "ResourceNotFound", 404)


def test_bad_requests_answer_the_ngsi_ld_error_types(client: TestClient, world: World) -> None:
    post = f"{BASE}/entities"
    ld = _h(world, **{"Content-Type": "application/ld+json"})
    _problem(client.post(post, json=_vehicle(**{"@context": CORE}), headers=_h(world)), "BadRequestData", 400)
    _problem(client.post(post, content=b'{"id": "urn:x:1", "type": "T"}', headers=ld), "BadRequestData", 400)
    _problem(client.post(post, json={"id": "not a uri", "type": "T"}, headers=_h(world)), "BadRequestData", 400)
    _problem(client.post(post, json={**_vehicle(), "speed": 80}, headers=_h(world)), "BadRequestData", 400)
    plain = _h(world, **{"Content-Type": "text/plain"})
    _problem(client.post(post, content=b"x", headers=plain), "InvalidRequest", 415)
    _problem(client.get(f"{BASE}/entities", headers=_h(world)), "BadRequestData", 400)  # no type, attrs or q
    _problem(client.get(f"{BASE}/entities?q=speed>>1", headers=_h(world)), "BadRequestData", 400)
    _problem(client.get(f"{BASE}/entities?type=T&limit=5000", headers=_h(world)), "BadRequestData", 400)
    remote = _h(world, Link=f"<http://example.org/ngsi-ld/latest/vehicle.jsonld>; {REL}")
    _problem(client.get(f"{BASE}/entities?type=Vehicle", headers=remote), "LdContextNotAvailable", 503)
    _problem(client.get(f"{BASE}/entities/urn:ngsi-ld:Vehicle:nothing", headers=_h(world)), "ResourceNotFound", 404)
    unauthenticated = client.get(f"{BASE}/entities?type=Vehicle")
    assert unauthenticated.status_code == 401  # the platform's problem: NGSI-LD defines no type for it
    assert unauthenticated.headers["content-type"].startswith("application/problem+json")


def _reading(db: Session, world: World) -> None:
    point = db.scalar(select(Point).where(Point.device_id == world.a.device_ids[0]).order_by(Point.id))
    assert point is not None
    db.add(PointLatest(point_id=point.id, ts=1_780_000_000_000, value=42.5, quality=0))
    db.flush()


def test_devices_with_their_newest_readings_as_smart_data_models_entities(
    client: TestClient, world: World, db: Session
) -> None:
    _reading(db, world)
    link = {"Link": _park_link(client)}
    context = client.get(f"{BASE}/context.jsonld")
    assert context.headers["content-type"].startswith("application/ld+json")
    assert context.json()["@context"][0] == CORE and "Device" in context.json()["@context"][1]
    staff = client.get(f"{BASE}/entities?type=Device", headers=_h(world, "park_admin", **link)).json()
    assert sorted(e["serialNumber"]["value"] for e in staff) == ["G1", "M1"]
    mine = client.get(f"{BASE}/entities?type=Device", headers=_h(world, **link)).json()
    assert [e["serialNumber"]["value"] for e in mine] == ["M1"]  # an enterprise: its own devices only
    meter = mine[0]
    assert meter["type"] == "Device" and meter["name"]["value"] == "企业电表"
    assert meter["refBuilding"]["object"] == f"urn:ngsi-ld:Building:digipark-{world.a.building_id}"
    readings = [a for a in meter.values() if isinstance(a, dict) and "observedAt" in a]
    assert len(readings) == 1 and readings[0]["value"] == 42.5 and readings[0]["observedAt"].endswith("Z")
    name = next(k for k, a in meter.items() if isinstance(a, dict) and "observedAt" in a)
    found = client.get(f"{BASE}/entities?type=Device&q={name}>40", headers=_h(world, "park_admin", **link)).json()
    assert [e["id"] for e in found] == [meter["id"]]
    buildings = client.get(f"{BASE}/entities?type=Building", headers=_h(world, **link)).json()
    assert [b["id"] for b in buildings] == [f"urn:ngsi-ld:Building:digipark-{world.a.building_id}"]
    other = client.get(f"{BASE}/entities/urn:ngsi-ld:Device:digipark-{world.a.device_ids[1]}", headers=_h(world))
    _problem(other, "ResourceNotFound", 404)
    # the registry is the devices' record: no update through NGSI-LD
    patch = client.patch(
        f"{BASE}/entities/{meter['id']}/attrs", json={"name": {"type": "Property", "value": "x"}}, headers=_h(world)
    )
    _problem(patch, "OperationNotSupported", 422)


def test_a_connector_key_reads_only_its_enterprises_view(client: TestClient, world: World, db: Session) -> None:
    assert client.post(f"{BASE}/entities", json=_vehicle(), headers=_h(world)).status_code == 201
    row = contract(db, dataset_product(db))  # enterprise2 consumes enterprise's product
    raw, _ = keys.create(
        db, scope=scope_of(db, "enterprise2"), contract_id=row.id, purposes=["maintenance"], daily_quota=5
    )
    key = {"X-Api-Key": raw, "Link": _park_link(client)}
    assert client.get(f"{BASE}/entities?type=Device", headers=key).json() == []  # enterprise2 owns no device
    _problem(client.get(f"{BASE}/entities/urn:ngsi-ld:Vehicle:A4567", headers=key), "ResourceNotFound", 404)
    refused = client.post(f"{BASE}/entities", json=_vehicle(id="urn:ngsi-ld:Vehicle:K"), headers={"X-Api-Key": raw})
    assert refused.status_code == 403 and refused.json()["status"] == 403
    # another enterprise's user neither reads nor changes the entity
    url = f"{BASE}/entities/urn:ngsi-ld:Vehicle:A4567"
    _problem(client.get(url, headers=_h(world, "enterprise2")), "ResourceNotFound", 404)
    _problem(client.delete(url, headers=_h(world, "enterprise2")), "ResourceNotFound", 404)
    assert client.get(url, headers=_h(world, "park_admin")).status_code == 200  # the park's staff read it
    service.revoke(db, scope=scope_of(db, "enterprise"), ident=row.id)
    assert client.get(f"{BASE}/entities?type=Device", headers=key).status_code == 401


def test_a_regular_expression_that_backtracks_for_ever_is_refused_not_run_to_the_end(
    client: TestClient, world: World
) -> None:
    """`(a|aa)+$` against thirty a's and a b tries about a million ways: idPattern and q's ~= stop it and say why."""
    slow = "a" * 30 + "b"
    entity = _vehicle(id=f"urn:ngsi-ld:Vehicle:{slow}")
    entity["brandName"]["value"] = slow
    assert client.post(f"{BASE}/entities", json=entity, headers=_h(world)).status_code == 201
    for query in ("type=Vehicle&idPattern=(a%7Caa)%2B$", 'type=Vehicle&q=brandName~="(a%7Caa)%2B$"'):
        refused = client.get(f"{BASE}/entities?{query}", headers=_h(world))
        _problem(refused, "BadRequestData", 400)
        assert "too long" in refused.json()["detail"]
