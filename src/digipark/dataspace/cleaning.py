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
    reason = f"{column}: not a {kind}"
    kept: list[Row] = []
    append, rejected = kept.append, result.rejected
    for row in rows:
        value = row.get(column)
        if value is None or (value.__class__ is str and not value.strip()):
            row[column] = None
            append(row)
            continue
        if kind == "number" and value.__class__ is float and value == value and value not in _INFINITE:
            append(row)  # already a finite number: nothing to parse
            continue
        try:
            row[column] = _parse(kind, value)
        except (TypeError, ValueError):
            rejected.append({"row": row, "reasons": [reason], "rule": "type"})
            continue
        append(row)
    return kept


def _required(rows: list[Row], rule: dict[str, Any], result: Result) -> list[Row]:
    column = rule["column"]
    return _per_row(rows, rule, lambda row: f"{column}: missing" if _empty(row.get(column)) else None, result)


def _range(rows: list[Row], rule: dict[str, Any], result: Result) -> list[Row]:
    column, low, high = rule["column"], rule.get("min"), rule.get("max")
    kept: list[Row] = []
    append, rejected = kept.append, result.rejected
    for row in rows:
        value = row.get(column)
        if value is None:
            append(row)
            continue
        if value.__class__ not in _NUMBERS:
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
    seen: set[tuple[Any, ...]] = set()

    def check(row: Row) -> str | None:
        key = tuple(row.get(k) for k in keys)
        if key in seen:
            return f"duplicate of {', '.join(keys)}"
        seen.add(key)
        return None

    return _per_row(rows, rule, check, result)


def _unit(rows: list[Row], rule: dict[str, Any], result: Result) -> list[Row]:
    column, unit_column, target = rule["column"], rule["unit_column"], rule["to"]
    factors: dict[str, float | None] = {}

    def factor(unit: str) -> float | None:
        if unit not in factors:
            try:
                factors[unit] = convert(1.0, unit, target)
            except DomainError:
                factors[unit] = None
        return factors[unit]

    def check(row: Row) -> str | None:
        value, unit = row.get(column), row.get(unit_column)
        if value is None:
            row[unit_column] = target
            return None
        if _empty(unit):
            return f"{unit_column}: missing"
        f = factor(str(unit).strip())
        if f is None:
            return f"{unit_column}: cannot convert {unit} to {target}"
        row[column] = value * f
        row[unit_column] = target
        return None

    return _per_row(rows, rule, check, result)


def _gap_fill(rows: list[Row], rule: dict[str, Any], result: Result) -> list[Row]:
    column, order_by, method = rule["column"], rule["order_by"], rule["method"]
    ordered = sorted(range(len(rows)), key=lambda i: (rows[i].get(order_by) is None, rows[i].get(order_by)))
    # the next known position after each position (scanning backwards), then fill scanning forwards
    following: list[int | None] = [None] * len(ordered)
    upcoming: int | None = None
    for n in range(len(ordered) - 1, -1, -1):
        following[n] = upcoming
        if rows[ordered[n]].get(column) is not None:
            upcoming = n
    previous: int | None = None
    for n, index in enumerate(ordered):
        if rows[index].get(column) is not None:
            previous = n
            continue
        nxt = following[n]
        if previous is None and nxt is None:
            break  # nothing known to fill from
        if method == "previous" or nxt is None:
            value = rows[ordered[previous if previous is not None else nxt]][column]  # type: ignore[index]
        elif previous is None:
            value = rows[ordered[nxt]][column]
        else:
            a, b = rows[ordered[previous]][column], rows[ordered[nxt]][column]
            value = a + (b - a) * (n - previous) / (nxt - previous)
        rows[index][column] = value
        result.filled.append({"index": index, "column": column, "method": method})
    return rows


_APPLY: dict[str, Callable[[list[Row], dict[str, Any], Result], list[Row]]] = {
    "type": _type,
    "required": _required,
    "range": _range,
    "dedup": _dedup,
    "unit": _unit,
    "gap_fill": _gap_fill,
}


def run(rows: list[Row], rules: list[dict[str, Any]]) -> Result:
    """Apply `rules` in order to copies of `rows`."""
    for rule in rules:
        check_rule(rule)
    result = Result(rows=[dict(r) for r in rows])
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
