"""NGSI-LD geo-queries (ETSI GS CIM 009 §4.10) as the spec writes them: `georel=near;maxDistance==2000&geometry=Point
&coordinates=[8.684783577919006,49.406131991436396]`, `near;minDistance`, `within` a Polygon, `intersects`, and the
refusals (BadRequestData) of an incomplete or unsupported geo-query."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from digipark.dataspace import ngsi_geo
from tests.conftest import World, bearer

BASE = "/ngsi-ld/v1"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
HEIDELBERG = [8.684783577919006, 49.406131991436396]  # the spec's example point


def _parking(n: str, lon: float, lat: float) -> dict[str, Any]:
    return {
        "id": f"urn:ngsi-ld:OffStreetParking:{n}",
        "type": "OffStreetParking",
        "name": {"type": "Property", "value": n},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}},
    }


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(e["id"] for e in response.json())


@pytest.fixture
def parkings(client: TestClient, world: World) -> dict[str, str]:
    headers = {**bearer(world.a.tokens["enterprise"]), "Content-Type": "application/json"}
    # 1.1 km east of the point, about 9 km north of it, and a site without a location
    for body in (
        _parking("Near", 8.70, 49.4061),
        _parking("Far", 8.6848, 49.49),
        {
            "id": "urn:ngsi-ld:OffStreetParking:Nowhere",
            "type": "OffStreetParking",
            "name": {"type": "Property", "value": "x"},
        },
    ):
        assert client.post(f"{BASE}/entities", content=json.dumps(body), headers=headers).status_code == 201
    return {"Authorization": headers["Authorization"]}


def test_near_with_max_and_min_distance(client: TestClient, parkings: dict[str, str]) -> None:
    near = client.get(
        f"{BASE}/entities?type=OffStreetParking&georel=near;maxDistance==2000&geometry=Point"
        f"&coordinates={json.dumps(HEIDELBERG, separators=(',', ':'))}",
        headers=parkings,
    )
    assert _ids(near) == ["urn:ngsi-ld:OffStreetParking:Near"]
    far = client.get(
        f"{BASE}/entities",
        params={
            "type": "OffStreetParking",
            "georel": "near;minDistance==2000",
            "geometry": "Point",
            "coordinates": json.dumps(HEIDELBERG),
        },
        headers=parkings,
    )
    assert _ids(far) == ["urn:ngsi-ld:OffStreetParking:Far"]


def test_within_and_intersects_a_polygon(client: TestClient, parkings: dict[str, str]) -> None:
    box = [[[8.6, 49.3], [8.8, 49.3], [8.8, 49.45], [8.6, 49.45], [8.6, 49.3]]]
    for georel in ("within", "intersects"):
        found = client.get(
            f"{BASE}/entities",
            params={"georel": georel, "geometry": "Polygon", "coordinates": json.dumps(box)},
            headers=parkings,
        )
        assert _ids(found) == ["urn:ngsi-ld:OffStreetParking:Near"], georel  # a geo-query alone is a query


@pytest.mark.parametrize(
    "params",
    [
        {"georel": "near;maxDistance==2000", "geometry": "Point"},  # no coordinates
        {"georel": "near", "geometry": "Point", "coordinates": "[8.6,49.4]"},  # no distance
        {"georel": "near;maxDistance==-1", "geometry": "Point", "coordinates": "[8.6,49.4]"},
        {"georel": "within", "geometry": "Point", "coordinates": "[8.6,49.4]"},  # within needs a polygon
        {"georel": "overlaps", "geometry": "Polygon", "coordinates": "[[[0,0],[1,0],[1,1],[0,0]]]"},
        {"georel": "within", "geometry": "Polygon", "coordinates": "[[[0,0],[1,0],[1,1]]]"},  # ring not closed
        {"georel": "near;maxDistance==10", "geometry": "Point", "coordinates": "[200,0]"},
        {"georel": "near;maxDistance==10", "geometry": "Point", "coordinates": "not json"},
    ],
)
def test_an_incomplete_or_unsupported_geo_query_is_bad_request_data(
    client: TestClient, parkings: dict[str, str], params: dict[str, str]
) -> None:
    response = client.get(f"{BASE}/entities", params={"type": "OffStreetParking", **params}, headers=parkings)
    assert response.status_code == 400 and response.json()["type"] == ERRORS + "BadRequestData", response.text


def test_distance_and_polygon_rules() -> None:
    assert ngsi_geo.distance_m((0.0, 0.0), (0.0, 1.0)) == pytest.approx(111_195, rel=1e-3)
    square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]
    assert ngsi_geo.inside((0.5, 0.5), square) and not ngsi_geo.inside((1.5, 0.5), square)
    query = ngsi_geo.parse("near;maxDistance==10", "Point", "[0.5,0.5]", None)
    assert query is not None
    polygon = {"type": "Polygon", "coordinates": [[list(p) for p in square]]}
    assert ngsi_geo.matches(query, polygon)  # inside the footprint: distance 0
    assert not ngsi_geo.matches(query, {"type": "Point", "coordinates": [0.6, 0.5]})
    assert not ngsi_geo.matches(query, {"type": "Point", "coordinates": "bad"})
