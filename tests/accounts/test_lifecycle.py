"""The account lifecycle over the API: update, deactivate (every path refused afterwards), password change and
reset, and who may do it (a park administrator in its park, an enterprise administrator in its enterprise)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.auth.models import ApiToken, WebSession
from tests.accounts.helpers import API, STRONG, field_of, make_enterprise_admin, problem, token_for, user
from tests.conftest import World, bearer
from tests.web.helpers import form_token, login, visible_text


def audited(db: Session, action: str, entity_id: int) -> bool:
    stmt = select(AuditEntry.id).where(AuditEntry.action == action, AuditEntry.entity_id == str(entity_id))
    return db.scalar(stmt) is not None


def test_park_admin_updates_an_account_of_its_park(client: TestClient, world: World, db: Session) -> None:
    target = user(db, "TA-operator")
    admin = bearer(world.a.tokens["park_admin"])
    response = client.patch(
        f"{API}/users/{target.id}", json={"display_name": "夜班值班员", "language": "en"}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert response.json()["display_name"] == "夜班值班员" and response.json()["language"] == "en"
    assert audited(db, "update", target.id)
    # a role between staff and enterprise, a reviewer role, an unknown field: refused, nothing changed
    assert field_of(client.patch(f"{API}/users/{target.id}", json={"role": "enterprise"}, headers=admin)) == "role"
    assert field_of(client.patch(f"{API}/users/{target.id}", json={"role": "reviewer"}, headers=admin)) == "role"
    problem(client.patch(f"{API}/users/{target.id}", json={"password_hash": "x"}, headers=admin), 422)
    assert user(db, "TA-operator").role == "operator"
    # park B's admin does not find park A's account
    problem(
        client.patch(
            f"{API}/users/{target.id}", json={"display_name": "x"}, headers=bearer(world.b.tokens["park_admin"])
        ),
        404,
    )


def test_deactivated_account_is_refused_on_every_path(client: TestClient, world: World, db: Session) -> None:
    target = user(db, "TA-operator")
    login(client, "TA-operator")  # a browser session
    assert client.get("/").status_code == 200
    token = world.a.tokens["operator"]
    admin = TestClient(client.app, base_url="http://testserver")
    response = admin.post(f"{API}/users/{target.id}/deactivate", headers=bearer(world.a.tokens["park_admin"]))
    assert response.status_code == 200 and response.json()["is_active"] is False
    # the session ended, the token is revoked, a login is answered like a wrong password
    assert db.scalar(select(WebSession.id).where(WebSession.user_id == target.id)) is None
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    problem(client.get(f"{API}/auth/me", headers=bearer(token)), 401)
    assert all(db.scalars(select(ApiToken.revoked).where(ApiToken.user_id == target.id)))
    refused = problem(token_for(client, "TA-operator", world.password), 401)
    unknown = problem(token_for(client, "nobody-at-all", world.password), 401)
    assert refused["detail"] == unknown["detail"]
    assert audited(db, "user_deactivated", target.id)
    # the login page too: the same answer as for an unknown name, and no session
    client.cookies.clear()
    csrf = form_token(client.get("/login").text)
    page = client.post(
        "/login",
        data={"username": "TA-operator", "password": world.password, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert page.status_code == 401 and "dp_session" not in client.cookies
    assert "用户名或密码错误，或账户因多次登录失败已被暂时锁定。" in visible_text(page.text)
    # activated again: it logs in; the revoked token stays revoked
    assert (
        admin.post(f"{API}/users/{target.id}/activate", headers=bearer(world.a.tokens["park_admin"])).status_code == 200
    )
    assert token_for(client, "TA-operator", world.password).status_code == 200
    problem(client.get(f"{API}/auth/me", headers=bearer(token)), 401)


def test_nobody_deactivates_itself(client: TestClient, world: World, db: Session) -> None:
    admin = user(db, "TA-park_admin")
    response = client.post(f"{API}/users/{admin.id}/deactivate", headers=bearer(world.a.tokens["park_admin"]))
    assert field_of(response) == "is_active"
    assert user(db, "TA-park_admin").is_active


def test_password_change_needs_the_current_password(client: TestClient, world: World, db: Session) -> None:
    me = bearer(world.a.tokens["resident"])
    before = user(db, "TA-resident").password_hash
    wrong = client.post(f"{API}/auth/password", json={"current_password": "nope", "new_password": STRONG}, headers=me)
    assert field_of(wrong) == "current_password"
    weak = client.post(
        f"{API}/auth/password", json={"current_password": world.password, "new_password": "password"}, headers=me
    )
    assert field_of(weak) == "new_password"
    assert user(db, "TA-resident").password_hash == before
    ok = client.post(
        f"{API}/auth/password", json={"current_password": world.password, "new_password": STRONG}, headers=me
    )
    assert ok.status_code == 204, ok.text
    problem(token_for(client, "TA-resident", world.password), 401)
    assert token_for(client, "TA-resident", STRONG).status_code == 200
    assert audited(db, "password_changed", user(db, "TA-resident").id)


def test_reset_gives_a_temporary_password_that_must_be_changed(client: TestClient, world: World, db: Session) -> None:
    target = user(db, "TA-operator")
    response = client.post(f"{API}/users/{target.id}/password-reset", headers=bearer(world.a.tokens["park_admin"]))
    assert response.status_code == 200, response.text
    temporary = response.json()["temporary_password"]
    assert temporary not in str(db.scalars(select(AuditEntry.after)).all())
    # the old password and the old tokens are gone
    problem(token_for(client, "TA-operator", world.password), 401)
    problem(client.get(f"{API}/auth/me", headers=bearer(world.a.tokens["operator"])), 401)
    # the temporary password gives no token: it must be changed first (on the login page)
    problem(token_for(client, "TA-operator", temporary), 403)
    form = client.get("/login")
    csrf = client.cookies.get("dp_csrf")
    page = client.post(
        "/login", data={"username": "TA-operator", "password": temporary, "csrf_token": csrf}, follow_redirects=False
    )
    assert page.status_code == 200 and 'action="/login/password"' in page.text and form.status_code == 200
    assert "dp_session" not in client.cookies
    weak = client.post(
        "/login/password",
        data={
            "username": "TA-operator",
            "password": temporary,
            "new_password": "12345678",
            "new_password_repeat": "12345678",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert weak.status_code == 422 and "field-error" in weak.text
    done = client.post(
        "/login/password",
        data={
            "username": "TA-operator",
            "password": temporary,
            "new_password": STRONG,
            "new_password_repeat": STRONG,
            "csrf_token": csrf,
            "next": "/",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and "dp_session" in client.cookies
    assert user(db, "TA-operator").must_change_password is False
    assert token_for(client, "TA-operator", STRONG).status_code == 200


def test_expired_temporary_password_is_refused(client: TestClient, world: World, db: Session) -> None:
    import datetime as dt

    target = user(db, "TA-operator")
    temporary = client.post(
        f"{API}/users/{target.id}/password-reset", headers=bearer(world.a.tokens["park_admin"])
    ).json()["temporary_password"]
    target.temporary_password_expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db.flush()
    assert "expired" in problem(token_for(client, "TA-operator", temporary), 401)["detail"]


def test_enterprise_admin_manages_its_own_enterprise_only(client: TestClient, world: World, db: Session) -> None:
    make_enterprise_admin(db, "TA-enterprise")
    me = bearer(world.a.tokens["enterprise"])
    listed = client.get(f"{API}/users", headers=me)
    assert listed.status_code == 200
    assert {u["enterprise_id"] for u in listed.json()} == {world.a.enterprise_ids[0]}
    other = user(db, "TA-enterprise2")
    staff = user(db, "TA-operator")
    for target in (other, staff):
        problem(client.get(f"{API}/users/{target.id}", headers=me), 404)
        problem(client.post(f"{API}/users/{target.id}/deactivate", headers=me), 404)
        problem(client.post(f"{API}/users/{target.id}/password-reset", headers=me), 404)
    # a colleague of its enterprise: created, reset, deactivated; never given another role or the admin flag
    created = client.post(
        f"{API}/users",
        json={"username": "colleague-1", "password": STRONG, "role": "enterprise"},
        headers=me,
    )
    assert created.status_code == 201, created.text
    colleague = created.json()
    assert colleague["enterprise_id"] == world.a.enterprise_ids[0] and colleague["park_id"] == world.a.park_id
    problem(
        client.post(f"{API}/users", json={"username": "boss-2", "password": STRONG, "role": "operator"}, headers=me),
        422,
    )
    problem(client.patch(f"{API}/users/{colleague['id']}", json={"enterprise_admin": True}, headers=me), 403)
    assert client.post(f"{API}/users/{colleague['id']}/password-reset", headers=me).status_code == 200
    assert client.post(f"{API}/users/{colleague['id']}/deactivate", headers=me).status_code == 200
    # an enterprise user who is not its enterprise's administrator manages nobody
    problem(client.get(f"{API}/users", headers=bearer(world.a.tokens["enterprise2"])), 403)
