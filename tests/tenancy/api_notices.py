"""Notices (digipark.notices): drafts, publishing, read receipts."""

from __future__ import annotations

from typing import Any

from tests.tenancy.exercises import IdentAction, IdentView, Resource, add_resource, ident_action, ident_view
from tests.tenancy.helpers import A_READ_ONLY_ROLES, API, NON_STAFF, Ctx, Exercise, all_attackers, next_number

_NT = f"{API}/notices"


def nt_body(ctx: Ctx) -> dict[str, Any]:
    return {"title": f"停电通知{next_number(ctx, 'nt')}", "body": "明日二区停电。", "category": "outage"}


def nt_draft(ctx: Ctx) -> int:
    response = ctx.as_a_admin("POST", _NT, json=nt_body(ctx))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def nt_published(ctx: Ctx) -> int:
    ident = nt_draft(ctx)
    response = ctx.as_a_admin("POST", f"{_NT}/{ident}/publish")
    assert response.status_code == 200, response.text
    return ident


def check_nt_unread(ctx: Ctx) -> None:
    ident = nt_published(ctx)
    for park, role in all_attackers():
        response = ctx.call("GET", f"{_NT}/unread", role, park)
        assert response.status_code == 200, response.text
        assert (ident in response.json()["ids"]) == (park == "a"), (park, role)


NOTICES: dict[tuple[str, str], Exercise] = {
    ("GET", f"{_NT}/unread"): check_nt_unread,
    ("POST", f"{_NT}/{{ident}}/publish"): lambda ctx: ident_action(
        IdentAction("notices/{ident}/publish", nt_draft, None), ctx
    ),
    # every reader leaves its own receipt: only other parks are refused
    ("POST", f"{_NT}/{{ident}}/read"): lambda ctx: ident_action(
        IdentAction("notices/{ident}/read", nt_published, None, writers=frozenset(A_READ_ONLY_ROLES)), ctx
    ),
    ("GET", f"{_NT}/{{ident}}/receipts"): lambda ctx: ident_view(
        IdentView("notices/{ident}/receipts", nt_published, reviewer_reads=False), ctx
    ),
}
add_resource(
    NOTICES,
    Resource(
        "notices",
        nt_body,
        {"title": "改名"},
        readers=NON_STAFF,
        make_fn=nt_published,
        cross_creates=lambda ctx: [{**nt_body(ctx), "park_id": ctx.world.a.park_id}],
    ),
    "list create get patch delete",
)
