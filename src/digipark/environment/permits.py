"""Permitted annual discharge quantities and their use. Their plain create/read/update/delete is derived
(`PERMITS`)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

import digipark.audit.service  # noqa: F401  (registers the audit hook for every write below)
from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, field_error
from digipark.core.listing import ListSpec
from digipark.crud import Owner, RecordType
from digipark.environment import pollution
from digipark.environment.common import WRITE, enterprise_for, tonnes
from digipark.environment.models import Outlet, OutletFactor, PermitQuota
from digipark.environment.outlets import factors_of
from digipark.environment.schemas import PermitQuotaCreate, PermitQuotaRead, PermitQuotaUpdate, PermitUsage
from digipark.registry.models import Enterprise, Point


def _permitted_enterprise(session: Session, scope: Scope, data: BaseModel) -> Owner:
    enterprise = enterprise_for(session, scope, getattr(data, "enterprise_id", None))
    return enterprise.park_id, enterprise.id


def _permit_factor(factor: str) -> None:
    if factor not in pollution.data().permit_factors:
        raise field_error(
            "factor", f"no permitted quantity for {factor!r}", known=list(pollution.data().permit_factors)
        )


def _checked_permit(session: Session, scope: Scope, values: dict[str, Any], row: PermitQuota | None) -> dict[str, Any]:
    """A factor with a permitted quantity; the quantity given in any mass unit is stored in t. An update's null
    quantity or expiry leaves the stored one."""
    if row is None:
        _permit_factor(values["factor"])
    annual, unit = values.pop("annual", None), values.pop("unit", "t")
    if annual is not None:
        values["annual_t"] = tonnes(annual, unit)
    return values if row is None else {key: value for key, value in values.items() if value is not None}


def _one_quota_per_factor_and_year(session: Session, scope: Scope, row: PermitQuota) -> None:
    taken = session.scalar(
        select(PermitQuota.id).where(
            PermitQuota.enterprise_id == row.enterprise_id,
            PermitQuota.year == row.year,
            PermitQuota.factor == row.factor,
        )
    )
    if taken is not None:
        name = session.scalar(select(Enterprise.name).where(Enterprise.id == row.enterprise_id))
        raise Conflict(
            f"{name} already has a permitted {row.factor} quantity for {row.year} (quota {taken})",
            errors=[{"field": "factor", "reason": "already exists"}],
        )


PERMITS: RecordType[PermitQuota] = RecordType(
    name="env_permit_quota",
    model=PermitQuota,
    create_schema=PermitQuotaCreate,
    update_schema=PermitQuotaUpdate,
    read_schema=PermitQuotaRead,
    list_spec=ListSpec(
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
    ),
    write_permission=WRITE,
    owner=_permitted_enterprise,
    validate=_checked_permit,
    before_create=_one_quota_per_factor_and_year,
)


def _pairs(
    outlets: Sequence[Outlet], factors: dict[int, list[OutletFactor]], factor: str, points: dict[int, Point]
) -> list[tuple[pollution.DischargePair, float]]:
    """The (concentration, flow) pairs of `factor` through the outlets, each with its kg per point unit."""
    d = pollution.data()
    result = []
    for outlet in outlets:
        rows = {f.factor: f for f in factors.get(outlet.id, [])}
        flow = next((f for k, f in rows.items() if d.factors[k].role == "flow"), None)
        conc = rows.get(factor)
        if flow is None or conc is None:
            continue
        cp, qp = points[conc.point_id], points[flow.point_id]
        rule = d.averaging[outlet.medium]
        kg = pollution.mass_factor_kg(cp.unit) * pollution.unit_factor(qp.unit, "m³/h", field="point")
        pair = pollution.DischargePair(
            cp.id,
            qp.id,
            pollution.required_readings(cp.expected_interval_s, rule.hour_min_coverage),
            pollution.required_readings(qp.expected_interval_s, rule.hour_min_coverage),
        )
        result.append((pair, kg))
    return result


def discharged_t(
    session: Session,
    outlets: Sequence[Outlet],
    factors: dict[int, list[OutletFactor]],
    factor: str,
    year: int,
    points: dict[int, Point] | None = None,
    totals: dict[pollution.DischargePair, list[float]] | None = None,
) -> tuple[list[float], int]:
    """Tonnes of `factor` discharged through the outlets in each month of the year (rollup_1h), and how many
    outlets had both the factor and a flow to compute it. `points` and `totals` (discharge_of_pairs) may come
    computed for many calls at once."""
    if points is None:
        points = _points(session, {f.point_id for o in outlets for f in factors.get(o.id, [])})
    pairs = _pairs(outlets, factors, factor, points)
    if totals is None or any(p not in totals for p, _ in pairs):
        until = int(utcnow().timestamp() * 1000)
        totals = pollution.discharge_of_pairs(session, [p for p, _ in pairs], year, until)
    months = [0.0] * 12
    for pair, kg in pairs:
        months = [a + b * kg / 1000.0 for a, b in zip(months, totals[pair], strict=True)]
    return months, len(pairs)


def _points(session: Session, ids: set[int]) -> dict[int, Point]:
    return {p.id: p for p in session.scalars(select(Point).where(Point.id.in_(ids)))} if ids else {}


@dataclasses.dataclass(frozen=True)
class QuotaInputs:
    """What the use of a set of quotas is computed from: their enterprises' outlets, factors and points, and the
    (concentration, flow) pairs of each year."""

    by_enterprise: dict[int, list[Outlet]]
    factors: dict[int, list[OutletFactor]]
    points: dict[int, Point]
    pairs: dict[int, list[pollution.DischargePair]]


def quota_inputs(session: Session, quotas: Sequence[PermitQuota]) -> QuotaInputs:
    by_enterprise: dict[int, list[Outlet]] = defaultdict(list)
    ids = sorted({q.enterprise_id for q in quotas})
    outlets = [*session.scalars(select(Outlet).where(Outlet.enterprise_id.in_(ids)).order_by(Outlet.id))] if ids else []
    for o in outlets:
        by_enterprise[o.enterprise_id].append(o)
    factors = factors_of(session, [o.id for o in outlets])
    points = _points(session, {f.point_id for rows in factors.values() for f in rows})  # once for every quota
    pairs = {
        year: sorted(
            {
                p
                for q in quotas
                if q.year == year
                for p, _ in _pairs(by_enterprise[q.enterprise_id], factors, q.factor, points)
            },
            key=repr,
        )
        for year in sorted({q.year for q in quotas})
    }
    return QuotaInputs(by_enterprise, factors, points, pairs)


def usage_of(session: Session, quotas: Sequence[PermitQuota]) -> list[PermitUsage]:
    """Each quota against the discharge of its enterprise's outlets in its year."""
    inputs = quota_inputs(session, quotas)
    by_enterprise, factors, points = inputs.by_enterprise, inputs.factors, inputs.points
    until = int(utcnow().timestamp() * 1000)
    totals = {year: pollution.discharge_of_pairs(session, pairs, year, until) for year, pairs in inputs.pairs.items()}
    result = []
    for q in quotas:
        months, counted = discharged_t(
            session, by_enterprise[q.enterprise_id], factors, q.factor, q.year, points, totals[q.year]
        )
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
        stmt = stmt.where(PermitQuota.park_id == scope.acting_park(park_id))
    if enterprise_id is not None:
        stmt = stmt.where(PermitQuota.enterprise_id == enterprise_id)
    quotas = [*session.scalars(stmt.order_by(PermitQuota.enterprise_id, PermitQuota.factor))]
    return usage_of(session, quotas)
