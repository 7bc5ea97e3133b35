"""Industry chains: the park's leading chains as graphs of segments, enterprises mapped to segments, local supply
relations, and which segments are strong, weak or empty.

Templates and the classification thresholds are data (`economy/data/chains.yaml`). A chain's structure
(chain, segments, edges) is visible to every member of the park; its analysis (`chain_graph`: enterprises per
segment, output, classification; everyone's mappings, supply relations) needs `chain.read` (staff and
reviewers); changes need `chain.write`. Every read goes through the scope, every write through
`scope.authorize_write`; ORM writes are audited.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, NotFound, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.economy import schemas
from digipark.economy.models import (
    ChainEdge,
    ChainSegment,
    ChainStage,
    EnterpriseSegment,
    IndustryChain,
    InvestmentCandidate,
    MonthlyStatistic,
    SegmentStatus,
    SupplyRelation,
)
from digipark.registry import service as registry
from digipark.registry.models import Enterprise

STAGE_ORDER = {ChainStage.UPSTREAM.value: 0, ChainStage.MIDSTREAM.value: 1, ChainStage.DOWNSTREAM.value: 2}


# -- data ------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class SegmentTemplate:
    code: str
    name: str
    name_en: str
    stage: ChainStage
    position: int
    industry_codes: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class ChainTemplate:
    code: str
    name: str
    name_en: str
    description: str
    segments: tuple[SegmentTemplate, ...]
    edges: tuple[tuple[str, str], ...]


@dataclasses.dataclass(frozen=True)
class Thresholds:
    weak_below_enterprises: int
    weak_below_output_share: float
    output_months: int


@cache
def _data() -> dict[str, Any]:
    text = resources.files("digipark.economy").joinpath("data", "chains.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise RuntimeError("malformed economy/data/chains.yaml")
    return raw


@cache
def thresholds() -> Thresholds:
    raw = _data()["classification"]
    return Thresholds(
        weak_below_enterprises=int(raw["weak_below_enterprises"]),
        weak_below_output_share=float(raw["weak_below_output_share"]),
        output_months=int(raw["output_months"]),
    )


@cache
def templates() -> dict[str, ChainTemplate]:
    found: dict[str, ChainTemplate] = {}
    for entry in _data()["templates"]:
        segments = tuple(
            SegmentTemplate(
                code=str(s["code"]),
                name=str(s["name"]),
                name_en=str(s["name_en"]),
                stage=ChainStage(str(s["stage"])),
                position=int(s["position"]),
                industry_codes=tuple(str(c) for c in s["industry_codes"]),
            )
            for s in entry["segments"]
        )
        codes = {s.code for s in segments}
        edges = tuple((str(a), str(b)) for a, b in entry["edges"])
        if len(codes) != len(segments) or any(a not in codes or b not in codes for a, b in edges):
            raise RuntimeError(f"chains.yaml: template {entry['code']} has repeated segments or unknown edges")
        found[str(entry["code"])] = ChainTemplate(
            code=str(entry["code"]),
            name=str(entry["name"]),
            name_en=str(entry["name_en"]),
            description=str(entry["description"]),
            segments=segments,
            edges=edges,
        )
    return found


def matching_code(industry_code: str, prefixes: Iterable[str]) -> str | None:
    """The longest of `prefixes` that the enterprise's GB/T 4754 code starts with, or None."""
    hits = [p for p in prefixes if industry_code.startswith(p)]
    return max(hits, key=len) if hits else None


# -- chains ----------------------------------------------------------------------------------------------------
CHAIN_LIST = ListSpec(
    filters={"park_id": IndustryChain.park_id, "code": IndustryChain.code, "template": IndustryChain.template},
    search=[IndustryChain.name, IndustryChain.code, IndustryChain.name_en],
    sort={"id": IndustryChain.id, "code": IndustryChain.code, "name": IndustryChain.name},
    default_sort="code",
)
MAPPING_LIST = ListSpec(
    filters={
        "park_id": EnterpriseSegment.park_id,
        "chain_id": EnterpriseSegment.chain_id,
        "segment_id": EnterpriseSegment.segment_id,
        "enterprise_id": EnterpriseSegment.enterprise_id,
        "role": EnterpriseSegment.role,
    },
    sort={"id": EnterpriseSegment.id, "segment_id": EnterpriseSegment.segment_id},
)
RELATION_LIST = ListSpec(
    filters={
        "park_id": SupplyRelation.park_id,
        "supplier_id": SupplyRelation.supplier_id,
        "customer_id": SupplyRelation.customer_id,
    },
    search=[SupplyRelation.product],
    sort={"id": SupplyRelation.id, "product": SupplyRelation.product},
)


def list_chains(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[IndustryChain], int]:
    return CHAIN_LIST.apply(session, scope.readable(IndustryChain), query)


def get_chain(session: Session, *, scope: Scope, ident: int) -> IndustryChain:
    return scope.get_or_404(session, IndustryChain, ident)


def _check_chain_code(session: Session, park_id: int, code: str, ident: int | None) -> None:
    stmt = select(IndustryChain.id).where(IndustryChain.park_id == park_id, IndustryChain.code == code)
    found = session.scalar(stmt)
    if found is not None and found != ident:
        raise Conflict(f"the park already has a chain {code!r}", errors=[{"field": "code", "reason": "already used"}])


def create_chain(session: Session, *, scope: Scope, data: schemas.IndustryChainCreate) -> IndustryChain:
    scope.require("chain.write")
    park_id = scope.acting_write_park()
    template = None
    if data.template is not None:
        template = templates().get(data.template)
        if template is None:
            raise field_error("template", f"unknown template; one of {', '.join(templates())}")
    code = data.code or (template.code if template else None)
    name = data.name or (template.name if template else None)
    assert code is not None and name is not None  # the schema requires them without a template
    _check_chain_code(session, park_id, code, None)
    chain = IndustryChain(
        park_id=park_id,
        code=code,
        name=name,
        name_en=data.name_en or (template.name_en if template else None),
        description=data.description or (template.description if template else None),
        template=template.code if template else None,
    )
    session.add(chain)
    session.flush()
    if template is not None:
        ids: dict[str, int] = {}
        for s in template.segments:
            segment = ChainSegment(
                park_id=park_id,
                chain_id=chain.id,
                code=s.code,
                name=s.name,
                name_en=s.name_en,
                stage=s.stage.value,
                position=s.position,
                industry_codes=list(s.industry_codes),
            )
            session.add(segment)
            session.flush()
            ids[s.code] = segment.id
        for a, b in template.edges:
            session.add(ChainEdge(park_id=park_id, chain_id=chain.id, from_segment_id=ids[a], to_segment_id=ids[b]))
        session.flush()
    return chain


def update_chain(session: Session, *, scope: Scope, ident: int, data: schemas.IndustryChainUpdate) -> IndustryChain:
    chain = get_chain(session, scope=scope, ident=ident)
    scope.authorize_write_row("chain.write", chain)
    values = data.model_dump(exclude_unset=True)
    for field in ("code", "name"):
        if field in values and values[field] is None:
            raise field_error(field, "required: may not be set to null")
    if "code" in values:
        _check_chain_code(session, chain.park_id, values["code"], chain.id)
    for field, value in values.items():
        setattr(chain, field, value)
    session.flush()
    return chain


def _candidates_on(session: Session, segment_ids: builtins.list[int]) -> int:
    if not segment_ids:
        return 0
    stmt = select(func.count()).select_from(InvestmentCandidate).where(InvestmentCandidate.segment_id.in_(segment_ids))
    return session.scalar(stmt) or 0


def delete_chain(session: Session, *, scope: Scope, ident: int) -> None:
    """Delete a chain with its segments, edges and enterprise mappings (each delete audited); refused while
    investment candidates point at its segments."""
    chain = get_chain(session, scope=scope, ident=ident)
    scope.authorize_write_row("chain.write", chain)
    segment_ids = builtins.list(session.scalars(select(ChainSegment.id).where(ChainSegment.chain_id == chain.id)))
    if n := _candidates_on(session, segment_ids):
        raise Conflict(
            f"chain {chain.code} still has {n} investment candidates; move or delete them first",
            errors=[{"field": "id", "reason": f"in use by {n} investment_candidate"}],
        )
    for model in (ChainEdge, EnterpriseSegment, ChainSegment):
        for row in session.scalars(select(model).where(model.chain_id == chain.id)):
            session.delete(row)
        session.flush()
    session.delete(chain)
    session.flush()


# -- segments and edges -----------------------------------------------------------------------------------------
def segments(session: Session, *, scope: Scope, chain_id: int) -> builtins.list[ChainSegment]:
    stmt = scope.readable(ChainSegment).where(ChainSegment.chain_id == chain_id)
    rows = builtins.list(session.scalars(stmt))
    return sorted(rows, key=lambda s: (s.position, STAGE_ORDER.get(s.stage, 1), s.id))


def edges(session: Session, *, scope: Scope, chain_id: int) -> builtins.list[ChainEdge]:
    stmt = scope.readable(ChainEdge).where(ChainEdge.chain_id == chain_id).order_by(ChainEdge.id)
    return builtins.list(session.scalars(stmt))


def get_segment(session: Session, *, scope: Scope, ident: int) -> ChainSegment:
    return scope.get_or_404(session, ChainSegment, ident)


def _check_segment_code(session: Session, chain_id: int, code: str, ident: int | None) -> None:
    found = session.scalar(select(ChainSegment.id).where(ChainSegment.chain_id == chain_id, ChainSegment.code == code))
    if found is not None and found != ident:
        raise Conflict(
            f"the chain already has a segment {code!r}", errors=[{"field": "code", "reason": "already used"}]
        )


def create_segment(session: Session, *, scope: Scope, chain_id: int, data: schemas.ChainSegmentCreate) -> ChainSegment:
    chain = get_chain(session, scope=scope, ident=chain_id)
    scope.authorize_write_row("chain.write", chain)
    _check_segment_code(session, chain.id, data.code, None)
    values = data.model_dump()
    values["stage"] = data.stage.value
    segment = ChainSegment(park_id=chain.park_id, chain_id=chain.id, **values)
    session.add(segment)
    session.flush()
    return segment


def update_segment(session: Session, *, scope: Scope, ident: int, data: schemas.ChainSegmentUpdate) -> ChainSegment:
    segment = get_segment(session, scope=scope, ident=ident)
    scope.authorize_write_row("chain.write", segment)
    values = data.model_dump(exclude_unset=True)
    for field in ("code", "name", "stage", "position", "industry_codes"):
        if field in values and values[field] is None:
            raise field_error(field, "required: may not be set to null")
    if "code" in values:
        _check_segment_code(session, segment.chain_id, values["code"], segment.id)
    for field, value in values.items():
        setattr(segment, field, value.value if isinstance(value, ChainStage) else value)
    session.flush()
    return segment


def delete_segment(session: Session, *, scope: Scope, ident: int) -> None:
    """Delete a segment and its edges; refused while enterprises are mapped to it or candidates point at it."""
    segment = get_segment(session, scope=scope, ident=ident)
    scope.authorize_write_row("chain.write", segment)
    mapped = session.scalar(
        select(func.count()).select_from(EnterpriseSegment).where(EnterpriseSegment.segment_id == segment.id)
    )
    used = [
        f"{n} {what}"
        for n, what in (
            (mapped or 0, "enterprise_segment"),
            (_candidates_on(session, [segment.id]), "investment_candidate"),
        )
        if n
    ]
    if used:
        raise Conflict(
            f"segment {segment.code} is still used by {', '.join(used)}; remove them first",
            errors=[{"field": "id", "reason": f"in use by {', '.join(used)}"}],
        )
    stmt = select(ChainEdge).where((ChainEdge.from_segment_id == segment.id) | (ChainEdge.to_segment_id == segment.id))
    for edge in session.scalars(stmt):
        session.delete(edge)
    session.flush()
    session.delete(segment)
    session.flush()


def create_edge(session: Session, *, scope: Scope, chain_id: int, data: schemas.ChainEdgeCreate) -> ChainEdge:
    chain = get_chain(session, scope=scope, ident=chain_id)
    scope.authorize_write_row("chain.write", chain)
    for field in ("from_segment_id", "to_segment_id"):
        segment = session.scalar(scope.readable(ChainSegment).where(ChainSegment.id == getattr(data, field)))
        if segment is None or segment.chain_id != chain.id:
            raise field_error(field, "no such segment in this chain")
    exists = session.scalar(
        select(ChainEdge.id).where(
            ChainEdge.from_segment_id == data.from_segment_id, ChainEdge.to_segment_id == data.to_segment_id
        )
    )
    if exists is not None:
        raise Conflict(
            "the chain already has this edge", errors=[{"field": "to_segment_id", "reason": "already linked"}]
        )
    edge = ChainEdge(park_id=chain.park_id, chain_id=chain.id, **data.model_dump())
    session.add(edge)
    session.flush()
    return edge


def delete_edge(session: Session, *, scope: Scope, ident: int) -> None:
    edge = scope.get_or_404(session, ChainEdge, ident)
    scope.authorize_write_row("chain.write", edge)
    session.delete(edge)
    session.flush()


# -- enterprise mappings ------------------------------------------------------------------------------------------
def list_mappings(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[EnterpriseSegment], int]:
    """Staff see every mapping of their parks; an enterprise its own (the scope's owner column)."""
    return MAPPING_LIST.apply(session, scope.readable(EnterpriseSegment), query)


def _enterprise_of_park(session: Session, scope: Scope, enterprise_id: int, park_id: int, field: str) -> Enterprise:
    try:
        enterprise: Enterprise = registry.get(
            session, scope=scope, kind=registry.KINDS["enterprise"], ident=enterprise_id
        )
    except NotFound:
        raise field_error(field, "no such enterprise") from None
    if enterprise.park_id != park_id:
        raise field_error(field, "the enterprise is not in this chain's park")
    return enterprise


def create_mapping(
    session: Session, *, scope: Scope, data: schemas.EnterpriseSegmentCreate, source: str = "manual"
) -> EnterpriseSegment:
    segment = session.scalar(scope.readable(ChainSegment).where(ChainSegment.id == data.segment_id))
    if segment is None:
        raise field_error("segment_id", "no such segment")
    scope.authorize_write("chain.write", park_id=segment.park_id)
    _enterprise_of_park(session, scope, data.enterprise_id, segment.park_id, "enterprise_id")
    exists = session.scalar(
        select(EnterpriseSegment.id).where(
            EnterpriseSegment.enterprise_id == data.enterprise_id, EnterpriseSegment.segment_id == segment.id
        )
    )
    if exists is not None:
        raise Conflict(
            "the enterprise is already mapped to this segment",
            errors=[{"field": "segment_id", "reason": "already mapped"}],
        )
    mapping = EnterpriseSegment(
        park_id=segment.park_id,
        enterprise_id=data.enterprise_id,
        chain_id=segment.chain_id,
        segment_id=segment.id,
        role=data.role.value,
        source=source,
    )
    session.add(mapping)
    session.flush()
    return mapping


def delete_mapping(session: Session, *, scope: Scope, ident: int) -> None:
    mapping = scope.get_or_404(session, EnterpriseSegment, ident)
    # the row's owner is the enterprise, but mappings are the park's to maintain: check the park only
    scope.authorize_write("chain.write", park_id=mapping.park_id)
    session.delete(mapping)
    session.flush()


@dataclasses.dataclass(frozen=True)
class Suggestion:
    enterprise_id: int
    enterprise_name: str
    industry_code: str
    segment_id: int
    segment_code: str
    segment_name: str
    matched_code: str


def suggest_mappings(session: Session, *, scope: Scope, chain_id: int) -> builtins.list[Suggestion]:
    """Enterprises of the chain's park whose GB/T 4754 code matches a segment's `industry_codes` and that are
    not mapped to that segment yet; the park confirms them (`confirm_suggestions`)."""
    chain = get_chain(session, scope=scope, ident=chain_id)
    scope.require("chain.read")
    chain_segments = [s for s in segments(session, scope=scope, chain_id=chain.id) if s.industry_codes]
    if not chain_segments:
        return []
    mapped = {
        (enterprise_id, segment_id)
        for enterprise_id, segment_id in session.execute(
            select(EnterpriseSegment.enterprise_id, EnterpriseSegment.segment_id).where(
                EnterpriseSegment.chain_id == chain.id
            )
        )
    }
    stmt = (
        scope.readable(Enterprise)
        .where(Enterprise.park_id == chain.park_id, Enterprise.status == "active")
        .order_by(Enterprise.industry_code, Enterprise.id)
    )
    found: builtins.list[Suggestion] = []
    for enterprise in session.scalars(stmt):
        for segment in chain_segments:
            code = matching_code(enterprise.industry_code, segment.industry_codes)
            if code is not None and (enterprise.id, segment.id) not in mapped:
                found.append(
                    Suggestion(
                        enterprise.id,
                        enterprise.name,
                        enterprise.industry_code,
                        segment.id,
                        segment.code,
                        segment.name,
                        code,
                    )
                )
    return found


def confirm_suggestions(
    session: Session, *, scope: Scope, chain_id: int, pairs: builtins.list[tuple[int, int]] | None = None
) -> builtins.list[EnterpriseSegment]:
    """Map the suggested (enterprise, segment) pairs, or every current suggestion; a pair that is not a current
    suggestion is refused (422) and nothing is mapped."""
    chain = get_chain(session, scope=scope, ident=chain_id)
    scope.authorize_write_row("chain.write", chain)
    suggested = {(s.enterprise_id, s.segment_id): s for s in suggest_mappings(session, scope=scope, chain_id=chain.id)}
    wanted = builtins.list(dict.fromkeys(pairs)) if pairs is not None else builtins.list(suggested)
    unknown = [p for p in wanted if p not in suggested]
    if unknown:
        raise field_error("items", f"not a current suggestion: {', '.join(f'{e}/{s}' for e, s in unknown[:10])}")
    created = []
    for enterprise_id, segment_id in wanted:
        mapping = EnterpriseSegment(
            park_id=chain.park_id,
            enterprise_id=enterprise_id,
            chain_id=chain.id,
            segment_id=segment_id,
            role="main",
            source="suggested",
        )
        session.add(mapping)
        created.append(mapping)
    session.flush()
    return created


# -- supply relations ------------------------------------------------------------------------------------------
def list_relations(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[SupplyRelation], int]:
    scope.require("chain.read")
    return RELATION_LIST.apply(session, scope.readable(SupplyRelation), query)


def get_relation(session: Session, *, scope: Scope, ident: int) -> SupplyRelation:
    scope.require("chain.read")
    return scope.get_or_404(session, SupplyRelation, ident)


def create_relation(session: Session, *, scope: Scope, data: schemas.SupplyRelationCreate) -> SupplyRelation:
    scope.require("chain.write")
    park_id = scope.acting_write_park()
    _enterprise_of_park(session, scope, data.supplier_id, park_id, "supplier_id")
    _enterprise_of_park(session, scope, data.customer_id, park_id, "customer_id")
    exists = session.scalar(
        select(SupplyRelation.id).where(
            SupplyRelation.supplier_id == data.supplier_id,
            SupplyRelation.customer_id == data.customer_id,
            SupplyRelation.product == data.product,
        )
    )
    if exists is not None:
        raise Conflict("this supply relation is already recorded", errors=[{"field": "product", "reason": "exists"}])
    relation = SupplyRelation(park_id=park_id, **data.model_dump())
    session.add(relation)
    session.flush()
    return relation


def update_relation(
    session: Session, *, scope: Scope, ident: int, data: schemas.SupplyRelationUpdate
) -> SupplyRelation:
    relation = get_relation(session, scope=scope, ident=ident)
    scope.authorize_write_row("chain.write", relation)
    values = data.model_dump(exclude_unset=True)
    if "product" in values and values["product"] is None:
        raise field_error("product", "required: may not be set to null")
    for field, value in values.items():
        setattr(relation, field, value)
    session.flush()
    return relation


def delete_relation(session: Session, *, scope: Scope, ident: int) -> None:
    relation = get_relation(session, scope=scope, ident=ident)
    scope.authorize_write_row("chain.write", relation)
    session.delete(relation)
    session.flush()


# -- the chain graph ---------------------------------------------------------------------------------------------
def classify(
    enterprises: int, output: float | None, chain_output: float | None, limits: Thresholds | None = None
) -> tuple[SegmentStatus, str, str]:
    """(status, reason in Chinese, reason in English) of a segment with `enterprises` mapped enterprises and, when
    the statistics module knows them, its and the whole chain's output over the last months."""
    limits = limits or thresholds()
    if enterprises == 0:
        return SegmentStatus.EMPTY, "园区内无企业", "no enterprise of the park"
    minimum = limits.weak_below_enterprises
    if enterprises < minimum:
        return (
            SegmentStatus.WEAK,
            f"仅 {enterprises} 家企业（少于 {minimum} 家）",
            f"only {enterprises} enterprise{'s' if enterprises != 1 else ''} (fewer than {minimum})",
        )
    if output is not None and chain_output:
        share = output / chain_output
        months = limits.output_months
        if share < limits.weak_below_output_share:
            limit = f"{limits.weak_below_output_share:.0%}"
            return (
                SegmentStatus.WEAK,
                f"{enterprises} 家企业，但近 {months} 个月产值仅占全链 {share:.1%}（低于 {limit}）",
                f"{enterprises} enterprises, but only {share:.1%} of the chain's output over {months} months "
                f"(below {limit})",
            )
        return (
            SegmentStatus.STRONG,
            f"{enterprises} 家企业，近 {months} 个月产值占全链 {share:.1%}",
            f"{enterprises} enterprises, {share:.1%} of the chain's output over {months} months",
        )
    return SegmentStatus.STRONG, f"{enterprises} 家企业", f"{enterprises} enterprises"


@dataclasses.dataclass
class SegmentEnterprise:
    id: int
    name: str
    role: str
    output_wan_yuan: float | None


@dataclasses.dataclass
class SegmentNode:
    segment: ChainSegment
    enterprises: builtins.list[SegmentEnterprise]
    output_wan_yuan: float | None
    output_share: float | None
    status: SegmentStatus
    reason_zh: str
    reason_en: str
    candidates: int

    @property
    def enterprise_count(self) -> int:
        return len({e.id for e in self.enterprises})


@dataclasses.dataclass
class ChainGraph:
    chain: IndustryChain
    thresholds: Thresholds
    nodes: builtins.list[SegmentNode]
    edges: builtins.list[ChainEdge]
    relations: builtins.list[SupplyRelation]
    output_wan_yuan: float | None

    @property
    def output_known(self) -> bool:
        return self.output_wan_yuan is not None

    def node(self, segment_id: int) -> SegmentNode:
        return next(n for n in self.nodes if n.segment.id == segment_id)

    def neighbours(self, segment_id: int) -> tuple[builtins.list[SegmentNode], builtins.list[SegmentNode]]:
        """(segments supplying this one, segments it supplies)."""
        upstream = [self.node(e.from_segment_id) for e in self.edges if e.to_segment_id == segment_id]
        downstream = [self.node(e.to_segment_id) for e in self.edges if e.from_segment_id == segment_id]
        return upstream, downstream


def enterprise_output(
    session: Session, *, scope: Scope, park_id: int, enterprise_ids: builtins.list[int], months: int
) -> dict[int, float] | None:
    """Output value (万元) of each enterprise over the park's last `months` reported months (monthly statistics);
    None when the park has no statistics the scope may read (the classification is then count-based)."""
    latest = session.scalar(
        select(func.max(MonthlyStatistic.period)).where(
            MonthlyStatistic.park_id == park_id, scope.condition(MonthlyStatistic)
        )
    )
    if latest is None:
        return None
    index = latest.year * 12 + latest.month - 1 - (months - 1)
    first = dt.date(index // 12, index % 12 + 1, 1)
    if not enterprise_ids:
        return {}
    rows = session.execute(
        select(MonthlyStatistic.enterprise_id, func.sum(MonthlyStatistic.output_value_wan_yuan))
        .where(
            MonthlyStatistic.park_id == park_id,
            MonthlyStatistic.enterprise_id.in_(enterprise_ids),
            MonthlyStatistic.period >= first,
            MonthlyStatistic.period <= latest,
            scope.condition(MonthlyStatistic),
        )
        .group_by(MonthlyStatistic.enterprise_id)
    )
    return {enterprise_id: float(total or 0.0) for enterprise_id, total in rows}


def chain_graph(session: Session, *, scope: Scope, chain_id: int) -> ChainGraph:
    """The chain with, per segment, the enterprises mapped, their output, the classification and its reason;
    the local supply relations between enterprises of the chain. Needs `chain.read`."""
    chain = get_chain(session, scope=scope, ident=chain_id)
    scope.require("chain.read")
    limits = thresholds()
    chain_segments = segments(session, scope=scope, chain_id=chain.id)
    rows = session.execute(
        select(EnterpriseSegment.segment_id, EnterpriseSegment.role, Enterprise.id, Enterprise.name)
        .join(Enterprise, Enterprise.id == EnterpriseSegment.enterprise_id)
        .where(
            EnterpriseSegment.chain_id == chain.id,
            scope.condition(EnterpriseSegment),
            scope.condition(Enterprise),
        )
        .order_by(Enterprise.name)
    ).all()
    enterprise_ids = sorted({row[2] for row in rows})
    outputs = enterprise_output(
        session, scope=scope, park_id=chain.park_id, enterprise_ids=enterprise_ids, months=limits.output_months
    )
    by_segment: dict[int, builtins.list[SegmentEnterprise]] = defaultdict(builtins.list)
    for segment_id, role, enterprise_id, name in rows:
        output = None if outputs is None else outputs.get(enterprise_id, 0.0)
        by_segment[segment_id].append(SegmentEnterprise(enterprise_id, name, role, output))
    segment_output: dict[int, float] | None = None
    chain_output: float | None = None
    if outputs is not None:
        segment_output = {s.id: sum(e.output_wan_yuan or 0.0 for e in by_segment.get(s.id, ())) for s in chain_segments}
        chain_output = sum(outputs.get(e, 0.0) for e in enterprise_ids)
    candidate_counts: dict[int, int] = {
        segment_id: n
        for segment_id, n in session.execute(
            select(InvestmentCandidate.segment_id, func.count())
            .where(
                InvestmentCandidate.segment_id.in_([s.id for s in chain_segments]),
                scope.condition(InvestmentCandidate),
            )
            .group_by(InvestmentCandidate.segment_id)
        )
    }
    nodes = []
    for segment in chain_segments:
        members = by_segment.get(segment.id, [])
        output = None if segment_output is None else segment_output[segment.id]
        count = len({m.id for m in members})
        status, reason_zh, reason_en = classify(count, output, chain_output, limits)
        share = output / chain_output if output is not None and chain_output else None
        nodes.append(
            SegmentNode(
                segment=segment,
                enterprises=members,
                output_wan_yuan=output,
                output_share=share,
                status=status,
                reason_zh=reason_zh,
                reason_en=reason_en,
                candidates=candidate_counts.get(segment.id, 0) if scope.can("lead.read") else 0,
            )
        )
    relations: builtins.list[SupplyRelation] = []
    if enterprise_ids:
        members_of_chain = set(enterprise_ids)
        relations = [
            r
            for r in session.scalars(
                scope.readable(SupplyRelation)
                .where(SupplyRelation.park_id == chain.park_id)
                .order_by(SupplyRelation.id)
            )
            if r.supplier_id in members_of_chain and r.customer_id in members_of_chain
        ]
    return ChainGraph(
        chain=chain,
        thresholds=limits,
        nodes=nodes,
        edges=edges(session, scope=scope, chain_id=chain.id),
        relations=relations,
        output_wan_yuan=chain_output,
    )


# -- the enterprise archive's section -----------------------------------------------------------------------------
def archive_section(session: Session, scope: Scope, enterprise: Enterprise) -> dict[str, Any]:
    """The enterprise's chain segments and, for staff, its local supply relations (digipark.economy.archive)."""
    rows = session.execute(
        select(IndustryChain.name, ChainSegment.name, ChainSegment.stage, EnterpriseSegment.role)
        .join(ChainSegment, ChainSegment.id == EnterpriseSegment.segment_id)
        .join(IndustryChain, IndustryChain.id == EnterpriseSegment.chain_id)
        .where(EnterpriseSegment.enterprise_id == enterprise.id, scope.condition(EnterpriseSegment))
        .order_by(IndustryChain.code, ChainSegment.position)
    ).all()
    data: dict[str, Any] = {
        "segments": [
            {"chain": chain, "segment": segment, "stage": stage, "role": role} for chain, segment, stage, role in rows
        ]
    }
    relations = builtins.list(
        session.scalars(
            scope.readable(SupplyRelation)
            .where((SupplyRelation.supplier_id == enterprise.id) | (SupplyRelation.customer_id == enterprise.id))
            .order_by(SupplyRelation.id)
        )
    )
    if relations:
        ids = {r.supplier_id for r in relations} | {r.customer_id for r in relations}
        names = {
            ident: name
            for ident, name in session.execute(
                select(Enterprise.id, Enterprise.name).where(
                    Enterprise.id.in_(sorted(ids)), scope.condition(Enterprise)
                )
            )
        }
        data["supply_relations"] = [
            {
                "supplier": names.get(r.supplier_id, "—"),
                "customer": names.get(r.customer_id, "—"),
                "product": r.product,
                "annual_value_wan_yuan": r.annual_value_wan_yuan,
            }
            for r in relations
        ]
    return data
