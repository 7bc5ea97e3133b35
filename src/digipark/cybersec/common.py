"""What the cybersec services share: permissions, who may write, owners, read conditions."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import ColumnElement, false, true
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import field_error
from digipark.crud import Owner
from digipark.registry.models import Enterprise

VIEW = "cybersec.view"  # the infrastructure, and one's own security records
WRITE = "cybersec.write"  # staff: the inventory, advisories, events, every enterprise's records
OWN = "cybersec.own"  # an enterprise: its own grading, data catalogue and ICS assets


def viewers(scope: Scope) -> ColumnElement[bool]:
    return true() if scope.can(VIEW) else false()


def own_or_staff(scope: Scope) -> str:
    return OWN if scope.own_enterprise_only else WRITE


def park_enterprise(session: Session, scope: Scope, park_id: int, enterprise_id: int, field: str) -> Enterprise:
    found: Enterprise | None = session.scalar(
        scope.readable(Enterprise).where(Enterprise.id == enterprise_id, Enterprise.park_id == park_id)
    )
    if found is None:
        raise field_error(field, f"no enterprise {enterprise_id} in this park")
    return found


def enterprise_owner(session: Session, scope: Scope, data: BaseModel) -> Owner:
    """An enterprise user's own enterprise; staff name one of the park's (required)."""
    park_id = scope.acting_write_park(getattr(data, "park_id", None))
    enterprise_id = scope.acting_enterprise(getattr(data, "enterprise_id", None))
    if enterprise_id is None:
        raise field_error("enterprise_id", "required: the enterprise this is for")
    park_enterprise(session, scope, park_id, enterprise_id, "enterprise_id")
    return park_id, enterprise_id
