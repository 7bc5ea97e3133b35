"""A request that finds every connection of the pool busy longer than the pool waits is answered like a locked
database — 503 with Retry-After, problem+json on the API and the translated busy page on the web — never 500."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import TimeoutError as PoolTimeout

from digipark.app import create_app


def _app_whose_routes_find_the_pool_exhausted() -> FastAPI:
    app = create_app()
    router = APIRouter()

    def exhausted() -> None:
        raise PoolTimeout("QueuePool limit of size 10 overflow 20 reached, connection timed out, timeout 30.00")

    router.add_api_route("/api/v1/_test/pool", exhausted)
    router.add_api_route("/_test/pool", exhausted)
    app.include_router(router)
    return app


def test_an_exhausted_pool_answers_503_with_retry_after_on_the_api_and_the_pages() -> None:
    client = TestClient(_app_whose_routes_find_the_pool_exhausted(), raise_server_exceptions=False)
    api = client.get("/api/v1/_test/pool")
    assert api.status_code == 503 and api.headers["Retry-After"].isdigit()
    assert api.headers["content-type"].startswith("application/problem+json")
    client.cookies.set("dp_lang", "zh")
    page = client.get("/_test/pool", headers={"Accept": "text/html"})
    assert page.status_code == 503 and page.headers["Retry-After"].isdigit()
    assert "text/html" in page.headers["content-type"] and "请稍后" in page.text
