"""REST API of devices' shared attributes (devices/attributes.py):

- `GET /api/v1/devices/{id}/attributes`: the device's shared attributes (key, value, version, whether sent);
- `POST /api/v1/devices/{id}/attributes` `{"values": {"key": value, …}}`: set them (`devices.command`); the
  dispatcher sends the changed ones to the device after the commit.
"""

# No `from __future__ import annotations`: FastAPI reads the route annotations at import time.

import datetime as dt
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.devices import attributes

router = APIRouter(prefix="/api/v1")
TAGS: list[str | Enum] = ["devices: shared attributes"]
Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]


class AttributesWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    values: dict[str, Any] = Field(description="key → JSON value (at most 4 KB each, 100 keys per device)")


class AttributeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    value: Any
    version: int
    sent_version: int
    set_by: str
    updated_at: dt.datetime
    sent_at: dt.datetime | None


@router.get("/devices/{ident}/attributes", response_model=list[AttributeRead], tags=TAGS)
def list_attributes(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """The device's shared attributes."""
    return attributes.rows_of(db, scope=scope, device_id=ident)


@router.post("/devices/{ident}/attributes", response_model=list[AttributeRead], tags=TAGS)
def set_attributes(ident: Ident, data: AttributesWrite, db: DbSession, scope: CurrentScope) -> Any:
    """Set shared attributes; they are sent to the device (ThingsBoard `v1/devices/me/attributes`, or the native
    downlink topic `…/downlink/attributes`) after the commit. Answers all of the device's attributes."""
    attributes.set_values(db, scope=scope, device_id=ident, values=data.values)
    return attributes.rows_of(db, scope=scope, device_id=ident)
