"""A large park for the load benchmarks: the issue's size is 10,000 enterprises, 100,000 points (25,000 meters of
four points) and 200 users; `--scale 0.1` makes a tenth of it (the users stay whole, at least one per role).

    .venv/bin/python -m bench.large_park --database postgresql://postgres@127.0.0.1/digipark_load [--scale 1]

Bulk INSERTs (the registry's rows, as an import would leave them; one audit entry says what was generated), then
VACUUM ANALYZE; progress on stderr. Users: park admins, operators, reviewers and enterprise users (each of its own
enterprise), all with the password `PASSWORD`, each with an API token, written to a file in /tmp named after the
database URL (`tokens_path`; the load test reads it). A park already filled at the same size is kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import secrets
import time
from pathlib import Path
from typing import Any

from bench._common import progress
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from digipark.audit.service import Actor, record, set_actor
from digipark.auth import service as auth_service
from digipark.auth.models import Role, User
from digipark.core import migrate
from digipark.core.codes import industries, make_uscc
from digipark.core.db import make_engine, utcnow
from digipark.registry import service as registry
from digipark.registry.catalog import device_kind
from digipark.registry.models import Building, Device, Enterprise, Park, Point, Zone

PARK_CODE = "LOAD"
FULL_ENTERPRISES = 10_000
FULL_DEVICES = 25_000  # electricity meters, four points each: 100,000 points
USERS = 200
BUILDINGS = 200
PASSWORD = "load-test-Passw0rd!"
SEED = 20261207
CHUNK = 5_000
NAME_WORDS = ("精密", "智能", "新材料", "电子", "生物", "医药", "汽车", "装备", "光电", "半导体", "软件", "物流")
ROLES = ((Role.PARK_ADMIN, 10), (Role.OPERATOR, 40), (Role.REVIEWER, 10))  # the rest: enterprise users


def sizes(scale: float) -> tuple[int, int]:
    """(enterprises, devices) at `scale` of the issue's park."""
    return max(USERS, round(FULL_ENTERPRISES * scale)), max(1, round(FULL_DEVICES * scale))


def filled(session: Session, enterprises: int, points: int) -> bool:
    park_id = session.scalar(select(Park.id).where(Park.code == PARK_CODE))
    if park_id is None:
        return False
    found = session.scalar(select(func.count()).select_from(Enterprise).where(Enterprise.park_id == park_id))
    found_points = session.scalar(select(func.count()).select_from(Point).where(Point.park_id == park_id))
    return found == enterprises and found_points == points


def _insert(session: Session, table: Any, rows: list[dict[str, Any]], what: str, started: float) -> None:
    for i in range(0, len(rows), CHUNK):
        session.execute(insert(table), rows[i : i + CHUNK])
        progress(f"  {what}: {min(i + CHUNK, len(rows)):,} of {len(rows):,} ({time.perf_counter() - started:.0f} s)")


def fill(engine: Engine, scale: float) -> dict[str, Any]:
    """Generate the park; returns its size and the users with their tokens."""
    enterprise_count, device_count = sizes(scale)
    rng = random.Random(SEED)
    started = time.perf_counter()
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session, session.begin():
        set_actor(session, Actor("bench-large-park"))
        park_id = registry.create_park(session, code=PARK_CODE, name="负载测试园区", region_code="320500").id
        now = utcnow()
        stamps = {"created_at": now, "updated_at": now}
        zone_id = session.scalar(
            insert(Zone)
            .values(park_id=park_id, code="Z1", name="一区", function="industrial", **stamps)
            .returning(Zone.id)
        )
        buildings = [
            {
                "park_id": park_id,
                "zone_id": zone_id,
                "code": f"B{i:03d}",
                "name": f"{i}号厂房",
                "floors": 4,
                "use": "factory",
                **stamps,
            }
            for i in range(BUILDINGS)
        ]
        _insert(session, Building, buildings, "buildings", started)
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
            for i in range(enterprise_count)
        ]
        _insert(session, Enterprise, enterprises, "enterprises", started)
        enterprise_ids = list(
            session.scalars(select(Enterprise.id).where(Enterprise.park_id == park_id).order_by(Enterprise.id))
        )
        devices = [
            {
                "park_id": park_id,
                "enterprise_id": rng.choice(enterprise_ids) if rng.random() < 0.9 else None,
                "code": f"M{i:06d}",
                "name": f"电能表{i}",
                "kind": "electricity_meter",
                "protocol": "dlt645",
                "building_id": rng.choice(building_ids),
                "status": "active",
                "token_hash": hashlib.sha256(secrets.token_bytes(24)).hexdigest(),
                **stamps,
            }
            for i in range(device_count)
        ]
        _insert(session, Device, devices, "devices", started)
        catalogue = device_kind("electricity_meter")
        assert catalogue is not None
        points = [
            {
                "park_id": park_id,
                "enterprise_id": enterprise_id,
                "device_id": device_id,
                "key": p.key,
                "name": p.name_zh,
                "quantity": p.quantity,
                "unit": p.unit,
                "device_class": p.device_class,
                "state_class": p.state_class,
                "expected_interval_s": p.expected_interval_s,
                "valid_min": p.valid_min,
                "valid_max": p.valid_max,
                **stamps,
            }
            for device_id, enterprise_id in session.execute(
                select(Device.id, Device.enterprise_id).where(Device.park_id == park_id).order_by(Device.id)
            )
            for p in catalogue.points
        ]
        _insert(session, Point, points, "points", started)
        record(
            session,
            action="bench_large_park_generated",
            entity_type="park",
            entity_id=park_id,
            park_id=park_id,
            after={"enterprises": enterprise_count, "devices": device_count, "points": len(points)},
        )
    users = make_users(engine, park_id, enterprise_ids, started)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    progress(f"filled and analysed in {time.perf_counter() - started:.0f} s")
    size = {"enterprises": enterprise_count, "devices": device_count, "points": len(points), "users": len(users)}
    return {"size": size, "users": users, "password": PASSWORD}


def make_users(engine: Engine, park_id: int, enterprise_ids: list[int], started: float) -> list[dict[str, Any]]:
    """The users (one password hash, reused: hashing 200 passwords would be most of the work) and their tokens."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    roles = [role for role, count in ROLES for _ in range(count)]
    roles += [Role.ENTERPRISE] * (USERS - len(roles))
    out = []
    with factory() as session, session.begin():
        set_actor(session, Actor("bench-large-park"))
        template = auth_service.create(
            session, username="load-user-000", password=PASSWORD, role=roles[0], park_id=park_id
        )
        for i, role in enumerate(roles):
            enterprise_id = enterprise_ids[i] if role == Role.ENTERPRISE else None
            if i == 0:
                user = template
            else:
                user = User(
                    username=f"load-user-{i:03d}",
                    display_name=f"负载用户{i}",
                    password_hash=template.password_hash,
                    role=role.value,
                    park_id=park_id,
                    enterprise_id=enterprise_id,
                )
                session.add(user)
                session.flush()
            token, _ = auth_service.create_api_token(session, user=user, name="load", days=30)
            out.append({"username": user.username, "role": role.value, "token": token})
            if (i + 1) % 50 == 0:
                progress(f"  users: {i + 1} of {len(roles)} ({time.perf_counter() - started:.0f} s)")
    return out


def tokens_path(url: str) -> Path:
    return Path(f"/tmp/digipark-load-{hashlib.sha256(url.encode()).hexdigest()[:10]}.tokens.json")


def prepare(url: str, scale: float) -> dict[str, Any]:
    """The park at `scale` in the database at `url` (generated unless there), and the users' tokens."""
    engine = make_engine(url)
    try:
        migrate.upgrade(url)
        enterprise_count, device_count = sizes(scale)
        path = tokens_path(url)
        with Session(engine) as session:
            ready = filled(session, enterprise_count, device_count * 4) and path.exists()
        if ready:
            return json.loads(path.read_text())
        progress(f"generating the park: {enterprise_count:,} enterprises, {device_count * 4:,} points, {USERS} users")
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        migrate.upgrade(url)
        made = fill(engine, scale)
        path.write_text(json.dumps(made))
        return made
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="a PostgreSQL URL (its public schema is replaced)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the issue's size (default 1)")
    args = parser.parse_args()
    made = prepare(args.database, args.scale)
    print(json.dumps({"park": PARK_CODE, **made["size"], "tokens": str(tokens_path(args.database))}))


if __name__ == "__main__":
    main()
