"""The demo park's duty roster: a safety duty team of the demo's operator and administrator (the administrator also
leads it) on one round-the-clock shift every day, so that the demo always has someone on duty."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.models import User
from digipark.duty.models import DutyMember, DutyShift, DutyTeam

DEMO_MEMBERS = ("operator", "admin")  # roster order


def build_duty_demo(session: Session, *, park_id: int, as_of: dt.date, seed: int) -> dict[str, int]:
    """The demo roster (none when the park has a duty team already, or the demo accounts are missing)."""
    if session.scalar(select(func.count()).select_from(DutyTeam).where(DutyTeam.park_id == park_id)):
        return {"duty_teams": 0}
    users = {
        u.username: u
        for u in session.scalars(select(User).where(User.park_id == park_id, User.username.in_(DEMO_MEMBERS)))
    }
    if not all(name in users for name in DEMO_MEMBERS):
        return {"duty_teams": 0}
    team = DutyTeam(park_id=park_id, name="安全值班组", name_en="Safety duty team", lead_user_id=users["admin"].id)
    session.add(team)
    session.flush()
    for position, name in enumerate(DEMO_MEMBERS):
        session.add(DutyMember(park_id=park_id, team_id=team.id, user_id=users[name].id, position=position))
    session.add(
        DutyShift(
            park_id=park_id,
            team_id=team.id,
            name="全天值班",
            name_en="Round-the-clock duty",
            starts=dt.time(8),
            ends=dt.time(8),  # starts == ends: round the clock
            weekdays=list(range(7)),
        )
    )
    session.flush()
    return {"duty_teams": 1}
