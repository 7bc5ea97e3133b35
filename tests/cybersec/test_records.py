"""Grading checklists and data levels as data, GB/T 43697 records, advisory matching by firmware range, and an
enterprise seeing only its own security records."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from digipark.core.errors import DomainError
from digipark.core.listing import ListQuery
from digipark.cybersec import reference, security
from digipark.cybersec.schemas import (
    AdvisoryCreate,
    AdvisoryImport,
    DataItemCreate,
    GradingCreate,
    GradingUpdate,
    IcsAssetCreate,
)
from tests.conftest import World
from tests.cybersec.helpers import admin, enterprise


def _grading(db: Session, world: World, level: int, who: int = 0, **extra: object) -> object:
    return security.GRADINGS.create(
        db,
        scope=enterprise(world.a, who),
        data=GradingCreate(
            category="connected_industrial",
            grade=2,
            protection_level=level,
            system_name="MES",
            graded_on=dt.date(2026, 5, 1),
            evidence="定级报告及专家评审意见",
            **extra,  # type: ignore[arg-type]
        ),
    )


def test_the_checklist_is_the_requirement_areas_of_the_protection_level(db: Session, world: World) -> None:
    level1 = {a["key"] for a in reference.requirement_areas(1)}
    level3 = {a["key"] for a in reference.requirement_areas(3)}
    assert level3 - level1 == {"management_centre"} and len(level3) == 10
    row = _grading(db, world, 1, checklist={"physical_environment": "met"})
    assert set(row.checklist) == level1  # type: ignore[attr-defined]
    assert row.checklist["physical_environment"] == "met"  # type: ignore[attr-defined]
    updated = security.GRADINGS.update(
        db,
        scope=enterprise(world.a, 0),
        ident=row.id,
        data=GradingUpdate(protection_level=3),  # type: ignore[attr-defined]
    )
    assert set(updated.checklist) == level3 and updated.checklist["physical_environment"] == "met"
    assert updated.checklist["management_centre"] == "todo"
    with pytest.raises(DomainError):
        _grading(db, world, 1, checklist={"management_centre": "met"})  # not an area of level 1


def test_data_levels_decide_the_filing(db: Session, world: World) -> None:
    assert set(reference.data_levels()) == {"core", "important", "general"}
    scope = enterprise(world.a, 0)
    important = security.DATA_ITEMS.create(db, scope=scope, data=DataItemCreate(name="工艺参数库", level="important"))
    general = security.DATA_ITEMS.create(db, scope=scope, data=DataItemCreate(name="产品宣传册", level="general"))
    assert (important.filing_status, general.filing_status) == ("to_file", "not_required")
    with pytest.raises(DomainError):
        security.DATA_ITEMS.create(
            db, scope=scope, data=DataItemCreate(name="x", level="general", filing_status="filed")
        )
    with pytest.raises(DomainError):
        security.DATA_ITEMS.create(
            db, scope=scope, data=DataItemCreate(name="y", level="important", filing_status="filed")
        )
    assert security.sharing_check(db, scope=scope, ident=important.id, export=False) == (
        False,
        "important data is shared only once filed",
    )
    assert security.sharing_check(db, scope=scope, ident=general.id, export=False)[0] is True


def test_advisories_match_assets_by_vendor_model_and_firmware_range(db: Session, world: World) -> None:
    staff = admin(world.a)
    security.import_advisories(
        db,
        scope=staff,
        data=AdvisoryImport(
            advisories=[
                AdvisoryCreate(
                    ident="CNVD-2026-00001",
                    title="S7-1200 拒绝服务漏洞",
                    vendor="Siemens",
                    model_pattern="S7-1200*",
                    affected=">=4.0,<4.5.2",
                    fixed_version="4.5.2",
                    severity="major",
                )
            ]
        ),
    )
    made = {}
    for name, model, firmware, who in (
        ("PLC-old", "S7-1200 CPU1214C", "V4.4.0", 0),
        ("PLC-fixed", "S7-1200 CPU1214C", "V4.5.2", 0),
        ("PLC-too-old", "S7-1200 CPU1214C", "V3.0", 1),
        ("PLC-other-model", "S7-1500", "V4.4.0", 1),
        ("PLC-e2", "S7-1200 CPU1212C", "4.2.1 build 7", 1),
    ):
        made[name] = security.ICS_ASSETS.create(
            db,
            scope=staff,
            data=IcsAssetCreate(
                name=name,
                kind="plc",
                vendor="siemens",
                model=model,
                firmware=firmware,
                enterprise_id=world.a.enterprise_ids[who],
            ),
        ).id
    assert {m.asset for m in security.matches(db, scope=staff)} == {"PLC-old", "PLC-e2"}
    # an enterprise sees the matches of its own assets only
    assert {m.asset for m in security.matches(db, scope=enterprise(world.a, 0))} == {"PLC-old"}
    assert {m.asset for m in security.matches(db, scope=enterprise(world.a, 1))} == {"PLC-e2"}
    # the same feed again updates instead of duplicating
    again = security.import_advisories(
        db,
        scope=staff,
        data=AdvisoryImport(
            advisories=[
                AdvisoryCreate(
                    ident="CNVD-2026-00001",
                    title="S7-1200 拒绝服务漏洞",
                    vendor="Siemens",
                    model_pattern="S7-1200*",
                    affected="<4.3",
                    severity="major",
                )
            ]
        ),
    )
    assert (again.created, again.updated) == (0, 1)
    assert {m.asset for m in security.matches(db, scope=staff)} == {"PLC-too-old", "PLC-e2"}
    with pytest.raises(DomainError):
        security.specifiers("from 1 to 2")


def test_an_enterprise_sees_only_its_own_security_records(db: Session, world: World) -> None:
    mine = _grading(db, world, 2, who=0)
    theirs = _grading(db, world, 2, who=1)
    own, _ = security.GRADINGS.list(db, scope=enterprise(world.a, 0), query=ListQuery(page_size=100))
    assert mine.id in {g.id for g in own} and theirs.id not in {g.id for g in own}  # type: ignore[attr-defined]
    with pytest.raises(DomainError):
        security.GRADINGS.get(db, scope=enterprise(world.a, 0), ident=theirs.id)  # type: ignore[attr-defined]
    with pytest.raises(DomainError):  # nor write one for another enterprise
        _grading(db, world, 2, who=0, enterprise_id=world.a.enterprise_ids[1])
    staff, _ = security.GRADINGS.list(db, scope=admin(world.a), query=ListQuery(page_size=100))
    assert {mine.id, theirs.id} <= {g.id for g in staff}  # type: ignore[attr-defined]
    other_park, _ = security.GRADINGS.list(db, scope=admin(world.b), query=ListQuery(page_size=100))
    assert not {mine.id, theirs.id} & {g.id for g in other_park}  # type: ignore[attr-defined]
