"""The demo park's industry chains and investment register: every chain template of economy/data/chains.yaml,
the demo enterprises mapped to segments by industry code, local supply relations along the chains' edges,
fictional candidate companies around the Yangtze River Delta (economy/data/demo_chains.yaml) and leads in every
stage of the pipeline, owned by the demo administrator and operator. Written through the economy services, so
every row is validated and audited; deterministic for a seed."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import Role, User
from digipark.auth.scope import Scope, system_scope
from digipark.core.codes import make_uscc
from digipark.economy import chains, lead_scoring, leads
from digipark.economy.models import CompanySize, LeadStage, SegmentStatus
from digipark.economy.schemas import (
    IndustryChainCreate,
    InvestmentCandidateCreate,
    LeadCreate,
    LeadStageChange,
    SupplyRelationCreate,
)

Progress = Callable[[str, int, int], None]
STAGE = "chains"
_BODY_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@cache
def _data() -> dict[str, Any]:
    text = resources.files("digipark.economy").joinpath("data", "demo_chains.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise RuntimeError("malformed economy/data/demo_chains.yaml")
    return raw


def _scope_of(session: Session, park_id: int, role: Role) -> Scope:
    user = session.scalar(
        select(User).where(User.park_id == park_id, User.role == role.value).order_by(User.id).limit(1)
    )
    if user is None:
        return system_scope(park_id)
    return Scope.for_user(role=role, username=user.username, user_id=user.id, park_id=park_id)


def build_chains_demo(
    session: Session,
    *,
    park_id: int,
    as_of: dt.date,
    seed: int,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write the chains, mappings, supply relations, candidates and leads of the demo park; returns counts."""
    data = _data()
    as_of = min(as_of, leads.today())  # stage dates may not lie in the future
    rng = random.Random(f"{seed}:chains")
    scope = system_scope(park_id)
    total = len(chains.templates()) + 3
    done = 0

    def report() -> None:
        if progress is not None:
            progress(STAGE, done, total)

    counts = dict.fromkeys(("chains", "segment_mappings", "supply_relations", "candidates", "leads"), 0)
    graphs: list[chains.ChainGraph] = []
    for template in chains.templates().values():
        chain = chains.create_chain(session, scope=scope, data=IndustryChainCreate(template=template.code))
        counts["segment_mappings"] += len(chains.confirm_suggestions(session, scope=scope, chain_id=chain.id))
        graphs.append(chains.chain_graph(session, scope=scope, chain_id=chain.id))
        counts["chains"] += 1
        done += 1
        report()

    # supply relations along the chains' edges, between enterprises of adjacent segments
    pairs: list[tuple[int, int, str]] = []
    for graph in graphs:
        vocabulary = data["segments"][graph.chain.template or ""]
        for edge in graph.edges:
            suppliers = graph.node(edge.from_segment_id).enterprises
            customers = graph.node(edge.to_segment_id).enterprises
            if suppliers and customers:
                supplier, customer = rng.choice(suppliers), rng.choice(customers)
                product = str(vocabulary[graph.node(edge.from_segment_id).segment.code][1]).split("、")[0]
                if supplier.id != customer.id:
                    pairs.append((supplier.id, customer.id, product))
    rng.shuffle(pairs)
    seen: set[tuple[int, int, str]] = set()
    for supplier_id, customer_id, product in pairs:
        if len(seen) >= int(data["supply_relations"]) or (supplier_id, customer_id, product) in seen:
            continue
        seen.add((supplier_id, customer_id, product))
        chains.create_relation(
            session,
            scope=scope,
            data=SupplyRelationCreate(
                supplier_id=supplier_id,
                customer_id=customer_id,
                product=product,
                annual_value_wan_yuan=float(rng.randrange(200, 8000, 50)),
            ),
        )
    counts["supply_relations"] = len(seen)
    done += 1
    report()

    # candidates, mostly for the weak and empty segments
    weights = {SegmentStatus.EMPTY: 3, SegmentStatus.WEAK: 2, SegmentStatus.STRONG: 1}
    nodes = [(graph, node) for graph in graphs for node in graph.nodes]
    regions: dict[str, str] = {str(code): str(city) for code, city in data["regions"].items()}
    names: set[str] = set()
    bodies: set[str] = set()
    while counts["candidates"] < int(data["candidates"]):
        graph, node = rng.choices(nodes, weights=[weights[n.status] for _, n in nodes])[0]
        business, products = data["segments"][graph.chain.template or ""][node.segment.code]
        region = rng.choice(sorted(regions))
        words = (regions[region], rng.choice(data["brands"]), business, rng.choice(data["suffixes"]))
        name = "".join(words)
        english = data["english"]
        name_en = " ".join(str(english[w]) for w in words)
        if name in names:
            continue
        names.add(name)
        size = rng.choices(["large", "medium", "small"], weights=[2, 5, 3])[0]
        spec = data["sizes"][size]
        body = "MA" + "".join(rng.choice(_BODY_CHARS) for _ in range(6))
        if body in bodies:
            continue
        bodies.add(body)
        wants_land = "land" in spec and rng.random() < 0.4
        leads.create_candidate(
            session,
            scope=scope,
            data=InvestmentCandidateCreate(
                name=name,
                name_en=name_en,
                uscc=make_uscc("9", "1", region, body),
                region_code=region,
                segment_id=node.segment.id,
                size=CompanySize(size),
                employees=rng.randint(*spec["employees"]),
                revenue_wan_yuan=float(rng.randrange(spec["revenue"][0], spec["revenue"][1], 100)),
                products=str(products),
                land_need_m2=float(rng.randrange(spec["land"][0], spec["land"][1], 1000)) if wants_land else None,
                floor_need_m2=None if wants_land else float(rng.randrange(spec["floor"][0], spec["floor"][1], 100)),
                source=rng.choice(data["sources"]),
            ),
        )
        counts["candidates"] += 1
    done += 1
    report()

    # leads of the best-ranked candidates, in every stage, owned by the administrator and the operator
    owners = [_scope_of(session, park_id, Role.PARK_ADMIN), _scope_of(session, park_id, Role.OPERATOR)]
    ranked = lead_scoring.ranked(session, scope=scope)
    for index, (score, stage_name) in enumerate(zip(ranked, data["lead_stages"], strict=False)):
        owner = owners[index % 2]
        stage = LeadStage(stage_name)
        day = as_of - dt.timedelta(days=rng.randint(90, 240))
        lead = leads.create_lead(
            session,
            scope=owner,
            data=LeadCreate(
                candidate_id=score.candidate.id,
                owner_user_id=owner.user_id,
                contacted_on=day,
                note=f"来源：{score.candidate.source}" if score.candidate.source else None,
            ),
        )
        if stage == LeadStage.LOST:
            steps = [*leads.PIPELINE[1 : rng.randint(1, 3)], LeadStage.LOST]
        else:
            steps = list(leads.PIPELINE[1 : leads.PIPELINE.index(stage) + 1])
        for step in steps:
            day = min(as_of, day + dt.timedelta(days=rng.randint(8, 35)))
            reason = rng.choice(data["lost_reasons"]) if step == LeadStage.LOST else None
            leads.change_stage(
                session,
                scope=owner,
                ident=lead.id,
                data=LeadStageChange(stage=step, on=day, lost_reason=reason),
            )
        if stage not in leads.FINAL:
            lead.next_action = rng.choice(data["next_actions"][stage.value])
            lead.next_action_on = as_of + dt.timedelta(days=rng.randint(3, 30))
        counts["leads"] += 1
    session.flush()
    done += 1
    report()
    return counts
