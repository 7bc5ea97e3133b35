"""Leases of park assets to enterprises: a park-owned asset let to an enterprise for a period at a monthly rent,
linked to the unit (registry room) it serves; draft → active → ended, or terminated. An enterprise reads its own
leases only. Lease income: the rent accrued over the days of each calendar month the lease ran (active or ended)."""

from __future__ import annotations

import builtins
import calendar
import datetime as dt

from sqlalchemy.orm import Session

from digipark.assets.models import LEASE_TRANSITIONS, Asset, Lease, LeaseState
from digipark.assets.schemas import LeaseCreate, LeaseStateChange
from digipark.assets.service import ASSETS, WRITE
from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, NotFound, field_error
from digipark.registry.models import Enterprise, Room

EARNING = (LeaseState.ACTIVE.value, LeaseState.ENDED.value)
HOLDING = (LeaseState.DRAFT.value, LeaseState.ACTIVE.value)


def create_lease(session: Session, *, scope: Scope, asset_id: int, data: LeaseCreate) -> Lease:
    """A draft lease of a park-owned asset. Not committed."""
    asset = ASSETS.get(session, scope=scope, ident=asset_id)
    scope.authorize_write_row(WRITE, asset)
    if asset.enterprise_id is not None:
        raise Conflict(f"asset {asset.code} belongs to an enterprise; only park assets are leased")
    if data.ends_on <= data.starts_on:
        raise field_error("ends_on", "must be after the start")
    enterprise = session.get(Enterprise, data.enterprise_id)
    if enterprise is None or enterprise.park_id != asset.park_id:
        raise field_error("enterprise_id", f"no enterprise {data.enterprise_id} in the asset's park")
    if data.room_id is not None:
        room = session.get(Room, data.room_id)
        if room is None or room.park_id != asset.park_id:
            raise field_error("room_id", f"no unit {data.room_id} in the asset's park")
        if room.enterprise_id is not None and room.enterprise_id != data.enterprise_id:
            raise field_error("room_id", f"unit {room.code} is let to another enterprise")
    overlapping = session.scalar(
        scope.readable(Lease).where(
            Lease.asset_id == asset.id,
            Lease.state.in_(HOLDING),
            Lease.starts_on < data.ends_on,
            Lease.ends_on > data.starts_on,
        )
    )
    if overlapping is not None:
        raise Conflict(f"asset {asset.code} is already leased from {overlapping.starts_on} to {overlapping.ends_on}")
    row = Lease(
        park_id=asset.park_id,
        enterprise_id=data.enterprise_id,
        asset_id=asset.id,
        room_id=data.room_id,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        monthly_rent=data.monthly_rent,
        state=LeaseState.DRAFT.value,
        note=data.note,
    )
    session.add(row)
    session.flush()
    return row


def get_lease(session: Session, *, scope: Scope, ident: int) -> Lease:
    row: Lease | None = session.scalar(scope.readable(Lease).where(Lease.id == ident))
    if row is None:
        raise NotFound(f"lease {ident} not found")
    return row


def change_state(session: Session, *, scope: Scope, ident: int, data: LeaseStateChange) -> Lease:
    """Activate, end or terminate a lease (staff). Not committed."""
    row = get_lease(session, scope=scope, ident=ident)
    scope.require(WRITE)
    scope.authorize_write_row(WRITE, row)
    if data.state.value not in LEASE_TRANSITIONS[LeaseState(row.state)]:
        raise Conflict(f"a {row.state} lease cannot become {data.state.value}")
    row.state = data.state.value
    session.flush()
    return row


def list_leases(session: Session, *, scope: Scope, asset_id: int | None = None) -> builtins.list[Lease]:
    """The leases the caller reads (an enterprise: its own), newest first."""
    stmt = scope.readable(Lease)
    if asset_id is not None:
        stmt = stmt.where(Lease.asset_id == asset_id)
    return list(session.scalars(stmt.order_by(Lease.starts_on.desc(), Lease.id.desc())))


def income(lease: Lease, *, since: dt.date | None = None, until: dt.date) -> float:
    """The rent the lease accrued from `since` (its start) to `until` inclusive (none unless active or ended)."""
    if lease.state not in EARNING:
        return 0.0
    start = max(lease.starts_on, since) if since is not None else lease.starts_on
    end = min(lease.ends_on, until)
    total = 0.0
    day = start
    while day <= end:
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        month_end = min(end, dt.date(day.year, day.month, days_in_month))
        total += lease.monthly_rent * ((month_end - day).days + 1) / days_in_month
        day = month_end + dt.timedelta(days=1)
    return round(total, 2)


def asset_income(session: Session, *, scope: Scope, asset: Asset, on: dt.date) -> dict[str, float]:
    """The asset's lease income this year and in all, to `on` (of the leases the caller reads)."""
    rows = list_leases(session, scope=scope, asset_id=asset.id)
    year_start = dt.date(on.year, 1, 1)
    return {
        "year": round(sum(income(r, since=year_start, until=on) for r in rows), 2),
        "total": round(sum(income(r, until=on) for r in rows), 2),
    }
