from fastapi.testclient import TestClient

from tests.conftest import World, bearer


def test_list_enterprises_as_admin(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/enterprises", headers=bearer(world.a.tokens["park_admin"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2
    assert {e["id"] for e in body["items"]} == set(world.a.enterprise_ids)
