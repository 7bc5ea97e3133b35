"""An API token's last use is recorded, never inside a reading request's transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from digipark.auth import service
from digipark.auth.models import ApiToken
from digipark.auth.token_use import LAST_USED_PRECISION, forget_tried
from digipark.core import db as core_db
from digipark.core.db import utcnow
from tests.conftest import World, bearer


@pytest.fixture(autouse=True)
def _fresh_process() -> None:
    """The tests roll back what they noted: the process's memory of tried notes would skip the next one."""
    forget_tried()


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


def test_a_failed_writing_request_does_not_note_again_and_again(client: TestClient, world: World, db: Session) -> None:
    """A writing request's note is rolled back with the request when it fails: the process does not try again over
    the same last use within the precision (each try would write and lock the token's row)."""
    from digipark.auth.token_use import due

    raw = world.a.tokens["operator"]
    digest = service.sha256(raw)
    now = utcnow()
    stale = now - 2 * LAST_USED_PRECISION
    assert due(digest, stale, now=now)  # tried: its note was rolled back
    assert not due(digest, stale, now=now + dt.timedelta(seconds=1))  # the same last use: not again
    assert due(digest, now - 3 * LAST_USED_PRECISION, now=now)  # another last use (someone else wrote it): try
    assert due(digest, stale, now=now + LAST_USED_PRECISION)  # the precision later: try again
    assert not due(digest, now - dt.timedelta(seconds=10), now=now)  # recent: nothing to note
