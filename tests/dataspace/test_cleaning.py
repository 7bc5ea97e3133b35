"""Cleaning rules of the data platform, each one allowing and refusing; a two-step pipeline and its lineage."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from digipark.core.errors import ValidationFailed
from digipark.dataspace import cleaning, datasets
from tests.conftest import World
from tests.dataspace.helpers import scope_of


def test_type_rule_parses_values_and_refuses_what_does_not_parse() -> None:
    rows = [{"v": "1.5"}, {"v": "abc"}, {"v": ""}, {"v": 2}]
    result = cleaning.run(rows, [{"rule": "type", "column": "v", "type": "number"}])
    assert [r["v"] for r in result.rows] == [1.5, None, 2.0]
    assert result.rejected == [{"row": {"v": "abc"}, "reasons": ["v: not a number"], "rule": "type"}]
    dates = cleaning.run([{"d": "2026-10-01"}, {"d": "2026-13-01"}], [{"rule": "type", "column": "d", "type": "date"}])
    assert [r["d"] for r in dates.rows] == ["2026-10-01"] and len(dates.rejected) == 1
    ints = cleaning.run([{"n": "7"}, {"n": 2.5}], [{"rule": "type", "column": "n", "type": "integer"}])
    assert [r["n"] for r in ints.rows] == [7] and ints.rejected[0]["row"] == {"n": 2.5}


def test_required_rule_refuses_missing_values() -> None:
    result = cleaning.run([{"a": "x"}, {"a": " "}, {}], [{"rule": "required", "column": "a"}])
    assert result.rows == [{"a": "x"}]
    assert [r["reasons"] for r in result.rejected] == [["a: missing"], ["a: missing"]]


def test_range_rule_refuses_values_outside_the_bounds() -> None:
    rows = [{"v": -1.0}, {"v": 0.0}, {"v": 50}, {"v": 50.5}, {"v": None}, {"v": True}, {"v": "7"}]
    result = cleaning.run(rows, [{"rule": "range", "column": "v", "min": 0, "max": 50}])
    assert [r["v"] for r in result.rows] == [0.0, 50, None]
    reasons = [r["reasons"][0] for r in result.rejected]
    assert reasons == ["v: below 0", "v: above 50", "v: not a number", "v: not a number"]


def test_dedup_rule_keeps_the_first_of_each_key() -> None:
    rows = [{"m": "a", "d": 1, "v": 1}, {"m": "a", "d": 1, "v": 9}, {"m": "a", "d": 2, "v": 3}]
    result = cleaning.run(rows, [{"rule": "dedup", "keys": ["m", "d"]}])
    assert [r["v"] for r in result.rows] == [1, 3]
    assert result.rejected[0]["row"]["v"] == 9 and result.rejected[0]["rule"] == "dedup"


def test_unit_rule_normalises_to_the_target_unit_and_refuses_unknown_units() -> None:
    rows = [{"e": 1.5, "u": "MWh"}, {"e": 200.0, "u": "kWh"}, {"e": 3.0, "u": "furlong"}, {"e": 1.0, "u": "kg"}]
    result = cleaning.run(rows, [{"rule": "unit", "column": "e", "unit_column": "u", "to": "kWh"}])
    assert [(round(r["e"], 6), r["u"]) for r in result.rows] == [(1500.0, "kWh"), (200.0, "kWh")]
    assert len(result.rejected) == 2


def test_gap_fill_interpolates_or_carries_and_records_the_method() -> None:
    rows = [{"t": 3, "v": None}, {"t": 1, "v": 10.0}, {"t": 2, "v": None}, {"t": 4, "v": 40.0}, {"t": 5, "v": None}]
    linear = cleaning.run(rows, [{"rule": "gap_fill", "column": "v", "order_by": "t", "method": "linear"}])
    assert {r["t"]: r["v"] for r in linear.rows} == {1: 10.0, 2: 20.0, 3: 30.0, 4: 40.0, 5: 40.0}
    assert sorted(f["index"] for f in linear.filled) == [0, 2, 4]
    assert {f["method"] for f in linear.filled} == {"linear"}
    previous = cleaning.run(rows, [{"rule": "gap_fill", "column": "v", "order_by": "t", "method": "previous"}])
    assert {r["t"]: r["v"] for r in previous.rows} == {1: 10.0, 2: 10.0, 3: 10.0, 4: 40.0, 5: 40.0}
    assert rows[0]["v"] is None  # the input is not changed


def test_unknown_or_incomplete_rules_are_refused() -> None:
    with pytest.raises(cleaning.RuleError):
        cleaning.run([], [{"rule": "magic"}])
    with pytest.raises(cleaning.RuleError):
        cleaning.run([], [{"rule": "range"}])
    with pytest.raises(cleaning.RuleError):
        cleaning.run([], [{"rule": "gap_fill", "column": "v", "order_by": "t", "method": "spline"}])


def test_a_two_step_pipeline_records_its_lineage(db: Session, world: World) -> None:
    owner = scope_of(db, "enterprise")
    raw = datasets.import_rows(
        db,
        scope=owner,
        name="raw",
        rows=[{"m": "a", "v": "1"}, {"m": "a", "v": "x"}, {"m": "b", "v": "2"}],
        rules=[{"rule": "type", "column": "v", "type": "number"}],
    )
    other = datasets.import_rows(db, scope=owner, name="more", rows=[{"m": "a", "v": 5}], rules=[])
    step1 = datasets.derive(
        db, scope=owner, name="step1", inputs=[raw.id, other.id], rules=[{"rule": "dedup", "keys": ["m"]}]
    )
    step2 = datasets.derive(
        db, scope=owner, name="step2", inputs=[step1.id], rules=[{"rule": "range", "column": "v", "max": 1.5}]
    )
    assert raw.row_count == 2 and raw.rejected[0]["reasons"] == ["v: not a number"]
    assert step1.row_count == 2 and step1.derived_from == [raw.id, other.id]
    assert step2.rows == [{"m": "a", "v": 1.0}] and step2.rejected[0]["row"] == {"m": "b", "v": 2.0}
    chain = datasets.lineage(db, scope=owner, ident=step2.id)
    assert [d.id for d in chain] == [step2.id, step1.id, raw.id, other.id]
    assert chain[0].job["source"] == "derive" and chain[0].job["steps"][0]["rule"] == "range"
    assert chain[2].job["source"] == "upload"
    # another enterprise neither reads the datasets nor derives from them
    with pytest.raises(ValidationFailed):
        datasets.derive(db, scope=scope_of(db, "enterprise2"), name="x", inputs=[raw.id], rules=[])
