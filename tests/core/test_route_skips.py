"""A router answers "no match" at once for a path none of its routes can match (its prefix, then the segment after
it), without trying its routes one by one, and an app of such routers still answers every path it has a route
for."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from digipark.app import _skipped_outside_prefix


def _counted(router: APIRouter, asked: list[str]) -> APIRouter:
    """The router, noting every path its routes are tried against, wrapped as create_app wraps a module's."""
    original = router.matches

    def matches(scope: Any) -> Any:
        asked.append(scope["path"])
        return original(scope)

    router.matches = matches  # type: ignore[method-assign]
    return _skipped_outside_prefix(router)


def _energy_pages() -> APIRouter:
    router = APIRouter()
    router.add_api_route("/energy", lambda: "list", methods=["GET"])
    router.add_api_route("/energy/{ident}", lambda ident: f"one {ident}", methods=["GET"])
    router.add_api_route("/carbon/", lambda: "carbon", methods=["GET"])
    return router


def test_a_path_of_another_segment_is_not_tried_against_the_routes() -> None:
    asked: list[str] = []
    app = FastAPI()
    app.include_router(_counted(_energy_pages(), asked))
    app.add_api_route("/", lambda: "home", methods=["GET"])
    client = TestClient(app)
    assert client.get("/").json() == "home"
    assert client.get("/energyx").status_code == 404
    assert asked == []
    assert client.get("/energy/7").json() == "one 7"
    assert client.get("/energy").json() == "list"
    assert asked == ["/energy/7", "/energy"]


def test_under_a_prefix_the_next_segment_decides() -> None:
    router = APIRouter(prefix="/api/v1")
    router.add_api_route("/parks", lambda: [], methods=["GET"])
    router.add_api_route("/parks/{ident}", lambda ident: int(ident), methods=["GET"])
    asked: list[str] = []
    app = FastAPI()
    app.include_router(_counted(router, asked))
    client = TestClient(app)
    for path in ("/api/v1/points", "/api/v1parks", "/api/v2/parks", "/"):
        assert client.get(path).status_code == 404
    assert asked == []
    assert client.get("/api/v1/parks/3").json() == 3


def test_a_route_starting_with_a_parameter_or_added_later_still_matches() -> None:
    router = _energy_pages()
    app = FastAPI()
    app.include_router(_skipped_outside_prefix(router))
    client = TestClient(app)
    assert client.get("/water").status_code == 404
    router.add_api_route("/water", lambda: "water", methods=["GET"])
    router.add_api_route("/{anything}/report", lambda anything: anything, methods=["GET"])
    assert client.get("/water").json() == "water"
    assert client.get("/solar/report").json() == "solar"


def test_routers_wrapped_once_for_every_app_answer_each_route_and_404_elsewhere() -> None:
    router = _energy_pages()
    for _ in range(3):  # create_app wraps the same module routers for each app it makes
        app = FastAPI()
        app.include_router(_skipped_outside_prefix(router))
    client = TestClient(app)
    assert client.get("/energy/5").json() == "one 5"
    assert client.get("/carbon/").json() == "carbon"
    assert client.get("/carbon", follow_redirects=False).status_code == 307  # the trailing-slash redirect
    assert client.get("/").status_code == 404
    assert client.get("/energies").status_code == 404
