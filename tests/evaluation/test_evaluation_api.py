"""The evaluation's API and pages on park A of the test world: who sees what (enterprise users and residents see
nothing: the evaluation names other enterprises' gaps), declarations with evidence, signing, report downloads,
comparison."""

from __future__ import annotations

import io

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.auth import service as auth_service
from digipark.auth.models import Role
from digipark.evaluation.models import EvaluationSnapshot
from tests.conftest import World, bearer
from tests.web.helpers import form_token, login, visible_text

API = "/api/v1/evaluation"


def test_staff_and_reviewers_read_enterprise_users_and_residents_do_not(client: TestClient, world: World) -> None:
    for role in ("park_admin", "operator", "reviewer"):
        response = client.get(API, headers=bearer(world.a.tokens[role]))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["park_id"] == world.a.park_id and len(body["standards"]) == 4
    for role in ("enterprise", "enterprise2", "resident"):
        response = client.get(API, headers=bearer(world.a.tokens[role]))
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")
    # park B's staff do not reach park A's evaluation
    response = client.get(API, headers=bearer(world.b.tokens["park_admin"]), params={"park_id": world.a.park_id})
    assert response.status_code == 404


def test_declare_with_evidence_then_sign_and_download(client: TestClient, world: World, db: Session) -> None:
    operator = bearer(world.a.tokens["operator"])
    response = client.post(
        f"{API}/declarations",
        headers=operator,
        data={"indicator": "compute_in_use", "value": "3", "note": "算力中心使用企业名单"},
        files={"evidence": ("users.pdf", b"%PDF-1.4 list", "application/pdf")},
    )
    assert response.status_code == 201, response.text
    declaration = response.json()
    assert declaration["declared_by"] == "TA-operator" and declaration["evidence_size"] == len(b"%PDF-1.4 list")
    evidence = client.get(f"{API}/declarations/{declaration['id']}/evidence", headers=operator)
    assert evidence.status_code == 200 and evidence.content == b"%PDF-1.4 list"
    found = client.get(API, headers=operator).json()
    compute = next(i for s in found["standards"] for i in s["indicators"] if i["key"] == "compute_in_use")
    assert compute["value_source"] == "declared" and compute["value"] == 3 and compute["met"]
    # missing evidence: refused
    response = client.post(
        f"{API}/declarations",
        headers=operator,
        data={"indicator": "compute_in_use", "value": "3", "note": "x"},
        files={"evidence": ("empty.txt", b"", "text/plain")},
    )
    assert response.status_code == 422
    # only the park admin signs
    year = found["year"]
    assert client.post(f"{API}/snapshots", headers=operator, json={"year": year}).status_code == 403
    admin = bearer(world.a.tokens["park_admin"])
    response = client.post(f"{API}/snapshots", headers=admin, json={"year": year, "note": "年度自评"})
    assert response.status_code == 201, response.text
    snapshot = response.json()
    assert snapshot["signed_by"] == "TA-park_admin" and len(snapshot["digest"]) == 64
    assert client.post(f"{API}/snapshots", headers=admin, json={"year": year}).status_code == 409
    frozen = client.get(f"{API}/snapshots/{snapshot['id']}", headers=admin).json()
    assert frozen["snapshot_id"] == snapshot["id"] and frozen["signed_by"] == "TA-park_admin"
    assert client.get(API, headers=admin, params={"year": year}).json()["snapshot_id"] == snapshot["id"]
    assert db.get(EvaluationSnapshot, snapshot["id"]) is not None
    listed = client.get(f"{API}/snapshots", headers=bearer(world.a.tokens["reviewer"])).json()
    assert [s["id"] for s in listed] == [snapshot["id"]]
    # downloads
    pdf = client.get(f"{API}/report.pdf", headers=admin, params={"year": year})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    xlsx = client.get(f"{API}/report.xlsx", headers=admin, params={"lang": "en"})
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Summary", "Indicators", "Gap list", "Drill-down", "Declared values"]
    html = client.get(f"{API}/report.html", headers=admin)
    assert html.status_code == 200 and "测试园区TA" in html.text
    assert client.get(f"{API}/report.doc", headers=admin).status_code == 404


def test_years_compare_and_indicator_system(client: TestClient, world: World) -> None:
    reviewer = bearer(world.a.tokens["reviewer"])
    years = client.get(f"{API}/years", headers=reviewer).json()
    assert years["park_id"] == world.a.park_id and years["years"][-1]["live"] is True
    compared = client.get(f"{API}/compare", headers=reviewer).json()
    assert [p["park_id"] for p in compared["parks"]] == [world.a.park_id]
    response = client.get(f"{API}/compare", headers=reviewer, params={"park_ids": [world.b.park_id]})
    assert response.status_code == 404
    system = client.get(f"{API}/indicators", headers=reviewer).json()
    assert [s["code"] for s in system["standards"]] == ["S1", "S2", "S3", "S4"]


def test_pages_show_the_evaluation_drilldown_declare_and_sign(client: TestClient, world: World) -> None:
    csrf = login(client, "TA-park_admin")
    page = client.get("/evaluation")
    assert page.status_code == 200, page.text
    text = visible_text(page.text)
    assert "高标准数字园区建设标准评价" in text and "未达标" in text and "差距清单" in text
    assert "产业数字化水平高" in text and "暂无数据来源" in text
    assert 'href="/evaluation/indicators/renovation_coverage' in page.text
    detail = client.get("/evaluation/indicators/renovation_coverage")
    assert detail.status_code == 200 and "指标值明细" in detail.text and "TA企业0" in detail.text
    declare = client.get("/evaluation/indicators/data_sharing")
    assert 'id="declare-form"' in declare.text
    response = client.post(
        f"/evaluation/indicators/data_sharing/declare?park_id={world.a.park_id}",
        data={"csrf_token": form_token(declare.text), "value": "2", "note": "数据空间目录"},
        files={"evidence": ("catalogue.xlsx", b"PK..", "application/octet-stream")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    after = client.get(response.headers["location"])
    assert "已申报" in after.text and "catalogue.xlsx" in after.text
    bad = client.post(
        f"/evaluation/indicators/data_sharing/declare?park_id={world.a.park_id}",
        data={"csrf_token": csrf, "value": "x", "note": ""},
        follow_redirects=False,
    )
    assert bad.status_code == 422 and "请输入数字" in bad.text
    page = client.get("/evaluation")
    response = client.post(
        "/evaluation/snapshots",
        data={"csrf_token": form_token(page.text), "year": str(_year(page.text)), "park_id": str(world.a.park_id)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    signed = client.get(response.headers["location"])
    assert "已签署的年度评估" in signed.text and "年度评估已签署" in signed.text
    compare = client.get("/evaluation/compare")
    assert compare.status_code == 200 and "园区与年度对比" in compare.text
    english = client.get("/evaluation?lang=en")
    assert "Evaluation against the construction standards" in english.text and "Not met" in english.text


def _year(html: str) -> int:
    import re

    found = re.search(r'<select name="year"><option value="(\d{4})"', html)
    assert found, "no year to sign"
    return int(found.group(1))


def test_enterprise_users_get_no_evaluation_page(client: TestClient, world: World) -> None:
    login(client, "TA-enterprise")
    assert client.get("/evaluation").status_code == 403
    assert 'href="/evaluation"' not in client.get("/").text


def test_a_reviewer_of_several_parks_names_the_park_and_the_page_picks_one(
    client: TestClient, world: World, db: Session
) -> None:
    """The API does not guess which of several parks to evaluate (422); the page shows its current park with the
    park picker, and any park the picker offers."""
    reviewer = auth_service.create(
        db,
        username="province-reviewer",
        password=world.password,
        role=Role.REVIEWER,
        park_id=None,
        extra_park_ids=(world.a.park_id, world.b.park_id),
    )
    raw, _ = auth_service.create_api_token(db, user=reviewer, name="test")
    headers = bearer(raw)
    assert client.get(API, headers=headers).status_code == 422
    for park in (world.a, world.b):
        found = client.get(API, headers=headers, params={"park_id": park.park_id})
        assert found.status_code == 200 and found.json()["park_id"] == park.park_id
    login(client, "province-reviewer")
    page = client.get("/evaluation")
    assert page.status_code == 200, page.text
    assert f'value="{world.b.park_id}"' in page.text  # the picker offers the other park
    chosen = client.get("/evaluation", params={"park_id": world.b.park_id})
    assert chosen.status_code == 200 and f"park_id={world.b.park_id}" in chosen.text
