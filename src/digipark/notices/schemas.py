"""Input and output of park notices."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from digipark.notices.models import Audience, Category

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]


class NoticeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    body: Body
    category: Category = Category.NOTICE
    audience: Audience = Audience.EVERYONE
    pinned: bool = False
    expires_on: dt.date | None = None
    park_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = Field(
        None, description="the park it is for; default: your own"
    )


class NoticeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    body: Body | None = None
    category: Category | None = None
    audience: Audience | None = None
    pinned: bool | None = None
    expires_on: dt.date | None = None


class NoticeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    title: str
    body: str
    category: Category
    audience: Audience
    pinned: bool
    expires_on: dt.date | None
    published_at: dt.datetime | None
    published_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ReceiptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    notice_id: int
    user_id: int
    first_read_at: dt.datetime


class EnterpriseReaders(BaseModel):
    enterprise_id: int
    name: str
    readers: int
    first_read_at: dt.datetime


class ReceiptSummary(BaseModel):
    """Who has opened a notice: how many users, and which enterprises' users (the rest: residents, reviewers)."""

    notice_id: int
    readers: int
    enterprises: list[EnterpriseReaders]
    other_readers: int


class Unread(BaseModel):
    count: int
    ids: list[int]
