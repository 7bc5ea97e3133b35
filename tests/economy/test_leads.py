"""Investment attraction: ranking with explained scores, the lead pipeline's stage rules and history, the candidate
import (all or nothing, Excel and CSV), and that candidates and leads stay with the park's investment team."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.auth.models import Role, User
from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.core.spreadsheet import ImportFailed
from digipark.economy import candidate_sheets, lead_scoring, leads
from digipark.economy.models import InvestmentCandidate, LeadStage
from digipark.economy.schemas import InvestmentCandidateCreate, LeadCreate, LeadStageChange, LeadUpdate
from tests.conftest import World, bearer
from tests.economy.chain_helpers import admin_scope, build_chain, role_scope, uscc, workbook

API = "/api/v1/economy"
HEADERS = [
    "企业名称",
    "统一社会信用代码",
    "所在地区代码",
    "产业链",
    "产业链环节",
    "企业规模",
    "从业人数",
    "厂房需求（m²）",
]


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(InvestmentCandidate)) or 0


def test_ranking_is_explained_and_hand_computed(db: Session, world: World) -> None:
    built = build_chain(db, world.a)
    ranked = lead_scoring.ranked(db, scope=admin_scope(world.a), chain_id=built.chain.id)
    assert [s.candidate.name for s in ranked] == ["空白电池包科技有限公司", "补链电芯有限公司", "强环节材料有限公司"]
    empty, weak, strong = ranked

    # weak segment (0.6 × 40) + medium (0.7 × 20) + 3 park suppliers upstream, saturating at 10 (0.3 × 25)
    # + the 600 m² it wants fit in one building's 800 m² vacant (1.0 × 15)
    points = {c.key: c.points for c in weak.components}
    assert points == {"segment_gap": 24.0, "size_fit": 14.0, "supply_proximity": 7.5, "space_fit": 15.0}
    assert weak.score == 60.5 and weak.segment_status.value == "weak"
    reasons = {c.key: (c.reason_zh, c.reason_en) for c in weak.components}
    assert "电芯" in reasons["segment_gap"][0] and "fewer than 3" in reasons["segment_gap"][1]
    assert reasons["size_fit"] == ("中型企业（300 人）", "medium-sized company (300 employees)")
    assert reasons["supply_proximity"][0] == "园区内上游供应商 3 家（材料 3），下游客户 0 家（无）"
    assert reasons["supply_proximity"][1] == "3 park suppliers upstream (Mat 3), 0 park customers downstream (none)"
    assert "600" in reasons["space_fit"][0] and "800" in reasons["space_fit"][1]
    assert {c.key: c.max_points for c in weak.components} == {
        "segment_gap": 40,
        "size_fit": 20,
        "supply_proximity": 25,
        "space_fit": 15,
    }

    # empty segment (40) + large (20) + one park supplier upstream (25 / 10 = 2.5) + 30,000 m² of land wanted, only
    # 20,000 m² free (0)
    assert [c.points for c in empty.components] == [40.0, 20.0, 2.5, 0.0]
    assert empty.score == 62.5
    assert "30,000" in empty.components[3].reason_zh and "20,000" in empty.components[3].reason_en

    # strong segment (0.15 × 40) + size unknown (0) + one park customer downstream (2.5) + no need stated (7.5)
    assert [c.points for c in strong.components] == [6.0, 0.0, 2.5, 7.5]
    assert strong.score == 16.0
    assert strong.components[1].reason_en == "size unknown"

    explained = leads.explain(db, scope=admin_scope(world.a), candidate_id=built.candidates["weak"].id)
    assert explained.score == 60.5 and explained.lead_id is None


def test_pipeline_stage_rules_and_history(db: Session, world: World) -> None:
    built = build_chain(db, world.a)
    scope = admin_scope(world.a)
    owner = db.scalar(select(User).where(User.username == "TA-operator"))
    assert owner is not None
    today = leads.today()
    lead = leads.create_lead(
        db,
        scope=scope,
        data=LeadCreate(
            candidate_id=built.candidates["weak"].id,
            owner_user_id=owner.id,
            next_action="拜访总部",
            contacted_on=today - dt.timedelta(days=20),
        ),
    )
    assert lead.stage == "contacted" and lead.contacted_on == today - dt.timedelta(days=20)
    with pytest.raises(Conflict):  # one lead per candidate
        leads.create_lead(db, scope=scope, data=LeadCreate(candidate_id=built.candidates["weak"].id))
    # forward, skipping "visited"
    leads.change_stage(
        db,
        scope=scope,
        ident=lead.id,
        data=LeadStageChange(stage=LeadStage.NEGOTIATING, on=today - dt.timedelta(days=5)),
    )
    assert lead.stage == "negotiating" and lead.visited_on is None
    # never backwards, never unchanged, never before the last step or in the future
    for stage in (LeadStage.VISITED, LeadStage.CONTACTED, LeadStage.NEGOTIATING):
        with pytest.raises(Conflict):
            leads.change_stage(db, scope=scope, ident=lead.id, data=LeadStageChange(stage=stage))
    with pytest.raises(ValidationFailed):
        leads.change_stage(
            db,
            scope=scope,
            ident=lead.id,
            data=LeadStageChange(stage=LeadStage.SIGNED, on=today - dt.timedelta(days=6)),
        )
    with pytest.raises(ValidationFailed):
        leads.change_stage(
            db,
            scope=scope,
            ident=lead.id,
            data=LeadStageChange(stage=LeadStage.SIGNED, on=today + dt.timedelta(days=1)),
        )
    leads.change_stage(db, scope=scope, ident=lead.id, data=LeadStageChange(stage=LeadStage.SIGNED, note="签约仪式"))
    leads.change_stage(db, scope=scope, ident=lead.id, data=LeadStageChange(stage=LeadStage.SETTLED))
    assert (lead.stage, lead.signed_on, lead.settled_on, lead.next_action) == ("settled", today, today, None)
    for stage in (LeadStage.LOST, LeadStage.SIGNED):  # settled is final
        with pytest.raises(Conflict):
            leads.change_stage(db, scope=scope, ident=lead.id, data=LeadStageChange(stage=stage))

    # any stage before settled may become lost, which is final
    other = leads.create_lead(db, scope=scope, data=LeadCreate(candidate_id=built.candidates["empty"].id))
    leads.change_stage(
        db, scope=scope, ident=other.id, data=LeadStageChange(stage=LeadStage.LOST, lost_reason="选址外省")
    )
    assert other.stage == "lost" and other.lost_reason == "选址外省" and other.lost_on == today
    with pytest.raises(Conflict):
        leads.change_stage(db, scope=scope, ident=other.id, data=LeadStageChange(stage=LeadStage.VISITED))

    # owner changes are history too; an owner must be an admin or operator of the park
    admin_user = db.scalar(select(User).where(User.username == "TA-park_admin"))
    assert admin_user is not None
    leads.update_lead(db, scope=scope, ident=lead.id, data=LeadUpdate(owner_user_id=admin_user.id))
    for bad in ("TA-enterprise", "TB-operator"):
        user = db.scalar(select(User).where(User.username == bad))
        assert user is not None
        with pytest.raises(ValidationFailed):
            leads.update_lead(db, scope=scope, ident=lead.id, data=LeadUpdate(owner_user_id=user.id))
    history = leads.lead_events(db, scope=scope, lead_id=lead.id)
    assert [(e.action, e.from_stage, e.to_stage) for e in history] == [
        ("created", None, "contacted"),
        ("stage", "contacted", "negotiating"),
        ("stage", "negotiating", "signed"),
        ("stage", "signed", "settled"),
        ("owner", None, None),
    ]
    assert history[2].note == "签约仪式" and history[0].actor == "chain-test-admin"
    assert history[4].note is not None and history[4].note.endswith(admin_user.display_name)
    audited = db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.entity_type == "investment_lead", AuditEntry.entity_id == str(lead.id))
    )
    assert audited == 1 + 3 + 1  # created, three stage changes, the owner
    board = leads.board(db, scope=scope)
    assert [c.lead.id for c in board[LeadStage.SETTLED]] == [lead.id]
    assert [c.lead.id for c in board[LeadStage.LOST]] == [other.id]
    assert list(board) == [*leads.PIPELINE, LeadStage.LOST]


def test_transition_table() -> None:
    allowed = {
        (a.value, b.value)
        for a in LeadStage
        for b in LeadStage
        if not _raises(lambda a=a, b=b: leads.check_transition(a, b))
    }
    forward = [s.value for s in leads.PIPELINE]
    expected = {(a, b) for i, a in enumerate(forward[:-1]) for b in forward[i + 1 :]}
    expected |= {(a, "lost") for a in forward[:-1]}
    assert allowed == expected


def _raises(call: object) -> bool:
    try:
        call()  # type: ignore[operator]
    except Conflict:
        return True
    return False


def test_import_rejects_bad_files_whole_and_takes_good_ones(db: Session, world: World) -> None:
    built = build_chain(db, world.a)
    scope = admin_scope(world.a)
    before = _count(db)
    bad = workbook(
        HEADERS,
        [
            ["好公司一号", uscc("320500", 201), "320505", "TEST", "pack", "大型", 500, 3000],
            ["坏代码公司", "91320500MA1XXXXX99", "320505", "TEST", "pack", "中型", 100, None],
            ["无此环节公司", None, None, "TEST", "nope", "small", None, None],
            ["好公司一号", uscc("320500", 202), None, "TEST", "cell", None, None, None],
            ["已登记公司", built.candidates["weak"].uscc, None, "测试链", "电芯", None, None, None],
            ["怪规模公司", None, "999999", "NOPE", "cell", "巨型", -3, None],
        ],
    )
    with pytest.raises(ImportFailed) as failed:
        candidate_sheets.import_candidates(db, scope=scope, content=bad)
    errors = {(e["row"], e["column"]) for e in failed.value.errors}
    assert (3, "uscc") in errors
    assert (4, "segment_code") in errors
    assert (5, "name") in errors  # the same name as row 2
    assert (6, "uscc") in errors  # already registered
    assert {(7, "chain_code"), (7, "region_code"), (7, "size"), (7, "employees")} <= errors
    assert not any(row == 2 for row, _ in errors)
    assert failed.value.failed_rows == 5 and failed.value.rows == 6
    assert _count(db) == before  # nothing half-imported

    good = workbook(
        ["企业名称 (name)", "uscc", "产业链", "环节", "规模", "营业收入（万元）", "用地需求（m²）", "来源"],
        [
            ["长三角电池包股份有限公司", uscc("310000", 301), "TEST", "pack", "大型", 250000, 40000, "招商推介会"],
            ["无锡整车配套有限公司", None, "test", "整车", "medium", None, None, None],
        ],
    )
    report = candidate_sheets.import_candidates(db, scope=scope, content=good, dry_run=True)
    assert report.created == 2 and report.dry_run and _count(db) == before
    report = candidate_sheets.import_candidates(db, scope=scope, content=good)
    assert report.created == 2 and _count(db) == before + 2
    imported = db.scalar(select(InvestmentCandidate).where(InvestmentCandidate.name == "无锡整车配套有限公司"))
    assert imported is not None and imported.segment_id == built.segments["veh"] and imported.size == "medium"
    with pytest.raises(ImportFailed):  # the same file again: every row is now a duplicate
        candidate_sheets.import_candidates(db, scope=scope, content=good)

    # CSV, as Excel in China saves it (GB18030), and with a UTF-8 BOM
    text = "企业名称,产业链,产业链环节,企业规模\r\n苏州材料新秀有限公司,TEST,mat,小型\r\n"
    for encoding in ("gb18030", "utf-8-sig"):
        name = f"苏州材料新秀有限公司{encoding}"
        report = candidate_sheets.import_candidates(
            db, scope=scope, content=text.replace("苏州材料新秀有限公司", name).encode(encoding)
        )
        assert report.created == 1
    with pytest.raises(ImportFailed) as missing:
        candidate_sheets.import_candidates(db, scope=scope, content="企业名称,企业规模\r\n某公司,大型\r\n".encode())
    assert {e["column"] for e in missing.value.errors} == {"chain_code", "segment_code"}


def test_candidates_and_leads_are_the_investment_teams(db: Session, world: World) -> None:
    built = build_chain(db, world.a)
    candidate = built.candidates["weak"]
    lead = leads.create_lead(db, scope=admin_scope(world.a), data=LeadCreate(candidate_id=candidate.id))
    operator = role_scope(world.a, Role.OPERATOR)
    assert leads.get_lead(db, scope=operator, ident=lead.id).id == lead.id
    for role in (Role.ENTERPRISE, Role.REVIEWER, Role.RESIDENT):
        scope = role_scope(world.a, role, world.a.enterprise_ids[0] if role == Role.ENTERPRISE else None)
        for call in (
            lambda s=scope: leads.list_candidates(db, scope=s, query=ListQuery()),
            lambda s=scope: leads.get_candidate(db, scope=s, ident=candidate.id),
            lambda s=scope: lead_scoring.ranked(db, scope=s),
            lambda s=scope: leads.get_lead(db, scope=s, ident=lead.id),
            lambda s=scope: leads.board(db, scope=s),
            lambda s=scope: leads.create_candidate(
                db, scope=s, data=InvestmentCandidateCreate(name="某公司", segment_id=built.segments["veh"])
            ),
        ):
            with pytest.raises(PermissionDenied):
                call()
    park_b = admin_scope(world.b)
    assert leads.list_candidates(db, scope=park_b, query=ListQuery())[1] == 0
    assert lead_scoring.ranked(db, scope=park_b) == []
    with pytest.raises(NotFound):
        leads.get_lead(db, scope=park_b, ident=lead.id)
    with pytest.raises(ValidationFailed):  # park A's segment is not one of park B's
        leads.create_candidate(
            db, scope=park_b, data=InvestmentCandidateCreate(name="跨园公司", segment_id=built.segments["veh"])
        )
    with pytest.raises(ValidationFailed):
        leads.create_lead(db, scope=park_b, data=LeadCreate(candidate_id=candidate.id))
    with pytest.raises(Conflict):  # a candidate with a lead is not deleted
        leads.delete_candidate(db, scope=admin_scope(world.a), ident=candidate.id)
    with pytest.raises(PermissionDenied):
        leads.free_space(db, scope=role_scope(world.a, Role.ENTERPRISE, world.a.enterprise_ids[0]))
    space = leads.free_space(db, scope=admin_scope(world.a))
    assert [(p.code, p.area_m2) for p in space.parcels] == [("P9", 20_000)]
    assert space.vacant_floor_area_m2 == 800 and space.vacant_rooms == 1
    # an ended lease frees its unit
    from digipark.registry import schemas as registry_schemas
    from digipark.registry import service as registry

    registry.update(
        db,
        scope=admin_scope(world.a),
        kind=registry.KINDS["room"],
        ident=world.a.room_id,
        data=registry_schemas.RoomUpdate(
            lease_from=leads.today() - dt.timedelta(days=400), lease_to=leads.today() - dt.timedelta(days=1)
        ),
    )
    space = leads.free_space(db, scope=admin_scope(world.a))
    assert space.vacant_floor_area_m2 == 1300 and space.vacant_rooms == 2


def test_api_ranking_import_and_pipeline(client: TestClient, db: Session, world: World) -> None:
    built = build_chain(db, world.a)
    admin = bearer(world.a.tokens["park_admin"])
    ranked = client.get(f"{API}/candidates/ranked", headers=admin, params={"chain": built.chain.id})
    assert ranked.status_code == 200, ranked.text
    first = ranked.json()[1]
    assert first["score"] == 60.5 and first["segment_status"] == "weak"
    assert [c["points"] for c in first["components"]] == [24.0, 14.0, 7.5, 15.0]
    assert all(c["reason_zh"] and c["reason_en"] for c in first["components"])
    created = client.post(f"{API}/leads", headers=admin, json={"candidate_id": first["candidate"]["id"]})
    assert created.status_code == 201, created.text
    lead_id = created.json()["id"]
    moved = client.post(f"{API}/leads/{lead_id}/stage", headers=admin, json={"stage": "visited", "note": "实地考察"})
    assert moved.status_code == 200 and moved.json()["stage"] == "visited"
    back = client.post(f"{API}/leads/{lead_id}/stage", headers=admin, json={"stage": "contacted"})
    assert back.status_code == 409 and back.headers["content-type"].startswith("application/problem+json")
    detail = client.get(f"{API}/leads/{lead_id}", headers=admin).json()
    assert [e["to_stage"] for e in detail["events"]] == ["contacted", "visited"]
    assert detail["score"]["score"] == 60.5 and detail["candidate"]["name"] == "补链电芯有限公司"
    # import: 422 with every bad row, nothing written
    bad = workbook(["企业名称", "产业链", "产业链环节", "统一社会信用代码"], [["甲公司", "TEST", "pack", "123"]])
    response = client.post(f"{API}/candidates/import", headers=admin, files={"file": ("c.xlsx", bad)})
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "row": 2,
        "column": "uscc",
        "reason": response.json()["errors"][0]["reason"],
    }
    good = workbook(["企业名称", "产业链", "产业链环节"], [["乙公司", "TEST", "pack"]])
    response = client.post(f"{API}/candidates/import", headers=admin, files={"file": ("c.xlsx", good)})
    assert response.status_code == 200 and response.json()["created"] == 1
    exported = client.get(f"{API}/candidates.csv", headers=admin)
    assert exported.status_code == 200 and "乙公司" in exported.content.decode("utf-8-sig")
    assert "TEST,pack" in exported.content.decode("utf-8-sig")
    # the export reads back as an import of new companies only: every row is a duplicate now
    again = client.post(
        f"{API}/candidates/import", headers=admin, files={"file": ("c.csv", exported.content, "text/csv")}
    )
    assert again.status_code == 422 and {e["column"] for e in again.json()["errors"]} <= {"name", "uscc"}
    # not for enterprises, residents or reviewers; not across parks
    for who in ("enterprise", "resident", "reviewer"):
        token = bearer(world.a.tokens[who])
        assert client.get(f"{API}/candidates", headers=token).status_code == 403
        assert client.get(f"{API}/leads/{lead_id}", headers=token).status_code == 403
    assert client.get(f"{API}/leads/{lead_id}", headers=bearer(world.b.tokens["park_admin"])).status_code == 404
    space = client.get(f"{API}/free-space", headers=admin).json()
    assert space["free_land_m2"] == 20_000 and space["vacant_floor_area_m2"] == 800
