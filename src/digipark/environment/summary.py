"""An enterprise's environment summary of a year (for the energy centre's enterprise page) and its archive
section `environment`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.environment import pollution
from digipark.environment.common import today
from digipark.environment.hazardous import hazardous_totals
from digipark.environment.models import Exceedance, Outlet, Period, PermitQuota
from digipark.environment.permits import usage_of
from digipark.environment.schemas import EnvironmentSummary
from digipark.environment.waste_ledger import general_totals
from digipark.registry.models import Enterprise


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
