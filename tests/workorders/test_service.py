"""Work orders: dispatch by rules, the team's steps, rating, photos, who reads which order, and SLA escalation
with frozen time."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy.orm import Session

from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.workorders import provides, service
from digipark.workorders.models import PhotoStage, State
from digipark.workorders.schemas import RuleCreate, TeamCreate, WorkOrderCreate
from tests.conftest import World
from tests.workorders.helpers import other_resident, png, scope_of

ALL = ListQuery(page_size=500)


def _team(db: Session, name: str = "物业维修班") -> int:
    return service.TEAMS.create(db, scope=scope_of(db, "TA", "park_admin"), data=TeamCreate(name=name)).id


def _rule(db: Session, team_id: int, category: str = "repair", building_id: int | None = None, rank: int = 100) -> None:
    data = RuleCreate(category=category, team_id=team_id, building_id=building_id, rank=rank)
    service.RULES.create(db, scope=scope_of(db, "TA", "park_admin"), data=data)


def _visible(db: Session, scope_name: str) -> set[int]:
    rows, _ = service.list_orders(db, scope=scope_of(db, "TA", scope_name), query=ALL)
    return {r.id for r in rows}


def test_a_resident_reports_and_the_rules_dispatch_it(db: Session, world: World) -> None:
    anywhere, in_building = _team(db, "全园维修"), _team(db, "一号楼维修")
    _rule(db, anywhere)
    _rule(db, in_building, building_id=world.a.building_id, rank=500)
    resident = scope_of(db, "TA", "resident")
    here = service.report(
        db,
        scope=resident,
        data=WorkOrderCreate(title="水管漏水", building_id=world.a.building_id, floor_id=world.a.floor_id),
    )
    elsewhere = service.report(db, scope=resident, data=WorkOrderCreate(title="路灯不亮"))
    cleaning = service.report(db, scope=resident, data=WorkOrderCreate(title="地面脏", category="cleaning"))
    # the rule for the building wins over the park-wide one even with a worse rank
    assert (here.team_id, here.state) == (in_building, State.ASSIGNED.value)
    assert (elsewhere.team_id, elsewhere.state) == (anywhere, State.ASSIGNED.value)
    assert (cleaning.team_id, cleaning.state) == (None, State.OPEN.value)  # no rule for cleaning
    assert here.reporter_user_id == resident.user_id and here.park_id == world.a.park_id


def test_the_location_must_be_of_the_park(db: Session, world: World) -> None:
    resident = scope_of(db, "TA", "resident")
    with pytest.raises(ValidationFailed):
        service.report(db, scope=resident, data=WorkOrderCreate(title="x", building_id=world.b.building_id))
    with pytest.raises(ValidationFailed):
        service.report(
            db, scope=resident, data=WorkOrderCreate(title="x", floor_id=world.b.floor_id, room_id=world.a.room_id)
        )
    with pytest.raises(NotFound):  # a resident reports in its own park only
        service.report(db, scope=resident, data=WorkOrderCreate(title="x", park_id=world.b.park_id))
    with pytest.raises(ValidationFailed):  # only staff raise orders from alarms
        service.report(db, scope=resident, data=WorkOrderCreate(title="x", origin_kind="alarm", origin_ref="7"))


def test_residents_see_only_their_own_orders(db: Session, world: World) -> None:
    mine = service.report(db, scope=scope_of(db, "TA", "resident"), data=WorkOrderCreate(title="我的报修")).id
    theirs = service.report(db, scope=other_resident(db, world), data=WorkOrderCreate(title="邻居的报修")).id
    of_enterprise = service.report(
        db, scope=scope_of(db, "TA", "enterprise"), data=WorkOrderCreate(title="企业报修")
    ).id
    assert {mine, theirs, of_enterprise} <= _visible(db, "operator")
    assert {mine, theirs, of_enterprise} <= _visible(db, "reviewer")
    assert _visible(db, "resident") & {mine, theirs, of_enterprise} == {mine}
    assert _visible(db, "enterprise") & {mine, theirs, of_enterprise} == {of_enterprise}
    assert not _visible(db, "enterprise2") & {mine, theirs, of_enterprise}
    rows, _ = service.list_orders(db, scope=scope_of(db, "TB", "park_admin"), query=ALL)
    assert not {r.id for r in rows} & {mine, theirs, of_enterprise}
    with pytest.raises(NotFound):
        service.get_order(db, scope=scope_of(db, "TA", "resident"), ident=theirs)
    with pytest.raises(NotFound):
        service.photos(db, scope=other_resident(db, world), ident=mine)


def test_the_team_works_it_and_the_reporter_rates_it(db: Session, world: World) -> None:
    team = _team(db)
    resident = scope_of(db, "TA", "resident")
    operator = scope_of(db, "TA", "operator")
    row = service.report(db, scope=resident, data=WorkOrderCreate(title="门锁坏了"))
    service.add_photo(
        db,
        scope=resident,
        ident=row.id,
        stage=PhotoStage.REPORT,
        filename="a.png",
        content_type="image/png",
        content=png(),
    )
    with pytest.raises(PermissionDenied):  # a resident does not dispatch or complete
        service.assign(db, scope=resident, ident=row.id, team_id=team)
    with pytest.raises(PermissionDenied):
        service.add_photo(
            db,
            scope=resident,
            ident=row.id,
            stage=PhotoStage.COMPLETION,
            filename="b.png",
            content_type="image/png",
            content=png(),
        )
    with pytest.raises(ValidationFailed):  # no rule and no team named
        service.assign(db, scope=operator, ident=row.id, team_id=None)
    service.assign(db, scope=operator, ident=row.id, team_id=team)
    with pytest.raises(Conflict):  # not done yet
        service.rate(db, scope=resident, ident=row.id, rating=5, comment=None)
    service.start(db, scope=operator, ident=row.id)
    service.add_photo(
        db,
        scope=operator,
        ident=row.id,
        stage=PhotoStage.COMPLETION,
        filename="b.png",
        content_type="image/png",
        content=png(),
    )
    service.complete(db, scope=operator, ident=row.id, note="已更换锁芯")
    assert row.state == State.DONE.value and row.completed_at is not None
    with pytest.raises(NotFound):  # another resident does not even see it
        service.rate(db, scope=other_resident(db, world), ident=row.id, rating=1, comment=None)
    with pytest.raises(PermissionDenied):  # only the reporter rates
        service.rate(db, scope=operator, ident=row.id, rating=1, comment=None)
    service.rate(db, scope=resident, ident=row.id, rating=4, comment="及时")
    assert (row.state, row.rating) == (State.CLOSED.value, 4)
    assert [p.stage for p in service.photos(db, scope=resident, ident=row.id)] == ["report", "completion"]


def test_a_photo_must_be_an_image(db: Session) -> None:
    resident = scope_of(db, "TA", "resident")
    row = service.report(db, scope=resident, data=WorkOrderCreate(title="x"))
    with pytest.raises(Exception) as failure:
        service.add_photo(
            db,
            scope=resident,
            ident=row.id,
            stage=PhotoStage.REPORT,
            filename="a.png",
            content_type="image/png",
            content=b"not an image",
        )
    assert getattr(failure.value, "status", None) in (415, 422)


def test_sla_escalation_with_frozen_time(db: Session) -> None:
    resident = scope_of(db, "TA", "resident")
    start = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        urgent = service.report(db, scope=resident, data=WorkOrderCreate(title="电梯困人", priority="urgent"))
        normal = service.report(db, scope=resident, data=WorkOrderCreate(title="灯不亮"))
    urgent_span = service.sla_span("repair", "urgent")
    normal_span = service.sla_span("repair", "normal")
    assert urgent_span < normal_span
    assert urgent.due_at == start + urgent_span and normal.due_at == start + normal_span

    def escalate_at(moment: dt.datetime) -> set[int]:
        with time_machine.travel(moment, tick=False):
            return {r.id for r in service.escalate_overdue(db)} & {urgent.id, normal.id}

    assert escalate_at(start + urgent_span - dt.timedelta(seconds=1)) == set()
    assert urgent.escalation_level == 0
    assert escalate_at(start + urgent_span) == {urgent.id}
    assert (urgent.escalation_level, normal.escalation_level) == (1, 0)
    assert escalate_at(start + urgent_span + dt.timedelta(minutes=1)) == set()  # already at that level
    assert escalate_at(start + 2 * urgent_span) == {urgent.id}
    assert urgent.escalation_level == 2
    assert escalate_at(start + normal_span) == {normal.id}
    assert escalate_at(start + 10 * normal_span) == {normal.id}
    assert (urgent.escalation_level, normal.escalation_level) == (2, 2)  # the policy's highest level
    # a completed order is not escalated
    operator = scope_of(db, "TA", "operator")
    late = service.report(db, scope=resident, data=WorkOrderCreate(title="完工的", priority="urgent"))
    service.assign(db, scope=operator, ident=late.id, team_id=_team(db))
    service.complete(db, scope=operator, ident=late.id, note=None)
    with time_machine.travel(late.due_at + dt.timedelta(days=3), tick=False):
        assert late.id not in {r.id for r in service.escalate_overdue(db)}


def test_other_domains_open_orders_through_provides(db: Session, world: World) -> None:
    operator = scope_of(db, "TA", "operator")
    data = provides.WorkOrderCreate(
        title="风机振动超限",
        category="maintenance",
        origin_kind="asset",
        origin_ref="asset:42",
        building_id=world.a.building_id,
    )
    opened = provides.open_order(db, scope=operator, data=data)
    assert (opened.origin_kind, opened.origin_ref) == ("asset", "asset:42")
    assert provides.read_order(db, scope=operator, ident=opened.id).id == opened.id
    assert opened.id in [
        o.id for o in provides.open_orders_by_room(db, scope=operator, building_id=world.a.building_id)[0]
    ]
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    before = provides.count_reported(db, park_id=world.a.park_id, since=since)
    service.report(db, scope=scope_of(db, "TA", "resident"), data=WorkOrderCreate(title="x"))
    assert provides.count_reported(db, park_id=world.a.park_id, since=since) == before + 1
