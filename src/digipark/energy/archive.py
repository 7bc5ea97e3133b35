"""The `energy_carbon` section of every enterprise's digital archive (declared in energy.module)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import DomainError
from digipark.core.modules import SectionResult
from digipark.energy import service
from digipark.registry.models import Enterprise
from digipark.web.i18n import N_


def energy_section(session: Session, scope: Scope, enterprise: Enterprise) -> dict[str, Any] | SectionResult:
    year = service.today().year
    try:
        account = service.enterprise_account(session, scope=scope, enterprise_id=enterprise.id, year=year)
    except DomainError:
        return SectionResult(available=False, note=N_("Energy and carbon figures are not visible to you."))
    return {
        "year": year,
        "comprehensive_tce_equivalent": round(account.comprehensive_tce_equivalent, 3),
        "comprehensive_tce_equal": round(account.comprehensive_tce_equal, 3),
        "tco2": round(account.tco2, 3),
        "tce_per_wan_yuan": None if account.tce_per_wan_yuan is None else round(account.tce_per_wan_yuan, 4),
        "tco2_per_wan_yuan": None if account.tco2_per_wan_yuan is None else round(account.tco2_per_wan_yuan, 4),
        "factor_version": account.factor_version,
        "link": f"/energy/enterprises/{enterprise.id}?year={year}",
    }
