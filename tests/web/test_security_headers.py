"""Item 7 of issue 14: browser security headers on every response — pages, API, static files, errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from digipark.app import create_app
from digipark.core.config import get_settings
from tests.conftest import World, bearer
from tests.web.helpers import login


def assert_protected(response: Response, *, https: bool = False) -> None:
    headers = response.headers
    policy = headers.get("content-security-policy", "")
    directives = {d.strip().split(" ")[0]: d.strip() for d in policy.split(";") if d.strip()}
    assert directives.get("script-src") == "script-src 'self'", policy
    assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in policy
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", policy
    assert directives.get("object-src") == "object-src 'none'", policy
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("referrer-policy") in {"same-origin", "strict-origin-when-cross-origin", "no-referrer"}
    if https:
        assert headers.get("strict-transport-security", "").startswith("max-age=")
    else:
        assert "strict-transport-security" not in headers


@pytest.fixture
def failing_client(db: Session) -> Iterator[TestClient]:
    """The app with two routes that fail unexpectedly, answered by the 500 handlers."""
    app = create_app()

    def boom() -> Any:
        raise RuntimeError("unexpected")

    app.add_api_route("/api/v1/test-boom", boom)
    app.add_api_route("/test-boom", boom)
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as test_client:
        yield test_client


def test_pages_redirects_and_login_carry_the_headers(client: TestClient, world: World) -> None:
    assert_protected(client.get("/login"))
    redirect = client.get("/", follow_redirects=False)
    assert redirect.status_code in (302, 303, 307)
    assert_protected(redirect)
    login(client, "TA-park_admin")
    for path in ("/", "/enterprises", f"/enterprises/{world.a.enterprise_ids[0]}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_protected(response)


def test_api_answers_carry_the_headers(client: TestClient, world: World) -> None:
    ok = client.get("/api/v1/enterprises", headers=bearer(world.a.tokens["park_admin"]))
    assert ok.status_code == 200
    assert_protected(ok)
    assert_protected(client.get("/api/v1/enterprises"))  # 401
    assert_protected(client.get("/healthz"))
    assert_protected(client.get("/api/openapi.json"))


def test_static_files_and_vendor_files_carry_the_headers(client: TestClient) -> None:
    static = client.get("/static/js/app.js")
    assert static.status_code == 200
    assert_protected(static)
    assert_protected(client.get("/static/css/app.css"))
    assert_protected(client.get("/static/no-such-file.js"))
    assert_protected(client.get("/static/vendor/no-such-library.js"))


def test_error_responses_carry_the_headers(client: TestClient, failing_client: TestClient, world: World) -> None:
    assert_protected(client.get("/no-such-page"))
    assert_protected(client.get("/api/v1/no-such-thing", headers=bearer(world.a.tokens["park_admin"])))
    bad = client.get("/api/v1/enterprises/abc", headers=bearer(world.a.tokens["park_admin"]))
    assert bad.status_code == 422
    assert_protected(bad)
    for path in ("/api/v1/test-boom", "/test-boom"):
        failed = failing_client.get(path)
        assert failed.status_code == 500, path
        assert_protected(failed)


def test_hsts_only_over_https(app_instance: Any, db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    with TestClient(app_instance, base_url="https://testserver") as secure:
        assert_protected(secure.get("/login"), https=True)
        assert_protected(secure.get("/static/js/app.js"), https=True)
    with TestClient(app_instance, base_url="http://testserver") as plain:
        forwarded = {"X-Forwarded-Proto": "https"}
        assert_protected(plain.get("/login", headers=forwarded))  # not trusted by default
        monkeypatch.setattr(get_settings(), "trust_forwarded_proto", True)
        assert_protected(plain.get("/login", headers=forwarded), https=True)
        assert_protected(plain.get("/login", headers={"X-Forwarded-Proto": "http"}))
