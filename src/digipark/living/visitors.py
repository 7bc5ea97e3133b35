"""Visitors and access: a member of the park invites a visitor for a time window (a QR pass, optionally a reserved
parking space); the gates report what they see (a pass's QR token or a plate) and get a decision checked against
the passes, the time window and the blacklist; entries and exits make the live list of who is in the park."""

from __future__ import annotations

import builtins
import datetime as dt
import io
import secrets

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound, PermissionDenied, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.crud import RecordType
from digipark.living.models import (
    AccessEvent,
    BlacklistEntry,
    CarPark,
    Decision,
    Direction,
    PassState,
    VisitorPass,
)
from digipark.living.schemas import (
    BlacklistCreate,
    BlacklistRead,
    BlacklistUpdate,
    GateEvent,
    InPark,
    PassCreate,
    PassRead,
)

VIEW = "living.view"
INVITE = "living.invite"
GATE = "living.gate"  # gates and the staff who run them
MANAGE = "living.manage"
MAX_PASS_DAYS = 31


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def pass_state(row: VisitorPass, at: dt.datetime) -> PassState:
    """Whether a pass lets its visitor in at `at`: the window includes its start and excludes its end."""
    if row.revoked:
        return PassState.REVOKED
    if at < _aware(row.valid_from):
        return PassState.NOT_YET
    if at >= _aware(row.valid_until):
        return PassState.EXPIRED
    return PassState.VALID


def read_condition(scope: Scope) -> ColumnElement[bool]:
    """Staff read every pass of the park; an enterprise user its enterprise's; a resident the ones it issued."""
    if not scope.can(VIEW):
        return false()
    if scope.is_staff:
        return true()
    mine = VisitorPass.host_user_id == scope.user_id if scope.user_id is not None else false()
    if scope.role == Role.ENTERPRISE and scope.enterprise_id is not None:
        return or_(mine, VisitorPass.enterprise_id == scope.enterprise_id)
    return mine


PASS_SPEC = ListSpec(
    filters={"park_id": VisitorPass.park_id, "enterprise_id": VisitorPass.enterprise_id, "plate": VisitorPass.plate},
    search=[VisitorPass.visitor_name, VisitorPass.plate],
    sort={"id": VisitorPass.id, "valid_from": VisitorPass.valid_from},
    default_sort="-valid_from,-id",
)


def list_passes(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[VisitorPass], int]:
    return PASS_SPEC.apply(session, scope.readable(VisitorPass).where(read_condition(scope)), query)


def get_pass(session: Session, *, scope: Scope, ident: int) -> VisitorPass:
    row: VisitorPass | None = session.scalar(
        scope.readable(VisitorPass).where(read_condition(scope), VisitorPass.id == ident)
    )
    if row is None:
        raise NotFound(f"visitor pass {ident} not found")
    return row


def pass_read(row: VisitorPass, at: dt.datetime | None = None) -> PassRead:
    values = {name: getattr(row, name) for name in PassRead.model_fields if name != "state"}
    return PassRead.model_validate({**values, "state": pass_state(row, at or utcnow())})


def create_pass(session: Session, *, scope: Scope, data: PassCreate) -> VisitorPass:
    """Invite a visitor. Every member of the park invites (residents too) in its own park; staff for any host."""
    scope.require(INVITE)
    if scope.is_staff:
        park_id = scope.acting_write_park(data.park_id)
    elif scope.park_id is None or (data.park_id is not None and data.park_id != scope.park_id):
        raise NotFound(f"park {data.park_id} not found")
    else:
        park_id = scope.park_id
    valid_from, valid_until = _aware(data.valid_from), _aware(data.valid_until)
    if valid_until <= valid_from:
        raise field_error("valid_until", "must be after valid_from")
    if valid_until - valid_from > dt.timedelta(days=MAX_PASS_DAYS):
        raise field_error("valid_until", f"a pass is valid for at most {MAX_PASS_DAYS} days")
    if valid_until <= utcnow():
        raise field_error("valid_until", "already past")
    if data.car_park_id is not None:
        _reserve(session, park_id, data.car_park_id, valid_from, valid_until, data.plate)
    row = VisitorPass(
        park_id=park_id,
        token=secrets.token_hex(16),
        visitor_name=data.visitor_name,
        visitor_phone=data.visitor_phone,
        plate=data.plate,
        purpose=data.purpose,
        host_user_id=scope.user_id,
        host_name=scope.username,
        enterprise_id=scope.enterprise_id if scope.role == Role.ENTERPRISE else None,
        valid_from=valid_from,
        valid_until=valid_until,
        revoked=False,
        car_park_id=data.car_park_id,
    )
    session.add(row)
    session.flush()
    return row


def _reserve(
    session: Session, park_id: int, car_park_id: int, start: dt.datetime, end: dt.datetime, plate: str | None
) -> None:
    car_park = session.get(CarPark, car_park_id)
    if car_park is None or car_park.park_id != park_id:
        raise field_error("car_park_id", "no such car park in this park")
    if plate is None:
        raise field_error("plate", "a parking reservation needs the car's plate")
    overlapping = session.scalar(
        select(func.count())
        .select_from(VisitorPass)
        .where(
            VisitorPass.car_park_id == car_park_id,
            VisitorPass.revoked.is_(False),
            VisitorPass.valid_from < end,
            VisitorPass.valid_until > start,
        )
    )
    if (overlapping or 0) >= car_park.visitor_spaces:
        raise Conflict(f"{car_park.name}: no visitor space free in that window")


def revoke_pass(session: Session, *, scope: Scope, ident: int) -> VisitorPass:
    row = get_pass(session, scope=scope, ident=ident)
    if not (scope.user_id is not None and row.host_user_id == scope.user_id) and not (
        scope.can(MANAGE) and row.park_id in scope.write_parks
    ):
        raise PermissionDenied("only the host or park staff revoke a pass")
    row.revoked = True
    session.flush()
    return row


def qr_svg(row: VisitorPass) -> str:
    """The pass's QR code (its token) as SVG."""
    import segno

    out = io.BytesIO()
    segno.make(f"DPPASS:{row.token}", error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False)
    return out.getvalue().decode("utf-8")


# -- gates ------------------------------------------------------------------------------------------------------
def _blacklisted(session: Session, park_id: int, phone: str | None, plate: str | None) -> BlacklistEntry | None:
    values = [v.upper() for v in (phone, plate) if v]
    if not values:
        return None
    found: BlacklistEntry | None = session.scalar(
        select(BlacklistEntry).where(BlacklistEntry.park_id == park_id, BlacklistEntry.value.in_(values)).limit(1)
    )
    return found


def check_access(
    session: Session, *, park_id: int, event: GateEvent, at: dt.datetime
) -> tuple[Decision, str, VisitorPass | None]:
    """The gate's decision: a known pass (by token, or by plate among the passes valid now) in its window and not
    blacklisted. An exit is always let through (and recorded)."""
    row: VisitorPass | None = None
    if event.token:
        row = session.scalar(
            select(VisitorPass).where(VisitorPass.park_id == park_id, VisitorPass.token == event.token)
        )
    elif event.plate:
        row = session.scalar(
            select(VisitorPass)
            .where(
                VisitorPass.park_id == park_id,
                VisitorPass.plate == event.plate,
                VisitorPass.revoked.is_(False),
                VisitorPass.valid_from <= at,
                VisitorPass.valid_until > at,
            )
            .order_by(VisitorPass.valid_from.desc())
            .limit(1)
        )
    if event.direction == Direction.OUT:
        return Decision.ALLOWED, "exit", row
    listed = _blacklisted(
        session, park_id, row.visitor_phone if row else None, event.plate or (row.plate if row else None)
    )
    if listed is not None:
        return Decision.DENIED, "blacklisted", row
    if row is None:
        return Decision.DENIED, "no pass", None
    state = pass_state(row, at)
    if state != PassState.VALID:
        return Decision.DENIED, f"pass {state.value}", row
    return Decision.ALLOWED, "valid pass", row


def record_gate_event(session: Session, *, scope: Scope, event: GateEvent) -> tuple[AccessEvent, VisitorPass | None]:
    """A gate reports a pass or plate (a gate's service account, or staff at the gate): decide, record, and keep
    the visitor's entry and exit."""
    scope.require(GATE)
    park_id = scope.acting_write_park(None)
    if not event.token and not event.plate:
        raise field_error("token", "a gate reports a pass token or a plate")
    at = _aware(event.at) if event.at else utcnow()
    decision, reason, row = check_access(session, park_id=park_id, event=event, at=at)
    if decision == Decision.ALLOWED and row is not None:
        if event.direction == Direction.IN:
            row.entered_at, row.left_at = at, None
        else:
            row.left_at = at
    record = AccessEvent(
        park_id=park_id,
        gate=event.gate,
        direction=event.direction.value,
        at=at,
        token=event.token,
        plate=event.plate,
        pass_id=row.id if row else None,
        car_park_id=event.car_park_id,
        decision=decision.value,
        reason=reason,
    )
    session.add(record)
    session.flush()
    return record, row


def in_park(session: Session, *, scope: Scope, park_id: int | None = None) -> builtins.list[InPark]:
    """The visitors in the park now: entered through a gate and not yet left (staff)."""
    scope.require(GATE)
    park = scope.acting_park(park_id)
    rows = session.scalars(
        scope.readable(VisitorPass)
        .where(VisitorPass.park_id == park, VisitorPass.entered_at.is_not(None), VisitorPass.left_at.is_(None))
        .order_by(VisitorPass.entered_at.desc())
    )
    return [
        InPark(
            pass_id=r.id,
            visitor_name=r.visitor_name,
            host_name=r.host_name,
            plate=r.plate,
            entered_at=r.entered_at,
            valid_until=r.valid_until,
        )
        for r in rows
        if r.entered_at is not None
    ]


def events(
    session: Session, *, scope: Scope, park_id: int | None = None, limit: int = 50
) -> builtins.list[AccessEvent]:
    scope.require(GATE)
    park = scope.acting_park(park_id)
    stmt = scope.readable(AccessEvent).where(AccessEvent.park_id == park).order_by(AccessEvent.at.desc()).limit(limit)
    return builtins.list(session.scalars(stmt))


BLACKLIST: RecordType[BlacklistEntry] = RecordType(
    name="blacklist_entry",
    model=BlacklistEntry,
    create_schema=BlacklistCreate,
    update_schema=BlacklistUpdate,
    read_schema=BlacklistRead,
    list_spec=ListSpec(
        filters={"park_id": BlacklistEntry.park_id, "kind": BlacklistEntry.kind},
        search=[BlacklistEntry.value, BlacklistEntry.reason],
        sort={"id": BlacklistEntry.id},
    ),
    write_permission=MANAGE,
)
