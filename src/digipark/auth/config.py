"""Settings of accounts and sign-in (DIGIPARK_* environment variables), kept beside the code that reads them."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIGIPARK_", env_file=".env", extra="ignore")

    token_max_days: int = Field(default=90, ge=1, le=3650, description="longest lifetime of an API token, in days")
    token_default_days: int = Field(default=30, ge=1, description="lifetime of an API token when none is asked for")
    password_min_length: int = Field(default=8, ge=8, le=200, description="shortest password accepted")
    password_min_score: int = Field(
        default=3,
        ge=0,
        le=4,
        description="lowest zxcvbn strength score (0-4) a new password must reach: 3 refuses common passwords, "
        "keyboard patterns, repeats and words with a digit appended",
    )
    password_reset_hours: int = Field(
        default=72, ge=1, description="hours a temporary password set by an administrator stays valid"
    )
    totp_required_roles: str = Field(
        default="",
        description="comma-separated roles that must use a TOTP second factor (e.g. park_admin,operator); "
        "users of these roles are sent to enrolment after their password",
    )
    totp_issuer: str = Field(default="digipark", description="issuer name shown in authenticator apps")
    totp_recovery_codes: int = Field(default=10, ge=1, le=50, description="recovery codes issued at enrolment")
    oidc_issuer: str | None = Field(
        default=None, description="OpenID Connect provider (issuer URL); single sign-on is offered when set"
    )
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scopes: str = Field(default="openid profile email groups", description="scopes asked of the provider")
    oidc_groups_claim: str = Field(default="groups", description="ID-token claim holding the user's groups")
    oidc_group_map: str = Field(
        default="{}",
        description='JSON: provider group -> {"role": ..., "park": park code, "enterprise_uscc": ...}; the first '
        "group of the user found in the map decides; a user in no mapped group is refused",
    )
    oidc_redirect_url: str | None = Field(
        default=None, description="callback URL registered at the provider; default: <this site>/login/oidc/callback"
    )

    @property
    def totp_roles(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.totp_required_roles.split(",") if part.strip())


@lru_cache
def get_auth_settings() -> AuthSettings:
    return AuthSettings()
