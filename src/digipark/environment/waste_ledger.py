"""The general industrial solid waste ledger (the rules are in `waste`)."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import digipark.audit.service  # noqa: F401  (registers the audit hook for every write below)
from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, ValidationFailed, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.environment import pollution, waste
from digipark.environment.common import enterprise_for, today, waste_permission
from digipark.environment.models import WasteEntry
from digipark.environment.schemas import GeneralWasteTotals, WasteEntryCreate, WasteEntryRead, WasteEntryUpdate

WASTE_SPEC = ListSpec(
    filters={
        "park_id": WasteEntry.park_id,
        "enterprise_id": WasteEntry.enterprise_id,
        "category": WasteEntry.category,
        "month": WasteEntry.month,
    },
    sort={
        "id": WasteEntry.id,
        "month": WasteEntry.month,
        "enterprise_id": WasteEntry.enterprise_id,
        "category": WasteEntry.category,
    },
    default_sort="-month,enterprise_id,category",
)


def waste_read(row: WasteEntry) -> WasteEntryRead:
    return WasteEntryRead(
        id=row.id,
        park_id=row.park_id,
        enterprise_id=row.enterprise_id,
        category=row.category,
        month=row.month,
        opening_t=row.opening_t,
        generated_t=row.generated_t,
        utilised_t=row.utilised_t,
        disposed_t=row.disposed_t,
        stored_t=row.stored_t,
        unaccounted_t=waste.unaccounted(row.opening_t, row.generated_t, row.utilised_t, row.disposed_t, row.stored_t),
        notes=row.notes,
    )


def list_waste(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[WasteEntry], int]:
    return WASTE_SPEC.apply(session, scope.readable(WasteEntry), query)


def get_waste(session: Session, *, scope: Scope, ident: int) -> WasteEntry:
    return scope.get_or_404(session, WasteEntry, ident)


def _rebalance(session: Session, enterprise_id: int, category: str) -> None:
    """Carry each month's closing storage into the next month's opening and check every month's balance; a
    month that no longer balances is a 422 naming it (the caller's transaction then changes nothing)."""
    rows = [
        *session.scalars(
            select(WasteEntry)
            .where(WasteEntry.enterprise_id == enterprise_id, WasteEntry.category == category)
            .order_by(WasteEntry.month)
        )
    ]
    errors = []
    previous: WasteEntry | None = None
    for row in rows:
        if previous is not None:
            row.opening_t = previous.stored_t
        previous = row
        problem = waste.balance_problem(row.opening_t, row.generated_t, row.utilised_t, row.disposed_t, row.stored_t)
        if problem:
            errors.append({"field": "stored", "reason": problem, "month": row.month.isoformat()})
    if errors:
        raise ValidationFailed(
            f"the ledger of {category} does not balance in {', '.join(e['month'] for e in errors)}", errors=errors
        )
    session.flush()


def create_waste(session: Session, *, scope: Scope, data: WasteEntryCreate) -> WasteEntry:
    enterprise = enterprise_for(session, scope, data.enterprise_id)
    scope.authorize_write(waste_permission(scope), park_id=enterprise.park_id, enterprise_id=enterprise.id)
    if data.category not in waste.data().general:
        raise field_error("category", f"unknown category {data.category!r}", known=sorted(waste.data().general))
    if data.month > today():
        raise field_error("month", f"{data.month:%Y-%m} has not begun")
    k = pollution.unit_factor(data.unit, "t", field="unit")
    taken = session.scalar(
        select(WasteEntry.id).where(
            WasteEntry.enterprise_id == enterprise.id,
            WasteEntry.category == data.category,
            WasteEntry.month == data.month,
        )
    )
    if taken is not None:
        raise Conflict(
            f"{data.category} of {data.month:%Y-%m} is already booked (entry {taken}); change that entry",
            errors=[{"field": "month", "reason": "already booked"}],
        )
    earlier = session.scalar(
        select(func.count()).where(
            WasteEntry.enterprise_id == enterprise.id,
            WasteEntry.category == data.category,
            WasteEntry.month < data.month,
        )
    )
    if earlier and data.opening is not None:
        raise field_error("opening", "only the first month booked takes an opening storage; later months carry on")
    row = WasteEntry(
        park_id=enterprise.park_id,
        enterprise_id=enterprise.id,
        category=data.category,
        month=data.month,
        opening_t=(data.opening or 0.0) * k,
        generated_t=data.generated * k,
        utilised_t=data.utilised * k,
        disposed_t=data.disposed * k,
        stored_t=data.stored * k,
        notes=data.notes,
    )
    session.add(row)
    session.flush()
    _rebalance(session, enterprise.id, data.category)
    return row


def update_waste(session: Session, *, scope: Scope, ident: int, data: WasteEntryUpdate) -> WasteEntry:
    row = get_waste(session, scope=scope, ident=ident)
    scope.authorize_write_row(waste_permission(scope), row)
    k = pollution.unit_factor(data.unit, "t", field="unit")
    if data.opening is not None:
        first = session.scalar(
            select(func.min(WasteEntry.month)).where(
                WasteEntry.enterprise_id == row.enterprise_id, WasteEntry.category == row.category
            )
        )
        if first != row.month:
            raise field_error("opening", "only the first month booked takes an opening storage; later months carry on")
        row.opening_t = data.opening * k
    for name in ("generated", "utilised", "disposed", "stored"):
        value = getattr(data, name)
        if value is not None:
            setattr(row, f"{name}_t", value * k)
    if data.notes is not None:
        row.notes = data.notes
    session.flush()
    _rebalance(session, row.enterprise_id, row.category)
    return row


def delete_waste(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_waste(session, scope=scope, ident=ident)
    scope.authorize_write_row(waste_permission(scope), row)
    enterprise_id, category = row.enterprise_id, row.category
    session.delete(row)
    session.flush()
    _rebalance(session, enterprise_id, category)


def general_totals(session: Session, *, enterprise_ids: Sequence[int], year: int) -> GeneralWasteTotals:
    """Totals of a year over the given enterprises' categories: the opening is each category's storage before the
    first month of the year booked; the closing that of its last month booked."""
    rows = [
        *session.scalars(
            select(WasteEntry)
            .where(
                WasteEntry.enterprise_id.in_(enterprise_ids),
                WasteEntry.month >= dt.date(year, 1, 1),
                WasteEntry.month <= dt.date(year, 12, 1),
            )
            .order_by(WasteEntry.enterprise_id, WasteEntry.category, WasteEntry.month)
        )
    ] if enterprise_ids else []  # fmt: skip
    opening = generated = utilised = disposed = stored = 0.0
    seen: dict[tuple[int, str], WasteEntry] = {}
    for row in rows:
        key = (row.enterprise_id, row.category)
        if key not in seen:
            opening += row.opening_t
        seen[key] = row
        generated += row.generated_t
        utilised += row.utilised_t
        disposed += row.disposed_t
    stored = sum(row.stored_t for row in seen.values())
    return GeneralWasteTotals(
        opening_t=opening,
        generated_t=generated,
        utilised_t=utilised,
        disposed_t=disposed,
        stored_t=stored,
        utilisation_rate=waste.rate(utilised, generated, opening),
        disposal_rate=waste.rate(disposed, generated, opening),
        months=len({row.month for row in rows}),
    )
