"""Data space's NGSI-LD subscriptions (/ngsi-ld/v1/subscriptions): a subscription of park A's enterprise 0 is read
by its enterprise and the park's staff, changed and deleted by its enterprise (and staff), and neither seen nor
changed by park B or by another enterprise of park A; read-only roles cannot create one."""

from __future__ import annotations

from typing import Any

from tests.tenancy.helpers import B_ROLES, Ctx, Exercise, all_attackers, next_number

_SUBS = "/ngsi-ld/v1/subscriptions"
_SUB = f"{_SUBS}/{{subscription_id:path}}"


def _refused(response: Any, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.text)
    assert response.json()["type"].startswith("https://") and response.json()["detail"]


def _body(ident: str) -> dict[str, Any]:
    return {
        "id": ident,
        "type": "Subscription",
        "entities": [{"type": "Device"}],
        "watchedAttributes": ["secret_reading"],
        "notification": {"endpoint": {"uri": "https://example.org/notify", "accept": "application/json"}},
        "throttling": 5,
    }


def ngsi_subscription(ctx: Ctx) -> str:
    """A subscription of enterprise 0 of park A."""
    ident = f"urn:ngsi-ld:Subscription:T{next_number(ctx, 'ngsisub')}"
    response = ctx.call("POST", _SUBS, "enterprise", json=_body(ident))
    assert response.status_code == 201, response.text
    return ident


def _untouched(ctx: Ctx, ident: str) -> None:
    got = ctx.call("GET", f"{_SUBS}/{ident}", "enterprise")
    assert got.status_code == 200 and got.json()["throttling"] == 5 and got.json()["isActive"], got.text


def check_create(ctx: Ctx) -> None:
    ident = f"urn:ngsi-ld:Subscription:C{next_number(ctx, 'ngsisub')}"
    for role in ("reviewer", "resident"):
        _refused(ctx.call("POST", _SUBS, role, json=_body(ident)), 403)
    assert ctx.call("POST", _SUBS, "enterprise", json=_body(ident)).status_code == 201
    _refused(ctx.call("GET", f"{_SUBS}/{ident}", "park_admin", "b"), 404)  # park B has its own


def check_query(ctx: Ctx) -> None:
    ident = ngsi_subscription(ctx)
    for park, role in [("b", r) for r in B_ROLES] + [("a", "enterprise2"), ("a", "resident")]:
        response = ctx.call("GET", _SUBS, role, park)
        if response.status_code == 200:
            assert ident not in [s["id"] for s in response.json()], (park, role)
        else:
            _refused(response, 403)
    for role in ("enterprise", "park_admin"):
        assert ident in [s["id"] for s in ctx.call("GET", _SUBS, role).json()], role


def check_retrieve(ctx: Ctx) -> None:
    ident = ngsi_subscription(ctx)
    for park, role in [("b", r) for r in B_ROLES] + [("a", "enterprise2"), ("a", "resident")]:
        _refused(ctx.call("GET", f"{_SUBS}/{ident}", role, park), 403, 404)
    for role in ("enterprise", "park_admin", "reviewer"):
        assert ctx.call("GET", f"{_SUBS}/{ident}", role).status_code == 200, role


def check_notifications(ctx: Ctx) -> None:
    ident = ngsi_subscription(ctx)
    url = f"{_SUBS}/{ident}/notifications"
    for park, role in [("b", r) for r in B_ROLES] + [("a", "enterprise2"), ("a", "resident")]:
        _refused(ctx.call("GET", url, role, park), 403, 404)
    for role in ("enterprise", "park_admin", "reviewer"):
        response = ctx.call("GET", url, role)
        assert response.status_code == 200 and response.json() == [], (role, response.text)


def _change(method: str, body: Any) -> Exercise:
    def check(ctx: Ctx) -> None:
        ident = ngsi_subscription(ctx)
        url = f"{_SUBS}/{ident}"
        for park, role in all_attackers():
            if park == "a" and role == "enterprise":
                continue
            _refused(ctx.call(method, url, role, park, json=body), 403, 404)
            _untouched(ctx, ident)
        assert ctx.call(method, url, "enterprise", json=body).status_code == 204

    return check


NGSI_SUBSCRIPTIONS: dict[tuple[str, str], Exercise] = {
    ("POST", _SUBS): check_create,
    ("GET", _SUBS): check_query,
    ("GET", _SUB): check_retrieve,
    ("GET", f"{_SUB}/notifications"): check_notifications,
    ("PATCH", _SUB): _change("PATCH", {"isActive": False, "throttling": 50}),
    ("DELETE", _SUB): _change("DELETE", None),
}
