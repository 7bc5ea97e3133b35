"""Benchmark: p95 latency of the registry list endpoints on a large park (figure `api_list_p95_ms`).

Runs on PostgreSQL, in a database of its own (`digipark_bench` on the test server, or the database named by
DIGIPARK_BENCH_DATABASE_URL), migrated to head. The first run fills one park with 10,000 enterprises and
25,000 devices carrying 100,000 points (bulk INSERTs, then VACUUM ANALYZE); later runs reuse the filled park.
Then it sends, through an in-process ASGI client and authenticated with a park admin's bearer token, 100
requests to each list endpoint below (after a few warm-up requests) and prints one JSON line per endpoint and
one for all of them together (`"endpoint": "all"`).

    .venv/bin/python bench/api_latency.py
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import secrets
import time
from typing import Any

os.environ.setdefault("DIGIPARK_LOG_LEVEL", "WARNING")

import httpx
from _common import bench_database_url, emit, percentile, progress
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from digipark.app import create_app
from digipark.audit.service import Actor, set_actor
from digipark.auth import service as auth_service
from digipark.auth.models import Role, User
from digipark.core import db as core_db
from digipark.core import migrate
from digipark.core.codes import industries, make_uscc
from digipark.core.db import make_engine, utcnow
from digipark.registry import service as registry
from digipark.registry.catalog import device_kind
from digipark.registry.models import Building, Device, Enterprise, Park, Point, Zone

PARK_CODE = "BENCH"
ENTERPRISES = 10_000
DEVICES = 25_000
POINTS_PER_DEVICE = 4
POINTS = DEVICES * POINTS_PER_DEVICE
BUILDINGS = 200
REQUESTS = 100
WARMUP = 10
ADMIN = "bench-admin"
SEED = 20251125
CHUNK = 5_000
NAME_WORDS = (
    "精密",
    "智能",
    "新材料",
    "电子",
    "生物",
    "医药",
    "汽车",
    "装备",
    "光电",
    "半导体",
    "软件",
    "物流",
    "食品",
    "纺织",
    "化工",
    "环保",
    "能源",
    "机器人",
    "数控",
    "仪器",
)
DEVICE_KINDS = ("electricity_meter",)  # four points each, as the figure's point count assumes


def _chunks(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]


def _filled(session: Session) -> bool:
    park_id = session.scalar(select(Park.id).where(Park.code == PARK_CODE))
    if park_id is None:
        return False
    enterprises = session.scalar(select(func.count()).select_from(Enterprise).where(Enterprise.park_id == park_id))
    points = session.scalar(select(func.count()).select_from(Point).where(Point.park_id == park_id))
    admin = session.scalar(select(User.id).where(User.username == ADMIN))
    return enterprises == ENTERPRISES and points == POINTS and admin is not None


def _reset_schema(engine: Engine, url: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(url)


def _fill(engine: Engine) -> None:
    rng = random.Random(SEED)
    started = time.perf_counter()
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session, session.begin():
        set_actor(session, Actor("bench-setup"))
        park = registry.create_park(session, code=PARK_CODE, name="基准测试园区", region_code="320500")
        auth_service.create(
            session, username=ADMIN, password=secrets.token_urlsafe(16), role=Role.PARK_ADMIN, park_id=park.id
        )
        park_id = park.id
        now = utcnow()
        stamps = {"created_at": now, "updated_at": now}
        zone_id = session.scalar(
            insert(Zone)
            .values(park_id=park_id, code="Z1", name="一区", function="industrial", **stamps)
            .returning(Zone.id)
        )
        session.execute(
            insert(Building),
            [
                {
                    "park_id": park_id,
                    "zone_id": zone_id,
                    "code": f"B{i:03d}",
                    "name": f"{i}号厂房",
                    "floors": 4,
                    "use": "factory",
                    "gigabit_fibre": i % 3 == 0,
                    "coverage_5g": i % 2 == 0,
                    **stamps,
                }
                for i in range(BUILDINGS)
            ],
        )
        building_ids = list(session.scalars(select(Building.id).where(Building.park_id == park_id)))
        codes = [group.code for group in industries("group", section="C")]
        enterprises = [
            {
                "park_id": park_id,
                "name": f"苏州{rng.choice(NAME_WORDS)}{rng.choice(NAME_WORDS)}有限公司{i:05d}",
                "uscc": make_uscc("9", "1", "320500", f"{i:08d}"),
                "industry_code": rng.choice(codes),
                "above_scale": rng.random() < 0.3,
                "industrial": rng.random() < 0.8,
                "registered_capital_wan_yuan": round(rng.uniform(50, 50_000), 1),
                "employees": rng.randint(3, 3000),
                "established_on": dt.date(1990, 1, 1) + dt.timedelta(days=rng.randint(0, 12_000)),
                "status": "active",
                **stamps,
            }
            for i in range(ENTERPRISES)
        ]
        for chunk in _chunks(enterprises):
            session.execute(insert(Enterprise), chunk)
        enterprise_ids = list(session.scalars(select(Enterprise.id).where(Enterprise.park_id == park_id)))
        progress(f"enterprises: {len(enterprise_ids)} ({time.perf_counter() - started:.1f} s)")
        devices = [
            {
                "park_id": park_id,
                "enterprise_id": rng.choice(enterprise_ids) if rng.random() < 0.9 else None,
                "code": f"M{i:06d}",
                "name": f"电能表{i}",
                "kind": rng.choice(DEVICE_KINDS),
                "protocol": "dlt645",
                "building_id": rng.choice(building_ids),
                "status": "active",
                "token": secrets.token_urlsafe(24),
                **stamps,
            }
            for i in range(DEVICES)
        ]
        for chunk in _chunks(devices):
            session.execute(insert(Device), chunk)
        device_rows = session.execute(
            select(Device.id, Device.enterprise_id, Device.kind).where(Device.park_id == park_id).order_by(Device.id)
        ).all()
        progress(f"devices: {len(device_rows)} ({time.perf_counter() - started:.1f} s)")
        points: list[dict[str, Any]] = []
        for device_id, enterprise_id, kind in device_rows:
            catalogue = device_kind(kind)
            assert catalogue is not None and len(catalogue.points) == POINTS_PER_DEVICE
            for description in catalogue.points:
                points.append(
                    {
                        "park_id": park_id,
                        "enterprise_id": enterprise_id,
                        "device_id": device_id,
                        "key": description.key,
                        "name": description.name_zh,
                        "quantity": description.quantity,
                        "unit": description.unit,
                        "device_class": description.device_class,
                        "state_class": description.state_class,
                        "expected_interval_s": description.expected_interval_s,
                        "valid_min": description.valid_min,
                        "valid_max": description.valid_max,
                        **stamps,
                    }
                )
        for chunk in _chunks(points):
            session.execute(insert(Point), chunk)
        progress(f"points: {len(points)} ({time.perf_counter() - started:.1f} s)")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    progress(f"filled and analysed in {time.perf_counter() - started:.1f} s")


def _token(engine: Engine) -> str:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session, session.begin():
        user = session.scalar(select(User).where(User.username == ADMIN))
        assert user is not None
        raw, _ = auth_service.create_api_token(session, user=user, name="bench", days=1)
    return raw


def _targets(engine: Engine) -> list[tuple[str, list[str]]]:
    """(endpoint label, the URLs of its requests); device ids vary, the rest repeat one request."""
    rng = random.Random(SEED + 1)
    with engine.connect() as conn:
        park_id = conn.scalar(select(Park.id).where(Park.code == PARK_CODE))
        industry = conn.execute(
            select(Enterprise.industry_code, func.count())
            .where(Enterprise.park_id == park_id)
            .group_by(Enterprise.industry_code)
            .order_by(func.count().desc())
        ).first()
        device_ids = list(conn.scalars(select(Device.id).where(Device.park_id == park_id)))
    assert industry is not None
    repeat = [
        ("/api/v1/enterprises", ""),
        ("/api/v1/enterprises?q=精密&sort=-employees", ""),
        (f"/api/v1/enterprises?industry_code={industry[0]}", ""),
        ("/api/v1/points", ""),
        ("/api/v1/points?device_id={device_id}", "device"),
        ("/api/v1/points?quantity=electric_energy&page=50", ""),
        ("/api/v1/devices", ""),
    ]
    targets: list[tuple[str, list[str]]] = []
    for url, varies in repeat:
        if varies:
            urls = [url.format(device_id=rng.choice(device_ids)) for _ in range(REQUESTS + WARMUP)]
        else:
            urls = [url] * (REQUESTS + WARMUP)
        targets.append((url, urls))
    return targets


async def _measure(app: Any, token: str, targets: list[tuple[str, list[str]]]) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as client:
        for label, urls in targets:
            samples: list[float] = []
            for i, url in enumerate(urls):
                started = time.perf_counter()
                response = await client.get(url)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{url}: {response.status_code} {response.text[:300]}")
                if i >= WARMUP:
                    samples.append(elapsed)
            timings[label] = samples
    return timings


def main() -> None:
    url = bench_database_url("digipark_bench")
    engine = make_engine(url)
    migrate.upgrade(url)
    with Session(engine) as session:
        filled = _filled(session)
    if not filled:
        progress("filling the bench park (once) ...")
        _reset_schema(engine, url)
        _fill(engine)
    token = _token(engine)
    core_db.use_engine(engine)
    app = create_app()
    timings = asyncio.run(_measure(app, token, _targets(engine)))
    context = {"enterprises": ENTERPRISES, "points": POINTS, "database": "postgresql", "requests": REQUESTS}
    for label, samples in timings.items():
        emit("api_list_p95_ms", percentile(samples, 0.95), "ms", endpoint=label, **context)
    everything = [sample for samples in timings.values() for sample in samples]
    emit(
        "api_list_p95_ms",
        percentile(everything, 0.95),
        "ms",
        endpoint="all",
        **{**context, "requests": len(everything)},
    )
    engine.dispose()


if __name__ == "__main__":
    main()
