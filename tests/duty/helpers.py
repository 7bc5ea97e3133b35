"""Helpers of the duty tests: a roster of park A (a day team and a night team) made through the service."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from digipark.duty import service
from tests.notices.helpers import scope_of


def users(db: Session) -> dict[str, int]:
    return {name: scope_of(db, "TA", name).user_id or 0 for name in ("park_admin", "operator")}


def day_team(db: Session, *, phone: str | None = None, lead: str | None = "park_admin") -> tuple[int, int]:
    """A team with the operator first and the admin second, a 08:00–20:00 shift Monday to Friday; (team, shift)."""
    admin = scope_of(db, "TA", "park_admin")
    ids = users(db)
    team = service.create_team(db, scope=admin, name="安全值班组", lead_user_id=ids[lead] if lead else None)
    service.add_member(db, scope=admin, team_id=team.id, user_id=ids["operator"], position=0, phone=phone)
    service.add_member(db, scope=admin, team_id=team.id, user_id=ids["park_admin"], position=1)
    shift = service.add_shift(
        db, scope=admin, team_id=team.id, name="白班", starts=dt.time(8), ends=dt.time(20), weekdays=[0, 1, 2, 3, 4]
    )
    return team.id, shift.id


def local(*args: int) -> dt.datetime:
    """A moment in the park's time zone (Asia/Shanghai), as UTC."""
    return dt.datetime(*args, tzinfo=service.local_zone()).astimezone(dt.UTC)  # type: ignore[misc]
