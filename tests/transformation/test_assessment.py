"""Questionnaire scoring and the level rules against worked examples computed by hand from the data file."""

from __future__ import annotations

from typing import Any

import pytest

from digipark.transformation.assessment import AnswerError, questionnaire, score_answers, validate_answers
from tests.transformation.helpers import EXAMPLE_A

ZERO: dict[str, Any] = {
    "Q01": ["A"], "Q02": "A", "Q03": "A", "Q04": ["A"], "Q05": "A", "Q06": ["A"], "Q07": ["A"], "Q08": "A",
    "Q09": ["A"], "Q10": ["A"], "Q11": "A", "Q12": "A", "Q13": "A", "Q14": "A", "Q15": "A",
}  # fmt: skip
FULL_D1: dict[str, Any] = {
    "Q01": ["B", "C", "D", "E"],
    "Q02": "E",
    "Q03": "E",
    "Q04": [*"BCDEFGHIJKLMNO"],
    "Q05": "E",
    "Q06": ["B", "C", "D", "E"],
    "Q07": ["B", "C", "D", "E"],
}


def scenes(**levels: int) -> dict[str, int]:
    return {s.code: levels.get(s.code, 0) for s in questionnaire().scenes}


def test_the_data_file_has_the_documented_shape() -> None:
    q = questionnaire()
    assert [d.code for d in q.dimensions] == ["D1", "D2", "D3"]
    assert [d.max_score for d in q.dimensions] == [50, 30, 20]
    assert len(q.indicators) == 9 and len(q.questions) == 15 and len(q.scenes) == 16
    assert sum(1 for s in q.scenes if s.constraint) == 10
    assert [(r.name, r.min_base_score, r.min_scenes, r.min_constraint_scenes) for r in q.levels] == [
        ("一级", 20, 6, 3),
        ("二级", 40, 6, 3),
        ("三级", 60, 8, 5),
        ("四级", 80, 10, 6),
    ]


def test_worked_example_a_is_level_2() -> None:
    result = score_answers(questionnaire(), EXAMPLE_A)
    assert result.dimension_scores == {"D1": pytest.approx(18.3), "D2": pytest.approx(11.625), "D3": 12}
    assert result.base_score == pytest.approx(41.925)
    assert result.question_scores["Q04"] == pytest.approx(2.3)
    assert result.level == 2 and result.level_name == "二级"
    assert result.complete and result.missing == []
    three = next(c for c in result.checks if c.rank == 3)
    assert not three.holds and not three.base_score_ok
    two = next(c for c in result.checks if c.rank == 2)
    assert (two.scenes, two.constraint_scenes) == (7, 6)
    # D1 18.3/50 = 0.366, D2 11.625/30 = 0.3875, D3 12/20 = 0.6
    assert result.weakest_dimensions == ["D1", "D2", "D3"]
    # indicators by share: D1.4 2.5/10, D2.2 3.375/15 = 0.225 ... weakest first
    assert result.weakest_indicators[0] == "D2.2"
    assert result.weakest_indicators[1] == "D1.2"  # 2.3/10 = 0.23
    assert result.weakest_indicators[2] == "D1.4"  # 2.5/10 = 0.25


def test_a_lower_score_drops_to_level_1() -> None:
    # Q05 C (5) -> A (0): base 36.925 < 40; ten scenes are rated >= 1, nine of them constraint scenes
    result = score_answers(questionnaire(), {**EXAMPLE_A, "Q05": "A"})
    assert result.base_score == pytest.approx(36.925)
    assert result.level == 1


def test_full_points_without_scenes_are_below_level_1() -> None:
    full = {**ZERO, **FULL_D1, "Q08": "F", "Q09": [*"BCDE"], "Q10": [*"BCDEF"], "Q11": "E"}
    full.update({"Q12": "C", "Q13": "C", "Q14": "C", "Q15": "C"})
    # five constraint scenes at level 4: fewer than the six scenes every level asks for
    result = score_answers(questionnaire(), {**full, **scenes(S01=4, S03=4, S06=4, S07=4, S08=4)})
    assert result.base_score == pytest.approx(100)
    assert result.level == 0 and result.level_name is None
    # ten scenes at level 4, six constraint: level 4
    ten = scenes(S01=4, S03=4, S06=4, S07=4, S08=4, S09=4, S02=4, S04=4, S05=4, S14=4)
    assert score_answers(questionnaire(), {**full, **ten}).level == 4


def test_level_3_threshold_exactly_and_the_constraint_scene_condition() -> None:
    # D1 full 50 + Q12 C 7 + Q14 C 3 = exactly 60
    answers = {**ZERO, **FULL_D1, "Q12": "C", "Q14": "C"}
    eight = scenes(S01=3, S03=3, S06=3, S07=3, S08=3, S02=3, S04=3, S05=3)
    result = score_answers(questionnaire(), {**answers, **eight})
    assert result.base_score == pytest.approx(60)
    assert result.level == 3
    # one constraint scene at 2 instead of 3: four constraint scenes at level 3 -> only level 2
    assert score_answers(questionnaire(), {**answers, **eight, "S08": 2}).level == 2
    # 59.x points: Q14 B instead of C -> 58.5 -> level 2
    assert score_answers(questionnaire(), {**answers, **eight, "Q14": "B"}).level == 2


def test_partial_answers_score_what_is_there() -> None:
    result = score_answers(questionnaire(), {"Q01": ["B"], "S01": 1})
    assert result.base_score == 2 and not result.complete
    assert "Q02" in result.missing and "S02" in result.missing and "S01" not in result.missing
    assert result.level == 0


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"Q01": ["A", "B"]}, "Q01"),  # 无 with another option
        ({"Q01": ["Z"]}, "Q01"),
        ({"Q02": ["B", "C"]}, "Q02"),  # a single-choice question with two answers
        ({"S01": 5}, "S01"),
        ({"S01": "2"}, "S01"),
        ({"Q99": "A"}, "Q99"),
        ({"inputs": {"Q01": ["1"]}}, "inputs.Q01"),  # Q01 takes no figures
    ],
)
def test_answers_the_questionnaire_does_not_allow(answers: dict[str, Any], field: str) -> None:
    with pytest.raises(AnswerError) as caught:
        validate_answers(questionnaire(), answers)
    assert caught.value.field == field


def test_validation_orders_options_and_drops_empty_answers() -> None:
    clean = validate_answers(questionnaire(), {"Q01": ["C", "B", "C"], "Q02": "", "inputs": {"Q02": ["10", "5"]}})
    assert clean == {"Q01": ["B", "C"], "inputs": {"Q02": ["10", "5"]}}
