"""Input and output shapes of HTTP ingestion, dead letters and device traffic."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
MAX_IDS = 500


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class IngestResult(Read):
    """What became of a message (or batch): stored readings, duplicates, stored-but-bad values, rejections."""

    messages: int
    stored: int
    duplicates: int
    bad_quality: int
    rejected: int
    rejected_by_reason: dict[str, int]


class DeadLetterRead(Read):
    id: int
    park_id: int | None
    device_id: int | None
    received_at: dt.datetime
    source: str
    topic: str | None
    token: str | None
    payload: str
    value_count: int
    messages: int
    reason: str
    detail: str
    status: str
    resolved_at: dt.datetime | None
    resolved_by: str | None


class DeadLetterIds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: Annotated[list[Id], Field(min_length=1, max_length=MAX_IDS)]


class ReplaySummary(BaseModel):
    """A replay: `replayed` dead letters were accepted whole (status replayed); `still_open` failed again, in
    whole or in part, and keep (only) their failing values with the new reason."""

    requested: int
    replayed: int
    still_open: int
    stored: int
    duplicates: int
    bad_quality: int
    rejected_by_reason: dict[str, int]
    replayed_ids: list[int]
    open_ids: list[int]


class DiscardResult(BaseModel):
    discarded: int


class DeviceTrafficRead(BaseModel):
    device_id: int
    park_id: int
    enterprise_id: int | None
    code: str
    name: str
    messages: int
    readings: int
    duplicates: int
    bad_quality: int
    rejected: int
    rejections: dict[str, int] = Field(description="rejected values by reason")
    last_seen_ms: int | None
    last_seen: dt.datetime | None
