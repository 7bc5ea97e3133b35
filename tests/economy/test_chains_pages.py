"""Pages of industry chains and investment leads: they render in Chinese and English, show the gaps and the
score's reasons, change a lead's stage through a CSRF-checked form, import candidates, and stay hidden from
enterprise users."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.economy import leads
from digipark.economy.models import Lead
from digipark.economy.schemas import LeadCreate
from tests.conftest import World
from tests.economy.chain_helpers import admin_scope, build_chain, workbook
from tests.web.helpers import form_token, login, visible_text


def _pages(chain_id: int, lead_id: int) -> list[str]:
    return [
        "/economy/chains",
        f"/economy/chains/{chain_id}",
        "/economy/leads",
        f"/economy/leads/{lead_id}",
        "/economy/candidates",
        f"/economy/candidates?chain={chain_id}",
        "/economy/space",
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pages_render_in_both_languages(client: TestClient, db: Session, world: World, lang: str) -> None:
    built = build_chain(db, world.a)
    lead = leads.create_lead(db, scope=admin_scope(world.a), data=LeadCreate(candidate_id=built.candidates["weak"].id))
    login(client, "TA-park_admin")
    for url in _pages(built.chain.id, lead.id):
        response = client.get(url, params={"lang": lang})
        assert response.status_code == 200, (url, response.text[:2000])
        assert ('lang="zh-CN"' if lang == "zh" else '<html lang="en">') in response.text
        text = visible_text(response.text)
        if lang == "zh":
            for english in ("Industry chains", "Lead pipeline", "Score", "Empty segments", "Free space", "Strong"):
                assert english not in text, (url, english)
    nav = client.get("/", params={"lang": lang}).text
    assert 'href="/economy/chains"' in nav and 'href="/economy/leads"' in nav


def test_chain_map_lists_gaps_and_embeds_the_graph(client: TestClient, db: Session, world: World) -> None:
    built = build_chain(db, world.a)
    login(client, "TA-operator")
    page = client.get(f"/economy/chains/{built.chain.id}?lang=zh")
    assert page.status_code == 200
    assert 'id="chain-map"' in page.text and 'id="chain-map-data"' in page.text
    empty = re.search(r'<ul id="empty-segments".*?</ul>', page.text, re.S)
    assert empty is not None and "电池包" in empty.group(0) and "整车" in empty.group(0)
    assert "仅 1 家企业（少于 3 家）" in visible_text(page.text)
    listing = client.get("/economy/chains?lang=en")
    assert "Test" in listing.text and "Gaps" in listing.text


def test_lead_page_explains_the_score_and_changes_stage(client: TestClient, db: Session, world: World) -> None:
    built = build_chain(db, world.a)
    lead = leads.create_lead(db, scope=admin_scope(world.a), data=LeadCreate(candidate_id=built.candidates["weak"].id))
    login(client, "TA-park_admin")
    page = client.get(f"/economy/leads/{lead.id}?lang=en")
    assert page.status_code == 200
    table = re.search(r'<table class="data" id="score-explanation">.*?</table>', page.text, re.S)
    assert table is not None
    text = visible_text(table.group(0))
    assert "Segment gap" in text and "24.0 / 40" in text and "60.5" in text and "fewer than 3" in text
    token = form_token(page.text)
    refused = client.post(f"/economy/leads/{lead.id}/stage", data={"stage": "visited"}, follow_redirects=False)
    assert refused.status_code == 403
    moved = client.post(
        f"/economy/leads/{lead.id}/stage",
        data={"stage": "negotiating", "note": "第一轮洽谈", "csrf_token": token},
        follow_redirects=False,
    )
    assert moved.status_code == 303, moved.text
    row = db.scalar(select(Lead).where(Lead.id == lead.id).execution_options(populate_existing=True))
    assert row is not None and row.stage == "negotiating" and row.visited_on is None
    back = client.post(
        f"/economy/leads/{lead.id}/stage", data={"stage": "contacted", "csrf_token": token}, follow_redirects=False
    )
    assert back.status_code == 422 and "alert-error" in back.text
    history = client.get(f"/economy/leads/{lead.id}?lang=zh").text
    assert "第一轮洽谈" in history and "已联系" in visible_text(history)


def test_create_lead_and_import_from_the_candidates_page(client: TestClient, db: Session, world: World) -> None:
    built = build_chain(db, world.a)
    login(client, "TA-operator")
    page = client.get("/economy/candidates")
    token = form_token(page.text)
    created = client.post(
        "/economy/leads/new",
        data={"candidate_id": str(built.candidates["empty"].id), "csrf_token": token},
        follow_redirects=False,
    )
    assert created.status_code == 303 and created.headers["location"].startswith("/economy/leads/")
    bad = workbook(["企业名称", "产业链", "产业链环节"], [["丙公司", "TEST", "无此环节"]])
    response = client.post("/economy/candidates/import", data={"csrf_token": token}, files={"file": ("c.xlsx", bad)})
    assert response.status_code == 422 and 'id="import-errors"' in response.text and "无此环节" in response.text
    good = workbook(["企业名称", "产业链", "产业链环节"], [["丙公司", "TEST", "veh"]])
    response = client.post("/economy/candidates/import", data={"csrf_token": token}, files={"file": ("c.xlsx", good)})
    assert response.status_code == 200 and "丙公司" in response.text


@pytest.mark.parametrize("who", ["TA-enterprise", "TA-resident"])
def test_hidden_from_enterprises_and_residents(client: TestClient, db: Session, world: World, who: str) -> None:
    built = build_chain(db, world.a)
    lead = leads.create_lead(db, scope=admin_scope(world.a), data=LeadCreate(candidate_id=built.candidates["weak"].id))
    login(client, who)
    overview = client.get("/").text
    assert "/economy/chains" not in overview and "/economy/leads" not in overview
    for url in _pages(built.chain.id, lead.id):
        assert client.get(url).status_code == 403, url


def test_reviewer_reads_chains_not_leads(client: TestClient, db: Session, world: World) -> None:
    built = build_chain(db, world.a)
    login(client, "TA-reviewer")
    assert client.get(f"/economy/chains/{built.chain.id}").status_code == 200
    assert client.get("/economy/leads").status_code == 403
    assert client.get("/economy/candidates").status_code == 403
    client.cookies.clear()
    login(client, "TB-park_admin")
    assert client.get(f"/economy/chains/{built.chain.id}").status_code == 404
