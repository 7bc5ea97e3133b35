"""Audit log API: read entries of the caller's parks and verify the chain."""

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from digipark.audit import service
from digipark.audit.models import AuditEntry
from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.core.listing import ListQuery, ListSpec, Page, page_of

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

AUDIT_LIST = ListSpec(
    filters={
        "entity_type": AuditEntry.entity_type,
        "entity_id": AuditEntry.entity_id,
        "action": AuditEntry.action,
        "actor": AuditEntry.actor,
    },
    sort={"id": AuditEntry.id, "ts": AuditEntry.ts},
    default_sort="-id",
)


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    ts: dt.datetime
    actor: str
    actor_role: str | None
    park_id: int | None
    enterprise_id: int | None
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    hash: str


class VerifyRead(BaseModel):
    ok: bool
    checked: int
    first_broken_id: int | None
    reason: str | None


@router.get("/entries", response_model=Page[AuditEntryRead])
def list_entries(
    db: DbSession, scope: CurrentScope, query: Annotated[ListQuery, Depends(AUDIT_LIST.dependency())]
) -> Any:
    scope.require("audit.read")
    stmt = select(AuditEntry).where(AuditEntry.park_id.in_(sorted(scope.read_parks)))
    rows, total = AUDIT_LIST.apply(db, stmt, query)
    return page_of(rows, total, query)


@router.get("/verify", response_model=VerifyRead)
def verify(db: DbSession, scope: CurrentScope) -> Any:
    scope.require("audit.read")
    return service.verify(db)
