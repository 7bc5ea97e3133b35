"""Energy meters: their hierarchy, telemetry-linked, manual and virtual meters."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import digipark.audit.service  # noqa: F401  (registers the audit hook for every write below)
from digipark.auth.scope import Scope
from digipark.core import units
from digipark.core.errors import Conflict, ValidationFailed, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.energy.common import WRITE, checked_carrier, enterprise_for
from digipark.energy.factors import carriers
from digipark.energy.models import EnergyEntry, EnergyMeter, MeterLevel, MeterSource
from digipark.energy.schemas import MeterCreate, MeterUpdate
from digipark.registry.models import Building, Point, Zone
from digipark.telemetry.provides import CUMULATIVE

METER_SPEC = ListSpec(
    filters={
        "park_id": EnergyMeter.park_id,
        "enterprise_id": EnergyMeter.enterprise_id,
        "level": EnergyMeter.level,
        "carrier": EnergyMeter.carrier,
        "source": EnergyMeter.source,
        "parent_id": EnergyMeter.parent_id,
        "active": EnergyMeter.active,
    },
    search=(EnergyMeter.name, EnergyMeter.code),
    sort={"id": EnergyMeter.id, "code": EnergyMeter.code, "name": EnergyMeter.name, "level": EnergyMeter.level},
    default_sort="code",
)


def list_meters(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[EnergyMeter], int]:
    return METER_SPEC.apply(session, scope.readable(EnergyMeter), query)


def get_meter(session: Session, *, scope: Scope, ident: int) -> EnergyMeter:
    return scope.get_or_404(session, EnergyMeter, ident)


def _same_park_meter(session: Session, park_id: int, ident: int, field: str) -> EnergyMeter:
    found = session.get(EnergyMeter, ident)
    if found is None or found.park_id != park_id:
        raise field_error(field, f"no meter {ident} in this park")
    return found


def _check_point(session: Session, scope: Scope, park_id: int, point_id: int, carrier: str) -> None:
    point: Point | None = session.scalar(scope.readable(Point).where(Point.id == point_id))
    if point is None or point.park_id != park_id:
        raise field_error("point_id", f"no point {point_id} in this park")
    if point.state_class != CUMULATIVE:
        raise field_error("point_id", "the point is not a cumulative register (state_class total_increasing)")
    allowed = carriers()[carrier].telemetry
    if point.quantity not in allowed:
        raise field_error(
            "point_id", f"a {carrier} meter reads {', '.join(allowed) or 'no telemetry'}, not {point.quantity}"
        )
    try:
        units.convert(1.0, point.unit, carriers()[carrier].unit)
    except ValidationFailed:
        raise field_error(
            "point_id", f"the point's unit {point.unit} does not convert to {carriers()[carrier].unit}"
        ) from None


def _check_terms(session: Session, meter: EnergyMeter, terms: builtins.list[dict[str, Any]]) -> None:
    if not terms:
        raise field_error("terms", "a virtual meter needs at least one term")
    for index, term in enumerate(terms):
        other = _same_park_meter(session, meter.park_id, int(term["meter_id"]), f"terms[{index}].meter_id")
        if other.carrier != meter.carrier:
            raise field_error(
                f"terms[{index}].meter_id", f"meter {other.id} measures {other.carrier}, not {meter.carrier}"
            )
    # no cycle: walk the terms' own terms
    seen: set[int] = set()
    stack = [int(t["meter_id"]) for t in terms]
    while stack:
        ident = stack.pop()
        if meter.id is not None and ident == meter.id:
            raise field_error("terms", "a virtual meter cannot depend on itself")
        if ident in seen:
            continue
        seen.add(ident)
        term_meter = session.get(EnergyMeter, ident)
        if term_meter is not None and term_meter.source == MeterSource.VIRTUAL.value:
            stack += [int(t["meter_id"]) for t in term_meter.terms]


def _check_parent(session: Session, meter: EnergyMeter, parent_id: int | None) -> None:
    if parent_id is None:
        return
    parent = _same_park_meter(session, meter.park_id, parent_id, "parent_id")
    cursor: EnergyMeter | None = parent
    while cursor is not None:
        if meter.id is not None and cursor.id == meter.id:
            raise field_error("parent_id", "the meter would be its own ancestor")
        cursor = session.get(EnergyMeter, cursor.parent_id) if cursor.parent_id else None


def create_meter(session: Session, *, scope: Scope, data: MeterCreate) -> EnergyMeter:
    carrier = checked_carrier(data.carrier)
    if data.enterprise_id is not None:
        enterprise = enterprise_for(session, scope, data.enterprise_id)
        park_id = enterprise.park_id
        if data.park_id is not None and data.park_id != park_id:
            raise field_error("park_id", "the enterprise belongs to another park")
    else:
        park_id = scope.acting_write_park(data.park_id)
    scope.authorize_write(WRITE, park_id=park_id, enterprise_id=data.enterprise_id)
    if data.level == MeterLevel.ENTERPRISE.value and data.enterprise_id is None:
        raise field_error("enterprise_id", "an enterprise meter names its enterprise")
    if session.scalar(select(EnergyMeter.id).where(EnergyMeter.park_id == park_id, EnergyMeter.code == data.code)):
        raise Conflict(f"meter code {data.code} is taken", errors=[{"field": "code", "reason": "already exists"}])
    if data.zone_id is not None:
        zone = session.get(Zone, data.zone_id)
        if zone is None or zone.park_id != park_id:
            raise field_error("zone_id", f"no zone {data.zone_id} in this park")
    if data.building_id is not None:
        building = session.get(Building, data.building_id)
        if building is None or building.park_id != park_id:
            raise field_error("building_id", f"no building {data.building_id} in this park")
    meter = EnergyMeter(
        park_id=park_id,
        enterprise_id=data.enterprise_id,
        code=data.code,
        name=data.name,
        level=data.level,
        carrier=carrier,
        flow=data.flow,
        source=data.source,
        unit=carriers()[carrier].unit,
        zone_id=data.zone_id,
        building_id=data.building_id,
        point_id=None,
        terms=[],
        flexible_share=data.flexible_share,
        active=True,
    )
    if data.source == MeterSource.TELEMETRY.value:
        if data.point_id is None:
            raise field_error("point_id", "a telemetry meter names its cumulative register point")
        _check_point(session, scope, park_id, data.point_id, carrier)
        meter.point_id = data.point_id
    elif data.point_id is not None:
        raise field_error("point_id", "only a telemetry meter reads a point")
    terms = [t.model_dump() for t in data.terms]
    if data.source == MeterSource.VIRTUAL.value:
        _check_terms(session, meter, terms)
        meter.terms = terms
    elif terms:
        raise field_error("terms", "only a virtual meter has terms")
    _check_parent(session, meter, data.parent_id)
    meter.parent_id = data.parent_id
    session.add(meter)
    session.flush()
    return meter


def update_meter(session: Session, *, scope: Scope, ident: int, data: MeterUpdate) -> EnergyMeter:
    meter = get_meter(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, meter)
    given = data.model_dump(exclude_unset=True)
    if "parent_id" in given:
        _check_parent(session, meter, data.parent_id)
        meter.parent_id = data.parent_id
    if given.get("point_id") is not None:
        if meter.source != MeterSource.TELEMETRY.value:
            raise field_error("point_id", "only a telemetry meter reads a point")
        _check_point(session, scope, meter.park_id, int(given["point_id"]), meter.carrier)
        meter.point_id = given["point_id"]
    if data.terms is not None:
        if meter.source != MeterSource.VIRTUAL.value:
            raise field_error("terms", "only a virtual meter has terms")
        terms = [t.model_dump() for t in data.terms]
        _check_terms(session, meter, terms)
        meter.terms = terms
    if data.name is not None:
        meter.name = data.name
    if data.flexible_share is not None:
        meter.flexible_share = data.flexible_share
    if data.active is not None:
        meter.active = data.active
    session.flush()
    return meter


def delete_meter(session: Session, *, scope: Scope, ident: int) -> None:
    meter = get_meter(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, meter)
    if session.scalar(select(EnergyEntry.id).where(EnergyEntry.meter_id == meter.id).limit(1)):
        raise Conflict("the meter has manual entries; deactivate it instead")
    if session.scalar(select(EnergyMeter.id).where(EnergyMeter.parent_id == meter.id).limit(1)):
        raise Conflict("the meter has sub-meters; move or delete them first")
    virtual = session.scalars(
        select(EnergyMeter).where(EnergyMeter.park_id == meter.park_id, EnergyMeter.source == MeterSource.VIRTUAL.value)
    )
    if any(int(t["meter_id"]) == meter.id for v in virtual for t in v.terms):
        raise Conflict("a virtual meter uses this meter; change it first")
    session.delete(meter)
    session.flush()
