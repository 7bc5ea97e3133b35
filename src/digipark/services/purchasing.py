"""Group purchasing and joint selling (集采集销): enterprises post demands for common materials; staff aggregate
the open demands of a category and month into one round per item and unit, send it to the registered suppliers of
the category for quotes, award the lowest quote and split the order back to each demand at the awarded price;
each enterprise's delivery is tracked, and its savings are measured against its own last price. Joint selling
listings are the park's products offered together."""

from __future__ import annotations

import builtins
import datetime as dt
from collections import defaultdict

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, field_error
from digipark.core.listing import ListSpec
from digipark.crud import RecordType, park_owner
from digipark.services.common import VIEW, WRITE, park_enterprise, required_enterprise_owner, viewers, write_permission
from digipark.services.models import (
    DemandStatus,
    PurchaseDemand,
    PurchaseQuote,
    PurchaseRound,
    RoundStatus,
    SalesListing,
    Supplier,
)
from digipark.services.schemas import (
    DemandCreate,
    DemandRead,
    DemandUpdate,
    ListingCreate,
    ListingRead,
    ListingUpdate,
    RoundRead,
    Savings,
    SupplierCreate,
    SupplierRead,
    SupplierUpdate,
)


def _month(values: dict[str, object], row: PurchaseDemand | None) -> dict[str, object]:
    period = values.get("period")
    if isinstance(period, dt.date):
        values["period"] = period.replace(day=1)
    if row is not None and row.status != DemandStatus.OPEN:
        raise Conflict(f"demand {row.id} is {row.status}; only open demands change")
    return values


def _demand_validate(
    session: Session, scope: Scope, values: dict[str, object], row: PurchaseDemand | None
) -> dict[str, object]:
    return _month(values, row)


def _demand_before_delete(session: Session, scope: Scope, row: PurchaseDemand) -> None:
    if row.status != DemandStatus.OPEN:
        raise Conflict(f"demand {row.id} is {row.status}; only open demands are withdrawn")


DEMANDS: RecordType[PurchaseDemand] = RecordType(
    name="purchase_demand",
    model=PurchaseDemand,
    create_schema=DemandCreate,
    update_schema=DemandUpdate,
    read_schema=DemandRead,
    list_spec=ListSpec(
        filters={
            "park_id": PurchaseDemand.park_id,
            "enterprise_id": PurchaseDemand.enterprise_id,
            "category": PurchaseDemand.category,
            "period": PurchaseDemand.period,
            "status": PurchaseDemand.status,
            "round_id": PurchaseDemand.round_id,
        },
        search=[PurchaseDemand.item],
        sort={"id": PurchaseDemand.id, "period": PurchaseDemand.period, "quantity": PurchaseDemand.quantity},
        default_sort="-period,-id",
    ),
    write_permission=write_permission,
    owner=required_enterprise_owner,
    validate=_demand_validate,
    before_delete=_demand_before_delete,
)

SUPPLIERS: RecordType[Supplier] = RecordType(
    name="purchase_supplier",
    model=Supplier,
    create_schema=SupplierCreate,
    update_schema=SupplierUpdate,
    read_schema=SupplierRead,
    list_spec=ListSpec(
        filters={"park_id": Supplier.park_id}, search=[Supplier.name], sort={"id": Supplier.id, "name": Supplier.name}
    ),
    write_permission=WRITE,
    owner=park_owner,
    read_condition=viewers,
)

LISTINGS: RecordType[SalesListing] = RecordType(
    name="sales_listing",
    model=SalesListing,
    create_schema=ListingCreate,
    update_schema=ListingUpdate,
    read_schema=ListingRead,
    list_spec=ListSpec(
        filters={
            "park_id": SalesListing.park_id,
            "enterprise_id": SalesListing.enterprise_id,
            "active": SalesListing.active,
        },
        search=[SalesListing.product, SalesListing.description],
        sort={"id": SalesListing.id, "product": SalesListing.product},
        default_sort="product,id",
    ),
    write_permission=write_permission,
    owner=required_enterprise_owner,
    read_condition=viewers,
)

ROUND_LIST = ListSpec(
    filters={
        "park_id": PurchaseRound.park_id,
        "category": PurchaseRound.category,
        "period": PurchaseRound.period,
        "status": PurchaseRound.status,
    },
    search=[PurchaseRound.item],
    sort={"id": PurchaseRound.id, "period": PurchaseRound.period},
    default_sort="-period,-id",
)
ROUNDS: RecordType[PurchaseRound] = RecordType(
    name="purchase_round",
    model=PurchaseRound,
    create_schema=RoundRead,  # rounds are made by `aggregate`, never created directly
    update_schema=RoundRead,
    read_schema=RoundRead,
    list_spec=ROUND_LIST,
    write_permission=WRITE,
    read_condition=viewers,
)


def _key(item: str) -> str:
    return " ".join(item.split()).casefold()


def aggregate(
    session: Session, *, scope: Scope, category: str, period: dt.date, park_id: int | None = None
) -> builtins.list[PurchaseRound]:
    """Gather the park's open demands of `category` in the month of `period` into one round per item and unit
    (items compared without case and extra spaces); the RFQ goes out to the category's suppliers."""
    scope.require(WRITE)
    park_id = scope.acting_write_park(park_id)
    scope.authorize_write(WRITE, park_id=park_id)
    month = period.replace(day=1)
    demands = session.scalars(
        select(PurchaseDemand)
        .where(
            PurchaseDemand.park_id == park_id,
            PurchaseDemand.category == category,
            PurchaseDemand.period == month,
            PurchaseDemand.status == DemandStatus.OPEN.value,
        )
        .order_by(PurchaseDemand.id)
    ).all()
    groups: dict[tuple[str, str], builtins.list[PurchaseDemand]] = defaultdict(list)
    for demand in demands:
        groups[(_key(demand.item), demand.unit)].append(demand)
    rounds = []
    for (_item, unit), members in groups.items():
        row = PurchaseRound(
            park_id=park_id,
            category=category,
            item=members[0].item,
            unit=unit,
            period=month,
            total_quantity=sum(d.quantity for d in members),
            demand_count=len(members),
            status=RoundStatus.QUOTING.value,
        )
        session.add(row)
        session.flush()
        session.execute(
            update(PurchaseDemand)
            .where(PurchaseDemand.id.in_([d.id for d in members]))
            .values(round_id=row.id, status=DemandStatus.AGGREGATED.value)
        )
        rounds.append(row)
    session.expire_all()
    return rounds


def _staff_round(session: Session, scope: Scope, ident: int) -> PurchaseRound:
    row = ROUNDS.get(session, scope=scope, ident=ident)
    scope.authorize_write(WRITE, park_id=row.park_id)
    return row


def add_quote(
    session: Session, *, scope: Scope, round_id: int, supplier_id: int, unit_price_yuan: float
) -> PurchaseQuote:
    """A supplier's answer to the RFQ (a second answer replaces its first)."""
    row = _staff_round(session, scope, round_id)
    if row.status != RoundStatus.QUOTING:
        raise Conflict(f"round {round_id} is {row.status}; quotes are closed")
    supplier = session.get(Supplier, supplier_id)
    if supplier is None or supplier.park_id != row.park_id:
        raise field_error("supplier_id", f"no supplier {supplier_id} in this park")
    if row.category not in supplier.categories:
        raise field_error("supplier_id", f"supplier {supplier_id} does not supply {row.category}")
    quote = session.scalar(
        select(PurchaseQuote).where(PurchaseQuote.round_id == row.id, PurchaseQuote.supplier_id == supplier_id)
    )
    if quote is None:
        quote = PurchaseQuote(park_id=row.park_id, round_id=row.id, supplier_id=supplier_id, unit_price_yuan=0.0)
        session.add(quote)
    quote.unit_price_yuan = unit_price_yuan
    session.flush()
    return quote


def quotes(session: Session, *, scope: Scope, round_id: int) -> builtins.list[PurchaseQuote]:
    row = _staff_round(session, scope, round_id)
    return builtins.list(
        session.scalars(
            select(PurchaseQuote).where(PurchaseQuote.round_id == row.id).order_by(PurchaseQuote.unit_price_yuan)
        )
    )


def award(session: Session, *, scope: Scope, round_id: int) -> PurchaseRound:
    """Award the round to the lowest quote and split the order back: each demand is bought at that price."""
    row = _staff_round(session, scope, round_id)
    if row.status != RoundStatus.QUOTING:
        raise Conflict(f"round {round_id} is {row.status}")
    best = session.scalar(
        select(PurchaseQuote)
        .where(PurchaseQuote.round_id == row.id)
        .order_by(PurchaseQuote.unit_price_yuan, PurchaseQuote.id)
        .limit(1)
    )
    if best is None:
        raise Conflict(f"round {round_id} has no quotes yet")
    row.status = RoundStatus.AWARDED.value
    row.supplier_id = best.supplier_id
    row.awarded_unit_price_yuan = best.unit_price_yuan
    row.awarded_at = utcnow()
    session.execute(
        update(PurchaseDemand)
        .where(PurchaseDemand.round_id == row.id)
        .values(status=DemandStatus.AWARDED.value, awarded_unit_price_yuan=best.unit_price_yuan)
    )
    session.flush()
    session.expire_all()
    return row


def deliver(session: Session, *, scope: Scope, demand_id: int, delivered_quantity: float) -> PurchaseDemand:
    """Record what reached an enterprise of an awarded order (staff); the round is delivered when all are."""
    demand = DEMANDS.get(session, scope=scope, ident=demand_id)
    scope.authorize_write(WRITE, park_id=demand.park_id)
    if demand.status not in (DemandStatus.AWARDED, DemandStatus.DELIVERED):
        raise Conflict(f"demand {demand_id} is {demand.status}, not awarded")
    demand.delivered_quantity = delivered_quantity
    demand.delivered_at = utcnow()
    demand.status = DemandStatus.DELIVERED.value
    session.flush()
    pending = session.scalar(
        select(PurchaseDemand.id)
        .where(PurchaseDemand.round_id == demand.round_id, PurchaseDemand.status != DemandStatus.DELIVERED.value)
        .limit(1)
    )
    if pending is None and demand.round_id is not None:
        round_row = session.get(PurchaseRound, demand.round_id)
        if round_row is not None:
            round_row.status = RoundStatus.DELIVERED.value
            session.flush()
    return demand


def savings(session: Session, *, scope: Scope, enterprise_id: int | None = None) -> builtins.list[Savings]:
    """Per enterprise (an enterprise user: its own): what its awarded demands cost and would have cost at its own
    last prices (demands without a last price count at the awarded price: no saving claimed)."""
    scope.require(VIEW)
    own = scope.acting_enterprise(enterprise_id)
    if own is not None:
        park_enterprise(session, scope, scope.acting_park(), own, "enterprise_id")
    stmt = DEMANDS.readable(scope).where(
        PurchaseDemand.status.in_([DemandStatus.AWARDED.value, DemandStatus.DELIVERED.value])
    )
    if own is not None:
        stmt = stmt.where(PurchaseDemand.enterprise_id == own)
    totals: dict[int, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for d in session.scalars(stmt):
        if d.enterprise_id is None or d.awarded_unit_price_yuan is None:
            continue
        quantity = d.delivered_quantity if d.delivered_quantity is not None else d.quantity
        spent = quantity * d.awarded_unit_price_yuan
        own_price = quantity * (
            d.last_unit_price_yuan if d.last_unit_price_yuan is not None else d.awarded_unit_price_yuan
        )
        t = totals[d.enterprise_id]
        t[0] += 1
        t[1] += spent
        t[2] += own_price
    return [
        Savings(
            enterprise_id=e,
            demands=int(t[0]),
            spent_yuan=round(t[1], 2),
            own_price_yuan=round(t[2], 2),
            saved_yuan=round(t[2] - t[1], 2),
        )
        for e, t in sorted(totals.items())
    ]
