"""Accounts (digipark.auth): logging in, who am I, users."""

from __future__ import annotations

from digipark.auth.models import User
from tests.conftest import bearer
from tests.tenancy.helpers import API, Ctx, Exercise, all_attackers, assert_problem, count_rows


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
}
