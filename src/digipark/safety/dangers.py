"""Hidden dangers (隐患排查治理): found, assigned, rectified and verified, each step in the record's history."""

from __future__ import annotations

import builtins
import datetime as dt

from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.safety.common import (
    WRITE,
    checked_location,
    record_owner,
    refuse_null,
    relocated,
    today,
    writer_permission,
)
from digipark.safety.models import (
    DangerStatus,
    HiddenDanger,
    RiskPoint,
)
from digipark.safety.schemas import (
    Assign,
    HiddenDangerCreate,
    HiddenDangerUpdate,
    Rectify,
    Verify,
)

OPEN_DANGER = (DangerStatus.FOUND.value, DangerStatus.ASSIGNED.value)
UNVERIFIED_DANGER = (DangerStatus.FOUND.value, DangerStatus.ASSIGNED.value, DangerStatus.RECTIFIED.value)
DANGER_TRANSITIONS: dict[str, frozenset[str]] = {
    DangerStatus.FOUND.value: frozenset({DangerStatus.ASSIGNED.value}),
    DangerStatus.ASSIGNED.value: frozenset({DangerStatus.ASSIGNED.value, DangerStatus.RECTIFIED.value}),
    DangerStatus.RECTIFIED.value: frozenset({DangerStatus.VERIFIED.value, DangerStatus.ASSIGNED.value}),
    DangerStatus.VERIFIED.value: frozenset(),
}


DANGER_SPEC = ListSpec(
    filters={
        "park_id": HiddenDanger.park_id,
        "enterprise_id": HiddenDanger.enterprise_id,
        "zone_id": HiddenDanger.zone_id,
        "risk_point_id": HiddenDanger.risk_point_id,
        "status": HiddenDanger.status,
        "grade": HiddenDanger.grade,
    },
    search=[HiddenDanger.title, HiddenDanger.assignee, HiddenDanger.found_by],
    sort={
        "id": HiddenDanger.id,
        "found_on": HiddenDanger.found_on,
        "deadline": HiddenDanger.deadline,
        "status": HiddenDanger.status,
    },
    default_sort="-found_on,-id",
)


def is_overdue(row: HiddenDanger, on: dt.date | None = None) -> bool:
    """Not yet rectified and past its deadline."""
    return row.status in OPEN_DANGER and row.deadline is not None and row.deadline < (on or today())


def list_hidden_dangers(
    session: Session, *, scope: Scope, query: ListQuery, overdue: bool | None = None
) -> tuple[builtins.list[HiddenDanger], int]:
    stmt = scope.readable(HiddenDanger)
    if overdue is True:
        stmt = stmt.where(HiddenDanger.status.in_(OPEN_DANGER), HiddenDanger.deadline < today())
    elif overdue is False:
        stmt = stmt.where(
            (HiddenDanger.status.not_in(OPEN_DANGER))
            | HiddenDanger.deadline.is_(None)
            | (HiddenDanger.deadline >= today())
        )
    return DANGER_SPEC.apply(session, stmt, query)


def get_hidden_danger(session: Session, *, scope: Scope, ident: int) -> HiddenDanger:
    return scope.get_or_404(session, HiddenDanger, ident)


def _risk_point_of(session: Session, scope: Scope, park_id: int, enterprise_id: int | None, ident: int | None) -> None:
    if ident is None:
        return
    point = session.scalar(scope.readable(RiskPoint).where(RiskPoint.id == ident, RiskPoint.park_id == park_id))
    if point is None or (enterprise_id is not None and point.enterprise_id not in (None, enterprise_id)):
        raise field_error("risk_point_id", f"no risk point {ident} of this owner visible to you")


def _history(row: HiddenDanger, scope: Scope, status: str, note: str | None) -> None:
    row.history = [*row.history, {"status": status, "at": utcnow().isoformat(), "by": scope.username, "note": note}]


def create_hidden_danger(session: Session, *, scope: Scope, data: HiddenDangerCreate) -> HiddenDanger:
    park_id, enterprise_id = record_owner(session, scope, data.enterprise_id)
    found_on = data.found_on or today()
    if found_on > today():
        raise field_error("found_on", "must not be in the future")
    if data.deadline is not None and data.deadline < found_on:
        raise field_error("deadline", "must not be before found_on")
    _risk_point_of(session, scope, park_id, enterprise_id, data.risk_point_id)
    values = data.model_dump(exclude={"enterprise_id", "found_on"})
    values.update(checked_location(session, scope, park_id, values))
    values["grade"] = data.grade.value
    row = HiddenDanger(
        park_id=park_id,
        enterprise_id=enterprise_id,
        status=DangerStatus.FOUND.value,
        found_by=scope.username,
        found_on=found_on,
        history=[{"status": "found", "at": utcnow().isoformat(), "by": scope.username, "note": data.description}],
        **values,
    )
    session.add(row)
    session.flush()
    return row


def update_hidden_danger(session: Session, *, scope: Scope, ident: int, data: HiddenDangerUpdate) -> HiddenDanger:
    row = get_hidden_danger(session, scope=scope, ident=ident)
    scope.authorize_write_row(writer_permission(scope), row)
    if row.status == DangerStatus.VERIFIED.value:
        raise Conflict("a verified hidden danger is closed and cannot be changed")
    values = data.model_dump(exclude_unset=True)
    refuse_null(values, ("title", "grade"))
    if "grade" in values:
        values["grade"] = values["grade"].value
    if "risk_point_id" in values:
        _risk_point_of(session, scope, row.park_id, row.enterprise_id, values["risk_point_id"])
    location = relocated(session, scope, row, values)
    for key, value in {**values, **location}.items():
        setattr(row, key, value)
    session.flush()
    return row


def _transition(row: HiddenDanger, target: str) -> None:
    if target not in DANGER_TRANSITIONS[row.status]:
        raise Conflict(
            f"a {row.status} hidden danger cannot become {target}",
            errors=[{"field": "status", "reason": f"{row.status} -> {target} is not allowed"}],
        )


def assign_hidden_danger(session: Session, *, scope: Scope, ident: int, data: Assign) -> HiddenDanger:
    """found → assigned (or re-assigned): who rectifies it, by when, how."""
    row = get_hidden_danger(session, scope=scope, ident=ident)
    scope.authorize_write_row(writer_permission(scope), row)
    _transition(row, DangerStatus.ASSIGNED.value)
    if data.deadline < row.found_on:
        raise field_error("deadline", "must not be before the day it was found")
    row.status = DangerStatus.ASSIGNED.value
    row.assignee, row.deadline = data.assignee, data.deadline
    row.measures = data.measures or row.measures
    _history(row, scope, row.status, f"{data.assignee} · {data.deadline.isoformat()}")
    session.flush()
    return row


def rectify_hidden_danger(session: Session, *, scope: Scope, ident: int, data: Rectify) -> HiddenDanger:
    """assigned → rectified: what was done."""
    row = get_hidden_danger(session, scope=scope, ident=ident)
    scope.authorize_write_row(writer_permission(scope), row)
    _transition(row, DangerStatus.RECTIFIED.value)
    row.status = DangerStatus.RECTIFIED.value
    row.rectification, row.rectified_by, row.rectified_at = data.rectification, scope.username, utcnow()
    _history(row, scope, row.status, data.rectification)
    session.flush()
    return row


def verify_hidden_danger(session: Session, *, scope: Scope, ident: int, data: Verify) -> HiddenDanger:
    """rectified → verified (passed), or back to assigned (failed). The park verifies, never the enterprise."""
    row = get_hidden_danger(session, scope=scope, ident=ident)
    scope.authorize_write(WRITE, park_id=row.park_id)
    target = DangerStatus.VERIFIED.value if data.passed else DangerStatus.ASSIGNED.value
    if row.status != DangerStatus.RECTIFIED.value:
        _transition(row, DangerStatus.VERIFIED.value)
    row.status = target
    if data.passed:
        row.verified_by, row.verified_at = scope.username, utcnow()
    _history(row, scope, "verified" if data.passed else "verification_failed", data.note)
    session.flush()
    return row
