"""Benchmark: a park's raw readings on another PostgreSQL server (postgres_fdw foreign partitions, telemetry.shards).

Three PostgreSQL 15 servers of their own on loopback ports (tests/shard_harness.py): the coordinator (migrated) and
two servers for parks' readings. Park A stays on the coordinator, park B goes to server 1 and park C to server 2
(`shards.attach`, timed with the readings it moves). Each park has `--points` power points.

Figures (each with the load average, the machine is shared; every server runs with fsync off, as the local
cluster's):
- `shard_ingest_dp_per_s` — `store.write_readings` (the ingest's store: readings, 15 min to 1 month rollups,
  latest values) of `--hours` hours of one reading a minute per point, one batch per hour of data, for the local
  park (`partition: local`, binary COPY) and for a park on server 1 (`partition: foreign`, COPY into a temporary
  table and one INSERT … SELECT routed to the foreign partition, sent in batches of `batch_size`);
- `shard_raw_insert_dp_per_s` — `--raw-hours` hours of readings written alone, without rollups, three ways:
  COPY into `reading` for the local park, COPY into `reading` routed to the foreign partition (`method: copy`, one
  remote INSERT a row in PostgreSQL 15), and INSERT … SELECT from a temporary table (`method: insert_select`,
  batched): why the store writes a foreign park's readings the second way;
- `shard_point_day_p95_ms` — one point's raw readings over one day (`query.point_series`, resolution raw: what
  the API's point history runs), local vs foreign; `shard_point_year_p95_ms` — the same point over a year at
  resolution auto (read from the rollups, which stay on the coordinator);
- `shard_park_aggregate_p95_ms` — count and average of a park's raw readings over the day (`WHERE park_id = …`:
  the planner keeps that park's partition only; `pruned_to` says which), local vs foreign (the aggregate runs on
  the other server, postgres_fdw pushes it down), and over parks B and C together (two foreign servers) with the
  foreign servers' `async_capable` on (both scanned at once) and off (one after the other);
- `shard_attach_s` — `shards.attach` of a park with readings (moved to server 2).

    .venv/bin/python bench/shard.py [--points 20] [--hours 24] [--raw-hours 6] [--repeat 30] [--base-port 24800]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import emit, percentile, progress
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from tests.shard_harness import attach, missing_binaries, park_with_points, servers

from digipark.auth.scope import system_scope
from digipark.telemetry import query, shards
from digipark.telemetry.store import write_readings

T0 = 1_796_083_200_000  # 2026-12-01T00:00:00Z
MINUTE = 60_000
HOUR = 3_600_000
DAY = 86_400_000
YEAR = 365 * DAY


def load() -> float:
    return round(os.getloadavg()[0], 1)


def hourly_batches(points: list[int], start: int, hours: int) -> list[list[tuple[int, int, float, int]]]:
    return [
        [
            (pid, start + h * HOUR + m * MINUTE, float((pid * 7 + h * 60 + m) % 500), 0)
            for m in range(60)
            for pid in points
        ]
        for h in range(hours)
    ]


def ingest(engine: Engine, batches: list[list[tuple[int, int, float, int]]]) -> float:
    started = time.perf_counter()
    for batch in batches:
        with Session(engine) as db, db.begin():
            write_readings(db, batch)
    return sum(len(batch) for batch in batches) / (time.perf_counter() - started)


def raw_insert(engine: Engine, rows: list[tuple[int, int, float, int, int]], method: str) -> float:
    """Readings (with park) written alone: COPY into `reading`, or COPY into a temporary table and INSERT … SELECT."""
    started = time.perf_counter()
    with engine.begin() as conn:
        cursor: Any = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        target = "reading"
        if method == "insert_select":
            cursor.execute("CREATE TEMP TABLE _bench_far (LIKE reading) ON COMMIT DROP")
            target = "_bench_far"
        with cursor.copy(f"COPY {target} (point_id, ts, value, quality, park_id) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "int8", "float8", "int2", "int4"])
            for row in rows:
                copy.write_row(row)
        if method == "insert_select":
            cursor.execute("INSERT INTO reading SELECT * FROM _bench_far")
    return len(rows) / (time.perf_counter() - started)


def p95_ms(repeat: int, run: Callable[[], Any]) -> float:
    run()  # connections and caches warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 0.95)


def set_async(engine: Engine, value: str) -> None:
    """`async_capable` of every foreign server of parks' readings."""
    with engine.begin() as conn:
        for server in {shard.server for shard in shards.shards(Session(bind=conn))}:
            conn.execute(text(f"ALTER SERVER \"{server}\" OPTIONS (SET async_capable '{value}')"))


def park_aggregate(engine: Engine, where: str, partitionwise: bool) -> Callable[[], None]:
    def run() -> None:
        with engine.connect() as conn:
            if partitionwise:  # each partition's aggregate computed on its server, then combined
                conn.execute(text("SET enable_partitionwise_aggregate = on"))
            conn.execute(text(f"SELECT count(*), avg(value) FROM reading WHERE {where}")).one()
            if partitionwise:
                conn.execute(text("RESET enable_partitionwise_aggregate"))

    return run


def pruned_to(engine: Engine, where: str, partitionwise: bool = False) -> list[str]:
    """The tables the plan of the aggregate reads (partition pruning: only the named parks' partitions)."""
    with engine.connect() as conn:
        if partitionwise:
            conn.execute(text("SET enable_partitionwise_aggregate = on"))
        plan = conn.execute(
            text(f"EXPLAIN (FORMAT JSON) SELECT count(*), avg(value) FROM reading WHERE {where}")
        ).scalar_one()
        if partitionwise:
            conn.execute(text("RESET enable_partitionwise_aggregate"))
    found: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if "Relation Name" in node:
            found.append(node["Relation Name"])
        if "Relations" in node:  # a pushed-down aggregate: "Aggregate on (reading_park_7 reading)"
            found.extend(word for word in node["Relations"].replace("(", " ").split() if word.startswith("reading_"))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return sorted(set(found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--raw-hours", type=int, default=6, help="hours of readings of the raw insert figures")
    parser.add_argument("--base-port", type=int, default=24800)
    args = parser.parse_args()
    missing = missing_binaries()
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}")
    base = {"points": args.points, "pg": "15, fsync off, loopback"}
    with tempfile.TemporaryDirectory(prefix="digipark-bench-shard-") as tmp:
        progress("starting 3 PostgreSQL servers, migrating the coordinator")
        with servers(Path(tmp), args.base_port, shard_count=2) as running:
            engine = running.engine
            park_a, points_a = park_with_points(engine, "BA", args.points)
            park_b, points_b = park_with_points(engine, "BB", args.points)
            park_c, points_c = park_with_points(engine, "BC", args.points)
            park_d, points_d = park_with_points(engine, "BD", args.points)
            attach(engine, park_b, running.shard_urls[0])
            attach(engine, park_c, running.shard_urls[1])

            progress("ingest")
            readings = args.points * 60 * args.hours
            for partition, points in (("local", points_a), ("foreign", points_b), ("local", points_d)):
                rate = ingest(engine, hourly_batches(points, T0, args.hours))
                emit(
                    "shard_ingest_dp_per_s",
                    rate,
                    "dp/s",
                    partition=partition,
                    readings=readings,
                    batch=args.points * 60,
                    load=load(),
                    **base,
                )
            ingest(engine, hourly_batches(points_c, T0, args.hours))

            progress("raw inserts")
            later = T0 + args.hours * HOUR
            for park, points, method, partition in (
                (park_a, points_a, "copy", "local"),
                (park_b, points_b, "insert_select", "foreign"),
                (park_c, points_c, "copy", "foreign"),
            ):
                rows = [
                    (pid, ts, value, 0, park)
                    for batch in hourly_batches(points, later, args.raw_hours)
                    for pid, ts, value, _ in batch
                ]
                rate = raw_insert(engine, rows, method)
                emit(
                    "shard_raw_insert_dp_per_s",
                    rate,
                    "dp/s",
                    partition=partition,
                    method=method,
                    readings=len(rows),
                    load=load(),
                    **base,
                )

            progress("queries")
            for partition, park, point in (("local", park_a, points_a[0]), ("foreign", park_b, points_b[0])):
                scope = system_scope(park)

                def day(point: int = point, scope: Any = scope) -> None:
                    with Session(engine) as db:
                        series = query.point_series(
                            db, scope=scope, point_id=point, from_ms=T0, to_ms=T0 + DAY, resolution="raw"
                        )
                        assert series.points

                def year(point: int = point, scope: Any = scope) -> None:
                    with Session(engine) as db:
                        query.point_series(db, scope=scope, point_id=point, from_ms=T0 + DAY - YEAR, to_ms=T0 + DAY)

                emit(
                    "shard_point_day_p95_ms",
                    p95_ms(args.repeat, day),
                    "ms",
                    partition=partition,
                    rows=min(args.hours, 24) * 60,
                    load=load(),
                    **base,
                )
                emit(
                    "shard_point_year_p95_ms",
                    p95_ms(args.repeat, year),
                    "ms",
                    partition=partition,
                    resolution="auto (rollups)",
                    load=load(),
                    **base,
                )

            window = f"ts >= {T0} AND ts < {T0 + DAY}"
            two = f"park_id IN ({park_b}, {park_c})"
            for label, where, async_capable, partitionwise in (
                ("local", f"park_id = {park_a}", None, False),
                ("foreign", f"park_id = {park_b}", None, False),
                ("two foreign servers", two, "true", False),
                ("two foreign servers", two, "false", False),
                ("two foreign servers", two, "true", True),
            ):
                if async_capable is not None:
                    set_async(engine, async_capable)
                aggregate = park_aggregate(engine, f"{where} AND {window}", partitionwise)
                extra: dict[str, Any] = {"async_capable": async_capable} if async_capable else {}
                if partitionwise:
                    extra["enable_partitionwise_aggregate"] = "on"
                emit(
                    "shard_park_aggregate_p95_ms",
                    p95_ms(args.repeat, aggregate),
                    "ms",
                    parks=label,
                    rows_per_park=args.points * 60 * min(args.hours, 24),
                    pruned_to=pruned_to(engine, f"{where} AND {window}", partitionwise),
                    **extra,
                    load=load(),
                    **base,
                )

            progress("attach with readings")
            with engine.connect() as conn:
                local = conn.execute(text("SELECT count(*) FROM reading_partitions.reading_local")).scalar_one()
            started = time.perf_counter()
            moved = attach(engine, park_d, running.shard_urls[1])
            emit(
                "shard_attach_s",
                time.perf_counter() - started,
                "s",
                readings_moved=moved.readings,
                local_readings_before=local,
                load=load(),
                **base,
            )


if __name__ == "__main__":
    main()
