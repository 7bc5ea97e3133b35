"""Benchmark: carbon accounting of a park of 500 enterprises × 12 months from meter rollups and manual entries
(figure `carbon_park_year_s`, target < 2 s) and one enterprise's carbon report (figure `carbon_report_s`, the
account with its calculation rendered as PDF, target < 1 s).

Runs on PostgreSQL, in a database of its own (`digipark_bench_carbon` on the test server, or the database named
by DIGIPARK_BENCH_DATABASE_URL), migrated to head. The first run fills one park (bulk INSERTs, then VACUUM
ANALYZE); later runs reuse it: 500 enterprises (400 industrial), each with an electricity meter (a cumulative
register point) and half of them a gas meter, 24 months of `rollup_1mo` rows per point (the accounted year and
the year before, for year-on-year), sub-meters and a virtual meter for a tenth of them, manual monthly entries
(bituminous coal for a quarter of the industrial enterprises, diesel for all of them), process declarations, and
24 months of monthly statistics (output value, for the intensity). `energy.service.park_summary` (totals on both
bases, by source, carrier and industry, months, ranking, yoy, intensity) is timed 10 times after a warm-up and
its p95 printed; then `enterprise_account` + the PDF report of one enterprise, 10 times, p95.

    .venv/bin/python bench/carbon.py
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
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
from digipark.economy.models import MonthlyStatistic
from digipark.energy import report, service
from digipark.energy.models import CarbonDeclaration, EnergyEntry, EnergyMeter
from digipark.registry import service as registry
from digipark.registry.models import Device, Enterprise, Park, Point
from digipark.telemetry.models import Rollup1mo

PARK_CODE = "BENCH-CARBON"
ENTERPRISES = 500
INDUSTRIAL = 400
YEAR = 2025
RUNS = 10
SEED = 20261129
CHUNK = 5_000


def _chunks(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[start : start + CHUNK])


def _fill(session: Session) -> int:
    rng = random.Random(SEED)
    now = utcnow()
    stamp = {"created_at": now, "updated_at": now}
    park = registry.create_park(session, code=PARK_CODE, name="碳核算基准园区", region_code="320500")
    divisions = [i.code for i in industries("division", "C")][:30]
    _chunks(
        session,
        Enterprise,
        [
            {
                **stamp,
                "park_id": park.id,
                "name": f"碳基准企业{n:04d}",
                "uscc": make_uscc("9", "1", "320500", f"CB{n:06d}"),
                "industry_code": divisions[n % len(divisions)] if n < INDUSTRIAL else "72",
                "above_scale": n % 3 == 0,
                "industrial": n < INDUSTRIAL,
                "employees": 50 + n % 500,
                "status": "active",
            }
            for n in range(ENTERPRISES)
        ],
    )
    enterprises = list(
        session.scalars(select(Enterprise.id).where(Enterprise.park_id == park.id).order_by(Enterprise.id))
    )
    _chunks(
        session,
        Device,
        [
            {
                **stamp,
                "park_id": park.id,
                "enterprise_id": e,
                "code": f"M{i:04d}",
                "name": "能源表计",
                "kind": "electricity_meter",
                "protocol": "dlt645",
                "status": "active",
                "token": secrets.token_hex(16),
            }
            for i, e in enumerate(enterprises)
        ],
    )
    devices = dict(session.execute(select(Device.enterprise_id, Device.id).where(Device.park_id == park.id)).all())
    points: list[dict[str, Any]] = []
    for i, e in enumerate(enterprises):
        base = {
            **stamp,
            "park_id": park.id,
            "enterprise_id": e,
            "device_id": devices[e],
            "state_class": "total_increasing",
            "expected_interval_s": 900,
            "valid_min": 0.0,
            "valid_max": 1e10,
        }
        points.append(
            {
                **base,
                "key": "energy_kwh",
                "name": "正向有功总电能",
                "quantity": "electric_energy",
                "unit": "kWh",
                "device_class": "energy",
            }
        )
        points.append(
            {
                **base,
                "key": "sub_kwh",
                "name": "车间分表",
                "quantity": "electric_energy",
                "unit": "kWh",
                "device_class": "energy",
            }
        )
        if i % 2 == 0:
            points.append(
                {
                    **base,
                    "key": "gas_m3",
                    "name": "累计气量",
                    "quantity": "gas_volume",
                    "unit": "m³",
                    "device_class": "gas",
                }
            )
    _chunks(session, Point, points)
    point_rows = session.execute(select(Point.id, Point.enterprise_id, Point.key).where(Point.park_id == park.id)).all()
    meters: list[dict[str, Any]] = []
    for point_id, e, key in point_rows:
        carrier = "natural_gas" if key == "gas_m3" else "electricity"
        meters.append(
            {
                **stamp,
                "park_id": park.id,
                "enterprise_id": e,
                "code": f"EM-{point_id}",
                "name": key,
                "level": "sub" if key == "sub_kwh" else "enterprise",
                "carrier": carrier,
                "flow": "purchased",
                "source": "telemetry",
                "unit": "m³" if carrier == "natural_gas" else "kWh",
                "point_id": point_id,
                "terms": [],
                "flexible_share": 0.1,
                "active": True,
            }
        )
    _chunks(session, EnergyMeter, meters)
    by_point = dict(
        session.execute(select(EnergyMeter.point_id, EnergyMeter.id).where(EnergyMeter.park_id == park.id)).all()
    )
    virtual = []
    for point_id, e, key in point_rows:
        if key == "sub_kwh" and e % 10 == 0:
            main = next(p for p, owner, k in point_rows if owner == e and k == "energy_kwh")
            virtual.append(
                {
                    **stamp,
                    "park_id": park.id,
                    "enterprise_id": e,
                    "code": f"V-{e}",
                    "name": "其他用电",
                    "level": "sub",
                    "carrier": "electricity",
                    "flow": "purchased",
                    "source": "virtual",
                    "unit": "kWh",
                    "terms": [{"meter_id": by_point[main], "sign": 1}, {"meter_id": by_point[point_id], "sign": -1}],
                    "flexible_share": 0.0,
                    "active": True,
                }
            )
    _chunks(session, EnergyMeter, virtual)
    rollups = []
    for point_id, _e, key in point_rows:
        size = rng.uniform(20_000, 400_000) if key != "gas_m3" else rng.uniform(2_000, 30_000)
        register = rng.uniform(0, 1e6)
        for year in (YEAR - 1, YEAR):
            for month in range(1, 13):
                start = int(dt.datetime(year, month, 1, tzinfo=service.local_zone()).timestamp() * 1000)
                delta = size * rng.uniform(0.8, 1.2) * (0.4 if key == "sub_kwh" else 1.0)
                register += delta
                rollups.append(
                    {
                        "point_id": point_id,
                        "bucket": start,
                        "count": 720,
                        "bad_count": 0,
                        "min": register - delta,
                        "max": register,
                        "sum": register * 720,
                        "first_ts": start,
                        "first_value": register - delta,
                        "last_ts": start + 86_400_000 * 27,
                        "last_value": register,
                        "delta": delta,
                    }
                )
    _chunks(session, Rollup1mo, rollups)
    entries, declarations, statistics = [], [], []
    for n, e in enumerate(enterprises):
        industrial = n < INDUSTRIAL
        for year in (YEAR - 1, YEAR):
            for month in range(1, 13):
                period = dt.date(year, month, 1)
                statistics.append(
                    {
                        **stamp,
                        "park_id": park.id,
                        "enterprise_id": e,
                        "period": period,
                        "output_value_wan_yuan": rng.uniform(200, 3000),
                        "sales_revenue_wan_yuan": rng.uniform(200, 3000),
                        "tax_paid_wan_yuan": rng.uniform(5, 100),
                        "total_profit_wan_yuan": rng.uniform(-10, 200),
                        "employees": 50 + n % 500,
                        "rnd_spending_wan_yuan": 0.0,
                        "electricity_kwh": 0.0,
                        "export_value_wan_yuan": 0.0,
                        "source": "online",
                        "revision": 0,
                        "submitted_by": "bench",
                        "submitted_at": now,
                    }
                )
                if not industrial:
                    continue
                common = {
                    **stamp,
                    "park_id": park.id,
                    "enterprise_id": e,
                    "flow": "purchased",
                    "period": period,
                    "evidence_size": 0,
                    "entered_by": "bench",
                    "entered_at": now,
                }
                diesel = rng.uniform(0.5, 4)
                entries.append(
                    {**common, "carrier": "diesel", "quantity": diesel, "entered_quantity": diesel, "entered_unit": "t"}
                )
                if n % 4 == 0:
                    coal = rng.uniform(20, 200)
                    entries.append(
                        {
                            **common,
                            "carrier": "bituminous",
                            "quantity": coal,
                            "entered_quantity": coal,
                            "entered_unit": "t",
                        }
                    )
                declarations.append(
                    {
                        **stamp,
                        "park_id": park.id,
                        "enterprise_id": e,
                        "period": period,
                        "process_material": "caco3" if n % 20 == 0 else None,
                        "process_quantity_t": rng.uniform(10, 100) if n % 20 == 0 else None,
                        "product_output_t": rng.uniform(100, 1000),
                        "declared_by": "bench",
                    }
                )
    _chunks(session, EnergyEntry, entries)
    _chunks(session, CarbonDeclaration, declarations)
    _chunks(session, MonthlyStatistic, statistics)
    return park.id


def _park(engine: Engine) -> int:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session, session.begin():
        set_actor(session, Actor("bench"))
        park_id = session.scalar(select(Park.id).where(Park.code == PARK_CODE))
        if park_id is not None:
            count = session.scalar(select(func.count()).select_from(Enterprise).where(Enterprise.park_id == park_id))
            if count == ENTERPRISES:
                progress(f"reusing park {PARK_CODE} with {count:,} enterprises")
                return park_id
            raise SystemExit(f"park {PARK_CODE} exists with {count} enterprises; drop the bench database")
        progress(f"filling park {PARK_CODE}: {ENTERPRISES:,} enterprises, meters, rollups, entries ...")
        started = time.perf_counter()
        park_id = _fill(session)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    progress(f"filled in {time.perf_counter() - started:.1f} s")
    return park_id


def main() -> None:
    url = bench_database_url("digipark_bench_carbon")
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        park_id = _park(engine)
        scope = system_scope(park_id)
        factory = sessionmaker(bind=engine)
        with factory() as session:
            found = service.park_summary(session, scope=scope, park_id=park_id, year=YEAR)  # warm-up
            progress(
                f"{found.enterprises} enterprises: {found.tce_equivalent:,.0f} tce (当量值), "
                f"{found.tce_equal:,.0f} tce (等价值), {found.tco2:,.0f} tCO2, yoy {found.yoy_tco2_pct} %"
            )
            timings = []
            for _ in range(RUNS):
                started = time.perf_counter()
                service.park_summary(session, scope=scope, park_id=park_id, year=YEAR)
                timings.append(time.perf_counter() - started)
                session.rollback()
            emit(
                "carbon_park_year_s",
                percentile(timings, 0.95),
                "s",
                enterprises=found.enterprises,
                months=12,
                database="postgresql",
                runs=RUNS,
                median_s=round(percentile(timings, 0.5), 3),
                target_s=2,
            )
            enterprise = session.scalar(
                select(Enterprise.id).where(Enterprise.park_id == park_id).order_by(Enterprise.id)
            )
            assert enterprise is not None
            report_timings = []
            size = 0
            for _ in range(RUNS + 1):
                started = time.perf_counter()
                account = service.enterprise_account(session, scope=scope, enterprise_id=enterprise, year=YEAR)
                content, _, _ = report.render(account, "pdf", "zh")
                report_timings.append(time.perf_counter() - started)
                size = len(content)
                session.rollback()
            emit(
                "carbon_report_s",
                percentile(report_timings[1:], 0.95),
                "s",
                format="pdf",
                lines=len(account.lines),
                pdf_bytes=size,
                database="postgresql",
                runs=RUNS,
                median_s=round(percentile(report_timings[1:], 0.5), 3),
                target_s=1,
            )
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
