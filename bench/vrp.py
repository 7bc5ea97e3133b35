"""Benchmark: route planning for park deliveries.

- `vrp_200_stops_s`: a VRPTW of 200 stops and 10 vehicles in a park-sized area (random but seeded: stops within
  2 km, loads 1..10, two-hour time windows across a ten-hour day, vehicles of capacity 120 at 5 m/s) planned with
  `digipark.living.routing.solve` with a search budget of `--budget` seconds (default 8; target: a complete plan
  within 10 s). Printed: the wall time of the whole solve, with the time to the first complete plan, the
  distance and the stops left unserved as conditions.
- `vrp_gap_to_best_known_pct`: Solomon's C101, R101 and RC101 (tests/data/solomon/, 25 vehicles of capacity 200,
  distance minimised) each planned with `--solomon-budget` seconds (default 20); the average gap of the total
  distance to the best known least distance (best_known.json, with sources). Target < 5 %.
- `parking_occupancy_latency_ms`: a parking sensor's change to what the car-park page shows, p99 of `--changes`
  (default 200) changes. The app runs in this process on a SQLite file of its own (a park, a car park of 20
  sensor-fed spaces); each change is a reading posted to the HTTP ingest endpoint (`POST
  /api/v1/devices/{token}/telemetry`, the sensor's path), and the time is taken when the car-park page's stream
  (`/living/parking/live`, what its EventSource receives) sends an occupancy message showing it.

    .venv/bin/python bench/vrp.py [--budget 8] [--solomon-budget 20] [--changes 200] [--only vrp|solomon|parking]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import queue
import random
import threading
import time
from pathlib import Path

from _common import emit, progress
from sqlalchemy import select

from digipark.living.routing import Problem, Task, Vehicle, solomon_problem, solve

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "solomon"


def park_problem(stops: int = 200, vehicles: int = 10, seed: int = 7) -> Problem:
    rng = random.Random(seed)
    places = [(0.0, 0.0)] + [(rng.uniform(-2000, 2000), rng.uniform(-2000, 2000)) for _ in range(stops)]
    distances = [[math.dist(a, b) * 1.3 for b in places] for a in places]  # roads are longer than straight lines
    horizon = 10 * 3600
    tasks = []
    for i in range(1, stops + 1):
        start = rng.randrange(0, horizon - 2 * 3600, 600)
        tasks.append(Task(f"S{i}", i, rng.randint(1, 10), (start, start + 2 * 3600), service_s=60))
    fleet = tuple(Vehicle(f"V{k + 1}", 0, 120, 5.0, 200_000.0) for k in range(vehicles))
    return Problem(len(places), {"road": distances}, fleet, tuple(tasks), horizon)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=float, default=8.0)
    parser.add_argument("--solomon-budget", type=float, default=20.0)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--only", choices=("vrp", "solomon", "parking"))
    args = parser.parse_args()
    if args.only in (None, "vrp"):
        bench_200_stops(args)
    if args.only in (None, "solomon"):
        bench_solomon(args)
    if args.only in (None, "parking"):
        bench_parking(args)


def bench_200_stops(args: argparse.Namespace) -> None:

    problem = park_problem()
    started = time.perf_counter()
    first = solve(problem, time_limit_s=args.budget, solution_limit=1)  # the construction only: the first plan
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    plan = solve(problem, time_limit_s=args.budget)
    elapsed = time.perf_counter() - started
    emit(
        "vrp_200_stops_s",
        round(elapsed, 2),
        "s",
        stops=200,
        vehicles=10,
        budget_s=args.budget,
        first_plan_s=round(first_s, 2),
        first_plan_unserved=len(first.unassigned),
        unserved=len(plan.unassigned),
        routes=len(plan.routes),
        distance_km=round(plan.distance_m / 1000, 1),
    )


def bench_solomon(args: argparse.Namespace) -> None:
    best = json.loads((DATA / "best_known.json").read_text("utf-8"))["instances"]
    gaps = {}
    for name in ("C101", "R101", "RC101"):
        progress(f"solving {name} ({args.solomon_budget} s)")
        found = solve(solomon_problem((DATA / f"{name}.txt").read_text("utf-8")), time_limit_s=args.solomon_budget)
        if found.unassigned:
            raise SystemExit(f"{name}: {len(found.unassigned)} customers unserved")
        gaps[name] = round(100 * (found.distance_m - best[name]["distance"]) / best[name]["distance"], 2)
    emit(
        "vrp_gap_to_best_known_pct",
        round(sum(gaps.values()) / len(gaps), 2),
        "%",
        instances=gaps,
        budget_s=args.solomon_budget,
        reference="least total distance known (best_known.json)",
    )


def bench_parking(args: argparse.Namespace) -> None:
    import tempfile
    from decimal import Decimal

    from fastapi.testclient import TestClient

    from digipark.auth import service as auth_service
    from digipark.auth.models import Role
    from digipark.auth.scope import system_scope
    from digipark.core import db as core_db
    from digipark.core import migrate
    from digipark.core.db import make_engine, transaction
    from digipark.living import live, parking
    from digipark.living.schemas import CarParkCreate, SpaceCreate
    from digipark.registry import schemas as registry_schemas
    from digipark.registry import service as registry
    from digipark.registry.models import Point

    folder = tempfile.mkdtemp(prefix="digipark-bench-parking-")
    url = f"sqlite:///{folder}/bench.db"
    migrate.upgrade(url)
    core_db.use_engine(make_engine(url))
    import digipark.modules  # noqa: F401  (installs the records)
    from digipark.app import create_app

    spaces = 20
    with transaction(write=True) as session:
        park = registry.create_park(session, code="BP", name="基准园区", region_code="320507")
        scope = system_scope(park.id)
        lot = parking.CAR_PARKS.create(
            session,
            scope=scope,
            data=CarParkCreate(code="P1", name="P1", lon=120.6, lat=31.3, capacity=spaces, hourly_yuan=Decimal("5")),
        )
        tokens = []
        for n in range(spaces):
            device = registry.create(
                session,
                scope=scope,
                kind=registry.KINDS["device"],
                data=registry_schemas.DeviceCreate(code=f"PK{n:03d}", name=f"车位{n}", kind="parking_sensor"),
            )
            point = session.scalars(select(Point).where(Point.device_id == device.id)).one()
            parking.SPACES.create(
                session, scope=scope, data=SpaceCreate(car_park_id=lot.id, code=f"S{n}", point_id=point.id)
            )
            tokens.append(device.token)
        user = auth_service.create(
            session, username="bench", password="bench-password-1", role=Role.OPERATOR, park_id=park.id
        )
    client = TestClient(create_app())
    from digipark.auth.models import User
    from digipark.auth.service import scope_for

    with transaction() as session:
        viewer = scope_for(session, session.scalars(select(User).where(User.id == user.id)).one())
        stream = live.open_stream(session, viewer, park.id)
    shown: queue.Queue[tuple[float, int]] = queue.Queue()

    def listen() -> None:  # the page's EventSource: each occupancy message as it is sent
        async def consume() -> None:
            async for chunk in stream.body_iterator:
                text = chunk if isinstance(chunk, str) else bytes(chunk).decode()
                if text.startswith(f"event: {live.OCCUPANCY}"):
                    rows = json.loads(text.split("data: ", 1)[1])
                    shown.put((time.perf_counter(), int(rows[0]["occupied"])))

        asyncio.run(consume())

    threading.Thread(target=listen, daemon=True).start()
    shown.get(timeout=10)  # the first message: the occupancy now
    latencies = []
    rng = random.Random(3)
    occupied = [0] * spaces
    for _ in range(args.changes):
        n = rng.randrange(spaces)
        occupied[n] = 1 - occupied[n]
        expected = sum(occupied)
        started = time.perf_counter()
        response = client.post(f"/api/v1/devices/{tokens[n]}/telemetry", json={"values": {"occupied": occupied[n]}})
        assert response.status_code == 200, response.text
        while True:
            at, value = shown.get(timeout=30)
            if value == expected and at >= started:
                break
        latencies.append((at - started) * 1000)
    latencies.sort()
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
    emit(
        "parking_occupancy_latency_ms",
        round(p99, 1),
        "ms",
        percentile="p99",
        changes=args.changes,
        measured_p50_ms=round(latencies[len(latencies) // 2], 1),
        path="HTTP ingest -> stored -> live hub -> /living/parking/live occupancy message",
        database="sqlite",
    )


if __name__ == "__main__":
    main()
