"""Monthly rent invoices of in-force leases: one per lease and calendar month the lease has reached, the monthly
rent pro-rated by the days of that month the lease covers (rent × days covered / days in the month, to the fen);
issued, then paid. Staff issue and mark paid; the leasing enterprise reads its own. Every write is audited (the
model is Audited); nothing here commits."""

from __future__ import annotations

import builtins
import calendar
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.assets.leases import get_lease
from digipark.assets.models import InvoiceState, Lease, LeaseInvoice, LeaseState
from digipark.assets.service import WRITE
from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, NotFound


def month_share(lease: Lease, month: dt.date) -> tuple[int, float]:
    """(days of the month the lease covers, the rent for them): rent × days / days in the month, to the fen."""
    days_in_month = calendar.monthrange(month.year, month.month)[1]
    first, last = month.replace(day=1), month.replace(day=days_in_month)
    start, end = max(first, lease.starts_on), min(last, lease.ends_on)
    days = max(0, (end - start).days + 1)
    return days, round(lease.monthly_rent * days / days_in_month, 2)


def _months(start: dt.date, end: dt.date) -> builtins.list[dt.date]:
    found, month = [], start.replace(day=1)
    while month <= end:
        found.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return found


def issue(session: Session, *, scope: Scope, lease_id: int, on: dt.date) -> builtins.list[LeaseInvoice]:
    """Issue the invoices an in-force lease lacks, for each month from its start to the month of `on` (not past its
    end); the new ones. 409 unless the lease is in force. Not committed."""
    lease = get_lease(session, scope=scope, ident=lease_id)
    scope.require(WRITE)
    scope.authorize_write_row(WRITE, lease)
    if lease.state != LeaseState.ACTIVE.value:
        raise Conflict(f"only a lease in force is invoiced; this one is {lease.state}")
    have = set(session.scalars(select(LeaseInvoice.month).where(LeaseInvoice.lease_id == lease.id)))
    made = []
    for month in _months(lease.starts_on, min(on, lease.ends_on)):
        if month in have:
            continue
        days, amount = month_share(lease, month)
        row = LeaseInvoice(
            park_id=lease.park_id,
            enterprise_id=lease.enterprise_id,
            lease_id=lease.id,
            asset_id=lease.asset_id,
            month=month,
            days=days,
            amount=amount,
            state=InvoiceState.ISSUED.value,
        )
        session.add(row)
        made.append(row)
    session.flush()
    return made


def mark_paid(session: Session, *, scope: Scope, ident: int, on: dt.date) -> LeaseInvoice:
    """Record an issued invoice as paid on `on` (staff). Not committed."""
    row: LeaseInvoice | None = session.scalar(scope.readable(LeaseInvoice).where(LeaseInvoice.id == ident))
    if row is None:
        raise NotFound(f"lease invoice {ident} not found")
    scope.require(WRITE)
    scope.authorize_write_row(WRITE, row)
    if row.state != InvoiceState.ISSUED.value:
        raise Conflict("the invoice is already paid")
    row.state, row.paid_on = InvoiceState.PAID.value, on
    session.flush()
    return row


def list_invoices(
    session: Session, *, scope: Scope, asset_id: int | None = None, lease_id: int | None = None
) -> builtins.list[LeaseInvoice]:
    """The lease invoices the caller reads (an enterprise: its own), newest month first."""
    stmt = scope.readable(LeaseInvoice)
    if asset_id is not None:
        stmt = stmt.where(LeaseInvoice.asset_id == asset_id)
    if lease_id is not None:
        stmt = stmt.where(LeaseInvoice.lease_id == lease_id)
    return list(session.scalars(stmt.order_by(LeaseInvoice.month.desc(), LeaseInvoice.id.desc())))
