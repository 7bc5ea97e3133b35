"""New passwords are checked by zxcvbn: common, simple and personal ones are refused wherever a password is set."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.auth import service as auth_service
from digipark.auth.models import Role
from digipark.auth.password_policy import check_password
from digipark.core.errors import ValidationFailed
from tests.accounts.helpers import API, STRONG, field_of
from tests.conftest import World, bearer

WEAK = ["12345678", "password", "aaaaaaaa", "qwertyuiop", "Password1", "iloveyou2024", "abcdefgh"]


@pytest.mark.parametrize("password", WEAK)
def test_common_and_simple_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_password(password)
    assert refused.value.errors[0]["field"] == "password"


def test_a_password_made_of_the_account_name_is_refused() -> None:
    check_password("zhangwei-dispatch-7")
    with pytest.raises(ValidationFailed):
        check_password("zhangwei-dispatch-7", personal=("zhangwei-dispatch-7",))


@pytest.mark.parametrize("password", [STRONG, "correct-horse-9", "园区值班-夜班-2026"])
def test_strong_passwords_pass(password: str) -> None:
    check_password(password)


def test_account_creation_refuses_weak_passwords(client: TestClient, world: World, db: Session) -> None:
    admin = bearer(world.a.tokens["park_admin"])
    for password in ("12345678", "password", "aaaaaaaa"):
        body = {"username": "weakling", "password": password, "role": "operator"}
        assert field_of(client.post(f"{API}/users", json=body, headers=admin)) == "password"
    with pytest.raises(ValidationFailed):
        auth_service.create(db, username="weak2", password="password", role=Role.OPERATOR, park_id=world.a.park_id)
    ok = client.post(f"{API}/users", json={"username": "strong", "password": STRONG, "role": "operator"}, headers=admin)
    assert ok.status_code == 201, ok.text
