"""Enterprise archives: every section from its owning module, absent modules shown as unavailable, the provider
registry, qualification status, and who may read or maintain the archive facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core import modules
from digipark.core.errors import NotFound, PermissionDenied, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.economy import archive, service
from digipark.economy.schemas import EnterpriseArchive, ProductCreate, ProductUpdate, QualificationCreate
from digipark.registry.models import Enterprise
from tests.conftest import World
from tests.economy.helpers import admin, scope_of, series

# sections the archive expects from modules that are not built yet
PLACEHOLDERS: tuple[str, ...] = ()
# sections every installed module declares in its record
FROM_MODULES = (
    "energy_carbon",
    "digital_maturity",
    "safety",
    "environment",
    "industry_chains",
    "approvals",
    "services",
)


def section(found: EnterpriseArchive, key: str) -> Any:
    return next(s for s in found.sections if s.key == key)


def test_archive_gathers_every_section(db: Session, world: World) -> None:
    a = world.a
    e0 = a.enterprise_ids[0]
    series(db, a, e0, {"2024-01": 100, "2024-02": 100, "2025-01": 110, "2025-02": 121})
    today = dt.date.today()
    for kind, name, valid_to in (
        ("high_tech", "高新技术企业", today + dt.timedelta(days=300)),
        ("specialized_sme", "专精特新中小企业", today - dt.timedelta(days=3)),
    ):
        service.create_fact(
            db,
            scope=admin(a),
            kind=service.FACTS["qualification"],
            data=QualificationCreate(
                enterprise_id=e0, kind=kind, name=name, valid_from=dt.date(2022, 1, 1), valid_to=valid_to
            ),
        )
    found = archive.enterprise_archive(db, scope=admin(a), enterprise_id=e0)
    keys = [s.key for s in found.sections]
    assert keys[:7] == [
        "registration",
        "industry",
        "premises",
        "qualifications",
        "intellectual_property",
        "products",
        "statistics",
    ]
    assert set(PLACEHOLDERS) <= set(keys) and set(FROM_MODULES) <= set(keys)
    for key in FROM_MODULES:
        assert section(found, key).available is True, key
    for key in PLACEHOLDERS:
        placeholder = section(found, key)
        assert placeholder.available is False and placeholder.data is None and placeholder.note
    assert section(found, "registration").data["name"] == "TA企业0"
    assert section(found, "industry").data["division"]["code"] == "33"
    premises = section(found, "premises").data
    assert [u["code"] for u in premises["units"]] == ["101"] and premises["leased_area_m2"] == 500
    assert premises["land_m2"] > 0 and premises["parcels"][0]["code"] == "P1"  # staff see the parcels
    statuses = {q["kind"]: q["status"] for q in section(found, "qualifications").data["items"]}
    assert statuses == {"high_tech": "valid", "specialized_sme": "expired"}
    stats = section(found, "statistics").data
    assert stats["period"] == dt.date(2025, 2, 1) and stats["ytd_complete"] is True
    assert stats["ytd"]["output_value_wan_yuan"] == 231
    assert stats["ytd_yoy_percent"]["output_value_wan_yuan"] == pytest.approx(15.5)
    assert [m["output_value_wan_yuan"] for m in stats["months"][-2:]] == [110, 121]
    assert stats["months"][0]["output_value_wan_yuan"] is None  # March 2024: not submitted


def test_an_enterprise_reads_only_its_own_archive(db: Session, world: World) -> None:
    a = world.a
    e0, e1 = a.enterprise_ids
    own = scope_of(a, Role.ENTERPRISE, e0)
    found = archive.enterprise_archive(db, scope=own, enterprise_id=e0)
    assert "parcels" not in section(found, "premises").data  # land parcels are staff-only
    assert section(found, "premises").data["land_mu"] > 0
    assert section(found, "statistics").data is None and section(found, "statistics").note
    with pytest.raises(NotFound):
        archive.enterprise_archive(db, scope=own, enterprise_id=e1)
    with pytest.raises(NotFound):
        archive.enterprise_archive(db, scope=scope_of(a, Role.RESIDENT), enterprise_id=e0)
    with pytest.raises(NotFound):
        archive.enterprise_archive(db, scope=admin(world.b), enterprise_id=e0)
    assert archive.enterprise_archive(db, scope=scope_of(a, Role.REVIEWER), enterprise_id=e1).enterprise_id == e1


@pytest.fixture
def extra_module() -> Iterator[None]:
    """A module record, installed for one test, that declares two sections (one replacing energy's)."""
    saved = modules.installed()
    plugged = modules.Module(
        name="plugged",
        title="Plugged",
        archive=(
            modules.ArchiveSection("energy_carbon", "Energy and carbon", f"{__name__}:_energy", order=80),
            modules.ArchiveSection("extra", "Extra", f"{__name__}:_extra", order=5),
        ),
    )
    modules.install([*[m for m in saved if m.name != "energy"], plugged])
    yield
    modules.install(saved)


def _energy(session: Session, scope: Scope, enterprise: Enterprise) -> dict[str, Any]:
    return {"comprehensive_energy_tce": 12.5, "enterprise": enterprise.id}


def _extra(session: Session, scope: Scope, enterprise: Enterprise) -> modules.SectionResult:
    return modules.SectionResult(note="none")


def test_a_module_record_plugs_its_sections_in(db: Session, world: World, extra_module: None) -> None:
    found = archive.enterprise_archive(db, scope=admin(world.a), enterprise_id=world.a.enterprise_ids[0])
    assert found.sections[0].key == "extra" and found.sections[0].note == "none"
    energy_section = section(found, "energy_carbon")
    assert energy_section.available is True
    assert energy_section.data == {"comprehensive_energy_tce": 12.5, "enterprise": world.a.enterprise_ids[0]}
    assert [s.key for s in found.sections].count("energy_carbon") == 1


def test_a_section_whose_module_is_not_installed_says_so(db: Session, world: World) -> None:
    saved = modules.installed()
    modules.install([m for m in saved if m.name != "safety"])
    try:
        found = archive.enterprise_archive(db, scope=admin(world.a), enterprise_id=world.a.enterprise_ids[0])
    finally:
        modules.install(saved)
    safety = section(found, "safety")
    assert safety.available is False and safety.note == "The safety module is not installed."


# -- archive facts ---------------------------------------------------------------------------------------------
def test_enterprise_maintains_its_own_products_but_not_qualifications(db: Session, world: World) -> None:
    a = world.a
    e0, e1 = a.enterprise_ids
    own = scope_of(a, Role.ENTERPRISE, e0)
    products = service.FACTS["product"]
    product = service.create_fact(db, scope=own, kind=products, data=ProductCreate(name="精密钣金机柜", unit="台"))
    assert (product.enterprise_id, product.park_id) == (e0, a.park_id)
    updated = service.update_fact(
        db, scope=own, kind=products, ident=product.id, data=ProductUpdate(annual_output=1200)
    )
    assert updated.annual_output == 1200
    with pytest.raises(ValidationFailed):  # another enterprise is not even visible
        service.create_fact(db, scope=own, kind=products, data=ProductCreate(enterprise_id=e1, name="x"))
    with pytest.raises(PermissionDenied):
        service.create_fact(
            db,
            scope=own,
            kind=service.FACTS["qualification"],
            data=QualificationCreate(kind="high_tech", name="高新技术企业"),
        )
    with pytest.raises(NotFound):
        service.delete_fact(db, scope=scope_of(a, Role.ENTERPRISE, e1), kind=products, ident=product.id)
    with pytest.raises(PermissionDenied):
        service.delete_fact(db, scope=scope_of(a, Role.REVIEWER), kind=products, ident=product.id)
    _, total = service.list_facts(db, scope=scope_of(a, Role.ENTERPRISE, e1), kind=products, query=ListQuery())
    assert total == 0
    service.delete_fact(db, scope=own, kind=products, ident=product.id)
    assert service.list_facts(db, scope=admin(a), kind=products, query=ListQuery())[1] == 0


def test_qualification_validity_order_is_checked(db: Session, world: World) -> None:
    with pytest.raises(ValueError):
        QualificationCreate(
            kind="high_tech", name="高新技术企业", valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2024, 1, 1)
        )
    q = service.create_fact(
        db,
        scope=admin(world.a),
        kind=service.FACTS["qualification"],
        data=QualificationCreate(
            enterprise_id=world.a.enterprise_ids[0], kind="little_giant", name="小巨人", valid_from=dt.date(2024, 7, 1)
        ),
    )
    from digipark.economy.schemas import QualificationUpdate

    with pytest.raises(ValidationFailed):
        service.update_fact(
            db,
            scope=admin(world.a),
            kind=service.FACTS["qualification"],
            ident=q.id,
            data=QualificationUpdate(valid_to=dt.date(2024, 1, 1)),
        )
