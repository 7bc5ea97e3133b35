"""OpenID Connect single sign-on against a provider the test starts: the code flow end to end, the account created
and linked at the first sign-in, groups mapped to role, park and enterprise, and state, nonce, signature and group
checks refusing what they must."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.auth.config import get_auth_settings
from digipark.auth.models import ExternalIdentity, User
from digipark.registry.models import Enterprise
from tests.accounts.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider
from tests.conftest import World


@pytest.fixture(scope="module")
def provider_server() -> Iterator[Provider]:
    with running_provider() as provider:
        yield provider


@pytest.fixture
def provider(
    provider_server: Provider, monkeypatch: pytest.MonkeyPatch, world: World, db: Session
) -> Iterator[Provider]:
    uscc = db.scalar(select(Enterprise.uscc).where(Enterprise.id == world.a.enterprise_ids[0]))
    group_map = {
        "park-ops": {"role": "operator", "park": "TA"},
        "acme-staff": {"role": "enterprise", "park": "TA", "enterprise_uscc": uscc},
    }
    for name, value in {
        "DIGIPARK_OIDC_ISSUER": provider_server.issuer,
        "DIGIPARK_OIDC_CLIENT_ID": CLIENT_ID,
        "DIGIPARK_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "DIGIPARK_OIDC_GROUP_MAP": json.dumps(group_map),
    }.items():
        monkeypatch.setenv(name, value)
    get_auth_settings.cache_clear()
    provider_server.person = {
        "sub": "u-1001",
        "preferred_username": "li.na",
        "name": "李娜",
        "email": "li.na@example.cn",
        "groups": ["staff", "park-ops"],
    }
    provider_server.nonce_override = None
    provider_server.signing_key = None
    yield provider_server
    get_auth_settings.cache_clear()


def start(client: TestClient) -> str:
    """/login/oidc: the browser is sent to the provider; returns the provider's answer (the callback URL)."""
    response = client.get("/login/oidc?next=/notices", follow_redirects=False)
    assert response.status_code == 303
    authorize = response.headers["location"]
    assert "state=" in authorize and "nonce=" in authorize and "code_challenge=" in authorize
    answer = httpx.get(authorize, follow_redirects=False)
    assert answer.status_code == 302
    callback = urlsplit(answer.headers["location"])
    assert callback.path == "/login/oidc/callback"
    return f"{callback.path}?{callback.query}"


def test_first_sign_in_creates_and_links_the_account(client: TestClient, provider: Provider, db: Session) -> None:
    assert 'id="sso-login"' in client.get("/login").text
    response = client.get(start(client), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/notices"
    assert client.get("/").status_code == 200
    link = db.scalar(select(ExternalIdentity).where(ExternalIdentity.subject == "u-1001"))
    assert link is not None and link.issuer == provider.issuer
    account = db.get_one(User, link.user_id)
    assert (account.username, account.display_name, account.role) == ("li.na", "李娜", "operator")
    assert db.scalar(select(AuditEntry.id).where(AuditEntry.action == "sso_account_created"))
    # the next sign-in finds the same account; a changed group changes the role and enterprise
    provider.person["groups"] = ["acme-staff"]
    client.cookies.clear()
    assert client.get(start(client), follow_redirects=False).status_code == 303
    db.expire_all()
    assert db.scalar(select(User.id).where(User.username.like("li.na%")).order_by(User.id.desc())) == account.id
    again = db.get_one(User, account.id)
    assert again.role == "enterprise" and again.enterprise_id is not None


def test_a_local_account_of_the_same_name_is_not_taken_over(
    client: TestClient, provider: Provider, db: Session
) -> None:
    provider.person = {**provider.person, "sub": "u-2002", "preferred_username": "TA-park_admin"}
    assert client.get(start(client), follow_redirects=False).status_code == 303
    link = db.scalar(select(ExternalIdentity).where(ExternalIdentity.subject == "u-2002"))
    assert link is not None
    created = db.get_one(User, link.user_id)
    assert created.username != "TA-park_admin" and created.role == "operator"


def test_wrong_state_is_refused(client: TestClient, provider: Provider) -> None:
    callback = start(client)
    forged = callback.replace("state=", "state=x")
    assert client.get(forged, follow_redirects=False).status_code == 400
    assert "dp_session" not in client.cookies
    # a callback without the browser's cookie (another browser) is refused too
    fresh = TestClient(client.app, base_url="http://testserver")
    assert fresh.get(callback, follow_redirects=False).status_code == 400


def test_wrong_nonce_is_refused(client: TestClient, provider: Provider) -> None:
    provider.nonce_override = "replayed-nonce"
    assert client.get(start(client), follow_redirects=False).status_code == 401
    assert "dp_session" not in client.cookies


def test_forged_signature_is_refused(client: TestClient, provider: Provider) -> None:
    provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    assert client.get(start(client), follow_redirects=False).status_code == 401
    assert "dp_session" not in client.cookies


def test_a_user_in_no_mapped_group_is_refused(client: TestClient, provider: Provider, db: Session) -> None:
    provider.person = {**provider.person, "sub": "u-3003", "groups": ["visitors"]}
    assert client.get(start(client), follow_redirects=False).status_code == 403
    assert db.scalar(select(ExternalIdentity.id).where(ExternalIdentity.subject == "u-3003")) is None


def test_a_deactivated_linked_account_is_refused(client: TestClient, provider: Provider, db: Session) -> None:
    assert client.get(start(client), follow_redirects=False).status_code == 303
    link = db.scalar(select(ExternalIdentity).where(ExternalIdentity.subject == "u-1001"))
    assert link is not None
    db.get_one(User, link.user_id).is_active = False
    db.flush()
    client.cookies.clear()
    assert client.get(start(client), follow_redirects=False).status_code == 403
