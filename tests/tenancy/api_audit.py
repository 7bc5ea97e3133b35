"""The audit log (digipark.audit)."""

from __future__ import annotations

from tests.tenancy.helpers import API, Ctx, Exercise, assert_problem


def check_audit_entries(ctx: Ctx) -> None:
    w = ctx.world
    url = f"{API}/audit/entries"
    for role in ("park_admin", "operator", "reviewer"):
        response = ctx.call("GET", url, role, "b", params={"page_size": 500})
        assert response.status_code == 200
        body = response.json()
        assert body["total"] > 0 and all(item["park_id"] == w.b.park_id for item in body["items"])
        response = ctx.call(
            "GET", url, role, "b", params={"entity_type": "enterprise", "entity_id": str(w.a.enterprise_ids[0])}
        )
        assert all(item["park_id"] == w.b.park_id for item in response.json()["items"])
    for park, role in (("a", "enterprise"), ("a", "enterprise2"), ("a", "resident"), ("b", "enterprise")):
        assert_problem(ctx.call("GET", url, role, park), 403)
    response = ctx.as_a_admin("GET", url, params={"entity_type": "enterprise", "entity_id": str(w.a.enterprise_ids[0])})
    assert response.json()["total"] >= 1
    assert all(item["park_id"] == w.a.park_id for item in response.json()["items"])


def check_audit_verify(ctx: Ctx) -> None:
    for park, role in (("a", "enterprise"), ("a", "enterprise2"), ("a", "resident"), ("b", "resident")):
        assert_problem(ctx.call("GET", f"{API}/audit/verify", role, park), 403)
    response = ctx.as_a_admin("GET", f"{API}/audit/verify")
    assert response.status_code == 200 and response.json()["ok"] is True


AUDIT: dict[tuple[str, str], Exercise] = {
    ("GET", f"{API}/audit/entries"): check_audit_entries,
    ("GET", f"{API}/audit/verify"): check_audit_verify,
}
