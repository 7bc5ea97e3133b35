"""What the transformation module offers other modules (declared in transformation.module): the digital maturity
section of an enterprise's archive."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.registry.models import Enterprise
from digipark.transformation import renovation
from digipark.transformation.common import today
from digipark.transformation.facts import renovation_facts
from digipark.transformation.models import Assessment, MaturityCertificate


def archive_section(session: Session, scope: Scope, enterprise: Enterprise) -> dict[str, Any]:
    """The enterprise's newest assessment, its certificates and whether it counts as digitally renovated."""
    newest = session.scalars(
        scope.readable(Assessment)
        .where(Assessment.enterprise_id == enterprise.id)
        .order_by(Assessment.year.desc(), Assessment.id.desc())
        .limit(1)
    ).first()
    certificates = session.scalars(
        scope.readable(MaturityCertificate)
        .where(MaturityCertificate.enterprise_id == enterprise.id)
        .order_by(MaturityCertificate.issued_on.desc())
    ).all()
    assessments, certs = renovation_facts(session, enterprise.park_id, enterprise.id)
    judged = renovation.judge(
        renovation.default_rule(), assessments.get(enterprise.id, ()), certs.get(enterprise.id, ()), today()
    )
    return {
        "assessment_year": newest.year if newest else None,
        "assessment_status": newest.status if newest else None,
        "assessment_level": newest.level if newest else None,
        "certificates": [
            {
                "scale": c.scale,
                "level": c.level,
                "certificate_no": c.certificate_no,
                "valid_to": c.valid_to,
                "verified": c.verified,
            }
            for c in certificates
        ],
        "renovated": judged.renovated,
        "renovation_basis": judged.basis,
        "link": f"/transformation/enterprises/{enterprise.id}",
    }
