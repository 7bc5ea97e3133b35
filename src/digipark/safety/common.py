"""What the safety services share: the permissions, today's date, the early-warning weights and the checks of a
new record's owner, location and linked sensors."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

import digipark.audit.service  # noqa: F401  (registers the audit hook for every write below)
from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.errors import PermissionDenied, field_error
from digipark.registry.models import Building, Enterprise, Point, Zone

# -- permissions (auth/permissions.py holds which role has which) --------------------------------------------------
VIEW = "safety.view"  # the safety pages and the risk picture (an enterprise: its own records in it)
READ = "safety.read"  # the park's whole safety picture
WRITE = "safety.write"  # staff: register, hazard sources, hidden dangers (verify too), plans, resources
SELF_WRITE = "safety.self_write"  # an enterprise: its own risk points, hazard sources, hidden dangers, reports
COMMAND = "emergency.command"  # staff: incidents' tasks, closing, report pushes


def today() -> dt.date:
    """Today in the platform's time zone (Asia/Shanghai by default)."""
    return dt.datetime.now(zoneinfo.ZoneInfo(get_settings().timezone)).date()


@cache
def warning_data() -> dict[str, Any]:
    text = resources.files("digipark.safety").joinpath("data", "early_warning.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise RuntimeError("malformed safety/data/early_warning.yaml")
    return raw


def writer_permission(scope: Scope) -> str:
    """The permission a write of an enterprise-owned record needs: whoever may write any record of the park writes
    with that, the others (an enterprise) only their own."""
    return WRITE if scope.can(WRITE) else SELF_WRITE


def may_write(scope: Scope, row: Any) -> bool:
    try:
        scope.authorize_write_row(writer_permission(scope), row)
    except PermissionDenied:
        return False
    return True


def record_owner(
    session: Session, scope: Scope, enterprise_id: int | None, park_id: int | None = None
) -> tuple[int, int | None]:
    """(park_id, enterprise_id) of a new record: an enterprise user's own enterprise, or (staff) a visible
    enterprise of the park or none (the park's own)."""
    if scope.own_enterprise_only:
        if enterprise_id is not None and enterprise_id != scope.enterprise_id:
            raise PermissionDenied("an enterprise may record only its own data")
        enterprise_id = scope.enterprise_id
    if enterprise_id is not None:
        found: Enterprise | None = session.scalar(scope.readable(Enterprise).where(Enterprise.id == enterprise_id))
        if found is None:
            raise field_error("enterprise_id", f"no enterprise {enterprise_id} visible to you")
        park = found.park_id
    else:
        park = scope.acting_write_park(park_id)
    scope.authorize_write(writer_permission(scope), park_id=park, enterprise_id=enterprise_id)
    return park, enterprise_id


def enterprise_record_owner(session: Session, scope: Scope, data: BaseModel) -> tuple[int, int | None]:
    """`record_owner` of a new record whose input may name its enterprise (a `RecordType`'s owner hook)."""
    return record_owner(session, scope, getattr(data, "enterprise_id", None))


LOCATION_FIELDS = ("zone_id", "building_id", "lon", "lat", "location")


def checked_location(session: Session, scope: Scope, park_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Check a location's zone and building are the park's; a building without a zone gives its zone."""
    out = {k: values[k] for k in LOCATION_FIELDS if k in values}
    if out.get("zone_id") is not None:
        zone = session.scalar(scope.readable(Zone).where(Zone.id == out["zone_id"], Zone.park_id == park_id))
        if zone is None:
            raise field_error("zone_id", f"no zone {out['zone_id']} in this park")
    if out.get("building_id") is not None:
        building = session.scalar(
            scope.readable(Building).where(Building.id == out["building_id"], Building.park_id == park_id)
        )
        if building is None:
            raise field_error("building_id", f"no building {out['building_id']} in this park")
        if out.get("zone_id") is None and building.zone_id is not None:
            out["zone_id"] = building.zone_id
        elif out.get("zone_id") is not None and building.zone_id not in (None, out["zone_id"]):
            raise field_error("building_id", f"building {building.id} is not in zone {out['zone_id']}")
    if ("lon" in out) != ("lat" in out) or (out.get("lon") is None) != (out.get("lat") is None):
        raise field_error("lon", "give both lon and lat, or neither")
    return out


def relocated(session: Session, scope: Scope, row: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The checked location of a stored or new `row` once `values` (an update's fields) are applied."""
    current = {k: getattr(row, k) for k in LOCATION_FIELDS}
    return checked_location(session, scope, row.park_id, {**current, **values})


def checked_points(
    session: Session, scope: Scope, park_id: int, enterprise_id: int | None, ids: Sequence[int]
) -> list[int]:
    """Linked sensors: points of the park the caller can read (an enterprise's record: its own or the park's)."""
    unique = list(dict.fromkeys(ids))
    if not unique:
        return []
    found = {
        pid: owner
        for pid, owner in session.execute(
            select(Point.id, Point.enterprise_id).where(
                scope.condition(Point), Point.park_id == park_id, Point.id.in_(unique)
            )
        )
    }
    for pid in unique:
        if pid not in found:
            raise field_error("point_ids", f"no point {pid} in this park visible to you")
        if enterprise_id is not None and found[pid] not in (None, enterprise_id):
            raise field_error("point_ids", f"point {pid} belongs to another enterprise")
    return unique


def refuse_null(values: dict[str, Any], fields: Iterable[str]) -> None:
    for name in fields:
        if name in values and values[name] is None:
            raise field_error(name, "required: may not be set to null")
