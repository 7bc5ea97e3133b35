"""Work orders, the teams that do them, the rules that dispatch them, and their photos."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin
from digipark.core.tenancy import Audited, ParkScoped, Visibility


class Category(enum.StrEnum):
    REPAIR = "repair"  # 报修
    CLEANING = "cleaning"  # 保洁
    COMPLAINT = "complaint"  # 投诉
    MAINTENANCE = "maintenance"  # 设备维保
    SECURITY = "security"  # 安防
    OTHER = "other"


class Priority(enum.StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class OriginKind(enum.StrEnum):
    """Who or what raised an order; `origin_ref` names it (a user name, an alarm id, a plan id, an asset id)."""

    PERSON = "person"
    ALARM = "alarm"
    PLAN = "plan"  # a maintenance plan (assets)
    ASSET = "asset"


class State(enum.StrEnum):
    OPEN = "open"  # reported, no team yet
    ASSIGNED = "assigned"  # dispatched to a team
    IN_PROGRESS = "in_progress"
    DONE = "done"  # completed by the team, awaiting the reporter's rating
    CLOSED = "closed"  # rated or closed by staff
    CANCELLED = "cancelled"


OPEN_STATES = (State.OPEN, State.ASSIGNED, State.IN_PROGRESS)


class PhotoStage(enum.StrEnum):
    REPORT = "report"
    COMPLETION = "completion"


class WorkTeam(Audited, TimestampMixin, ParkScoped, Base):
    """A team that takes work orders (property repair, cleaning, security, an equipment maintenance crew)."""

    __tablename__ = "work_team"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    lead: Mapped[str | None] = mapped_column(String(80), doc="who escalations go to first")


class DispatchRule(Audited, TimestampMixin, ParkScoped, Base):
    """Orders of `category` (in `building_id`, or anywhere when None) go to `team_id`; the most specific rule
    wins, then the lowest `rank`."""

    __tablename__ = "work_dispatch_rule"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(20))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("work_team.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(Integer, default=100)


class WorkOrder(Audited, TimestampMixin, ParkScoped, Base):
    """One work order. Who reads it: `workorders.service.read_condition` (staff all, an enterprise its own and
    the ones it reported, a resident the ones it reported)."""

    __tablename__ = "work_order"
    __visibility__ = Visibility.PARK

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    category: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10), default=Priority.NORMAL.value)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200), doc="an order the platform opens: its title in English")
    description: Mapped[str | None] = mapped_column(Text)
    origin_kind: Mapped[str] = mapped_column(String(20), default=OriginKind.PERSON.value)
    origin_ref: Mapped[str | None] = mapped_column(String(80))
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    reporter_name: Mapped[str | None] = mapped_column(String(80))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id", ondelete="SET NULL"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id", ondelete="SET NULL"), index=True)
    floor_id: Mapped[int | None] = mapped_column(ForeignKey("floor.id", ondelete="SET NULL"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"))
    location: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("work_team.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=State.OPEN.value, index=True)
    reported_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime] = mapped_column(doc="the SLA's deadline for completion")
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[dt.datetime | None]
    assigned_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    completion_note: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer, doc="1..5 by the reporter")
    rating_comment: Mapped[str | None] = mapped_column(String(500))


class WorkOrderPhoto(Audited, ParkScoped, Base):
    """A photo of the reported problem or of the finished work."""

    __tablename__ = "work_order_photo"
    __visibility__ = Visibility.PARK
    __audit_exclude__ = frozenset({"content"})

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[dt.datetime]
