"""The energy flow of a park as a Sankey diagram, from its meter tree (free of the database).

Sources (grid purchase, own generation) → carriers → the park's meters down the tree (park → building →
enterprise → sub-meters). What a meter measured beyond the sum of its children is its unmetered use and losses
(one node per carrier); what its children measured beyond it (meters disagree) is shown as a metering
difference flowing in. Every node in the middle passes on exactly what it receives, so the sources total the
park's top meters."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping


@dataclasses.dataclass(frozen=True)
class MeterNode:
    id: int
    parent_id: int | None
    name: str
    carrier: str
    flow: str  # purchased | generated | exported
    level: str


@dataclasses.dataclass(frozen=True)
class Link:
    source: str
    target: str
    value: float


@dataclasses.dataclass(frozen=True)
class Sankey:
    nodes: tuple[str, ...]
    links: tuple[Link, ...]
    sources_total: dict[str, float]  # carrier -> what the sources delivered
    top_meters_total: dict[str, float]  # carrier -> Σ of the top meters

    def balance(self) -> dict[str, float]:
        """inflow − outflow of every node that has both (0 when the diagram balances)."""
        inflow: dict[str, float] = defaultdict(float)
        outflow: dict[str, float] = defaultdict(float)
        for link in self.links:
            outflow[link.source] += link.value
            inflow[link.target] += link.value
        return {n: inflow[n] - outflow[n] for n in self.nodes if n in inflow and n in outflow}


def meter_label(m: MeterNode) -> str:
    return f"{m.name} #{m.id}"


def build(
    meters: Iterable[MeterNode],
    consumption: Mapping[int, float],
    labels: Mapping[str, str],
    *,
    tolerance: float = 1e-9,
) -> Sankey:
    """The diagram of `meters` (consumption per meter id, in each carrier's unit); `labels` names the fixed nodes
    ("source:purchased", "source:generated", "carrier:<code>", "losses", "difference")."""
    tree = {m.id: m for m in meters if m.flow != "exported"}
    children: dict[int, list[MeterNode]] = defaultdict(list)
    for m in tree.values():
        if m.parent_id is not None and m.parent_id in tree:
            children[m.parent_id].append(m)
    links: list[Link] = []
    sources: dict[str, float] = defaultdict(float)
    tops: dict[str, float] = defaultdict(float)

    def label(key: str, code: str = "") -> str:
        base = labels.get(key, key)
        return f"{base} ({labels.get('carrier:' + code, code)})" if code else base

    for m in sorted(tree.values(), key=lambda m: m.id):
        value = max(float(consumption.get(m.id, 0.0)), 0.0)
        if m.parent_id is None or m.parent_id not in tree:
            source = label(f"source:{m.flow if m.flow in ('purchased', 'generated') else 'purchased'}")
            carrier = label(f"carrier:{m.carrier}")
            if value > tolerance:
                links.append(Link(source, carrier, value))
                links.append(Link(carrier, meter_label(m), value))
            sources[m.carrier] += value
            tops[m.carrier] += value
        kids = children.get(m.id, [])
        if not kids:
            continue
        kid_total = 0.0
        for kid in kids:
            kid_value = max(float(consumption.get(kid.id, 0.0)), 0.0)
            kid_total += kid_value
            if kid_value > tolerance:
                links.append(Link(meter_label(m), meter_label(kid), kid_value))
        rest = value - kid_total
        if rest > tolerance:
            links.append(Link(meter_label(m), label("losses", m.carrier), rest))
        elif rest < -tolerance:
            links.append(Link(label("difference", m.carrier), meter_label(m), -rest))
    nodes: list[str] = []
    for link in links:
        for name in (link.source, link.target):
            if name not in nodes:
                nodes.append(name)
    return Sankey(tuple(nodes), tuple(links), dict(sources), dict(tops))
