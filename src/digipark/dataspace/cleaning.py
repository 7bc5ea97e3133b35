"""Cleaning rules of the data platform, as data: each rule is a dict (`{"rule": "range", "column": "kwh", "min":
0}`) applied in order to a table of rows (dicts). A row a rule refuses is kept aside with its reasons, never
dropped silently; a value a rule fills is listed with the method used. `run` is pure (no database), so a job, a
test and the benchmark run the same code.

Rules:
- `type`: the column's values are `number`, `integer`, `date` (ISO) or `text`; an empty value passes (a later
  `gap_fill` or `required` decides); a value that does not parse refuses the row;
- `required`: the column has a value;
- `range`: `min` <= value <= `max` (either may be absent);
- `dedup`: the first row of each combination of `keys` is kept, later ones are refused as duplicates;
- `unit`: values of `column` in the unit named by `unit_column` are converted to `to` (pint, core.units); an
  unknown or incompatible unit refuses the row; the unit column then says `to`;
- `gap_fill`: empty values of `column`, in the order of `order_by`, are filled by `method` `linear`
  (interpolated between the neighbours; edges take the nearest value) or `previous` (the last value before).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
from collections.abc import Callable
from typing import Any

from digipark.core.errors import DomainError
from digipark.core.units import convert

Row = dict[str, Any]
RULES = ("type", "required", "range", "dedup", "unit", "gap_fill")
TYPES = ("number", "integer", "date", "text")
FILL_METHODS = ("linear", "previous")
_INFINITE = (float("inf"), float("-inf"))
_NUMBERS = (int, float)  # exactly: a bool is no number here


class RuleError(ValueError):
    """A rule that is not one of the documented ones, or lacks what it needs."""


@dataclasses.dataclass
class Result:
    rows: list[Row]
    rejected: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # {"row", "reasons", "rule"}
    filled: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # {"index", "column", "method"}
    steps: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # per rule: kept, rejected, filled


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse(kind: str, value: Any) -> Any:
    if kind == "number":
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError
        return number
    if kind == "integer":
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        return int(str(value).strip()) if not isinstance(value, float) else int(value)
    if kind == "date":
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    return str(value)


def check_rule(rule: dict[str, Any]) -> None:
    name = rule.get("rule")
    if name not in RULES:
        raise RuleError(f"unknown rule {name!r}")
    need = {
        "type": ("column", "type"),
        "required": ("column",),
        "range": ("column",),
        "dedup": ("keys",),
        "unit": ("column", "unit_column", "to"),
        "gap_fill": ("column", "order_by", "method"),
    }[name]
    missing = [key for key in need if key not in rule]
    if missing:
        raise RuleError(f"rule {name} needs {', '.join(missing)}")
    if name == "type" and rule["type"] not in TYPES:
        raise RuleError(f"type must be one of {', '.join(TYPES)}")
    if name == "gap_fill" and rule["method"] not in FILL_METHODS:
        raise RuleError(f"method must be one of {', '.join(FILL_METHODS)}")


def _per_row(rows: list[Row], rule: dict[str, Any], check: Callable[[Row], str | None], result: Result) -> list[Row]:
    kept: list[Row] = []
    for row in rows:
        reason = check(row)
        if reason is None:
            kept.append(row)
        else:
            result.rejected.append({"row": row, "reasons": [reason], "rule": rule["rule"]})
    return kept


def _type(rows: list[Row], rule: dict[str, Any], result: Result) -> list[Row]:
    column, kind = rule["column"], rule["type"]
    if kind == "number":
        return _type_number(rows, column, result)
    reason = f"{column}: not a {kind}"
    kept: list[Row] = []
    append, rejected = kept.append, result.rejected
    for row in rows:
        value = row.get(column)
        if value is None or (value.__class__ is str and not value.strip()):
            row[column] = None
            append(row)
            continue
        try:
            row[column] = _parse(kind, value)
        except (TypeError, ValueError):
            rejected.append({"row": row, "reasons": [reason], "rule": "type"})
            continue
        append(row)
    return kept


def _type_number(rows: list[Row], column: str, result: Result) -> list[Row]:
    """The `number` type inlined (the hot path of a pipeline): what `_parse("number", ...)` does, per row."""
    reason = f"{column}: not a number"
    kept: list[Row] = []
    append, rejected = kept.append, result.rejected
    infinite, to_float, text, real = _INFINITE, float, str, float
    for row in rows:
        value = row.get(column)
        cls = value.__class__
        if cls is real:
            if value == value and value not in infinite:
                append(row)  # already a finite number: nothing to parse
                continue
        elif value is None or (cls is text and not value.strip()):
            row[column] = None
            append(row)
            continue
        elif cls is not bool:
            try:
                number = to_float(value)
            except (TypeError, ValueError):
                number = None
            if number is not None and number == number and number not in infinite:
                row[column] = number
                append(row)
                continue
        rejected.append({"row": row, "reasons": [reason], "rule": "type"})
    return kept


def _required(rows: list[Row], rule: dict[str, Any], result: Result) -> list[Row]:
    column = rule["column"]
    return _per_row(rows, rule, lambda row: f"{column}: missing" if _empty(row.get(column)) else None, result)


def _range(rows: list[Row], rule: dict[str, Any], result: Result) -> list[Row]:
    column, low, high = rule["column"], rule.get("min"), rule.get("max")
    kept: list[Row] = []
    append, rejected = kept.append, result.rejected
    numbers = _NUMBERS
    for row in rows:
        value = row.get(column)
        if value is None:
            append(row)
            continue
        if value.__class__ not in numbers:
            reason = f"{column}: not a number"
        elif low is not None and value < low:
            reason = f"{column}: below {low}"
        elif high is not None and value > high:
            reason = f"{column}: above {high}"
        else:
            append(row)
            continue
        rejected.append({"row": row, "reasons": [reason], "rule": "range"})
    return kept


def _dedup(rows: list[Row], rule: dict[str, Any], result: Result) -> list[Row]:
    keys = list(rule["keys"])
    reason = f"duplicate of {', '.join(keys)}"
    seen: set[Any] = set()
    add = seen.add
    kept: list[Row] = []
    append, rejected = kept.append, result.rejected
    if len(keys) == 2:
        first, second = keys
        for row in rows:
            key: Any = (row.get(first), row.get(second))
            if key in seen:
                rejected.append({"row": row, "reasons": [reason], "rule": "dedup"})
            else:
                add(key)
                append(row)
        return kept
    for row in rows:
        key = tuple([row.get(k) for k in keys])
        if key in seen:
            rejected.append({"row": row, "reasons": [reason], "rule": "dedup"})
        else:
            add(key)
            append(row)
    return kept


_MISSING_UNIT = object()


def _unit(rows: list[Row], rule: dict[str, Any], result: Result) -> list[Row]:
    column, unit_column, target = rule["column"], rule["unit_column"], rule["to"]
    factors: dict[str, Any] = {}  # the unit column's text -> factor, None (cannot convert) or _MISSING_UNIT

    def factor(unit: Any) -> Any:
        if _empty(unit):
            return _MISSING_UNIT
        try:
            return float(convert(1.0, str(unit).strip(), target))
        except DomainError:
            return None

    kept: list[Row] = []
    append, rejected = kept.append, result.rejected
    for row in rows:
        value = row.get(column)
        if value is None:
            row[unit_column] = target
            append(row)
            continue
        unit = row.get(unit_column)
        if unit.__class__ is str:
            f = factors.get(unit, _MISSING_UNIT)
            if f is _MISSING_UNIT and unit not in factors:
                f = factors[unit] = factor(unit)
        else:
            f = factor(unit)
        if f.__class__ is float:
            row[column] = value * f
            row[unit_column] = target
            append(row)
            continue
        if f is _MISSING_UNIT:
            reason = f"{unit_column}: missing"
        else:
            reason = f"{unit_column}: cannot convert {unit} to {target}"
        rejected.append({"row": row, "reasons": [reason], "rule": "unit"})
    return kept


def _order(rows: list[Row], order_by: str) -> list[int]:
    """Positions of `rows` in the order of `order_by`, rows without it last, ties in their order (a stable sort)."""
    keys = [row.get(order_by) for row in rows]
    if None not in keys:
        return sorted(range(len(rows)), key=keys.__getitem__)  # type: ignore[arg-type]
    known = [i for i, k in enumerate(keys) if k is not None]
    last = [i for i, k in enumerate(keys) if k is None]
    return sorted(known, key=keys.__getitem__) + last  # type: ignore[arg-type]


def _gap_fill(rows: list[Row], rule: dict[str, Any], result: Result) -> list[Row]:
    column, order_by, method = rule["column"], rule["order_by"], rule["method"]
    ordered = _order(rows, order_by)
    values = [rows[i].get(column) for i in ordered]
    filled = result.filled
    previous: int | None = None  # the last known position before a run of empty values
    gap: list[int] = []  # the positions of the current run of empty values
    for n, value in enumerate(values):
        if value is None:
            gap.append(n)
            continue
        if gap:
            _fill(rows, ordered, values, gap, previous, n, column, method, filled)
            gap = []
        previous = n
    if gap and previous is not None:
        _fill(rows, ordered, values, gap, previous, None, column, method, filled)
    return rows


def _fill(
    rows: list[Row],
    ordered: list[int],
    values: list[Any],
    gap: list[int],
    previous: int | None,
    nxt: int | None,
    column: str,
    method: str,
    filled: list[dict[str, Any]],
) -> None:
    """Fill one run of empty values between the known positions `previous` and `nxt` (either may be None)."""
    for n in gap:
        if method == "previous" or nxt is None:
            value = values[previous if previous is not None else nxt]  # type: ignore[index]
        elif previous is None:
            value = values[nxt]
        else:
            a, b = values[previous], values[nxt]
            value = a + (b - a) * (n - previous) / (nxt - previous)
        index = ordered[n]
        rows[index][column] = value
        filled.append({"index": index, "column": column, "method": method})


_APPLY: dict[str, Callable[[list[Row], dict[str, Any], Result], list[Row]]] = {
    "type": _type,
    "required": _required,
    "range": _range,
    "dedup": _dedup,
    "unit": _unit,
    "gap_fill": _gap_fill,
}


def run(rows: list[Row], rules: list[dict[str, Any]]) -> Result:
    """Apply `rules` in order to copies of `rows`. The cyclic garbage collector is paused meanwhile: a pipeline
    makes millions of small objects and no cycles, and each collection would walk them all again."""
    for rule in rules:
        check_rule(rule)
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(rows, rules)
    finally:
        if collecting:
            gc.enable()


def _run(rows: list[Row], rules: list[dict[str, Any]]) -> Result:
    result = Result(rows=list(map(dict, rows)))
    for rule in rules:
        rejected_before, filled_before = len(result.rejected), len(result.filled)
        result.rows = _APPLY[rule["rule"]](result.rows, rule, result)
        result.steps.append(
            {
                **rule,
                "kept": len(result.rows),
                "rejected": len(result.rejected) - rejected_before,
                "filled": len(result.filled) - filled_before,
            }
        )
    return result
