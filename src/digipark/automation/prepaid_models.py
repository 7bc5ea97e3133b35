"""Prepaid electricity accounts (预付费账户) of the park's enterprises and their entries (top-ups and deductions)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin, utcnow
from digipark.core.tenancy import Audited, EnterpriseScoped


class PrepaidAccount(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An enterprise's prepaid electricity account: its balance (yuan) and the level below which it is warned."""

    __tablename__ = "automation_prepaid_account"
    __table_args__ = (UniqueConstraint("park_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    balance: Mapped[float] = mapped_column(Float, default=0.0)
    low_balance: Mapped[float] = mapped_column(Float, default=1000.0, doc="warn below this balance (yuan)")
    warned: Mapped[bool] = mapped_column(Boolean, default=False, doc="a low-balance warning is out")


class PrepaidEntry(Audited, EnterpriseScoped, Base):
    """A top-up (positive) or a deduction of a month's bill (negative) with the balance after it; a month's bill is
    deducted once."""

    __tablename__ = "automation_prepaid_entry"
    __table_args__ = (UniqueConstraint("account_id", "kind", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("automation_prepaid_account.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), doc="top_up or bill")
    amount: Mapped[float] = mapped_column(Float)
    balance_after: Mapped[float] = mapped_column(Float)
    month: Mapped[dt.date | None] = mapped_column(Date, doc="the bill's month (a deduction)")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    by: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(String(300))
