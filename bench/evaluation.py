"""Benchmark: the live evaluation of a park with 1,000 enterprises against the guide's four construction
standards (figure `evaluation_s`, target < 2 s) and scoring one SME digital-level questionnaire (figure
`questionnaire_score_ms`, target < 50 ms).

Runs on PostgreSQL, in a database of its own (`digipark_bench_evaluation` on the test server, or the database
named by DIGIPARK_BENCH_DATABASE_URL), migrated to head. The first run fills one park (bulk INSERTs, then VACUUM
ANALYZE); later runs reuse it: 1,000 enterprises (900 industrial, 400 of them above scale) in 30 GB/T 4754
divisions, 60 buildings on 30 parcels, a confirmed SME digital-level assessment for each of the last two years
of 80 % of the enterprises (answers scored by the transformation service's `score_answers`), up to 60 maturity
certificates, 2,500 adoption records (industrial internet, cloud, robots, AI, digital production services),
24 months of monthly statistics per industrial enterprise, and an electricity meter with four points per
industrial enterprise, 85 % of the points with a newest reading (refreshed to the current time on every run).
Then it times `evaluation.service.evaluate` (every indicator with its drill-down rows and gaps) 10 times after
one warm-up call and prints the p95; and it scores one questionnaire 200 times and prints the p95.

    .venv/bin/python bench/evaluation.py
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
from digipark.evaluation import service as evaluation
from digipark.registry import service as registry
from digipark.registry.models import Building, Device, Enterprise, LandParcel, Park, Point, Zone
from digipark.telemetry.models import PointLatest
from digipark.telemetry.status import now_ms
from digipark.transformation.assessment import questionnaire, score_answers
from digipark.transformation.demo import demo_answers
from digipark.transformation.models import AdoptionRecord, Assessment, MaturityCertificate

PARK_CODE = "BENCH-EVAL"
ENTERPRISES = 1_000
INDUSTRIAL = 900
ABOVE_SCALE = 400
DIVISIONS = 30
PARCELS = 30
BUILDINGS = 60
MONTHS = 24
RUNS = 10
SCORE_RUNS = 200
SEED = 20261129
CHUNK = 5_000
POINT_KEYS = (("energy_kwh", "electric_energy", "kWh", 900), ("power_kw", "electric_power", "kW", 60))
POINT_KEYS += (("voltage_v", "voltage", "V", 60), ("power_factor", "power_factor", "dimensionless", 60))


def _month(period: dt.date, months: int) -> dt.date:
    index = period.year * 12 + period.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _chunks(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[start : start + CHUNK])


def _fill(session: Session) -> int:
    rng = random.Random(SEED)
    now = utcnow()
    today = evaluation.today()
    stamp = {"created_at": now, "updated_at": now}
    park = registry.create_park(session, code=PARK_CODE, name="评价基准园区", region_code="320500")
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
                "area_m2": 40_000.0,
                "land_use": "M1",
                "owner": "园区公司" if i % 5 else None,
            }
            for i in range(PARCELS)
        ],
    )
    parcels = list(session.scalars(select(LandParcel.id).where(LandParcel.park_id == park.id)))
    _chunks(
        session,
        Building,
        [
            {
                **stamp,
                "park_id": park.id,
                "zone_id": zone.id,
                "parcel_id": parcels[i % PARCELS],
                "code": f"B{i:03d}",
                "name": f"{i}号厂房",
                "floors": 3,
                "use": "factory",
                "gross_floor_area_m2": 8000.0,
                "year_built": 2010 + i % 12 if i % 4 else None,
                "gigabit_fibre": rng.random() < 0.9,
                "coverage_5g": rng.random() < 0.8,
            }
            for i in range(BUILDINGS)
        ],
    )
    buildings = list(session.scalars(select(Building.id).where(Building.park_id == park.id)))
    manufacturing = [i.code for i in industries("division", "C")][:DIVISIONS]
    rows = []
    for n in range(ENTERPRISES):
        industrial = n < INDUSTRIAL
        rows.append(
            {
                **stamp,
                "park_id": park.id,
                "name": f"评价基准企业{n:04d}",
                "uscc": make_uscc("9", "1", "320500", f"EB{n:06d}"),
                "industry_code": manufacturing[n % DIVISIONS] if industrial else "72",
                "above_scale": industrial and n % 9 < 4,
                "industrial": industrial,
                "employees": 50 + n % 700,
                "status": "active",
            }
        )
    _chunks(session, Enterprise, rows)
    enterprises = list(
        session.execute(
            select(Enterprise.id, Enterprise.industrial).where(Enterprise.park_id == park.id).order_by(Enterprise.id)
        )
    )
    q = questionnaire()
    assessments, certificates, adoption, statistics = [], [], [], []
    kinds = ("industrial_internet", "cloud", "robot", "ai", "digital_production_service")
    for ident, industrial in enterprises:
        maturity = rng.random()
        if rng.random() < 0.8:
            answers = demo_answers(q, maturity, rng)
            result = score_answers(q, answers)
            for year in (today.year - 1, today.year - 2):
                assessments.append(
                    {
                        **stamp,
                        "park_id": park.id,
                        "enterprise_id": ident,
                        "year": year,
                        "questionnaire": "SME2024",
                        "status": "confirmed",
                        "answers": answers,
                        "base_score": result.base_score,
                        "level": result.level,
                        "dimension_scores": result.dimension_scores,
                        "weakest": result.weakest_indicators,
                        "revision": 1,
                        "submitted_by": "bench",
                        "submitted_at": now,
                        "reviewed_by": "bench",
                        "reviewed_at": now,
                        "confirmed_on": dt.date(year, 12, 1),
                    }
                )
        if len(certificates) < 60 and rng.random() < 0.1:
            certificates.append(
                {
                    **stamp,
                    "park_id": park.id,
                    "enterprise_id": ident,
                    "scale": "SMART_FACTORY",
                    "level": 1,
                    "certificate_no": f"SF-{ident}",
                    "issuer": "工业和信息化部",
                    "issued_on": dt.date(today.year - 1, 3, 1),
                    "verified": True,
                    "verified_by": "bench",
                }
            )
        for kind in kinds:
            if len(adoption) < 2_500 and rng.random() < 0.5:
                adoption.append(
                    {
                        **stamp,
                        "park_id": park.id,
                        "enterprise_id": ident,
                        "kind": kind,
                        "name": f"{kind}-{ident}",
                        "scenarios": [],
                        "count": 5 if kind == "robot" else None,
                        "started_on": dt.date(today.year - 2, 1, 1),
                    }
                )
        if industrial:
            first = _month(today.replace(day=1), -MONTHS)
            for index in range(MONTHS):
                if index == MONTHS - 1 and rng.random() < 0.05:
                    continue  # a few have not reported last month
                output = rng.uniform(100, 5000)
                statistics.append(
                    {
                        **stamp,
                        "park_id": park.id,
                        "enterprise_id": ident,
                        "period": _month(first, index),
                        "output_value_wan_yuan": output,
                        "sales_revenue_wan_yuan": output * 0.97,
                        "tax_paid_wan_yuan": output * 0.045,
                        "total_profit_wan_yuan": output * 0.07,
                        "employees": 100,
                        "rnd_spending_wan_yuan": 0.0,
                        "electricity_kwh": output * 300,
                        "export_value_wan_yuan": 0.0,
                        "source": "import",
                        "revision": 0,
                        "submitted_by": "bench",
                        "submitted_at": now,
                    }
                )
    _chunks(session, Assessment, assessments)
    _chunks(session, MaturityCertificate, certificates)
    _chunks(session, AdoptionRecord, adoption)
    _chunks(session, MonthlyStatistic, statistics)
    devices = [
        {
            **stamp,
            "park_id": park.id,
            "enterprise_id": ident,
            "code": f"M{ident}",
            "name": "电能表",
            "kind": "electricity_meter",
            "protocol": "dlt645",
            "building_id": buildings[ident % BUILDINGS],
            "status": "active",
            "token": secrets.token_hex(16),
        }
        for ident, industrial in enterprises
        if industrial
    ]
    _chunks(session, Device, devices)
    device_rows = list(session.execute(select(Device.id, Device.enterprise_id).where(Device.park_id == park.id)))
    _chunks(
        session,
        Point,
        [
            {
                **stamp,
                "park_id": park.id,
                "enterprise_id": owner,
                "device_id": device,
                "key": key,
                "name": key,
                "quantity": quantity,
                "unit": unit,
                "device_class": quantity,
                "state_class": "measurement",
                "expected_interval_s": interval,
            }
            for device, owner in device_rows
            for key, quantity, unit, interval in POINT_KEYS
        ],
    )
    points = list(session.scalars(select(Point.id).where(Point.park_id == park.id)))
    _chunks(
        session,
        PointLatest,
        [{"point_id": p, "ts": now_ms(), "value": 1.0, "quality": 0} for p in points if rng.random() < 0.85],
    )
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
        progress(f"filling park {PARK_CODE}: {ENTERPRISES:,} enterprises and their records ...")
        started = time.perf_counter()
        park_id = _fill(session)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    progress(f"filled in {time.perf_counter() - started:.1f} s")
    return park_id


def main() -> None:
    url = bench_database_url("digipark_bench_evaluation")
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        park_id = _park(engine)
        with engine.begin() as conn:  # the meters' newest readings are recent on every run (85 % online)
            conn.execute(
                PointLatest.__table__.update()
                .where(PointLatest.point_id.in_(select(Point.id).where(Point.park_id == park_id)))
                .values(ts=now_ms())
            )
        scope = system_scope(park_id)
        factory = sessionmaker(bind=engine)
        timings = []
        with factory() as session:
            found = evaluation.evaluate(session, scope=scope, park_id=park_id)  # warm-up
            progress(
                f"{found.met_indicators}/{found.indicators} indicators met, {len(found.gaps)} gaps, "
                + ", ".join(
                    f"{i.code} {i.value:.1f}" for s in found.standards for i in s.indicators if i.value is not None
                )
            )
            for _ in range(RUNS):
                started = time.perf_counter()
                evaluation.evaluate(session, scope=scope, park_id=park_id)
                timings.append(time.perf_counter() - started)
                session.rollback()
        emit(
            "evaluation_s",
            percentile(timings, 0.95),
            "s",
            enterprises=ENTERPRISES,
            indicators=found.indicators,
            gaps=len(found.gaps),
            database="postgresql",
            runs=RUNS,
            median_s=round(percentile(timings, 0.5), 3),
        )
        q = questionnaire()
        answers = demo_answers(q, 0.6, random.Random(SEED))
        score_answers(q, answers)  # warm-up
        scores = []
        for _ in range(SCORE_RUNS):
            started = time.perf_counter()
            score_answers(q, answers)
            scores.append((time.perf_counter() - started) * 1000)
        emit(
            "questionnaire_score_ms",
            percentile(scores, 0.95),
            "ms",
            questions=len(q.questions),
            scenes=len(q.scenes),
            runs=SCORE_RUNS,
            median_ms=round(percentile(scores, 0.5), 3),
        )
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
