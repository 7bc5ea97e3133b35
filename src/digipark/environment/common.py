"""What every part of the environment domain uses: its permission names, today's date, tonnes, the enterprise a
record is for."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.errors import field_error
from digipark.environment import pollution
from digipark.registry.models import Enterprise

# -- permissions (auth/permissions.py holds which role has which) --------------------------------------------------
READ = "environment.read"  # park-wide views (staff and reviewers); an enterprise reads its own rows by scope
WRITE = "environment.write"  # staff: outlets, permits, exceedance scans
WASTE_WRITE = "waste.write"  # staff: any enterprise's waste ledger, batches, manifests
WASTE_SELF = "waste.self_write"  # an enterprise: its own


def today() -> dt.date:
    """Today in the platform's time zone (Asia/Shanghai by default)."""
    return dt.datetime.now(zoneinfo.ZoneInfo(get_settings().timezone)).date()


def tonnes(value: float, unit: str) -> float:
    return value * pollution.unit_factor(unit, "t", field="unit")


def enterprise_for(session: Session, scope: Scope, enterprise_id: int | None) -> Enterprise:
    """The enterprise a record is for: the caller's own when not given; it must be visible."""
    if enterprise_id is None:
        enterprise_id = scope.acting_enterprise()
        if enterprise_id is None:
            raise field_error("enterprise_id", "required: the enterprise this is for")
    enterprise: Enterprise | None = session.scalar(scope.readable(Enterprise).where(Enterprise.id == enterprise_id))
    if enterprise is None:
        raise field_error("enterprise_id", f"no enterprise {enterprise_id} visible to you")
    return enterprise


def waste_permission(scope: Scope) -> str:
    """Staff keep any enterprise's waste records; an enterprise its own."""
    return WASTE_WRITE if scope.can(WASTE_WRITE) else WASTE_SELF
