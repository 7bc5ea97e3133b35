"""REST API of park notices under /api/v1/notices: the derived create/read/update/delete, publishing, the
caller's unread notices, read receipts."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Path

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.crud.routes import add_routes
from digipark.notices import schemas, service

router = APIRouter(prefix="/api/v1/notices")
TAGS: list[str | Enum] = ["notices"]
Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/unread", response_model=schemas.Unread, tags=TAGS)
def unread(db: DbSession, scope: CurrentScope) -> Any:
    """The published notices you may read and have not opened yet, newest first."""
    ids = service.unread(db, scope=scope)
    return {"count": len(ids), "ids": ids}


add_routes(router, service.NOTICES, "", tags=TAGS)


@router.post("/{ident}/publish", response_model=schemas.NoticeRead, tags=TAGS)
def publish(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """Publish a draft now; 409 when it is already published."""
    return service.publish(db, scope=scope, ident=ident)


@router.post("/{ident}/read", response_model=schemas.ReceiptRead | None, tags=TAGS)
def mark_read(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """Record that you opened the notice (the first time is kept; a draft leaves no receipt: null)."""
    return service.mark_read(db, scope=scope, ident=ident)


@router.get("/{ident}/receipts", response_model=schemas.ReceiptSummary, tags=TAGS)
def receipts(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """How many users have opened the notice, and which enterprises' users (park staff who write notices)."""
    return service.receipts(db, scope=scope, ident=ident)
