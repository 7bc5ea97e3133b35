"""The approvals API and pages: applying with the platform's data filled in, uploads checked, reviewers deciding,
the applicant's progress and decision document, problems for bad input, CSRF, both languages."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.approvals.models import ApprovalDocument, ApprovalInstance
from tests.approvals.helpers import DEPARTMENTS, FORMS, install, join
from tests.conftest import World, bearer
from tests.web.helpers import form_token, login, visible_text

API = "/api/v1/approvals"


def test_api_apply_decide_and_download_the_decision(client: TestClient, world: World, db: Session) -> None:
    install(db)
    join(db, "reviewer", *DEPARTMENTS)
    enterprise, reviewer = bearer(world.a.tokens["enterprise"]), bearer(world.a.tokens["reviewer"])
    services = client.get(f"{API}/definitions", headers=enterprise).json()
    assert [d["key"] for d in services][:2] == ["enterprise_entry", "project_filing"]
    created = client.post(
        f"{API}/applications",
        json={"process": "certificate_request", "form": FORMS["certificate_request"]},
        headers=enterprise,
    )
    assert created.status_code == 201, created.text
    ident = created.json()["id"]
    assert created.json()["platform_data"]["enterprise_name"] == "TA企业0"
    (task,) = client.get(f"{API}/tasks", headers=reviewer).json()
    assert (
        client.get(
            f"{API}/decision.pdf".replace("decision.pdf", f"applications/{ident}/decision.pdf"), headers=enterprise
        ).status_code
        == 404
    )
    bad = client.post(f"{API}/tasks/{task['id']}/decide", json={"decision": "reject"}, headers=reviewer)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    done = client.post(f"{API}/tasks/{task['id']}/decide", json={"decision": "approve"}, headers=reviewer)
    assert done.status_code == 200, done.text
    pdf = client.get(f"{API}/applications/{ident}/decision.pdf", headers=enterprise)  # issued on this request
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    detail = client.get(f"{API}/applications/{ident}", headers=enterprise).json()
    assert detail["state"] == "approved" and [s["decision"] for s in detail["steps"]] == ["approve"]
    again = client.get(f"{API}/applications/{ident}/decision.pdf", headers=enterprise)
    assert again.content == pdf.content
    assert hashlib.sha256(pdf.content).hexdigest() == detail["decision_sha256"] == pdf.headers["x-content-sha256"]
    other = bearer(world.a.tokens["enterprise2"])
    assert client.get(f"{API}/applications/{ident}/decision.pdf", headers=other).status_code == 404


def test_api_refuses_bad_applications(client: TestClient, world: World, db: Session) -> None:
    install(db)
    enterprise = bearer(world.a.tokens["enterprise"])
    for body in (
        {"process": "certificate_request", "form": {"certificate_kind": "伪造证明", "purpose": "x"}},
        {"process": "certificate_request", "form": {**FORMS["certificate_request"], "unknown": 1}},
    ):
        response = client.post(f"{API}/applications", json=body, headers=enterprise)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert (
        client.post(
            f"{API}/applications", json={"process": "no_such_process", "form": {}}, headers=enterprise
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"{API}/applications",
            json={"process": "certificate_request", "form": {}},
            headers=bearer(world.a.tokens["resident"]),
        ).status_code
        == 403
    )
    assert not db.scalars(select(ApprovalInstance)).all()


def test_upward_package_is_signed(client: TestClient, world: World, db: Session) -> None:
    from digipark.approvals import upward

    install(db)
    admin = bearer(world.a.tokens["park_admin"])
    package = client.get(f"{API}/upward", params={"year": 2026}, headers=admin)
    assert package.status_code == 200 and package.json()["format"] == "digipark.upward/1"
    workbook = client.get(f"{API}/upward.xlsx", params={"year": 2026}, headers=admin)
    assert workbook.status_code == 200 and workbook.content.startswith(b"PK")
    submitted = client.post(f"{API}/upward/submissions", params={"year": 2026}, headers=admin)
    assert submitted.status_code == 201, submitted.text
    record = submitted.json()
    data = package.json()
    assert upward.sign(world.a.park_id, data) != upward.sign(world.b.park_id, data)
    assert len(record["signature"]) == 64 and record["year"] == 2026
    assert client.post(
        f"{API}/upward/submissions", params={"year": 2026}, headers=bearer(world.a.tokens["reviewer"])
    ).status_code in (403, 404)


def test_the_enterprise_applies_on_the_page_with_prefilled_data_and_a_document(
    client: TestClient, world: World, db: Session
) -> None:
    install(db)
    login(client, "TA-enterprise")
    form = client.get("/approvals/apply/certificate_request")
    assert form.status_code == 200
    assert 'data-field="enterprise_name">TA企业0<' in form.text and 'name="enterprise_name"' not in form.text
    token = form_token(form.text)
    fake = client.post(
        "/approvals/apply/certificate_request",
        data={**FORMS["certificate_request"], "csrf_token": token},
        files={"documents": ("licence.pdf", b"MZ not a pdf", "application/pdf")},
        follow_redirects=False,
    )
    assert fake.status_code == 415 and "field-error" in fake.text
    assert not db.scalars(select(ApprovalInstance)).all()
    missing = client.post(
        "/approvals/apply/certificate_request", data={"purpose": "贷款用", "csrf_token": token}, follow_redirects=False
    )
    assert missing.status_code == 422 and "has-error" in missing.text
    made = client.post(
        "/approvals/apply/certificate_request",
        data={**FORMS["certificate_request"], "csrf_token": token},
        files={"documents": ("licence.pdf", b"%PDF-1.4 licence", "application/pdf")},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    page = client.get(made.headers["location"])
    assert "申请已提交" in visible_text(page.text) and "证明审核" in page.text
    assert db.scalar(select(ApprovalDocument.filename).where(ApprovalDocument.kind == "upload")) == "licence.pdf"
    no_token = client.post("/approvals/apply/certificate_request", data=FORMS["certificate_request"])
    assert no_token.status_code == 403


def test_the_reviewer_decides_on_the_page(client: TestClient, world: World, db: Session) -> None:
    from tests.approvals.helpers import apply

    install(db)
    join(db, "reviewer", "park_office")
    instance = apply(db, "certificate_request")
    login(client, "TA-reviewer")
    home = client.get("/approvals")
    assert f'href="/approvals/applications/{instance.id}"' in home.text
    page = client.get(f"/approvals/applications/{instance.id}")
    task_id = page.text.split('action="/approvals/tasks/')[1].split("/")[0]
    token = form_token(page.text)
    refused = client.post(
        f"/approvals/tasks/{task_id}/decide", data={"decision": "reject", "reason": "", "csrf_token": token}
    )
    assert refused.status_code == 422 and "field-error" in refused.text
    done = client.post(
        f"/approvals/tasks/{task_id}/decide",
        data={"decision": "approve", "reason": "", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    final = client.get(f"/approvals/applications/{instance.id}")
    assert 'data-state="approved"' in final.text and 'id="decision-pdf"' in final.text
    pdf = client.get(f"/approvals/applications/{instance.id}/decision.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    stats = client.get("/approvals/statistics")
    assert stats.status_code == 200 and "按时办结率" in stats.text


def test_pages_in_english(client: TestClient, world: World, db: Session) -> None:
    install(db)
    login(client, "TA-enterprise")
    page = client.get("/approvals?lang=en")
    assert page.status_code == 200 and "One-stop services" in page.text
    form = client.get("/approvals/apply/policy_subsidy?lang=en")
    assert "Tax paid, last 12 months (10k yuan)" in form.text
