"""What the transformation module offers other modules (declared in transformation.module): the digital maturity
section of an enterprise's archive; the digital-transformation services of its catalogue and who used one (the
services module lists them and counts them in the production-service coverage, S2.2)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.registry.models import Enterprise
from digipark.transformation import renovation
from digipark.transformation.common import today
from digipark.transformation.facts import renovation_facts
from digipark.transformation.models import (
    AdoptionKind,
    AdoptionRecord,
    Assessment,
    CatalogueEntry,
    CatalogueKind,
    MaturityCertificate,
    ProviderRequest,
    RequestStatus,
)

# a request the provider is working on or has delivered counts as a service used
_USED_REQUEST = (RequestStatus.IN_PROGRESS.value, RequestStatus.DONE.value)


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


def catalogue_entry(session: Session, *, scope: Scope, ident: int) -> dict[str, Any] | None:
    """A catalogue entry the caller may read (None when there is none)."""
    row = session.scalar(scope.readable(CatalogueEntry).where(CatalogueEntry.id == ident))
    return None if row is None else _entry(row)


def catalogue_services(session: Session, *, park_id: int) -> list[dict[str, Any]]:
    """The park's active catalogue entries of kind service (plain park id; the caller checks its scope)."""
    rows = session.scalars(
        select(CatalogueEntry)
        .where(
            CatalogueEntry.park_id == park_id,
            CatalogueEntry.kind == CatalogueKind.SERVICE.value,
            CatalogueEntry.active.is_(True),
        )
        .order_by(CatalogueEntry.name, CatalogueEntry.id)
    )
    return [_entry(row) for row in rows]


def _entry(row: CatalogueEntry) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "name": row.name,
        "name_en": row.name_en,
        "provider": row.provider,
        "provider_en": row.provider_en,
        "description": row.description,
        "price_note": row.price_note,
    }


def transformation_service_users(
    session: Session, *, park_id: int, since: dt.date, as_of: dt.date
) -> dict[int, list[str]]:
    """Enterprise id -> names of the digital-transformation services it used between `since` and `as_of`: provider
    requests in progress or done in that time, and digital production services on its adoption record then."""
    used: dict[int, list[str]] = defaultdict(list)
    start = dt.datetime.combine(since, dt.time(), dt.UTC)
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), dt.UTC)
    requests = session.execute(
        select(ProviderRequest.enterprise_id, CatalogueEntry.name)
        .join(CatalogueEntry, CatalogueEntry.id == ProviderRequest.entry_id)
        .where(
            ProviderRequest.park_id == park_id,
            ProviderRequest.status.in_(_USED_REQUEST),
            ProviderRequest.updated_at >= start,
            ProviderRequest.created_at < end,
        )
    )
    adopted = session.execute(
        select(AdoptionRecord.enterprise_id, AdoptionRecord.name).where(
            AdoptionRecord.park_id == park_id,
            AdoptionRecord.kind == AdoptionKind.DIGITAL_PRODUCTION_SERVICE.value,
            AdoptionRecord.started_on <= as_of,
            AdoptionRecord.ended_on.is_(None) | (AdoptionRecord.ended_on >= since),
        )
    )
    for enterprise_id, name in [*requests, *adopted]:
        if name not in used[enterprise_id]:
            used[enterprise_id].append(name)
    return dict(used)
