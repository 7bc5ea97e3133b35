"""Dashboards read from a replica with a bounded staleness (core.replica): the replica's session when it answers
within DIGIPARK_REPLICA_MAX_STALENESS_S, read-only, its staleness on the page; the primary's otherwise (none
configured, unreachable, too far behind, SQLite)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from digipark.core import replica
from digipark.core.config import get_settings
from tests.conftest import World
from tests.web.helpers import form_token, login


@pytest.fixture(autouse=True)
def _settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _replica_at(monkeypatch: pytest.MonkeyPatch, url: str, bound_s: float | None = None) -> None:
    monkeypatch.setenv("DIGIPARK_DATABASE_REPLICA_URL", url)
    if bound_s is not None:
        monkeypatch.setenv("DIGIPARK_REPLICA_MAX_STALENESS_S", str(bound_s))
    get_settings.cache_clear()


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_the_bound_decides() -> None:
    assert replica.usable(0.0, 30) and replica.usable(30.0, 30)
    assert not replica.usable(30.5, 30) and not replica.usable(None, 30)


def test_without_a_replica_the_primary_is_read(db: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with replica.replica_reads(db) as read:
        assert read.session is db and read.staleness_s is None
    if engine.dialect.name == "sqlite":  # a replica URL means nothing on SQLite
        _replica_at(monkeypatch, _url(engine))
        with replica.replica_reads(db) as read:
            assert read.session is db and read.staleness_s is None


def test_a_replica_within_the_bound_is_read_read_only(
    db: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("replicas are PostgreSQL's")
    _replica_at(monkeypatch, _url(engine))  # a primary at that URL: 0 s behind
    with replica.replica_reads(db) as read:
        assert read.session is not db and read.staleness_s == 0.0
        assert read.session.execute(text("SELECT count(*) FROM park")).scalar_one() >= 2
        with pytest.raises(DBAPIError, match="read-only"):
            read.session.execute(text("CREATE TEMP TABLE replica_write_probe (x int)"))


def test_an_unreachable_or_stale_replica_is_not_read(
    db: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("replicas are PostgreSQL's")
    _replica_at(monkeypatch, "postgresql://postgres@127.0.0.1:9/digipark?connect_timeout=2")
    with replica.replica_reads(db) as read:
        assert read.session is db and read.staleness_s is None
    # too far behind: the measured staleness above the bound
    _replica_at(monkeypatch, _url(engine), bound_s=5)
    monkeypatch.setattr(replica, "staleness_s", lambda _session: 12.0)
    with replica.replica_reads(db) as read:
        assert read.session is db and read.staleness_s is None


def test_the_dashboard_says_it_read_a_replica_and_how_far_behind(
    client: TestClient, world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("replicas are PostgreSQL's")
    login(client, "TA-park_admin")
    listing = client.get("/dashboards")
    created = client.post(
        "/dashboards/new", data={"name": "副本看板", "csrf_token": form_token(listing.text)}, follow_redirects=False
    )
    assert created.status_code == 303, created.text
    ident = int(created.headers["location"].split("/")[2])
    assert 'id="replica-staleness"' not in client.get(f"/dashboards/{ident}").text
    _replica_at(monkeypatch, _url(engine))
    monkeypatch.setattr(replica, "staleness_s", lambda _session: 2.04)
    for lang, words in (("zh", "数据读自数据库副本，最多滞后 2.0 秒"), ("en", "at most 2.0 s behind")):
        page = client.get(f"/dashboards/{ident}", params={"lang": lang})
        assert page.status_code == 200 and 'id="replica-staleness"' in page.text and words in page.text
