"""Approvals (digipark.approvals): definitions, departments, applications, tasks, statistics, reporting upward."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from digipark.approvals.models import ApprovalDefinition, ApprovalInstance, DepartmentMember, UpwardSubmission
from digipark.auth.models import User
from tests.tenancy.exercises import IdentAction, IdentView, ParkView, ident_action, ident_view, park_view
from tests.tenancy.helpers import (
    A_READ_ONLY_ROLES,
    API,
    B_ROLES,
    Ctx,
    Exercise,
    all_attackers,
    assert_problem,
    count_rows,
    items_of,
)

_AP = f"{API}/approvals"
CERTIFICATE = {"certificate_kind": "入驻证明", "purpose": "办理银行贷款"}


def ap_installed(ctx: Ctx) -> None:
    if "ap_installed" not in ctx.cache:
        response = ctx.as_a_admin("POST", f"{_AP}/definitions/bundled")
        assert response.status_code == 200, response.text
        ctx.cache["ap_installed"] = True


def ap_definition(ctx: Ctx) -> int:
    ap_installed(ctx)
    response = ctx.as_a_admin("GET", f"{_AP}/definitions")
    return int(response.json()[0]["id"])


def ap_application(ctx: Ctx) -> int:
    ap_installed(ctx)
    body = {"process": "certificate_request", "form": CERTIFICATE}
    response = ctx.call("POST", f"{_AP}/applications", "enterprise", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _open_task(ctx: Ctx, application: int) -> int:
    tasks = ctx.as_a_admin("GET", f"{_AP}/tasks").json()
    return int(next(t["id"] for t in tasks if t["instance_id"] == application))


def ap_task(ctx: Ctx) -> int:
    return _open_task(ctx, ap_application(ctx))


def ap_correction(ctx: Ctx) -> int:
    application = ap_application(ctx)
    body = {"decision": "return", "reason": "请写明用途"}
    response = ctx.as_a_admin("POST", f"{_AP}/tasks/{_open_task(ctx, application)}/decide", json=body)
    assert response.status_code == 200, response.text
    return _open_task(ctx, application)


def ap_finished(ctx: Ctx) -> int:
    application = ap_application(ctx)
    body = {"decision": "approve"}
    response = ctx.as_a_admin("POST", f"{_AP}/tasks/{_open_task(ctx, application)}/decide", json=body)
    assert response.status_code == 200, response.text
    return application


def check_definitions_list(ctx: Ctx) -> None:
    ap_installed(ctx)
    for role in B_ROLES:
        response = ctx.call("GET", f"{_AP}/definitions", role, "b", params={"park_id": ctx.world.a.park_id})
        assert_problem(response, 403, 404)
    for role in ("enterprise", "enterprise2", "reviewer"):
        assert len(ctx.call("GET", f"{_AP}/definitions", role).json()) == 5
    assert_problem(ctx.call("GET", f"{_AP}/definitions", "resident"), 403)


def check_publish(ctx: Ctx) -> None:
    ap_installed(ctx)
    bpmn = ctx.db.scalar(select(ApprovalDefinition.bpmn_xml).where(ApprovalDefinition.key == "certificate_request"))
    before = count_rows(ctx.db, ApprovalDefinition)
    for park, role in all_attackers():
        response = ctx.call(
            "POST", f"{_AP}/definitions", role, park, json={"bpmn_xml": bpmn, "park_id": ctx.world.a.park_id}
        )
        assert_problem(response, 403, 404)
    assert count_rows(ctx.db, ApprovalDefinition) == before
    response = ctx.as_a_admin("POST", f"{_AP}/definitions", json={"bpmn_xml": bpmn})
    assert response.status_code == 201 and response.json()["version"] == 2


def check_install(ctx: Ctx) -> None:
    for role in A_READ_ONLY_ROLES:
        assert_problem(ctx.call("POST", f"{_AP}/definitions/bundled", role), 403)
    assert not ctx.db.scalar(
        select(func.count()).select_from(ApprovalDefinition).where(ApprovalDefinition.park_id == ctx.world.a.park_id)
    )
    response = ctx.call("POST", f"{_AP}/definitions/bundled", "park_admin", "b")
    assert response.status_code == 200
    assert not ctx.db.scalar(
        select(func.count()).select_from(ApprovalDefinition).where(ApprovalDefinition.park_id == ctx.world.a.park_id)
    )
    ap_installed(ctx)


def check_assign(ctx: Ctx) -> None:
    reviewer = ctx.db.scalar(select(User.id).where(User.username == "TA-reviewer"))
    body: dict[str, Any] = {"user_id": reviewer, "department": "fire"}
    for park, role in all_attackers():
        response = ctx.call("POST", f"{_AP}/departments", role, park, json=body)
        assert_problem(response, 403, 404)
    assert not count_rows(ctx.db, DepartmentMember)
    response = ctx.as_a_admin("POST", f"{_AP}/departments", json=body)
    assert response.status_code == 201, response.text


def check_list_applications(ctx: Ctx) -> None:
    ident = ap_application(ctx)
    for role in B_ROLES:
        response = ctx.call("GET", f"{_AP}/applications", role, "b")
        if response.status_code == 200:
            assert ident not in {r["id"] for r in items_of(response.json())}
        else:
            assert_problem(response, 403)
    assert ident in {r["id"] for r in ctx.call("GET", f"{_AP}/applications", "enterprise").json()}
    assert ident not in {r["id"] for r in ctx.call("GET", f"{_AP}/applications", "enterprise2").json()}
    assert_problem(ctx.call("GET", f"{_AP}/applications", "resident"), 403)


def check_apply(ctx: Ctx) -> None:
    ap_installed(ctx)
    body = {"process": "certificate_request", "form": CERTIFICATE, "enterprise_id": ctx.world.a.enterprise_ids[0]}
    for role in B_ROLES:
        response = ctx.call("POST", f"{_AP}/applications", role, "b", json=body)
        assert_problem(response, 403, 404)
    for role in ("enterprise2", "reviewer", "resident"):
        assert_problem(ctx.call("POST", f"{_AP}/applications", role, json=body), 403, 404)
    assert not count_rows(ctx.db, ApprovalInstance)
    assert ctx.as_a_admin("POST", f"{_AP}/applications", json=body).status_code == 201


def check_list_tasks(ctx: Ctx) -> None:
    task = ap_task(ctx)
    for role in B_ROLES:
        response = ctx.call("GET", f"{_AP}/tasks", role, "b")
        if response.status_code == 200:
            assert task not in {r["id"] for r in response.json()}
        else:
            assert_problem(response, 403)
    assert not ctx.call("GET", f"{_AP}/tasks", "reviewer").json()  # in no department
    assert not ctx.call("GET", f"{_AP}/tasks", "enterprise2").json()
    assert task in {r["id"] for r in ctx.call("GET", f"{_AP}/tasks", "enterprise").json()}


def check_submit_upward(ctx: Ctx) -> None:
    for role in A_READ_ONLY_ROLES:
        assert_problem(ctx.call("POST", f"{_AP}/upward/submissions", role, params={"year": 2026}), 403)
    assert not count_rows(ctx.db, UpwardSubmission)
    response = ctx.as_a_admin("POST", f"{_AP}/upward/submissions", params={"year": 2026})
    assert response.status_code == 201 and response.json()["park_id"] == ctx.world.a.park_id


APPROVALS: dict[tuple[str, str], Exercise] = {
    ("GET", f"{_AP}/definitions"): check_definitions_list,
    ("POST", f"{_AP}/definitions"): check_publish,
    ("POST", f"{_AP}/definitions/bundled"): check_install,
    ("GET", f"{_AP}/definitions/{{ident}}"): lambda ctx: ident_view(
        IdentView("approvals/definitions/{ident}", ap_definition, readers=frozenset({"enterprise", "enterprise2"})),
        ctx,
    ),
    ("POST", f"{_AP}/departments"): check_assign,
    ("GET", f"{_AP}/applications"): check_list_applications,
    ("POST", f"{_AP}/applications"): check_apply,
    ("GET", f"{_AP}/applications/{{ident}}"): lambda ctx: ident_view(
        IdentView("approvals/applications/{ident}", ap_application, readers=frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{_AP}/applications/{{ident}}/decision.pdf"): lambda ctx: ident_view(
        IdentView("approvals/applications/{ident}/decision.pdf", ap_finished, readers=frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{_AP}/tasks"): check_list_tasks,
    ("POST", f"{_AP}/tasks/{{ident}}/claim"): lambda ctx: ident_action(
        IdentAction("approvals/tasks/{ident}/claim", ap_task, None), ctx
    ),
    ("POST", f"{_AP}/tasks/{{ident}}/decide"): lambda ctx: ident_action(
        IdentAction("approvals/tasks/{ident}/decide", ap_task, lambda ctx: {"decision": "approve"}), ctx
    ),
    ("POST", f"{_AP}/tasks/{{ident}}/correct"): lambda ctx: ident_action(
        IdentAction(
            "approvals/tasks/{ident}/correct",
            ap_correction,
            lambda ctx: {"form": {"purpose": "办理银行贷款（补正）"}},
            writers=frozenset({"enterprise"}),
        ),
        ctx,
    ),
    ("GET", f"{_AP}/statistics"): lambda ctx: park_view(ParkView("approvals/statistics", takes_park_id=False), ctx),
    ("GET", f"{_AP}/upward"): lambda ctx: park_view(
        ParkView("approvals/upward", params={"year": 2026}, reviewer_reads=False, takes_park_id=False), ctx
    ),
    ("GET", f"{_AP}/upward.xlsx"): lambda ctx: park_view(
        ParkView("approvals/upward.xlsx", params={"year": 2026}, reviewer_reads=False, takes_park_id=False), ctx
    ),
    ("POST", f"{_AP}/upward/submissions"): check_submit_upward,
}


def ap_process_key(ctx: Ctx) -> str:
    """A process of park A (park B has none installed)."""
    ap_installed(ctx)
    return "certificate_request"


def ap_document(ctx: Ctx) -> int:
    """A document enterprise 0 uploaded with its application."""
    from digipark.approvals import documents, service
    from tests.notices.helpers import scope_of

    scope = scope_of(ctx.db, "TA", "enterprise")
    instance = service.get_instance(ctx.db, scope=scope, ident=ap_application(ctx))
    row = documents.upload(
        ctx.db,
        scope=scope,
        instance=instance,
        filename="licence.pdf",
        content_type="application/pdf",
        content=b"%PDF-1",
    )
    return row.id
