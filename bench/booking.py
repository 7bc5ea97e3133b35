"""Benchmark: concurrent bookings of shared machines and a group purchase of 500 enterprises.

Figures:
- `booking_concurrent_double_bookings`: after 200 booking requests sent at the same moment over HTTP for the same
  slots of a one-unit and a two-unit machine, the number of (machine, hour) where more bookings hold the machine
  than it has units — counted from the bookings' own times, not from the slot table that prevents it (0 expected).
- `booking_p95_ms`: the 95th-percentile latency of those 200 requests (201 or 409 alike).
- `group_purchase_split_s`: 500 enterprises' demands (two items) aggregated, quoted by three suppliers, awarded
  and split back to each demand, in one transaction.

Runs on PostgreSQL in a database of its own (`digipark_bench_booking` on the test server, or the database named by
DIGIPARK_BENCH_DATABASE_URL), migrated to head, against a uvicorn server started as a separate process; each run
builds a park of its own.

    .venv/bin/python bench/booking.py
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DIGIPARK_LOG_LEVEL", "WARNING")
os.environ.setdefault("DIGIPARK_ARGON2_TIME_COST", "1")
os.environ.setdefault("DIGIPARK_ARGON2_MEMORY_KIB", "1024")

import httpx
from _common import bench_database_url, emit, percentile, progress
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from digipark.audit.service import Actor, set_actor
from digipark.auth import service as auth_service
from digipark.auth.models import Role
from digipark.auth.scope import system_scope
from digipark.core import db as core_db
from digipark.core import migrate
from digipark.core.codes import make_uscc
from digipark.core.db import make_engine
from digipark.registry import schemas as rs
from digipark.registry import service as registry
from digipark.services import catalogue, purchasing
from digipark.services.common import zone
from digipark.services.models import HOLDING, Booking
from digipark.services.schemas import DemandCreate, OfferingCreate, SupplierCreate

REQUESTS = int(os.environ.get("BOOKING_REQUESTS", "200"))
BOOKERS = 50
PURCHASERS = 500
WARM_UP = 24
ROOT = Path(__file__).resolve().parent.parent
WORKERS = int(os.environ.get("BOOKING_WORKERS", "1"))
# The API server (uvicorn, BOOKING_WORKERS processes), each with a worker-thread pool as large as the burst: a request's
# transaction commits in the thread pool after its handler returns, so with FastAPI's default 40 threads the requests
# waiting for the audit log's head row lock can take every thread while the one holding the lock waits for a thread
# to commit (a stall until the connection pool's 30 s timeout; see the report).
SERVER = """
import anyio.to_thread
from digipark.app import create_app

class Widened:
    def __init__(self, app):
        self.app, self.done = app, False

    async def __call__(self, scope, receive, send):
        if not self.done:
            anyio.to_thread.current_default_thread_limiter().total_tokens = {threads}
            self.done = True
        await self.app(scope, receive, send)

app = Widened(create_app())
"""


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by process `pid` and its children still running (uvicorn's workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(c) for c in children)
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _enterprise(db, scope, code: str, i: int) -> int:  # type: ignore[no-untyped-def]
    row = registry.create(
        db,
        scope=scope,
        kind=registry.KINDS["enterprise"],
        data=rs.EnterpriseCreate(
            name=f"{code}企业{i}", uscc=make_uscc("9", "1", "320500", f"{code[2:6]}{i:04d}"), industry_code="3311"
        ),
    )
    return int(row.id)


def build(factory: sessionmaker) -> tuple[int, list[int], list[str], list[int]]:  # type: ignore[type-arg]
    code = "BK" + secrets.token_hex(3).upper()
    with factory() as db, db.begin():
        set_actor(db, Actor("bench"))
        park = registry.create_park(db, code=code, name=f"预约基准园区{code}", name_en=code, region_code="320500")
        scope = system_scope(park.id)
        enterprises = [_enterprise(db, scope, code, i) for i in range(PURCHASERS)]
        tokens = []
        for i in range(BOOKERS):
            user = auth_service.create(
                db,
                username=f"{code}-e{i}",
                password="bench-password-1",
                role=Role.ENTERPRISE,
                park_id=park.id,
                enterprise_id=enterprises[i],
            )
            tokens.append(auth_service.create_api_token(db, user=user, name="bench")[0])
        machines = [
            catalogue.OFFERINGS.create(
                db,
                scope=scope,
                data=OfferingCreate(
                    kind="shared_equipment",
                    name=f"加工中心{units}",
                    provider_name="园区",
                    unit_price_yuan=100,
                    price_unit="hour",
                    bookable=True,
                    units=units,
                ),
            ).id
            for units in (1, 2)
        ]
    return park.id, machines, tokens, enterprises


async def storm(
    server: str, machines: list[int], tokens: list[str], base: dt.datetime, pid: int
) -> tuple[list[tuple[int, float]], float]:
    """The burst's (status, ms) of each request, and the server's CPU seconds spent on the burst."""
    limits = httpx.Limits(max_connections=REQUESTS, max_keepalive_connections=REQUESTS)
    async with httpx.AsyncClient(base_url=server, timeout=120, limits=limits) as client:
        await client.get("/healthz")
        warm = base - dt.timedelta(days=1)
        for n in range(WARM_UP):  # every token once, on the day before: the server's first requests are slower
            body = {"offering_id": machines[1], "starts_at": (warm + dt.timedelta(hours=n % 12)).isoformat()}
            body["ends_at"] = (warm + dt.timedelta(hours=n % 12 + 1)).isoformat()
            await client.post(
                "/api/v1/services/bookings", json=body, headers={"Authorization": f"Bearer {tokens[n % len(tokens)]}"}
            )

        async def one(n: int) -> tuple[int, float]:
            start = base + dt.timedelta(hours=n % 4)
            body = {
                "offering_id": machines[n % 2],
                "starts_at": start.isoformat(),
                "ends_at": (start + dt.timedelta(hours=3)).isoformat(),
            }
            began = time.perf_counter()
            response = await client.post(
                "/api/v1/services/bookings", json=body, headers={"Authorization": f"Bearer {tokens[n % len(tokens)]}"}
            )
            return response.status_code, (time.perf_counter() - began) * 1000

        cpu_before = _cpu_s(pid)
        results = await asyncio.gather(*(one(n) for n in range(REQUESTS)))
        return list(results), _cpu_s(pid) - cpu_before


def double_bookings(factory: sessionmaker, park_id: int, machines: list[int], base: dt.datetime) -> int:  # type: ignore[type-arg]
    units = {machines[0]: 1, machines[1]: 2}
    with factory() as db:
        rows = db.scalars(
            select(Booking).where(Booking.park_id == park_id, Booking.status.in_([s.value for s in HOLDING]))
        ).all()
    over = 0
    for machine, capacity in units.items():
        for hour in range(8):
            moment = base + dt.timedelta(hours=hour, minutes=30)
            holding = sum(1 for b in rows if b.offering_id == machine and b.starts_at <= moment < b.ends_at)
            over += holding > capacity
    return over


def group_purchase(factory: sessionmaker, park_id: int, enterprises: list[int]) -> float:  # type: ignore[type-arg]
    scope = system_scope(park_id)
    month = dt.date.today().replace(day=1)
    with factory() as db, db.begin():
        set_actor(db, Actor("bench"))
        for i, enterprise in enumerate(enterprises):
            purchasing.DEMANDS.create(
                db,
                scope=scope,
                data=DemandCreate(
                    category="steel",
                    item="Q235 热轧卷板" if i % 2 else "冷轧板 1.0mm",
                    quantity=10 + i % 40,
                    unit="t",
                    period=month,
                    last_unit_price_yuan=4000 + i % 300,
                    enterprise_id=enterprise,
                ),
            )
        suppliers = [
            purchasing.SUPPLIERS.create(db, scope=scope, data=SupplierCreate(name=f"钢厂{i}", categories=["steel"])).id
            for i in range(3)
        ]
    with factory() as db, db.begin():
        set_actor(db, Actor("bench"))
        began = time.perf_counter()
        rounds = purchasing.aggregate(db, scope=scope, category="steel", period=month)
        for round_row in rounds:
            for i, supplier in enumerate(suppliers):
                purchasing.add_quote(
                    db, scope=scope, round_id=round_row.id, supplier_id=supplier, unit_price_yuan=3900 + 20 * i
                )
            purchasing.award(db, scope=scope, round_id=round_row.id)
        db.flush()
        elapsed = time.perf_counter() - began
    return elapsed


def main() -> None:
    url = bench_database_url("digipark_bench_booking")
    migrate.upgrade(url)
    engine = make_engine(url)
    core_db.use_engine(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    progress("building the park ...")
    park_id, machines, tokens, enterprises = build(factory)
    port = _free_port()
    folder = Path(tempfile.mkdtemp(prefix="digipark-bench-"))
    (folder / "booking_server.py").write_text(SERVER.format(threads=REQUESTS + 16))
    env = {**os.environ, "DIGIPARK_DATABASE_URL": url, "PYTHONPATH": f"{folder}{os.pathsep}{ROOT / 'src'}"}
    command = [sys.executable, "-m", "uvicorn", "booking_server:app", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(WORKERS), "--log-level", "warning", "--no-access-log"]
    # uvicorn's supervisor kills a worker that does not answer its ping within 5 s: a worker busy with the burst on a
    # loaded machine misses it (the burst then ends in connection resets)
    command += ["--timeout-worker-healthcheck", "300"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 180  # a loaded machine takes its time to import the app
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.3)
        day = dt.datetime.now(zone()).date() + dt.timedelta(days=5)
        base = dt.datetime.combine(day, dt.time(8), zone())
        progress(f"{REQUESTS} concurrent booking requests ...")
        results, server_cpu_s = asyncio.run(storm(f"http://127.0.0.1:{port}", machines, tokens, base, server.pid))
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)
    statuses = sorted({status for status, _ in results})
    accepted = sum(1 for status, _ in results if status == 201)
    conditions = {"requests": REQUESTS, "machines": "1 unit + 2 units", "accepted": accepted, "statuses": statuses}
    server = {
        "workers": WORKERS,
        "server_cpu_ms_per_request": round(1000 * server_cpu_s / REQUESTS, 2),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cores": os.cpu_count(),
    }
    emit("booking_concurrent_double_bookings", double_bookings(factory, park_id, machines, base), "count", **conditions)
    latencies = [ms for _, ms in results]
    emit("booking_p95_ms", percentile(latencies, 0.95), "ms", **conditions, **server, database="postgresql")
    progress(f"group purchase of {PURCHASERS} enterprises ...")
    seconds = group_purchase(factory, park_id, enterprises)
    emit("group_purchase_split_s", seconds, "s", enterprises=PURCHASERS, items=2, suppliers=3)


if __name__ == "__main__":
    main()
