"""What the services' record types share: permissions, who owns a new row, who reads a two-party row."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, false, or_, true
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.errors import field_error
from digipark.crud import Owner
from digipark.registry.models import Enterprise

VIEW = "services.view"
WRITE = "services.write"  # park staff
USE = "services.use"  # an enterprise acting for itself
READ_ALL = "services.read"  # staff and reviewers read every request of the park


def write_permission(scope: Scope) -> str:
    return USE if scope.own_enterprise_only else WRITE


def zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(get_settings().timezone)


def today() -> dt.date:
    return dt.datetime.now(zone()).date()


def park_enterprise(session: Session, scope: Scope, park_id: int, enterprise_id: int, field: str) -> Enterprise:
    """An enterprise of the park the caller may name (422 on `field` otherwise)."""
    found: Enterprise | None = session.scalar(
        scope.readable(Enterprise).where(Enterprise.id == enterprise_id, Enterprise.park_id == park_id)
    )
    if found is None:
        raise field_error(field, f"no enterprise {enterprise_id} in this park")
    return found


def any_park_enterprise(session: Session, park_id: int, enterprise_id: int, field: str) -> Enterprise:
    """An enterprise of the park, whoever asks (a counterpart: a customer, a lead enterprise)."""
    found = session.get(Enterprise, enterprise_id)
    if found is None or found.park_id != park_id:
        raise field_error(field, f"no enterprise {enterprise_id} in this park")
    return found


def enterprise_owner(session: Session, scope: Scope, data: BaseModel) -> Owner:
    """An enterprise user's own enterprise; staff name one of the park's (none: the park's own row)."""
    park_id = scope.acting_write_park(getattr(data, "park_id", None))
    enterprise_id = scope.acting_enterprise(getattr(data, "enterprise_id", None))
    if enterprise_id is not None:
        park_enterprise(session, scope, park_id, enterprise_id, "enterprise_id")
    return park_id, enterprise_id


def required_enterprise_owner(session: Session, scope: Scope, data: BaseModel) -> Owner:
    """As `enterprise_owner`, but the row must belong to an enterprise (staff name it)."""
    park_id, enterprise_id = enterprise_owner(session, scope, data)
    if enterprise_id is None:
        raise field_error("enterprise_id", "required: the enterprise this is for")
    return park_id, enterprise_id


def two_party(owner: Any, counterpart: Any) -> Any:
    """A read condition for rows of two parties: staff read all, an enterprise reads rows it owns or is the
    counterpart of; anyone else none."""

    def condition(scope: Scope) -> ColumnElement[bool]:
        if scope.can(READ_ALL):
            return true()
        if scope.own_enterprise_only and scope.enterprise_id is not None and scope.can(VIEW):
            return or_(owner == scope.enterprise_id, counterpart == scope.enterprise_id)
        return false()

    return condition


def viewers(scope: Scope) -> ColumnElement[bool]:
    """Public market rows (catalogue, board, listings): every member of the park with the view permission."""
    return true() if scope.can(VIEW) else false()
