"""Benchmark: the economic dashboard of a park with 1,000 enterprises × 5 years of monthly statistics
(figure `economy_dashboard_ms`).

Runs on PostgreSQL, in a database of its own (`digipark_bench_economy` on the test server, or the database named
by DIGIPARK_BENCH_DATABASE_URL), migrated to head. The first run fills one park with 1,000 industrial
enterprises on 100 land parcels (200 buildings, some shared by several tenants) and 60 months of statistics per
enterprise (60,000 rows, bulk INSERTs, then VACUUM ANALYZE); later runs reuse it. Then it times the dashboard
service call for the latest month — totals and growth (同比, 环比, 累计同比) of every figure, year-to-date growth by
industry and by size, the 亩均 ranking, energy intensity, rankings and early warnings — 20 times after one
warm-up call, and prints the p95.

    .venv/bin/python bench/economy.py
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from typing import Any

os.environ.setdefault("DIGIPARK_LOG_LEVEL", "WARNING")

from _common import bench_database_url, emit, percentile, progress
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from digipark.audit.service import Actor, set_actor
from digipark.auth.scope import system_scope
from digipark.core import migrate
from digipark.core.codes import industries, make_uscc
from digipark.core.db import make_engine, utcnow
from digipark.economy import monitoring
from digipark.economy.models import MonthlyStatistic
from digipark.registry import service as registry
from digipark.registry.models import Building, Enterprise, Floor, LandParcel, Park, Room, Zone

PARK_CODE = "BENCH-ECON"
ENTERPRISES = 1_000
MONTHS = 60
PARCELS = 100
BUILDINGS_PER_PARCEL = 2
RUNS = 20
LAST = dt.date(2026, 10, 1)
SEED = 20261125
CHUNK = 5_000


def _month(period: dt.date, months: int) -> dt.date:
    index = period.year * 12 + period.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _chunks(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[start : start + CHUNK])


def _fill(session: Session) -> int:
    rng = random.Random(SEED)
    now = utcnow()
    stamp = {"created_at": now, "updated_at": now}
    park = registry.create_park(session, code=PARK_CODE, name="经济运行基准园区", region_code="320500")
    zone = Zone(park_id=park.id, code="Z1", name="一区", function="industrial")
    session.add(zone)
    session.flush()
    _chunks(
        session,
        LandParcel,
        [
            {
                **stamp,
                "park_id": park.id,
                "zone_id": zone.id,
                "code": f"P{i:03d}",
                "area_m2": rng.uniform(20_000, 60_000),
                "land_use": "M1",
            }
            for i in range(PARCELS)
        ],
    )
    parcels = list(session.scalars(select(LandParcel.id).where(LandParcel.park_id == park.id).order_by(LandParcel.id)))
    _chunks(
        session,
        Building,
        [
            {
                **stamp,
                "park_id": park.id,
                "zone_id": zone.id,
                "parcel_id": parcel,
                "code": f"B{i:03d}-{j}",
                "name": f"{i}号地块{j}号厂房",
                "floors": 3,
                "use": "factory",
                "gigabit_fibre": True,
                "coverage_5g": True,
            }
            for i, parcel in enumerate(parcels)
            for j in range(BUILDINGS_PER_PARCEL)
        ],
    )
    buildings = list(session.scalars(select(Building.id).where(Building.park_id == park.id).order_by(Building.id)))
    _chunks(session, Floor, [{**stamp, "park_id": park.id, "building_id": b, "level": 1} for b in buildings])
    floors = dict(session.execute(select(Floor.building_id, Floor.id).where(Floor.park_id == park.id)).all())
    divisions = [i.code for i in industries("division", section="C")]
    _chunks(
        session,
        Enterprise,
        [
            {
                **stamp,
                "park_id": park.id,
                "name": f"基准企业{n:04d}有限公司",
                "uscc": make_uscc("9", "1", "320500", f"MA{n:06d}"),
                "industry_code": rng.choice(divisions),
                "above_scale": rng.random() < 0.6,
                "industrial": True,
                "employees": int(rng.lognormvariate(4.5, 1.0)) + 5,
                "status": "active",
            }
            for n in range(ENTERPRISES)
        ],
    )
    enterprises = list(
        session.execute(
            select(Enterprise.id, Enterprise.employees).where(Enterprise.park_id == park.id).order_by(Enterprise.id)
        ).all()
    )
    rooms = []
    for n, (ident, _employees) in enumerate(enterprises):
        building = buildings[n % len(buildings)]  # five tenants per building: parcels are shared
        rooms.append(
            {
                **stamp,
                "park_id": park.id,
                "building_id": building,
                "floor_id": floors[building],
                "code": f"R{n:04d}",
                "area_m2": rng.uniform(300, 5000),
                "enterprise_id": ident,
            }
        )
    _chunks(session, Room, rooms)
    first = _month(LAST, -(MONTHS - 1))
    rows = []
    for n, (ident, employees) in enumerate(enterprises):
        growth = rng.uniform(0.03, 0.12)
        monthly = employees * rng.uniform(60, 250) / 12
        declining = n % 200 == 0
        for index in range(MONTHS):
            period = _month(first, index)
            output = monthly * (1 + growth) ** (index / 12) * rng.gauss(1.0, 0.05)
            if declining and index >= MONTHS - 3:
                output *= 0.45
            if period.month == 2:
                output *= 0.75
            rows.append(
                {
                    **stamp,
                    "park_id": park.id,
                    "enterprise_id": ident,
                    "period": period,
                    "output_value_wan_yuan": output,
                    "sales_revenue_wan_yuan": output * 0.97,
                    "tax_paid_wan_yuan": output * 0.045,
                    "total_profit_wan_yuan": output * 0.07,
                    "employees": employees,
                    "rnd_spending_wan_yuan": output * 0.04,
                    "electricity_kwh": output * rng.uniform(250, 450),
                    "export_value_wan_yuan": output * 0.2,
                    "source": "import",
                    "revision": 0,
                    "submitted_by": "bench",
                    "submitted_at": now,
                }
            )
    _chunks(session, MonthlyStatistic, rows)
    return park.id


def _park(engine: Engine) -> int:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session, session.begin():
        set_actor(session, Actor("bench"))
        park_id = session.scalar(select(Park.id).where(Park.code == PARK_CODE))
        if park_id is not None:
            rows = (
                session.scalar(
                    select(func.count()).select_from(MonthlyStatistic).where(MonthlyStatistic.park_id == park_id)
                )
                or 0
            )
            if rows == ENTERPRISES * MONTHS:
                progress(f"reusing park {PARK_CODE} with {rows:,} monthly statistics")
                return park_id
            raise SystemExit(f"park {PARK_CODE} exists with {rows} statistics; drop the bench database")
        progress(f"filling park {PARK_CODE}: {ENTERPRISES:,} enterprises × {MONTHS} months ...")
        started = time.perf_counter()
        park_id = _fill(session)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    progress(f"filled in {time.perf_counter() - started:.1f} s")
    return park_id


def main() -> None:
    url = bench_database_url("digipark_bench_economy")
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        park_id = _park(engine)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE monthly_statistic"))
        scope = system_scope(park_id)
        factory = sessionmaker(bind=engine)
        timings = []
        with factory() as session:
            found = monitoring.dashboard(session, scope=scope, period=LAST)  # warm-up: caches, connection
            progress(
                f"{found.reporting} enterprises reporting, {len(found.land.ranked)} ranked by 亩均, "
                f"{len(found.warnings)} warnings"
            )
            for _ in range(RUNS):
                started = time.perf_counter()
                monitoring.dashboard(session, scope=scope, period=LAST)
                timings.append((time.perf_counter() - started) * 1000)
                session.rollback()
        emit(
            "economy_dashboard_ms",
            percentile(timings, 0.95),
            "ms",
            enterprises=ENTERPRISES,
            months=MONTHS,
            database="postgresql",
            runs=RUNS,
            median_ms=round(percentile(timings, 0.5), 2),
        )
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
