"""The SME digital-level questionnaire (《中小企业数字化水平评测指标（2024年版）》) as data, and its scoring.

Pure functions, no database: `questionnaire()` loads `data/sme_digital_level_2024.yaml` once;
`score_answers(questionnaire, answers)` scores one set of answers; `validate_answers` checks their shape.

Answers are one flat mapping (question codes and scene codes never collide):
    {"Q01": ["B", "C"],   # a multiple-choice question: the chosen option codes ("A" = 无 excludes the others)
     "Q02": "C",          # a single-choice question: the chosen option code
     "S01": 2}            # a scene rated 0 (none) or 1–4
Questions may also carry their input figures under "inputs" ({"Q02": ["1200", "300", "180"]}); they are kept
with the answers as the enterprise's statement and do not change the score.

Scoring, as the data file's header says: single -> the option's score; multiple -> the sum of the chosen
options' scores; dimension score = sum of its questions; base score = sum of the dimensions (0–100). The
overall level is the highest level of `levels` whose conditions all hold (base score, number of scenes rated
at least the level's scene level, how many of those are constraint scenes); 0 means 未达一级 (below level 1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import yaml

QUESTIONNAIRE_CODE = "SME2024"
SCENE_MAX = 4
INPUTS_KEY = "inputs"
_DATA_FILE = "sme_digital_level_2024.yaml"


class AnswerError(ValueError):
    """An answer the questionnaire does not allow (unknown code, wrong shape, 无 with other options)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class Option:
    code: str
    text: str
    score: float
    exclusive: bool = False
    text_disputed: bool = False


@dataclasses.dataclass(frozen=True)
class Question:
    code: str
    sub_indicator: str
    text: str
    type: str  # "single" | "multiple"
    max_score: float
    options: tuple[Option, ...]
    description: str | None = None
    inputs: tuple[str, ...] = ()

    @property
    def multiple(self) -> bool:
        return self.type == "multiple"

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)


@dataclasses.dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    max_score: float
    questions: tuple[Question, ...]


@dataclasses.dataclass(frozen=True)
class Dimension:
    code: str
    name: str
    max_score: float
    indicators: tuple[Indicator, ...]

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for i in self.indicators for q in i.questions)


@dataclasses.dataclass(frozen=True)
class Scene:
    code: str
    name: str
    group: str
    constraint: bool
    levels: tuple[str, ...]
    level_order_disputed: bool = False


@dataclasses.dataclass(frozen=True)
class LevelRule:
    rank: int
    name: str
    min_base_score: float
    min_scene_level: int
    min_scenes: int
    min_constraint_scenes: int
    scene_rule: str


@dataclasses.dataclass(frozen=True)
class Questionnaire:
    code: str
    title: str
    meta: dict[str, Any]
    dimensions: tuple[Dimension, ...]
    scenes: tuple[Scene, ...]
    levels: tuple[LevelRule, ...]  # ascending rank
    questions: dict[str, Question]
    scene_by_code: dict[str, Scene]
    question_dimension: dict[str, str]  # question code -> dimension code
    question_indicator: dict[str, str]  # question code -> indicator code

    @property
    def base_max_score(self) -> float:
        return sum(d.max_score for d in self.dimensions)

    def level_name(self, rank: int | None) -> str | None:
        if rank is None:
            return None
        return next((rule.name for rule in self.levels if rule.rank == rank), None)

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for d in self.dimensions for i in d.indicators)


@dataclasses.dataclass(frozen=True)
class LevelCheck:
    """One level's conditions against a set of answers."""

    rank: int
    name: str
    holds: bool
    base_score_ok: bool
    scenes: int  # scenes rated at least the level's scene level
    constraint_scenes: int  # of those, constraint scenes
    min_base_score: float
    min_scenes: int
    min_constraint_scenes: int
    min_scene_level: int


@dataclasses.dataclass(frozen=True)
class AssessmentResult:
    base_score: float
    dimension_scores: dict[str, float]
    indicator_scores: dict[str, float]
    question_scores: dict[str, float]
    level: int  # 0 = 未达一级 (below level 1), else the rank of the highest level that holds
    level_name: str | None
    weakest_dimensions: list[str]  # dimension codes, weakest first (score share of the dimension's maximum)
    weakest_indicators: list[str]  # the three weakest indicators, weakest first
    complete: bool
    missing: list[str]  # question and scene codes without an answer
    checks: list[LevelCheck]

    def share(self, questionnaire: Questionnaire, code: str) -> float:
        """A dimension's or indicator's score as a share (0–1) of its maximum."""
        for d in questionnaire.dimensions:
            if d.code == code:
                return self.dimension_scores[code] / d.max_score if d.max_score else 0.0
            for i in d.indicators:
                if i.code == code:
                    return self.indicator_scores[code] / i.max_score if i.max_score else 0.0
        raise KeyError(code)

    @property
    def next_level(self) -> LevelCheck | None:
        return next((c for c in self.checks if c.rank == self.level + 1), None)


# -- loading -----------------------------------------------------------------------------------------------------
def _option(raw: dict[str, Any]) -> Option:
    return Option(
        code=str(raw["code"]),
        text=str(raw["text"]),
        score=float(raw["score"]),
        exclusive=bool(raw.get("exclusive", False)),
        text_disputed=bool(raw.get("text_disputed", False)),
    )


def _question(raw: dict[str, Any]) -> Question:
    kind = str(raw["type"])
    if kind not in ("single", "multiple"):
        raise ValueError(f"question {raw.get('code')}: unknown type {kind!r}")
    return Question(
        code=str(raw["code"]),
        sub_indicator=str(raw["sub_indicator"]),
        text=str(raw["text"]),
        type=kind,
        max_score=float(raw["max_score"]),
        options=tuple(_option(o) for o in raw["options"]),
        description=raw.get("description"),
        inputs=tuple(str(i) for i in raw.get("inputs", ())),
    )


def parse(raw: dict[str, Any], code: str = QUESTIONNAIRE_CODE) -> Questionnaire:
    """Build a questionnaire from its data (the YAML's structure); checks that the maxima add up."""
    dimensions = tuple(
        Dimension(
            code=str(d["code"]),
            name=str(d["name"]),
            max_score=float(d["max_score"]),
            indicators=tuple(
                Indicator(
                    code=str(i["code"]),
                    name=str(i["name"]),
                    max_score=float(i["max_score"]),
                    questions=tuple(_question(q) for q in i["questions"]),
                )
                for i in d["indicators"]
            ),
        )
        for d in raw["dimensions"]
    )
    for d in dimensions:
        if abs(sum(i.max_score for i in d.indicators) - d.max_score) > 1e-6:
            raise ValueError(f"dimension {d.code}: indicator maxima do not add up to {d.max_score}")
        for i in d.indicators:
            if abs(sum(q.max_score for q in i.questions) - i.max_score) > 1e-6:
                raise ValueError(f"indicator {i.code}: question maxima do not add up to {i.max_score}")
            for q in i.questions:
                top = sum(o.score for o in q.options) if q.multiple else max(o.score for o in q.options)
                if abs(top - q.max_score) > 1e-6:
                    raise ValueError(f"question {q.code}: options give {top}, not {q.max_score}")
    scenes = tuple(
        Scene(
            code=str(s["code"]),
            name=str(s["name"]),
            group=str(s["group"]),
            constraint=bool(s["constraint"]),
            levels=tuple(str(t) for t in s["levels"]),
            level_order_disputed=bool(s.get("level_order_disputed", False)),
        )
        for s in raw["scenes"]
    )
    levels = tuple(
        sorted(
            (
                LevelRule(
                    rank=int(rule["rank"]),
                    name=str(rule["level"]),
                    min_base_score=float(rule["min_base_score"]),
                    min_scene_level=int(rule["min_scene_level"]),
                    min_scenes=int(rule["min_scenes"]),
                    min_constraint_scenes=int(rule["min_constraint_scenes"]),
                    scene_rule=str(rule.get("scene_rule", "")),
                )
                for rule in raw["levels"]
            ),
            key=lambda rule: rule.rank,
        )
    )
    questions = {q.code: q for d in dimensions for q in d.questions}
    return Questionnaire(
        code=code,
        title=str(raw.get("meta", {}).get("title", code)),
        meta=dict(raw.get("meta", {})),
        dimensions=dimensions,
        scenes=scenes,
        levels=levels,
        questions=questions,
        scene_by_code={s.code: s for s in scenes},
        question_dimension={q.code: d.code for d in dimensions for q in d.questions},
        question_indicator={q.code: i.code for d in dimensions for i in d.indicators for q in i.questions},
    )


@cache
def questionnaire() -> Questionnaire:
    """The 2024 edition, loaded once from the package's data file."""
    text = resources.files("digipark.transformation").joinpath("data", _DATA_FILE).read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise RuntimeError(f"malformed transformation/data/{_DATA_FILE}")
    return parse(raw)


# -- answers -----------------------------------------------------------------------------------------------------
def _choices(question: Question, value: Any) -> list[str]:
    """The option codes chosen for a question; raises AnswerError for a shape the question does not allow."""
    if question.multiple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise AnswerError(question.code, "a list of option codes is expected")
        chosen = list(dict.fromkeys(value))
    else:
        if not isinstance(value, str):
            raise AnswerError(question.code, "one option code is expected")
        chosen = [value]
    for code in chosen:
        if question.option(code) is None:
            raise AnswerError(question.code, f"no option {code!r}")
    if len(chosen) > 1 and any(question.option(code).exclusive for code in chosen):  # type: ignore[union-attr]
        raise AnswerError(question.code, "the option 无 (none) excludes every other option")
    return chosen


def _scene_level(code: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AnswerError(code, f"a level 0–{SCENE_MAX} is expected")
    if not 0 <= value <= SCENE_MAX:
        raise AnswerError(code, f"a level 0–{SCENE_MAX} is expected")
    return value


def validate_answers(q: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers in canonical form (multiple-choice answers as ordered lists, empty answers dropped);
    raises AnswerError for an unknown code or a value the question does not allow. Partial answers pass."""
    clean: dict[str, Any] = {}
    for key, value in answers.items():
        if key == INPUTS_KEY:
            clean[key] = _inputs(q, value)
            continue
        if value is None or value == "" or value == []:
            continue
        if key in q.questions:
            question = q.questions[key]
            chosen = _choices(question, value)
            order = [o.code for o in question.options]
            clean[key] = sorted(chosen, key=order.index) if question.multiple else chosen[0]
        elif key in q.scene_by_code:
            clean[key] = _scene_level(key, value)
        else:
            raise AnswerError(key, "no such question or scene")
    return clean


def _inputs(q: Questionnaire, value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise AnswerError(INPUTS_KEY, "an object of question code -> figures is expected")
    clean: dict[str, list[str]] = {}
    for code, figures in value.items():
        question = q.questions.get(code)
        if question is None or not question.inputs:
            raise AnswerError(f"{INPUTS_KEY}.{code}", "this question takes no figures")
        if not isinstance(figures, list | tuple) or len(figures) > len(question.inputs):
            raise AnswerError(f"{INPUTS_KEY}.{code}", f"at most {len(question.inputs)} figures are expected")
        texts = [str(f).strip()[:100] if f is not None else "" for f in figures]
        if any(texts):
            clean[code] = texts
    return clean


def missing_answers(q: Questionnaire, answers: Mapping[str, Any]) -> list[str]:
    """Question and scene codes without an answer (in questionnaire order)."""
    codes = [*q.questions, *q.scene_by_code]
    return [code for code in codes if answers.get(code) in (None, "", [])]


def score_answers(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> AssessmentResult:
    """Score one set of answers (complete or not): dimension and base scores, level, weakest parts.

    Unanswered questions score 0 and unrated scenes count as 0; `complete` and `missing` say what is
    unanswered. Raises AnswerError for answers the questionnaire does not allow."""
    q = questionnaire
    question_scores: dict[str, float] = {}
    for code, question in q.questions.items():
        value = answers.get(code)
        if value is None or value == "" or value == []:
            question_scores[code] = 0.0
            continue
        chosen = [question.option(c) for c in _choices(question, value)]
        question_scores[code] = sum(o.score for o in chosen if o is not None)
    indicator_scores = {
        i.code: round(sum(question_scores[x.code] for x in i.questions), 4) for d in q.dimensions for i in d.indicators
    }
    dimension_scores = {d.code: round(sum(indicator_scores[i.code] for i in d.indicators), 4) for d in q.dimensions}
    base = round(sum(dimension_scores.values()), 4)
    scene_levels = {
        code: _scene_level(code, answers[code]) if answers.get(code) not in (None, "") else 0
        for code in q.scene_by_code
    }
    checks: list[LevelCheck] = []
    for rule in q.levels:
        rated = [code for code, level in scene_levels.items() if level >= rule.min_scene_level]
        constraint = sum(1 for code in rated if q.scene_by_code[code].constraint)
        base_ok = base >= rule.min_base_score - 1e-9
        checks.append(
            LevelCheck(
                rank=rule.rank,
                name=rule.name,
                holds=base_ok and len(rated) >= rule.min_scenes and constraint >= rule.min_constraint_scenes,
                base_score_ok=base_ok,
                scenes=len(rated),
                constraint_scenes=constraint,
                min_base_score=rule.min_base_score,
                min_scenes=rule.min_scenes,
                min_constraint_scenes=rule.min_constraint_scenes,
                min_scene_level=rule.min_scene_level,
            )
        )
    level = max((c.rank for c in checks if c.holds), default=0)

    def by_share(items: list[tuple[str, float, float]]) -> list[str]:
        ranked = sorted(items, key=lambda item: (item[1] / item[2] if item[2] else 1.0, item[0]))
        return [code for code, _, _ in ranked]

    weakest_dimensions = by_share([(d.code, dimension_scores[d.code], d.max_score) for d in q.dimensions])
    weakest_indicators = by_share([(i.code, indicator_scores[i.code], i.max_score) for i in q.indicators])[:3]
    missing = missing_answers(q, answers)
    return AssessmentResult(
        base_score=base,
        dimension_scores=dimension_scores,
        indicator_scores=indicator_scores,
        question_scores={k: round(v, 4) for k, v in question_scores.items()},
        level=level,
        level_name=q.level_name(level) if level else None,
        weakest_dimensions=weakest_dimensions,
        weakest_indicators=weakest_indicators,
        complete=not missing,
        missing=missing,
        checks=checks,
    )
