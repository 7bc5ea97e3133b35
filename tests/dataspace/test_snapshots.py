"""A dataset snapshot exported as Parquet beside CSV, with its data card (in the file and over the API)."""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi.testclient import TestClient

from digipark.dataspace import snapshots
from tests.conftest import World, bearer

API = "/api/v1/dataspace"


def _call(client: TestClient, world: World, who: str, method: str, path: str, **kwargs: Any) -> Any:
    return client.request(method, f"{API}{path}", headers=bearer(world.a.tokens[who]), **kwargs)


def test_a_dataset_snapshot_is_parquet_and_csv_with_a_data_card(client: TestClient, world: World) -> None:
    rows = [
        {"meter": "M1", "t": 1, "v": "1.5", "u": "kWh"},
        {"meter": "M1", "t": 2, "v": "", "u": "kWh"},
        {"meter": "M1", "t": 3, "v": "2", "u": "MWh"},
        {"meter": "M1", "t": 3, "v": "9", "u": "kWh"},
        {"meter": "电表", "t": 4, "v": "bad", "u": "kWh"},
    ]
    rules = [
        {"rule": "type", "column": "v", "type": "number"},
        {"rule": "unit", "column": "v", "unit_column": "u", "to": "kWh"},
        {"rule": "dedup", "keys": ["meter", "t"]},
        {"rule": "gap_fill", "column": "v", "order_by": "t", "method": "linear"},
    ]
    made = _call(client, world, "enterprise", "POST", "/datasets", json={"name": "能耗", "rows": rows, "rules": rules})
    assert made.status_code == 201, made.text
    ident = made.json()["id"]
    derived = _call(client, world, "enterprise", "POST", "/datasets/derive", json={"name": "二次", "inputs": [ident]})
    assert derived.status_code == 201, derived.text

    parquet = _call(client, world, "enterprise", "GET", f"/datasets/{ident}/snapshot.parquet")
    assert parquet.status_code == 200 and parquet.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(pa.BufferReader(parquet.content))
    assert table.column_names == ["meter", "t", "v", "u"]
    assert table.schema.field("v").type == pa.float64() and table.schema.field("t").type == pa.int64()
    assert table.column("v").to_pylist() == [1.5, 1000.75, 2000.0]  # filled linearly between 1.5 and 2 MWh
    in_file = snapshots.read_card(parquet.content)

    text = _call(client, world, "enterprise", "GET", f"/datasets/{ident}/snapshot.csv")
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(text.text)))[1] == ["M1", "1", "1.5", "kWh"]

    card = _call(client, world, "enterprise", "GET", f"/datasets/{ident}/card").json()
    assert card["name"] == "能耗" and card["rows"] == 3 and card["rejected_rows"] == 2 and card["filled_values"] == 1
    assert [c["type"] for c in card["columns"]] == ["text", "integer", "number", "text"]
    assert [s["rule"] for s in card["steps"]] == ["type", "unit", "dedup", "gap_fill"]
    assert card["csv_sha256"] == hashlib.sha256(text.content).hexdigest()
    assert card["parquet_sha256"] == hashlib.sha256(parquet.content).hexdigest()
    assert in_file == {k: v for k, v in card.items() if k != "parquet_sha256"}

    lineage = _call(client, world, "enterprise", "GET", f"/datasets/{derived.json()['id']}/card").json()
    assert lineage["derived_from"] == [{"dataset": ident, "name": "能耗", "version": 1}]
    assert lineage["source"] == "derive"


def test_another_enterprise_gets_no_snapshot(client: TestClient, world: World) -> None:
    made = _call(client, world, "enterprise", "POST", "/datasets", json={"name": "x", "rows": [{"a": 1}]})
    ident = made.json()["id"]
    for tail in ("card", "snapshot.parquet", "snapshot.csv"):
        assert _call(client, world, "enterprise2", "GET", f"/datasets/{ident}/{tail}").status_code == 404
