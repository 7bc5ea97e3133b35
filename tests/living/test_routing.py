"""Route planning: plans on small cases are checked by an independent checker (every task once, pickups before
their drop-offs on the same vehicle, loads within capacity, arrivals within time windows, only roads the vehicle
may use, range), and the Solomon files parse."""

from __future__ import annotations

import heapq
import itertools
import math
from pathlib import Path

from digipark.living.routing import INFINITE, Edge, Plan, Problem, RoadGraph, Task, Vehicle, solomon_problem, solve

DATA = Path(__file__).resolve().parents[1] / "data" / "solomon"


# -- the independent checker -------------------------------------------------------------------------------------
def _dijkstra(graph: RoadGraph, source: int, restricted_ok: bool) -> dict[int, float]:
    best = {source: 0.0}
    queue = [(0.0, source)]
    while queue:
        d, node = heapq.heappop(queue)
        if d > best[node]:
            continue
        for edge in graph.edges:
            if (edge.restricted and not restricted_ok) or node not in (edge.a, edge.b):
                continue
            other = edge.b if node == edge.a else edge.a
            if d + edge.length_m < best.get(other, math.inf):
                best[other] = d + edge.length_m
                heapq.heappush(queue, (best[other], other))
    return best


def check_plan(problem: Problem, plan: Plan, graph: RoadGraph, places: list[int]) -> None:
    """Raise AssertionError unless `plan` is feasible for `problem` on `graph` (places: road node of each place)."""
    tasks = {t.ident: t for t in problem.tasks}
    vehicles = {v.ident: v for v in problem.vehicles}
    seen: dict[str, list[str]] = {}
    for route in plan.routes:
        vehicle = vehicles[route.vehicle]
        visits = route.visits
        assert visits[0].place == vehicle.depot and visits[-1].place == vehicle.depot, (
            "a route starts and ends at its depot"
        )
        clock, load, driven = 0.0, 0, 0.0
        loaded_at_depot = sum(
            tasks[v.task].load for v in visits if v.task and v.kind == "dropoff" and tasks[v.task].pickup is None
        )
        if not any(t.pickup is not None for t in problem.tasks):
            load = loaded_at_depot  # plain deliveries leave the depot loaded
        assert load <= vehicle.capacity, "loaded beyond capacity at the depot"
        for previous, visit in itertools.pairwise(visits):
            leg = _dijkstra(graph, places[previous.place], vehicle.may_use_restricted).get(
                places[visit.place], math.inf
            )
            assert leg < math.inf, f"{vehicle.ident} cannot reach place {visit.place} on roads it may use"
            driven += leg
            service = tasks[previous.task].service_s if previous.task else 0
            clock = clock + service + leg / vehicle.speed_mps
            if visit.task is None:
                continue
            task = tasks[visit.task]
            window = task.dropoff_window if visit.kind == "dropoff" else (task.pickup_window or (0, problem.horizon_s))
            clock = max(clock, window[0])
            assert clock <= window[1] + 1e-6, f"{visit.task} {visit.kind} at {clock:.0f} s, window {window}"
            if task.pickup is not None or any(t.pickup is not None for t in problem.tasks):
                load += task.load if visit.kind == "pickup" else -task.load
            else:
                load -= task.load
            assert 0 <= load <= vehicle.capacity, f"load {load} on {vehicle.ident}"
            seen.setdefault(visit.task, []).append(f"{route.vehicle}:{visit.kind}")
        assert driven <= vehicle.range_m + 1e-6, f"{vehicle.ident} drives {driven:.0f} m, range {vehicle.range_m}"
        assert abs(driven - route.distance_m) < 1e-3 * max(1.0, driven), "the route's distance is its roads' length"
    for ident, task in tasks.items():
        if ident in plan.unassigned:
            assert ident not in seen
            continue
        stops = seen.get(ident, [])
        expected = (
            ["pickup", "dropoff"]
            if task.pickup is not None or any(t.pickup is not None for t in problem.tasks)
            else ["dropoff"]
        )
        assert [s.split(":")[1] for s in stops] == expected, f"{ident} served as {stops}"
        assert len({s.split(":")[0] for s in stops}) == 1, f"{ident} changes vehicle"


# -- small park cases --------------------------------------------------------------------------------------------
#   0 (depot) -- 1 -- 2 -- 3
#   |                      |
#   4 ------ 5 (restricted)-- 6 ; 6 is reachable only by the restricted road 5-6 or the long way 3-6
GRAPH = RoadGraph(
    nodes=(0, 1, 2, 3, 4, 5, 6, 7),
    edges=(
        Edge(0, 1, 300),
        Edge(1, 2, 300),
        Edge(2, 3, 300),
        Edge(0, 4, 200),
        Edge(4, 5, 200),
        Edge(5, 6, 150, restricted=True),
        Edge(3, 6, 2000),
        Edge(5, 7, 100, restricted=True),  # 7: inside the pedestrian zone, only the robot reaches it
    ),
)


def park_problem(
    tasks: tuple[Task, ...], vehicles: tuple[Vehicle, ...], horizon: int = 4 * 3600
) -> tuple[Problem, list[int]]:
    places = list(GRAPH.nodes)  # place i is road node i
    open_roads, _ = GRAPH.matrix(places, restricted_ok=False)
    all_roads, _ = GRAPH.matrix(places, restricted_ok=True)
    return Problem(len(places), {"road": open_roads, "path": all_roads}, vehicles, tasks, horizon), places


VAN = Vehicle("van", 0, capacity=10, speed_mps=5.0, range_m=20_000)
ROBOT = Vehicle("robot", 0, capacity=4, speed_mps=1.5, range_m=6_000, may_use_restricted=True, profile="path")


def test_capacity_is_respected() -> None:
    tasks = tuple(Task(f"T{i}", place, 4, (0, 4 * 3600), service_s=60) for i, place in enumerate((1, 2, 3, 4, 5, 6)))
    vans = (VAN, Vehicle("van2", 0, 10, 5.0, 20_000), Vehicle("van3", 0, 10, 5.0, 20_000))
    problem, places = park_problem(tasks, vans)
    plan = solve(problem, time_limit_s=1)
    assert plan.feasible
    check_plan(problem, plan, GRAPH, places)
    assert len(plan.routes) == 3  # 24 units in vans of 10: three trips


def test_time_windows_are_respected() -> None:
    # node 3 must be served early and node 4 late: the van goes out to 3 first
    tasks = (
        Task("late", 4, 1, (1800, 2400), service_s=120),
        Task("early", 3, 1, (0, 400), service_s=120),
        Task("any", 2, 1, (0, 4 * 3600)),
    )
    problem, places = park_problem(tasks, (VAN,))
    plan = solve(problem, time_limit_s=1)
    assert plan.feasible
    check_plan(problem, plan, GRAPH, places)
    order = [v.task for v in plan.routes[0].visits if v.task]
    assert order.index("early") < order.index("late")


def test_an_impossible_window_leaves_the_task_unassigned() -> None:
    tasks = (Task("too-soon", 3, 1, (0, 60)), Task("fine", 1, 1, (0, 3600)))
    problem, places = park_problem(tasks, (VAN,))
    plan = solve(problem, time_limit_s=1)
    assert plan.unassigned == ("too-soon",)
    check_plan(problem, plan, GRAPH, places)


def test_allowed_roads() -> None:
    # 7 lies behind restricted roads: only the robot may serve it; 6 the van reaches the long way
    tasks = (Task("zone", 7, 1, (0, 4 * 3600)), Task("far", 6, 1, (0, 4 * 3600)))
    only_van, places = park_problem(tasks, (VAN,))
    plan = solve(only_van, time_limit_s=1)
    assert plan.unassigned == ("zone",)
    check_plan(only_van, plan, GRAPH, places)
    both, places = park_problem(tasks, (VAN, ROBOT))
    plan = solve(both, time_limit_s=1)
    assert plan.feasible
    check_plan(both, plan, GRAPH, places)
    served_by = {v.task: r.vehicle for r in plan.routes for v in r.visits if v.task}
    assert served_by["zone"] == "robot"


def test_pickup_and_delivery_with_capacity() -> None:
    tasks = (
        Task("meal-1", 3, 3, (0, 3600), pickup=1, pickup_window=(0, 1800), service_s=60),
        Task("meal-2", 4, 3, (0, 3600), pickup=2, pickup_window=(0, 1800), service_s=60),
        Task("parcel", 6, 2, (0, 4 * 3600), service_s=60),  # loaded at the depot
    )
    vehicles = (Vehicle("van", 0, capacity=5, speed_mps=5.0, range_m=20_000), Vehicle("van2", 0, 5, 5.0, 20_000))
    problem, places = park_problem(tasks, vehicles)
    plan = solve(problem, time_limit_s=1)
    assert plan.feasible
    check_plan(problem, plan, GRAPH, places)


def test_range_limits_a_vehicle() -> None:
    short = Vehicle("short", 0, capacity=10, speed_mps=5.0, range_m=1000)
    tasks = (Task("far", 6, 1, (0, 4 * 3600)), Task("near", 1, 1, (0, 4 * 3600)))
    problem, places = park_problem(tasks, (short,))
    plan = solve(problem, time_limit_s=1)
    assert plan.unassigned == ("far",)  # 6 is 2.9 km away the only way a van may drive
    check_plan(problem, plan, GRAPH, places)


def test_graph_matrix_marks_unreachable_places() -> None:
    distances, paths = GRAPH.matrix([0, 7], restricted_ok=False)
    assert distances[0][1] == INFINITE and paths[0][1] == []
    distances, paths = GRAPH.matrix([0, 7], restricted_ok=True)
    assert distances[0][1] == 500 and paths[0][1] == [0, 4, 5, 7]


def test_solomon_files_parse() -> None:
    for name, customers in (("C101", 100), ("R101", 100), ("RC101", 100)):
        problem = solomon_problem((DATA / f"{name}.txt").read_text("utf-8"))
        assert len(problem.tasks) == customers and problem.vehicles[0].capacity == 200
        assert sum(t.load for t in problem.tasks) > 0 and problem.horizon_s > 0
