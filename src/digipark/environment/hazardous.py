"""Hazardous waste: batches in storage and their transfer manifests."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import digipark.audit.service  # noqa: F401  (registers the audit hook for every write below)
from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.environment import waste
from digipark.environment.common import enterprise_for, today, tonnes, waste_permission
from digipark.environment.models import HazardousBatch, ManifestStatus, TransferManifest
from digipark.environment.schemas import (
    HazardousBatchCreate,
    HazardousBatchRead,
    HazardousBatchUpdate,
    HazardousTotals,
    ManifestCreate,
    ManifestUpdate,
)

MANIFEST_TRANSITIONS: dict[str, frozenset[str]] = {
    ManifestStatus.CREATED.value: frozenset({"in_transit", "received", "cancelled"}),
    ManifestStatus.IN_TRANSIT.value: frozenset({"received", "cancelled"}),
    ManifestStatus.RECEIVED.value: frozenset(),
    ManifestStatus.CANCELLED.value: frozenset(),
}


BATCH_SPEC = ListSpec(
    filters={
        "park_id": HazardousBatch.park_id,
        "enterprise_id": HazardousBatch.enterprise_id,
        "category": HazardousBatch.category,
    },
    search=(HazardousBatch.code, HazardousBatch.name, HazardousBatch.waste_code),
    sort={"id": HazardousBatch.id, "stored_on": HazardousBatch.stored_on, "code": HazardousBatch.code},
    default_sort="stored_on,id",
)
MANIFEST_SPEC = ListSpec(
    filters={
        "park_id": TransferManifest.park_id,
        "enterprise_id": TransferManifest.enterprise_id,
        "batch_id": TransferManifest.batch_id,
        "status": TransferManifest.status,
    },
    search=(TransferManifest.number, TransferManifest.receiver, TransferManifest.carrier),
    sort={"id": TransferManifest.id, "shipped_on": TransferManifest.shipped_on, "number": TransferManifest.number},
    default_sort="-shipped_on,id",
)


def transferred(session: Session, batch_ids: Sequence[int]) -> dict[int, float]:
    """t manifested out of each batch (cancelled manifests do not count)."""
    if not batch_ids:
        return {}
    rows = session.execute(
        select(TransferManifest.batch_id, func.sum(TransferManifest.quantity_t))
        .where(TransferManifest.batch_id.in_(batch_ids), TransferManifest.status != ManifestStatus.CANCELLED.value)
        .group_by(TransferManifest.batch_id)
    )
    return {batch_id: float(total or 0.0) for batch_id, total in rows}


def batch_read(row: HazardousBatch, moved: float, on: dt.date | None = None) -> HazardousBatchRead:
    remaining = max(0.0, row.quantity_t - moved)
    state = waste.storage_state(row.stored_on, row.extended_to, remaining, on or today())
    return HazardousBatchRead(
        id=row.id,
        park_id=row.park_id,
        enterprise_id=row.enterprise_id,
        code=row.code,
        category=row.category,
        waste_code=row.waste_code,
        name=row.name,
        quantity_t=row.quantity_t,
        transferred_t=moved,
        remaining_t=remaining,
        stored_on=row.stored_on,
        extended_to=row.extended_to,
        deadline=state.deadline,
        days_left=state.days_left,
        storage_state=state.state,
        notes=row.notes,
    )


def batch_reads(session: Session, rows: Sequence[HazardousBatch]) -> list[HazardousBatchRead]:
    moved = transferred(session, [r.id for r in rows])
    return [batch_read(r, moved.get(r.id, 0.0)) for r in rows]


def list_batches(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[HazardousBatch], int]:
    return BATCH_SPEC.apply(session, scope.readable(HazardousBatch), query)


def get_batch(session: Session, *, scope: Scope, ident: int) -> HazardousBatch:
    return scope.get_or_404(session, HazardousBatch, ident)


def create_batch(session: Session, *, scope: Scope, data: HazardousBatchCreate) -> HazardousBatch:
    enterprise = enterprise_for(session, scope, data.enterprise_id)
    scope.authorize_write(waste_permission(scope), park_id=enterprise.park_id, enterprise_id=enterprise.id)
    if data.category not in waste.data().hazardous:
        raise field_error("category", f"unknown hazardous waste category {data.category!r}")
    problem = waste.waste_code_problem(data.category, data.waste_code)
    if problem:
        raise field_error("waste_code", problem)
    if data.stored_on > today():
        raise field_error("stored_on", "lies in the future")
    if data.extended_to is not None and data.extended_to < data.stored_on:
        raise field_error("extended_to", "must not be before stored_on")
    quantity = tonnes(data.quantity, data.unit)
    if quantity <= 0:
        raise field_error("quantity", "must be more than 0")
    if session.scalar(
        select(HazardousBatch.id).where(HazardousBatch.park_id == enterprise.park_id, HazardousBatch.code == data.code)
    ):
        raise Conflict(f"batch code {data.code} is taken", errors=[{"field": "code", "reason": "taken"}])
    row = HazardousBatch(
        park_id=enterprise.park_id,
        enterprise_id=enterprise.id,
        code=data.code,
        category=data.category,
        waste_code=data.waste_code,
        name=data.name,
        quantity_t=quantity,
        stored_on=data.stored_on,
        extended_to=data.extended_to,
        notes=data.notes,
    )
    session.add(row)
    session.flush()
    return row


def update_batch(session: Session, *, scope: Scope, ident: int, data: HazardousBatchUpdate) -> HazardousBatch:
    row = get_batch(session, scope=scope, ident=ident)
    scope.authorize_write_row(waste_permission(scope), row)
    if data.quantity is not None:
        quantity = tonnes(data.quantity, data.unit)
        moved = transferred(session, [row.id]).get(row.id, 0.0)
        if quantity < moved - waste.EPSILON_T:
            raise field_error("quantity", f"{moved:g} t have already left with manifests")
        row.quantity_t = quantity
    if data.extended_to is not None:
        if data.extended_to < row.stored_on:
            raise field_error("extended_to", "must not be before stored_on")
        row.extended_to = data.extended_to
    for name in ("name", "notes"):
        value = getattr(data, name)
        if value is not None:
            setattr(row, name, value)
    session.flush()
    return row


def delete_batch(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_batch(session, scope=scope, ident=ident)
    scope.authorize_write_row(waste_permission(scope), row)
    if session.scalar(select(TransferManifest.id).where(TransferManifest.batch_id == ident).limit(1)) is not None:
        raise Conflict("the batch has transfer manifests")
    session.delete(row)
    session.flush()


def list_manifests(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[TransferManifest], int]:
    return MANIFEST_SPEC.apply(session, scope.readable(TransferManifest), query)


def get_manifest(session: Session, *, scope: Scope, ident: int) -> TransferManifest:
    return scope.get_or_404(session, TransferManifest, ident)


def create_manifest(session: Session, *, scope: Scope, data: ManifestCreate) -> TransferManifest:
    batch: HazardousBatch | None = session.scalar(
        scope.readable(HazardousBatch).where(HazardousBatch.id == data.batch_id)
    )
    if batch is None:
        raise field_error("batch_id", f"no hazardous waste batch {data.batch_id} visible to you")
    scope.authorize_write_row(waste_permission(scope), batch)
    quantity = tonnes(data.quantity, data.unit)
    if quantity <= 0:
        raise field_error("quantity", "must be more than 0")
    left = batch.quantity_t - transferred(session, [batch.id]).get(batch.id, 0.0)
    if quantity > left + waste.EPSILON_T:
        raise field_error("quantity", f"only {max(left, 0.0):g} t of batch {batch.code} are left in storage")
    if data.shipped_on < batch.stored_on:
        raise field_error("shipped_on", "before the waste was stored")
    if data.received_on is not None and data.received_on < data.shipped_on:
        raise field_error("received_on", "must not be before shipped_on")
    if session.scalar(
        select(TransferManifest.id).where(
            TransferManifest.park_id == batch.park_id, TransferManifest.number == data.number
        )
    ):
        raise Conflict(f"manifest number {data.number} is taken", errors=[{"field": "number", "reason": "taken"}])
    row = TransferManifest(
        park_id=batch.park_id,
        enterprise_id=batch.enterprise_id,
        batch_id=batch.id,
        number=data.number,
        quantity_t=quantity,
        carrier=data.carrier,
        carrier_licence=data.carrier_licence,
        receiver=data.receiver,
        receiver_licence=data.receiver_licence,
        shipped_on=data.shipped_on,
        received_on=data.received_on,
        status=ManifestStatus.RECEIVED.value if data.received_on else ManifestStatus.CREATED.value,
    )
    session.add(row)
    session.flush()
    return row


def update_manifest(session: Session, *, scope: Scope, ident: int, data: ManifestUpdate) -> TransferManifest:
    row = get_manifest(session, scope=scope, ident=ident)
    scope.authorize_write_row(waste_permission(scope), row)
    if data.status is not None and data.status != row.status:
        if data.status not in MANIFEST_TRANSITIONS[row.status]:
            raise Conflict(f"a {row.status} manifest cannot become {data.status}")
        if data.status == ManifestStatus.RECEIVED.value and data.received_on is None and row.received_on is None:
            raise field_error("received_on", "required when the receiver has signed")
        row.status = data.status
    if data.received_on is not None:
        if data.received_on < row.shipped_on:
            raise field_error("received_on", "must not be before shipped_on")
        row.received_on = data.received_on
    for name in ("carrier", "carrier_licence"):
        value = getattr(data, name)
        if value is not None:
            setattr(row, name, value)
    session.flush()
    return row


def hazardous_totals(session: Session, *, enterprise_ids: Sequence[int], year: int) -> HazardousTotals:
    if not enterprise_ids:
        return HazardousTotals(stored_t=0, generated_t=0, transferred_t=0, manifests=0, overdue=0, due_soon=0)
    batches = [*session.scalars(select(HazardousBatch).where(HazardousBatch.enterprise_id.in_(enterprise_ids)))]
    reads = batch_reads(session, batches)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    manifests = session.execute(
        select(func.count(), func.sum(TransferManifest.quantity_t)).where(
            TransferManifest.enterprise_id.in_(enterprise_ids),
            TransferManifest.status != ManifestStatus.CANCELLED.value,
            TransferManifest.shipped_on >= start,
            TransferManifest.shipped_on <= end,
        )
    ).one()
    return HazardousTotals(
        stored_t=sum(r.remaining_t for r in reads),
        generated_t=sum(r.quantity_t for r in reads if start <= r.stored_on <= end),
        transferred_t=float(manifests[1] or 0.0),
        manifests=int(manifests[0] or 0),
        overdue=sum(1 for r in reads if r.storage_state == "overdue"),
        due_soon=sum(1 for r in reads if r.storage_state == "due_soon"),
    )
