"""An API token's last use is recorded, never inside a reading request's transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from digipark.auth import service
from digipark.auth.models import ApiToken
from digipark.auth.token_use import LAST_USED_PRECISION
from digipark.core import db as core_db
from digipark.core.db import utcnow
from tests.conftest import World, bearer


def last_used(db: Session, raw: str) -> dt.datetime | None:
    db.expire_all()
    return db.scalar(select(ApiToken.last_used_at).where(ApiToken.token_hash == service.sha256(raw)))


def set_last_used(db: Session, raw: str, value: dt.datetime | None) -> None:
    db.execute(update(ApiToken).where(ApiToken.token_hash == service.sha256(raw)).values(last_used_at=value))
    db.flush()


def test_a_reading_request_records_the_use_after_its_response(
    client: TestClient, world: World, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[str] = []
    monkeypatch.setattr(core_db, "report_write_in_read", reported.append)
    raw = world.a.tokens["operator"]
    set_last_used(db, raw, None)
    assert client.get("/api/v1/auth/me", headers=bearer(raw)).status_code == 200
    first = last_used(db, raw)
    assert first is not None
    assert not reported  # written in a transaction of its own, not in the request's reading one


def test_uses_within_the_precision_write_once(client: TestClient, world: World, db: Session) -> None:
    raw = world.a.tokens["operator"]
    recent = utcnow() - LAST_USED_PRECISION / 2
    set_last_used(db, raw, recent)
    assert client.get("/api/v1/auth/me", headers=bearer(raw)).status_code == 200
    assert last_used(db, raw) == recent
    stale = utcnow() - LAST_USED_PRECISION * 2
    set_last_used(db, raw, stale)
    assert client.get("/api/v1/auth/me", headers=bearer(raw)).status_code == 200
    noted = last_used(db, raw)
    assert noted is not None and noted > stale


def test_a_writing_request_records_the_use_in_its_own_transaction(
    client: TestClient, world: World, db: Session
) -> None:
    raw = world.a.tokens["park_admin"]
    set_last_used(db, raw, None)
    response = client.post(
        "/api/v1/zones", headers=bearer(raw), json={"code": "ZU", "name": "用区", "function": "industrial"}
    )
    assert response.status_code == 201, response.text
    assert last_used(db, raw) is not None
