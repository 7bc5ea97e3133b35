"""A battery's dispatch against the time-of-use tariff, solved as a linear programme (OR-Tools' GLOP, the LP solver
the project already ships; free of the database).

Slots t = 0..T−1 of `hours` each, price p_t (yuan/kWh), the site's load L_t and its PV generation G_t (kW).
Variables: charge c_t ∈ [0, P], discharge d_t ∈ [0, P] (kW at the battery's terminals), state of charge
s_t ∈ [s_min·E, s_max·E] (kWh), grid import g_t ≥ 0 and PV not used (spilled or exported unpaid) x_t ≥ 0.

    minimise   Σ p_t · g_t · h
    subject to g_t = L_t − G_t + c_t − d_t + x_t          (the site's balance; nothing is sold back)
               s_t = s_{t−1} + η_c · c_t · h − d_t · h / η_d,  s_{−1} = s_0
               s_{T−1} ≥ s_0                              (the day ends at least as full as it began)

The charge and discharge of one slot never both run in an optimum when η_c·η_d < 1 (it would lose energy for
nothing); with η = 1 they may, at no cost. Equivalent full cycles = Σ d_t · h / E."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence


@dataclasses.dataclass(frozen=True)
class Battery:
    capacity_kwh: float
    power_kw: float
    charge_efficiency: float = 0.95
    discharge_efficiency: float = 0.95
    min_soc: float = 0.1  # shares of the capacity
    max_soc: float = 0.95


@dataclasses.dataclass(frozen=True)
class Dispatch:
    charge_kw: list[float]
    discharge_kw: list[float]
    soc_kwh: list[float]  # at the end of each slot
    grid_kw: list[float]
    cost_before: float  # the grid's cost without the battery
    cost_after: float
    cycles: float

    @property
    def saving(self) -> float:
        return self.cost_before - self.cost_after


def dispatch(
    prices: Sequence[float],
    load_kw: Sequence[float],
    battery: Battery,
    *,
    pv_kw: Sequence[float] | None = None,
    initial_soc_kwh: float | None = None,
    hours: float = 1.0,
) -> Dispatch:
    """The cheapest schedule of the battery over the slots (see the module's LP)."""
    from ortools.linear_solver import pywraplp

    slots = len(prices)
    pv = list(pv_kw) if pv_kw is not None else [0.0] * slots
    if len(load_kw) != slots or len(pv) != slots:
        raise ValueError("one load and one PV value per price slot")
    if battery.capacity_kwh <= 0 or battery.power_kw < 0 or not 0 <= battery.min_soc <= battery.max_soc <= 1:
        raise ValueError("a battery with a capacity, a power and 0 ≤ min_soc ≤ max_soc ≤ 1")
    low, high = battery.min_soc * battery.capacity_kwh, battery.max_soc * battery.capacity_kwh
    start = min(max(initial_soc_kwh if initial_soc_kwh is not None else low, low), high)
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:  # pragma: no cover - GLOP ships with OR-Tools
        raise RuntimeError("OR-Tools GLOP is not available")
    inf = solver.infinity()
    c = [solver.NumVar(0.0, battery.power_kw, f"c{t}") for t in range(slots)]
    d = [solver.NumVar(0.0, battery.power_kw, f"d{t}") for t in range(slots)]
    s = [solver.NumVar(low, high, f"s{t}") for t in range(slots)]
    g = [solver.NumVar(0.0, inf, f"g{t}") for t in range(slots)]
    x = [solver.NumVar(0.0, inf, f"x{t}") for t in range(slots)]
    for t in range(slots):
        solver.Add(g[t] == float(load_kw[t]) - float(pv[t]) + c[t] - d[t] + x[t])
        previous = s[t - 1] if t else start
        solver.Add(
            s[t] == previous + battery.charge_efficiency * hours * c[t] - (hours / battery.discharge_efficiency) * d[t]
        )
    if slots:
        solver.Add(s[-1] >= start)
    objective = solver.Objective()
    for t in range(slots):
        objective.SetCoefficient(g[t], float(prices[t]) * hours)
        # a tiny cost on throughput: of equal-cost schedules, the one that cycles the battery least
        objective.SetCoefficient(c[t], 1e-6)
    objective.SetMinimization()
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        raise ValueError("no feasible dispatch (check the load and PV values)")
    grid = [g[t].solution_value() for t in range(slots)]
    before = sum(
        float(p) * max(float(ld) - float(v), 0.0) * hours for p, ld, v in zip(prices, load_kw, pv, strict=True)
    )
    after = sum(float(p) * v * hours for p, v in zip(prices, grid, strict=True))
    discharged = sum(v.solution_value() for v in d) * hours
    return Dispatch(
        [v.solution_value() for v in c],
        [v.solution_value() for v in d],
        [v.solution_value() for v in s],
        grid,
        before,
        after,
        discharged / battery.capacity_kwh,
    )
