"""Industry chains: templates, segments and edges, enterprise mappings and suggestions, supply relations, and the
chain graph's strong / weak / empty classification with its reasons."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.auth.models import Role
from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.economy import chains
from digipark.economy.chains import Thresholds, classify
from digipark.economy.models import EnterpriseSegment, SegmentStatus
from digipark.economy.schemas import (
    ChainEdgeCreate,
    ChainSegmentCreate,
    EnterpriseSegmentCreate,
    IndustryChainCreate,
    SupplyRelationCreate,
)
from tests.conftest import World, bearer
from tests.economy.chain_helpers import admin_scope, build_chain, role_scope
from tests.economy.helpers import series

API = "/api/v1/economy"
LIMITS = Thresholds(weak_below_enterprises=3, weak_below_output_share=0.05, output_months=12)


def test_classification_rules() -> None:
    assert classify(0, None, None, LIMITS)[0] == SegmentStatus.EMPTY
    assert classify(0, 0.0, 1000.0, LIMITS)[0] == SegmentStatus.EMPTY
    status, zh, en = classify(2, None, None, LIMITS)
    assert status == SegmentStatus.WEAK and "2" in zh and "fewer than 3" in en
    assert classify(3, None, None, LIMITS)[0] == SegmentStatus.STRONG
    # enough enterprises, but a small share of the chain's output: weak, and the reason says why
    status, zh, en = classify(4, 40.0, 1000.0, LIMITS)
    assert status == SegmentStatus.WEAK and "4.0%" in zh and "below 5%" in en
    status, _, en = classify(4, 50.0, 1000.0, LIMITS)
    assert status == SegmentStatus.STRONG and "5.0%" in en
    # the thresholds come from the data file
    assert chains.thresholds().weak_below_enterprises == 3


def test_gap_detection_on_a_hand_built_chain(db: Session, world: World) -> None:
    built = build_chain(db, world.a)
    graph = chains.chain_graph(db, scope=admin_scope(world.a), chain_id=built.chain.id)
    status = {n.segment.code: n.status for n in graph.nodes}
    assert status == {
        "mat": SegmentStatus.STRONG,
        "cell": SegmentStatus.WEAK,
        "pack": SegmentStatus.EMPTY,
        "veh": SegmentStatus.EMPTY,
    }
    assert [n.segment.code for n in graph.nodes] == ["mat", "cell", "pack", "veh"]
    counts = {n.segment.code: n.enterprise_count for n in graph.nodes}
    assert counts == {"mat": 3, "cell": 1, "pack": 0, "veh": 0}
    cell = graph.node(built.segments["cell"])
    assert "1" in cell.reason_zh and "fewer than 3" in cell.reason_en
    assert not graph.output_known and cell.output_wan_yuan is None
    upstream, downstream = graph.neighbours(built.segments["cell"])
    assert [n.segment.code for n in upstream] == ["mat"] and [n.segment.code for n in downstream] == ["pack"]
    assert {n.segment.code: n.candidates for n in graph.nodes} == {"mat": 1, "cell": 1, "pack": 1, "veh": 0}


def test_output_share_makes_a_crowded_segment_weak(db: Session, world: World) -> None:
    built = build_chain(db, world.a)
    scope = admin_scope(world.a)
    # a fourth and fifth cell maker: "cell" now has 3 enterprises, but a tiny share of the chain's output
    for serial in (51, 52):
        from digipark.registry import schemas as registry_schemas
        from digipark.registry import service as registry
        from tests.economy.chain_helpers import uscc

        enterprise = registry.create(
            db,
            scope=scope,
            kind=registry.KINDS["enterprise"],
            data=registry_schemas.EnterpriseCreate(
                name=f"小电芯{serial}", uscc=uscc("320500", serial), industry_code="3841"
            ),
        )
        chains.create_mapping(
            db,
            scope=scope,
            data=EnterpriseSegmentCreate(enterprise_id=enterprise.id, segment_id=built.segments["cell"]),
        )
        built.enterprises["cell"].append(enterprise.id)
    for enterprise_id in built.enterprises["mat"]:
        series(db, world.a, enterprise_id, {"2026-08": 1000.0, "2026-09": 1000.0})
    for enterprise_id in built.enterprises["cell"]:
        series(db, world.a, enterprise_id, {"2026-09": 10.0})
    graph = chains.chain_graph(db, scope=scope, chain_id=built.chain.id)
    assert graph.output_known and graph.output_wan_yuan == pytest.approx(6030.0)
    cell = graph.node(built.segments["cell"])
    assert cell.enterprise_count == 3 and cell.status == SegmentStatus.WEAK
    assert cell.output_wan_yuan == pytest.approx(30.0) and cell.output_share == pytest.approx(30 / 6030)
    assert "0.5%" in cell.reason_zh and "below 5%" in cell.reason_en
    assert graph.node(built.segments["mat"]).status == SegmentStatus.STRONG


def test_template_suggestions_and_confirmation(db: Session, world: World) -> None:
    scope = admin_scope(world.a)
    chain = chains.create_chain(db, scope=scope, data=IndustryChainCreate(template="HEE"))
    assert (chain.code, chain.name, chain.template) == ("HEE", "高端装备", "HEE")
    segments = chains.segments(db, scope=scope, chain_id=chain.id)
    assert [s.code for s in segments][:2] == ["parts", "fluid_power"]
    assert len(chains.edges(db, scope=scope, chain_id=chain.id)) == len(chains.templates()["HEE"].edges)
    # park A's two enterprises are 3311 (metal structures): the "parts" segment suggests code 339? no — 33 is
    # not 339; nothing matches until an enterprise of 3391 exists
    assert chains.suggest_mappings(db, scope=scope, chain_id=chain.id) == []
    from digipark.registry import schemas as registry_schemas
    from digipark.registry import service as registry
    from tests.economy.chain_helpers import uscc

    casting = registry.create(
        db,
        scope=scope,
        kind=registry.KINDS["enterprise"],
        data=registry_schemas.EnterpriseCreate(name="精密铸造厂", uscc=uscc("320500", 77), industry_code="3391"),
    )
    suggestions = chains.suggest_mappings(db, scope=scope, chain_id=chain.id)
    assert [(s.enterprise_id, s.segment_code, s.matched_code) for s in suggestions] == [(casting.id, "parts", "339")]
    with pytest.raises(ValidationFailed):
        chains.confirm_suggestions(
            db, scope=scope, chain_id=chain.id, pairs=[(world.a.enterprise_ids[0], segments[0].id)]
        )
    created = chains.confirm_suggestions(db, scope=scope, chain_id=chain.id)
    assert [(m.enterprise_id, m.source) for m in created] == [(casting.id, "suggested")]
    assert chains.suggest_mappings(db, scope=scope, chain_id=chain.id) == []
    # the same template twice is a conflict on the code
    with pytest.raises(Conflict):
        chains.create_chain(db, scope=scope, data=IndustryChainCreate(template="HEE"))
    with pytest.raises(ValidationFailed):
        chains.create_chain(db, scope=scope, data=IndustryChainCreate(template="NOPE"))


def test_segments_edges_and_deletion_rules(db: Session, world: World) -> None:
    built = build_chain(db, world.a)
    scope = admin_scope(world.a)
    with pytest.raises(Conflict):
        chains.create_segment(
            db,
            scope=scope,
            chain_id=built.chain.id,
            data=ChainSegmentCreate(code="mat", name="重复", stage="upstream"),  # type: ignore[arg-type]
        )
    other = chains.create_chain(db, scope=scope, data=IndustryChainCreate(template="BIO"))
    foreign = chains.segments(db, scope=scope, chain_id=other.id)[0]
    with pytest.raises(ValidationFailed):
        chains.create_edge(
            db,
            scope=scope,
            chain_id=built.chain.id,
            data=ChainEdgeCreate(from_segment_id=built.segments["mat"], to_segment_id=foreign.id),
        )
    with pytest.raises(Conflict):
        chains.create_edge(
            db,
            scope=scope,
            chain_id=built.chain.id,
            data=ChainEdgeCreate(from_segment_id=built.segments["mat"], to_segment_id=built.segments["cell"]),
        )
    with pytest.raises(Conflict):  # enterprises mapped
        chains.delete_segment(db, scope=scope, ident=built.segments["mat"])
    with pytest.raises(Conflict):  # candidates point at its segments
        chains.delete_chain(db, scope=scope, ident=built.chain.id)
    chains.delete_segment(db, scope=scope, ident=built.segments["veh"])  # takes its edge along
    assert len(chains.edges(db, scope=scope, chain_id=built.chain.id)) == 2
    chains.delete_chain(db, scope=scope, ident=other.id)
    with pytest.raises(NotFound):
        chains.get_chain(db, scope=scope, ident=other.id)
    deleted = db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.entity_type == "chain_segment", AuditEntry.action == "delete")
    )
    assert deleted == 1 + len(chains.templates()["BIO"].segments)


def test_tenancy_of_chains_mappings_and_relations(db: Session, world: World) -> None:
    built = build_chain(db, world.a)
    admin = admin_scope(world.a)
    enterprise = role_scope(world.a, Role.ENTERPRISE, built.enterprises["cell"][0])
    other_enterprise = role_scope(world.a, Role.ENTERPRISE, world.a.enterprise_ids[0])
    reviewer = role_scope(world.a, Role.REVIEWER)
    park_b = admin_scope(world.b)
    # the structure is public in the park; the analysis is staff's
    assert chains.get_chain(db, scope=enterprise, ident=built.chain.id).id == built.chain.id
    assert len(chains.segments(db, scope=enterprise, chain_id=built.chain.id)) == 4
    with pytest.raises(PermissionDenied):
        chains.chain_graph(db, scope=enterprise, chain_id=built.chain.id)
    assert chains.chain_graph(db, scope=reviewer, chain_id=built.chain.id).nodes
    with pytest.raises(NotFound):
        chains.get_chain(db, scope=park_b, ident=built.chain.id)
    with pytest.raises(NotFound):
        chains.chain_graph(db, scope=park_b, chain_id=built.chain.id)
    # an enterprise sees its own mapping only
    own, total = chains.list_mappings(db, scope=enterprise, query=ListQuery(page_size=500))
    assert total == 1 and own[0].enterprise_id == built.enterprises["cell"][0]
    assert chains.list_mappings(db, scope=other_enterprise, query=ListQuery())[1] == 0
    assert chains.list_mappings(db, scope=admin, query=ListQuery(page_size=500))[1] == 4
    # nobody but park A's staff maps enterprises of park A
    for scope in (enterprise, reviewer, park_b):
        with pytest.raises((PermissionDenied, ValidationFailed)):
            chains.create_mapping(
                db,
                scope=scope,
                data=EnterpriseSegmentCreate(enterprise_id=world.a.enterprise_ids[0], segment_id=built.segments["veh"]),
            )
    # park B's enterprise cannot be mapped into park A's chain, nor related to park A's
    with pytest.raises(ValidationFailed):
        chains.create_mapping(
            db,
            scope=admin,
            data=EnterpriseSegmentCreate(enterprise_id=world.b.enterprise_ids[0], segment_id=built.segments["veh"]),
        )
    with pytest.raises(ValidationFailed):
        chains.create_relation(
            db,
            scope=admin,
            data=SupplyRelationCreate(
                supplier_id=world.b.enterprise_ids[0], customer_id=world.a.enterprise_ids[0], product="钢材"
            ),
        )
    relation = chains.create_relation(
        db,
        scope=admin,
        data=SupplyRelationCreate(
            supplier_id=built.enterprises["mat"][0],
            customer_id=built.enterprises["cell"][0],
            product="正极材料",
            annual_value_wan_yuan=1200,
        ),
    )
    # supply relations are staff-only, even for the two enterprises involved
    with pytest.raises(PermissionDenied):
        chains.list_relations(db, scope=enterprise, query=ListQuery())
    assert chains.list_relations(db, scope=park_b, query=ListQuery())[1] == 0
    graph = chains.chain_graph(db, scope=admin, chain_id=built.chain.id)
    assert [r.id for r in graph.relations] == [relation.id]
    with pytest.raises(Conflict):
        chains.create_relation(
            db,
            scope=admin,
            data=SupplyRelationCreate(
                supplier_id=built.enterprises["mat"][0], customer_id=built.enterprises["cell"][0], product="正极材料"
            ),
        )
    mapping = db.scalar(
        select(EnterpriseSegment).where(EnterpriseSegment.enterprise_id == built.enterprises["cell"][0])
    )
    assert mapping is not None
    with pytest.raises(PermissionDenied):
        chains.delete_mapping(db, scope=enterprise, ident=mapping.id)


def test_api_graph_and_structure(client: TestClient, db: Session, world: World) -> None:
    built = build_chain(db, world.a)
    admin = bearer(world.a.tokens["park_admin"])
    graph = client.get(f"{API}/chains/{built.chain.id}/graph", headers=admin)
    assert graph.status_code == 200, graph.text
    body = graph.json()
    assert [(s["code"], s["status"]) for s in body["segments"]] == [
        ("mat", "strong"),
        ("cell", "weak"),
        ("pack", "empty"),
        ("veh", "empty"),
    ]
    assert body["thresholds"]["weak_below_enterprises"] == 3 and body["output_known"] is False
    assert len(body["edges"]) == 3
    detail = client.get(f"{API}/chains/{built.chain.id}", headers=bearer(world.a.tokens["resident"]))
    assert detail.status_code == 200 and len(detail.json()["segments"]) == 4
    denied = client.get(f"{API}/chains/{built.chain.id}/graph", headers=bearer(world.a.tokens["enterprise"]))
    assert denied.status_code == 403
    assert client.get(f"{API}/chains/{built.chain.id}", headers=bearer(world.b.tokens["park_admin"])).status_code == 404
    templates = client.get(f"{API}/chain-templates", headers=admin).json()
    assert {t["code"] for t in templates} >= {"NEV", "ICT", "BIO", "HEE"}
    created = client.post(f"{API}/chains", headers=admin, json={"template": "NEV"})
    assert created.status_code == 201, created.text
    assert len(created.json()["segments"]) == 7
    bad = client.post(f"{API}/chains", headers=admin, json={"name": "无代码"})
    assert bad.status_code == 422


def test_archive_section_shows_segments_and_relations(db: Session, world: World) -> None:
    from digipark.economy.archive import enterprise_archive

    built = build_chain(db, world.a)
    admin = admin_scope(world.a)
    supplier, customer = built.enterprises["mat"][0], built.enterprises["cell"][0]
    chains.create_relation(
        db, scope=admin, data=SupplyRelationCreate(supplier_id=supplier, customer_id=customer, product="正极材料")
    )
    section = next(
        s for s in enterprise_archive(db, scope=admin, enterprise_id=customer).sections if s.key == "industry_chains"
    )
    assert section.available and section.data is not None
    assert section.data["segments"] == [{"chain": "测试链", "segment": "电芯", "stage": "midstream", "role": "main"}]
    assert section.data["supply_relations"][0]["product"] == "正极材料"
    # the enterprise itself sees its segments, not the supply relations (staff only)
    own = role_scope(world.a, Role.ENTERPRISE, customer)
    section = next(
        s for s in enterprise_archive(db, scope=own, enterprise_id=customer).sections if s.key == "industry_chains"
    )
    assert section.data is not None and len(section.data["segments"]) == 1 and "supply_relations" not in section.data
