"""GB 18218-2018 identification and grading, and the LEC / LS risk levels, with hand-worked examples.

Method (GB 18218-2018 §4.2.1 formula (1), §4.3.2 formula (2), tables 1–6):
    S = Σ q/Q (major hazard source when S ≥ 1);  R = α · Σ β·q/Q;  一级 R ≥ 100, 二级 100 > R ≥ 50,
    三级 50 > R ≥ 10, 四级 R < 10.  α (table 5): ≥100 people 2.0, 50–99 1.5, 30–49 1.2, 1–29 1.0, 0 0.5.
"""

from __future__ import annotations

import pytest

from digipark.safety import major_hazard as mh
from digipark.safety import risk
from digipark.safety.major_hazard import SubstanceInput as S


def test_tables_are_the_standards() -> None:
    assert len(mh.tables()["substances"]) == 85
    assert mh.find_table1("液氯", None)["critical_t"] == 5  # type: ignore[index]
    assert mh.beta_table3("氯", None) == 4 and mh.beta_table3("液氯", None) == 4  # alias of table 1 row 12
    assert mh.beta_table4()["W5.1"] == 1.5 and mh.beta_table4()["J1"] == 4
    assert [mh.alpha(n) for n in (0, 1, 29, 30, 49, 50, 99, 100, 5000)] == [0.5, 1, 1, 1.2, 1.2, 1.5, 1.5, 2, 2]


def test_chlorine_store_third_grade() -> None:
    # 液氯 20 t: Q = 5 t (table 1 no. 12), q/Q = 4 ≥ 1 → major; β = 4 (table 3); 60 people → α = 1.5
    # R = 1.5 × 4 × 4 = 24 → 50 > R ≥ 10 → 三级
    found = mh.identify([S("液氯", 20)], exposed_people=60)
    assert (found.s, found.major, found.alpha, found.weighted_sum, found.r, found.grade) == (4, True, 1.5, 16, 24, 3)
    assert found.grade_name == "三级"


def test_several_substances_with_table4_beta() -> None:
    # 甲醇 600 t: Q = 500 (no. 65), not in table 3, category W5.3 → β = 1 (table 4); q/Q = 1.2
    # 氨 30 t: Q = 10 (no. 1), β = 2 (table 3); q/Q = 3
    # S = 4.2; Σβq/Q = 1.2 + 6 = 7.2; 120 people → α = 2 → R = 14.4 → 三级
    found = mh.identify([S("甲醇", 600, categories=("W5.3",)), S("氨", 30)], exposed_people=120)
    assert found.s == pytest.approx(4.2) and found.weighted_sum == pytest.approx(7.2)
    assert found.r == pytest.approx(14.4) and found.grade == 3
    assert [r.beta_source for r in found.substances] == ["table4", "table3"]


def test_substance_not_in_table1_takes_the_lowest_critical_quantity() -> None:
    # 二甲苯 is not in table 1: categories W5.3 (Q 1000, β 1) and J5 (Q 500, β 1) → Q = 500 (4.2.1)
    # 800 t → q/Q = 1.6 → major; β = 1; 10 people → α = 1 → R = 1.6 → 四级
    found = mh.identify([S("二甲苯", 800, cas="1330-20-7", categories=("W5.3", "J5"))], exposed_people=10)
    assert found.substances[0].critical_t == 500 and found.substances[0].category == "J5"
    assert (found.s, found.r, found.grade) == (1.6, 1.6, 4)


@pytest.mark.parametrize(
    ("tonnes", "people", "r", "grade"),
    [
        (62.5, 100, 100.0, 1),  # q/Q 12.5, β 4 → 50; α 2 → R = 100 exactly → 一级 (R ≥ 100)
        (62.5, 29, 50.0, 2),  # α 1 → R = 50 exactly → 二级 (100 > R ≥ 50)
        (62.4, 29, 49.92, 3),  # just below 50 → 三级
        (12.5, 29, 10.0, 3),  # q/Q 2.5 × 4 = 10, α 1 → R = 10 exactly → 三级 (50 > R ≥ 10)
        (12.5, 0, 5.0, 4),  # α 0.5 → R = 5 → 四级
        (12.4, 29, 9.92, 4),  # just below 10 → 四级
    ],
)
def test_grade_boundaries(tonnes: float, people: int, r: float, grade: int) -> None:
    found = mh.identify([S("氯", tonnes)], exposed_people=people)
    assert found.r == pytest.approx(r) and found.grade == grade


def test_identification_boundary() -> None:
    # 氨 10 t: q/Q = 1 exactly → a major hazard source (S ≥ 1); R = 1 × 2 × 1 = 2 → 四级
    at = mh.identify([S("氨", 10)], exposed_people=5)
    assert at.major and at.r == 2 and at.grade == 4
    below = mh.identify([S("氨", 9.99)], exposed_people=5)
    assert not below.major and below.r is None and below.grade is None
    # two substances each below their Q but together S = 0.6 + 0.5 = 1.1 ≥ 1
    together = mh.identify([S("氨", 6), S("氯", 2.5)], exposed_people=0)
    assert together.major and together.s == pytest.approx(1.1)
    # R = 0.5 × (2 × 0.6 + 4 × 0.5) = 1.6
    assert together.r == pytest.approx(1.6) and together.grade == 4


def test_bad_input_names_the_field() -> None:
    with pytest.raises(mh.HazardInputError) as caught:
        mh.identify([S("二甲苯", 10)], exposed_people=0)
    assert caught.value.field == "substances.0.categories"
    with pytest.raises(mh.HazardInputError) as caught:  # a major unit is graded by R: β of 甲醇 needs a category
        mh.identify([S("氨", 5), S("甲醇", 600)], exposed_people=0)
    assert caught.value.field == "substances.1.categories"
    with pytest.raises(mh.HazardInputError):
        mh.identify([S("氨", 1, categories=("X9",))], exposed_people=0)
    with pytest.raises(mh.HazardInputError):
        mh.identify([], exposed_people=0)
    with pytest.raises(mh.HazardInputError) as caught:  # two rows of table 1 (nos. 43, 44) share this CAS
        mh.identify([S("硝酸铵", 1, cas="6484-52-2")], exposed_people=0)
    assert caught.value.field == "substances.0.name"


@pytest.mark.parametrize(
    ("l", "e", "c", "d", "level"),
    [
        (6, 6, 15, 540, "red"),  # > 320
        (10, 2, 15, 300, "orange"),  # 160 < D ≤ 320
        (1, 10, 40, 400, "red"),
        (3, 6, 7, 126, "yellow"),  # 70 < D ≤ 160
        (1, 6, 3, 18, "blue"),
        (3, 3, 7, 63, "blue"),  # 20 < D ≤ 70 (一般危险) is still low risk
        (10, 1, 7, 70, "blue"),  # D = 70 exactly: the yellow band is "70~160", read as D > 70
        (1, 6, 15, 90, "yellow"),
        (1, 2, 40, 80, "yellow"),
    ],
)
def test_lec(l: float, e: float, c: float, d: float, level: str) -> None:  # noqa: E741
    found = risk.lec(l, e, c)
    assert (found.score, found.level) == (d, level)


@pytest.mark.parametrize(
    ("l", "s", "level"),
    [
        (5, 5, "red"),
        (4, 5, "red"),
        (5, 3, "orange"),
        (4, 4, "orange"),
        (3, 4, "yellow"),
        (3, 3, "yellow"),
        (2, 4, "blue"),
        (1, 1, "blue"),
    ],
)
def test_ls_matrix(l: int, s: int, level: str) -> None:  # noqa: E741
    assert risk.ls(l, s).level == level and risk.ls(l, s).score == l * s


def test_scale_values_are_checked() -> None:
    with pytest.raises(risk.RiskInputError) as caught:
        risk.lec(7, 6, 15)
    assert caught.value.field == "l"
    with pytest.raises(risk.RiskInputError):
        risk.ls(6, 1)
    with pytest.raises(risk.RiskInputError):
        risk.lec(6, None, 15)


def test_a_unit_below_the_threshold_needs_no_category_for_beta() -> None:
    # 甲醇 10 t: in table 1 (no. 65, Q 500 t), not in table 3; q/Q = 0.02, with 氨 2 t (Q 10 t, table 3 β 2) 0.2:
    # S = 0.22 < 1, not a major hazard source, so R and β are never used and no hazard category is asked for
    found = mh.identify([S("甲醇", 10), S("氨", 2)], exposed_people=50)
    assert not found.major and found.s == pytest.approx(0.22)
    assert found.r is None and found.grade is None and found.weighted_sum is None
    methanol, ammonia = found.substances
    assert methanol.critical_t == 500 and methanol.beta is None and methanol.beta_source is None
    assert ammonia.beta == 2 and ammonia.beta_source == "table3"
    # the same unit with the category given: β from table 4 and Σ β q/Q as before
    given = mh.identify([S("甲醇", 10, categories=("W5.3",)), S("氨", 2)], exposed_people=50)
    assert given.substances[0].beta == 1 and given.weighted_sum == pytest.approx(1 * 0.02 + 2 * 0.2)
