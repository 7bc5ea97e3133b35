"""The PV, storage and charging site's figures from the platform's records: the stored telemetry of the park's PV
inverters, battery storage systems and EV charging piles (device kinds pv_inverter, battery_storage, ev_charger of
registry/data/device_kinds.yaml), read through telemetry's hourly rollups as the caller may read them.

- generation: the hourly increase of the inverters' generation register (pv_energy_kwh); self-consumption: the
  generation less what the inverters' export register counted to the grid (export_kwh);
- storage: the state of charge (soc_pct, the hour's last reading), the energy charged and discharged (registers);
  the equivalent full cycles are the sum of the falls of the state of charge ÷ 100 % (discharged share of the
  capacity); the saving is the time-of-use arbitrage: each hour's discharged energy at that hour's price (the grid
  import it replaced) less its charged energy at that hour's price (energy charged from the park's own PV is
  counted as if bought, so the saving is not overstated);
- charging: each pile's hourly energy (charging_kwh) priced at that hour's time-of-use price plus the service
  fee; a session is a run of consecutive hours with energy.

Completeness: the share of the year's hours so far (up to `until`) with a generation bucket — below 100 % the page
says the history is still loading."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.registry.models import Device, Point
from digipark.telemetry.provides import local_zone, point_series

PV, BATTERY, CHARGER = "pv_inverter", "battery_storage", "ev_charger"
KINDS = (PV, BATTERY, CHARGER)
HOUR_MS = 3_600_000
MONTH_KEYS = (
    "pv_kwh",
    "self_kwh",
    "charged_kwh",
    "discharged_kwh",
    "cycles",
    "saving_yuan",
    "sessions",
    "charging_kwh",
    "charging_fee",
)


@dataclasses.dataclass
class SiteRecords:
    year: int
    months: list[dict[str, float]]
    soc_end_pct: float | None
    cycles: float
    sessions: int
    completeness: float  # 0..1: hours of the year so far with a generation bucket
    devices: dict[str, int]  # kind -> devices with readable points


def site_points(session: Session, scope: Scope, park_id: int) -> dict[str, dict[str, list[int]]]:
    """{kind: {point key: [point ids]}} of the park's site devices the caller may read (point keys are the code's
    tail after the device code, as the registry creates catalogue points)."""
    rows = session.execute(
        scope.readable(Point)
        .join(Device, Device.id == Point.device_id)
        .where(Point.park_id == park_id, Device.kind.in_(KINDS))
        .with_only_columns(Point.id, Point.quantity, Device.kind)
        .order_by(Point.id)
    ).all()
    found: dict[str, dict[str, list[int]]] = {}
    for point_id, quantity, kind in rows:
        found.setdefault(kind, {}).setdefault(quantity, []).append(point_id)
    return found


def device_count(session: Session, scope: Scope, park_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Device.kind, Device.id)
        .where(Device.park_id == park_id, Device.kind.in_(KINDS))
        .where(Device.id.in_(scope.readable(Point).with_only_columns(Point.device_id)))
    ).all()
    counts: dict[str, int] = {}
    for kind, _ident in rows:
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def _hourly(
    session: Session, scope: Scope, point_ids: Sequence[int], start: int, end: int, agg: str
) -> dict[int, list[tuple[int, float]]]:
    out: dict[int, list[tuple[int, float]]] = {}
    for pid in point_ids:
        series = point_series(session, scope=scope, point_id=pid, from_ms=start, to_ms=end, resolution="1h", agg=agg)
        out[pid] = [(ts, float(v)) for ts, v in series.points if v is not None]
    return out


def records_year(
    session: Session,
    *,
    scope: Scope,
    park_id: int,
    year: int,
    prices: Sequence[float],
    service_fee: float,
    until: dt.datetime | None = None,
) -> SiteRecords | None:
    """The site's `year` by local month from the stored readings; None when the park has no site device the
    caller may read. `prices`: the 24 hourly time-of-use prices (yuan/kWh)."""
    if len(prices) != 24:
        raise ValueError("24 hourly prices")
    points = site_points(session, scope, park_id)
    if not points:
        return None
    zone = local_zone()
    start_at = dt.datetime(year, 1, 1, tzinfo=zone)
    end_at = dt.datetime(year + 1, 1, 1, tzinfo=zone)
    if until is not None:
        end_at = min(end_at, until.astimezone(zone).replace(minute=0, second=0, microsecond=0))
    start, end = (
        int(start_at.timestamp() * 1000),
        max(int(end_at.timestamp() * 1000), int(start_at.timestamp() * 1000) + HOUR_MS),
    )
    months = [dict.fromkeys(MONTH_KEYS, 0.0) for _ in range(12)]

    def local(ts: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(ts / 1000, zone)

    pv, battery, piles = points.get(PV, {}), points.get(BATTERY, {}), points.get(CHARGER, {})
    covered: set[int] = set()
    for series in _hourly(session, scope, pv.get("pv_energy", []), start, end, "delta").values():
        for ts, value in series:
            covered.add(ts)
            m = months[local(ts).month - 1]
            m["pv_kwh"] += value
            m["self_kwh"] += value
    for series in _hourly(session, scope, pv.get("export_energy", []), start, end, "delta").values():
        for ts, value in series:
            months[local(ts).month - 1]["self_kwh"] -= value
    for quantity, key, sign in (
        ("storage_charge_energy", "charged_kwh", -1.0),
        ("storage_discharge_energy", "discharged_kwh", 1.0),
    ):
        for series in _hourly(session, scope, battery.get(quantity, []), start, end, "delta").values():
            for ts, value in series:
                at = local(ts)
                m = months[at.month - 1]
                m[key] += value
                m["saving_yuan"] += sign * value * float(prices[at.hour])
    soc_end: float | None = None
    for series in _hourly(session, scope, battery.get("state_of_charge", []), start, end, "last").values():
        previous: float | None = None
        for ts, value in series:
            if previous is not None and value < previous:
                months[local(ts).month - 1]["cycles"] += (previous - value) / 100.0
            previous = value
        if series:
            soc_end = series[-1][1] if soc_end is None else soc_end + series[-1][1]
    if soc_end is not None and len(battery.get("state_of_charge", [])) > 1:
        soc_end /= len(battery["state_of_charge"])
    sessions = 0
    for series in _hourly(session, scope, piles.get("charging_energy", []), start, end, "delta").values():
        last_hour: int | None = None
        for ts, value in series:
            if value <= 0:
                continue
            at = local(ts)
            m = months[at.month - 1]
            m["charging_kwh"] += value
            m["charging_fee"] += value * (float(prices[at.hour]) + service_fee)
            if last_hour is None or ts - last_hour > HOUR_MS:
                m["sessions"] += 1
                sessions += 1
            last_hour = ts
    for m in months:
        m["self_kwh"] = max(m["self_kwh"], 0.0)
    hours = max((end - start) // HOUR_MS, 1)
    return SiteRecords(
        year=year,
        months=months,
        soc_end_pct=soc_end,
        cycles=sum(m["cycles"] for m in months),
        sessions=sessions,
        completeness=min(len(covered) / hours, 1.0) if pv.get("pv_energy") else 0.0,
        devices=device_count(session, scope, park_id),
    )
