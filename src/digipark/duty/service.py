"""Duty rosters: park staff keep teams, their members in roster order, shifts on a weekly pattern and date
overrides; `on_duty` answers who is on duty at a moment, and `escalation_roster` the order in which an
unacknowledged alarm walks the people on duty (the heads of the shifts first, then the next members, then the
team leads). Every write goes through the caller's scope and is audited (the tables are `Audited`); nothing
here commits."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import Role, User
from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.errors import NotFound, field_error
from digipark.duty.models import DutyMember, DutyOverride, DutyShift, DutyTeam

VIEW = "duty.view"
WRITE = "duty.write"
STAFF_ROLES = frozenset({Role.PARK_ADMIN.value, Role.OPERATOR.value})
KINDS: dict[str, type[Any]] = {"team": DutyTeam, "member": DutyMember, "shift": DutyShift, "override": DutyOverride}


@dataclasses.dataclass(frozen=True)
class OnDuty:
    """A shift being worked: its team, the shift, the users on it in roster order, the team's lead."""

    team_id: int
    team: str
    shift_id: int
    shift: str
    user_ids: tuple[int, ...]
    lead_user_id: int | None
    team_en: str | None = None
    shift_en: str | None = None


def local_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(get_settings().timezone)


def _park(scope: Scope, park_id: int | None = None) -> int:
    scope.require(WRITE)
    return scope.acting_write_park(park_id)


def _get(session: Session, scope: Scope, model: type[Any], ident: int) -> Any:
    scope.require(VIEW)
    row = session.scalar(scope.readable(model).where(model.id == ident))
    if row is None:
        raise NotFound(f"{model.__tablename__} {ident} not found")
    return row


def _staff_user(session: Session, park_id: int, user_id: int, field: str = "user_id") -> User:
    user = session.get(User, user_id)
    if user is None or user.park_id != park_id or user.role not in STAFF_ROLES or not user.is_active:
        raise field_error(field, "not an active staff member of this park")
    return user


def staff_users(session: Session, *, scope: Scope) -> list[User]:
    """The park's active staff users (who may be put on a roster)."""
    park_id = scope.acting_park(None)
    return list(
        session.scalars(
            select(User)
            .where(User.park_id == park_id, User.role.in_(sorted(STAFF_ROLES)), User.is_active.is_(True))
            .order_by(User.display_name, User.id)
        )
    )


def _english_name(name_en: str | None) -> str | None:
    """An optional English name: blank gives None."""
    name_en = (name_en or "").strip() or None
    if name_en is not None and len(name_en) > 120:
        raise field_error("name_en", "at most 120 characters")
    return name_en


def create_team(
    session: Session, *, scope: Scope, name: str, lead_user_id: int | None = None, name_en: str | None = None
) -> DutyTeam:
    park_id = _park(scope)
    name = name.strip()
    if not name or len(name) > 120:
        raise field_error("name", "1 to 120 characters")
    english = _english_name(name_en)
    if session.scalar(select(DutyTeam.id).where(DutyTeam.park_id == park_id, DutyTeam.name == name)):
        raise field_error("name", "a team of this name exists")
    if lead_user_id is not None:
        _staff_user(session, park_id, lead_user_id, "lead_user_id")
    row = DutyTeam(park_id=park_id, name=name, name_en=english, lead_user_id=lead_user_id)
    session.add(row)
    session.flush()
    return row


def add_member(
    session: Session, *, scope: Scope, team_id: int, user_id: int, position: int = 0, phone: str | None = None
) -> DutyMember:
    team = _get(session, scope, DutyTeam, team_id)
    scope.authorize_write_row(WRITE, team)
    _staff_user(session, team.park_id, user_id)
    if session.scalar(select(DutyMember.id).where(DutyMember.team_id == team.id, DutyMember.user_id == user_id)):
        raise field_error("user_id", "already a member of this team")
    phone = (phone or "").strip() or None
    if phone is not None and not (phone.lstrip("+").isdigit() and 5 <= len(phone) <= 20):
        raise field_error("phone", "a mobile number of digits")
    if not 0 <= position <= 999:
        raise field_error("position", "0 to 999")
    row = DutyMember(park_id=team.park_id, team_id=team.id, user_id=user_id, position=position, phone=phone)
    session.add(row)
    session.flush()
    return row


def add_shift(
    session: Session,
    *,
    scope: Scope,
    team_id: int,
    name: str,
    starts: dt.time,
    ends: dt.time,
    weekdays: list[int],
    name_en: str | None = None,
) -> DutyShift:
    team = _get(session, scope, DutyTeam, team_id)
    scope.authorize_write_row(WRITE, team)
    name = name.strip()
    if not name or len(name) > 120:
        raise field_error("name", "1 to 120 characters")
    english = _english_name(name_en)
    days = sorted(set(weekdays))
    if not days or any(not 0 <= d <= 6 for d in days):
        raise field_error("weekdays", "at least one weekday")
    row = DutyShift(
        park_id=team.park_id, team_id=team.id, name=name, name_en=english, starts=starts, ends=ends, weekdays=days
    )
    session.add(row)
    session.flush()
    return row


def add_override(
    session: Session, *, scope: Scope, shift_id: int, on_date: dt.date, user_id: int | None, off: bool = False
) -> DutyOverride:
    shift = _get(session, scope, DutyShift, shift_id)
    scope.authorize_write_row(WRITE, shift)
    if not off:
        if user_id is None:
            raise field_error("user_id", "choose who heads the shift, or mark it not worked")
        _staff_user(session, shift.park_id, user_id)
    existing = session.scalar(
        select(DutyOverride).where(DutyOverride.shift_id == shift.id, DutyOverride.on_date == on_date)
    )
    if existing is not None:
        session.delete(existing)
        session.flush()
    row = DutyOverride(
        park_id=shift.park_id, shift_id=shift.id, on_date=on_date, user_id=None if off else user_id, off=off
    )
    session.add(row)
    session.flush()
    return row


def delete(session: Session, *, scope: Scope, kind: str, ident: int) -> None:
    model = KINDS.get(kind)
    if model is None:
        raise NotFound(f"no such roster record: {kind}")
    row = _get(session, scope, model, ident)
    scope.authorize_write_row(WRITE, row)
    if model is DutyTeam:  # its members, shifts and overrides go with it (audited one by one)
        for shift in session.scalars(select(DutyShift).where(DutyShift.team_id == row.id)):
            for override in session.scalars(select(DutyOverride).where(DutyOverride.shift_id == shift.id)):
                session.delete(override)
            session.delete(shift)
        for member in session.scalars(select(DutyMember).where(DutyMember.team_id == row.id)):
            session.delete(member)
    elif model is DutyShift:
        for override in session.scalars(select(DutyOverride).where(DutyOverride.shift_id == row.id)):
            session.delete(override)
    session.delete(row)
    session.flush()


def roster(session: Session, *, scope: Scope) -> list[dict[str, Any]]:
    """The park's teams with their members, shifts and overrides (for the roster page)."""
    scope.require(VIEW)
    park_id = scope.acting_park(None)
    teams = session.scalars(scope.readable(DutyTeam).where(DutyTeam.park_id == park_id).order_by(DutyTeam.name))
    out = []
    for team in teams:
        members = session.scalars(
            select(DutyMember).where(DutyMember.team_id == team.id).order_by(DutyMember.position, DutyMember.id)
        ).all()
        shifts = session.scalars(
            select(DutyShift).where(DutyShift.team_id == team.id).order_by(DutyShift.starts, DutyShift.id)
        ).all()
        overrides = {
            s.id: session.scalars(
                select(DutyOverride).where(DutyOverride.shift_id == s.id).order_by(DutyOverride.on_date)
            ).all()
            for s in shifts
        }
        out.append({"team": team, "members": members, "shifts": shifts, "overrides": overrides})
    return out


def _covers(shift: DutyShift, local: dt.datetime) -> dt.date | None:
    """The local date the shift started if it is being worked at `local`, else None."""
    t = local.time()
    if shift.starts < shift.ends:
        inside, start_day = shift.starts <= t < shift.ends, local.date()
    elif t >= shift.starts:  # past midnight (or round the clock when starts == ends)
        inside, start_day = True, local.date()
    else:
        inside, start_day = t < shift.ends, local.date() - dt.timedelta(days=1)
    if not inside or start_day.weekday() not in shift.weekdays:
        return None
    return start_day


def on_duty(session: Session, *, park_id: int, at: dt.datetime | None = None) -> list[OnDuty]:
    """Who is on duty in the park at `at` (UTC; now by default): each shift being worked, its users in roster
    order (a date override's user heads it; an override marked off drops the shift). No scope: the platform's
    own question (escalation, push); pages ask through `on_duty_for`."""
    at = at or dt.datetime.now(dt.UTC)
    local = at.astimezone(local_zone())
    found = []
    teams = {t.id: t for t in session.scalars(select(DutyTeam).where(DutyTeam.park_id == park_id))}
    if not teams:
        return []
    shifts = session.scalars(
        select(DutyShift).where(DutyShift.team_id.in_(sorted(teams))).order_by(DutyShift.team_id, DutyShift.id)
    )
    for shift in shifts:
        day = _covers(shift, local)
        if day is None:
            continue
        override = session.scalar(
            select(DutyOverride).where(DutyOverride.shift_id == shift.id, DutyOverride.on_date == day)
        )
        if override is not None and override.off:
            continue
        users = list(
            session.scalars(
                select(DutyMember.user_id)
                .join(User, User.id == DutyMember.user_id)
                .where(DutyMember.team_id == shift.team_id, User.is_active.is_(True))
                .order_by(DutyMember.position, DutyMember.id)
            )
        )
        if override is not None and override.user_id is not None:
            users = [override.user_id, *[u for u in users if u != override.user_id]]
        team = teams[shift.team_id]
        found.append(
            OnDuty(
                team.id, team.name, shift.id, shift.name, tuple(users), team.lead_user_id, team.name_en, shift.name_en
            )
        )
    return found


def on_duty_for(session: Session, *, scope: Scope, at: dt.datetime | None = None) -> list[OnDuty]:
    scope.require(VIEW)
    return on_duty(session, park_id=scope.acting_park(None), at=at)


def on_duty_user_ids(session: Session, *, park_id: int, at: dt.datetime | None = None) -> set[int]:
    return {u for d in on_duty(session, park_id=park_id, at=at) for u in d.user_ids}


def escalation_roster(session: Session, *, park_id: int, at: dt.datetime | None = None) -> list[int]:
    """The order in which an alarm walks the people on duty: the first of every shift being worked, then the second
    of every shift, …, then the team leads; each user once."""
    shifts = on_duty(session, park_id=park_id, at=at)
    order: list[int] = []
    depth = max((len(s.user_ids) for s in shifts), default=0)
    for i in range(depth):
        for s in shifts:
            if i < len(s.user_ids) and s.user_ids[i] not in order:
                order.append(s.user_ids[i])
    for s in shifts:
        if s.lead_user_id is not None and s.lead_user_id not in order:
            order.append(s.lead_user_id)
    return order


def member_phone(session: Session, *, park_id: int, user_id: int) -> str | None:
    """A roster member's mobile number (the first team that has one)."""
    return session.scalar(
        select(DutyMember.phone)
        .where(DutyMember.park_id == park_id, DutyMember.user_id == user_id, DutyMember.phone.is_not(None))
        .order_by(DutyMember.id)
        .limit(1)
    )
