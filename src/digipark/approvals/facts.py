"""What the platform already knows about an enterprise ("apply once"): registration from the registry, the newest
digital level from the transformation domain, tax paid from the monthly statistics — read through the other
domains' providers only. Forms name these facts in `x-platform`; the eligibility table reads them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.codes import CodeError, industry
from digipark.economy import provides as economy
from digipark.registry.models import Enterprise
from digipark.transformation import provides as transformation


def enterprise_facts(session: Session, *, scope: Scope, enterprise_id: int) -> dict[str, Any]:
    """Every fact a form or a decision table may name (`source.field`), for an enterprise the caller reads."""
    enterprise = scope.get_or_404(session, Enterprise, enterprise_id)
    try:
        section = industry(enterprise.industry_code).section
    except CodeError:
        section = None
    summary = economy.enterprise_summary(session, scope=scope, enterprise_id=enterprise.id)
    tax = None
    if summary is not None:
        paid = [m["tax_paid_wan_yuan"] for m in summary.months if m.get("tax_paid_wan_yuan") is not None]
        tax = round(float(sum(paid)), 2) if paid else None
    maturity = transformation.archive_section(session, scope, enterprise)
    return {
        "enterprise.name": enterprise.name,
        "enterprise.uscc": enterprise.uscc,
        "enterprise.industry_code": enterprise.industry_code,
        "enterprise.industry_section": section,
        "enterprise.above_scale": bool(enterprise.above_scale),
        "transformation.digital_level": maturity.get("assessment_level") or 0,
        "economy.tax_paid_wan_yuan": tax or 0.0,
    }


def prefill(schema: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    """The form's platform fields filled from `facts` (field name -> value)."""
    return {name: facts.get(prop["x-platform"]) for name, prop in schema["properties"].items() if "x-platform" in prop}
