"""Park notices and their read receipts."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin, utcnow
from digipark.core.tenancy import Audited, ParkScoped, Visibility


class Category(enum.StrEnum):
    NOTICE = "notice"  # 通知
    POLICY = "policy"  # 政策
    EVENT = "event"  # 活动
    OUTAGE = "outage"  # 停水停电


class Audience(enum.StrEnum):
    EVERYONE = "everyone"  # every member of the park
    ENTERPRISES = "enterprises"  # the park's enterprise users (and staff)
    STAFF = "staff"  # park staff and reviewers only


class Notice(Audited, TimestampMixin, ParkScoped, Base):
    """A notice of the park; a draft until `published_at` is set. Who reads it: `notices.service.read_condition`."""

    __tablename__ = "notice"
    __visibility__ = Visibility.PARK

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, doc="plain text; paragraphs separated by blank lines")
    category: Mapped[str] = mapped_column(String(20))
    audience: Mapped[str] = mapped_column(String(20), default=Audience.EVERYONE.value)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_on: Mapped[dt.date | None] = mapped_column(Date, doc="last day it is shown (Asia/Shanghai)")
    published_at: Mapped[dt.datetime | None] = mapped_column(doc="None: a draft")
    published_by: Mapped[str | None] = mapped_column(String(80))


class NoticeReceipt(ParkScoped, Base):
    """The first time a user opened a published notice. Not audited: a read is not a change of business data, and
    the receipt itself is the record."""

    __tablename__ = "notice_receipt"
    __table_args__ = (UniqueConstraint("notice_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprise.id", ondelete="SET NULL"), index=True, doc="the reader's enterprise when it read"
    )
    first_read_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
