"""Benchmark: route planning for park deliveries.

- `vrp_200_stops_s`: a VRPTW of 200 stops and 10 vehicles in a park-sized area (random but seeded: stops within
  2 km, loads 1..10, two-hour time windows across a ten-hour day, vehicles of capacity 120 at 5 m/s) planned with
  `digipark.living.routing.solve` with a search budget of `--budget` seconds (default 8; target: a complete plan
  within 10 s). Printed: the wall time of the whole solve, with the time to the first complete plan, the
  distance and the stops left unserved as conditions.
- `vrp_gap_to_best_known_pct`: Solomon's C101, R101 and RC101 (tests/data/solomon/, 25 vehicles of capacity 200,
  distance minimised) each planned with `--solomon-budget` seconds (default 20); the average gap of the total
  distance to the best known least distance (best_known.json, with sources). Target < 5 %.

    .venv/bin/python bench/vrp.py [--budget 8] [--solomon-budget 20]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

from _common import emit, progress

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
    args = parser.parse_args()

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


if __name__ == "__main__":
    main()
