"""Prepaid electricity accounts (预付费): staff top an enterprise's account up; each month's bill (automation/ops.py
`month_bills`) is deducted once; when the balance falls below the account's warning level a notice goes to the
park's staff (`notices.provides.post_staff_notice`) and the enterprise sees the warning beside its bill. The warning
is raised once per fall (the account's `warned`), and rearmed when a top-up lifts the balance above the level.

Who sees what: staff every account of their park; an enterprise its own (read only)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.automation.ops import VIEW, WRITE, month_bills
from digipark.automation.prepaid_models import PrepaidAccount, PrepaidEntry
from digipark.core.errors import Conflict, field_error
from digipark.notices.provides import post_staff_notice
from digipark.registry.models import Enterprise

TOP_UP = "top_up"
BILL = "bill"
MAX_AMOUNT = 10_000_000.0


@dataclasses.dataclass(frozen=True)
class Applied:
    balance: float
    warned: bool  # the account's flag after the entry
    warn_now: bool  # this entry raises the warning


def apply(balance: float, amount: float, low_balance: float, warned: bool) -> Applied:
    """The balance after an entry (top-up positive, deduction negative) and whether it raises the low-balance
    warning: once when the balance falls below the level, again only after a balance at or above it."""
    after = round(balance + amount, 2)
    if after >= low_balance:
        return Applied(after, False, False)
    return Applied(after, True, not warned)


def accounts(session: Session, *, scope: Scope) -> list[PrepaidAccount]:
    scope.require(VIEW)
    return list(session.scalars(scope.readable(PrepaidAccount).order_by(PrepaidAccount.enterprise_id)))


def entries(session: Session, *, scope: Scope, account_id: int) -> list[PrepaidEntry]:
    account = scope.get_or_404(session, PrepaidAccount, account_id)
    scope.require(VIEW)
    stmt = scope.readable(PrepaidEntry).where(PrepaidEntry.account_id == account.id)
    return list(session.scalars(stmt.order_by(PrepaidEntry.at.desc(), PrepaidEntry.id.desc()).limit(200)))


def _account(session: Session, park_id: int, enterprise_id: int) -> PrepaidAccount | None:
    return session.scalar(
        select(PrepaidAccount).where(PrepaidAccount.park_id == park_id, PrepaidAccount.enterprise_id == enterprise_id)
    )


def _warn(session: Session, account: PrepaidAccount, name: str) -> None:
    post_staff_notice(
        session,
        park_id=account.park_id,
        title=f"预付费电费余额不足：{name}",
        body=(
            f"{name} 的预付费电费账户余额 {account.balance:,.2f} 元，"
            f"低于预警值 {account.low_balance:,.2f} 元，请通知企业充值。"
        ),
        author="system",
    )


def top_up(
    session: Session,
    *,
    scope: Scope,
    enterprise_id: int,
    amount: float,
    low_balance: float | None = None,
    note: str | None = None,
) -> PrepaidAccount:
    """Top an enterprise's account up (opened at its first top-up); `low_balance` sets its warning level."""
    park_id = scope.acting_write_park(None)
    scope.authorize_write(WRITE, park_id=park_id, enterprise_id=None)
    if not 1 <= enterprise_id <= 2**31 - 1:
        raise field_error("enterprise_id", "no such enterprise in this park")
    if low_balance is not None and not 0 <= low_balance <= MAX_AMOUNT:
        raise field_error("low_balance", "a warning level from 0 to 10,000,000 yuan")
    enterprise = session.scalar(scope.readable(Enterprise).where(Enterprise.id == enterprise_id))
    if enterprise is None or enterprise.park_id != park_id:
        raise field_error("enterprise_id", "no such enterprise in this park")
    if not 0 < amount <= MAX_AMOUNT:
        raise field_error("amount", "a top-up of more than 0 and at most 10,000,000 yuan")
    account = _account(session, park_id, enterprise_id)
    if account is None:
        account = PrepaidAccount(park_id=park_id, enterprise_id=enterprise_id, balance=0.0, warned=False)
        account.low_balance = 1000.0 if low_balance is None else low_balance
        session.add(account)
        session.flush()
    elif low_balance is not None:
        account.low_balance = low_balance
    applied = apply(account.balance, amount, account.low_balance, account.warned)
    account.balance, account.warned = applied.balance, applied.warned
    session.add(
        PrepaidEntry(
            park_id=park_id,
            enterprise_id=enterprise_id,
            account_id=account.id,
            kind=TOP_UP,
            amount=round(amount, 2),
            balance_after=applied.balance,
            by=scope.username[:80],
            note=note,
        )
    )
    if applied.warn_now:
        _warn(session, account, enterprise.name)
    session.flush()
    return account


def deduct_month(
    session: Session, *, scope: Scope, month: dt.date, enterprise_id: int | None = None
) -> list[PrepaidEntry]:
    """Deduct the month's bill from every prepaid account of the park, or one enterprise's (each month once: 409
    when done)."""
    park_id = scope.acting_write_park(None)
    scope.authorize_write(WRITE, park_id=park_id, enterprise_id=None)
    month = month.replace(day=1)
    stmt = select(PrepaidAccount).where(PrepaidAccount.park_id == park_id)
    if enterprise_id is not None:
        enterprise = session.scalar(scope.readable(Enterprise).where(Enterprise.id == enterprise_id))
        if enterprise is None or enterprise.park_id != park_id:
            raise field_error("enterprise_id", "no such enterprise in this park")
        stmt = stmt.where(PrepaidAccount.enterprise_id == enterprise_id)
    rows = list(session.scalars(stmt))
    done = set(
        session.scalars(
            select(PrepaidEntry.account_id).where(
                PrepaidEntry.park_id == park_id, PrepaidEntry.kind == BILL, PrepaidEntry.month == month
            )
        )
    )
    if rows and all(r.id in done for r in rows):
        raise Conflict(f"the bills of {month:%Y-%m} are deducted already")
    bills = {b.enterprise_id: b for b in month_bills(session, scope=scope, month=month)}
    names = dict(session.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.park_id == park_id)).all())
    made = []
    for account in rows:
        bill = bills.get(account.enterprise_id or 0)
        if account.id in done or bill is None:
            continue
        applied = apply(account.balance, -bill.total_amount, account.low_balance, account.warned)
        account.balance, account.warned = applied.balance, applied.warned
        entry = PrepaidEntry(
            park_id=park_id,
            enterprise_id=account.enterprise_id,
            account_id=account.id,
            kind=BILL,
            amount=-bill.total_amount,
            balance_after=applied.balance,
            month=month,
            by=scope.username[:80],
            note=f"{month:%Y-%m} 电费",
        )
        session.add(entry)
        made.append(entry)
        if applied.warn_now:
            _warn(session, account, names.get(account.enterprise_id or 0, str(account.enterprise_id)))
    session.flush()
    return made
