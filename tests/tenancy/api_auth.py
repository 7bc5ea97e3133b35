"""Accounts (digipark.auth): logging in, who am I, users, their lifecycle and tokens."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from digipark.auth import service as auth_service
from digipark.auth.models import ApiToken, User
from tests.conftest import bearer
from tests.tenancy.helpers import API, Ctx, Exercise, all_attackers, assert_problem, count_rows


def user_id(ctx: Ctx, username: str) -> int:
    found = ctx.db.scalar(select(User.id).where(User.username == username))
    assert found is not None
    return found


def make_enterprise_admin(ctx: Ctx, username: str) -> None:
    ctx.db.execute(update(User).where(User.username == username).values(enterprise_admin=True))
    ctx.db.flush()


def snapshot(ctx: Ctx, ident: int) -> tuple[Any, ...]:
    ctx.db.expire_all()
    user = ctx.db.get_one(User, ident)
    tokens = ctx.db.scalars(select(ApiToken.revoked).where(ApiToken.user_id == ident)).all()
    return (user.display_name, user.role, user.is_active, user.password_hash, user.enterprise_admin, tuple(tokens))


def check_account_route(ctx: Ctx, method: str, template: str, body: dict[str, Any] | None = None) -> None:
    """A route on one account: park B's admin and park A's enterprise administrator of the other enterprise do not
    find park A's enterprise-0 user (404), roles without the permission are refused (403), nothing changes; park A's
    admin and the enterprise's own administrator reach it."""
    target = user_id(ctx, "TA-enterprise")
    url = template.format(ident=target)
    before = snapshot(ctx, target)
    assert_problem(ctx.call(method, url, "park_admin", "b", json=body), 404)
    make_enterprise_admin(ctx, "TA-enterprise2")
    assert_problem(ctx.call(method, url, "enterprise2", "a", json=body), 404)
    own_tokens = template.endswith("/tokens")  # an account reads its own tokens
    for park, role in all_attackers():
        if role not in ("park_admin", "enterprise2") and not (own_tokens and (park, role) == ("a", "enterprise")):
            assert_problem(ctx.call(method, url, role, park, json=body), 403, 404)
    assert snapshot(ctx, target) == before
    response = ctx.as_a_admin(method, url, json=body)
    assert response.status_code == 200, response.text
    if template.endswith("/tokens") or method == "GET":
        make_enterprise_admin(ctx, "TA-enterprise")  # the enterprise's own administrator reads its own account
        assert ctx.call(method, url, "enterprise", "a").status_code == 200


def check_password_change(ctx: Ctx) -> None:
    """Only the caller's own password changes."""
    w = ctx.world
    a_operator = user_id(ctx, "TA-operator")
    before = snapshot(ctx, a_operator)
    body = {"current_password": w.password, "new_password": "quiet-harbour-lantern-42"}
    response = ctx.call("POST", f"{API}/auth/password", "operator", "b", json=body)
    assert response.status_code == 204, response.text
    assert snapshot(ctx, a_operator) == before
    assert (
        ctx.client.post(
            f"{API}/auth/token", json={"username": "TB-operator", "password": "quiet-harbour-lantern-42"}
        ).status_code
        == 200
    )


def check_my_tokens(ctx: Ctx) -> None:
    for park in ("a", "b"):
        for role in ("park_admin", "enterprise"):
            tokens = ctx.call("GET", f"{API}/auth/tokens", role, park).json()
            assert tokens and {t["username"] for t in tokens} == {f"T{park.upper()}-{role}"}


def check_create_my_token(ctx: Ctx) -> None:
    response = ctx.call("POST", f"{API}/auth/tokens", "enterprise", "b", json={"name": "mine", "days": 7})
    assert response.status_code == 201, response.text
    me = ctx.client.get(f"{API}/auth/me", headers=bearer(response.json()["access_token"])).json()
    assert me["username"] == "TB-enterprise"


def check_revoke_token(ctx: Ctx) -> None:
    target = ctx.db.get_one(User, user_id(ctx, "TA-enterprise"))
    _raw, token = auth_service.create_api_token(ctx.db, user=target, name="victim")
    url = f"{API}/auth/tokens/{token.id}"
    assert_problem(ctx.call("DELETE", url, "park_admin", "b"), 404)
    make_enterprise_admin(ctx, "TA-enterprise2")
    assert_problem(ctx.call("DELETE", url, "enterprise2", "a"), 404)
    for park, role in all_attackers():
        if role != "enterprise2" and not (park == "a" and role == "enterprise"):
            assert_problem(ctx.call("DELETE", url, role, park), 404)
    ctx.db.refresh(token)
    assert token.revoked is False
    assert ctx.as_a_admin("DELETE", url).status_code == 204
    ctx.db.refresh(token)
    assert token.revoked is True


def account_exercise(method: str, template: str, body: dict[str, Any] | None = None) -> Exercise:
    return lambda ctx: check_account_route(ctx, method, template, body)


def check_login(ctx: Ctx) -> None:
    w = ctx.world
    response = ctx.client.post(f"{API}/auth/token", json={"username": "TB-park_admin", "password": w.password})
    assert response.status_code == 200, response.text
    me = ctx.client.get(f"{API}/auth/me", headers=bearer(response.json()["access_token"])).json()
    assert me["park_id"] == w.b.park_id and me["read_parks"] == [w.b.park_id]
    # a token names its user: park B's token is not accepted as anybody of park A
    denied = ctx.client.get(
        f"{API}/enterprises/{w.a.enterprise_ids[0]}", headers=bearer(response.json()["access_token"])
    )
    assert_problem(denied, 404)


def check_me(ctx: Ctx) -> None:
    w = ctx.world
    for park, pw in (("a", w.a), ("b", w.b)):
        for role in pw.tokens:
            me = ctx.call("GET", f"{API}/auth/me", role, park).json()
            assert me["park_id"] == pw.park_id and me["read_parks"] == [pw.park_id], me
            expected_enterprise = {"enterprise": pw.enterprise_ids[0], "enterprise2": pw.enterprise_ids[1]}
            assert me["enterprise_id"] == expected_enterprise.get(role)


def check_list_users(ctx: Ctx) -> None:
    w = ctx.world
    response = ctx.call("GET", f"{API}/users", "park_admin", "b")
    assert response.status_code == 200
    users = response.json()
    assert users and all(user["park_id"] == w.b.park_id for user in users)
    for park, role in all_attackers():
        if not (park == "b" and role == "park_admin"):
            assert_problem(ctx.call("GET", f"{API}/users", role, park), 403)
    a_users = {u["username"] for u in ctx.as_a_admin("GET", f"{API}/users").json()}
    assert {f"TA-{role}" for role in w.a.tokens} <= a_users
    assert not any(name.startswith("TB-") for name in a_users)


def check_create_user(ctx: Ctx) -> None:
    w, db = ctx.world, ctx.db
    url = f"{API}/users"
    count = count_rows(db, User)
    body = {
        "username": "intruder",
        "password": "long-enough-1",
        "role": "enterprise",
        "enterprise_id": w.a.enterprise_ids[0],
    }
    assert_problem(ctx.call("POST", url, "park_admin", "b", json=body), 403, 404, 422)
    # a park_id naming park A is not even accepted as input
    assert_problem(
        ctx.call(
            "POST",
            url,
            "park_admin",
            "b",
            json={**body, "role": "park_admin", "enterprise_id": None, "park_id": w.a.park_id},
        ),
        422,
    )
    for park, role in all_attackers():
        if not (park == "b" and role == "park_admin"):
            response = ctx.call("POST", url, role, park, json={**body, "enterprise_id": None, "role": "resident"})
            assert_problem(response, 403)
    assert count_rows(db, User) == count
    # positive: park A's admin creates an enterprise user of its own enterprise, in park A
    response = ctx.as_a_admin("POST", url, json={**body, "username": "newcomer"})
    assert response.status_code == 201, response.text
    assert response.json()["park_id"] == w.a.park_id
    # park B's admin creating a user in its own park gets park B, whatever it asks for
    response = ctx.call(
        "POST", url, "park_admin", "b", json={**body, "username": "b-new", "role": "operator", "enterprise_id": None}
    )
    assert response.status_code == 201 and response.json()["park_id"] == w.b.park_id


AUTH: dict[tuple[str, str], Exercise] = {
    ("POST", f"{API}/auth/token"): check_login,
    ("GET", f"{API}/auth/me"): check_me,
    ("GET", f"{API}/users"): check_list_users,
    ("POST", f"{API}/users"): check_create_user,
    ("POST", f"{API}/auth/password"): check_password_change,
    ("GET", f"{API}/auth/tokens"): check_my_tokens,
    ("POST", f"{API}/auth/tokens"): check_create_my_token,
    ("DELETE", f"{API}/auth/tokens/{{token_id}}"): check_revoke_token,
    ("GET", f"{API}/users/{{user_id}}"): account_exercise("GET", API + "/users/{ident}"),
    ("PATCH", f"{API}/users/{{user_id}}"): account_exercise("PATCH", API + "/users/{ident}", {"display_name": "改名"}),
    ("POST", f"{API}/users/{{user_id}}/deactivate"): account_exercise("POST", API + "/users/{ident}/deactivate"),
    ("POST", f"{API}/users/{{user_id}}/activate"): account_exercise("POST", API + "/users/{ident}/activate"),
    ("POST", f"{API}/users/{{user_id}}/password-reset"): account_exercise(
        "POST", API + "/users/{ident}/password-reset"
    ),
    ("POST", f"{API}/users/{{user_id}}/second-factor-reset"): account_exercise(
        "POST", API + "/users/{ident}/second-factor-reset"
    ),
    ("GET", f"{API}/users/{{user_id}}/tokens"): account_exercise("GET", API + "/users/{ident}/tokens"),
}
