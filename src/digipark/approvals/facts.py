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

SOURCES = ("enterprise", "transformation", "economy")


def enterprise_facts(
    session: Session, *, scope: Scope, enterprise_id: int, sources: frozenset[str] = frozenset(SOURCES)
) -> dict[str, Any]:
    """The facts a form or a decision table may name (`source.field`) for an enterprise the caller reads, from
    the `sources` asked for (the registry's are always there)."""
    enterprise = scope.get_or_404(session, Enterprise, enterprise_id)
    try:
        section = industry(enterprise.industry_code).section
    except CodeError:
        section = None
    found: dict[str, Any] = {
        "enterprise.name": enterprise.name,
        "enterprise.name_en": enterprise.name_en,
        "enterprise.uscc": enterprise.uscc,
        "enterprise.industry_code": enterprise.industry_code,
        "enterprise.industry_section": section,
        "enterprise.above_scale": bool(enterprise.above_scale),
    }
    if "transformation" in sources:
        maturity = transformation.archive_section(session, scope, enterprise)
        found["transformation.digital_level"] = maturity.get("assessment_level") or 0
    if "economy" in sources:
        summary = economy.enterprise_summary(session, scope=scope, enterprise_id=enterprise.id)
        paid = (
            [m["tax_paid_wan_yuan"] for m in summary.months if m.get("tax_paid_wan_yuan") is not None]
            if summary
            else []
        )
        found["economy.tax_paid_wan_yuan"] = round(float(sum(paid)), 2) if paid else 0.0
    return found


def sources_of(schema: dict[str, Any], decides: bool) -> frozenset[str]:
    """Which sources a definition reads: those its form names, and every one when a decision table decides."""
    if decides:
        return frozenset(SOURCES)
    named = (prop.get("x-platform", "") for prop in schema["properties"].values())
    return frozenset(name.split(".", 1)[0] for name in named if name)


def prefill(schema: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    """The form's platform fields filled from `facts` (field name -> value)."""
    return {name: facts.get(prop["x-platform"]) for name, prop in schema["properties"].items() if "x-platform" in prop}
