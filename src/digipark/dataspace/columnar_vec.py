"""Whole-column kernels of the columnar pipeline (`columnar`), on pyarrow and numpy, for the columns where they give
exactly what the row rules of `cleaning` give; every kernel answers None where it cannot vouch for that, and the
caller then runs the row rule's meaning instead.

- `parse_numbers`: a text column's numbers. Texts of the strict decimal form (`-12.5`, `.5`, `1e3`) are cast by
  Arrow (correctly rounded, as Python's `float`); empty texts are empty; the few others (padded, `nan`, `inf`,
  other scripts' digits) go through Python's `float` one by one, so the answer is the row rule's.
- `Keys`: the combinations of key values a dedup has seen, over all chunks, as 64-bit hashes with the values'
  codes beside them; a hash match is confirmed on the codes, so a collision never merges two keys (it hands the
  rule back to Python's set). Codes follow Python's equality: 1, 1.0 and True are one key, None and an empty
  typed number are one key, "1" and 1 are two.
- `encode_units`: a unit column as codes of its distinct values, so a factor is looked up once per unit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

_DECIMAL = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_ARROW_FAILS = (pa.ArrowException, TypeError, ValueError, OverflowError)
_INT64 = 2.0**63

# value tags of a key code: empty, whole number, other float, text
_EMPTY, _WHOLE, _FLOAT, _TEXT = 0, 1, 2, 3


def texts(column: Any) -> pa.Array | None:
    """The column as an Arrow string array when every value is a str or None, else None."""
    if isinstance(column, np.ndarray) and column.dtype.kind != "O":
        return None
    try:
        array = pa.array(column)
    except _ARROW_FAILS:
        return None
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return array
    return None


def parse_numbers(column: Any) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]] | None:
    """(numbers with NaN for an empty value, refused) for a column of texts, as the row rule `type: number` parses
    them; None when the column holds anything but texts and None."""
    array = texts(column)
    if array is None:
        return None
    length = len(array)
    strict = pc.fill_null(pc.match_substring_regex(array, _DECIMAL), False)
    try:
        cast = pc.cast(pc.if_else(strict, array, pa.scalar("0")), pa.float64())
    except _ARROW_FAILS:
        return None
    numbers = cast.to_numpy(zero_copy_only=False).copy()
    refused = np.zeros(length, dtype=bool)
    empty = pc.fill_null(pc.equal(array, ""), True).to_numpy(zero_copy_only=False)
    numbers[empty] = np.nan
    strict_np = strict.to_numpy(zero_copy_only=False)
    overflow = strict_np & ~np.isfinite(numbers)  # `1e999`: Python's float gives inf too, which the rule refuses
    refused |= overflow
    numbers[overflow] = np.nan
    others = np.flatnonzero(~strict_np & ~empty)
    if len(others):
        values = array.take(pa.array(others)).to_pylist()
        for i, value in zip(others.tolist(), values, strict=True):
            if not value.strip():
                numbers[i] = np.nan
                continue
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if number != number or number in (math.inf, -math.inf):
                refused[i] = True
                number = math.nan
            numbers[i] = number
    return numbers, refused


def encode_units(column: Any, length: int) -> tuple[npt.NDArray[np.intp], list[Any]] | None:
    """(a code per row, the distinct values) of a unit column of texts and None; None for any other column."""
    if column is None:
        return np.zeros(length, dtype=np.intp), [None]
    array = texts(column)
    if array is None:
        return None
    encoded = array.dictionary_encode()
    values: list[Any] = encoded.dictionary.to_pylist()
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    codes = np.where(encoded.indices.is_null().to_numpy(zero_copy_only=False), len(values), indices)
    return codes.astype(np.intp), [*values, None]


class Keys:
    """The key combinations one dedup rule has seen, across chunks."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.text_codes: dict[str, int] = {}
        self.texts: list[str] = []
        self.hashes = np.empty(0, dtype=np.uint64)  # sorted
        self.tags = np.empty((0, width), dtype=np.int8)  # in the order of `hashes`
        self.payloads = np.empty((0, width), dtype=np.int64)

    def _column(self, column: Any, length: int) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int64]] | None:
        if column is None:
            return np.zeros(length, dtype=np.int8), np.zeros(length, dtype=np.int64)
        if isinstance(column, np.ndarray) and column.dtype.kind in "ib":
            return np.full(length, _WHOLE, dtype=np.int8), column.astype(np.int64)
        if isinstance(column, np.ndarray) and column.dtype.kind == "f":
            return _floats(column, nan_is_empty=True)  # a typed number column: NaN stands for an empty value
        try:
            array = pa.array(column)
        except _ARROW_FAILS:
            return None
        kind = array.type
        valid = ~array.is_null().to_numpy(zero_copy_only=False)
        if pa.types.is_null(kind):
            return np.zeros(length, dtype=np.int8), np.zeros(length, dtype=np.int64)
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            encoded = array.dictionary_encode()
            codes = np.fromiter(
                (self._text_code(v) for v in encoded.dictionary.to_pylist()),
                dtype=np.int64,
                count=len(encoded.dictionary),
            )
            index = encoded.indices.fill_null(0).to_numpy(zero_copy_only=False)
            payload = codes[index] if len(codes) else np.zeros(length, dtype=np.int64)
            return np.where(valid, _TEXT, _EMPTY).astype(np.int8), np.where(valid, payload, 0)
        if pa.types.is_unsigned_integer(kind):
            return None  # beyond int64: Python's set decides
        if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
            values = array.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
            return np.where(valid, _WHOLE, _EMPTY).astype(np.int8), np.where(valid, values, 0)
        if pa.types.is_floating(kind):
            values = array.fill_null(0.0).to_numpy(zero_copy_only=False)
            if np.isnan(values[valid]).any():
                return None  # a NaN in a list is equal only to itself: Python's set decides
            tags, payloads = _floats(values, nan_is_empty=False)
            return np.where(valid, tags, _EMPTY).astype(np.int8), np.where(valid, payloads, 0)
        return None

    def _text_code(self, value: str) -> int:
        code = self.text_codes.get(value)
        if code is None:
            code = self.text_codes[value] = len(self.texts)
            self.texts.append(value)
        return code

    def first_unseen(self, columns: Sequence[Any], length: int) -> npt.NDArray[np.bool_] | None:
        """Which rows of the chunk are the first of their key and of a key no earlier chunk had (and remember them);
        None when a column cannot be coded or two keys share a hash: the caller then uses Python's set."""
        if not length:
            return np.zeros(0, dtype=bool)
        coded = [self._column(column, length) for column in columns]
        parts = [part for part in coded if part is not None]
        if len(parts) < len(coded):
            return None
        tags = np.stack([p[0] for p in parts], axis=1).astype(np.int8)
        payloads = np.stack([p[1] for p in parts], axis=1).astype(np.int64)
        hashes = _hash(tags, payloads)
        unique, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
        owner = first[inverse.reshape(-1)]
        if not (np.array_equal(tags, tags[owner]) and np.array_equal(payloads, payloads[owner])):
            return None  # two keys with one hash in this chunk
        keep = np.zeros(length, dtype=bool)
        keep[first] = True
        where = np.searchsorted(self.hashes, unique)
        inside = where < len(self.hashes)
        known = np.zeros(len(unique), dtype=bool)
        known[inside] = self.hashes[where[inside]] == unique[inside]
        at = where[known]
        rows = first[known]
        if not (np.array_equal(self.tags[at], tags[rows]) and np.array_equal(self.payloads[at], payloads[rows])):
            return None  # a new key with the hash of a seen one
        keep[rows] = False
        new = ~known
        self.hashes = np.insert(self.hashes, where[new], unique[new])
        self.tags = np.insert(self.tags, where[new], tags[first[new]], axis=0)
        self.payloads = np.insert(self.payloads, where[new], payloads[first[new]], axis=0)
        return keep

    def as_set(self) -> set[tuple[Any, ...]]:
        """The keys seen so far as Python tuples (for a rule handed back to Python's set)."""
        out: set[tuple[Any, ...]] = set()
        floats = self.payloads.view(np.float64)
        for tag_row, payload_row, float_row in zip(
            self.tags.tolist(), self.payloads.tolist(), floats.tolist(), strict=True
        ):
            out.add(tuple(_value(t, p, f, self.texts) for t, p, f in zip(tag_row, payload_row, float_row, strict=True)))
        return out


def _value(tag: int, payload: int, number: float, texts: list[str]) -> Any:
    if tag == _EMPTY:
        return None
    if tag == _WHOLE:
        return payload
    if tag == _FLOAT:
        return number
    return texts[payload]


def _floats(values: npt.NDArray[Any], *, nan_is_empty: bool) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int64]]:
    values = values.astype(np.float64)
    empty = np.isnan(values)
    with np.errstate(invalid="ignore"):
        whole = ~empty & (np.floor(values) == values) & (np.abs(values) < _INT64)
    tags = np.where(empty, _EMPTY, np.where(whole, _WHOLE, _FLOAT)).astype(np.int8)
    as_int = np.where(whole, values, 0.0).astype(np.int64)
    bits = np.where(whole | empty, 0.0, values).view(np.int64)
    return tags, np.where(whole, as_int, np.where(empty, 0, bits))


_M1, _M2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9)


def _hash(tags: npt.NDArray[np.int8], payloads: npt.NDArray[np.int64]) -> npt.NDArray[np.uint64]:
    """A 64-bit mix of each row's codes (splitmix64 steps); equal codes give equal hashes."""
    h = np.zeros(len(tags), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(tags.shape[1]):
            x = payloads[:, j].view(np.uint64) ^ (tags[:, j].astype(np.uint64) << np.uint64(61))
            h = (h ^ x) * _M1
            h ^= h >> np.uint64(31)
            h *= _M2
            h ^= h >> np.uint64(29)
    return h
