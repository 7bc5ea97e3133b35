"""Pollution outlets and their factors (linked to telemetry points, with the limits of the outlet's standard and
a threshold alarm rule each), hourly and daily averages, the latest readings and exceedance scans."""

from __future__ import annotations

import builtins
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import digipark.audit.service  # noqa: F401  (registers the audit hook for every write below)
from digipark.alarms import provides as alarms
from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.environment import pollution
from digipark.environment.common import WRITE, enterprise_for
from digipark.environment.models import Exceedance, Medium, Outlet, OutletFactor, Period
from digipark.environment.schemas import (
    DayRead,
    FactorAverages,
    HourRead,
    LatestRead,
    OutletAverages,
    OutletCreate,
    OutletFactorRead,
    OutletRead,
    OutletUpdate,
    ScanRequest,
    ScanResult,
)
from digipark.registry.models import Point
from digipark.telemetry.provides import PointLatest

MAX_AVERAGE_DAYS = 92
MAX_SCAN_DAYS = 400
ALARM_SEVERITY = "major"
# A rule's name is stored in the platform's language (zh): a limit that is not verified against the standard's text
# says so in it (pollution.yaml's status).
LIMIT_STATUS_MARK = {"verified": "", "secondary": "（二手来源）", "unverified": "（未核实）"}
LIMIT_STATUS_MARK_EN = {"verified": "", "secondary": " (secondary source)", "unverified": " (unverified)"}


OUTLET_SPEC = ListSpec(
    filters={
        "park_id": Outlet.park_id,
        "enterprise_id": Outlet.enterprise_id,
        "medium": Outlet.medium,
        "active": Outlet.active,
    },
    search=(Outlet.code, Outlet.name),
    sort={"id": Outlet.id, "code": Outlet.code, "enterprise_id": Outlet.enterprise_id},
    default_sort="code",
)


def _standard(key: str, medium: str) -> pollution.Standard:
    found = pollution.data().standards.get(key)
    if found is None:
        raise field_error("standard", f"unknown standard {key!r}", known=sorted(pollution.data().standards))
    if found.medium != medium:
        raise field_error("standard", f"{found.standard} applies to {found.medium} outlets, not {medium}")
    return found


def _limit_in(limit: pollution.Limit | None, factor: pollution.Factor) -> pollution.Limit | None:
    """The limit in the factor's unit."""
    if limit is None:
        return None
    k = pollution.unit_factor(limit.unit, factor.unit, field="standard")
    return pollution.Limit(
        limit.factor,
        None if limit.limit_min is None else limit.limit_min * k,
        None if limit.limit_max is None else limit.limit_max * k,
        factor.unit,
        limit.status,
    )


def _check_links(session: Session, scope: Scope, outlet: Outlet, links: Sequence[Any]) -> list[tuple[str, Point]]:
    """Validate (factor, point) links: known factors of the outlet's medium, once each, readable points of the
    outlet's enterprise (or the park's own), whose unit converts to the factor's."""
    d = pollution.data()
    seen: set[str] = set()
    result: list[tuple[str, Point]] = []
    for index, link in enumerate(links):
        field = f"factors[{index}]"
        factor = d.factors.get(link.factor)
        if factor is None:
            raise field_error(f"{field}.factor", f"unknown factor {link.factor!r}", known=sorted(d.factors))
        if factor.medium != outlet.medium:
            raise field_error(f"{field}.factor", f"{factor.abbr} is not measured at a {outlet.medium} outlet")
        if link.factor in seen:
            raise field_error(f"{field}.factor", f"{link.factor} is given twice")
        seen.add(link.factor)
        point: Point | None = session.scalar(scope.readable(Point).where(Point.id == link.point_id))
        if point is None or point.park_id != outlet.park_id:
            raise field_error(f"{field}.point_id", f"no point {link.point_id} visible to you in the outlet's park")
        if point.enterprise_id not in (None, outlet.enterprise_id):
            raise field_error(f"{field}.point_id", "the point belongs to another enterprise")
        pollution.unit_factor(point.unit, factor.unit, field=f"{field}.point_id")
        result.append((link.factor, point))
    return result


def _ensure_alarm_rule(
    session: Session, scope: Scope, outlet: Outlet, factor: pollution.Factor, point: Point
) -> int | None:
    """A threshold rule on the point at the standard's limit (converted to the point's unit), kept by the alarms
    domain under the key `outlet:<id>:<factor>`; None for factors without a limit (flow, O2)."""
    limit = _standard(outlet.standard, outlet.medium).limits.get(factor.key)
    if limit is None or (limit.limit_min is None and limit.limit_max is None):
        return None
    k = pollution.unit_factor(limit.unit, point.unit, field="standard")
    return int(
        alarms.ensure_threshold_rule(
            session,
            scope=scope,
            park_id=outlet.park_id,
            point_id=point.id,
            key=f"outlet:{outlet.id}:{factor.key}",
            name=f"{outlet.code} {outlet.name} {factor.abbr} 限值{LIMIT_STATUS_MARK.get(limit.status, '')}",
            name_en=f"{outlet.code} {outlet.name_en or outlet.name} {factor.abbr} limit"
            f"{LIMIT_STATUS_MARK_EN.get(limit.status, '')}",
            above=None if limit.limit_max is None else limit.limit_max * k,
            below=None if limit.limit_min is None else limit.limit_min * k,
            severity=ALARM_SEVERITY,
        )
    )


def _set_factors(session: Session, scope: Scope, outlet: Outlet, links: Sequence[Any]) -> None:
    checked = _check_links(session, scope, outlet, links)
    existing = {f.factor: f for f in session.scalars(select(OutletFactor).where(OutletFactor.outlet_id == outlet.id))}
    wanted = {factor for factor, _ in checked}
    for key, row in existing.items():
        if key not in wanted:
            session.delete(row)
    session.flush()
    d = pollution.data()
    for key, point in checked:
        found = existing.get(key)
        if found is None:
            row = OutletFactor(
                park_id=outlet.park_id,
                enterprise_id=outlet.enterprise_id,
                outlet_id=outlet.id,
                factor=key,
                point_id=point.id,
            )
            session.add(row)
        else:
            row = found
            row.point_id = point.id
        row.alarm_rule_id = _ensure_alarm_rule(session, scope, outlet, d.factors[key], point)
    session.flush()


def factors_of(session: Session, outlet_ids: Sequence[int]) -> dict[int, list[OutletFactor]]:
    found: dict[int, list[OutletFactor]] = defaultdict(list)
    if outlet_ids:
        for row in session.scalars(
            select(OutletFactor).where(OutletFactor.outlet_id.in_(outlet_ids)).order_by(OutletFactor.id)
        ):
            found[row.outlet_id].append(row)
    return found


def outlet_read(session: Session, outlet: Outlet, factors: Sequence[OutletFactor] | None = None) -> OutletRead:
    d = pollution.data()
    standard = d.standards.get(outlet.standard)
    rows = factors if factors is not None else factors_of(session, [outlet.id])[outlet.id]
    units = dict(session.execute(select(Point.id, Point.unit).where(Point.id.in_([f.point_id for f in rows]))).all())
    reads = []
    for f in rows:
        factor = d.factors[f.factor]
        limit = _limit_in(standard.limits.get(f.factor), factor) if standard else None
        reads.append(
            OutletFactorRead(
                factor=f.factor,
                point_id=f.point_id,
                point_unit=units.get(f.point_id, ""),
                unit=factor.unit,
                limit_min=limit.limit_min if limit else None,
                limit_max=limit.limit_max if limit else None,
                limit_status=limit.status if limit else None,
                alarm_rule_id=f.alarm_rule_id,
            )
        )
    order = list(d.factors)
    reads.sort(key=lambda r: order.index(r.factor))
    return OutletRead(
        id=outlet.id,
        park_id=outlet.park_id,
        enterprise_id=outlet.enterprise_id,
        code=outlet.code,
        name=outlet.name,
        name_en=outlet.name_en,
        medium=outlet.medium,
        standard=outlet.standard,
        standard_status=standard.status if standard else "unknown",
        active=outlet.active,
        notes=outlet.notes,
        factors=reads,
        created_at=outlet.created_at,
        updated_at=outlet.updated_at,
    )


def list_outlets(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[Outlet], int]:
    return OUTLET_SPEC.apply(session, scope.readable(Outlet), query)


def get_outlet(session: Session, *, scope: Scope, ident: int) -> Outlet:
    return scope.get_or_404(session, Outlet, ident)


def create_outlet(session: Session, *, scope: Scope, data: OutletCreate) -> Outlet:
    enterprise = enterprise_for(session, scope, data.enterprise_id)
    scope.authorize_write(WRITE, park_id=enterprise.park_id, enterprise_id=enterprise.id)
    _standard(data.standard, data.medium)
    if session.scalar(select(Outlet.id).where(Outlet.park_id == enterprise.park_id, Outlet.code == data.code)):
        raise Conflict(f"outlet code {data.code} is taken in this park", errors=[{"field": "code", "reason": "taken"}])
    outlet = Outlet(
        park_id=enterprise.park_id,
        enterprise_id=enterprise.id,
        code=data.code,
        name=data.name,
        name_en=data.name_en,
        medium=data.medium,
        standard=data.standard,
        active=True,
        notes=data.notes,
    )
    _check_links(session, scope, outlet, data.factors)  # before anything is written
    session.add(outlet)
    session.flush()
    _set_factors(session, scope, outlet, data.factors)
    return outlet


def update_outlet(session: Session, *, scope: Scope, ident: int, data: OutletUpdate) -> Outlet:
    outlet = get_outlet(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, outlet)
    if data.standard is not None:
        _standard(data.standard, outlet.medium)
    if data.factors is not None:
        _check_links(session, scope, outlet, data.factors)  # before anything is changed
    if data.standard is not None:
        outlet.standard = data.standard
    for name in ("name", "name_en", "active", "notes"):
        value = getattr(data, name)
        if value is not None:
            setattr(outlet, name, value)
    session.flush()
    if data.factors is not None:
        _set_factors(session, scope, outlet, data.factors)
    elif data.standard is not None:  # new limits: keep the alarm rules in step
        _set_factors(session, scope, outlet, [_Link(f.factor, f.point_id) for f in factors_of(session, [ident])[ident]])
    return outlet


class _Link:
    def __init__(self, factor: str, point_id: int) -> None:
        self.factor = factor
        self.point_id = point_id


def delete_outlet(session: Session, *, scope: Scope, ident: int) -> None:
    outlet = get_outlet(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, outlet)
    if session.scalar(select(Exceedance.id).where(Exceedance.outlet_id == ident).limit(1)) is not None:
        raise Conflict("the outlet has exceedance records; deactivate it instead (active: false)")
    for row in factors_of(session, [ident])[ident]:
        session.delete(row)
    session.delete(outlet)
    session.flush()


# -- averages ------------------------------------------------------------------------------------------------------
def _range_ms(first: dt.date, last: dt.date) -> tuple[int, int]:
    bounds = pollution.day_bounds(first, last)
    return bounds[0][1], bounds[-1][2]


def _factor_hours(
    session: Session, outlet: Outlet, factors: Sequence[OutletFactor], from_ms: int, to_ms: int
) -> dict[str, dict[int, pollution.HourValue]]:
    """Hour values of each factor of the outlet in the factor's unit (flue gas concentrations O2-corrected)."""
    d = pollution.data()
    rule = d.averaging[outlet.medium]
    points = {p.id: p for p in session.scalars(select(Point).where(Point.id.in_([f.point_id for f in factors])))}
    stats = pollution.read_hours(session, points, from_ms, to_ms)
    hours: dict[str, dict[int, pollution.HourValue]] = {}
    for f in factors:
        point = points[f.point_id]
        factor = d.factors[f.factor]
        ph = factor.role == "ph"
        hours[f.factor] = pollution.hour_values(
            stats.get(point.id, []),
            multiplier=pollution.unit_factor(point.unit, factor.unit, field="point"),
            required=pollution.required_readings(point.expected_interval_s, rule.hour_min_coverage),
            ph=ph,
        )
    standard = d.standards.get(outlet.standard)
    oxygen = next((k for k in hours if d.factors[k].role == "oxygen"), None)
    if outlet.medium == Medium.AIR.value and oxygen is not None and standard and standard.reference_o2 is not None:
        for key in list(hours):
            if d.factors[key].role == "concentration":
                hours[key] = pollution.o2_corrected(hours[key], hours[oxygen], standard.reference_o2, d.ambient_o2)
    return hours


def _flow_key(hours: dict[str, Any]) -> str | None:
    d = pollution.data()
    return next((k for k in hours if d.factors[k].role == "flow"), None)


def compute_averages(
    session: Session,
    outlet: Outlet,
    factors: Sequence[OutletFactor],
    first: dt.date,
    last: dt.date,
    *,
    with_hours: bool = True,
) -> OutletAverages:
    """Hourly and daily values of every factor of the outlet over the local days first..last, judged against the
    limits (no scope check: callers check the outlet first); `with_hours=False`: the daily values only (a page of
    outlet cards would otherwise build a record per factor and hour it does not show)."""
    d = pollution.data()
    rule = d.averaging[outlet.medium]
    days = pollution.day_bounds(first, last)
    hours = _factor_hours(session, outlet, factors, days[0][1], days[-1][2])
    flow = _flow_key(hours)
    standard = d.standards.get(outlet.standard)
    result = []
    order = list(d.factors)
    for key in sorted(hours, key=order.index):
        factor = d.factors[key]
        ph = factor.role == "ph"
        limit = _limit_in(standard.limits.get(key), factor) if standard else None
        hour_reads = [
            HourRead(
                bucket=h.bucket,
                time=dt.datetime.fromtimestamp(h.bucket / 1000, dt.UTC),
                mean=h.mean,
                min=h.min,
                max=h.max,
                valid=h.valid,
                exceeded=h.valid and pollution.outside(limit, mean=h.mean, low=h.min, high=h.max, ph=ph) is not None,
            )
            for h in (sorted(hours[key].values(), key=lambda h: h.bucket) if with_hours else ())
        ]
        day_reads = []
        for day, start, end in days:
            v = pollution.day_value(
                factor.role, hours[key], start, end, rule, flow=hours.get(flow) if flow else None, day=day
            )
            breach = pollution.outside(limit, mean=v.value, low=v.min, high=v.max, ph=ph) if v.valid else None
            day_reads.append(
                DayRead(
                    day=day,
                    value=v.value,
                    min=v.min,
                    max=v.max,
                    valid_hours=v.valid_hours,
                    valid=v.valid,
                    method=v.method,
                    exceeded=breach is not None,
                )
            )
        result.append(
            FactorAverages(
                factor=key,
                unit="m³" if factor.role == "flow" else factor.unit,
                limit_min=limit.limit_min if limit else None,
                limit_max=limit.limit_max if limit else None,
                limit_status=limit.status if limit else None,
                rule_status=d.ph_rule["status"] if ph else rule.status,
                hours=hour_reads,
                days=day_reads,
            )
        )
    return OutletAverages(outlet_id=outlet.id, first=first, last=last, factors=result)


def outlet_averages(session: Session, *, scope: Scope, ident: int, first: dt.date, last: dt.date) -> OutletAverages:
    if last < first:
        raise field_error("last", "must not be before first")
    if (last - first).days >= MAX_AVERAGE_DAYS:
        raise field_error("last", f"at most {MAX_AVERAGE_DAYS} days at a time")
    outlet = get_outlet(session, scope=scope, ident=ident)
    return compute_averages(session, outlet, factors_of(session, [ident])[ident], first, last)


def latest(session: Session, *, scope: Scope, ident: int) -> list[LatestRead]:
    """The newest reading of every factor of a readable outlet, against the limit (pH: the range)."""
    outlet = get_outlet(session, scope=scope, ident=ident)
    return latest_of(session, outlet, factors_of(session, [ident])[ident])


def latest_of(session: Session, outlet: Outlet, factors: Sequence[OutletFactor]) -> list[LatestRead]:
    d = pollution.data()
    standard = d.standards.get(outlet.standard)
    ids = [f.point_id for f in factors]
    points = {p.id: p for p in session.scalars(select(Point).where(Point.id.in_(ids)))}
    newest = {r.point_id: r for r in session.scalars(select(PointLatest).where(PointLatest.point_id.in_(ids)))}
    now_ms = int(utcnow().timestamp() * 1000)
    reads = []
    for f in factors:
        factor = d.factors[f.factor]
        point = points[f.point_id]
        row = newest.get(f.point_id)
        value = None if row is None else row.value * pollution.unit_factor(point.unit, factor.unit, field="point")
        limit = _limit_in(standard.limits.get(f.factor), factor) if standard else None
        ph = factor.role == "ph"
        stale = row is None or now_ms - row.ts > max(3 * point.expected_interval_s * 1000, 2 * pollution.HOUR_MS)
        reads.append(
            LatestRead(
                factor=f.factor,
                point_id=f.point_id,
                value=value,
                unit=factor.unit,
                time=None if row is None else dt.datetime.fromtimestamp(row.ts / 1000, dt.UTC),
                stale=stale,
                exceeded=value is not None
                and pollution.outside(limit, mean=value, low=value, high=value, ph=ph) is not None,
            )
        )
    return reads


# -- exceedances ---------------------------------------------------------------------------------------------------
EXCEEDANCE_SPEC = ListSpec(
    filters={
        "park_id": Exceedance.park_id,
        "enterprise_id": Exceedance.enterprise_id,
        "outlet_id": Exceedance.outlet_id,
        "factor": Exceedance.factor,
        "period": Exceedance.period,
    },
    sort={"id": Exceedance.id, "bucket": Exceedance.bucket, "value": Exceedance.value},
    default_sort="-bucket,id",
)


def list_exceedances(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[Exceedance], int]:
    return EXCEEDANCE_SPEC.apply(session, scope.readable(Exceedance), query)


def scan_outlet(
    session: Session, outlet: Outlet, factors: Sequence[OutletFactor], first: dt.date, last: dt.date
) -> tuple[int, int]:
    """Record every hourly and valid daily average of the outlet outside its limit in first..last that is not
    recorded yet; (created, already recorded)."""
    averages = compute_averages(session, outlet, factors, first, last)
    from_ms, to_ms = _range_ms(first, last)
    known = set(
        session.execute(
            select(Exceedance.factor, Exceedance.period, Exceedance.bucket).where(
                Exceedance.outlet_id == outlet.id, Exceedance.bucket >= from_ms, Exceedance.bucket < to_ms
            )
        ).all()
    )
    d = pollution.data()
    created = existing = 0
    for fa in averages.factors:
        ph = d.factors[fa.factor].role == "ph"
        limit = pollution.Limit(fa.factor, fa.limit_min, fa.limit_max, fa.unit, fa.limit_status or "")
        found: list[tuple[str, int, float]] = []
        for h in fa.hours:
            if h.exceeded:
                value = pollution.outside(limit, mean=h.mean, low=h.min, high=h.max, ph=ph)
                if value is not None:
                    found.append((Period.HOUR.value, h.bucket, value))
        bounds = {day: start for day, start, _ in pollution.day_bounds(first, last)}
        for day_read in fa.days:
            if day_read.exceeded:
                value = pollution.outside(limit, mean=day_read.value, low=day_read.min, high=day_read.max, ph=ph)
                if value is not None:
                    found.append((Period.DAY.value, bounds[day_read.day], value))
        for period, bucket, value in found:
            if (fa.factor, period, bucket) in known:
                existing += 1
                continue
            session.add(
                Exceedance(
                    park_id=outlet.park_id,
                    enterprise_id=outlet.enterprise_id,
                    outlet_id=outlet.id,
                    factor=fa.factor,
                    period=period,
                    bucket=bucket,
                    value=value,
                    limit_min=fa.limit_min,
                    limit_max=fa.limit_max,
                    unit=fa.unit,
                )
            )
            created += 1
    session.flush()
    return created, existing


def scan_exceedances(session: Session, *, scope: Scope, data: ScanRequest) -> ScanResult:
    """Check the hourly and daily averages of every active outlet of a park over local days first..last."""
    scope.require(WRITE)
    park_id = scope.acting_write_park(data.park_id)
    if data.last < data.first:
        raise field_error("last", "must not be before first")
    if (data.last - data.first).days >= MAX_SCAN_DAYS:
        raise field_error("last", f"at most {MAX_SCAN_DAYS} days at a time")
    outlets = [
        *session.scalars(
            scope.readable(Outlet).where(Outlet.park_id == park_id, Outlet.active.is_(True)).order_by(Outlet.id)
        )
    ]
    factors = factors_of(session, [o.id for o in outlets])
    created = existing = 0
    for outlet in outlets:
        c, e = scan_outlet(session, outlet, factors[outlet.id], data.first, data.last)
        created += c
        existing += e
    return ScanResult(
        park_id=park_id, first=data.first, last=data.last, outlets=len(outlets), created=created, existing=existing
    )
