"""The environment domain's service: pollution outlets and their factors (linked to telemetry points, with the
limits of the outlet's standard and a threshold alarm rule each), hourly and daily averages, exceedance scans,
permitted annual quantities and their use; the general industrial solid waste ledger, hazardous waste batches
and transfer manifests; an enterprise's environment summary (also its archive section `environment`).

Every function takes `(session, *, scope, ...)`, reads through the scope, never commits. For other domains:
`enterprise_summary(session, *, scope, enterprise_id, year) -> EnvironmentSummary`.
"""

from __future__ import annotations

import builtins
import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import digipark.audit.service  # noqa: F401  (registers the audit hook for every write below)
from digipark.alarms import service as alarms_service
from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound, ValidationFailed, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.environment import pollution, waste
from digipark.environment.models import (
    Exceedance,
    HazardousBatch,
    ManifestStatus,
    Medium,
    Outlet,
    OutletFactor,
    Period,
    PermitQuota,
    TransferManifest,
    WasteEntry,
)
from digipark.environment.schemas import (
    DayRead,
    EnvironmentSummary,
    FactorAverages,
    GeneralWasteTotals,
    HazardousBatchCreate,
    HazardousBatchRead,
    HazardousBatchUpdate,
    HazardousTotals,
    HourRead,
    LatestRead,
    ManifestCreate,
    ManifestUpdate,
    OutletAverages,
    OutletCreate,
    OutletFactorRead,
    OutletRead,
    OutletUpdate,
    PermitQuotaCreate,
    PermitQuotaUpdate,
    PermitUsage,
    ScanRequest,
    ScanResult,
    WasteEntryCreate,
    WasteEntryRead,
    WasteEntryUpdate,
)
from digipark.registry.models import Enterprise, Point
from digipark.telemetry.models import PointLatest

# -- permissions (auth/permissions.py holds which role has which) --------------------------------------------------
READ = "environment.read"  # park-wide views (staff and reviewers); an enterprise reads its own rows by scope
WRITE = "environment.write"  # staff: outlets, permits, exceedance scans
WASTE_WRITE = "waste.write"  # staff: any enterprise's waste ledger, batches, manifests
WASTE_SELF = "waste.self_write"  # an enterprise: its own

MAX_AVERAGE_DAYS = 92
MAX_SCAN_DAYS = 400
ALARM_SEVERITY = "major"
MANIFEST_TRANSITIONS: dict[str, frozenset[str]] = {
    ManifestStatus.CREATED.value: frozenset({"in_transit", "received", "cancelled"}),
    ManifestStatus.IN_TRANSIT.value: frozenset({"received", "cancelled"}),
    ManifestStatus.RECEIVED.value: frozenset(),
    ManifestStatus.CANCELLED.value: frozenset(),
}


def N_(message: str) -> str:
    """Mark a msgid for extraction; pages translate it."""
    return message


def today() -> dt.date:
    """Today in the platform's time zone (Asia/Shanghai by default)."""
    return dt.datetime.now(zoneinfo.ZoneInfo(get_settings().timezone)).date()


def _tons(value: float, unit: str) -> float:
    return value * pollution.unit_factor(unit, "t", field="unit")


def _enterprise(session: Session, scope: Scope, enterprise_id: int | None) -> Enterprise:
    """The enterprise a record is for: the caller's own when not given; it must be visible."""
    if enterprise_id is None:
        if scope.role == Role.ENTERPRISE and scope.enterprise_id is not None:
            enterprise_id = scope.enterprise_id
        else:
            raise field_error("enterprise_id", "required: the enterprise this is for")
    enterprise: Enterprise | None = session.scalar(scope.readable(Enterprise).where(Enterprise.id == enterprise_id))
    if enterprise is None:
        raise field_error("enterprise_id", f"no enterprise {enterprise_id} visible to you")
    return enterprise


def _waste_permission(scope: Scope) -> str:
    return WASTE_SELF if scope.role == Role.ENTERPRISE else WASTE_WRITE


# ==================================================================================================================
# Outlets
# ==================================================================================================================
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
        alarms_service.ensure_threshold_rule(
            session,
            scope=scope,
            park_id=outlet.park_id,
            point_id=point.id,
            key=f"outlet:{outlet.id}:{factor.key}",
            name=f"{outlet.code} {outlet.name} {factor.abbr} {limit.status}",
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
    enterprise = _enterprise(session, scope, data.enterprise_id)
    scope.authorize_write(WRITE, park_id=enterprise.park_id, enterprise_id=enterprise.id)
    _standard(data.standard, data.medium)
    if session.scalar(select(Outlet.id).where(Outlet.park_id == enterprise.park_id, Outlet.code == data.code)):
        raise Conflict(f"outlet code {data.code} is taken in this park", errors=[{"field": "code", "reason": "taken"}])
    outlet = Outlet(
        park_id=enterprise.park_id,
        enterprise_id=enterprise.id,
        code=data.code,
        name=data.name,
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
    for name in ("name", "active", "notes"):
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
    session: Session, outlet: Outlet, factors: Sequence[OutletFactor], first: dt.date, last: dt.date
) -> OutletAverages:
    """Hourly and daily values of every factor of the outlet over the local days first..last, judged against the
    limits (no scope check: callers check the outlet first)."""
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
            for h in sorted(hours[key].values(), key=lambda h: h.bucket)
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
    park_id = data.park_id or scope.park_id
    if park_id is None:
        raise field_error("park_id", "required: the park to scan")
    scope.authorize_write(WRITE, park_id=park_id)
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


# ==================================================================================================================
# Permits
# ==================================================================================================================
PERMIT_SPEC = ListSpec(
    filters={
        "park_id": PermitQuota.park_id,
        "enterprise_id": PermitQuota.enterprise_id,
        "year": PermitQuota.year,
        "factor": PermitQuota.factor,
    },
    search=(PermitQuota.permit_no,),
    sort={
        "id": PermitQuota.id,
        "year": PermitQuota.year,
        "enterprise_id": PermitQuota.enterprise_id,
        "factor": PermitQuota.factor,
    },
    default_sort="-year,enterprise_id,factor",
)


def _permit_factor(factor: str) -> None:
    if factor not in pollution.data().permit_factors:
        raise field_error(
            "factor", f"no permitted quantity for {factor!r}", known=list(pollution.data().permit_factors)
        )


def list_permits(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[PermitQuota], int]:
    return PERMIT_SPEC.apply(session, scope.readable(PermitQuota), query)


def get_permit(session: Session, *, scope: Scope, ident: int) -> PermitQuota:
    return scope.get_or_404(session, PermitQuota, ident)


def create_permit(session: Session, *, scope: Scope, data: PermitQuotaCreate) -> PermitQuota:
    enterprise = _enterprise(session, scope, data.enterprise_id)
    scope.authorize_write(WRITE, park_id=enterprise.park_id, enterprise_id=enterprise.id)
    _permit_factor(data.factor)
    annual_t = _tons(data.annual, data.unit)
    taken = session.scalar(
        select(PermitQuota.id).where(
            PermitQuota.enterprise_id == enterprise.id, PermitQuota.year == data.year, PermitQuota.factor == data.factor
        )
    )
    if taken is not None:
        raise Conflict(
            f"{enterprise.name} already has a permitted {data.factor} quantity for {data.year} (quota {taken})",
            errors=[{"field": "factor", "reason": "already exists"}],
        )
    row = PermitQuota(
        park_id=enterprise.park_id,
        enterprise_id=enterprise.id,
        permit_no=data.permit_no,
        year=data.year,
        factor=data.factor,
        annual_t=annual_t,
        valid_to=data.valid_to,
    )
    session.add(row)
    session.flush()
    return row


def update_permit(session: Session, *, scope: Scope, ident: int, data: PermitQuotaUpdate) -> PermitQuota:
    row = get_permit(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, row)
    if data.annual is not None:
        row.annual_t = _tons(data.annual, data.unit)
    if data.permit_no is not None:
        row.permit_no = data.permit_no
    if data.valid_to is not None:
        row.valid_to = data.valid_to
    session.flush()
    return row


def delete_permit(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_permit(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, row)
    session.delete(row)
    session.flush()


def discharged_t(
    session: Session, outlets: Sequence[Outlet], factors: dict[int, list[OutletFactor]], factor: str, year: int
) -> tuple[list[float], int]:
    """Tonnes of `factor` discharged through the outlets in each month of the year (rollup_1h), and how many
    outlets had both the factor and a flow to compute it."""
    d = pollution.data()
    months = [0.0] * 12
    counted = 0
    until = int(utcnow().timestamp() * 1000)
    for outlet in outlets:
        rows = {f.factor: f for f in factors.get(outlet.id, [])}
        flow = next((f for k, f in rows.items() if d.factors[k].role == "flow"), None)
        conc = rows.get(factor)
        if flow is None or conc is None:
            continue
        points = {p.id: p for p in session.scalars(select(Point).where(Point.id.in_([flow.point_id, conc.point_id])))}
        cp, qp = points[conc.point_id], points[flow.point_id]
        rule = d.averaging[outlet.medium]
        kg = pollution.mass_factor_kg(cp.unit) * pollution.unit_factor(qp.unit, "m³/h", field="point")
        values = pollution.discharge_by_month(
            session,
            concentration_point=cp.id,
            flow_point=qp.id,
            year=year,
            kg_per_unit=kg,
            required_c=pollution.required_readings(cp.expected_interval_s, rule.hour_min_coverage),
            required_q=pollution.required_readings(qp.expected_interval_s, rule.hour_min_coverage),
            until_ms=until,
        )
        months = [a + b / 1000.0 for a, b in zip(months, values, strict=True)]
        counted += 1
    return months, counted


def usage_of(session: Session, quotas: Sequence[PermitQuota]) -> list[PermitUsage]:
    """Each quota against the discharge of its enterprise's outlets in its year."""
    by_enterprise: dict[int, list[Outlet]] = defaultdict(list)
    ids = sorted({q.enterprise_id for q in quotas})
    outlets = [*session.scalars(select(Outlet).where(Outlet.enterprise_id.in_(ids)).order_by(Outlet.id))] if ids else []
    for o in outlets:
        by_enterprise[o.enterprise_id].append(o)
    factors = factors_of(session, [o.id for o in outlets])
    result = []
    for q in quotas:
        months, counted = discharged_t(session, by_enterprise[q.enterprise_id], factors, q.factor, q.year)
        total = sum(months)
        percent = total / q.annual_t * 100.0 if q.annual_t > 0 else None
        level = pollution.permit_level(percent) if q.annual_t > 0 else ("exceeded" if total > 0 else "ok")
        result.append(
            PermitUsage(
                quota_id=q.id,
                enterprise_id=q.enterprise_id,
                permit_no=q.permit_no,
                year=q.year,
                factor=q.factor,
                permitted_t=q.annual_t,
                discharged_t=total,
                percent=percent,
                level=level,
                months_t=months,
                outlets=counted,
            )
        )
    return result


def permit_usage(
    session: Session, *, scope: Scope, year: int, park_id: int | None = None, enterprise_id: int | None = None
) -> list[PermitUsage]:
    """The permitted quantities of the year the caller may read (a park's, or one enterprise's) and their use."""
    stmt = scope.readable(PermitQuota).where(PermitQuota.year == year)
    if park_id is not None:
        if park_id not in scope.read_parks:
            raise NotFound(f"park {park_id} not found")
        stmt = stmt.where(PermitQuota.park_id == park_id)
    if enterprise_id is not None:
        stmt = stmt.where(PermitQuota.enterprise_id == enterprise_id)
    quotas = [*session.scalars(stmt.order_by(PermitQuota.enterprise_id, PermitQuota.factor))]
    return usage_of(session, quotas)


# ==================================================================================================================
# General industrial solid waste ledger
# ==================================================================================================================
WASTE_SPEC = ListSpec(
    filters={
        "park_id": WasteEntry.park_id,
        "enterprise_id": WasteEntry.enterprise_id,
        "category": WasteEntry.category,
        "month": WasteEntry.month,
    },
    sort={
        "id": WasteEntry.id,
        "month": WasteEntry.month,
        "enterprise_id": WasteEntry.enterprise_id,
        "category": WasteEntry.category,
    },
    default_sort="-month,enterprise_id,category",
)


def waste_read(row: WasteEntry) -> WasteEntryRead:
    return WasteEntryRead(
        id=row.id,
        park_id=row.park_id,
        enterprise_id=row.enterprise_id,
        category=row.category,
        month=row.month,
        opening_t=row.opening_t,
        generated_t=row.generated_t,
        utilised_t=row.utilised_t,
        disposed_t=row.disposed_t,
        stored_t=row.stored_t,
        unaccounted_t=waste.unaccounted(row.opening_t, row.generated_t, row.utilised_t, row.disposed_t, row.stored_t),
        notes=row.notes,
    )


def list_waste(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[WasteEntry], int]:
    return WASTE_SPEC.apply(session, scope.readable(WasteEntry), query)


def get_waste(session: Session, *, scope: Scope, ident: int) -> WasteEntry:
    return scope.get_or_404(session, WasteEntry, ident)


def _rebalance(session: Session, enterprise_id: int, category: str) -> None:
    """Carry each month's closing storage into the next month's opening and check every month's balance; a
    month that no longer balances is a 422 naming it (the caller's transaction then changes nothing)."""
    rows = [
        *session.scalars(
            select(WasteEntry)
            .where(WasteEntry.enterprise_id == enterprise_id, WasteEntry.category == category)
            .order_by(WasteEntry.month)
        )
    ]
    errors = []
    previous: WasteEntry | None = None
    for row in rows:
        if previous is not None:
            row.opening_t = previous.stored_t
        previous = row
        problem = waste.balance_problem(row.opening_t, row.generated_t, row.utilised_t, row.disposed_t, row.stored_t)
        if problem:
            errors.append({"field": "stored", "reason": problem, "month": row.month.isoformat()})
    if errors:
        raise ValidationFailed(
            f"the ledger of {category} does not balance in {', '.join(e['month'] for e in errors)}", errors=errors
        )
    session.flush()


def create_waste(session: Session, *, scope: Scope, data: WasteEntryCreate) -> WasteEntry:
    enterprise = _enterprise(session, scope, data.enterprise_id)
    scope.authorize_write(_waste_permission(scope), park_id=enterprise.park_id, enterprise_id=enterprise.id)
    if data.category not in waste.data().general:
        raise field_error("category", f"unknown category {data.category!r}", known=sorted(waste.data().general))
    if data.month > today():
        raise field_error("month", f"{data.month:%Y-%m} has not begun")
    k = pollution.unit_factor(data.unit, "t", field="unit")
    taken = session.scalar(
        select(WasteEntry.id).where(
            WasteEntry.enterprise_id == enterprise.id,
            WasteEntry.category == data.category,
            WasteEntry.month == data.month,
        )
    )
    if taken is not None:
        raise Conflict(
            f"{data.category} of {data.month:%Y-%m} is already booked (entry {taken}); change that entry",
            errors=[{"field": "month", "reason": "already booked"}],
        )
    earlier = session.scalar(
        select(func.count()).where(
            WasteEntry.enterprise_id == enterprise.id,
            WasteEntry.category == data.category,
            WasteEntry.month < data.month,
        )
    )
    if earlier and data.opening is not None:
        raise field_error("opening", "only the first month booked takes an opening storage; later months carry on")
    row = WasteEntry(
        park_id=enterprise.park_id,
        enterprise_id=enterprise.id,
        category=data.category,
        month=data.month,
        opening_t=(data.opening or 0.0) * k,
        generated_t=data.generated * k,
        utilised_t=data.utilised * k,
        disposed_t=data.disposed * k,
        stored_t=data.stored * k,
        notes=data.notes,
    )
    session.add(row)
    session.flush()
    _rebalance(session, enterprise.id, data.category)
    return row


def update_waste(session: Session, *, scope: Scope, ident: int, data: WasteEntryUpdate) -> WasteEntry:
    row = get_waste(session, scope=scope, ident=ident)
    scope.authorize_write_row(_waste_permission(scope), row)
    k = pollution.unit_factor(data.unit, "t", field="unit")
    if data.opening is not None:
        first = session.scalar(
            select(func.min(WasteEntry.month)).where(
                WasteEntry.enterprise_id == row.enterprise_id, WasteEntry.category == row.category
            )
        )
        if first != row.month:
            raise field_error("opening", "only the first month booked takes an opening storage; later months carry on")
        row.opening_t = data.opening * k
    for name in ("generated", "utilised", "disposed", "stored"):
        value = getattr(data, name)
        if value is not None:
            setattr(row, f"{name}_t", value * k)
    if data.notes is not None:
        row.notes = data.notes
    session.flush()
    _rebalance(session, row.enterprise_id, row.category)
    return row


def delete_waste(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_waste(session, scope=scope, ident=ident)
    scope.authorize_write_row(_waste_permission(scope), row)
    enterprise_id, category = row.enterprise_id, row.category
    session.delete(row)
    session.flush()
    _rebalance(session, enterprise_id, category)


def general_totals(session: Session, *, enterprise_ids: Sequence[int], year: int) -> GeneralWasteTotals:
    """Totals of a year over the given enterprises' categories: the opening is each category's storage before the
    first month of the year booked; the closing that of its last month booked."""
    rows = [
        *session.scalars(
            select(WasteEntry)
            .where(
                WasteEntry.enterprise_id.in_(enterprise_ids),
                WasteEntry.month >= dt.date(year, 1, 1),
                WasteEntry.month <= dt.date(year, 12, 1),
            )
            .order_by(WasteEntry.enterprise_id, WasteEntry.category, WasteEntry.month)
        )
    ] if enterprise_ids else []  # fmt: skip
    opening = generated = utilised = disposed = stored = 0.0
    seen: dict[tuple[int, str], WasteEntry] = {}
    for row in rows:
        key = (row.enterprise_id, row.category)
        if key not in seen:
            opening += row.opening_t
        seen[key] = row
        generated += row.generated_t
        utilised += row.utilised_t
        disposed += row.disposed_t
    stored = sum(row.stored_t for row in seen.values())
    return GeneralWasteTotals(
        opening_t=opening,
        generated_t=generated,
        utilised_t=utilised,
        disposed_t=disposed,
        stored_t=stored,
        utilisation_rate=waste.rate(utilised, generated, opening),
        disposal_rate=waste.rate(disposed, generated, opening),
        months=len({row.month for row in rows}),
    )


# ==================================================================================================================
# Hazardous waste: batches in storage and transfer manifests
# ==================================================================================================================
BATCH_SPEC = ListSpec(
    filters={
        "park_id": HazardousBatch.park_id,
        "enterprise_id": HazardousBatch.enterprise_id,
        "category": HazardousBatch.category,
    },
    search=(HazardousBatch.code, HazardousBatch.name, HazardousBatch.waste_code),
    sort={"id": HazardousBatch.id, "stored_on": HazardousBatch.stored_on, "code": HazardousBatch.code},
    default_sort="stored_on,id",
)
MANIFEST_SPEC = ListSpec(
    filters={
        "park_id": TransferManifest.park_id,
        "enterprise_id": TransferManifest.enterprise_id,
        "batch_id": TransferManifest.batch_id,
        "status": TransferManifest.status,
    },
    search=(TransferManifest.number, TransferManifest.receiver, TransferManifest.carrier),
    sort={"id": TransferManifest.id, "shipped_on": TransferManifest.shipped_on, "number": TransferManifest.number},
    default_sort="-shipped_on,id",
)


def transferred(session: Session, batch_ids: Sequence[int]) -> dict[int, float]:
    """t manifested out of each batch (cancelled manifests do not count)."""
    if not batch_ids:
        return {}
    rows = session.execute(
        select(TransferManifest.batch_id, func.sum(TransferManifest.quantity_t))
        .where(TransferManifest.batch_id.in_(batch_ids), TransferManifest.status != ManifestStatus.CANCELLED.value)
        .group_by(TransferManifest.batch_id)
    )
    return {batch_id: float(total or 0.0) for batch_id, total in rows}


def batch_read(row: HazardousBatch, moved: float, on: dt.date | None = None) -> HazardousBatchRead:
    remaining = max(0.0, row.quantity_t - moved)
    state = waste.storage_state(row.stored_on, row.extended_to, remaining, on or today())
    return HazardousBatchRead(
        id=row.id,
        park_id=row.park_id,
        enterprise_id=row.enterprise_id,
        code=row.code,
        category=row.category,
        waste_code=row.waste_code,
        name=row.name,
        quantity_t=row.quantity_t,
        transferred_t=moved,
        remaining_t=remaining,
        stored_on=row.stored_on,
        extended_to=row.extended_to,
        deadline=state.deadline,
        days_left=state.days_left,
        storage_state=state.state,
        notes=row.notes,
    )


def batch_reads(session: Session, rows: Sequence[HazardousBatch]) -> list[HazardousBatchRead]:
    moved = transferred(session, [r.id for r in rows])
    return [batch_read(r, moved.get(r.id, 0.0)) for r in rows]


def list_batches(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[HazardousBatch], int]:
    return BATCH_SPEC.apply(session, scope.readable(HazardousBatch), query)


def get_batch(session: Session, *, scope: Scope, ident: int) -> HazardousBatch:
    return scope.get_or_404(session, HazardousBatch, ident)


def create_batch(session: Session, *, scope: Scope, data: HazardousBatchCreate) -> HazardousBatch:
    enterprise = _enterprise(session, scope, data.enterprise_id)
    scope.authorize_write(_waste_permission(scope), park_id=enterprise.park_id, enterprise_id=enterprise.id)
    if data.category not in waste.data().hazardous:
        raise field_error("category", f"unknown hazardous waste category {data.category!r}")
    problem = waste.waste_code_problem(data.category, data.waste_code)
    if problem:
        raise field_error("waste_code", problem)
    if data.stored_on > today():
        raise field_error("stored_on", "lies in the future")
    if data.extended_to is not None and data.extended_to < data.stored_on:
        raise field_error("extended_to", "must not be before stored_on")
    quantity = _tons(data.quantity, data.unit)
    if quantity <= 0:
        raise field_error("quantity", "must be more than 0")
    if session.scalar(
        select(HazardousBatch.id).where(HazardousBatch.park_id == enterprise.park_id, HazardousBatch.code == data.code)
    ):
        raise Conflict(f"batch code {data.code} is taken", errors=[{"field": "code", "reason": "taken"}])
    row = HazardousBatch(
        park_id=enterprise.park_id,
        enterprise_id=enterprise.id,
        code=data.code,
        category=data.category,
        waste_code=data.waste_code,
        name=data.name,
        quantity_t=quantity,
        stored_on=data.stored_on,
        extended_to=data.extended_to,
        notes=data.notes,
    )
    session.add(row)
    session.flush()
    return row


def update_batch(session: Session, *, scope: Scope, ident: int, data: HazardousBatchUpdate) -> HazardousBatch:
    row = get_batch(session, scope=scope, ident=ident)
    scope.authorize_write_row(_waste_permission(scope), row)
    if data.quantity is not None:
        quantity = _tons(data.quantity, data.unit)
        moved = transferred(session, [row.id]).get(row.id, 0.0)
        if quantity < moved - waste.EPSILON_T:
            raise field_error("quantity", f"{moved:g} t have already left with manifests")
        row.quantity_t = quantity
    if data.extended_to is not None:
        if data.extended_to < row.stored_on:
            raise field_error("extended_to", "must not be before stored_on")
        row.extended_to = data.extended_to
    for name in ("name", "notes"):
        value = getattr(data, name)
        if value is not None:
            setattr(row, name, value)
    session.flush()
    return row


def delete_batch(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_batch(session, scope=scope, ident=ident)
    scope.authorize_write_row(_waste_permission(scope), row)
    if session.scalar(select(TransferManifest.id).where(TransferManifest.batch_id == ident).limit(1)) is not None:
        raise Conflict("the batch has transfer manifests")
    session.delete(row)
    session.flush()


def list_manifests(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[TransferManifest], int]:
    return MANIFEST_SPEC.apply(session, scope.readable(TransferManifest), query)


def get_manifest(session: Session, *, scope: Scope, ident: int) -> TransferManifest:
    return scope.get_or_404(session, TransferManifest, ident)


def create_manifest(session: Session, *, scope: Scope, data: ManifestCreate) -> TransferManifest:
    batch: HazardousBatch | None = session.scalar(
        scope.readable(HazardousBatch).where(HazardousBatch.id == data.batch_id)
    )
    if batch is None:
        raise field_error("batch_id", f"no hazardous waste batch {data.batch_id} visible to you")
    scope.authorize_write_row(_waste_permission(scope), batch)
    quantity = _tons(data.quantity, data.unit)
    if quantity <= 0:
        raise field_error("quantity", "must be more than 0")
    left = batch.quantity_t - transferred(session, [batch.id]).get(batch.id, 0.0)
    if quantity > left + waste.EPSILON_T:
        raise field_error("quantity", f"only {max(left, 0.0):g} t of batch {batch.code} are left in storage")
    if data.shipped_on < batch.stored_on:
        raise field_error("shipped_on", "before the waste was stored")
    if data.received_on is not None and data.received_on < data.shipped_on:
        raise field_error("received_on", "must not be before shipped_on")
    if session.scalar(
        select(TransferManifest.id).where(
            TransferManifest.park_id == batch.park_id, TransferManifest.number == data.number
        )
    ):
        raise Conflict(f"manifest number {data.number} is taken", errors=[{"field": "number", "reason": "taken"}])
    row = TransferManifest(
        park_id=batch.park_id,
        enterprise_id=batch.enterprise_id,
        batch_id=batch.id,
        number=data.number,
        quantity_t=quantity,
        carrier=data.carrier,
        carrier_licence=data.carrier_licence,
        receiver=data.receiver,
        receiver_licence=data.receiver_licence,
        shipped_on=data.shipped_on,
        received_on=data.received_on,
        status=ManifestStatus.RECEIVED.value if data.received_on else ManifestStatus.CREATED.value,
    )
    session.add(row)
    session.flush()
    return row


def update_manifest(session: Session, *, scope: Scope, ident: int, data: ManifestUpdate) -> TransferManifest:
    row = get_manifest(session, scope=scope, ident=ident)
    scope.authorize_write_row(_waste_permission(scope), row)
    if data.status is not None and data.status != row.status:
        if data.status not in MANIFEST_TRANSITIONS[row.status]:
            raise Conflict(f"a {row.status} manifest cannot become {data.status}")
        if data.status == ManifestStatus.RECEIVED.value and data.received_on is None and row.received_on is None:
            raise field_error("received_on", "required when the receiver has signed")
        row.status = data.status
    if data.received_on is not None:
        if data.received_on < row.shipped_on:
            raise field_error("received_on", "must not be before shipped_on")
        row.received_on = data.received_on
    for name in ("carrier", "carrier_licence"):
        value = getattr(data, name)
        if value is not None:
            setattr(row, name, value)
    session.flush()
    return row


def hazardous_totals(session: Session, *, enterprise_ids: Sequence[int], year: int) -> HazardousTotals:
    if not enterprise_ids:
        return HazardousTotals(stored_t=0, generated_t=0, transferred_t=0, manifests=0, overdue=0, due_soon=0)
    batches = [*session.scalars(select(HazardousBatch).where(HazardousBatch.enterprise_id.in_(enterprise_ids)))]
    reads = batch_reads(session, batches)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    manifests = session.execute(
        select(func.count(), func.sum(TransferManifest.quantity_t)).where(
            TransferManifest.enterprise_id.in_(enterprise_ids),
            TransferManifest.status != ManifestStatus.CANCELLED.value,
            TransferManifest.shipped_on >= start,
            TransferManifest.shipped_on <= end,
        )
    ).one()
    return HazardousTotals(
        stored_t=sum(r.remaining_t for r in reads),
        generated_t=sum(r.quantity_t for r in reads if start <= r.stored_on <= end),
        transferred_t=float(manifests[1] or 0.0),
        manifests=int(manifests[0] or 0),
        overdue=sum(1 for r in reads if r.storage_state == "overdue"),
        due_soon=sum(1 for r in reads if r.storage_state == "due_soon"),
    )


# ==================================================================================================================
# Summary (for the energy centre's enterprise page and the archive)
# ==================================================================================================================
def enterprise_summary(session: Session, *, scope: Scope, enterprise_id: int, year: int) -> EnvironmentSummary:
    """An enterprise's environment figures of a year: outlets, exceedances, permit use, waste (404 outside the
    caller's scope)."""
    enterprise = scope.get_or_404(session, Enterprise, enterprise_id)
    outlets = session.scalar(
        select(func.count()).select_from(Outlet).where(Outlet.enterprise_id == enterprise.id, Outlet.active.is_(True))
    )
    start = pollution.month_bounds(year)
    counts = dict(
        session.execute(
            select(Exceedance.period, func.count())
            .where(
                Exceedance.enterprise_id == enterprise.id, Exceedance.bucket >= start[0], Exceedance.bucket < start[12]
            )
            .group_by(Exceedance.period)
        ).all()
    )
    quotas = [
        *session.scalars(
            select(PermitQuota)
            .where(PermitQuota.enterprise_id == enterprise.id, PermitQuota.year == year)
            .order_by(PermitQuota.factor)
        )
    ]
    permits = usage_of(session, quotas)
    general = general_totals(session, enterprise_ids=[enterprise.id], year=year)
    hazardous = hazardous_totals(session, enterprise_ids=[enterprise.id], year=year)
    warnings = []
    for p in permits:
        if p.level == "exceeded":
            warnings.append(f"Permitted {p.factor} quantity exceeded: {p.percent or 0:.0f} %")
        elif p.level == "warning":
            warnings.append(f"Permitted {p.factor} quantity nearly used: {p.percent or 0:.0f} %")
    if hazardous.overdue:
        warnings.append(f"{hazardous.overdue} hazardous waste batch(es) stored beyond the limit")
    if hazardous.due_soon:
        warnings.append(f"{hazardous.due_soon} hazardous waste batch(es) near the storage limit")
    return EnvironmentSummary(
        enterprise_id=enterprise.id,
        year=year,
        outlets=int(outlets or 0),
        exceedances_hour=int(counts.get(Period.HOUR.value, 0)),
        exceedances_day=int(counts.get(Period.DAY.value, 0)),
        permits=permits,
        general=general,
        hazardous=hazardous,
        warnings=warnings,
    )


def archive_section(session: Session, scope: Scope, enterprise: Enterprise) -> dict[str, Any]:
    year = today().year
    s = enterprise_summary(session, scope=scope, enterprise_id=enterprise.id, year=year)
    return {
        "year": year,
        "outlets": s.outlets,
        "exceedances_hour": s.exceedances_hour,
        "exceedances_day": s.exceedances_day,
        "general_generated_t": round(s.general.generated_t, 3),
        "general_utilisation_rate_pct": None
        if s.general.utilisation_rate is None
        else round(s.general.utilisation_rate, 1),
        "general_disposal_rate_pct": None if s.general.disposal_rate is None else round(s.general.disposal_rate, 1),
        "hazardous_stored_t": round(s.hazardous.stored_t, 3),
        "hazardous_overdue_batches": s.hazardous.overdue,
        "hazardous_due_soon_batches": s.hazardous.due_soon,
        "permits": [
            {
                "factor": p.factor,
                "permit_no": p.permit_no,
                "permitted_t": round(p.permitted_t, 3),
                "discharged_t": round(p.discharged_t, 3),
                "percent": None if p.percent is None else round(p.percent, 1),
                "level": p.level,
            }
            for p in s.permits
        ],
        "warnings": s.warnings,
    }
