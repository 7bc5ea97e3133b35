"""Each indicator of the four standards on a small hand-built park, against values worked out by hand
(tests/evaluation/helpers.py says how)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from sqlalchemy.orm import Session

from digipark.core import modules
from digipark.evaluation import indicators, service
from digipark.evaluation.schemas import Evaluation
from tests.evaluation.helpers import AS_OF, EXPECTED, NOW, NOW_MS, SmallPark, build


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def park(db: Session, frozen: None) -> SmallPark:
    return build(db)


def _evaluate(db: Session, park: SmallPark) -> Evaluation:
    return service.evaluate(db, scope=park.scope, park_id=park.park_id, now_ms=NOW_MS)


def test_every_computed_indicator_matches_the_hand_worked_value(db: Session, park: SmallPark) -> None:
    found = _evaluate(db, park)
    assert found.as_of == AS_OF and found.year == 2025
    for key, expected in EXPECTED.items():
        result = found.indicator(key)
        assert result is not None and result.value_source == "computed", key
        assert result.value == pytest.approx(expected), key
        assert result.met is False, key
        assert result.progress == pytest.approx(expected / 100), key


def test_industrial_internet_drills_down_to_divisions(db: Session, park: SmallPark) -> None:
    result = _evaluate(db, park).indicator("industrial_internet_coverage")
    assert result is not None
    assert (result.numerator, result.denominator) == (2, 4)
    by_division = {row["division"]: row for row in result.rows}
    assert {k: (r["enterprises"], r["users"], r["ok"]) for k, r in by_division.items()} == {
        "13": (1, 1, True),
        "26": (1, 0, False),
        "33": (2, 1, True),
        "34": (1, 0, False),
    }
    assert sorted(g.subject.split()[0] for g in result.gaps) == ["26", "34"]
    assert all(g.action == "industrial_internet" and g.kind == "division" for g in result.gaps)


def test_renovation_lists_the_unrenovated_above_scale_enterprises_with_what_they_lack(
    db: Session, park: SmallPark
) -> None:
    result = _evaluate(db, park).indicator("renovation_coverage")
    assert result is not None and (result.numerator, result.denominator) == (2, 3)
    unrenovated = [row for row in result.rows if not row["ok"]]
    assert [row["enterprise_id"] for row in unrenovated] == [park.enterprises["E2"]]
    assert unrenovated[0]["lacks"], "what E2 lacks is listed"
    renovated = {row["enterprise_id"]: row["basis"] for row in result.rows if row["ok"]}
    assert set(renovated) == {park.enterprises["E1"], park.enterprises["E3"]} and all(renovated.values())
    assert [(g.kind, g.ref_id, g.action) for g in result.gaps] == [("enterprise", park.enterprises["E2"], "renovate")]


def test_production_services_cover_two_of_three_above_scale(db: Session, park: SmallPark) -> None:
    result = _evaluate(db, park).indicator("production_service_coverage")
    assert result is not None and (result.numerator, result.denominator) == (2, 3)
    assert [g.ref_id for g in result.gaps] == [park.enterprises["E2"]]


def test_asset_management_takes_the_weakest_part(db: Session, park: SmallPark) -> None:
    result = _evaluate(db, park).indicator("asset_management")
    assert result is not None
    parts = {p.key: (p.numerator, p.denominator) for p in result.parts}
    assert parts == {"buildings_complete": (1, 3), "parcels_complete": (1, 2), "points_online": (5, 8)}
    missing = {row["name"]: row["missing"] for row in result.rows if not row["ok"]}
    assert missing["P2"] == "owner"
    assert "year_built" in missing["B2 二号厂房"] and "parcel_id" in missing["B3 三号仓库"]
    device_gaps = {g.ref_id: g.params for g in result.gaps if g.kind == "device"}
    # the device's English name for English pages (its Chinese one without an English name)
    assert device_gaps == {park.devices["M2"]: {"offline": 3, "points": 4, "name_en": "M2 E2电表"}}


def test_statistics_reporting_is_last_months_submissions(db: Session, park: SmallPark) -> None:
    result = _evaluate(db, park).indicator("statistics_reporting")
    assert result is not None and (result.numerator, result.denominator) == (3, 5)
    assert result.note == "2025-05"
    assert sorted(row["enterprise_id"] for row in result.rows) == sorted(
        [park.enterprises["E3"], park.enterprises["E5"]]
    )
    assert {g.params["period"] for g in result.gaps} == {"2025-05"}


def test_energy_metered_online_counts_electric_energy_points(db: Session, park: SmallPark) -> None:
    result = _evaluate(db, park).indicator("energy_metered_online")
    assert result is not None and (result.numerator, result.denominator) == (1, 2)
    assert {row["device_id"]: row["ok"] for row in result.rows} == {park.devices["M1"]: True, park.devices["M2"]: False}


def test_double_gigabit_lists_what_each_building_lacks(db: Session, park: SmallPark) -> None:
    result = _evaluate(db, park).indicator("double_gigabit")
    assert result is not None and (result.numerator, result.denominator) == (1, 3)
    assert {g.ref_id: g.action for g in result.gaps} == {
        park.buildings["B2"]: "coverage_5g",
        park.buildings["B3"]: "gigabit_and_5g",
    }


def test_indicators_without_a_source_say_so_and_count_as_not_met(db: Session, park: SmallPark) -> None:
    found = _evaluate(db, park)
    for key in ("compute_in_use", "data_sharing", "security_grading"):
        result = found.indicator(key)
        assert result is not None
        assert result.value_source == "none" and result.value is None and not result.met, key
        assert result.no_source == "no data source yet"
        assert [g.action for g in result.gaps] == ["declare"]
    assert found.met_indicators == 0 and found.met_standards == 0 and found.indicators == 12


def test_a_fully_equipped_standard_is_met(db: Session, park: SmallPark) -> None:
    """Close every gap of S1 and S4.1 in the records: the values follow live."""
    from digipark.registry import schemas as rs
    from digipark.registry import service as registry
    from digipark.transformation import schemas as ts
    from digipark.transformation import service as transformation

    for name, kind in (("E3", "industrial_internet"), ("E5", "industrial_internet")):
        transformation.create_adoption(
            db,
            scope=park.scope,
            data=ts.AdoptionCreate(enterprise_id=park.enterprises[name], kind=kind, name="平台", started_on=AS_OF),
        )
    transformation.create_certificate(
        db,
        scope=park.scope,
        data=ts.CertificateCreate(
            enterprise_id=park.enterprises["E2"],
            scale="SMART_FACTORY",
            level=2,
            certificate_no="SF-2",
            issuer="工业和信息化部",
            issued_on=AS_OF,
        ),
    )
    for code in ("B2", "B3"):
        registry.update(
            db,
            scope=park.scope,
            kind=registry.KINDS["building"],
            ident=park.buildings[code],
            data=rs.BuildingUpdate(gigabit_fibre=True, coverage_5g=True),
        )
    found = _evaluate(db, park)
    s1 = next(s for s in found.standards if s.code == "S1")
    assert s1.met and s1.progress == 1.0
    gigabit = found.indicator("double_gigabit")
    assert gigabit is not None and gigabit.met and gigabit.gaps == []


def test_the_indicator_system_is_data_with_source_sentences() -> None:
    system = indicators.system()
    assert [s.code for s in system.standards] == ["S1", "S2", "S3", "S4"]
    assert len(system.indicators) == 12
    guide = "工业互联网应用覆盖园区全部行业,规上工业企业数字化改造覆盖率达100%。"
    assert system.standards[0].source == guide
    for i in system.indicators:
        assert i.formula == indicators.DECLARED or i.formula in modules.indicator_formulas()
        assert i.source and i.definition and i.definition_en and i.name_en


def test_target_operators() -> None:
    at_least = indicators.Target(">=", 100, "%")
    assert at_least.met(100) and not at_least.met(99.9) and at_least.progress(50) == 0.5
    positive = indicators.Target(">", 0, "家企业")
    assert positive.met(1) and not positive.met(0) and positive.progress(0) == 0.0
    exactly = indicators.Target("==", 3, "领域")
    assert exactly.met(3) and not exactly.met(2) and exactly.progress(2) == pytest.approx(2 / 3)
    assert not at_least.met(None) and at_least.progress(None) == 0.0


def test_each_formula_is_declared_by_the_domain_that_owns_its_data() -> None:
    owners = {key: module.name for key, (module, _ref) in modules.indicator_formulas().items()}
    assert owners == {
        "industrial_internet_coverage": "transformation",
        "renovation_coverage": "transformation",
        "production_service_coverage": "services",
        "statistics_reporting": "economy",
        "energy_metered_online": "energy",
        "safety_risk_sensors": "safety",
        "asset_management": "evaluation",
        "asset_equipment": "assets",  # S3.1's equipment parts, merged by asset_management
        "double_gigabit": "cybersec",
        "compute_in_use": "cybersec",
        "security_grading": "cybersec",
        "data_sharing": "dataspace",
        "public_service_domains": "living",
    }
    for module, ref in modules.indicator_formulas().values():
        assert ref.startswith(f"digipark.{module.name}."), ref


def test_public_service_domains_count_the_domains_used_online_in_90_days(db: Session, park: SmallPark) -> None:
    """S2.1: production services used (E3's booking of the park's machine, approved on the evaluation day), no
    living and no government service yet; a repair reported online brings the living domain in."""
    from digipark.workorders import provides as workorders
    from digipark.workorders.schemas import WorkOrderCreate

    before = _evaluate(db, park).indicator("public_service_domains")
    assert before is not None and before.value_source == "computed"
    assert {r["domain_en"]: r["ok"] for r in before.rows} == {
        "Production services": True,
        "Living services": False,
        "Government services": False,
    }
    assert before.value == 1 and not before.met
    assert sorted(g.subject for g in before.gaps) == ["政务服务", "生活服务"]

    workorders.open_order(db, scope=park.scope, data=WorkOrderCreate(title="3号楼电梯异响", location="3号楼"))
    after = _evaluate(db, park).indicator("public_service_domains")
    assert after is not None and after.value == 2
    assert [g.subject for g in after.gaps] == ["政务服务"]
