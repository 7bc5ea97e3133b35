"""A dataset's snapshot exported as Parquet (pyarrow) or CSV, with its data card: what the rows are (columns and
their types, counts), where they came from (the job's rules with rows kept, refused and filled per rule, the
datasets it was derived from) and who holds them. A dataset is one version and never changes, so its snapshot is
the same bytes every time; the card carries their SHA-256 and rides in the Parquet file's metadata
(`digipark.data_card`)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from digipark.dataspace.models import Dataset

CARD_KEY = b"digipark.data_card"


def _kind(values: list[Any]) -> str:
    """The column's type: integer, number, boolean or text (mixed values are text), from its non-empty values."""
    kinds = {v.__class__ for v in values if v is not None}
    if not kinds:
        return "text"
    if kinds == {bool}:
        return "boolean"
    if kinds == {int}:
        return "integer"
    if kinds <= {int, float}:
        return "number"
    return "text"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict | list) else str(value)


_ARROW = {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(), "text": pa.string()}


def columns(dataset: Dataset) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = dataset.rows or []
    out = []
    for name in dataset.columns or []:
        values = [row.get(name) for row in rows]
        out.append({"name": name, "type": _kind(values), "empty": sum(v is None for v in values)})
    return out


def _table(dataset: Dataset, described: list[dict[str, Any]]) -> pa.Table:
    rows: list[dict[str, Any]] = dataset.rows or []
    arrays = []
    for column in described:
        values = [row.get(column["name"]) for row in rows]
        if column["type"] == "text":
            values = [_text(v) for v in values]
        elif column["type"] == "number":
            values = [None if v is None else float(v) for v in values]
        arrays.append(pa.array(values, type=_ARROW[column["type"]]))
    return pa.Table.from_arrays(arrays, names=[c["name"] for c in described])


def card(dataset: Dataset, *, owner: str, lineage: list[Dataset]) -> dict[str, Any]:
    """The data card (without the files' digests, which `export` adds)."""
    job = dataset.job or {}
    return {
        "dataset": dataset.id,
        "name": dataset.name,
        "version": dataset.version,
        "owner": owner,
        "created_at": dataset.created_at.isoformat() if dataset.created_at else None,
        "rows": dataset.row_count,
        "rejected_rows": len(dataset.rejected or []),
        "filled_values": len(job.get("filled", [])),
        "columns": columns(dataset),
        "source": job.get("source"),
        "steps": job.get("steps", []),
        "derived_from": [{"dataset": d.id, "name": d.name, "version": d.version} for d in lineage[1:]],
        "formats": ["parquet", "csv"],
    }


def to_csv(dataset: Dataset) -> bytes:
    buffer = io.StringIO()
    names = list(dataset.columns or [])
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for row in dataset.rows or []:
        writer.writerow(["" if row.get(n) is None else _text(row.get(n)) for n in names])
    return buffer.getvalue().encode("utf-8")


def to_parquet(dataset: Dataset, data_card: dict[str, Any]) -> bytes:
    table = _table(dataset, data_card["columns"])
    metadata = {CARD_KEY: json.dumps(data_card, ensure_ascii=False, sort_keys=True).encode("utf-8")}
    table = table.replace_schema_metadata(metadata)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def export(dataset: Dataset, *, owner: str, lineage: list[Dataset]) -> tuple[dict[str, Any], bytes, bytes]:
    """The card with the CSV's SHA-256, the Parquet file (carrying that card) and the CSV."""
    data_card = card(dataset, owner=owner, lineage=lineage)
    text = to_csv(dataset)
    data_card["csv_sha256"] = hashlib.sha256(text).hexdigest()
    return data_card, to_parquet(dataset, data_card), text


def read_card(parquet: bytes) -> dict[str, Any]:
    """The data card a Parquet snapshot carries."""
    schema = pq.read_schema(pa.BufferReader(parquet))
    loaded: dict[str, Any] = json.loads((schema.metadata or {})[CARD_KEY])
    return loaded


__all__ = ["CARD_KEY", "card", "columns", "export", "read_card", "to_csv", "to_parquet"]
