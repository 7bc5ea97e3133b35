"""NGSI-LD batch operations (ETSI GS CIM 009 §5.6.7–5.6.10; API 6.14–6.17) driven as a client written from the spec
would: arrays of entities in the normalised form (the spec's Annex C Vehicle and OffStreetParking), @context in a
Link header (application/json) or in each entity (application/ld+json), 201 with the ids created, 204, and 207 with
a BatchOperationResult {success, errors: [{entityId, error: ProblemDetails}]}."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import World, bearer

BASE = "/ngsi-ld/v1"
CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
EXAMPLE = {
    "Vehicle": "http://example.org/vehicle/Vehicle",
    "OffStreetParking": "http://example.org/parking/OffStreetParking",
    "brandName": "http://example.org/vehicle/brandName",
    "speed": "http://example.org/vehicle/speed",
    "availableSpotNumber": "http://example.org/parking/availableSpotNumber",
    "totalSpotNumber": "http://example.org/parking/totalSpotNumber",
    "isParked": "http://example.org/common/isParked",
}


def _vehicle(n: str, speed: int) -> dict[str, Any]:
    return {
        "id": f"urn:ngsi-ld:Vehicle:{n}",
        "type": "Vehicle",
        "brandName": {"type": "Property", "value": "Mercedes"},
        "speed": {"type": "Property", "value": speed},
        "isParked": {
            "type": "Relationship",
            "object": "urn:ngsi-ld:OffStreetParking:Downtown1",
            "observedAt": "2017-07-29T12:00:04Z",
        },
    }


def _parking() -> dict[str, Any]:
    return {
        "id": "urn:ngsi-ld:OffStreetParking:Downtown1",
        "type": "OffStreetParking",
        "availableSpotNumber": {"type": "Property", "value": 121, "observedAt": "2017-07-29T12:05:02Z"},
        "totalSpotNumber": {"type": "Property", "value": 200},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [-8.5, 41.2]}},
    }


def _ld(world: World) -> dict[str, str]:
    return {**bearer(world.a.tokens["enterprise"]), "Content-Type": "application/ld+json"}


def _post(client: TestClient, world: World, op: str, body: Any, **params: str) -> Any:
    return client.post(f"{BASE}/entityOperations/{op}", content=json.dumps(body), headers=_ld(world), params=params)


def test_batch_create_upsert_update_delete_as_the_spec_describes(client: TestClient, world: World) -> None:
    context = [EXAMPLE, CORE]
    entities = [{**_vehicle("A4567", 80), "@context": context}, {**_parking(), "@context": context}]
    created = _post(client, world, "create", entities)
    assert created.status_code == 201, created.text
    assert created.json() == ["urn:ngsi-ld:Vehicle:A4567", "urn:ngsi-ld:OffStreetParking:Downtown1"]

    # again: both exist, a 207 with an AlreadyExists per entity
    again = _post(client, world, "create", entities)
    assert again.status_code == 207, again.text
    assert again.json()["success"] == []
    assert [e["entityId"] for e in again.json()["errors"]] == [created.json()[0], created.json()[1]]
    assert {e["error"]["type"] for e in again.json()["errors"]} == {ERRORS + "AlreadyExists"}

    # upsert (replace, the default): the vehicle exists and is replaced, a new one is created -> 201 with the new id
    replaced = {
        "id": "urn:ngsi-ld:Vehicle:A4567",
        "type": "Vehicle",
        "speed": {"type": "Property", "value": 55},
        "@context": context,
    }
    upsert = _post(client, world, "upsert", [replaced, {**_vehicle("B9", 10), "@context": context}])
    assert upsert.status_code == 201, upsert.text
    assert upsert.json() == ["urn:ngsi-ld:Vehicle:B9"]
    vehicle = client.get(
        f"{BASE}/entities/urn:ngsi-ld:Vehicle:A4567", headers={**_ld(world), "Accept": "application/json"}
    ).json()
    assert vehicle["http://example.org/vehicle/speed"]["value"] == 55
    assert "http://example.org/vehicle/brandName" not in vehicle  # replaced, not merged

    # upsert with options=update: only existing entities -> 204, attributes merged
    brand = {
        "id": "urn:ngsi-ld:Vehicle:A4567",
        "type": "Vehicle",
        "brandName": {"type": "Property", "value": "Audi"},
        "@context": context,
    }
    assert _post(client, world, "upsert", [brand], options="update").status_code == 204

    # update with noOverwrite: the existing speed stays, a new attribute is added; an unknown entity is an error
    update = [
        {
            "id": "urn:ngsi-ld:Vehicle:A4567",
            "speed": {"type": "Property", "value": 99},
            "isParked": {"type": "Relationship", "object": "urn:ngsi-ld:OffStreetParking:Downtown1"},
            "@context": context,
        },
        {"id": "urn:ngsi-ld:Vehicle:Nope", "speed": {"type": "Property", "value": 1}, "@context": context},
    ]
    partial = _post(client, world, "update", update, options="noOverwrite")
    assert partial.status_code == 207, partial.text
    assert partial.json()["success"] == ["urn:ngsi-ld:Vehicle:A4567"]
    assert partial.json()["errors"][0]["entityId"] == "urn:ngsi-ld:Vehicle:Nope"
    assert partial.json()["errors"][0]["error"]["type"] == ERRORS + "ResourceNotFound"
    vehicle = client.get(
        f"{BASE}/entities/urn:ngsi-ld:Vehicle:A4567", headers={**_ld(world), "Accept": "application/json"}
    ).json()
    assert vehicle["http://example.org/vehicle/speed"]["value"] == 55
    assert vehicle["http://example.org/vehicle/brandName"]["value"] == "Audi"
    assert vehicle["http://example.org/common/isParked"]["object"] == "urn:ngsi-ld:OffStreetParking:Downtown1"

    # delete: a JSON array of ids (application/json, no context needed)
    json_headers = {**bearer(world.a.tokens["enterprise"]), "Content-Type": "application/json"}
    ids = ["urn:ngsi-ld:Vehicle:A4567", "urn:ngsi-ld:Vehicle:B9", "urn:ngsi-ld:OffStreetParking:Downtown1"]
    deleted = client.post(f"{BASE}/entityOperations/delete", content=json.dumps(ids), headers=json_headers)
    assert deleted.status_code == 204, deleted.text
    gone = client.post(f"{BASE}/entityOperations/delete", content=json.dumps(ids[:1]), headers=json_headers)
    assert gone.status_code == 207 and gone.json()["errors"][0]["error"]["status"] == 404


def test_batch_with_the_context_in_a_link_header_and_bad_batches(client: TestClient, world: World) -> None:
    headers = {
        **bearer(world.a.tokens["enterprise"]),
        "Content-Type": "application/json",
        "Link": f'<{client.base_url}{BASE}/context.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; '
        'type="application/ld+json"',
    }
    body = [_vehicle("L1", 3), {"id": "not a uri", "type": "Vehicle"}]
    response = client.post(f"{BASE}/entityOperations/create", content=json.dumps(body), headers=headers)
    assert response.status_code == 207, response.text
    assert response.json()["success"] == ["urn:ngsi-ld:Vehicle:L1"]
    assert response.json()["errors"][0]["error"]["type"] == ERRORS + "BadRequestData"
    for bad_body in ({"id": "x"}, [], [{**_vehicle("L2", 1), "@context": [CORE]}]):
        refused = client.post(f"{BASE}/entityOperations/create", content=json.dumps(bad_body), headers=headers)
        assert refused.status_code == 400 and refused.json()["type"] == ERRORS + "BadRequestData", refused.text
    # ld+json without an @context in an entity
    refused = _post(client, world, "create", [_vehicle("L3", 1)])
    assert refused.status_code == 400, refused.text
    # a registry device cannot be replaced through a batch
    device = {"id": "urn:ngsi-ld:Device:digipark-1", "type": "Device", "@context": [CORE]}
    answer = _post(client, world, "upsert", [device])
    assert answer.status_code == 207 and answer.json()["errors"][0]["error"]["status"] in (400, 404, 422), answer.text
