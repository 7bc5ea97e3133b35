"""REST API of industry chains and investment attraction, under /api/v1/economy (thin: parse, call, shape)."""

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from fastapi.responses import Response

from digipark.auth.dependencies import CurrentScope, DbSession, writes
from digipark.core import spreadsheet
from digipark.core.errors import NotFound
from digipark.core.listing import ListQuery, Page, page_of
from digipark.economy import candidate_sheets, chains, lead_scoring, leads, schemas
from digipark.registry.service import FreeSpace

router = APIRouter(prefix="/api/v1/economy")
CHAINS: list[str | Enum] = ["economy: industry chains"]
LEADS: list[str | Enum] = ["economy: investment leads"]

Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
ChainQuery = Annotated[ListQuery, Depends(chains.CHAIN_LIST.dependency())]
MappingQuery = Annotated[ListQuery, Depends(chains.MAPPING_LIST.dependency())]
RelationQuery = Annotated[ListQuery, Depends(chains.RELATION_LIST.dependency())]
CandidateQuery = Annotated[ListQuery, Depends(leads.CANDIDATE_LIST.dependency())]
LeadQuery = Annotated[ListQuery, Depends(leads.LEAD_LIST.dependency())]


# -- shaping the service's dataclasses ------------------------------------------------------------------------
def chain_detail(db: DbSession, scope: CurrentScope, chain: Any) -> dict[str, Any]:
    body = schemas.IndustryChainRead.model_validate(chain).model_dump()
    body["segments"] = chains.segments(db, scope=scope, chain_id=chain.id)
    body["edges"] = chains.edges(db, scope=scope, chain_id=chain.id)
    return body


def graph_body(graph: chains.ChainGraph) -> dict[str, Any]:
    return {
        "chain": graph.chain,
        "thresholds": {
            "weak_below_enterprises": graph.thresholds.weak_below_enterprises,
            "weak_below_output_share": graph.thresholds.weak_below_output_share,
            "output_months": graph.thresholds.output_months,
        },
        "output_known": graph.output_known,
        "output_wan_yuan": graph.output_wan_yuan,
        "segments": [
            {
                "id": n.segment.id,
                "code": n.segment.code,
                "name": n.segment.name,
                "name_en": n.segment.name_en,
                "stage": n.segment.stage,
                "position": n.segment.position,
                "industry_codes": n.segment.industry_codes,
                "enterprises": [
                    {"id": e.id, "name": e.name, "role": e.role, "output_wan_yuan": e.output_wan_yuan}
                    for e in n.enterprises
                ],
                "enterprise_count": n.enterprise_count,
                "output_wan_yuan": n.output_wan_yuan,
                "output_share": n.output_share,
                "status": n.status,
                "reason_zh": n.reason_zh,
                "reason_en": n.reason_en,
                "candidates": n.candidates,
            }
            for n in graph.nodes
        ],
        "edges": graph.edges,
        "relations": graph.relations,
    }


def score_body(score: lead_scoring.CandidateScore) -> dict[str, Any]:
    return {
        "candidate": score.candidate,
        "chain_id": score.chain_id,
        "segment_code": score.segment_code,
        "segment_name": score.segment_name,
        "segment_status": score.segment_status,
        "score": score.score,
        "components": [
            {
                "key": c.key,
                "label_zh": c.label_zh,
                "label_en": c.label_en,
                "points": c.points,
                "max_points": c.max_points,
                "reason_zh": c.reason_zh,
                "reason_en": c.reason_en,
            }
            for c in score.components
        ],
        "lead_id": score.lead_id,
    }


def space_body(space: FreeSpace) -> dict[str, Any]:
    return {
        "park_id": space.park_id,
        "as_of": space.as_of,
        "buildings": space.buildings,
        "parcels": space.parcels,
        "vacant_rooms": space.vacant_rooms,
        "vacant_floor_area_m2": space.vacant_floor_area_m2,
        "free_land_m2": space.free_land_m2,
    }


# -- chains ---------------------------------------------------------------------------------------------------
@router.get("/chain-templates", response_model=list[schemas.ChainTemplateRead], tags=CHAINS)
def list_chain_templates(scope: CurrentScope) -> Any:
    return [
        {
            "code": t.code,
            "name": t.name,
            "name_en": t.name_en,
            "description": t.description,
            "segments": [
                {
                    "code": s.code,
                    "name": s.name,
                    "name_en": s.name_en,
                    "stage": s.stage,
                    "position": s.position,
                    "industry_codes": list(s.industry_codes),
                }
                for s in t.segments
            ],
            "edges": list(t.edges),
        }
        for t in chains.templates().values()
    ]


@router.get("/chains", response_model=Page[schemas.IndustryChainRead], tags=CHAINS)
def list_chains(db: DbSession, scope: CurrentScope, query: ChainQuery) -> Any:
    rows, total = chains.list_chains(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/chains", response_model=schemas.IndustryChainDetailRead, status_code=201, tags=CHAINS)
def create_chain(data: schemas.IndustryChainCreate, db: DbSession, scope: CurrentScope) -> Any:
    return chain_detail(db, scope, chains.create_chain(db, scope=scope, data=data))


@router.get("/chains/{ident}", response_model=schemas.IndustryChainDetailRead, tags=CHAINS)
def get_chain(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return chain_detail(db, scope, chains.get_chain(db, scope=scope, ident=ident))


@router.patch("/chains/{ident}", response_model=schemas.IndustryChainRead, tags=CHAINS)
def update_chain(ident: Ident, data: schemas.IndustryChainUpdate, db: DbSession, scope: CurrentScope) -> Any:
    return chains.update_chain(db, scope=scope, ident=ident, data=data)


@router.delete("/chains/{ident}", status_code=204, tags=CHAINS)
def delete_chain(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    chains.delete_chain(db, scope=scope, ident=ident)
    return Response(status_code=204)


@router.get("/chains/{ident}/graph", response_model=schemas.ChainGraphRead, tags=CHAINS)
def chain_graph(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """Segments with their enterprises, output and classification (strong / weak / empty, with the reason),
    the chain's edges and the local supply relations between its enterprises."""
    return graph_body(chains.chain_graph(db, scope=scope, chain_id=ident))


@router.post("/chains/{ident}/segments", response_model=schemas.ChainSegmentRead, status_code=201, tags=CHAINS)
def create_segment(ident: Ident, data: schemas.ChainSegmentCreate, db: DbSession, scope: CurrentScope) -> Any:
    return chains.create_segment(db, scope=scope, chain_id=ident, data=data)


@router.patch("/segments/{ident}", response_model=schemas.ChainSegmentRead, tags=CHAINS)
def update_segment(ident: Ident, data: schemas.ChainSegmentUpdate, db: DbSession, scope: CurrentScope) -> Any:
    return chains.update_segment(db, scope=scope, ident=ident, data=data)


@router.delete("/segments/{ident}", status_code=204, tags=CHAINS)
def delete_segment(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    chains.delete_segment(db, scope=scope, ident=ident)
    return Response(status_code=204)


@router.post("/chains/{ident}/edges", response_model=schemas.ChainEdgeRead, status_code=201, tags=CHAINS)
def create_edge(ident: Ident, data: schemas.ChainEdgeCreate, db: DbSession, scope: CurrentScope) -> Any:
    return chains.create_edge(db, scope=scope, chain_id=ident, data=data)


@router.delete("/edges/{ident}", status_code=204, tags=CHAINS)
def delete_edge(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    chains.delete_edge(db, scope=scope, ident=ident)
    return Response(status_code=204)


# -- enterprise mappings and supply relations -------------------------------------------------------------------
@router.get("/chains/{ident}/suggestions", response_model=list[schemas.MappingSuggestionRead], tags=CHAINS)
def mapping_suggestions(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """Enterprises whose GB/T 4754 code matches a segment's industry codes and are not mapped to it yet."""
    return chains.suggest_mappings(db, scope=scope, chain_id=ident)


@router.post("/chains/{ident}/suggestions/confirm", response_model=list[schemas.EnterpriseSegmentRead], tags=CHAINS)
def confirm_suggestions(ident: Ident, data: schemas.SuggestionConfirm, db: DbSession, scope: CurrentScope) -> Any:
    pairs = None if data.items is None else [(p.enterprise_id, p.segment_id) for p in data.items]
    return chains.confirm_suggestions(db, scope=scope, chain_id=ident, pairs=pairs)


@router.get("/enterprise-segments", response_model=Page[schemas.EnterpriseSegmentRead], tags=CHAINS)
def list_mappings(db: DbSession, scope: CurrentScope, query: MappingQuery) -> Any:
    rows, total = chains.list_mappings(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/enterprise-segments", response_model=schemas.EnterpriseSegmentRead, status_code=201, tags=CHAINS)
def create_mapping(data: schemas.EnterpriseSegmentCreate, db: DbSession, scope: CurrentScope) -> Any:
    return chains.create_mapping(db, scope=scope, data=data)


@router.delete("/enterprise-segments/{ident}", status_code=204, tags=CHAINS)
def delete_mapping(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    chains.delete_mapping(db, scope=scope, ident=ident)
    return Response(status_code=204)


@router.get("/supply-relations", response_model=Page[schemas.SupplyRelationRead], tags=CHAINS)
def list_relations(db: DbSession, scope: CurrentScope, query: RelationQuery) -> Any:
    rows, total = chains.list_relations(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/supply-relations", response_model=schemas.SupplyRelationRead, status_code=201, tags=CHAINS)
def create_relation(data: schemas.SupplyRelationCreate, db: DbSession, scope: CurrentScope) -> Any:
    return chains.create_relation(db, scope=scope, data=data)


@router.get("/supply-relations/{ident}", response_model=schemas.SupplyRelationRead, tags=CHAINS)
def get_relation(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return chains.get_relation(db, scope=scope, ident=ident)


@router.patch("/supply-relations/{ident}", response_model=schemas.SupplyRelationRead, tags=CHAINS)
def update_relation(ident: Ident, data: schemas.SupplyRelationUpdate, db: DbSession, scope: CurrentScope) -> Any:
    return chains.update_relation(db, scope=scope, ident=ident, data=data)


@router.delete("/supply-relations/{ident}", status_code=204, tags=CHAINS)
def delete_relation(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    chains.delete_relation(db, scope=scope, ident=ident)
    return Response(status_code=204)


# -- candidates ---------------------------------------------------------------------------------------------------
@router.get("/candidates", response_model=Page[schemas.InvestmentCandidateRead], tags=LEADS)
def list_candidates(db: DbSession, scope: CurrentScope, query: CandidateQuery) -> Any:
    rows, total = leads.list_candidates(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/candidates", response_model=schemas.InvestmentCandidateRead, status_code=201, tags=LEADS)
def create_candidate(data: schemas.InvestmentCandidateCreate, db: DbSession, scope: CurrentScope) -> Any:
    return leads.create_candidate(db, scope=scope, data=data)


@router.get("/candidates/ranked", response_model=list[schemas.CandidateScoreRead], tags=LEADS)
def ranked_candidates(
    db: DbSession,
    scope: CurrentScope,
    chain: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="only candidates of this chain")] = None,
    park_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
) -> Any:
    """Candidates best score first; each score is the sum of its components, each with its points and reason
    (rules and weights: economy/data/lead_scoring.yaml)."""
    return [score_body(s) for s in lead_scoring.ranked(db, scope=scope, chain_id=chain, park_id=park_id, limit=limit)]


@router.get(
    "/candidates.{fmt}",
    tags=LEADS,
    responses={200: {"content": {spreadsheet.XLSX_MEDIA_TYPE: {}, "text/csv": {}}}},
)
@writes  # the export is audited
def export_candidates(fmt: str, db: DbSession, scope: CurrentScope, query: CandidateQuery) -> Response:
    if fmt not in ("xlsx", "csv"):
        raise NotFound(f"no export format {fmt!r}; use xlsx or csv")
    content, media_type = candidate_sheets.export_candidates(db, scope=scope, query=query, fmt=fmt)
    disposition = f'attachment; filename="candidates.{fmt}"'
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


@router.post(
    "/candidates/import",
    response_model=spreadsheet.ImportReport,
    tags=LEADS,
    responses={
        413: {"description": "file too large"},
        415: {"description": "neither an .xlsx workbook nor a CSV file"},
        422: {"model": spreadsheet.ImportProblem, "description": "bad rows; nothing was imported"},
    },
)
def import_candidates(
    db: DbSession, scope: CurrentScope, file: Annotated[UploadFile, File()], dry_run: bool = False
) -> Any:
    """Add candidates from an .xlsx workbook or a CSV file (the export's columns): every row or none."""
    content = file.file.read(spreadsheet.MAX_IMPORT_BYTES + 1)
    return candidate_sheets.import_candidates(db, scope=scope, content=content, dry_run=dry_run)


@router.get("/candidates/{ident}", response_model=schemas.InvestmentCandidateRead, tags=LEADS)
def get_candidate(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return leads.get_candidate(db, scope=scope, ident=ident)


@router.patch("/candidates/{ident}", response_model=schemas.InvestmentCandidateRead, tags=LEADS)
def update_candidate(ident: Ident, data: schemas.InvestmentCandidateUpdate, db: DbSession, scope: CurrentScope) -> Any:
    return leads.update_candidate(db, scope=scope, ident=ident, data=data)


@router.delete("/candidates/{ident}", status_code=204, tags=LEADS)
def delete_candidate(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    leads.delete_candidate(db, scope=scope, ident=ident)
    return Response(status_code=204)


@router.get("/candidates/{ident}/score", response_model=schemas.CandidateScoreRead, tags=LEADS)
def candidate_score(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return score_body(leads.explain(db, scope=scope, candidate_id=ident))


# -- leads --------------------------------------------------------------------------------------------------------
@router.get("/leads", response_model=Page[schemas.LeadRead], tags=LEADS)
def list_leads(db: DbSession, scope: CurrentScope, query: LeadQuery) -> Any:
    rows, total = leads.list_leads(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/leads", response_model=schemas.LeadRead, status_code=201, tags=LEADS)
def create_lead(data: schemas.LeadCreate, db: DbSession, scope: CurrentScope) -> Any:
    return leads.create_lead(db, scope=scope, data=data)


@router.get("/leads/{ident}", response_model=schemas.LeadDetailRead, tags=LEADS)
def get_lead(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    lead = leads.get_lead(db, scope=scope, ident=ident)
    body = schemas.LeadRead.model_validate(lead).model_dump()
    score = leads.explain(db, scope=scope, candidate_id=lead.candidate_id)
    body.update(
        candidate=score.candidate,
        events=leads.lead_events(db, scope=scope, lead_id=lead.id),
        score=score_body(score),
    )
    return body


@router.patch("/leads/{ident}", response_model=schemas.LeadRead, tags=LEADS)
def update_lead(ident: Ident, data: schemas.LeadUpdate, db: DbSession, scope: CurrentScope) -> Any:
    return leads.update_lead(db, scope=scope, ident=ident, data=data)


@router.post("/leads/{ident}/stage", response_model=schemas.LeadRead, tags=LEADS)
def change_lead_stage(ident: Ident, data: schemas.LeadStageChange, db: DbSession, scope: CurrentScope) -> Any:
    """Move a lead forward through contacted → visited → negotiating → signed → settled (stages may be
    skipped), or to lost from any stage before settled; never backwards. Written to the lead's history."""
    return leads.change_stage(db, scope=scope, ident=ident, data=data)


# -- free space -----------------------------------------------------------------------------------------------------
@router.get("/free-space", response_model=schemas.FreeSpaceRead, tags=LEADS)
def free_space(
    db: DbSession,
    scope: CurrentScope,
    park_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Any:
    """Vacant rooms (no tenant, or the lease has ended) by building, and land parcels without a building."""
    return space_body(leads.free_space(db, scope=scope, park_id=park_id))
