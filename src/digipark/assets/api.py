"""REST API of assets under /api/v1/assets: the derived create/read/update/delete of the register, lifecycle
changes and the depreciation schedule."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Path

from digipark.assets import schemas, service
from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.crud.routes import add_routes

router = APIRouter(prefix="/api/v1/assets")
TAGS: list[str | Enum] = ["assets"]
Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]

add_routes(router, service.ASSETS, "", tags=TAGS)


@router.post("/{ident}/state", response_model=schemas.AssetRead, tags=TAGS)
def change_state(ident: Ident, body: schemas.StateChange, db: DbSession, scope: CurrentScope) -> Any:
    """Move the asset along its lifecycle; 409 for a change the lifecycle does not allow."""
    return service.change_state(db, scope=scope, ident=ident, data=body)


@router.get("/{ident}/depreciation", response_model=list[schemas.MonthRead], tags=TAGS)
def depreciation(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """The asset's monthly depreciation schedule (empty before it is in service)."""
    return service.schedule(service.ASSETS.get(db, scope=scope, ident=ident))
