"""Benchmark: the data space's policy decisions, ledger verification, cleaning pipeline, identifier validation,
and the latency the connector adds to an access.

Figures:
- `policy_decisions_per_s`: `policy.decide` on a contract's parsed terms (one access decision, no I/O);
  `policy_parse_decide_per_s`: reading the stored ODRL document back and deciding (what `service.check` does).
- `ledger_verify_entries_per_s`: recomputing a contract's hash chain (`ledger.verify_entries`) of LEDGER_ENTRIES
  entries held in memory (SHA-256 over each entry's canonical JSON).
- `pipeline_rows_per_s`: the columnar pipeline (`columnar.Pipeline`, its whole-column kernels in `columnar_vec`:
  pyarrow and numpy) over PIPELINE_ROWS (10 M) rows of text fed in chunks of PIPELINE_CHUNK, five rules (type,
  range, unit, dedup, linear gap fill), in one process; wall-clock rows per second, with the process's CPU seconds
  beside it (`rows_per_cpu_s`), since the shared machine often runs at several times its cores;
  `pipeline_row_dicts_rows_per_s`: the row engine (`cleaning.run`) over PIPELINE_ROW_DICTS row dicts, same rules.
- `identifier_validations_per_s`: `identifiers.parse` of valid and invalid identifiers.
- `ngsi_ld_query_p95_ms`: an NGSI-LD query `type=Device` answering NGSI_ENTITIES devices, each with its point's
  newest reading, compacted with the park's @context (`ngsi.query` + `ngsi.compact`, in process, no HTTP), on a
  SQLite file database; the 95th percentile of NGSI_QUERIES queries.
- `resolution_p99_ms` (identifier resolution over HTTP at 1,000 requests/s, against the `digipark resolver` process):
  bench/resolution.py.
- `connector_overhead_ms`: the median extra latency of a contract-checked access (`service.access`: read the
  contract, check the policy, count, append to the ledger, audit, commit) over reading the same product's rows
  directly (`service.product_rows`, commit), each in its own transaction, on a SQLite file database.

    .venv/bin/python bench/data_platform.py
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DIGIPARK_LOG_LEVEL", "WARNING")
os.environ.setdefault("DIGIPARK_ARGON2_TIME_COST", "1")
os.environ.setdefault("DIGIPARK_ARGON2_MEMORY_KIB", "1024")

from _common import emit, progress
from sqlalchemy.orm import sessionmaker

import digipark.modules  # noqa: F401  (installs the records and their permissions)
from digipark.audit.service import Actor, set_actor
from digipark.auth.models import Role
from digipark.auth.permissions import ROLE_PERMISSIONS
from digipark.auth.scope import Scope, system_scope
from digipark.core import db as core_db
from digipark.core import migrate
from digipark.core.codes import make_uscc
from digipark.core.db import make_engine, utcnow
from digipark.core.units import convert
from digipark.dataspace import cleaning, columnar, datasets, identifiers, ledger, policy, service
from digipark.dataspace.models import LedgerEntry, Source
from digipark.dataspace.schemas import ContractRequest, ProductCreate
from digipark.registry import schemas as rs
from digipark.registry import service as registry

DECISIONS = int(os.environ.get("DATASPACE_DECISIONS", "200000"))
LEDGER_ENTRIES = int(os.environ.get("DATASPACE_LEDGER_ENTRIES", "100000"))
PIPELINE_ROWS = int(os.environ.get("DATASPACE_PIPELINE_ROWS", "10000000"))
PIPELINE_CHUNK = int(os.environ.get("DATASPACE_PIPELINE_CHUNK", "1000000"))
PIPELINE_ROW_DICTS = int(os.environ.get("DATASPACE_PIPELINE_ROW_DICTS", "1000000"))
ACCESSES = int(os.environ.get("DATASPACE_ACCESSES", "300"))
PRODUCT_ROWS = 1000
NGSI_ENTITIES = int(os.environ.get("DATASPACE_NGSI_ENTITIES", "1000"))
NGSI_QUERIES = int(os.environ.get("DATASPACE_NGSI_QUERIES", "40"))


def bench_policy() -> None:
    start = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    doc = policy.agreement(
        uid="urn:digipark:contract:1",
        assigner="urn:digipark:enterprise:1",
        assignee="urn:digipark:enterprise:2",
        target="urn:digipark:product:1",
        purposes=["maintenance", "research"],
        start=start,
        end=start + dt.timedelta(days=30),
        count=10,
    )
    terms = policy.terms(doc)
    at = start + dt.timedelta(days=3)
    t0 = time.perf_counter()
    allowed = 0
    for i in range(DECISIONS):
        allowed += policy.decide(
            terms, active=True, revoked=False, used=i % 12, assignee=terms.assignee, purpose="research", at=at
        ).allowed
    elapsed = time.perf_counter() - t0
    emit("policy_decisions_per_s", DECISIONS / elapsed, "1/s", decisions=DECISIONS, allowed=allowed)
    n = DECISIONS // 10
    t0 = time.perf_counter()
    for i in range(n):
        policy.decide(
            policy.terms(doc),
            active=True,
            revoked=False,
            used=i % 12,
            assignee=terms.assignee,
            purpose="research",
            at=at,
        )
    emit("policy_parse_decide_per_s", n / (time.perf_counter() - t0), "1/s", decisions=n)


def bench_ledger() -> None:
    entries: list[LedgerEntry] = []
    prev = ledger.GENESIS
    at = utcnow()
    for seq in range(1, LEDGER_ENTRIES + 1):
        detail = {"purpose": "research", "rows": 1000, "n": seq}
        digest = ledger.entry_hash(
            contract_id=1, seq=seq, kind="access", at=at, actor="bench", detail=detail, prev=prev
        )
        entries.append(
            LedgerEntry(
                contract_id=1, seq=seq, kind="access", at=at, actor="bench", detail=detail, prev_hash=prev, hash=digest
            )
        )
        prev = digest
    t0 = time.perf_counter()
    check = ledger.verify_entries(1, entries)
    elapsed = time.perf_counter() - t0
    assert check.intact
    emit("ledger_verify_entries_per_s", LEDGER_ENTRIES / elapsed, "1/s", entries=LEDGER_ENTRIES)


PIPELINE_RULES: list[dict[str, object]] = [
    {"rule": "type", "column": "v", "type": "number"},
    {"rule": "range", "column": "v", "min": 0, "max": 100},
    {"rule": "unit", "column": "v", "unit_column": "u", "to": "kWh"},
    {"rule": "dedup", "keys": ["meter", "t"]},
    {"rule": "gap_fill", "column": "v", "order_by": "t", "method": "linear"},
]
METERS = [f"M{i}" for i in range(1000)]


def _raw_chunk(rng: random.Random, start: int, size: int) -> dict[str, list[object]]:
    """`size` rows as a CSV reader gives them (text values), from row `start`: 1 % empty, 0.5 % unparsable, a
    sixth out of range, half in MWh; every hundredth row again as a duplicate."""
    meter, t, v, u = [], [], [], []
    for i in range(start, start + size):
        r = rng.random()
        value = "" if r < 0.01 else "n/a" if r < 0.015 else f"{rng.uniform(0, 120):.3f}"
        for _ in range(2 if i % 100 == 0 else 1):
            meter.append(METERS[i % 1000])
            t.append(i // 1000)
            v.append(value)
            u.append("MWh" if i % 2 else "kWh")
    return {"meter": meter, "t": t, "v": v, "u": u}


def bench_pipeline() -> None:
    """The columnar pipeline (`columnar.Pipeline`) fed PIPELINE_CHUNK rows at a time; only its own time counts
    (making the rows is not timed)."""
    rng = random.Random(7)
    convert(1.0, "MWh", "kWh")  # pint's registry loads once per process (about 2 s), not per pipeline
    pipeline = columnar.Pipeline(list(PIPELINE_RULES))  # type: ignore[arg-type]
    elapsed, cpu, fed = 0.0, 0.0, 0
    for start in range(0, PIPELINE_ROWS, PIPELINE_CHUNK):
        chunk = _raw_chunk(rng, start, min(PIPELINE_CHUNK, PIPELINE_ROWS - start))
        fed += len(chunk["v"])
        t0, c0 = time.perf_counter(), time.process_time()
        pipeline.feed(chunk)
        elapsed += time.perf_counter() - t0
        cpu += time.process_time() - c0
        del chunk
    t0, c0 = time.perf_counter(), time.process_time()
    result = pipeline.finish()
    elapsed += time.perf_counter() - t0
    cpu += time.process_time() - c0
    emit(
        "pipeline_rows_per_s",
        fed / elapsed,
        "rows/s",
        rows=fed,
        kept=result.length,
        rejected=result.rejected_count,
        filled=len(result.filled),
        rules=len(PIPELINE_RULES),
        chunk=PIPELINE_CHUNK,
        engine="columnar (pyarrow + numpy kernels), one process",
        cpu_s=round(cpu, 2),
        rows_per_cpu_s=round(fed / cpu) if cpu else None,
        load=os.getloadavg()[0],
    )


def bench_pipeline_rows() -> None:
    """The row engine (`cleaning.run`, row dicts) over PIPELINE_ROW_DICTS rows: what a dataset upload runs."""
    rng = random.Random(7)
    chunk = _raw_chunk(rng, 0, PIPELINE_ROW_DICTS)
    rows = [dict(zip(chunk, values, strict=True)) for values in zip(*chunk.values(), strict=True)]
    t0 = time.perf_counter()
    result = cleaning.run(rows, list(PIPELINE_RULES))  # type: ignore[arg-type]
    elapsed = time.perf_counter() - t0
    emit(
        "pipeline_row_dicts_rows_per_s",
        len(rows) / elapsed,
        "rows/s",
        rows=len(rows),
        kept=len(result.rows),
        rejected=len(result.rejected),
        engine="row dicts (cleaning.run)",
        load=os.getloadavg()[0],
    )


def bench_identifiers() -> None:
    handles = [f"88.131.{i % 100000}/P-{i}" for i in range(50000)] + [f"86.1.{i}/x" for i in range(50000)]
    t0 = time.perf_counter()
    valid = sum(identifiers.is_valid(h) for h in handles)
    emit(
        "identifier_validations_per_s",
        len(handles) / (time.perf_counter() - t0),
        "1/s",
        valid=valid,
        total=len(handles),
    )


def _scope(park_id: int, enterprise_id: int) -> Scope:
    return Scope(
        role=Role.ENTERPRISE,
        username=f"bench-{enterprise_id}",
        park_id=park_id,
        read_parks=frozenset({park_id}),
        enterprise_id=enterprise_id,
        permissions=ROLE_PERMISSIONS[Role.ENTERPRISE],
    )


def bench_connector() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-dataspace-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    core_db.use_engine(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as db, db.begin():
        set_actor(db, Actor("bench"))
        park = registry.create_park(db, code="DSB", name="数据空间基准园区", name_en="DSB", region_code="320500")
        staff = system_scope(park.id)
        ids = [
            registry.create(
                db,
                scope=staff,
                kind=registry.KINDS["enterprise"],
                data=rs.EnterpriseCreate(
                    name=f"企业{i}", uscc=make_uscc("9", "1", "320500", f"7000{i:04d}"), industry_code="3311"
                ),
            ).id
            for i in range(2)
        ]
        provider, consumer = _scope(park.id, ids[0]), _scope(park.id, ids[1])
        rows = [{"meter": f"M{i}", "kwh": i * 1.5, "day": f"2026-10-{1 + i % 28:02d}"} for i in range(PRODUCT_ROWS)]
        data = datasets.import_rows(db, scope=provider, name="bench", rows=rows, rules=[])
        product = service.create_product(
            db,
            scope=provider,
            data=ProductCreate(
                title="bench",
                source=Source.DATASET,
                dataset_id=data.id,
                columns=["meter", "kwh"],
                purposes=["research"],
                max_accesses=10000,
            ),
        )
        contract = service.request_contract(
            db,
            scope=consumer,
            product_id=product.id,
            data=ContractRequest(purposes=["research"], days=30, max_accesses=10000),
        )
        service.agree(db, scope=provider, ident=contract.id)
        product_id, contract_id = product.id, contract.id

    def direct() -> float:
        t0 = time.perf_counter()
        with factory() as db, db.begin():
            row = service.get_product(db, scope=consumer, ident=product_id)
            service.product_rows(db, row)
        return time.perf_counter() - t0

    def connector() -> float:
        t0 = time.perf_counter()
        with factory() as db, db.begin():
            set_actor(db, Actor("bench"))
            got = service.access(db, scope=consumer, ident=contract_id, purpose="research")
            assert got.decision.allowed
        return time.perf_counter() - t0

    for _ in range(20):
        direct(), connector()
    plain, checked = [], []
    for _ in range(ACCESSES):
        plain.append(direct())
        checked.append(connector())
    with factory() as db:
        verified = ledger.verify(db, contract_id)
    emit(
        "connector_overhead_ms",
        (statistics.median(checked) - statistics.median(plain)) * 1000,
        "ms",
        direct_median_ms=round(statistics.median(plain) * 1000, 2),
        connector_median_ms=round(statistics.median(checked) * 1000, 2),
        accesses=ACCESSES,
        product_rows=PRODUCT_ROWS,
        database="sqlite",
        ledger_intact=verified.intact,
        ledger_entries=verified.entries,
    )


def bench_ngsi() -> None:
    from digipark.dataspace import ngsi, ngsi_context
    from digipark.registry.models import Device, Point
    from digipark.telemetry.provides import PointLatest

    folder = Path(tempfile.mkdtemp(prefix="bench-ngsi-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    core_db.use_engine(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    now_ms = int(time.time() * 1000)
    with factory() as db, db.begin():
        set_actor(db, Actor("bench"))
        park = registry.create_park(db, code="NGB", name="语境基准园区", name_en="NGB", region_code="320500")
        devices = [
            Device(park_id=park.id, code=f"M{i:05d}", name=f"电表{i}", kind="electricity_meter", token_hash=f"{i:064x}")
            for i in range(NGSI_ENTITIES)
        ]
        db.add_all(devices)
        db.flush()
        points = [
            Point(
                park_id=park.id,
                device_id=d.id,
                key="energy",
                name="电能",
                quantity="electric_energy",
                unit="kWh",
                device_class="energy",
            )
            for d in devices
        ]
        db.add_all(points)
        db.flush()
        db.add_all(PointLatest(point_id=p.id, ts=now_ms, value=float(p.id), quality=0) for p in points)
        park_id = park.id
    staff = system_scope(park_id)
    context = ngsi_context.platform_context("http://bench")
    times, cpu = [], []
    for n in range(NGSI_QUERIES + 5):
        t0, c0 = time.perf_counter(), time.process_time()
        with factory() as db:
            found = ngsi.query(
                db, scope=staff, context=context, types=["Device"], attrs=[], q=None, ids=[], id_pattern=None
            )
            body = [ngsi.compact(e, context) for e in found[:1000]]
        if n >= 5:
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    assert len(body) == NGSI_ENTITIES and "energy" in body[0]
    times.sort()
    emit(
        "ngsi_ld_query_p95_ms",
        times[int(0.95 * (len(times) - 1))] * 1000,
        "ms",
        entities=NGSI_ENTITIES,
        queries=NGSI_QUERIES,
        median_ms=round(statistics.median(times) * 1000, 2),
        cpu_median_ms=round(statistics.median(cpu) * 1000, 2),
        database="sqlite",
        http=False,
        load=os.getloadavg()[0],
    )


def main() -> None:
    progress("policy decisions ...")
    bench_policy()
    progress("ledger verification ...")
    bench_ledger()
    progress(f"cleaning pipeline over {PIPELINE_ROWS:,} rows ...")
    bench_pipeline()
    progress(f"row-dict cleaning over {PIPELINE_ROW_DICTS:,} rows ...")
    bench_pipeline_rows()
    bench_identifiers()
    progress("connector overhead ...")
    bench_connector()
    progress(f"NGSI-LD query of {NGSI_ENTITIES:,} devices ...")
    bench_ngsi()


if __name__ == "__main__":
    sys.exit(main())
