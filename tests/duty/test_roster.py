"""Duty rosters: who is on duty follows the weekly pattern in the park's time zone (a night shift past midnight
belongs to the day it starts), date overrides put another person at the head or drop the shift, the escalation order
walks the heads of the shifts, then the next members, then the leads; only park admins write, every write is
audited, and nobody outside the park reads or writes a roster."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.core.errors import NotFound, PermissionDenied, ValidationFailed
from digipark.duty import provides, service
from tests.conftest import World
from tests.duty.helpers import day_team, local, users
from tests.notices.helpers import scope_of

# 2026-12-07 is a Monday
MONDAY_NOON = local(2026, 12, 7, 12, 0)


def test_on_duty_follows_the_weekly_pattern_in_the_park_time_zone(db: Session, world: World) -> None:
    team, shift = day_team(db)
    ids = users(db)
    [now] = provides.on_duty(db, park_id=world.a.park_id, at=MONDAY_NOON)
    assert (now.team_id, now.shift_id, now.user_ids) == (team, shift, (ids["operator"], ids["park_admin"]))
    assert now.lead_user_id == ids["park_admin"]
    assert provides.on_duty(db, park_id=world.a.park_id, at=local(2026, 12, 7, 7, 59)) == []  # before 08:00 local
    assert provides.on_duty(db, park_id=world.a.park_id, at=local(2026, 12, 7, 20, 0)) == []  # ends at 20:00
    assert provides.on_duty(db, park_id=world.a.park_id, at=local(2026, 12, 12, 12, 0)) == []  # Saturday
    # 04:00 UTC is 12:00 in Shanghai
    assert provides.on_duty(db, park_id=world.a.park_id, at=dt.datetime(2026, 12, 7, 4, 0, tzinfo=dt.UTC))
    assert provides.on_duty(db, park_id=world.b.park_id, at=MONDAY_NOON) == []  # another park's roster


def test_a_night_shift_past_midnight_belongs_to_the_day_it_starts(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    ids = users(db)
    team = service.create_team(db, scope=admin, name="夜班组")
    service.add_member(db, scope=admin, team_id=team.id, user_id=ids["operator"])
    service.add_shift(
        db, scope=admin, team_id=team.id, name="夜班", starts=dt.time(20), ends=dt.time(8), weekdays=[4]
    )  # Friday night
    on = provides.on_duty_user_ids
    assert on(db, park_id=world.a.park_id, at=local(2026, 12, 11, 23, 0)) == {ids["operator"]}  # Friday 23:00
    assert on(db, park_id=world.a.park_id, at=local(2026, 12, 12, 7, 30)) == {ids["operator"]}  # Saturday 07:30
    assert on(db, park_id=world.a.park_id, at=local(2026, 12, 12, 8, 0)) == set()
    assert on(db, park_id=world.a.park_id, at=local(2026, 12, 10, 23, 0)) == set()  # Thursday night
    assert on(db, park_id=world.a.park_id, at=local(2026, 12, 11, 7, 0)) == set()  # Friday morning: Thursday's


def test_date_overrides_head_the_shift_or_drop_it(db: Session, world: World) -> None:
    _, shift = day_team(db)
    ids = users(db)
    admin = scope_of(db, "TA", "park_admin")
    service.add_override(db, scope=admin, shift_id=shift, on_date=dt.date(2026, 12, 7), user_id=ids["park_admin"])
    [now] = provides.on_duty(db, park_id=world.a.park_id, at=MONDAY_NOON)
    assert now.user_ids == (ids["park_admin"], ids["operator"])
    service.add_override(db, scope=admin, shift_id=shift, on_date=dt.date(2026, 12, 7), user_id=None, off=True)
    assert provides.on_duty(db, park_id=world.a.park_id, at=MONDAY_NOON) == []  # replaced: one override a day
    assert provides.on_duty(db, park_id=world.a.park_id, at=local(2026, 12, 8, 12, 0))  # Tuesday as usual


def test_the_escalation_order_walks_the_roster_then_the_leads(db: Session, world: World) -> None:
    ids = users(db)
    day_team(db, lead="operator")
    assert provides.escalation_roster(db, park_id=world.a.park_id, at=MONDAY_NOON) == [
        ids["operator"],
        ids["park_admin"],
    ]
    assert provides.escalation_roster(db, park_id=world.a.park_id, at=local(2026, 12, 12, 12, 0)) == []


def test_only_park_admins_write_and_every_write_is_audited(db: Session, world: World) -> None:
    team, shift = day_team(db)
    operator = scope_of(db, "TA", "operator")
    with pytest.raises(PermissionDenied):
        service.create_team(db, scope=operator, name="x")
    with pytest.raises(PermissionDenied):
        service.delete(db, scope=operator, kind="shift", ident=shift)
    with pytest.raises(PermissionDenied):
        service.roster(db, scope=scope_of(db, "TA", "enterprise"))
    other_admin = scope_of(db, "TB", "park_admin")
    with pytest.raises(NotFound):
        service.add_member(db, scope=other_admin, team_id=team, user_id=other_admin.user_id or 0)
    assert service.roster(db, scope=other_admin) == []
    admin = scope_of(db, "TA", "park_admin")
    with pytest.raises(ValidationFailed):  # another park's user cannot be put on the roster
        service.add_member(db, scope=admin, team_id=team, user_id=other_admin.user_id or 0)
    with pytest.raises(ValidationFailed):  # an enterprise user neither
        service.add_member(db, scope=admin, team_id=team, user_id=scope_of(db, "TA", "enterprise").user_id or 0)
    with pytest.raises(ValidationFailed):
        service.add_shift(db, scope=admin, team_id=team, name="x", starts=dt.time(1), ends=dt.time(2), weekdays=[])
    service.delete(db, scope=admin, kind="team", ident=team)
    db.flush()
    tables = [
        (row.entity_type, row.action, row.actor)
        for row in db.scalars(select(AuditEntry).where(AuditEntry.entity_type.like("duty_%")).order_by(AuditEntry.id))
    ]
    tables = [(t, a) for t, a, _ in tables]
    assert ("duty_team", "create") in tables and ("duty_member", "create") in tables
    assert ("duty_shift", "delete") in tables and ("duty_team", "delete") in tables
