"""Bills of the park's units: each month, for every leased room, rent and property fee by its area, and
electricity re-billed from the tenant's sub-meters (the month's kWh from the energy domain) — with their payment
status. Staff run the billing and record payments; an enterprise reads its own bills."""

from __future__ import annotations

import builtins
import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope, system_scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound
from digipark.core.listing import ListQuery, ListSpec
from digipark.energy.provides import enterprise_account
from digipark.living.models import Bill, BillKind, BillStatus
from digipark.living.schemas import BillingResult, BillingRun
from digipark.living.visitors import MANAGE
from digipark.registry.models import Room

BILLS_VIEW = "living.bills.view"
CENT = Decimal("0.01")

BILL_SPEC = ListSpec(
    filters={
        "park_id": Bill.park_id,
        "enterprise_id": Bill.enterprise_id,
        "month": Bill.month,
        "kind": Bill.kind,
        "status": Bill.status,
    },
    sort={"id": Bill.id, "month": Bill.month, "enterprise_id": Bill.enterprise_id, "amount_yuan": Bill.amount_yuan},
    default_sort="-month,enterprise_id,id",
)


def list_bills(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[Bill], int]:
    scope.require(BILLS_VIEW)
    return BILL_SPEC.apply(session, scope.readable(Bill), query)


def _kwh(session: Session, park_id: int, enterprise_id: int, month: dt.date) -> float:
    account = enterprise_account(session, scope=system_scope(park_id), enterprise_id=enterprise_id, year=month.year)
    return sum(m.electricity_kwh for m in account.months if m.month == month.month)


def run_billing(session: Session, *, scope: Scope, data: BillingRun) -> BillingResult:
    """Bill every leased room of the park for the month (a bill already made is kept: skipped)."""
    scope.require(MANAGE)
    park_id = scope.acting_write_park(data.park_id)
    scope.authorize_write(MANAGE, park_id=park_id)
    month = data.month.replace(day=1)
    created = skipped = 0
    total = Decimal(0)
    rooms = session.scalars(
        select(Room)
        .where(Room.park_id == park_id, Room.enterprise_id.is_not(None))
        .order_by(Room.enterprise_id, Room.id)
    )
    electricity_billed: set[int] = set()
    for room in rooms:
        assert room.enterprise_id is not None
        lines: list[tuple[BillKind, float, Decimal]] = [
            (BillKind.RENT, room.area_m2, data.rent_yuan_per_m2),
            (BillKind.PROPERTY_FEE, room.area_m2, data.property_fee_yuan_per_m2),
        ]
        if room.enterprise_id not in electricity_billed:  # the tenant's meters: once per enterprise, on its first room
            electricity_billed.add(room.enterprise_id)
            lines.append(
                (BillKind.ELECTRICITY, _kwh(session, park_id, room.enterprise_id, month), data.electricity_yuan_per_kwh)
            )
        for kind, quantity, price in lines:
            exists = session.scalar(
                select(Bill.id).where(
                    Bill.enterprise_id == room.enterprise_id,
                    Bill.room_id == room.id,
                    Bill.month == month,
                    Bill.kind == kind.value,
                )
            )
            if exists is not None:
                skipped += 1
                continue
            amount = (Decimal(str(quantity)) * price).quantize(CENT)
            session.add(
                Bill(
                    park_id=park_id,
                    enterprise_id=room.enterprise_id,
                    room_id=room.id,
                    month=month,
                    kind=kind.value,
                    quantity=round(quantity, 2),
                    unit_price_yuan=price,
                    amount_yuan=amount,
                    status=BillStatus.UNPAID.value,
                )
            )
            created += 1
            total += amount
    session.flush()
    return BillingResult(created=created, skipped=skipped, total_yuan=total.quantize(CENT))


def mark_paid(session: Session, *, scope: Scope, ident: int) -> Bill:
    row: Bill | None = session.scalar(scope.readable(Bill).where(Bill.id == ident))
    if row is None:
        raise NotFound(f"bill {ident} not found")
    scope.authorize_write_row(MANAGE, row)
    if row.status == BillStatus.PAID.value:
        raise Conflict(f"bill {ident} is paid already")
    row.status, row.paid_at = BillStatus.PAID.value, utcnow()
    session.flush()
    return row
