"""Enterprise digital archives (企业数字档案): one view of everything the platform knows about an enterprise.

An archive is a list of sections, each produced by the module that owns the data: every installed module record
declares its sections (`Module.archive`: key, title msgid, provider, order). A provider is called with the session,
the caller's scope and the enterprise (already checked to be readable) and returns the section's data as a dict,
or a `SectionResult` to say more (not available, a note). Sections the guide expects from modules that are not
installed (`EXPECTED`) are shown as unavailable, naming the module that would provide them.

Titles and notes are untranslated msgids (English); pages translate them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core import modules
from digipark.core.codes import CodeError, industry
from digipark.core.db import utcnow
from digipark.core.modules import SectionResult, resolve
from digipark.economy import monitoring, statistics
from digipark.economy.land import land_allocation
from digipark.economy.models import IntellectualProperty, Product, Qualification
from digipark.economy.schemas import ArchiveSectionRead, EnterpriseArchive
from digipark.registry import service as registry
from digipark.registry.models import Building, Enterprise, Floor


def N_(message: str) -> str:
    """Mark a msgid for extraction; pages translate it."""
    return message


Provider = Callable[[Session, Scope, Enterprise], "dict[str, Any] | SectionResult"]


@dataclasses.dataclass(frozen=True)
class ArchiveSection:
    key: str
    title: str
    provider: Provider
    order: int


# key -> (title, order, the module that would provide it)
EXPECTED: dict[str, tuple[str, int, str]] = {
    "energy_carbon": (N_("Energy and carbon"), 80, N_("The energy and carbon module is not installed.")),
    "digital_maturity": (
        N_("Digital maturity"),
        90,
        N_("The digital transformation assessment module is not installed."),
    ),
    "safety": (N_("Safety record"), 100, N_("The safety module is not installed.")),
    "services": (N_("Services used"), 120, N_("The park services module is not available yet.")),
}


def _unavailable(note: str) -> Provider:
    def provider(session: Session, scope: Scope, enterprise: Enterprise) -> SectionResult:
        return SectionResult(available=False, note=note)

    return provider


def archive_sections() -> list[ArchiveSection]:
    """The installed modules' sections, and the expected ones no installed module provides, in their order."""
    sections = {
        declared.key: ArchiveSection(declared.key, declared.title, resolve(declared.provider), declared.order)
        for _, declared in modules.archive_sections()
    }
    for key, (title, order, note) in EXPECTED.items():
        sections.setdefault(key, ArchiveSection(key, title, _unavailable(note), order))
    return sorted(sections.values(), key=lambda s: (s.order, s.key))


# -- the sections this module provides (economy.module) ------------------------------------------------------------
def registration_section(session: Session, scope: Scope, enterprise: Enterprise) -> dict[str, Any]:
    fields = (
        "name",
        "name_en",
        "uscc",
        "registered_capital_wan_yuan",
        "established_on",
        "status",
        "address",
        "contact_name",
        "contact_phone",
        "contact_email",
    )
    return {field: getattr(enterprise, field) for field in fields}


def industry_section(session: Session, scope: Scope, enterprise: Enterprise) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": enterprise.industry_code,
        "above_scale": enterprise.above_scale,
        "industrial": enterprise.industrial,
        "employees": enterprise.employees,
    }
    try:
        entry = industry(enterprise.industry_code)
        division = industry(enterprise.industry_code[:2])
        section = industry(entry.section)
    except CodeError:
        return data
    data.update(
        name_zh=entry.name_zh,
        name_en=entry.name_en,
        division={"code": division.code, "name_zh": division.name_zh, "name_en": division.name_en},
        section={"code": section.code, "name_zh": section.name_zh, "name_en": section.name_en},
    )
    return data


def premises_section(session: Session, scope: Scope, enterprise: Enterprise) -> dict[str, Any]:
    units = registry.enterprise_units(session, scope=scope, enterprise_id=enterprise.id)
    building_ids = sorted({u.building_id for u in units})
    floor_ids = sorted({u.floor_id for u in units})
    buildings = (
        {b.id: b for b in session.scalars(scope.readable(Building).where(Building.id.in_(building_ids)))}
        if building_ids
        else {}
    )
    floors = (
        {f.id: f for f in session.scalars(scope.readable(Floor).where(Floor.id.in_(floor_ids)))} if floor_ids else {}
    )
    land = land_allocation(session, park_id=enterprise.park_id, enterprise_id=enterprise.id).get(enterprise.id)
    data: dict[str, Any] = {
        "units": [
            {
                "room_id": u.id,
                "code": u.code,
                "building_id": u.building_id,
                "building": buildings[u.building_id].name if u.building_id in buildings else None,
                "building_code": buildings[u.building_id].code if u.building_id in buildings else None,
                "floor": floors[u.floor_id].level if u.floor_id in floors else None,
                "area_m2": u.area_m2,
                "use": u.use,
                "lease_from": u.lease_from,
                "lease_to": u.lease_to,
            }
            for u in units
        ],
        "buildings": [{"id": b.id, "code": b.code, "name": b.name, "use": b.use} for b in buildings.values()],
        "leased_area_m2": sum(u.area_m2 for u in units),
        "land_m2": land.m2 if land else 0.0,
        "land_mu": land.mu if land else 0.0,
    }
    if scope.can("economy.read") and land is not None:
        data["parcels"] = [
            {"id": ident, "code": code, "allocated_m2": m2, "share": share} for ident, code, m2, share in land.parcels
        ]
    return data


def _status(valid_from: dt.date | None, valid_to: dt.date | None, today: dt.date) -> str:
    if valid_from is not None and today < valid_from:
        return "pending"
    if valid_to is not None and today > valid_to:
        return "expired"
    return "valid"


def qualifications_section(session: Session, scope: Scope, enterprise: Enterprise) -> dict[str, Any]:
    on = statistics.today()
    rows = session.scalars(
        scope.readable(Qualification)
        .where(Qualification.enterprise_id == enterprise.id)
        .order_by(Qualification.valid_to.desc(), Qualification.id)
    )
    items = [
        {
            "id": q.id,
            "kind": q.kind,
            "name": q.name,
            "issuer": q.issuer,
            "certificate_no": q.certificate_no,
            "valid_from": q.valid_from,
            "valid_to": q.valid_to,
            "status": _status(q.valid_from, q.valid_to, on),
        }
        for q in rows
    ]
    return {"items": items, "valid": sum(1 for i in items if i["status"] == "valid"), "as_of": on}


def intellectual_property_section(session: Session, scope: Scope, enterprise: Enterprise) -> dict[str, Any]:
    rows = [
        *session.scalars(
            scope.readable(IntellectualProperty)
            .where(IntellectualProperty.enterprise_id == enterprise.id)
            .order_by(IntellectualProperty.granted_on.desc(), IntellectualProperty.id)
        )
    ]
    return {
        "items": [
            {"id": p.id, "kind": p.kind, "title": p.title, "number": p.number, "granted_on": p.granted_on} for p in rows
        ],
        "by_kind": dict(Counter(p.kind for p in rows)),
    }


def products_section(session: Session, scope: Scope, enterprise: Enterprise) -> dict[str, Any]:
    rows = session.scalars(scope.readable(Product).where(Product.enterprise_id == enterprise.id).order_by(Product.id))
    return {
        "items": [
            {
                "id": p.id,
                "name": p.name,
                "description": p.description,
                "annual_output": p.annual_output,
                "unit": p.unit,
            }
            for p in rows
        ]
    }


def statistics_section(session: Session, scope: Scope, enterprise: Enterprise) -> dict[str, Any] | SectionResult:
    summary = monitoring.enterprise_summary(session, scope=scope, enterprise_id=enterprise.id)
    if summary is None:
        return SectionResult(data=None, available=True, note=N_("No monthly statistics submitted yet."))
    return dataclasses.asdict(summary)


def enterprise_archive(session: Session, *, scope: Scope, enterprise_id: int) -> EnterpriseArchive:
    """Every section of an enterprise's archive the caller may read (404 for an enterprise outside its scope)."""
    enterprise = scope.get_or_404(session, Enterprise, enterprise_id)
    sections = []
    for section in archive_sections():
        result = section.provider(session, scope, enterprise)
        if not isinstance(result, SectionResult):
            result = SectionResult(data=result)
        sections.append(
            ArchiveSectionRead(
                key=section.key,
                title=section.title,
                available=result.available,
                note=result.note,
                data=result.data if result.available else None,
            )
        )
    return EnterpriseArchive(
        enterprise_id=enterprise.id, name=enterprise.name, generated_at=utcnow(), sections=sections
    )


def enterprise_names(session: Session, *, scope: Scope, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    stmt = select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(ids), scope.condition(Enterprise))
    return {ident: name for ident, name in session.execute(stmt)}
