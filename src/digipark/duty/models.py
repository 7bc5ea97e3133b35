"""Duty roster tables: a team of the park with its members in roster order (the first answers first, the next
when the first does not acknowledge in time) and its lead; the team's shifts (local start and end times in the
park's time zone, on the weekdays of a weekly pattern); date overrides (on a date, a shift is headed by another
member, or not worked)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin
from digipark.core.tenancy import Audited, ParkScoped, Visibility


class DutyTeam(Audited, TimestampMixin, ParkScoped, Base):
    __tablename__ = "duty_team"
    __visibility__ = Visibility.STAFF
    __table_args__ = (UniqueConstraint("park_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120), doc="shown on English pages")
    lead_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))


class DutyMember(Audited, TimestampMixin, ParkScoped, Base):
    __tablename__ = "duty_member"
    __visibility__ = Visibility.STAFF
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("duty_team.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0, doc="roster order: lower answers first")
    phone: Mapped[str | None] = mapped_column(String(20), doc="mobile number for SMS")


class DutyShift(Audited, TimestampMixin, ParkScoped, Base):
    __tablename__ = "duty_shift"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("duty_team.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120), doc="shown on English pages")
    starts: Mapped[dt.time] = mapped_column(Time, doc="local time in the park's time zone")
    ends: Mapped[dt.time] = mapped_column(Time, doc="local; not after starts: the shift runs past midnight")
    weekdays: Mapped[list[int]] = mapped_column(JSON, doc="weekly pattern: 0 Monday … 6 Sunday of the start day")


class DutyOverride(Audited, TimestampMixin, ParkScoped, Base):
    __tablename__ = "duty_override"
    __visibility__ = Visibility.STAFF
    __table_args__ = (UniqueConstraint("shift_id", "on_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("duty_shift.id", ondelete="CASCADE"), index=True)
    on_date: Mapped[dt.date] = mapped_column(Date, doc="the local date the shift starts")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), doc="heads the shift")
    off: Mapped[bool] = mapped_column(Boolean, default=False, doc="the shift is not worked that day")
