"""Input and output shapes of accounts and tokens."""

from __future__ import annotations

import datetime as dt
import enum

from pydantic import BaseModel, ConfigDict, Field

from digipark.auth.models import Role


class Language(enum.StrEnum):
    ZH = "zh"
    EN = "en"


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)
    token_name: str = Field("api", min_length=1, max_length=100)
    days: int | None = Field(None, ge=1, le=3650, description="lifetime; at most DIGIPARK_TOKEN_MAX_DAYS (default 90)")
    otp: str | None = Field(None, max_length=32, description="TOTP or recovery code, for accounts with a second factor")


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime | None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    display_name: str
    email: str | None
    role: Role
    park_id: int | None
    enterprise_id: int | None
    language: str
    is_active: bool
    locked_until: dt.datetime | None
    enterprise_admin: bool = False
    must_change_password: bool = False
    second_factor: bool = False
    last_login_at: dt.datetime | None = None


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    username: str = Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9_.@\-]+$")
    display_name: str | None = Field(None, max_length=120)
    email: str | None = Field(None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    password: str = Field(min_length=8, max_length=200)
    role: Role
    enterprise_id: int | None = Field(None, ge=1, le=2**31 - 1)
    enterprise_admin: bool = False


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    display_name: str | None = Field(None, min_length=1, max_length=120)
    email: str | None = Field(None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    language: Language | None = None
    role: Role | None = None
    is_active: bool | None = None
    enterprise_admin: bool | None = None


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


class PasswordResetRead(BaseModel):
    user_id: int
    temporary_password: str
    expires_at: dt.datetime


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=100)
    days: int | None = Field(None, ge=1, le=3650, description="lifetime; at most DIGIPARK_TOKEN_MAX_DAYS (default 90)")


class ApiTokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    user_id: int
    username: str
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked: bool
    revoked_at: dt.datetime | None


class MeRead(UserRead):
    permissions: list[str]
    read_parks: list[int]
