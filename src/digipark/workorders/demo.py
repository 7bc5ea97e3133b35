"""The demo park's property teams, their dispatch rules and a few weeks of work orders in every state (declared in
workorders.module)."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.models import Role, User
from digipark.registry.models import Building, Room
from digipark.workorders.models import Category, DispatchRule, OriginKind, Priority, State, WorkOrder, WorkTeam
from digipark.workorders.service import sla_span

TEAMS = (
    ("物业维修班", "0571-8890-1001", "王建国", (Category.REPAIR,)),
    ("保洁服务组", "0571-8890-1002", "李秀英", (Category.CLEANING,)),
    ("客服中心", "0571-8890-1000", "陈静", (Category.COMPLAINT, Category.OTHER)),
    ("设备维保组", "0571-8890-1003", "赵志强", (Category.MAINTENANCE,)),
    ("安保队", "0571-8890-1110", "刘勇", (Category.SECURITY,)),
)

# (title, category, priority, days before the demo's day, final state, rating)
ORDERS: tuple[tuple[str, Category, Priority, float, State, int | None], ...] = (
    ("三楼茶水间水龙头漏水", Category.REPAIR, Priority.NORMAL, 12, State.CLOSED, 5),
    ("会议室空调不制冷", Category.REPAIR, Priority.URGENT, 9, State.CLOSED, 4),
    ("电梯厅地面有油污", Category.CLEANING, Priority.NORMAL, 6, State.CLOSED, 5),
    ("地下车库照明灯不亮", Category.REPAIR, Priority.NORMAL, 4, State.DONE, None),
    ("夜间施工噪声扰民", Category.COMPLAINT, Priority.NORMAL, 3, State.IN_PROGRESS, None),
    ("卫生间感应水龙头失灵", Category.REPAIR, Priority.NORMAL, 2, State.ASSIGNED, None),
    ("配电房排风机异响", Category.MAINTENANCE, Priority.URGENT, 1.5, State.IN_PROGRESS, None),
    ("东门道闸抬杆缓慢", Category.REPAIR, Priority.NORMAL, 0.3, State.ASSIGNED, None),
    ("垃圾分类点满溢", Category.CLEANING, Priority.URGENT, 0.1, State.OPEN, None),
)


def build_workorders_demo(session: Session, *, park_id: int, as_of: dt.date, seed: int) -> dict[str, int]:
    """Teams, rules and orders of the demo park (none when it has teams already)."""
    if session.scalar(select(func.count()).select_from(WorkTeam).where(WorkTeam.park_id == park_id)):
        return {"work_teams": 0, "work_orders": 0}
    rng = random.Random(seed)
    team_of: dict[str, int] = {}
    for name, phone, lead, categories in TEAMS:
        team = WorkTeam(park_id=park_id, name=name, phone=phone, lead=lead)
        session.add(team)
        session.flush()
        for category in categories:
            session.add(DispatchRule(park_id=park_id, category=category.value, team_id=team.id, rank=100))
            team_of[category.value] = team.id
    buildings = [*session.scalars(select(Building).where(Building.park_id == park_id).order_by(Building.code))]
    reporters = [
        *session.scalars(
            select(User)
            .where(User.park_id == park_id, User.role.in_([Role.RESIDENT, Role.ENTERPRISE]))
            .order_by(User.id)
        )
    ]
    noon = dt.datetime.combine(as_of, dt.time(4, 0), tzinfo=dt.UTC)  # 12:00 in Shanghai
    for n, (title, category, priority, days_before, state, rating) in enumerate(ORDERS, start=1):
        reported = noon - dt.timedelta(days=days_before)
        building = rng.choice(buildings) if buildings else None
        room = (
            session.scalar(select(Room).where(Room.building_id == building.id).order_by(Room.code).limit(1))
            if building
            else None
        )
        reporter = reporters[n % len(reporters)] if reporters else None
        order = WorkOrder(
            park_id=park_id,
            code=f"WO{park_id}-{reported:%Y%m%d}-{n:04d}",
            category=category.value,
            priority=priority.value,
            title=title,
            origin_kind=OriginKind.PERSON.value,
            origin_ref=reporter.username if reporter else None,
            reporter_user_id=reporter.id if reporter else None,
            reporter_name=reporter.display_name if reporter else None,
            enterprise_id=reporter.enterprise_id if reporter else None,
            building_id=building.id if building else None,
            floor_id=room.floor_id if room else None,
            room_id=room.id if room else None,
            state=state.value,
            reported_at=reported,
            due_at=reported + sla_span(category.value, priority.value),
            escalation_level=0,
        )
        if state != State.OPEN:
            order.team_id = team_of.get(category.value)
            order.assigned_at = reported + dt.timedelta(minutes=rng.randint(5, 40))
        if state in (State.IN_PROGRESS, State.DONE, State.CLOSED):
            order.started_at = reported + dt.timedelta(hours=rng.uniform(0.5, 2))
        if state in (State.DONE, State.CLOSED):
            order.completed_at = reported + dt.timedelta(hours=rng.uniform(2, 6))
            order.completion_note = "已处理完毕，现场恢复正常。"
        order.rating = rating
        session.add(order)
    session.flush()
    return {"work_teams": len(TEAMS), "work_orders": len(ORDERS)}
