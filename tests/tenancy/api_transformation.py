"""Digital transformation (digipark.transformation): assessments, evidence, certificates, catalogue."""

from __future__ import annotations

from typing import Any

from httpx import Response

from tests.tenancy.exercises import (
    IdentAction,
    IdentView,
    ParkView,
    Resource,
    add_resource,
    ident_action,
    ident_view,
    park_view,
    static_view,
)
from tests.tenancy.helpers import (
    API,
    NON_STAFF,
    Ctx,
    Exercise,
    all_attackers,
    assert_problem,
    b_denial,
    count_rows,
    next_number,
)

_TF = f"{API}/transformation"
_TF_PDF = b"%PDF-1.4\n%tenancy\n"


def _tf_answers() -> dict[str, Any]:
    """A complete set of answers (the first option of every question, every scene rated 1)."""
    from digipark.transformation.assessment import questionnaire

    q = questionnaire()
    answers: dict[str, Any] = {
        code: [x.options[0].code] if x.multiple else x.options[0].code for code, x in q.questions.items()
    }
    answers.update({s.code: 1 for s in q.scenes})
    return answers


def _tf_assessment(ctx: Ctx, *, complete: bool = False, submitted: bool = False) -> int:
    """A new assessment of enterprise 0 of park A (each of another year)."""
    year = 2000 + next_number(ctx, "tf_year")
    body = {"enterprise_id": ctx.world.a.enterprise_ids[0], "year": year, "answers": _tf_answers() if complete else {}}
    response = ctx.as_a_admin("POST", f"{_TF}/assessments", json=body)
    assert response.status_code == 201, response.text
    ident = int(response.json()["id"])
    if submitted:
        assert ctx.as_a_admin("POST", f"{_TF}/assessments/{ident}/submit").status_code == 200
    return ident


def tf_assessment_id(ctx: Ctx) -> int:
    if "tf_assessment" not in ctx.cache:
        ctx.cache["tf_assessment"] = _tf_assessment(ctx, complete=True, submitted=True)
    return int(ctx.cache["tf_assessment"])


def _tf_upload(ctx: Ctx, ident: int, who: str = "park_admin", park: str = "a") -> Response:
    files = {"file": ("证明.pdf", _TF_PDF, "application/pdf")}
    return ctx.call("POST", f"{_TF}/assessments/{ident}/evidence", who, park, files=files, data={"question": "Q01"})


def _tf_evidence(ctx: Ctx) -> int:
    draft = _tf_assessment(ctx)
    response = _tf_upload(ctx, draft)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def tf_evidence_id(ctx: Ctx) -> int:
    if "tf_evidence" not in ctx.cache:
        ctx.cache["tf_evidence"] = _tf_evidence(ctx)
    return int(ctx.cache["tf_evidence"])


def _tf_evidence_row(ctx: Ctx, ident: int) -> Any:
    from digipark.transformation.models import AssessmentEvidence

    ctx.db.expire_all()
    row = ctx.db.get(AssessmentEvidence, ident)
    return None if row is None else (row.filename, row.size, row.sha256)


def check_tf_evidence_upload(ctx: Ctx) -> None:
    from digipark.transformation.models import AssessmentEvidence

    draft = _tf_assessment(ctx)
    before = count_rows(ctx.db, AssessmentEvidence)
    for park, role in all_attackers():
        if park == "a" and role == "enterprise":
            continue  # the owner may upload
        assert_problem(_tf_upload(ctx, draft, role, park), *(b_denial(role) if park == "b" else (403, 404)))
    assert count_rows(ctx.db, AssessmentEvidence) == before
    assert _tf_upload(ctx, draft).status_code == 201
    assert _tf_upload(ctx, draft, "enterprise").status_code == 201


def _tf_certificate(ctx: Ctx) -> dict[str, Any]:
    return {
        "enterprise_id": ctx.world.a.enterprise_ids[0],
        "scale": "GBT39116",
        "level": 2,
        "certificate_no": f"CMMM-{next_number(ctx, 'tf_cert')}",
        "issuer": "中国电子技术标准化研究院",
        "issued_on": "2025-03-01",
    }


def tf_certificate_id(ctx: Ctx) -> int:
    if "tf_certificate" not in ctx.cache:
        response = ctx.as_a_admin("POST", f"{_TF}/certificates", json=_tf_certificate(ctx))
        assert response.status_code == 201, response.text
        ident = int(response.json()["id"])
        files = {"file": ("cert.pdf", _TF_PDF, "application/pdf")}
        assert ctx.as_a_admin("POST", f"{_TF}/certificates/{ident}/file", files=files).status_code == 200
        ctx.cache["tf_certificate"] = ident
    return int(ctx.cache["tf_certificate"])


def check_tf_certificate_file(ctx: Ctx) -> None:
    from digipark.transformation.models import MaturityCertificate

    ident = tf_certificate_id(ctx)
    url = f"{_TF}/certificates/{ident}/file"
    files = {"file": ("fake.pdf", b"%PDF-1.4 replaced", "application/pdf")}
    for park, role in all_attackers():
        if park == "a" and role == "enterprise":
            continue  # the owner may attach a file (the certificate then waits for verification)
        assert_problem(ctx.call("POST", url, role, park, files=files), *(b_denial(role) if park == "b" else (403, 404)))
    ctx.db.expire_all()
    row = ctx.db.get(MaturityCertificate, ident)
    assert row is not None and row.file_content == _TF_PDF
    assert ctx.as_a_admin("POST", url, files=files).status_code == 200


def _tf_entry(ctx: Ctx) -> int:
    body = {
        "kind": "product",
        "name": f"轻量MES{next_number(ctx, 'tf_entry')}",
        "provider": "某软件公司",
        "scenes": ["S06"],
    }
    response = ctx.as_a_admin("POST", f"{_TF}/catalogue", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _tf_request_id(ctx: Ctx) -> int:
    body = {"enterprise_id": ctx.world.a.enterprise_ids[0], "entry_id": _tf_entry(ctx)}
    response = ctx.as_a_admin("POST", f"{_TF}/provider-requests", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


TRANSFORMATION_RESOURCES: list[tuple[Resource, str]] = [
    (
        Resource(
            "transformation/assessments",
            lambda ctx: {"enterprise_id": ctx.world.a.enterprise_ids[0], "year": 2000 + next_number(ctx, "tf_year")},
            {"answers": {"Q01": ["B"]}},
            readers=frozenset({"enterprise"}),
            writers=frozenset({"enterprise"}),
        ),
        "list create get patch",
    ),
    (
        Resource(
            "transformation/evidence",
            lambda ctx: {},
            None,
            readers=frozenset({"enterprise"}),
            writers=frozenset({"enterprise"}),
            make_fn=_tf_evidence,
            snapshot_fn=_tf_evidence_row,
        ),
        "delete",
    ),
    (
        Resource(
            "transformation/certificates",
            _tf_certificate,
            {"issuer": "江苏省智能制造评估中心"},
            readers=frozenset({"enterprise"}),
            writers=frozenset({"enterprise"}),
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "transformation/adoption",
            lambda ctx: {
                "enterprise_id": ctx.world.a.enterprise_ids[0],
                "kind": "robot",
                "name": f"焊接机器人{next_number(ctx, 'tf_robot')}",
                "count": 3,
                "started_on": "2025-01-01",
            },
            {"count": 5},
            readers=frozenset({"enterprise"}),
            writers=frozenset({"enterprise"}),
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "transformation/catalogue",
            lambda ctx: {
                "kind": "service",
                "name": f"数字化诊断{next_number(ctx, 'tf_entry')}",
                "provider": "服务中心",
            },
            {"price_note": "免费"},
            readers=NON_STAFF,
            cross_creates=lambda ctx: [],
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "transformation/provider-requests",
            lambda ctx: {"enterprise_id": ctx.world.a.enterprise_ids[0], "entry_id": _tf_entry(ctx)},
            None,
            readers=frozenset({"enterprise"}),
            writers=frozenset({"enterprise"}),
        ),
        "list create get",
    ),
]
TRANSFORMATION: dict[tuple[str, str], Exercise] = {
    ("GET", f"{_TF}/questionnaire"): lambda ctx: static_view("transformation/questionnaire", ctx),
    ("POST", f"{_TF}/assessments/{{ident}}/submit"): lambda ctx: ident_action(
        IdentAction(
            "transformation/assessments/{ident}/submit",
            lambda c: _tf_assessment(c, complete=True),
            None,
            writers=frozenset({"enterprise"}),
        ),
        ctx,
    ),
    ("POST", f"{_TF}/assessments/{{ident}}/review"): lambda ctx: ident_action(
        IdentAction(
            "transformation/assessments/{ident}/review",
            lambda c: _tf_assessment(c, complete=True, submitted=True),
            lambda c: {"decision": "confirm"},
        ),
        ctx,
    ),
    ("GET", f"{_TF}/assessments/{{ident}}/revisions"): lambda ctx: ident_view(
        IdentView("transformation/assessments/{ident}/revisions", tf_assessment_id, frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{_TF}/assessments/{{ident}}/evidence"): lambda ctx: ident_view(
        IdentView("transformation/assessments/{ident}/evidence", tf_assessment_id, frozenset({"enterprise"})), ctx
    ),
    ("POST", f"{_TF}/assessments/{{ident}}/evidence"): check_tf_evidence_upload,
    ("GET", f"{_TF}/evidence/{{ident}}"): lambda ctx: ident_view(
        IdentView("transformation/evidence/{ident}", tf_evidence_id, frozenset({"enterprise"})), ctx
    ),
    ("POST", f"{_TF}/certificates/{{ident}}/verify"): lambda ctx: ident_action(
        IdentAction("transformation/certificates/{ident}/verify", tf_certificate_id, lambda c: {"verified": True}),
        ctx,
    ),
    ("POST", f"{_TF}/certificates/{{ident}}/file"): check_tf_certificate_file,
    ("GET", f"{_TF}/certificates/{{ident}}/file"): lambda ctx: ident_view(
        IdentView("transformation/certificates/{ident}/file", tf_certificate_id, frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{_TF}/enterprises/{{ident}}/recommendations"): lambda ctx: ident_view(
        IdentView(
            "transformation/enterprises/{ident}/recommendations",
            lambda c: c.world.a.enterprise_ids[0],
            frozenset({"enterprise"}),
        ),
        ctx,
    ),
    ("POST", f"{_TF}/provider-requests/{{ident}}/status"): lambda ctx: ident_action(
        IdentAction(
            "transformation/provider-requests/{ident}/status", _tf_request_id, lambda c: {"status": "contacted"}
        ),
        ctx,
    ),
    ("GET", f"{_TF}/summary"): lambda ctx: park_view(ParkView("transformation/summary"), ctx),
}
for _res, _methods in TRANSFORMATION_RESOURCES:
    add_resource(TRANSFORMATION, _res, _methods)
