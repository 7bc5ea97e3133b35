"""Input and output shapes of accounts and tokens."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from digipark.auth.models import Role


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)
    token_name: str = Field("api", min_length=1, max_length=100)
    days: int = Field(30, ge=1, le=3650)


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


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    username: str = Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9_.@\-]+$")
    display_name: str | None = Field(None, max_length=120)
    email: str | None = Field(None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    password: str = Field(min_length=8, max_length=200)
    role: Role
    enterprise_id: int | None = Field(None, ge=1, le=2**31 - 1)


class MeRead(UserRead):
    permissions: list[str]
    read_parks: list[int]
