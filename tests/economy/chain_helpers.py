"""A hand-built chain of park A (or B) for the chain and lead tests, with enterprises, free space and candidates.

Chain TEST: mat (upstream, 3 enterprises: strong) → cell (midstream, 1: weak) → pack (midstream, 0: empty)
→ veh (downstream, 0: empty). The park gets a vacant 800 m² unit in factory B1 and an unbuilt 20,000 m² M1 parcel.
"""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import openpyxl
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.codes import make_uscc
from digipark.economy import chains, leads
from digipark.economy.models import ChainStage, IndustryChain, InvestmentCandidate
from digipark.economy.schemas import (
    ChainEdgeCreate,
    ChainSegmentCreate,
    EnterpriseSegmentCreate,
    IndustryChainCreate,
    InvestmentCandidateCreate,
)
from digipark.registry import schemas as registry_schemas
from digipark.registry import service as registry
from tests.conftest import ParkWorld


def admin_scope(park: ParkWorld) -> Scope:
    return Scope.for_user(role=Role.PARK_ADMIN, username="chain-test-admin", user_id=None, park_id=park.park_id)


def role_scope(park: ParkWorld, role: Role, enterprise_id: int | None = None) -> Scope:
    return Scope.for_user(
        role=role, username=f"chain-test-{role.value}", user_id=None, park_id=park.park_id, enterprise_id=enterprise_id
    )


def uscc(region: str, n: int) -> str:
    return make_uscc("9", "1", region, f"CHN{n:05d}")


@dataclasses.dataclass
class ChainWorld:
    chain: IndustryChain
    segments: dict[str, int]  # code -> id
    enterprises: dict[str, list[int]]  # segment code -> enterprise ids mapped
    candidates: dict[str, InvestmentCandidate]


def build_chain(db: Session, park: ParkWorld, region: str = "320500", *, with_space: bool = True) -> ChainWorld:
    scope = admin_scope(park)
    chain = chains.create_chain(db, scope=scope, data=IndustryChainCreate(code="TEST", name="测试链", name_en="Test"))
    segments: dict[str, int] = {}
    for position, (code, name, stage, industry) in enumerate(
        (
            ("mat", "材料", ChainStage.UPSTREAM, "2661"),
            ("cell", "电芯", ChainStage.MIDSTREAM, "3841"),
            ("pack", "电池包", ChainStage.MIDSTREAM, "3849"),
            ("veh", "整车", ChainStage.DOWNSTREAM, "3612"),
        ),
        start=1,
    ):
        segment = chains.create_segment(
            db,
            scope=scope,
            chain_id=chain.id,
            data=ChainSegmentCreate(
                code=code, name=name, name_en=code.title(), stage=stage, position=position, industry_codes=[industry]
            ),
        )
        segments[code] = segment.id
    for a, b in (("mat", "cell"), ("cell", "pack"), ("pack", "veh")):
        chains.create_edge(
            db,
            scope=scope,
            chain_id=chain.id,
            data=ChainEdgeCreate(from_segment_id=segments[a], to_segment_id=segments[b]),
        )
    enterprises: dict[str, list[int]] = {"mat": [], "cell": [], "pack": [], "veh": []}
    serial = 0
    for code, industry, n in (("mat", "2661", 3), ("cell", "3841", 1)):
        for _ in range(n):
            serial += 1
            enterprise = registry.create(
                db,
                scope=scope,
                kind=registry.KINDS["enterprise"],
                data=registry_schemas.EnterpriseCreate(
                    name=f"链测企业{serial}-{park.park_id}", uscc=uscc(region, serial), industry_code=industry
                ),
            )
            chains.create_mapping(
                db, scope=scope, data=EnterpriseSegmentCreate(enterprise_id=enterprise.id, segment_id=segments[code])
            )
            enterprises[code].append(enterprise.id)
    if with_space:
        registry.create(
            db,
            scope=scope,
            kind=registry.KINDS["room"],
            data=registry_schemas.RoomCreate(floor_id=park.floor_id, code="V800", area_m2=800, use="production"),
        )
        registry.create(
            db,
            scope=scope,
            kind=registry.KINDS["land_parcel"],
            data=registry_schemas.LandParcelCreate(code="P9", area_m2=20_000, land_use="M1"),
        )
    candidates = {
        "weak": leads.create_candidate(
            db,
            scope=scope,
            data=InvestmentCandidateCreate(
                name="补链电芯有限公司",
                uscc=uscc("320500", 900),
                region_code="320505",
                segment_id=segments["cell"],
                size="medium",
                employees=300,
                floor_need_m2=600,
            ),
        ),
        "empty": leads.create_candidate(
            db,
            scope=scope,
            data=InvestmentCandidateCreate(
                name="空白电池包科技有限公司", segment_id=segments["pack"], size="large", land_need_m2=30_000
            ),
        ),
        "strong": leads.create_candidate(
            db, scope=scope, data=InvestmentCandidateCreate(name="强环节材料有限公司", segment_id=segments["mat"])
        ),
    }
    return ChainWorld(chain, segments, enterprises, candidates)


def workbook(headers: list[str], rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
