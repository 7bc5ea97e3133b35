"""Spare parts: the park's store with stock and reorder levels, receipts into it and consumption by work orders on
assets (the order is read through `workorders.provides`), the parts to reorder, and the parts cost per asset."""

from __future__ import annotations

import builtins
import datetime as dt
from functools import cache
from importlib import resources

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.assets.models import Asset, AssetClass, MovementKind, PartMovement, SparePart
from digipark.assets.schemas import PartConsumption, PartCreate, PartReceipt
from digipark.assets.service import ASSETS, VIEW, WRITE, today
from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, NotFound, field_error
from digipark.workorders.provides import read_order


@cache
def _units_of_issue() -> dict[str, dict[str, str]]:
    """Each unit of issue's names by language, looked up by either name (data/units_of_issue.yaml)."""
    text = resources.files("digipark.assets").joinpath("data/units_of_issue.yaml").read_text("utf-8")
    found: dict[str, dict[str, str]] = {}
    for unit in yaml.safe_load(text)["units"]:
        names = {"zh": str(unit["zh"]), "en": str(unit["en"])}
        found.setdefault(names["zh"], names)
        found.setdefault(names["en"].lower(), names)
    return found


def unit_of_issue(unit: str, lang: str) -> str:
    """A part's unit of issue in the page's language (套 on an English page: set); a unit of the park's own as
    written."""
    names = _units_of_issue().get(unit) or _units_of_issue().get(unit.lower())
    return names.get(lang, unit) if names else unit


def create_part(session: Session, *, scope: Scope, data: PartCreate) -> SparePart:
    park_id = scope.acting_write_park(data.park_id)
    scope.authorize_write(WRITE, park_id=park_id)
    if session.scalar(select(SparePart.id).where(SparePart.park_id == park_id, SparePart.code == data.code)):
        raise field_error("code", f"a spare part {data.code!r} exists already")
    if (
        data.class_id is not None
        and session.scalar(select(AssetClass.id).where(AssetClass.id == data.class_id, AssetClass.park_id == park_id))
        is None
    ):
        raise field_error("class_id", f"no asset class {data.class_id} in this park")
    part = SparePart(**{**data.model_dump(), "park_id": park_id})
    session.add(part)
    session.flush()
    return part


def list_parts(session: Session, *, scope: Scope, park_id: int | None = None) -> builtins.list[SparePart]:
    scope.require(VIEW)
    stmt = scope.readable(SparePart)
    if park_id is not None:
        stmt = stmt.where(SparePart.park_id == park_id)
    return list(session.scalars(stmt.order_by(SparePart.code)))


def to_reorder(session: Session, *, scope: Scope, park_id: int | None = None) -> builtins.list[SparePart]:
    """The parts whose stock is at or below their reorder level (a level of 0 means: never reordered)."""
    return [p for p in list_parts(session, scope=scope, park_id=park_id) if p.reorder_level > 0 and needs_order(p)]


def needs_order(part: SparePart) -> bool:
    return part.reorder_level > 0 and part.stock <= part.reorder_level


def _part(session: Session, scope: Scope, part_id: int) -> SparePart:
    part = scope.get_or_404(session, SparePart, part_id)
    scope.authorize_write_row(WRITE, part)
    return part


def receive(session: Session, *, scope: Scope, part_id: int, data: PartReceipt) -> PartMovement:
    """Stock into the store; the part's unit cost becomes the receipt's when given."""
    part = _part(session, scope, part_id)
    cost = part.unit_cost if data.unit_cost is None else data.unit_cost
    move = PartMovement(
        park_id=part.park_id,
        part_id=part.id,
        kind=MovementKind.RECEIPT.value,
        quantity=data.quantity,
        unit_cost=cost,
        on=data.on or today(),
        by=scope.username,
        note=data.note,
    )
    part.stock = round(part.stock + data.quantity, 6)
    part.unit_cost = cost
    session.add(move)
    session.flush()
    return move


def consume(session: Session, *, scope: Scope, part_id: int, data: PartConsumption) -> PartMovement:
    """Take parts out of the store for a work order on an asset; 409 when the stock is short (nothing changes)."""
    part = _part(session, scope, part_id)
    asset = ASSETS.get(session, scope=scope, ident=data.asset_id)
    if asset.park_id != part.park_id:
        raise field_error("asset_id", f"no asset {data.asset_id} in the part's park")
    try:
        order = read_order(session, scope=scope, ident=data.order_id)
    except NotFound:
        raise field_error("order_id", f"no work order {data.order_id}") from None
    if order.park_id != part.park_id:
        raise field_error("order_id", f"no work order {data.order_id} in the part's park")
    if data.quantity > part.stock:
        raise Conflict(f"only {part.stock:g} {part.unit} of {part.code} in stock")
    move = PartMovement(
        park_id=part.park_id,
        part_id=part.id,
        kind=MovementKind.CONSUMPTION.value,
        quantity=data.quantity,
        unit_cost=part.unit_cost,
        asset_id=asset.id,
        order_id=order.id,
        on=data.on or today(),
        by=scope.username,
        note=data.note,
    )
    part.stock = round(part.stock - data.quantity, 6)
    session.add(move)
    session.flush()
    return move


def movements(
    session: Session, *, scope: Scope, part_id: int | None = None, asset_id: int | None = None
) -> builtins.list[PartMovement]:
    stmt = scope.readable(PartMovement)
    if part_id is not None:
        stmt = stmt.where(PartMovement.part_id == part_id)
    if asset_id is not None:
        stmt = stmt.where(PartMovement.asset_id == asset_id)
    return list(session.scalars(stmt.order_by(PartMovement.on.desc(), PartMovement.id.desc())))


def parts_cost(session: Session, *, scope: Scope, asset: Asset, since: dt.date | None = None) -> float:
    """The cost of the parts the asset's work orders consumed (yuan)."""
    stmt = select(func.coalesce(func.sum(PartMovement.quantity * PartMovement.unit_cost), 0.0)).where(
        scope.condition(PartMovement),
        PartMovement.asset_id == asset.id,
        PartMovement.kind == MovementKind.CONSUMPTION.value,
    )
    if since is not None:
        stmt = stmt.where(PartMovement.on >= since)
    return round(float(session.scalar(stmt) or 0.0), 2)
