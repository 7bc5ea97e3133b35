"""Platform administration of parks: `/api/v1/platform/parks` — every park of the deployment, created and edited by
a platform administrator only (403 for everyone else). A park's own staff use `/api/v1/parks` (their scope)."""

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from digipark.auth.dependencies import CurrentUser, DbSession
from digipark.auth.models import User
from digipark.core.bounds import INT32_MAX
from digipark.registry import parks
from digipark.registry.schemas import ParkCreate, ParkPlatformUpdate, ParkRead

router = APIRouter(prefix="/api/v1/platform", tags=["platform: parks"])
TAGS: list[str | Enum] = ["platform: parks"]
Ident = Annotated[int, Path(ge=1, le=INT32_MAX)]
DENIED: dict[int | str, dict[str, Any]] = {403: {"description": "not a platform administrator"}}


def platform_admin(user: CurrentUser) -> User:
    """The caller, if a platform administrator (403 before any input is looked at)."""
    parks.require_platform_admin(user)
    return user


PlatformAdmin = Annotated[User, Depends(platform_admin)]


@router.get("/parks", response_model=list[ParkRead], tags=TAGS, responses=DENIED)
def list_parks(db: DbSession, user: PlatformAdmin) -> Any:
    return parks.list_parks(db, user=user)


@router.post("/parks", response_model=ParkRead, status_code=201, tags=TAGS, responses=DENIED)
def create_park(data: ParkCreate, db: DbSession, user: PlatformAdmin) -> Any:
    return parks.create(db, user=user, data=data)


@router.get("/parks/{ident}", response_model=ParkRead, tags=TAGS, responses=DENIED)
def get_park(ident: Ident, db: DbSession, user: PlatformAdmin) -> Any:
    return parks.get_park(db, user=user, ident=ident)


@router.patch("/parks/{ident}", response_model=ParkRead, tags=TAGS, responses=DENIED)
def update_park(ident: Ident, data: ParkPlatformUpdate, db: DbSession, user: PlatformAdmin) -> Any:
    return parks.update(db, user=user, ident=ident, data=data)
