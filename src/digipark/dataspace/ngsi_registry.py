"""More of the registry's records as NGSI-LD entities (read-only here, the registry is their record), in the scope's
view — what the registry lets the caller read is what the context API serves:

- each room as a schema.org `Room` (FIWARE Smart Data Models has no room model): `name` (its code), `category` (its
  use), `floorSize` (m², unitCode MTK), `floorLevel`, `refBuilding`, and its tenant while leased (`tenant`, a
  Relationship to the enterprise's `Organization`). Staff read the park's rooms; an enterprise the rooms it leases.
- each enterprise as a schema.org `Organization` (Smart Data Models has none for a company): `name`, `alternateName`
  (its English name), `taxID` (统一社会信用代码), `industryCode` (GB/T 4754-2017), `numberOfEmployees`,
  `foundingDate`, `address` — never its contact person. Staff read the park's; an enterprise itself only.
- each EV charging pile (a registry device of kind `ev_charger`) as a Smart Data Models `EVChargingStation`
  (dataModel.Transportation): `name`, `status` (the model's working / outOfService / withIncidence from the
  device's state, `data/ngsi_ld.yaml`), `location`, `refDevice` (its `Device` entity, which carries its readings).
  Read as the device is: an enterprise its own piles, staff the park's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.dataspace.ngsi_context import platform_terms, spec
from digipark.registry.models import Device, Enterprise, Floor, Room

ROOM_PREFIX = "urn:ngsi-ld:Room:digipark-"
ORGANIZATION_PREFIX = "urn:ngsi-ld:Organization:digipark-"
CHARGER_PREFIX = "urn:ngsi-ld:EVChargingStation:digipark-"
CHARGER_KIND = "ev_charger"
_BUILDING_PREFIX, _DEVICE_PREFIX = "urn:ngsi-ld:Building:digipark-", "urn:ngsi-ld:Device:digipark-"

Entity = dict[str, Any]


def _prop(value: Any, **members: Any) -> dict[str, Any]:
    return {"type": "Property", "value": value, **{k: v for k, v in members.items() if v is not None}}


def rooms(session: Session, scope: Scope, ids: list[int] | None) -> list[Entity]:
    iri = platform_terms()
    columns: Any = select(Room, Floor.level)
    stmt = scope.readable(Room, columns).join(Floor, Floor.id == Room.floor_id).order_by(Room.id)
    if ids is not None:
        stmt = stmt.where(Room.id.in_(ids))
    out = []
    for room, level in session.execute(stmt):
        attrs: dict[str, Any] = {
            iri["name"]: _prop(room.code),
            iri["floorSize"]: _prop(room.area_m2, unitCode=spec()["unit_codes"]["m²"]),
            iri["floorLevel"]: _prop(level),
            iri["refBuilding"]: {"type": "Relationship", "object": f"{_BUILDING_PREFIX}{room.building_id}"},
        }
        if room.use:
            attrs[iri["category"]] = _prop([room.use])
        if room.enterprise_id is not None:
            attrs[iri["tenant"]] = {"type": "Relationship", "object": f"{ORGANIZATION_PREFIX}{room.enterprise_id}"}
        out.append({"id": f"{ROOM_PREFIX}{room.id}", "type": iri["Room"], "attrs": attrs, "owner": room.enterprise_id})
    return out


def organizations(session: Session, scope: Scope, ids: list[int] | None) -> list[Entity]:
    iri, vocab = platform_terms(), spec()["default_vocab"]
    stmt = scope.readable(Enterprise).order_by(Enterprise.id)
    if ids is not None:
        stmt = stmt.where(Enterprise.id.in_(ids))
    out = []
    for e in session.scalars(stmt):
        attrs: dict[str, Any] = {
            iri["name"]: _prop(e.name),
            iri["taxID"]: _prop(e.uscc),
            vocab + "industryCode": _prop(e.industry_code),
        }
        optional = {
            "alternateName": e.name_en,
            "numberOfEmployees": e.employees,
            "foundingDate": e.established_on.isoformat() if e.established_on else None,
            "address": e.address,
        }
        attrs.update({iri[term]: _prop(value) for term, value in optional.items() if value is not None})
        out.append({"id": f"{ORGANIZATION_PREFIX}{e.id}", "type": iri["Organization"], "attrs": attrs, "owner": e.id})
    return out


def charging_stations(session: Session, scope: Scope, ids: list[int] | None) -> list[Entity]:
    iri, states = platform_terms(), spec()["charging_station_status"]
    columns: Any = select(Device.id, Device.name, Device.status, Device.lon, Device.lat, Device.enterprise_id)
    stmt = scope.readable(Device, columns).where(Device.kind == CHARGER_KIND).order_by(Device.id)
    if ids is not None:
        stmt = stmt.where(Device.id.in_(ids))
    out = []
    for d in session.execute(stmt):
        attrs: dict[str, Any] = {
            iri["name"]: _prop(d.name),
            iri["status"]: _prop(states.get(d.status, "outOfService")),
            iri["refDevice"]: {"type": "Relationship", "object": f"{_DEVICE_PREFIX}{d.id}"},
        }
        if d.lon is not None and d.lat is not None:
            attrs[iri["location"]] = {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [d.lon, d.lat]}}
        out.append(
            {
                "id": f"{CHARGER_PREFIX}{d.id}",
                "type": iri["EVChargingStation"],
                "attrs": attrs,
                "owner": d.enterprise_id,
            }
        )
    return out


# prefix -> (platform term of the type, loader)
KINDS = {
    ROOM_PREFIX: ("Room", rooms),
    ORGANIZATION_PREFIX: ("Organization", organizations),
    CHARGER_PREFIX: ("EVChargingStation", charging_stations),
}
