"""Query benchmark: one year of 15 min data of 2,000 cumulative meters (≈ 70 M readings) in PostgreSQL, then
the park-wide daily energy chart for the year and one meter's one-year chart (resolution auto), each through
the service function the API uses, p95 over >= 50 runs.

    .venv/bin/python bench/query.py              # builds digipark_bench_query once (reused later), measures
    .venv/bin/python bench/query.py --meters 50  # a quick run (a database of its own per meter count)

Build: readings are generated server-side (generate_series) month by month into plain tables that are indexed
after loading and attached as partitions; rollups are computed set-based (15 min from raw; 1 h, 1 d, 1 mo each
from the level below). Meters follow a daily load curve, so the park's daily totals are all equal; what is
measured is the time, not the shape.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bench_database_url, emit, percentile, progress

from digipark.audit.service import Actor, set_actor
from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core import migrate
from digipark.core.db import make_engine, utcnow
from digipark.registry import service as registry
from digipark.registry.models import Device, Park, Point
from digipark.telemetry.models import ROLLUP_TABLES, Resolution, RollupGroup
from digipark.telemetry.rollups import GROUP_LEVELS, M15_MS, bucket_map
from digipark.telemetry.store import month_start_utc, next_month_utc, partition_name

PARK_CODE = "QBENCH"
YEAR_START = int(dt.datetime(2025, 1, 1, tzinfo=dt.UTC).timestamp() * 1000)
YEAR_END = int(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp() * 1000)


def _park(session: Session) -> Park | None:
    return session.scalar(select(Park).where(Park.code == PARK_CODE))


def build(engine: Engine, meters: int) -> None:
    with Session(engine) as session, session.begin():
        park = _park(session)
        if park is None:
            set_actor(session, Actor("bench"))
            park = registry.create_park(session, code=PARK_CODE, name="查询基准园区", region_code="320500")
            now = utcnow()
            session.execute(
                insert(Device),
                [
                    {
                        "park_id": park.id,
                        "code": f"QM{i:05d}",
                        "name": f"电表 {i}",
                        "kind": "electricity_meter",
                        "protocol": "mqtt",
                        "status": "active",
                        "token": f"qbench-{i:06d}",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in range(meters)
                ],
            )
            devices = session.scalars(select(Device.id).where(Device.park_id == park.id)).all()
            session.execute(
                insert(Point),
                [
                    {
                        "park_id": park.id,
                        "device_id": device,
                        "key": "energy_kwh",
                        "name": "正向有功总电能",
                        "quantity": "electric_energy",
                        "unit": "kWh",
                        "device_class": "energy",
                        "state_class": "total_increasing",
                        "expected_interval_s": 900,
                        "valid_min": 0,
                        "valid_max": 1e10,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for device in devices
                ],
            )
        park_id = park.id
    started = time.perf_counter()
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("SET maintenance_work_mem = '512MB'"))
        conn.execute(text("SET work_mem = '256MB'"))
        # bulk load: no per-row foreign-key triggers (every point id comes from `point` itself)
        conn.execute(text("SET session_replication_role = replica"))
        points = f"(SELECT id, (id % 97) * 0.01 + 0.5 AS rate FROM point WHERE park_id = {park_id})"
        month = month_start_utc(YEAR_START)
        while month < YEAR_END:
            end = next_month_utc(month)
            name = partition_name(month)
            attached = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_inherits WHERE inhparent = 'reading'::regclass "
                    "AND inhrelid = to_regclass(:n)"
                ),
                {"n": name},
            )
            if not attached:
                progress(f"readings {name} ...")
                conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
                conn.execute(text(f"CREATE TABLE {name} (LIKE reading INCLUDING DEFAULTS)"))
                # cumulative register: rate * (k + 3 sin(2πk/96)), k = quarter-hours since the year's start
                conn.execute(
                    text(
                        f"""
                        INSERT INTO {name} (point_id, ts, value, quality)
                        SELECT p.id, t, p.rate * (k + 3 * sin(2 * pi() * k / 96)), 0
                        FROM {points} p
                        CROSS JOIN generate_series({month}::bigint, {end - M15_MS}::bigint, {M15_MS}::bigint) AS t
                        CROSS JOIN LATERAL (SELECT (t - {YEAR_START}) / {M15_MS} AS k) kk
                        ORDER BY p.id, t
                        """
                    )
                )
                conn.execute(text(f"ALTER TABLE {name} ADD CONSTRAINT {name}_ts CHECK (ts >= {month} AND ts < {end})"))
                conn.execute(text(f"CREATE UNIQUE INDEX {name}_pkey ON {name} (point_id, ts)"))
                conn.execute(text(f"ALTER TABLE reading ATTACH PARTITION {name} FOR VALUES FROM ({month}) TO ({end})"))
                conn.execute(text(f"ALTER TABLE {name} DROP CONSTRAINT {name}_ts"))
            month = end
        if not conn.scalar(
            text(
                "SELECT EXISTS (SELECT 1 FROM rollup_15m WHERE point_id IN (SELECT id FROM point WHERE park_id = :p))"
            ),
            {"p": park_id},
        ):
            progress("rollup_15m from raw ...")
            conn.execute(
                text(
                    f"""
                    INSERT INTO rollup_15m
                    SELECT r.point_id, r.ts - mod(r.ts, {M15_MS}), 1, 0, r.value, r.value, r.value, r.ts, r.value,
                           r.ts, r.value,
                           coalesce(r.value - lag(r.value) OVER (PARTITION BY r.point_id ORDER BY r.ts), 0)
                    FROM reading r WHERE r.point_id IN (SELECT id FROM point WHERE park_id = :p)
                    """
                ),
                {"p": park_id},
            )
            below, below_level = "rollup_15m", Resolution.M15
            subs = list(range(YEAR_START, YEAR_END, M15_MS))
            for level, table in (
                (Resolution.H1, "rollup_1h"),
                (Resolution.D1, "rollup_1d"),
                (Resolution.MO1, "rollup_1mo"),
            ):
                progress(f"{table} from {below} ...")
                subs = sorted(set(bucket_map(below_level, subs)[1]))
                mapped, starts, _ends = bucket_map(level, subs)
                conn.execute(text("DROP TABLE IF EXISTS _bench_map"))
                conn.execute(text("CREATE TEMP TABLE _bench_map (sub bigint PRIMARY KEY, start bigint)"))
                conn.execute(
                    text("INSERT INTO _bench_map SELECT * FROM unnest(CAST(:a AS bigint[]), CAST(:b AS bigint[]))"),
                    {"a": mapped, "b": starts},
                )
                conn.execute(
                    text(
                        f"""
                        INSERT INTO {table}
                        SELECT g.point_id, g.start, g.count, g.bad_count, g.min, g.max, g.sum, g.first_ts,
                               f.first_value, g.last_ts, l.last_value, g.delta
                        FROM (
                            SELECT s.point_id, m.start, sum(s.count) AS count, sum(s.bad_count) AS bad_count,
                                   min(s.min) AS min, max(s.max) AS max, sum(s.sum) AS sum,
                                   min(s.first_ts) AS first_ts, max(s.last_ts) AS last_ts, sum(s.delta) AS delta,
                                   min(s.bucket) AS fb, max(s.bucket) AS lb
                            FROM {below} s JOIN _bench_map m ON m.sub = s.bucket
                            WHERE s.point_id IN (SELECT id FROM point WHERE park_id = :p)
                            GROUP BY s.point_id, m.start
                        ) g
                        JOIN {below} f ON f.point_id = g.point_id AND f.bucket = g.fb
                        JOIN {below} l ON l.point_id = g.point_id AND l.bucket = g.lb
                        """
                    ),
                    {"p": park_id},
                )
                below, below_level = table, level
            progress("vacuum analyze ...")
            for table in ("reading", "rollup_15m", "rollup_1h", "rollup_1d", "rollup_1mo", "point"):
                conn.execute(text(f"VACUUM ANALYZE {table}"))
        RollupGroup.__table__.create(conn, checkfirst=True)
        if not conn.scalar(text("SELECT EXISTS (SELECT 1 FROM rollup_group WHERE park_id = :p)"), {"p": park_id}):
            progress("rollup_group from rollup_1d, rollup_1mo ...")
            for level in GROUP_LEVELS:
                recompute = f"""
                    INSERT INTO rollup_group
                    SELECT p.park_id, coalesce(p.enterprise_id, 0), p.quantity, '{level.value}', r.bucket,
                           sum(r.count), sum(r.bad_count), min(r.min), max(r.max), sum(r.sum), sum(r.delta)
                    FROM {ROLLUP_TABLES[level].__tablename__} r JOIN point p ON p.id = r.point_id
                    WHERE p.park_id = :p
                    GROUP BY 1, 2, 3, 4, 5
                """
                conn.execute(text(recompute), {"p": park_id})
            conn.execute(text("VACUUM ANALYZE rollup_group"))
    progress(f"built in {time.perf_counter() - started:.0f} s")


def measure(engine: Engine, runs: int, meters: int) -> None:
    from digipark.telemetry import query

    with Session(engine) as session:
        park = _park(session)
        assert park is not None
        points = session.scalars(select(Point.id).where(Point.park_id == park.id)).all()
        readings = session.scalar(text("SELECT reltuples::bigint FROM pg_class WHERE relname = 'reading'")) or 0
        scope = Scope.for_user(role=Role.PARK_ADMIN, username="bench", user_id=None, park_id=park.id)
        start, end = YEAR_START, YEAR_END
        query.park_series(
            session,
            scope=scope,
            park_id=park.id,
            quantity="electric_energy",
            from_ms=start,
            to_ms=end,
            resolution="1d",
            agg="delta",
        )  # warm
        daily: list[float] = []
        for _ in range(runs):
            t0 = time.perf_counter()
            series = query.park_series(
                session,
                scope=scope,
                park_id=park.id,
                quantity="electric_energy",
                from_ms=start,
                to_ms=end,
                resolution="1d",
                agg="delta",
            )
            daily.append((time.perf_counter() - t0) * 1000)
            session.rollback()
        assert len(series.points) >= 365, len(series.points)
        rng = random.Random(4)
        single: list[float] = []
        for _ in range(runs):
            pid = rng.choice(points)
            t0 = time.perf_counter()
            one = query.point_series(session, scope=scope, point_id=pid, from_ms=start, to_ms=end)
            single.append((time.perf_counter() - t0) * 1000)
            session.rollback()
        assert one.resolution == Resolution.D1.value, one.resolution
    context = {"meters": meters, "readings": int(readings), "runs": runs, "target_ms": 100}
    emit("query_park_daily_p95_ms", percentile(daily, 0.95), "ms", **context, p50_ms=round(percentile(daily, 0.5), 2))
    emit("query_point_year_p95_ms", percentile(single, 0.95), "ms", **context, p50_ms=round(percentile(single, 0.5), 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    name = "digipark_bench_query" if args.meters == 2000 else f"digipark_bench_query_{args.meters}"
    url = bench_database_url(name)
    engine = make_engine(url)
    with engine.connect() as conn:
        built = conn.scalar(text("SELECT to_regclass('reading') IS NOT NULL"))
    if not built:  # a filled database is reused as it is (its schema is that of the run that built it)
        migrate.upgrade(url)
    try:
        build(engine, args.meters)
        if not args.build_only:
            measure(engine, args.runs, args.meters)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
