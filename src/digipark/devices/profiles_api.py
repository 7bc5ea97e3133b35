"""Device profiles in the API (`devices/profiles.py`, the same service and checks as the pages
`devices/profile_pages.py`): `GET /api/v1/device-profiles` (the park's profiles), `GET .../{key}` (the current
version and every stored version with the devices on it), `POST /api/v1/device-profiles` (a new profile, version 1),
`POST .../{key}/versions` (the next version), `POST .../{key}/apply` (the current version to the devices of older
ones). Staff read (`devices.profile.view`), park admins write (`devices.profile.edit`); every version and every
device moved is in the audit log (the rows are audited)."""

# No `from __future__ import annotations`: FastAPI reads the route annotations at import time.

import datetime as dt
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.core.errors import field_error
from digipark.devices import profiles

router = APIRouter(prefix="/api/v1")
TAGS: list[str | Enum] = ["devices: profiles"]
ProfileKey = Annotated[str, Path(min_length=1, max_length=40, pattern=profiles.KEY_PATTERN)]
ParkId = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="the park (for users of several parks)")]


class ProfileSummaryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    kind: str
    name_zh: str
    name_en: str
    version: int = Field(description="the current version (1: the catalogue's entry, never edited)")
    stored: bool = Field(description="false: the catalogue's entry, not yet saved in the park")
    devices: int = Field(description="the park's devices on this profile (any version)")


class ProfileVersionRead(BaseModel):
    version: int
    note: str
    created_by: str
    created_at: dt.datetime | None
    devices: int = Field(description="the park's devices on this version")
    spec: profiles.ProfileSpec


class ProfileRead(BaseModel):
    key: str
    current_version: int
    current: profiles.ProfileSpec
    stored: bool
    versions: list[ProfileVersionRead] = Field(description="the stored versions, newest first")
    devices_behind: int = Field(description="devices on older versions (or the catalogue's entry)")


class ProfileCreate(profiles.ProfileSpec):
    note: str = Field("", max_length=500, description="what this version is for")


class ProfileVersionCreate(profiles.ProfileSpec):
    key: str | None = Field(  # type: ignore[assignment]
        None, min_length=1, max_length=40, pattern=profiles.KEY_PATTERN, description="the path's key (or omitted)"
    )
    note: str = Field("", max_length=500, description="what changed")


class AppliedRead(BaseModel):
    moved: int = Field(description="devices moved to the current version")
    kept_points: dict[str, list[str]] = Field(
        description="device code → its points the current version no longer has (kept, with their history)"
    )


def _read(db: Any, scope: Any, key: str, park_id: int | None) -> dict[str, Any]:
    spec, version = profiles.get_spec(db, scope=scope, key=key, park_id=park_id)
    stored = profiles.versions(db, scope=scope, key=key, park_id=park_id)
    per_version = profiles.devices_per_version(db, scope=scope, key=key, park_id=park_id)
    return {
        "key": key,
        "current_version": version,
        "current": spec,
        "stored": bool(stored),
        "versions": [
            {
                "version": row.version,
                "note": row.note,
                "created_by": row.created_by,
                "created_at": row.created_at,
                "devices": per_version.get(row.version, 0),
                "spec": profiles.spec_of(row),
            }
            for row in stored
        ],
        "devices_behind": sum(n for v, n in per_version.items() if v != version),
    }


@router.get("/device-profiles", response_model=list[ProfileSummaryRead], tags=TAGS)
def list_profiles(db: DbSession, scope: CurrentScope, park_id: ParkId = None) -> Any:
    """The park's device profiles: the catalogue's kinds and the park's own, each with its current version."""
    return profiles.list_profiles(db, scope=scope, park_id=park_id)


@router.get("/device-profiles/{key}", response_model=ProfileRead, tags=TAGS)
def get_profile(key: ProfileKey, db: DbSession, scope: CurrentScope, park_id: ParkId = None) -> Any:
    """A profile's current version and its stored versions with the devices on each (404: no such profile)."""
    return _read(db, scope, key, park_id)


@router.post("/device-profiles", response_model=ProfileRead, status_code=201, tags=TAGS)
def create_profile(data: ProfileCreate, db: DbSession, scope: CurrentScope, park_id: ParkId = None) -> Any:
    """A new profile of the park (version 1) on a catalogue kind; 422 naming the field when it does not check."""
    row = profiles.save(
        db, scope=scope, data=data.model_dump(exclude={"note"}), note=data.note, new=True, park_id=park_id
    )
    return _read(db, scope, row.key, row.park_id)


@router.post("/device-profiles/{key}/versions", response_model=ProfileRead, status_code=201, tags=TAGS)
def save_version(
    key: ProfileKey, data: ProfileVersionCreate, db: DbSession, scope: CurrentScope, park_id: ParkId = None
) -> Any:
    """The next version of a profile (a version is never changed); 409 when nothing changed."""
    if data.key is not None and data.key != key:
        raise field_error("key", "the key of a profile cannot change")
    body = {**data.model_dump(exclude={"note"}), "key": key}
    row = profiles.save(db, scope=scope, data=body, note=data.note, park_id=park_id)
    return _read(db, scope, key, row.park_id)


@router.post("/device-profiles/{key}/apply", response_model=AppliedRead, tags=TAGS)
def apply_current(key: ProfileKey, db: DbSession, scope: CurrentScope, park_id: ParkId = None) -> Any:
    """Move the park's devices on older versions of the profile (or its catalogue entry) to the current one."""
    applied = profiles.apply_current(db, scope=scope, key=key, park_id=park_id)
    return {"moved": applied.moved, "kept_points": applied.kept_points}
