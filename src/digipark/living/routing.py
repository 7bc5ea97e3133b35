"""Route planning for deliveries in the park: the road graph (shortest paths per vehicle, avoiding the roads a
vehicle may not use) and a capacitated vehicle routing problem with time windows and pickup-and-delivery, solved
with OR-Tools. Pure functions on plain data: the service turns database rows into a `Problem` and stores the
`Plan`."""

from __future__ import annotations

import dataclasses
import heapq
import math
from collections.abc import Iterable, Sequence

INFINITE = 10**12  # an unreachable leg (metres or seconds)


# -- the road graph ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Edge:
    a: int
    b: int
    length_m: float
    restricted: bool = False  # closed to vehicles without `may_use_restricted` (pedestrian zones, fire lanes)


@dataclasses.dataclass(frozen=True)
class RoadGraph:
    """Undirected roads between numbered nodes."""

    nodes: tuple[int, ...]
    edges: tuple[Edge, ...]

    def adjacency(self, *, restricted_ok: bool) -> dict[int, list[tuple[int, float]]]:
        adjacent: dict[int, list[tuple[int, float]]] = {n: [] for n in self.nodes}
        for edge in self.edges:
            if edge.restricted and not restricted_ok:
                continue
            adjacent[edge.a].append((edge.b, edge.length_m))
            adjacent[edge.b].append((edge.a, edge.length_m))
        return adjacent

    def shortest_paths(self, source: int, *, restricted_ok: bool) -> tuple[dict[int, float], dict[int, int]]:
        """Dijkstra from `source`: distance and predecessor of every reachable node."""
        adjacent = self.adjacency(restricted_ok=restricted_ok)
        distance: dict[int, float] = {source: 0.0}
        previous: dict[int, int] = {}
        queue = [(0.0, source)]
        while queue:
            d, node = heapq.heappop(queue)
            if d > distance.get(node, math.inf):
                continue
            for other, length in adjacent.get(node, []):
                candidate = d + length
                if candidate < distance.get(other, math.inf):
                    distance[other], previous[other] = candidate, node
                    heapq.heappush(queue, (candidate, other))
        return distance, previous

    def matrix(self, places: Sequence[int], *, restricted_ok: bool) -> tuple[list[list[float]], list[list[list[int]]]]:
        """Distances (metres; `INFINITE` when unreachable) and road-node paths between every pair of `places`."""
        distances: list[list[float]] = []
        paths: list[list[list[int]]] = []
        for source in places:
            found, previous = self.shortest_paths(source, restricted_ok=restricted_ok)
            distances.append([found.get(target, INFINITE) for target in places])
            paths.append([_path(previous, source, target) if target in found else [] for target in places])
        return distances, paths


def _path(previous: dict[int, int], source: int, target: int) -> list[int]:
    path = [target]
    while path[-1] != source:
        path.append(previous[path[-1]])
    return path[::-1]


# -- the routing problem -----------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Task:
    """Carry `load` from `pickup` (None: loaded at the vehicle's depot) to `dropoff`, within the time windows
    (seconds from the plan's start)."""

    ident: str
    dropoff: int  # index into Problem.places
    load: int
    dropoff_window: tuple[int, int]
    pickup: int | None = None
    pickup_window: tuple[int, int] | None = None
    service_s: int = 0


@dataclasses.dataclass(frozen=True)
class Vehicle:
    ident: str
    depot: int  # index into Problem.places
    capacity: int
    speed_mps: float
    range_m: float
    may_use_restricted: bool = False
    profile: str = "road"  # vehicles of one profile share a distance matrix


@dataclasses.dataclass(frozen=True)
class Problem:
    """`distances[profile][i][j]`: metres from place i to place j for vehicles of that profile."""

    places: int
    distances: dict[str, list[list[float]]]
    vehicles: tuple[Vehicle, ...]
    tasks: tuple[Task, ...]
    horizon_s: int
    scale: int = 1  # distances are multiplied by this before rounding to whole numbers for the solver


@dataclasses.dataclass(frozen=True)
class Visit:
    place: int
    task: str | None  # None: the depot
    kind: str  # "start", "pickup", "dropoff", "end"
    arrival_s: float
    load: int


@dataclasses.dataclass(frozen=True)
class Route:
    vehicle: str
    visits: tuple[Visit, ...]
    distance_m: float


@dataclasses.dataclass(frozen=True)
class Plan:
    routes: tuple[Route, ...]
    unassigned: tuple[str, ...]
    distance_m: float

    @property
    def feasible(self) -> bool:
        return not self.unassigned


@dataclasses.dataclass(frozen=True)
class _Node:
    place: int
    task: Task | None
    kind: str
    demand: int
    window: tuple[int, int]
    service_s: int


def _nodes(problem: Problem) -> tuple[list[_Node], list[tuple[int, int]], list[int]]:
    """The solver's nodes: first one per vehicle depot place, then the tasks' stops. Returns the nodes, the
    (pickup, dropoff) node pairs, and the plain drop-offs (loaded at the depot)."""
    depots = sorted({v.depot for v in problem.vehicles})
    nodes = [_Node(p, None, "depot", 0, (0, problem.horizon_s), 0) for p in depots]
    pairs: list[tuple[int, int]] = []
    plain: list[int] = []
    has_pickups = any(t.pickup is not None for t in problem.tasks)
    for task in problem.tasks:
        if task.pickup is not None or has_pickups:
            # loaded at a depot: a pickup at the first vehicle's depot place (a copy, so that pairs stay separate)
            place = task.pickup if task.pickup is not None else problem.vehicles[0].depot
            window = task.pickup_window or (0, problem.horizon_s)
            nodes.append(_Node(place, task, "pickup", task.load, window, task.service_s))
            nodes.append(_Node(task.dropoff, task, "dropoff", -task.load, task.dropoff_window, task.service_s))
            pairs.append((len(nodes) - 2, len(nodes) - 1))
        else:
            nodes.append(_Node(task.dropoff, task, "dropoff", task.load, task.dropoff_window, task.service_s))
            plain.append(len(nodes) - 1)
    return nodes, pairs, plain


def solve(
    problem: Problem,
    *,
    time_limit_s: float = 5.0,
    first_solution: str = "LOCAL_CHEAPEST_INSERTION",
    solution_limit: int | None = None,
) -> Plan:
    """Plan the routes: every vehicle leaves its depot and returns to it, carries at most its capacity, drives at
    most its range, only on roads it may use, arriving within each stop's time window (waiting when early).
    Tasks that cannot be served are left unassigned rather than failing the plan."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    nodes, pairs, plain = _nodes(problem)
    depot_index = {n.place: i for i, n in enumerate(nodes) if n.kind == "depot"}
    starts = [depot_index[v.depot] for v in problem.vehicles]
    manager = pywrapcp.RoutingIndexManager(len(nodes), len(problem.vehicles), starts, starts)
    routing = pywrapcp.RoutingModel(manager)
    scale = problem.scale

    def metres(profile: str, i: int, j: int) -> int:
        d = problem.distances[profile][nodes[i].place][nodes[j].place]
        return INFINITE if d >= INFINITE else round(d * scale)

    distance_callbacks: list[int] = []
    time_callbacks: list[int] = []
    for vehicle in problem.vehicles:

        def distance(a: int, b: int, profile: str = vehicle.profile) -> int:
            return metres(profile, manager.IndexToNode(a), manager.IndexToNode(b))

        def travel(a: int, b: int, v: Vehicle = vehicle) -> int:
            i, j = manager.IndexToNode(a), manager.IndexToNode(b)
            d = metres(v.profile, i, j)
            if d >= INFINITE:
                return INFINITE
            seconds: int = round(nodes[i].service_s * scale + d / v.speed_mps)
            return seconds

        distance_callbacks.append(routing.RegisterTransitCallback(distance))
        time_callbacks.append(routing.RegisterTransitCallback(travel))
    for k, callback in enumerate(distance_callbacks):
        routing.SetArcCostEvaluatorOfVehicle(callback, k)

    routing.AddDimensionWithVehicleTransitAndCapacity(
        distance_callbacks,
        0,
        [int(v.range_m * scale) for v in problem.vehicles],
        True,
        "Distance",
    )
    horizon = problem.horizon_s * scale
    routing.AddDimensionWithVehicleTransits(time_callbacks, horizon, horizon, False, "Time")
    time_dimension = routing.GetDimensionOrDie("Time")

    def demand(index: int) -> int:
        found: int = nodes[manager.IndexToNode(index)].demand
        return found

    demand_callback = routing.RegisterUnaryTransitCallback(demand)
    routing.AddDimensionWithVehicleCapacity(demand_callback, 0, [v.capacity for v in problem.vehicles], True, "Load")

    for i, node in enumerate(nodes):
        if node.kind == "depot":
            continue
        index = manager.NodeToIndex(i)
        time_dimension.CumulVar(index).SetRange(node.window[0] * scale, node.window[1] * scale)
    for k in range(len(problem.vehicles)):
        time_dimension.CumulVar(routing.Start(k)).SetRange(0, horizon)
        time_dimension.CumulVar(routing.End(k)).SetRange(0, horizon)
        routing.AddVariableMinimizedByFinalizer(time_dimension.CumulVar(routing.End(k)))
    for pickup, dropoff in pairs:
        p, d = manager.NodeToIndex(pickup), manager.NodeToIndex(dropoff)
        routing.AddPickupAndDelivery(p, d)
        solver = routing.solver()
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        solver.Add(time_dimension.CumulVar(p) <= time_dimension.CumulVar(d))
    # a task that cannot be served costs a lot but does not make the whole plan infeasible
    penalty = 10**9
    for pickup, dropoff in pairs:
        routing.AddDisjunction([manager.NodeToIndex(pickup), manager.NodeToIndex(dropoff)], penalty, 2)
    for dropoff in plain:
        routing.AddDisjunction([manager.NodeToIndex(dropoff)], penalty)

    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, first_solution)
    parameters.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    parameters.time_limit.FromMilliseconds(int(time_limit_s * 1000))
    if solution_limit is not None:
        parameters.solution_limit = solution_limit
    solution = routing.SolveWithParameters(parameters)
    if solution is None:
        return Plan((), tuple(t.ident for t in problem.tasks), 0.0)
    return _plan(problem, nodes, manager, routing, solution, time_dimension)


def _plan(
    problem: Problem, nodes: list[_Node], manager: object, routing: object, solution: object, time_dim: object
) -> Plan:
    routes: list[Route] = []
    served: set[str] = set()
    total = 0.0
    for k, vehicle in enumerate(problem.vehicles):
        index = routing.Start(k)  # type: ignore[attr-defined]
        visits: list[Visit] = []
        load = 0
        distance = 0.0
        previous: int | None = None
        while True:
            node_index = manager.IndexToNode(index)  # type: ignore[attr-defined]
            node = nodes[node_index]
            load += node.demand if node.kind != "depot" else 0
            if previous is not None:
                distance += problem.distances[vehicle.profile][nodes[previous].place][node.place]
            arrival = solution.Value(time_dim.CumulVar(index)) / problem.scale  # type: ignore[attr-defined]
            is_end = routing.IsEnd(index)  # type: ignore[attr-defined]
            kind = ("end" if is_end else "start") if node.kind == "depot" else node.kind
            visits.append(Visit(node.place, node.task.ident if node.task else None, kind, arrival, load))
            if node.task is not None:
                served.add(node.task.ident)
            if is_end:
                break
            previous = node_index
            index = solution.Value(routing.NextVar(index))  # type: ignore[attr-defined]
        if len(visits) > 2:
            routes.append(Route(vehicle.ident, tuple(visits), distance))
            total += distance
    unassigned = tuple(t.ident for t in problem.tasks if t.ident not in served)
    return Plan(tuple(routes), unassigned, total)


# -- Solomon instances (benchmarks) ------------------------------------------------------------------------------
def solomon_problem(text: str, *, vehicles: int = 25) -> Problem:
    """A Solomon VRPTW instance (first line: capacity; then: customer, x, y, demand, ready, due, service) as a
    problem: Euclidean distances, unit speed, customer 0 the depot."""
    lines = [line.split() for line in text.strip().splitlines() if line.strip()]
    capacity = int(lines[0][0])
    rows = [[float(v) for v in line] for line in lines[1:]]
    coordinates = [(r[1], r[2]) for r in rows]
    distances = [[math.dist(a, b) for b in coordinates] for a in coordinates]
    horizon = int(rows[0][5])
    tasks = tuple(
        Task(str(int(r[0])), int(r[0]), int(r[3]), (int(r[4]), int(r[5])), service_s=int(r[6])) for r in rows[1:]
    )
    fleet = tuple(Vehicle(f"V{k + 1}", 0, capacity, 1.0, float(INFINITE)) for k in range(vehicles))
    return Problem(len(rows), {"road": distances}, fleet, tasks, horizon, scale=100)


def total_distance(plan: Plan) -> float:
    return sum(r.distance_m for r in plan.routes)


def places_of(routes: Iterable[Route]) -> list[list[int]]:
    return [[v.place for v in r.visits] for r in routes]
