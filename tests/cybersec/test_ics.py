"""The ICS self-assessment against 《工业控制系统网络安全防护指南》: the guide as data with its source, scores per area
and overall, gaps, rectification tasks; an enterprise keeps only its own; the pages in both languages."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.core.errors import DomainError, NotFound
from digipark.cybersec import ics
from tests.conftest import World
from tests.cybersec.helpers import admin, enterprise
from tests.web.helpers import form_token, login, visible_text


def test_the_guide_is_data_with_its_source_four_parts_and_33_items() -> None:
    guide = ics.guide()
    assert "工信部网安〔2024〕14号" in guide["source"] and guide["status"] in ("verified", "secondary", "unverified")
    assert [p["key"] for p in guide["parts"]] == ["management", "technical", "operations", "accountability"]
    assert len(ics.items()) == 33 and sorted(int(k) for k in ics.items()) == list(range(1, 34))
    for area in guide["areas"]:
        assert area["part"] in {p["key"] for p in guide["parts"]} and area["status"] and area["name_en"]


def test_scores_count_partly_met_as_half_leave_out_not_applicable_and_list_gaps() -> None:
    answers = {
        "1": {"status": "met", "evidence": "资产清单 v3"},
        "2": {"status": "partial", "evidence": "冗余仅覆盖 DCS"},
        "3": {"status": "not_met", "evidence": ""},
        "4": {"status": "not_applicable", "evidence": "无"},
        "5": {"status": "not_applicable", "evidence": "无"},
    }
    overall, areas, gaps = ics.score(answers)
    by_area = {a.area: a for a in areas}
    assert (by_area["assets"].score, by_area["assets"].applicable, by_area["assets"].met) == (75.0, 2, 1)
    assert (by_area["configuration"].score, by_area["configuration"].applicable) == (0.0, 1)
    assert overall == round(100 * 1.5 / 31, 1)  # 33 items, 2 not applicable; unanswered count as not met
    assert [g.item for g in gaps][:2] == ["2", "3"] and len(gaps) == 31 - 1


def test_an_assessment_with_tasks_its_report_and_tenancy(db: Session, world: World) -> None:
    mine = enterprise(world.a, 0)
    row = ics.ASSESSMENTS.create(
        db,
        scope=mine,
        data=ics.AssessmentCreate(
            title="2026 年度自评估",
            assessed_on=dt.date(2026, 11, 1),
            assessor="张工",
            answers={"1": ics.Answer(status="met", evidence="资产清单"), "3": ics.Answer(status="not_met")},
        ),
    )
    assert row.enterprise_id == world.a.enterprise_ids[0]
    ics.TASKS.create(
        db,
        scope=mine,
        data=ics.TaskCreate(
            assessment_id=row.id, item="3", title="更换默认口令", owner="李工", due_on=dt.date(2026, 11, 30)
        ),
    )
    later = ics.TASKS.create(
        db,
        scope=admin(world.a),
        data=ics.TaskCreate(
            assessment_id=row.id, item="2", title="关键主机冗余", owner="王工", due_on=dt.date(2027, 3, 1)
        ),
    )
    assert later.enterprise_id == world.a.enterprise_ids[0]  # the assessment's enterprise, also when staff add it
    report = ics.report(db, scope=mine, ident=row.id, today=dt.date(2026, 12, 7))
    assert (report.open_tasks, report.overdue_tasks) == (2, 1)
    assert "3" in [g.item for g in report.gaps] and "1" not in [g.item for g in report.gaps]
    ics.TASKS.update(db, scope=mine, ident=later.id, data=ics.TaskUpdate(status="done"))
    assert later.done_on is not None
    with pytest.raises(NotFound):
        ics.ASSESSMENTS.get(db, scope=enterprise(world.a, 1), ident=row.id)
    with pytest.raises(NotFound):
        ics.report(db, scope=enterprise(world.a, 1), ident=row.id)
    with pytest.raises(NotFound):  # another enterprise cannot add tasks to it
        ics.TASKS.create(
            db,
            scope=enterprise(world.a, 1),
            data=ics.TaskCreate(assessment_id=row.id, item="3", title="x", owner="x", due_on=dt.date(2027, 1, 1)),
        )
    db.flush()
    audited = db.scalars(
        select(AuditEntry.entity_type).where(AuditEntry.entity_type.in_(["cyber_ics_assessment", "cyber_ics_task"]))
    )
    assert {"cyber_ics_assessment", "cyber_ics_task"} <= set(audited)


def test_unknown_items_and_unexplained_partial_answers_are_refused(db: Session, world: World) -> None:
    mine = enterprise(world.a, 0)
    base = {"title": "自评", "assessed_on": dt.date(2026, 11, 1), "assessor": "张工"}
    with pytest.raises(DomainError):
        ics.ASSESSMENTS.create(
            db, scope=mine, data=ics.AssessmentCreate(**base, answers={"99": ics.Answer(status="met")})
        )
    with pytest.raises(DomainError):
        ics.ASSESSMENTS.create(
            db, scope=mine, data=ics.AssessmentCreate(**base, answers={"2": ics.Answer(status="partial")})
        )


def test_the_pages_answer_score_and_add_a_task_in_both_languages(client: TestClient, world: World) -> None:
    login(client, "TA-enterprise")
    listing = client.get("/security/ics", params={"lang": "zh"})
    assert listing.status_code == 200 and "工控安全防护自评估" in visible_text(listing.text)
    created = client.post(
        "/security/ics",
        data={
            "csrf_token": form_token(listing.text),
            "title": "页面自评",
            "assessed_on": "2026-11-02",
            "assessor": "赵工",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    url = created.headers["location"]
    page = client.get(url, params={"lang": "zh"})
    assert page.status_code == 200 and "资产管理" in visible_text(page.text)
    answers = {f"status_{k}": "met" for k in ics.items()}
    answers.update({"status_3": "not_met", "status_4": "partial", "evidence_4": "仅部分设备"})
    saved = client.post(f"{url}/answers", data={"csrf_token": form_token(page.text), **answers}, follow_redirects=False)
    assert saved.status_code == 303
    page = client.get(url, params={"lang": "en"})
    text = visible_text(page.text)
    assert "Asset management" in text and "Configuration management" in text
    gaps = page.text.split('id="ics-gaps"')[1].split("</table>")[0]
    assert 'data-item="3"' in gaps and 'data-item="4"' in gaps and 'data-item="1"' not in gaps
    assert 'id="ics-overall">' + str(round(100 * 31.5 / 33, 1)) + "%" in page.text
    added = client.post(
        f"{url}/tasks",
        data={
            "csrf_token": form_token(page.text),
            "item": "3",
            "title": "Change default passwords",
            "owner": "Zhao",
            "due_on": "2027-01-15",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = client.get(url, params={"lang": "zh"})
    assert "Change default passwords" in page.text and 'data-status="open"' in page.text
    refused = client.post(
        f"{url}/answers", data={"csrf_token": form_token(page.text), "status_5": "partial"}, follow_redirects=False
    )
    assert refused.status_code == 422 and 'id="ics-errors"' in refused.text
    client.cookies.clear()
    login(client, "TA-enterprise2")
    assert client.get(url).status_code == 404
