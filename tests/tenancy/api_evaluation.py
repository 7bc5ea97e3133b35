"""Evaluation (digipark.evaluation): indicators, declarations, snapshots, reports."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from digipark.registry.models import Park
from tests.tenancy.exercises import IdentView, ParkAction, ParkView, ident_view, park_action, park_view, static_view
from tests.tenancy.helpers import (
    A_READ_ONLY_ROLES,
    API,
    B_ROLES,
    Ctx,
    Exercise,
    all_attackers,
    assert_problem,
    count_rows,
    download_text,
)


def evaluation_year() -> int:
    from digipark.evaluation.service import today

    return today().year


def _declaration_form(ctx: Ctx, park_id: int | None = None) -> dict[str, Any]:
    data = {"indicator": "compute_in_use", "value": "2", "note": "算力使用企业名单"}
    if park_id is not None:
        data["park_id"] = str(park_id)
    return {"data": data, "files": {"evidence": ("list.pdf", b"%PDF-1.4 evidence", "application/pdf")}}


def _declaration_id(ctx: Ctx) -> int:
    if "declaration" not in ctx.cache:
        response = ctx.as_a_admin("POST", f"{API}/evaluation/declarations", **_declaration_form(ctx))
        assert response.status_code == 201, response.text
        ctx.cache["declaration"] = response.json()["id"]
    return int(ctx.cache["declaration"])


def evaluation_snapshot_id(ctx: Ctx) -> int:
    if "evaluation_snapshot" not in ctx.cache:
        body = {"park_id": ctx.world.a.park_id, "year": evaluation_year()}
        response = ctx.as_a_admin("POST", f"{API}/evaluation/snapshots", json=body)
        assert response.status_code == 201, response.text
        ctx.cache["evaluation_snapshot"] = response.json()["id"]
    return int(ctx.cache["evaluation_snapshot"])


def check_evaluation_declare(ctx: Ctx) -> None:
    from digipark.evaluation.models import IndicatorDeclaration

    url = f"{API}/evaluation/declarations"
    before = count_rows(ctx.db, IndicatorDeclaration)
    for park, role in all_attackers():
        response = ctx.call("POST", url, role, park, **_declaration_form(ctx, ctx.world.a.park_id))
        expected = (404,) if park == "b" and role in ("park_admin", "operator") else (403,)
        assert_problem(response, *expected)
    assert count_rows(ctx.db, IndicatorDeclaration) == before
    response = ctx.as_a_admin("POST", url, **_declaration_form(ctx))
    assert response.status_code == 201 and response.json()["park_id"] == ctx.world.a.park_id


def check_evaluation_reports(ctx: Ctx) -> None:
    park_a = ctx.db.scalar(select(Park.name).where(Park.id == ctx.world.a.park_id))
    for fmt in ("html", "pdf", "xlsx"):
        url = f"{API}/evaluation/report.{fmt}"
        for role in B_ROLES:
            response = ctx.call("GET", url, role, "b", params={"park_id": ctx.world.a.park_id})
            assert_problem(response, 403, 404)
            response = ctx.call("GET", url, role, "b")
            if response.status_code == 200:
                assert park_a not in download_text(response) and "TA企业" not in download_text(response)
            else:
                assert_problem(response, 403)
        for role in A_READ_ONLY_ROLES:
            response = ctx.call("GET", url, role)
            if role == "reviewer":
                assert response.status_code == 200, response.text
            else:
                assert_problem(response, 403)
        assert ctx.as_a_admin("GET", url).status_code == 200


def check_evaluation_compare(ctx: Ctx) -> None:
    url = f"{API}/evaluation/compare"
    for role in B_ROLES:
        response = ctx.call("GET", url, role, "b", params={"park_ids": [ctx.world.a.park_id]})
        assert_problem(response, 403, 404)
        response = ctx.call("GET", url, role, "b")
        if response.status_code == 200:
            assert {p["park_id"] for p in response.json()["parks"]} == {ctx.world.b.park_id}
        else:
            assert_problem(response, 403)
    park_view(ParkView("evaluation/compare", takes_park_id=False), ctx)


EVALUATION: dict[tuple[str, str], Exercise] = {
    ("GET", f"{API}/evaluation/indicators"): lambda ctx: static_view("evaluation/indicators", ctx),
    ("GET", f"{API}/evaluation"): lambda ctx: park_view(ParkView("evaluation"), ctx),
    ("GET", f"{API}/evaluation/report.{{fmt}}"): check_evaluation_reports,
    ("GET", f"{API}/evaluation/declarations"): lambda ctx: park_view(ParkView("evaluation/declarations"), ctx),
    ("POST", f"{API}/evaluation/declarations"): check_evaluation_declare,
    ("GET", f"{API}/evaluation/declarations/{{ident}}/evidence"): lambda ctx: ident_view(
        IdentView("evaluation/declarations/{ident}/evidence", _declaration_id), ctx
    ),
    ("GET", f"{API}/evaluation/snapshots"): lambda ctx: park_view(ParkView("evaluation/snapshots"), ctx),
    ("POST", f"{API}/evaluation/snapshots"): lambda ctx: park_action(
        ParkAction(
            "evaluation/snapshots",
            lambda c: {"park_id": c.world.a.park_id, "year": evaluation_year()},
            ok=(201,),
        ),
        ctx,
    ),
    ("GET", f"{API}/evaluation/snapshots/{{ident}}"): lambda ctx: ident_view(
        IdentView("evaluation/snapshots/{ident}", evaluation_snapshot_id), ctx
    ),
    ("GET", f"{API}/evaluation/years"): lambda ctx: park_view(ParkView("evaluation/years"), ctx),
    ("GET", f"{API}/evaluation/compare"): check_evaluation_compare,
}
