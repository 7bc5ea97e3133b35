"""亩均: each enterprise's share of the park's land, allocated by the floor area it leases."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.core.units import convert
from digipark.registry.models import Building, LandParcel, Room


@dataclasses.dataclass
class LandShare:
    m2: float = 0.0
    parcels: list[tuple[int, str, float, float]] = dataclasses.field(default_factory=list)  # id, code, m2, share

    @property
    def mu(self) -> float:
        return self.m2 / m2_per_mu()


@cache
def m2_per_mu() -> float:
    """Square metres in one 亩 (from the unit registry, converted once)."""
    return convert(1.0, "mu", "m**2")


def land_allocation(session: Session, *, park_id: int, enterprise_id: int | None = None) -> dict[int, LandShare]:
    """Land per enterprise: each parcel split among its tenants by the floor area each leases on it.

    Reads the registry directly (not through a scope): the allocation of a parcel depends on every tenant of
    it, and callers show an enterprise only its own share.
    """
    leased = (
        select(Building.parcel_id, Room.enterprise_id, func.sum(Room.area_m2).label("area"))
        .join(Building, Building.id == Room.building_id)
        .where(Room.park_id == park_id, Room.enterprise_id.is_not(None), Building.parcel_id.is_not(None))
        .group_by(Building.parcel_id, Room.enterprise_id)
    )
    by_parcel: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for parcel_id, tenant, area in session.execute(leased):
        if parcel_id is not None and tenant is not None and area and area > 0:
            by_parcel[parcel_id].append((tenant, float(area)))
    if enterprise_id is not None:
        by_parcel = {p: tenants for p, tenants in by_parcel.items() if any(t == enterprise_id for t, _ in tenants)}
    if not by_parcel:
        return {}
    parcels = {
        ident: (code, float(area))
        for ident, code, area in session.execute(
            select(LandParcel.id, LandParcel.code, LandParcel.area_m2).where(LandParcel.id.in_(sorted(by_parcel)))
        )
    }
    shares: dict[int, LandShare] = defaultdict(LandShare)
    for parcel_id, tenants in by_parcel.items():
        code, parcel_area = parcels[parcel_id]
        total = sum(area for _, area in tenants)
        for tenant, area in tenants:
            if enterprise_id is not None and tenant != enterprise_id:
                continue
            share = area / total
            shares[tenant].m2 += parcel_area * share
            shares[tenant].parcels.append((parcel_id, code, parcel_area * share, share))
    return dict(shares)
