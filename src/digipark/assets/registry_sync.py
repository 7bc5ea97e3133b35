"""Land and buildings from the registry into the asset register: each land parcel becomes a land-use-right asset
(class `land`), each building a building asset (class `building`), found again by `source_ref` (land:<id>,
building:<id>) so a second sync changes only what the registry changed (idempotent). A new asset is park-owned and
in service from the land grant's start or the building's year of construction; its value is left for the finance
staff to enter (the registry holds none)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.assets.models import Asset, AssetClass, LifecycleChange, LifecycleState
from digipark.assets.service import WRITE, seed_classes, today
from digipark.auth.scope import Scope
from digipark.registry.models import Building, LandParcel


@dataclasses.dataclass(frozen=True)
class SyncResult:
    created: int
    updated: int
    unchanged: int


def _free_code(session: Session, park_id: int, code: str, asset_id: int | None) -> str:
    taken = session.scalar(select(Asset.id).where(Asset.park_id == park_id, Asset.code == code))
    if taken is None or taken == asset_id:
        return code
    return f"{code}-{asset_id or 'R'}"[:60]


def _apply(
    session: Session,
    scope: Scope,
    *,
    park_id: int,
    klass: AssetClass,
    found: dict[str, Asset],
    ref: str,
    values: dict[str, object],
    since: dt.date | None,
) -> str:
    row = found.get(ref)
    if row is None:
        life = klass.useful_life_years * 12
        row = Asset(
            park_id=park_id,
            enterprise_id=None,
            class_id=klass.id,
            source_ref=ref,
            state=LifecycleState.IN_SERVICE.value,
            in_service_on=since,
            purchase_value=0.0,
            salvage_value=0.0,
            useful_life_months=life,
            method=klass.method,
            **{**values, "code": _free_code(session, park_id, str(values["code"]), None)},
        )
        session.add(row)
        session.flush()
        session.add(
            LifecycleChange(
                park_id=park_id,
                asset_id=row.id,
                from_state=None,
                to_state=row.state,
                on=since or today(),
                by=scope.username,
                note="从园区基础信息导入",
            )
        )
        return "created"
    changed = False
    for field, value in values.items():
        if field == "code":
            continue  # staff may have renamed the code; the source_ref is what matches
        if getattr(row, field) != value:
            setattr(row, field, value)
            changed = True
    return "updated" if changed else "unchanged"


def sync_registry(session: Session, *, scope: Scope, park_id: int | None = None) -> SyncResult:
    """Bring the park's land parcels and buildings into the register (create the missing, update the changed).
    Not committed."""
    scope.require(WRITE)
    park = scope.acting_write_park(park_id)
    classes = seed_classes(session, park_id=park)
    found = {
        a.source_ref: a
        for a in session.scalars(select(Asset).where(Asset.park_id == park, Asset.source_ref.is_not(None)))
        if a.source_ref
    }
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for parcel in session.scalars(select(LandParcel).where(LandParcel.park_id == park).order_by(LandParcel.code)):
        mu = parcel.area_mu
        values: dict[str, object] = {
            "code": f"TD-{parcel.code}"[:60],
            "name": f"{parcel.code} 地块土地使用权"[:200],
            "name_en": f"Land use right, parcel {parcel.code}"[:200],
            "land_parcel_id": parcel.id,
            "location": (f"{parcel.land_use} · {mu:,.2f} 亩" if mu is not None else parcel.land_use)[:200],
        }
        outcome = _apply(
            session,
            scope,
            park_id=park,
            klass=classes["land"],
            found=found,
            ref=f"land:{parcel.id}",
            values=values,
            since=parcel.lease_start,
        )
        counts[outcome] += 1
    for building in session.scalars(select(Building).where(Building.park_id == park).order_by(Building.code)):
        values = {
            "code": f"LY-{building.code}"[:60],
            "name": building.name[:200],
            "name_en": building.name_en[:200] if building.name_en else None,
            "building_id": building.id,
            "land_parcel_id": building.parcel_id,
            "location": building.name[:200],
        }
        since = dt.date(building.year_built, 1, 1) if building.year_built else None
        outcome = _apply(
            session,
            scope,
            park_id=park,
            klass=classes["building"],
            found=found,
            ref=f"building:{building.id}",
            values=values,
            since=since,
        )
        counts[outcome] += 1
    session.flush()
    return SyncResult(**counts)
