"""The data space's REST API: the whole path over HTTP, a refusal as a problem that stays in the ledger, the
DCAT catalogue, datasets and identifiers."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import World, bearer

API = "/api/v1/dataspace"


def _call(client: TestClient, world: World, who: str, method: str, path: str, **kwargs: Any) -> Any:
    return client.request(method, f"{API}{path}", headers=bearer(world.a.tokens[who]), **kwargs)


def test_publish_request_agree_download_and_refuse_beyond_the_count(client: TestClient, world: World) -> None:
    data = _call(
        client,
        world,
        "enterprise",
        "POST",
        "/datasets",
        json={
            "name": "r",
            "rows": [{"k": "a", "v": "1"}, {"k": "b", "v": "bad"}],
            "rules": [{"rule": "type", "column": "v", "type": "number"}],
        },
    )
    assert data.status_code == 201, data.text
    assert data.json()["row_count"] == 1 and data.json()["rejected"][0]["reasons"] == ["v: not a number"]
    product = _call(
        client,
        world,
        "enterprise",
        "POST",
        "/products",
        json={
            "title": "R",
            "source": "dataset",
            "dataset_id": data.json()["id"],
            "columns": ["k", "v"],
            "purposes": ["research"],
            "max_accesses": 3,
        },
    )
    assert product.status_code == 201, product.text
    pid = product.json()["id"]
    asked = _call(
        client,
        world,
        "enterprise2",
        "POST",
        f"/products/{pid}/contracts",
        json={"purposes": ["research"], "days": 7, "max_accesses": 1},
    )
    assert asked.status_code == 201, asked.text
    cid = asked.json()["id"]
    early = _call(client, world, "enterprise2", "POST", f"/contracts/{cid}/access", json={"purpose": "research"})
    assert early.status_code == 403 and early.json()["type"].endswith("policy-denied")
    assert _call(client, world, "enterprise2", "POST", f"/contracts/{cid}/agree").status_code == 403
    agreed = _call(client, world, "enterprise", "POST", f"/contracts/{cid}/agree")
    assert agreed.status_code == 200 and agreed.json()["state"] == "agreed"
    got = _call(client, world, "enterprise2", "POST", f"/contracts/{cid}/access", json={"purpose": "research"})
    assert got.status_code == 200, got.text
    assert got.json()["rows"] == [["a", 1.0]] and got.json()["remaining"] == 0
    again = _call(client, world, "enterprise2", "POST", f"/contracts/{cid}/access", json={"purpose": "research"})
    assert again.status_code == 403 and again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["detail"] == "download count used up"
    # the refusal is in the ledger although the request was refused; both parties verify the same chain
    for who in ("enterprise", "enterprise2"):
        book = _call(client, world, who, "GET", f"/contracts/{cid}/ledger").json()
        assert book["intact"] and [e["kind"] for e in book["entries"]] == [
            "requested",
            "refused",
            "agreed",
            "access",
            "refused",
        ]
    assert _call(client, world, "resident", "GET", f"/contracts/{cid}/ledger").status_code in (403, 404)


def test_catalog_is_dcat_with_odrl_offers(client: TestClient, world: World) -> None:
    data = _call(client, world, "enterprise", "POST", "/datasets", json={"name": "r", "rows": [{"k": 1}]})
    pid = _call(
        client,
        world,
        "enterprise",
        "POST",
        "/products",
        json={
            "title": "Cat",
            "source": "dataset",
            "dataset_id": data.json()["id"],
            "columns": ["k"],
            "purposes": ["research"],
        },
    ).json()["id"]
    body = _call(client, world, "enterprise2", "GET", "/catalog").json()
    assert body["@type"] == "dcat:Catalog"
    entry = next(d for d in body["dcat:dataset"] if d["@id"] == f"urn:digipark:product:{pid}")
    offer = entry["odrl:hasPolicy"]
    assert offer["@type"] == "Offer" and offer["permission"][0]["action"] == "use"
    assert {"purpose", "count", "elapsedTime"} == {c["leftOperand"] for c in offer["permission"][0]["constraint"]}


def test_identifier_routes(client: TestClient, world: World) -> None:
    made = _call(
        client,
        world,
        "enterprise",
        "POST",
        "/identifiers",
        json={"handle": "88.131.20261/API-1", "kind": "batch", "name": "批次", "attributes": {"数量": 10}},
    )
    assert made.status_code == 201, made.text
    bad = _call(
        client, world, "enterprise", "POST", "/identifiers", json={"handle": "88.1/API", "kind": "batch", "name": "x"}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "handle"
    found = _call(client, world, "enterprise2", "GET", "/identifiers/resolve", params={"handle": "88.131.20261/API-1"})
    assert found.status_code == 200 and found.json()["attributes"] == {"数量": 10}
    stats = _call(client, world, "enterprise", "GET", "/identifiers/statistics").json()
    assert stats["by_kind"]["batch"]["resolutions"] >= 1
