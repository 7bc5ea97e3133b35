"""What the account tests share: users of the test world by name, problem answers, logging in."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from digipark.auth.models import User

API = "/api/v1"
STRONG = "quiet-harbour-lantern-42"


def user(db: Session, username: str) -> User:
    found = db.scalar(select(User).where(User.username == username).execution_options(populate_existing=True))
    assert found is not None
    return found


def make_enterprise_admin(db: Session, username: str) -> None:
    db.execute(update(User).where(User.username == username).values(enterprise_admin=True))
    db.flush()


def problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def field_of(response: Response, status: int = 422) -> str:
    return str(problem(response, status)["errors"][0]["field"])


def token_for(client: TestClient, username: str, password: str, **extra: Any) -> Response:
    return client.post(f"{API}/auth/token", json={"username": username, "password": password, **extra})
