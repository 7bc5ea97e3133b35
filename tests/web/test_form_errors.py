"""Item 6 of issue 14: the four form posts that answered 500 on bad input, before the permission check. Each now
answers 422 with the message beside the field and changes nothing; a user without the permission gets 403 for
the same post, whatever the input."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.economy.models import IndustryChain
from digipark.transformation.models import Assessment, MaturityCertificate, ProviderRequest
from tests.conftest import World
from tests.tenancy.api_transformation import _tf_request_id
from tests.tenancy.helpers import Ctx
from tests.web.helpers import login

FIELD_ERROR = re.compile(r'<div class="field-error"[^>]*>([^<]+)</div>')


def _field_errors(html: str) -> list[str]:
    return FIELD_ERROR.findall(html)


def _count(db: Session, model: type) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def request_id(client: TestClient, world: World, db: Session) -> int:
    return _tf_request_id(Ctx(client, world, db))


def _cases(world: World, request_id: int) -> list[tuple[str, dict[str, str], str, type]]:
    """(url, bad form, the field whose message must show, the table that must not change)."""
    enterprise = world.a.enterprise_ids[0]
    return [
        (f"/transformation/requests/{request_id}/status", {"note": "x"}, "status", ProviderRequest),
        (f"/transformation/requests/{request_id}/status", {"status": "bogus"}, "status", ProviderRequest),
        ("/economy/chains/new", {}, "template", IndustryChain),
        ("/economy/chains/new", {"template": "no-such-template"}, "template", IndustryChain),
        (f"/transformation/enterprises/{enterprise}/assessments", {"year": "abc"}, "year", Assessment),
        (
            f"/transformation/enterprises/{enterprise}/certificates",
            {"scale": "GBT39116", "level": "bogus", "certificate_no": "N1", "issuer": "I", "issued_on": "2026-01-01"},
            "level",
            MaturityCertificate,
        ),
    ]


def test_bad_input_answers_422_beside_the_field(client: TestClient, world: World, db: Session, request_id: int) -> None:
    csrf = login(client, "TA-park_admin")
    for url, form, field, table in _cases(world, request_id):
        before = _count(db, table)
        status_before = db.scalar(select(ProviderRequest.status).where(ProviderRequest.id == request_id))
        response = client.post(url, data={"csrf_token": csrf, **form}, follow_redirects=False)
        assert response.status_code == 422, (url, form, response.status_code)
        errors = _field_errors(response.text)
        assert errors, (url, form, "no message beside a field")
        field_tag = re.search(rf'name="{field}"(.|\n)*?<div class="field-error"', response.text)
        assert field_tag is not None, (url, field, "the message is not beside the field")
        assert _count(db, table) == before, url
        db.expire_all()
        assert db.scalar(select(ProviderRequest.status).where(ProviderRequest.id == request_id)) == status_before


def test_the_same_posts_are_forbidden_before_validation(
    client: TestClient, world: World, db: Session, request_id: int
) -> None:
    csrf = login(client, "TA-resident")
    for url, form, _field, table in _cases(world, request_id):
        before = _count(db, table)
        response = client.post(url, data={"csrf_token": csrf, **form}, follow_redirects=False)
        assert response.status_code == 403, (url, form, response.status_code)
        assert _count(db, table) == before


def test_a_schema_refusing_input_inside_a_handler_is_422_not_500(db: Session) -> None:
    from pydantic import BaseModel

    from digipark.app import create_app

    class Body(BaseModel):
        year: int

    def build() -> None:
        Body.model_validate({"year": "abc"})

    app = create_app()
    app.add_api_route("/api/v1/test-schema", build)
    app.add_api_route("/test-schema", build)
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
        api = client.get("/api/v1/test-schema")
        assert api.status_code == 422
        assert api.headers["content-type"].startswith("application/problem+json")
        assert api.json()["errors"][0]["field"] == "year"
        page = client.get("/test-schema")
        assert page.status_code == 422
        assert page.headers["content-type"].startswith("text/html")
