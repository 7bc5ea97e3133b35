"""The columnar, chunked pipeline (`columnar`) answers what the row rules (`cleaning.run`) answer: the same kept rows,
refused rows with their reasons and rules, fills and step counts, on random rows with edge cases and on the rule
tests' own examples."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from digipark.dataspace import cleaning, columnar

PIPELINE = [
    {"rule": "type", "column": "v", "type": "number"},
    {"rule": "range", "column": "v", "min": 0, "max": 100},
    {"rule": "unit", "column": "v", "unit_column": "u", "to": "kWh"},
    {"rule": "dedup", "keys": ["m", "t"]},
    {"rule": "gap_fill", "column": "v", "order_by": "t", "method": "linear"},
]
RAW = [
    "1.5",
    " 7 ",
    "",
    "  ",
    None,
    "abc",
    "nan",
    "inf",
    "-inf",
    "1e3",
    "-3",
    42,
    0,
    99.5,
    101.0,
    True,
    False,
    float("nan"),
    "100",
    "0",
]
UNITS = ["kWh", "MWh", "Wh", "", None, "furlong", "kg", " kWh "]


def _rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    return [
        {
            "m": rng.choice(["a", "b", "c"]),
            "t": rng.randrange(n // 2 + 1),
            "v": rng.choice(RAW) if rng.random() < 0.5 else f"{rng.uniform(-10, 110):.2f}",
            "u": rng.choice(UNITS),
            "d": rng.choice(["2026-10-01", "2026-13-01", "", "x"]),
        }
        for _ in range(n)
    ]


def _table(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {name: [row.get(name) for row in rows] for name in rows[0]}


def _same(rows: list[dict[str, Any]], rules: list[dict[str, Any]], chunk: int) -> None:
    expected = cleaning.run(rows, rules)
    got = columnar.run_columns(_table(rows), rules, chunk=chunk)
    assert got.rows() == expected.rows
    assert got.rejected == expected.rejected
    assert got.filled == expected.filled
    assert got.steps == expected.steps


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("method", ["linear", "previous"])
def test_columnar_pipeline_answers_what_the_row_rules_answer(seed: int, method: str) -> None:
    rng = random.Random(seed)
    rows = _rows(rng, 300)
    rules = [*PIPELINE[:-1], {**PIPELINE[-1], "method": method}]
    _same(rows, rules, chunk=rng.choice([7, 64, 1000]))


@pytest.mark.parametrize(
    "rules",
    [
        [{"rule": "type", "column": "d", "type": "date"}, {"rule": "required", "column": "d"}],
        [{"rule": "type", "column": "v", "type": "integer"}, {"rule": "range", "column": "v", "min": 0}],
        [{"rule": "range", "column": "v", "max": 50}],  # untyped: the row rule decides
        [
            {"rule": "type", "column": "v", "type": "number"},
            {"rule": "gap_fill", "column": "v", "order_by": "t", "method": "previous"},
            {"rule": "range", "column": "v", "min": 10},
        ],
        [{"rule": "dedup", "keys": ["m"]}, {"rule": "type", "column": "v", "type": "text"}],
        [
            {"rule": "type", "column": "v", "type": "number"},
            {"rule": "unit", "column": "v", "unit_column": "w", "to": "kWh"},
        ],
    ],
)
def test_every_rule_has_one_meaning_in_both_pipelines(rules: list[dict[str, Any]]) -> None:
    rng = random.Random(11)
    _same(_rows(rng, 200), rules, chunk=33)


def test_the_rule_tests_examples_give_the_same_answers() -> None:
    _same([{"v": "1.5"}, {"v": "abc"}, {"v": ""}, {"v": 2}], [{"rule": "type", "column": "v", "type": "number"}], 2)
    rows = [{"v": -1.0}, {"v": 0.0}, {"v": 50}, {"v": 50.5}, {"v": None}, {"v": True}, {"v": "7"}]
    _same(rows, [{"rule": "range", "column": "v", "min": 0, "max": 50}], 3)
    gaps = [{"t": 3, "v": None}, {"t": 1, "v": "1"}, {"t": 2, "v": None}, {"t": 4, "v": "4"}, {"t": 5, "v": ""}]
    for method in ("linear", "previous"):
        rules = [
            {"rule": "type", "column": "v", "type": "number"},
            {"rule": "gap_fill", "column": "v", "order_by": "t", "method": method},
        ]
        _same(gaps, rules, 2)


def test_a_typed_float_array_reads_nan_as_empty_and_refuses_infinity() -> None:
    table = {"v": np.array([1.0, np.nan, np.inf, 3.0]), "t": np.array([1, 2, 3, 4])}
    result = columnar.run_columns(
        table,
        [
            {"rule": "type", "column": "v", "type": "number"},
            {"rule": "gap_fill", "column": "v", "order_by": "t", "method": "linear"},
        ],
    )
    assert [r["v"] for r in result.rows()] == [1.0, 2.0, 3.0]
    assert result.rejected[0]["reasons"] == ["v: not a number"] and result.filled == [
        {"index": 1, "column": "v", "method": "linear"}
    ]


def test_a_chunk_with_columns_of_different_lengths_is_refused() -> None:
    with pytest.raises(cleaning.RuleError):
        columnar.Pipeline([]).feed({"a": [1, 2], "b": [1]})


# Texts only: the whole-column kernels (`columnar_vec`) answer, not the row fallback; edge texts among them.
TEXTS = [
    "1.5",
    " 7 ",
    "",
    "  ",
    None,
    "abc",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e3",
    "1E+03",
    "1e999",
    "-1e999",
    "1e-400",
    "1.",
    ".5",
    "+3",
    "-0",
    "007.250",
    "1_000",
    "٣",
    "\x1c5\x1c",
    "\u30005",
    "1,5",
    "0x10",
    "12345678901234567890.123456789",
    "100",
    "100.0000000000001",
]
TEXT_UNITS = ["kWh", "MWh", "Wh", "", None, "furlong", "kg", " kWh ", "mwh"]


def _text_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    return [
        {
            "m": rng.choice(["a", "b", "", None, "1"]),
            "t": rng.randrange(n // 3 + 1),
            "v": rng.choice(TEXTS) if rng.random() < 0.5 else f"{rng.uniform(-10, 110):.{rng.randrange(6)}f}",
            "u": rng.choice(TEXT_UNITS),
        }
        for _ in range(n)
    ]


@pytest.mark.parametrize("seed", range(6))
def test_text_columns_take_the_whole_column_path_and_answer_the_same(seed: int) -> None:
    rng = random.Random(100 + seed)
    rows = _text_rows(rng, 400)
    table = _table(rows)
    from digipark.dataspace import columnar_vec

    assert columnar_vec.parse_numbers(table["v"]) is not None  # the vectorised path is the one tested
    rules = [*PIPELINE[:-1], {**PIPELINE[-1], "method": rng.choice(["linear", "previous"])}]
    _same(rows, rules, chunk=rng.choice([9, 50, 1000]))


def test_dedup_keys_follow_pythons_equality_across_chunks() -> None:
    """1, 1.0 and True are one key; "1" and 1 are two; None and an empty typed number are one; a NaN in a list is
    equal only to itself; chunks of different kinds share what was seen."""
    values: list[Any] = [1, 1.0, True, "1", None, 2.5, 2.5, -0.0, 0, False, float("nan"), "x", "x", 2**62, 2**62]
    rows = [{"k": v, "j": i % 3} for i, v in enumerate(values * 3)]
    for chunk in (1, 2, 4, 7, 100):
        _same(rows, [{"rule": "dedup", "keys": ["k"]}], chunk)
        _same(rows, [{"rule": "dedup", "keys": ["k", "j"]}], chunk)
    typed = [{"v": v, "t": i % 4} for i, v in enumerate(["1", "", "1.0", None, "2", " ", "2.00", "x"] * 4)]
    _same(typed, [{"rule": "type", "column": "v", "type": "number"}, {"rule": "dedup", "keys": ["v", "t"]}], 5)


def test_the_key_codes_hand_back_to_pythons_set_without_losing_what_was_seen() -> None:
    from digipark.dataspace import columnar_vec

    keys = columnar_vec.Keys(2)
    first = keys.first_unseen([["a", "b", "a"], [1, 2, 1]], 3)
    assert first is not None and first.tolist() == [True, True, False]
    again = keys.first_unseen([np.array([1.0, 2.0]), ["a", "a"]], 2)  # other kinds: other keys
    assert again is not None and again.tolist() == [True, True]
    assert keys.first_unseen([[[1]], ["a"]], 1) is None  # a list value cannot be coded
    assert keys.as_set() == {("a", 1), ("b", 2), (1, "a"), (2, "a")}
