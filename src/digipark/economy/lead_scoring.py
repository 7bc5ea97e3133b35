"""The ranking of investment candidates by how well they fill the park's chains: rules and weights from
`economy/data/lead_scoring.yaml`, every score with its components, points and reasons."""

from __future__ import annotations

import builtins
import dataclasses
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.economy import chains
from digipark.economy.models import ChainSegment, InvestmentCandidate, Lead, SegmentStatus
from digipark.economy.statistics import today
from digipark.registry import service as registry


# -- scoring rules ---------------------------------------------------------------------------------------------
@cache
def scoring() -> dict[str, Any]:
    text = resources.files("digipark.economy").joinpath("data", "lead_scoring.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict) or "components" not in raw:
        raise RuntimeError("malformed economy/data/lead_scoring.yaml")
    components: dict[str, Any] = raw["components"]
    return components


@dataclasses.dataclass
class ScoreComponent:
    key: str
    label_zh: str
    label_en: str
    points: float
    max_points: float
    fraction: float
    reason_zh: str
    reason_en: str


@dataclasses.dataclass
class CandidateScore:
    candidate: InvestmentCandidate
    chain_id: int
    segment: ChainSegment
    segment_status: SegmentStatus
    score: float
    components: builtins.list[ScoreComponent]
    lead_id: int | None = None

    @property
    def segment_code(self) -> str:
        return self.segment.code

    @property
    def segment_name(self) -> str:
        return self.segment.name


def _m2(value: float) -> str:
    return f"{value:,.0f}"


def _component(key: str, fraction: float, reason_zh: str, reason_en: str) -> ScoreComponent:
    rules = scoring()[key]
    weight = float(rules["weight"])
    return ScoreComponent(
        key=key,
        label_zh=str(rules["label"]["zh"]),
        label_en=str(rules["label"]["en"]),
        points=round(weight * fraction, 1),
        max_points=weight,
        fraction=fraction,
        reason_zh=reason_zh,
        reason_en=reason_en,
    )


def _reason(key: str, case: str, **fields: Any) -> tuple[str, str]:
    texts = scoring()[key]["reasons"][case]
    zh_fields = {k: v[0] if isinstance(v, tuple) else v for k, v in fields.items()}
    en_fields = {k: v[1] if isinstance(v, tuple) else v for k, v in fields.items()}
    return str(texts["zh"]).format(**zh_fields), " ".join(str(texts["en"]).split()).format(**en_fields)


def _names(segment: ChainSegment) -> tuple[str, str]:
    return segment.name, segment.name_en or segment.name


def gap_component(node: chains.SegmentNode) -> ScoreComponent:
    status = node.status
    fraction = float(scoring()["segment_gap"]["fractions"][status.value])
    zh, en = _reason(
        "segment_gap",
        status.value,
        segment=_names(node.segment),
        enterprises=node.enterprise_count,
        reason_zh=node.reason_zh,
        reason_en=node.reason_en,
    )
    return _component("segment_gap", fraction, zh, en)


def size_component(size: str | None, employees: int | None) -> ScoreComponent:
    rules = scoring()["size_fit"]
    if size is None:
        zh, en = _reason("size_fit", "unknown")
        return _component("size_fit", float(rules["fractions"]["unknown"]), zh, en)
    label = rules["size_labels"][size]
    zh, en = _reason("size_fit", "known", size=(label["zh"], label["en"]), employees=employees)
    if employees is not None:
        zh, en = f"{zh}（{employees} 人）", f"{en} ({employees} employees)"
    return _component("size_fit", float(rules["fractions"][size]), zh, en)


def proximity_component(graph: chains.ChainGraph, segment_id: int) -> ScoreComponent:
    rules = scoring()["supply_proximity"]
    upstream, downstream = graph.neighbours(segment_id)

    def side(nodes: builtins.list[chains.SegmentNode]) -> tuple[int, tuple[str, str]]:
        ids = {e.id for n in nodes for e in n.enterprises}
        parts = [(n, n.enterprise_count) for n in nodes if n.enterprise_count]
        zh = "、".join(f"{n.segment.name} {count}" for n, count in parts) or "无"
        en = ", ".join(f"{n.segment.name_en or n.segment.name} {count}" for n, count in parts) or "none"
        return len(ids), (zh, en)

    up, up_detail = side(upstream)
    down, down_detail = side(downstream)
    fraction = min(1.0, (up + down) / float(rules["saturate_at"]))
    if up + down == 0:
        zh, en = _reason("supply_proximity", "none")
    else:
        zh, en = _reason(
            "supply_proximity",
            "some",
            upstream=up,
            downstream=down,
            upstream_detail=up_detail,
            downstream_detail=down_detail,
        )
    return _component("supply_proximity", fraction, zh, en)


def space_component(
    space: registry.FreeSpace, land_need_m2: float | None, floor_need_m2: float | None
) -> ScoreComponent:
    rules = scoring()["space_fit"]
    fractions = rules["fractions"]
    if not land_need_m2 and not floor_need_m2:
        zh, en = _reason("space_fit", "no_need")
        return _component("space_fit", float(fractions["no_need"]), zh, en)
    parts: builtins.list[tuple[float, str, str]] = []
    if floor_need_m2:
        uses = set(rules["building_uses"])
        areas = [b.vacant_area_m2 for b in space.buildings if b.use in uses]
        largest, total = max(areas, default=0.0), sum(areas)
        case = "floor_fits" if largest >= floor_need_m2 else "floor_spread" if total >= floor_need_m2 else "floor_none"
        fraction = {"floor_fits": "fits", "floor_spread": "fits_spread", "floor_none": "no_fit"}[case]
        zh, en = _reason("space_fit", case, need=_m2(floor_need_m2), largest=_m2(largest), total=_m2(total))
        parts.append((float(fractions[fraction]), zh, en))
    if land_need_m2:
        land_uses = tuple(str(u) for u in rules["land_uses"])
        areas = [p.area_m2 for p in space.parcels if p.land_use.upper().startswith(land_uses)]
        largest, total = max(areas, default=0.0), sum(areas)
        case = "land_fits" if largest >= land_need_m2 else "land_spread" if total >= land_need_m2 else "land_none"
        fraction = {"land_fits": "fits", "land_spread": "fits_spread", "land_none": "no_fit"}[case]
        zh, en = _reason("space_fit", case, need=_m2(land_need_m2), largest=_m2(largest), total=_m2(total))
        parts.append((float(fractions[fraction]), zh, en))
    return _component(
        "space_fit", min(p[0] for p in parts), "；".join(p[1] for p in parts), "; ".join(p[2] for p in parts)
    )


class Ranking:
    """What scoring many candidates shares: one chain graph per chain, one free-space inventory per park."""

    def __init__(self, session: Session, scope: Scope) -> None:
        self.session = session
        self.scope = scope
        self._graphs: dict[int, chains.ChainGraph] = {}
        self._space: dict[int, registry.FreeSpace] = {}
        self._segments: dict[int, ChainSegment] = {}

    def graph(self, chain_id: int) -> chains.ChainGraph:
        if chain_id not in self._graphs:
            self._graphs[chain_id] = chains.chain_graph(self.session, scope=self.scope, chain_id=chain_id)
        return self._graphs[chain_id]

    def space(self, park_id: int) -> registry.FreeSpace:
        if park_id not in self._space:
            self._space[park_id] = registry.free_space(self.session, scope=self.scope, park_id=park_id, as_of=today())
        return self._space[park_id]

    def segment(self, segment_id: int) -> ChainSegment:
        if segment_id not in self._segments:
            self._segments[segment_id] = self.scope.get_or_404(self.session, ChainSegment, segment_id)
        return self._segments[segment_id]

    def score(self, candidate: InvestmentCandidate, lead_id: int | None = None) -> CandidateScore:
        segment = self.segment(candidate.segment_id)
        graph = self.graph(segment.chain_id)
        node = graph.node(segment.id)
        components = [
            gap_component(node),
            size_component(candidate.size, candidate.employees),
            proximity_component(graph, segment.id),
            space_component(self.space(candidate.park_id), candidate.land_need_m2, candidate.floor_need_m2),
        ]
        return CandidateScore(
            candidate=candidate,
            chain_id=segment.chain_id,
            segment=segment,
            segment_status=node.status,
            score=round(sum(c.points for c in components), 1),
            components=components,
            lead_id=lead_id,
        )


def lead_ids(session: Session, scope: Scope, candidate_ids: builtins.list[int]) -> dict[int, int]:
    if not candidate_ids:
        return {}
    stmt = select(Lead.candidate_id, Lead.id).where(Lead.candidate_id.in_(candidate_ids), scope.condition(Lead))
    return {candidate_id: lead_id for candidate_id, lead_id in session.execute(stmt)}


def ranked(
    session: Session,
    *,
    scope: Scope,
    chain_id: int | None = None,
    park_id: int | None = None,
    limit: int | None = None,
) -> builtins.list[CandidateScore]:
    """Every candidate the scope may read (of one chain, of one park, if given), best score first, each score
    explained."""
    scope.require("lead.read")
    stmt = scope.readable(InvestmentCandidate)
    if park_id is not None:
        registry.get(session, scope=scope, kind=registry.KINDS["park"], ident=park_id)  # 404 outside the scope
        stmt = stmt.where(InvestmentCandidate.park_id == park_id)
    if chain_id is not None:
        chain = chains.get_chain(session, scope=scope, ident=chain_id)
        stmt = stmt.join(ChainSegment, ChainSegment.id == InvestmentCandidate.segment_id).where(
            ChainSegment.chain_id == chain.id
        )
    candidates = builtins.list(session.scalars(stmt.order_by(InvestmentCandidate.id)))
    leads = lead_ids(session, scope, [c.id for c in candidates])
    ranking = Ranking(session, scope)
    scores = [ranking.score(c, leads.get(c.id)) for c in candidates]
    scores.sort(key=lambda s: (-s.score, s.candidate.name, s.candidate.id))
    return scores[:limit] if limit is not None else scores
