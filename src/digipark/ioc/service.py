"""The operations centre's reads: the park map's layers and the operations screen's figures, each through the
registry and the other domains' `provides`, as the caller may read them. Nothing here writes.

A layer or a figure the caller may not read (a missing permission) is left out, not an error: the screen shows what
its viewer may see. The slow figures (the economy's month, the energy-carbon year, the evaluation of the four
construction standards) are kept for `SLOW_FIGURES_S` per park and viewer; the live ones (load, devices online,
alarms, incidents, car parks) are read every time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.alarms import provides as alarms
from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import DomainError
from digipark.economy import provides as economy
from digipark.energy import provides as energy
from digipark.evaluation import provides as evaluation
from digipark.ioc import coords, geometry
from digipark.living import provides as living
from digipark.registry.models import Device, Point
from digipark.safety import provides as safety
from digipark.telemetry.provides import PointLatest, online_condition

VIEW = "ioc.view"
SLOW_FIGURES_S = 300.0
TICKER_ALARMS = 20
OPEN_ALARMS_MAX = 500
ECONOMY_FIGURES = ("output_value_wan_yuan", "tax_paid_wan_yuan")
LAYERS = ("park", "devices", "alarms", "car_parks", "deliveries")


def collection(features: list[geometry.Feature]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _try(read: Callable[[], Any], default: Any) -> Any:
    """A read the caller may not be allowed (PermissionDenied and other domain errors): the default instead."""
    try:
        return read()
    except DomainError:
        return default


def _risk_by_building(session: Session, scope: Scope, park_id: int) -> dict[int, str]:
    picture = _try(lambda: safety.risk_picture(session, scope=scope, park_id=park_id), None)
    if picture is None:
        return {}
    return {int(b.key): b.level for b in picture.buildings if b.key is not None}


def map_layers(
    session: Session, *, scope: Scope, park_id: int | None = None, translate: Callable[[str], str] | None = None
) -> dict[str, Any]:
    """Every layer of the park map as GeoJSON, with the park's centre and bounds (in the map's datum)."""
    scope.require(VIEW)
    park = geometry.park_of(session, scope, park_id)
    park_features = geometry.foundation(
        session, scope=scope, park=park, risk=_risk_by_building(session, scope, park.id)
    )
    open_alarms: list[dict[str, Any]] = _shown(
        _try(lambda: alarms.open_alarms(session, scope=scope, park_id=park.id, limit=OPEN_ALARMS_MAX), []), translate
    )
    alarmed = {int(a["device_id"]) for a in open_alarms if a.get("device_id")}
    devices = geometry.device_states(session, scope=scope, park_id=park.id, alarmed=alarmed)
    device_at = {int(f["id"]): tuple(f["geometry"]["coordinates"][:2]) for f in devices}
    building_at: dict[int, tuple[float, float]] = {}
    for f in park_features:
        if f["properties"]["layer"] == "building":
            centre = geometry.ring_centre(f["geometry"])
            if centre is not None:
                building_at[int(f["id"])] = centre
    alarm_features = geometry.alarm_features(open_alarms, device_at, building_at)
    heat = building_loads_kw(session, park_id=park.id)
    peak = max(heat.values(), default=0.0)
    for f in park_features:
        if f["properties"]["layer"] == "building":
            load = heat.get(int(f["id"]))
            f["properties"]["load_kw"] = load
            f["properties"]["load_share"] = round(load / peak, 3) if load is not None and peak > 0 else None
    occupancy = _try(lambda: living.parking_occupancy(session, scope=scope, park_id=park.id), [])
    deliveries = _try(lambda: living.current_deliveries(session, scope=scope, park_id=park.id), [])
    positions = [
        tuple(p)
        for f in park_features
        if f["properties"]["layer"] in ("boundary", "zone", "building")
        for ring in f["geometry"]["coordinates"]
        for p in ring
    ]
    bounds = None
    if positions:
        lons = [p[0] for p in positions]
        lats = [p[1] for p in positions]
        bounds = [[min(lons), min(lats)], [max(lons), max(lats)]]
    centre = geometry.park_centre(session, park)
    return {
        "park": {"id": park.id, "name": park.name, "name_en": park.name_en},
        "crs": geometry.target_crs().value,
        "centre": list(coords.convert(*centre, source="wgs84", target=geometry.target_crs())) if centre else None,
        "bounds": bounds,
        "layers": {
            "park": collection(park_features),
            "devices": collection(devices),
            "alarms": collection(alarm_features),
            "car_parks": collection(geometry.car_park_features(occupancy)),
            "deliveries": collection(geometry.delivery_features(deliveries)),
        },
    }


def map_frame(session: Session, *, scope: Scope, park_id: int | None = None) -> dict[str, Any]:
    """The map's frame without its layers (empty): the park, datum and centre. The operations screen embeds this
    (a quick first paint) and its map fetches the layers (`map_layers`, with the bounds) right after."""
    scope.require(VIEW)
    park = geometry.park_of(session, scope, park_id)
    centre = geometry.park_centre(session, park)
    return {
        "park": {"id": park.id, "name": park.name, "name_en": park.name_en},
        "crs": geometry.target_crs().value,
        "centre": list(coords.convert(*centre, source="wgs84", target=geometry.target_crs())) if centre else None,
        "bounds": None,
        "layers": {name: collection([]) for name in LAYERS},
    }


# -- the operations screen ---------------------------------------------------------------------------------------
_slow_lock = threading.Lock()
_slow: dict[tuple[int, int | None], tuple[float, dict[str, Any]]] = {}


def live_load_kw(session: Session, *, park_id: int) -> tuple[float | None, int | None]:
    """The park's electrical load now: the newest active power of the devices of its top-level electricity meters
    (those without a parent, so sub-meters are not counted twice), from points reporting now; and the newest ts."""
    tops = [
        m
        for m in energy.meter_tree(session, park_id=park_id)
        if m["parent_id"] is None and m["carrier"] == "electricity" and m["point_id"] is not None
    ]
    if not tops:
        return None, None
    meter_devices = select(Point.device_id).where(Point.id.in_([m["point_id"] for m in tops]))
    rows = session.execute(
        select(PointLatest.value, PointLatest.ts)
        .join(Point, Point.id == PointLatest.point_id)
        .where(Point.device_id.in_(meter_devices), Point.quantity == "electric_power", online_condition())
    ).all()
    if not rows:
        return None, None
    return round(sum(float(r[0]) for r in rows), 1), max(int(r[1]) for r in rows)


def building_loads_kw(session: Session, *, park_id: int) -> dict[int, float]:
    """Each building's electrical load now (kW): the newest active power, from points reporting now, of the devices
    of its electricity meters at the top of the building (a meter whose parent is in another building or none, so
    a sub-meter of the same building is not counted twice). Buildings without such a meter are left out."""
    meters = [m for m in energy.meter_tree(session, park_id=park_id) if m["carrier"] == "electricity"]
    building_of = {m["id"]: m["building_id"] for m in meters}
    tops = [
        m
        for m in meters
        if m["building_id"] is not None
        and m["point_id"] is not None
        and (m["parent_id"] is None or building_of.get(m["parent_id"]) != m["building_id"])
    ]
    if not tops:
        return {}
    device_building: dict[int, int] = {}
    for device_id, point_id in session.execute(
        select(Point.device_id, Point.id).where(Point.id.in_([m["point_id"] for m in tops]))
    ):
        for m in tops:
            if m["point_id"] == point_id:
                device_building[int(device_id)] = int(m["building_id"])
    rows = session.execute(
        select(Point.device_id, PointLatest.value)
        .join(Point, Point.id == PointLatest.point_id)
        .where(Point.device_id.in_(list(device_building)), Point.quantity == "electric_power", online_condition())
    ).all()
    loads: dict[int, float] = {}
    for device_id, value in rows:
        building = device_building[int(device_id)]
        loads[building] = round(loads.get(building, 0.0) + float(value), 1)
    return loads


def devices_online(session: Session, *, scope: Scope, park_id: int) -> tuple[int, int]:
    """(devices with a point reporting now, active devices) of the park, as the caller may read them."""
    active = scope.readable(Device, select(Device.id)).where(Device.park_id == park_id, Device.status == "active")
    total = session.scalar(select(func.count()).select_from(active.subquery()))
    online = session.scalar(
        select(func.count(func.distinct(Point.device_id)))
        .join(PointLatest, PointLatest.point_id == Point.id)
        .where(Point.device_id.in_(active), online_condition())
    )
    return int(online or 0), int(total or 0)


def _slow_figures(session: Session, scope: Scope, park_id: int) -> dict[str, Any]:
    economy_figures: list[dict[str, Any]] = []
    board = _try(lambda: economy.dashboard(session, scope=scope, park_id=park_id), None)
    if board is not None:
        for f in board.figures:
            if f.figure in ECONOMY_FIGURES:
                economy_figures.append(
                    {"figure": f.figure, "unit": f.unit, "ytd": f.ytd_total, "ytd_yoy_pct": f.ytd_yoy.percent}
                )
        economy_period = board.period.isoformat()
    else:
        economy_period = None
    summary = _try(lambda: energy.park_summary(session, scope=scope, park_id=park_id), None)
    energy_figures = None
    if summary is not None:
        energy_figures = {
            "year": summary.year,
            "tce": summary.tce_equivalent,
            "tco2": summary.tco2,
            "yoy_tce_pct": summary.yoy_tce_pct,
            "tce_per_wan_yuan": summary.tce_per_wan_yuan,
        }
    found = _try(lambda: evaluation.evaluation_for_year(session, scope=scope, park_id=park_id), None)
    standards = []
    if found is not None:
        standards = [
            {"code": s.code, "name": s.name, "name_en": s.name_en, "met": s.met, "progress": s.progress}
            for s in found.standards
        ]
    return {
        "economy": {"period": economy_period, "figures": economy_figures},
        "energy": energy_figures,
        "standards": standards,
    }


def slow_figures(
    session: Session, *, scope: Scope, park_id: int, user_id: int | None, cached_only: bool = False
) -> dict[str, Any]:
    """The slow figures, kept `SLOW_FIGURES_S`; `cached_only`: what is kept, or empty ones (never computed here)."""
    key = (park_id, user_id)
    now = time.monotonic()
    with _slow_lock:
        held = _slow.get(key)
    if held is not None and now - held[0] < SLOW_FIGURES_S:
        return held[1]
    if cached_only:
        return {"economy": None, "energy": None, "standards": []}
    figures = _slow_figures(session, scope, park_id)
    with _slow_lock:
        _slow[key] = (now, figures)
    return figures


def forget_slow_figures() -> None:
    with _slow_lock:
        _slow.clear()


def _shown(found: list[dict[str, Any]], translate: Callable[[str], str] | None) -> list[dict[str, Any]]:
    """Open alarms with their messages in the reader's language (an external alarm's title is a msgid)."""
    if translate is None:
        return found
    return [{**a, "message": alarms.alarm_message(str(a["message"]), translate)} for a in found]


def screen_figures(
    session: Session,
    *,
    scope: Scope,
    park_id: int | None = None,
    user_id: int | None = None,
    quick: bool = False,
    translate: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """Everything the operations screen shows but the map: the live figures, the slow ones (kept a while), the
    alarm ticker and the incidents not yet closed. `quick`: the slow figures only if kept (the page's first paint;
    its stream brings them a moment later)."""
    scope.require(VIEW)
    park = scope.acting_park(park_id)
    load, load_ts = live_load_kw(session, park_id=park)
    online, active = devices_online(session, scope=scope, park_id=park)
    safety_counts = _try(lambda: safety.overview_counts(session, scope=scope, park_id=park), {})
    open_alarms = _shown(
        _try(lambda: alarms.open_alarms(session, scope=scope, park_id=park, limit=OPEN_ALARMS_MAX), []), translate
    )
    incidents = _try(lambda: safety.incident_status(session, scope=scope, park_id=park), [])
    occupancy = _try(lambda: living.parking_occupancy(session, scope=scope, park_id=park), [])
    capacity = sum(o.capacity for o in occupancy)
    return {
        "park_id": park,
        "at": utcnow().isoformat(),
        "live": {
            "load_kw": load,
            "load_ts": load_ts,
            "devices_online": online,
            "devices_active": active,
            "open_alarms": len(open_alarms),
            "parking_free": sum(o.free for o in occupancy) if occupancy else None,
            "parking_capacity": capacity or None,
        },
        "safety": safety_counts,
        "alarms": open_alarms[:TICKER_ALARMS],
        "incidents": incidents,
        **slow_figures(session, scope=scope, park_id=park, user_id=user_id, cached_only=quick),
    }
