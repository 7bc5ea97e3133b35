"""OpenID Connect single sign-on, the protocol part: the provider's discovery document, the authorization request
(authorization code flow with PKCE, `state` and `nonce`), the code exchange (Authlib's OAuth 2 client) and the
validation of the ID token (joserfc: signature against the provider's JWKS, issuer, audience, expiry, nonce); and
the mapping of the provider's groups to a role, park and enterprise, which is configuration
(`DIGIPARK_OIDC_GROUP_MAP`). Linking the token to an account is `digipark.accounts.sso`."""

from __future__ import annotations

import dataclasses
import json
import secrets
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from digipark.auth.config import AuthSettings
from digipark.auth.models import Role
from digipark.core.errors import NotAuthenticated, PermissionDenied

HTTP_TIMEOUT_S = 10.0
ID_TOKEN_ALGORITHMS = ("RS256", "ES256", "PS256", "EdDSA")
CLOCK_LEEWAY_S = 60


class GroupGrant(BaseModel):
    """What membership of one provider group makes of a user."""

    model_config = ConfigDict(extra="forbid")
    role: Role
    park: str
    enterprise_uscc: str | None = None


_GROUP_MAP = TypeAdapter(dict[str, GroupGrant])


def group_map(settings: AuthSettings) -> dict[str, GroupGrant]:
    try:
        return _GROUP_MAP.validate_python(json.loads(settings.oidc_group_map))
    except (ValueError, ValidationError) as exc:
        raise ValueError(f"DIGIPARK_OIDC_GROUP_MAP is not a valid group map: {exc}") from exc


def grant_for(groups: list[str], mapping: dict[str, GroupGrant]) -> tuple[str, GroupGrant]:
    """The first of the user's groups that the map names (in the map's order); 403 when none is mapped."""
    for name, grant in mapping.items():
        if name in groups:
            return name, grant
    raise PermissionDenied("none of your groups at the identity provider gives access to this platform")


@dataclasses.dataclass(frozen=True)
class Request:
    """What the browser carries from the authorization request to the callback (in a short-lived cookie)."""

    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclasses.dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    username: str | None
    name: str | None
    email: str | None
    groups: list[str]


def discovery(issuer: str) -> dict[str, Any]:
    response = httpx.get(issuer.rstrip("/") + "/.well-known/openid-configuration", timeout=HTTP_TIMEOUT_S)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    if document.get("issuer") != issuer:
        raise NotAuthenticated("the identity provider's discovery document names another issuer")
    return document


def _client(settings: AuthSettings, redirect_uri: str) -> Any:
    # imported here: Authlib's httpx integration warns at import, and only single sign-on needs it
    from authlib.integrations.httpx_client import OAuth2Client

    return OAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        scope=settings.oidc_scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=HTTP_TIMEOUT_S,
    )


def authorization_request(settings: AuthSettings, *, redirect_uri: str) -> Request:
    assert settings.oidc_issuer is not None
    metadata = discovery(settings.oidc_issuer)
    nonce = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    with _client(settings, redirect_uri) as client:
        url, state = client.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
    return Request(url=url, state=state, nonce=nonce, code_verifier=verifier)


def complete(settings: AuthSettings, *, redirect_uri: str, code: str, code_verifier: str, nonce: str) -> Identity:
    """Exchange the authorization code and validate the ID token; 401 on anything wrong."""
    assert settings.oidc_issuer is not None
    metadata = discovery(settings.oidc_issuer)
    try:
        with _client(settings, redirect_uri) as client:
            token = client.fetch_token(
                metadata["token_endpoint"], grant_type="authorization_code", code=code, code_verifier=code_verifier
            )
        keys = KeySet.import_key_set(httpx.get(metadata["jwks_uri"], timeout=HTTP_TIMEOUT_S).json())
        decoded = jwt.decode(token["id_token"], keys, algorithms=list(ID_TOKEN_ALGORITHMS))
        claims = decoded.claims
        jwt.JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_S,
            iss={"essential": True, "value": settings.oidc_issuer},
            aud={"essential": True, "value": settings.oidc_client_id or ""},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(claims)
    except (JoseError, KeyError, ValueError, httpx.HTTPError) as exc:
        raise NotAuthenticated(f"the identity provider's answer was refused: {exc}") from exc
    except Exception as exc:  # Authlib's OAuth errors (a refused or unknown code)
        raise NotAuthenticated(f"the identity provider refused the sign-in: {exc}") from exc
    groups = claims.get(settings.oidc_groups_claim) or []
    return Identity(
        issuer=str(claims["iss"]),
        subject=str(claims["sub"]),
        username=claims.get("preferred_username"),
        name=claims.get("name"),
        email=claims.get("email"),
        groups=[str(group) for group in groups] if isinstance(groups, list) else [str(groups)],
    )
