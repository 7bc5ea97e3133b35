"""The cleaning rules (`cleaning`) run over columns instead of row dicts, fed in chunks: what a pipeline over
millions of rows runs. The answers are those of `cleaning.run` over the same rows (checked on random rows with edge
cases in `tests/dataspace/test_columnar.py`); each rule runs over the whole column chunk where its column allows it
(numpy here, pyarrow and numpy kernels in `columnar_vec`: numbers parsed from texts, units coded, dedup keys coded
and hashed) and otherwise applies the row rule of `cleaning` to the chunk's rows, so no rule has two meanings.

- A table is `dict[column, sequence]`, every column as long as the others; a missing value is None (or empty text).
- A `number` column, once typed, is a float64 array with NaN for an empty value (the type rule refuses NaN, so NaN
  means "empty" only there); `range`, `unit` and linear or previous `gap_fill` are vectorised over such a column.
- `Pipeline.feed(chunk)` applies the rules before the first `gap_fill` to the chunk (dedup remembers the keys of all
  chunks); `Pipeline.finish()` applies the rest to all kept rows (a gap fill needs the whole series in order).
- Refused rows are kept as `cleaning.run` keeps them (the row as it was when refused, the reasons, the rule); a
  filled value is listed by its position among the kept rows at that step.
"""

from __future__ import annotations

import dataclasses
import gc
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from digipark.core.errors import DomainError
from digipark.core.units import convert
from digipark.dataspace import cleaning, columnar_vec

Column = list[Any] | npt.NDArray[Any]
Table = dict[str, Column]


@dataclasses.dataclass
class ColumnResult:
    columns: Table
    length: int
    pending: list[Any] = dataclasses.field(default_factory=list, repr=False)  # refused rows: entries or _Blocks
    filled: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    steps: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def rows(self) -> list[cleaning.Row]:
        return _rows(self.columns, self.length)

    @property
    def rejected_count(self) -> int:
        return sum(_size(item) for item in self.pending)

    @property
    def rejected(self) -> list[dict[str, Any]]:
        """The refused rows as `cleaning.run` gives them (`{"row", "reasons", "rule"}`), made when asked."""
        out: list[dict[str, Any]] = []
        for item in self.pending:
            if isinstance(item, _Block):
                out.extend(item.entries())
            else:
                out.append(item)
        return out


@dataclasses.dataclass
class _Block:
    """Rows one rule refused in one chunk, held as columns until asked for."""

    columns: Table
    reasons: list[str]
    rule: str

    @property
    def size(self) -> int:
        return len(self.reasons)

    def entries(self) -> list[dict[str, Any]]:
        rows = _rows(self.columns, self.size)
        return [{"row": r, "reasons": [why], "rule": self.rule} for r, why in zip(rows, self.reasons, strict=True)]


def _size(item: Any) -> int:
    return item.size if isinstance(item, _Block) else 1


def _as_list(column: Column) -> list[Any]:
    if isinstance(column, np.ndarray):
        values: list[Any] = column.tolist()
        if column.dtype.kind == "f":
            return [None if v != v else v for v in values]
        return values
    return column if isinstance(column, list) else list(column)


def _objects(values: Sequence[Any]) -> npt.NDArray[Any]:
    """A column of Python values as a one-dimensional object array (lists stay elements, never a second axis)."""
    return np.fromiter(values, dtype=object, count=len(values))


def _rows(columns: Table, length: int, positions: Sequence[int] | None = None) -> list[cleaning.Row]:
    names = list(columns)
    if positions is None:
        lists = [_as_list(columns[name]) for name in names]
        picked: Sequence[int] = range(length)
    else:
        index = np.asarray(positions, dtype=np.intp)
        lists = [_as_list(_array(columns[name])[index]) for name in names]
        picked = range(len(positions))
    return [{name: values[i] for name, values in zip(names, lists, strict=True)} for i in picked]


def _array(column: Column) -> npt.NDArray[Any]:
    return column if isinstance(column, np.ndarray) else _objects(column)


def _from_rows(rows: list[cleaning.Row], names: list[str]) -> Table:
    return {name: [row.get(name) for row in rows] for name in names}


def _take(columns: Table, keep: npt.NDArray[np.bool_]) -> Table:
    out: Table = {}
    for name, column in columns.items():
        out[name] = _array(column)[keep]
    return out


def _reject(columns: Table, positions: list[int], reasons: list[str], rule: str, pending: list[Any]) -> None:
    index = np.asarray(positions, dtype=np.intp)
    pending.append(_Block({name: _array(column)[index] for name, column in columns.items()}, reasons, rule))


def _by_rows(columns: Table, length: int, rule: dict[str, Any], result: ColumnResult) -> tuple[Table, int]:
    """The row rule of `cleaning` over this table's rows: the meaning of every rule without a vectorised path."""
    names = list(columns)
    if rule["rule"] == "unit" and rule["unit_column"] not in columns:
        names.append(rule["unit_column"])
    sink = cleaning.Result(rows=[])
    rows = cleaning._APPLY[rule["rule"]](_rows(columns, length), rule, sink)
    result.pending.extend(sink.rejected)
    result.filled.extend(sink.filled)
    for row in rows:  # a rule may add a column (type sets an absent one to None)
        for name in row:
            if name not in names:
                names.append(name)
    return _from_rows(rows, names), len(rows)


def _type_number(columns: Table, length: int, column: str, result: ColumnResult) -> tuple[Table, int]:
    reason = f"{column}: not a number"
    raw = columns.get(column)
    if raw is None:
        columns[column] = np.full(length, np.nan)
        return columns, length
    if isinstance(raw, np.ndarray) and raw.dtype.kind == "f":
        bad = ~np.isfinite(raw) & ~np.isnan(raw)  # NaN is already "empty" in a typed column
        numbers = raw
    elif (vectorised := columnar_vec.parse_numbers(raw)) is not None:
        numbers, bad = vectorised  # a column of texts: parsed whole (Arrow), the odd texts by Python's float
    else:
        values = _as_list(raw)
        parsed: list[float] = []
        append = parsed.append
        bad_list = []
        nan, inf, to_float, text = math.nan, math.inf, float, str
        for i, value in enumerate(values):  # the row rule's checks, in its order (Python's float parses faster
            cls = value.__class__  # than numpy's string cast)
            if cls is text:
                if not value.strip():
                    append(nan)
                    continue
            elif value is None:
                append(nan)
                continue
            elif cls is bool:
                bad_list.append(i)
                append(nan)
                continue
            try:
                number = to_float(value)
            except (TypeError, ValueError):
                bad_list.append(i)
                append(nan)
                continue
            if number != number or number == inf or number == -inf:
                bad_list.append(i)
                append(nan)
                continue
            append(number)
        numbers = np.array(parsed, dtype=np.float64) if parsed else np.empty(0)
        bad = np.zeros(length, dtype=bool)
        bad[bad_list] = True
    columns[column] = numbers
    if not bad.any():
        return columns, length
    positions = np.flatnonzero(bad).tolist()
    before = columns[column]
    columns[column] = _as_objects(before, raw, positions)
    _reject(columns, positions, [reason] * len(positions), "type", result.pending)
    columns[column] = before
    kept = _take(columns, ~bad)
    return kept, length - len(positions)


def _as_objects(numbers: Column, raw: Column | None, positions: list[int]) -> list[Any]:
    """The typed column with the refused rows' original values (a refused row is kept as it came)."""
    values = _as_list(numbers)
    original = _as_list(raw) if raw is not None else [None] * len(values)
    for i in positions:
        values[i] = original[i]
    return values


def _is_numbers(column: Column | None) -> bool:
    return isinstance(column, np.ndarray) and column.dtype.kind == "f"


def _range(columns: Table, length: int, rule: dict[str, Any], result: ColumnResult) -> tuple[Table, int]:
    column, low, high = rule["column"], rule.get("min"), rule.get("max")
    values = columns.get(column)
    if not _is_numbers(values) or not all(b is None or b.__class__ in (int, float) for b in (low, high)):
        return _by_rows(columns, length, rule, result)
    assert isinstance(values, np.ndarray)
    with np.errstate(invalid="ignore"):
        below = values < low if low is not None else np.zeros(length, dtype=bool)
        above = values > high if high is not None else np.zeros(length, dtype=bool)
    bad = below | above
    if not bad.any():
        return columns, length
    positions = np.flatnonzero(bad).tolist()
    flags = below[positions].tolist()
    reasons = [f"{column}: below {low}" if b else f"{column}: above {high}" for b in flags]
    _reject(columns, positions, reasons, "range", result.pending)
    return _take(columns, ~bad), length - len(positions)


def _unit(
    columns: Table, length: int, rule: dict[str, Any], result: ColumnResult, factors: dict[Any, Any]
) -> tuple[Table, int]:
    column, unit_column, target = rule["column"], rule["unit_column"], rule["to"]
    values = columns.get(column)
    if not _is_numbers(values):
        return _by_rows(columns, length, rule, result)
    assert isinstance(values, np.ndarray)
    encoded = columnar_vec.encode_units(columns.get(unit_column), length)
    if encoded is not None:  # texts: a factor per distinct unit, taken by code
        codes, distinct = encoded
        typed = [(type(unit), unit) for unit in distinct]
    else:
        units = _as_list(columns[unit_column]) if unit_column in columns else [None] * length
        typed = list(zip(map(type, units), units, strict=True))  # True and 1 are one key of a dict, not one unit
        codes = None
    try:
        for key in dict.fromkeys(typed):
            if key not in factors:
                factors[key] = _factor(key[1], target)
    except TypeError:  # an unhashable unit
        return _by_rows(columns, length, rule, result)
    as_float = {key: f if f.__class__ is float else math.nan for key, f in factors.items()}
    per_key = np.fromiter(map(as_float.__getitem__, typed), dtype=np.float64, count=len(typed))
    multipliers = per_key[codes] if codes is not None else per_key
    key_of = (lambda i: typed[codes[i]]) if codes is not None else typed.__getitem__
    bad = np.flatnonzero(np.isnan(multipliers)).tolist()
    reasons = [
        f"{unit_column}: missing"
        if factors[key_of(i)] is None
        else f"{unit_column}: cannot convert {key_of(i)[1]} to {target}"
        for i in bad
    ]
    empty = np.isnan(values)
    refuse = np.zeros(length, dtype=bool)
    refuse[bad] = True
    refuse &= ~empty  # an empty value is kept whatever its unit
    if refuse.any():
        positions = np.flatnonzero(refuse).tolist()
        reason_of = dict(zip(bad, reasons, strict=True))
        _reject(columns, positions, [reason_of[i] for i in positions], "unit", result.pending)
    with np.errstate(invalid="ignore"):
        converted = np.where(empty, np.nan, values * multipliers)
    columns = dict(columns)
    columns[column] = converted
    columns[unit_column] = [target] * length
    if refuse.any():
        return _take(columns, ~refuse), length - int(refuse.sum())
    return columns, length


def _factor(unit: Any, target: str) -> Any:
    """The factor to `target` (a float), None for an empty unit, a string for one that cannot be converted."""
    if cleaning._empty(unit):
        return None
    try:
        return float(convert(1.0, str(unit).strip(), target))
    except DomainError:
        return "cannot"


class _Seen:
    """The keys a dedup rule has seen: coded in arrays (`columnar_vec.Keys`) while every chunk's key columns can be
    coded, Python's set of tuples from the first chunk that cannot."""

    def __init__(self, width: int) -> None:
        self.coded: columnar_vec.Keys | None = columnar_vec.Keys(width)
        self.tuples: set[Any] = set()

    def to_tuples(self) -> set[Any]:
        if self.coded is not None:
            self.tuples.update(self.coded.as_set())
            self.coded = None
        return self.tuples


def _dedup(columns: Table, length: int, rule: dict[str, Any], result: ColumnResult, state: _Seen) -> tuple[Table, int]:
    keys = list(rule["keys"])
    reason = f"duplicate of {', '.join(keys)}"
    if state.coded is not None:
        keep = state.coded.first_unseen([columns.get(k) for k in keys], length)
        if keep is not None:
            return _dedup_keep(columns, length, keep, reason, result)
    seen = state.to_tuples()
    lists = [_as_list(columns[k]) if k in columns else [None] * length for k in keys]
    try:
        tuples = list(zip(*lists, strict=True))
        known = np.fromiter(map(seen.__contains__, tuples), dtype=bool, count=length)
        first = dict(zip(reversed(tuples), range(length - 1, -1, -1), strict=True))  # each key's first position
        seen.update(tuples)
    except TypeError:  # an unhashable key value: what the row rule does with it
        return _by_rows(columns, length, rule, result)
    keep = np.zeros(length, dtype=bool)
    keep[np.fromiter(first.values(), dtype=np.intp, count=len(first))] = True
    keep &= ~known
    return _dedup_keep(columns, length, keep, reason, result)


def _dedup_keep(
    columns: Table, length: int, keep: npt.NDArray[np.bool_], reason: str, result: ColumnResult
) -> tuple[Table, int]:
    duplicates = np.flatnonzero(~keep).tolist()
    if not duplicates:
        return columns, length
    _reject(columns, duplicates, [reason] * len(duplicates), "dedup", result.pending)
    return _take(columns, keep), length - len(duplicates)


def _ordering(column: Column) -> npt.NDArray[np.intp]:
    """`cleaning._order` of a column: a stable sort, empty values last; numpy's where the keys are whole numbers or
    floats without NaN (the same order), Python's otherwise (text, mixed or empty keys)."""
    try:
        plain = column.tolist() if isinstance(column, np.ndarray) and column.dtype.kind == "O" else column
        keys = plain if isinstance(plain, np.ndarray) else np.asarray(plain) if len(plain) else np.empty(0)
    except (TypeError, ValueError):  # ragged values: Python's order decides
        keys = np.empty(0, dtype=object)
    if keys.dtype.kind in "iu" or (keys.dtype.kind == "f" and not np.isnan(keys).any()):
        return np.argsort(keys, kind="stable")
    rows = [{"k": v} for v in _as_list(column)]
    return np.asarray(cleaning._order(rows, "k"), dtype=np.intp)


def _gap_fill(columns: Table, length: int, rule: dict[str, Any], result: ColumnResult) -> tuple[Table, int]:
    column, order_by, method = rule["column"], rule["order_by"], rule["method"]
    values = columns.get(column)
    if not _is_numbers(values) or order_by not in columns:
        return _by_rows(columns, length, rule, result)
    assert isinstance(values, np.ndarray)
    ordered = _ordering(columns[order_by])
    series = values[ordered]
    empty = np.isnan(series)
    if not empty.any() or empty.all():
        return columns, length
    known = np.flatnonzero(~empty)
    gaps = np.flatnonzero(empty)
    after = np.searchsorted(known, gaps)  # the first known position after each gap, as an index into `known`
    prev = np.where(after > 0, known[np.maximum(after - 1, 0)], -1)
    nxt = np.where(after < len(known), known[np.minimum(after, len(known) - 1)], -1)
    a = series[np.where(prev >= 0, prev, nxt)]
    if method == "previous":
        fill = np.where(prev >= 0, a, series[nxt])
    else:
        b = series[np.where(nxt >= 0, nxt, prev)]
        with np.errstate(invalid="ignore", divide="ignore"):
            inner = a + (b - a) * (gaps - prev) / (nxt - prev)
        fill = np.where((prev >= 0) & (nxt >= 0), inner, np.where(prev >= 0, a, b))
    out = values.copy()
    out[ordered[gaps]] = fill
    columns = dict(columns)
    columns[column] = out
    result.filled.extend({"index": index, "column": column, "method": method} for index in ordered[gaps].tolist())
    return columns, length


class Pipeline:
    """Rules applied to a table fed in chunks; `finish` gives the result. Rules are checked when it is made."""

    def __init__(self, rules: list[dict[str, Any]]) -> None:
        for rule in rules:
            cleaning.check_rule(rule)
        self.rules = rules
        first_fill = next((n for n, r in enumerate(rules) if r["rule"] == "gap_fill"), len(rules))
        self.streamed, self.after = rules[:first_fill], rules[first_fill:]
        self.result = ColumnResult(columns={}, length=0)
        self._chunks: list[tuple[Table, int]] = []
        self._seen = [_Seen(len(r.get("keys", ()))) for r in rules]
        self._factors: list[dict[Any, Any]] = [{} for _ in rules]
        self._counts = [[0, 0, 0] for _ in rules]  # kept, rejected, filled per rule
        self._rejected: list[list[Any]] = [[] for _ in rules]  # per rule, as `cleaning.run` orders them

    def _apply(self, n: int, rule: dict[str, Any], columns: Table, length: int) -> tuple[Table, int]:
        result = self.result
        rejected, filled = len(result.pending), len(result.filled)
        name = rule["rule"]
        if name == "type" and rule["type"] == "number":
            columns, length = _type_number(dict(columns), length, rule["column"], result)
        elif name == "range":
            columns, length = _range(columns, length, rule, result)
        elif name == "unit":
            columns, length = _unit(columns, length, rule, result, self._factors[n])
        elif name == "dedup":
            columns, length = _dedup(columns, length, rule, result, self._seen[n])
        elif name == "gap_fill":
            columns, length = _gap_fill(columns, length, rule, result)
        else:
            columns, length = _by_rows(columns, length, rule, result)
        counts = self._counts[n]
        counts[0] = length if n >= len(self.streamed) else counts[0] + length
        counts[1] += sum(_size(item) for item in result.pending[rejected:])
        self._rejected[n].extend(result.pending[rejected:])
        del result.pending[rejected:]
        counts[2] += len(result.filled) - filled
        return columns, length

    def feed(self, chunk: dict[str, Sequence[Any]]) -> None:
        """Apply the streamed rules to a chunk. The cyclic garbage collector is paused meanwhile, as in
        `cleaning.run`: a chunk makes a million key tuples and no cycles."""
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._feed(chunk)
        finally:
            if collecting:
                gc.enable()

    def _feed(self, chunk: dict[str, Sequence[Any]]) -> None:
        lengths = {len(column) for column in chunk.values()}
        if len(lengths) > 1:
            raise cleaning.RuleError("every column of a chunk must have the same length")
        length = lengths.pop() if lengths else 0
        columns: Table = {
            name: list(column) if not isinstance(column, np.ndarray) else column for name, column in chunk.items()
        }
        for n, rule in enumerate(self.streamed):
            columns, length = self._apply(n, rule, columns, length)
        self._chunks.append((columns, length))

    def finish(self) -> ColumnResult:
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._finish()
        finally:
            if collecting:
                gc.enable()

    def _finish(self) -> ColumnResult:
        columns, length = _concat(self._chunks)
        self._chunks = []
        offset = len(self.streamed)
        for n, rule in enumerate(self.after, start=offset):
            columns, length = self._apply(n, rule, columns, length)
        self.result.columns, self.result.length = columns, length
        self.result.pending = [item for per_rule in self._rejected for item in per_rule]
        self.result.steps = [
            {**rule, "kept": kept, "rejected": rejected, "filled": filled}
            for rule, (kept, rejected, filled) in zip(self.rules, self._counts, strict=True)
        ]
        return self.result


def _concat(chunks: list[tuple[Table, int]]) -> tuple[Table, int]:
    names: list[str] = []
    for columns, _ in chunks:
        names.extend(name for name in columns if name not in names)
    out: Table = {}
    for name in names:
        parts = [columns.get(name) for columns, _ in chunks]
        if all(_is_numbers(p) for p in parts) or all(isinstance(p, np.ndarray) and p.dtype.kind == "O" for p in parts):
            out[name] = np.concatenate(parts) if parts else np.empty(0)  # type: ignore[arg-type]
        else:
            merged: list[Any] = []
            for part, (_, length) in zip(parts, chunks, strict=True):
                merged.extend(_as_list(part) if part is not None else [None] * length)
            out[name] = merged
    return out, sum(length for _, length in chunks)


def run_columns(
    table: dict[str, Sequence[Any]], rules: list[dict[str, Any]], *, chunk: int = 1_000_000
) -> ColumnResult:
    """Apply `rules` to a table, `chunk` rows at a time."""
    pipeline = Pipeline(rules)
    lengths = {len(column) for column in table.values()}
    length = max(lengths) if lengths else 0
    for start in range(0, max(length, 1), chunk):
        pipeline.feed({name: column[start : start + chunk] for name, column in table.items()})
    return pipeline.finish()


__all__ = ["ColumnResult", "Pipeline", "run_columns"]
