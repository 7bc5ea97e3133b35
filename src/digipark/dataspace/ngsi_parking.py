"""The park's car parks as NGSI-LD `OffStreetParking` entities (FIWARE Smart Data Models dataModel.Parking): read
through living's door (`living.provides.parking_occupancy`, the occupancy now from the spaces' sensors), so what a
caller sees is what living lets its scope see (a caller without `living.view` sees no car parks).

Attributes: `name`, `totalSpotNumber` (capacity), `occupiedSpotNumber`, `availableSpotNumber` (free now: capacity
minus occupied minus visitor reservations, as living counts it) with `observedAt` of the newest sensor reading, and
`location` (a GeoJSON Point)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.dataspace.ngsi_context import platform_terms
from digipark.living.provides import parking_occupancy

PREFIX = "urn:ngsi-ld:OffStreetParking:digipark-"
TYPE = "OffStreetParking"
LIVING_VIEW = "living.view"


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat().replace("+00:00", "Z")


def car_parks(session: Session, scope: Scope, ids: list[int] | None) -> list[dict[str, Any]]:
    """The car parks of the scope's park (one query of car parks, one of sensor counts, one of reservations)."""
    if not scope.can(LIVING_VIEW) or scope.park_id is None:
        return []
    iri = platform_terms()
    wanted = set(ids) if ids is not None else None
    out = []
    for cp in parking_occupancy(session, scope=scope):
        if wanted is not None and cp.car_park_id not in wanted:
            continue
        observed = {"observedAt": _iso(cp.updated_ms)} if cp.updated_ms is not None else {}
        attrs: dict[str, Any] = {
            iri["name"]: {"type": "Property", "value": cp.name},
            iri["totalSpotNumber"]: {"type": "Property", "value": cp.capacity},
            iri["occupiedSpotNumber"]: {"type": "Property", "value": cp.occupied, **observed},
            iri["availableSpotNumber"]: {"type": "Property", "value": cp.free, **observed},
            iri["location"]: {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [cp.lon, cp.lat]}},
        }
        out.append({"id": f"{PREFIX}{cp.car_park_id}", "type": iri[TYPE], "attrs": attrs, "owner": None})
    return out


__all__ = ["PREFIX", "TYPE", "car_parks"]
