"""双千兆 coverage and compute in use on a hand-built park (the evaluation's small park: B1, B2, B3), fed into
the evaluation's indicators S4.1 and S4.2."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from digipark.cybersec import inventory
from digipark.cybersec.schemas import AllocationCreate, ComputeResourceCreate, NetworkElementCreate
from digipark.evaluation import service
from tests.evaluation.helpers import AS_OF, NOW_MS, SmallPark, build


@pytest.fixture
def park(db: Session) -> SmallPark:
    return build(db, code="CY")


def _element(db: Session, park: SmallPark, code: str, building: str, technology: str, **extra: object) -> None:
    inventory.ELEMENTS.create(
        db,
        scope=park.scope,
        data=NetworkElementCreate(
            code=code,
            name=code,
            kind="base_station" if technology.startswith("5g") else "fibre_access",
            technology=technology,
            building_id=park.buildings[building],
            **extra,  # type: ignore[arg-type]
        ),
    )


def _s41(db: Session, park: SmallPark) -> tuple[float | None, dict[int, bool]]:
    found = service.evaluate(db, scope=park.scope, park_id=park.park_id, now_ms=NOW_MS).indicator("double_gigabit")
    assert found is not None
    return found.value, {g.ref_id: g.action for g in found.gaps}  # type: ignore[misc]


def test_without_inventory_the_registry_flags_count(db: Session, park: SmallPark) -> None:
    value, _ = _s41(db, park)
    assert value == pytest.approx(100 / 3)  # B1 has both flags, B2 fibre only, B3 neither


def test_coverage_by_building_comes_from_the_inventory(db: Session, park: SmallPark) -> None:
    # B1: 10-gigabit fibre and 5G-A on floors 1 and 2; B2: gigabit fibre and a planned base station; B3: Wi-Fi only
    _element(db, park, "F1", "B1", "fibre_10g", bandwidth_mbps=10000)
    _element(db, park, "R1", "B1", "5g_a", floor_level=1)
    _element(db, park, "R2", "B1", "5g", floor_level=2)
    _element(db, park, "F2", "B2", "fibre_gigabit", bandwidth_mbps=1000)
    _element(db, park, "R3", "B2", "5g", status="planned")
    _element(db, park, "W3", "B3", "wifi")
    source, rows = inventory.coverage(db, park_id=park.park_id)
    by = {r.building_id: r for r in rows}
    assert source == "inventory"
    b1, b2, b3 = (by[park.buildings[k]] for k in ("B1", "B2", "B3"))
    assert (b1.gigabit_fibre, b1.fibre_10g, b1.coverage_5g, b1.coverage_5g_a, b1.floors_5g) == (
        True,
        True,
        True,
        True,
        [1, 2],
    )
    assert (b2.gigabit_fibre, b2.coverage_5g, b2.double_gigabit) == (True, False, False)
    assert (b3.gigabit_fibre, b3.coverage_5g) == (False, False)
    value, gaps = _s41(db, park)
    assert value == pytest.approx(100 / 3)
    assert gaps == {park.buildings["B2"]: "coverage_5g", park.buildings["B3"]: "gigabit_and_5g"}
    _element(db, park, "R4", "B2", "5g")
    _element(db, park, "F3", "B3", "fibre_gigabit")
    _element(db, park, "R5", "B3", "5g")
    value, gaps = _s41(db, park)
    assert value == pytest.approx(100.0) and gaps == {}


def test_a_building_of_another_park_is_refused(db: Session, park: SmallPark, world: object) -> None:
    other = build(db, code="CZ", serial=2)
    with pytest.raises(Exception) as refused:
        inventory.ELEMENTS.create(
            db,
            scope=park.scope,
            data=NetworkElementCreate(
                code="X", name="X", kind="switch", technology="ethernet", building_id=other.buildings["B1"]
            ),
        )
    assert "building_id" in str(getattr(refused.value, "errors", refused.value))


def test_compute_in_use_counts_enterprises_with_an_active_allocation(db: Session, park: SmallPark) -> None:
    as_of = AS_OF
    before = service.evaluate(db, scope=park.scope, park_id=park.park_id, as_of=as_of, now_ms=NOW_MS).indicator(
        "compute_in_use"
    )
    assert before is not None and before.value_source != "computed"  # no compute inventory: declared
    pool = inventory.RESOURCES.create(
        db, scope=park.scope, data=ComputeResourceCreate(code="AI1", name="智算中心", kind="ai", capacity=300)
    )
    for name, amount, ends in (("E1", 100, None), ("E2", 50, as_of - dt.timedelta(days=1)), ("E3", 30, None)):
        inventory.ALLOCATIONS.create(
            db,
            scope=park.scope,
            data=AllocationCreate(
                resource_id=pool.id,
                amount=amount,
                starts_on=as_of - dt.timedelta(days=30),
                ends_on=ends,
                enterprise_id=park.enterprises[name],
            ),
        )
    found = service.evaluate(db, scope=park.scope, park_id=park.park_id, as_of=as_of, now_ms=NOW_MS).indicator(
        "compute_in_use"
    )
    assert found is not None and found.value_source == "computed" and found.value == 2  # E2's has ended
    use = inventory.compute_use(db, park_id=park.park_id, on=as_of)
    assert [(u.allocated, u.utilisation, u.enterprises) for u in use] == [(130.0, 43.3, 2)]


def test_security_grading_counts_graded_enterprises_with_their_important_data_filed(
    db: Session, park: SmallPark
) -> None:
    from digipark.cybersec import security
    from digipark.cybersec.schemas import DataItemCreate, DataItemUpdate, GradingCreate

    def evaluate() -> tuple[float | None, dict[int | None, str]]:
        found = service.evaluate(db, scope=park.scope, park_id=park.park_id, as_of=AS_OF, now_ms=NOW_MS).indicator(
            "security_grading"
        )
        assert found is not None
        return found.value, {g.ref_id: g.action for g in found.gaps}

    assert evaluate()[0] is None  # no grading in the park yet: declared
    for name in ("E1", "E2"):
        security.GRADINGS.create(
            db,
            scope=park.scope,
            data=GradingCreate(
                category="connected_industrial",
                grade=2,
                protection_level=3,
                system_name="MES",
                graded_on=AS_OF,
                evidence="自评报告",
                enterprise_id=park.enterprises[name],
            ),
        )
    item = security.DATA_ITEMS.create(
        db,
        scope=park.scope,
        data=DataItemCreate(name="工艺参数", level="important", enterprise_id=park.enterprises["E2"]),
    )
    value, gaps = evaluate()
    assert value == pytest.approx(100 / 5)  # five industrial enterprises; E2's important data is not filed
    assert gaps[park.enterprises["E2"]] == "file_important_data" and gaps[park.enterprises["E3"]] == "security_grading"
    security.DATA_ITEMS.update(
        db, scope=park.scope, ident=item.id, data=DataItemUpdate(filing_status="filed", filed_on=AS_OF)
    )
    assert evaluate()[0] == pytest.approx(200 / 5)
