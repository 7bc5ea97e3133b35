"""The identifier resolver (`digipark resolver`): resolution over HTTP from its cache, as the API answers it —
found, not found, refused, redirected, a changed record served fresh after the change log is read, resolutions
counted and written (also when the process stops)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from digipark.auth import service as auth_service
from digipark.core.errors import PROBLEM_MEDIA_TYPE
from digipark.dataspace import identifiers, resolution
from digipark.dataspace.models import Identifier, IdentifierChange
from digipark.dataspace.resolver import PATH, Resolver, create_app
from digipark.registry.models import Enterprise
from tests.conftest import World, bearer
from tests.dataspace.helpers import scope_of

HANDLE = "88.131.20261/RS-1"
TARGET = "https://mes.example.com/eq/RS-1"


@pytest.fixture
def resolver(db: Session) -> Resolver:
    return Resolver(refresh_s=3600)  # the test reads the changes itself (`refresh`)


@pytest.fixture
def http(resolver: Resolver) -> Iterator[TestClient]:
    yield TestClient(create_app(resolver), base_url="http://resolver")  # no lifespan: the test drives it


def _register(db: Session, world: World, handle: str = HANDLE, **fields: Any) -> Identifier:
    """Register in a transaction of its own (a savepoint), as a request would."""
    with db.begin_nested():
        return _register_in(db, world, handle, **fields)


def _register_in(db: Session, world: World, handle: str, **fields: Any) -> Identifier:
    row = identifiers.register(
        db,
        scope=scope_of(db, "enterprise"),
        handle=handle,
        kind="equipment",
        name="注塑机",
        attributes={"型号": "HX-200"},
        device_id=world.a.device_ids[0],
        **fields,
    )
    db.flush()
    return row


def _resolve(http: TestClient, token: str, handle: str = HANDLE, **params: str) -> Any:
    return http.get(PATH, params={"handle": handle, **params}, headers=bearer(token), follow_redirects=False)


def test_found_with_tenancy_of_the_api(db: Session, world: World, resolver: Resolver, http: TestClient) -> None:
    _register(db, world, target_url=TARGET)
    resolver.refresh()
    owner = _resolve(http, world.a.tokens["enterprise"])
    assert owner.status_code == 200
    record = owner.json()
    assert record["handle"] == HANDLE and record["prefix"] == "88.131.20261" and record["kind"] == "equipment"
    assert record["attributes"] == {"型号": "HX-200"} and record["target_url"] == TARGET
    assert record["device"]["id"] == world.a.device_ids[0]
    assert record["owner"]["enterprise_id"] == world.a.enterprise_ids[0]
    # the API answers the same record
    api = identifiers.resolve(db, scope=scope_of(db, "enterprise"), handle=HANDLE)
    assert {k: v for k, v in api.items() if k != "resolutions"} == {
        k: v for k, v in record.items() if k != "resolutions"
    }
    # another enterprise of the park resolves it without the device; another park, a resident, nobody: refused
    other = _resolve(http, world.a.tokens["enterprise2"]).json()
    assert other["device"] is None and other["owner"]["enterprise_id"] == world.a.enterprise_ids[0]
    assert _resolve(http, world.b.tokens["park_admin"]).status_code == 404
    assert _resolve(http, world.a.tokens["resident"]).status_code == 403
    anonymous = http.get(PATH, params={"handle": HANDLE})
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert _resolve(http, "dp_not-a-token").status_code == 401


def test_not_found_and_malformed_are_clear_problems(db: Session, world: World, http: TestClient) -> None:
    token = world.a.tokens["enterprise"]
    missing = _resolve(http, token, "88.131.20261/NONE")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert missing.json()["detail"] == "identifier 88.131.20261/NONE not registered"
    malformed = _resolve(http, token, "not-an-identifier")
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "handle"
    assert http.get(PATH, headers=bearer(token)).status_code == 422  # no handle
    # an identifier registered after "not registered" was answered is found once the change log is read
    _register(db, world, "88.131.20261/NONE")
    assert _resolve(http, token, "88.131.20261/NONE").status_code in (200, 404)  # until the next refresh
    resolver_of(http).refresh()
    assert _resolve(http, token, "88.131.20261/NONE").status_code == 200


def resolver_of(http: TestClient) -> Resolver:
    found: Resolver = http.app.state.resolver  # type: ignore[attr-defined]
    return found


def test_redirect_to_the_owners_system(db: Session, world: World, resolver: Resolver, http: TestClient) -> None:
    _register(db, world, target_url=TARGET)
    _register(db, world, "88.131.20261/RS-2")
    resolver.refresh()
    token = world.a.tokens["enterprise2"]
    redirected = _resolve(http, token, redirect="true")
    assert redirected.status_code == 302 and redirected.headers["location"] == TARGET
    # without a system of the owner's, the record
    assert _resolve(http, token, "88.131.20261/RS-2", redirect="true").json()["target_url"] is None


def test_changed_record_is_served_fresh(db: Session, world: World, resolver: Resolver, http: TestClient) -> None:
    row = _register(db, world, target_url=TARGET)
    _register(db, world, "88.131.20261/RS-2")
    resolver.refresh()
    token = world.a.tokens["enterprise"]
    assert _resolve(http, token).json()["name"] == "注塑机"
    before = resolver.cache.get("88.131.20261/RS-2")
    with db.begin_nested():  # another transaction
        row.name = "注塑机二号"
        row.attributes = {"型号": "HX-300"}
        row.target_url = None
    resolver.refresh()
    fresh = _resolve(http, token).json()
    assert (fresh["name"], fresh["attributes"], fresh["target_url"]) == ("注塑机二号", {"型号": "HX-300"}, None)
    assert resolver.cache.get("88.131.20261/RS-2") is before  # only the changed handle was forgotten
    # the owner renamed: every record is read again
    enterprise = db.get(Enterprise, world.a.enterprise_ids[0])
    assert enterprise is not None
    with db.begin_nested():
        enterprise.name = "新名称企业"
    resolver.refresh()
    assert _resolve(http, token).json()["owner"]["name"] == "新名称企业"
    # deleted: not registered
    with db.begin_nested():
        db.delete(row)
    resolver.refresh()
    assert _resolve(http, token).status_code == 404


def test_a_resolution_counted_is_not_a_change(db: Session, world: World) -> None:
    _register(db, world)
    generation = resolution.current_generation(db)
    identifiers.resolve(db, scope=scope_of(db, "enterprise"), handle=HANDLE)
    db.flush()
    assert resolution.current_generation(db) == generation


def test_resolutions_are_counted_and_written(db: Session, world: World, resolver: Resolver, http: TestClient) -> None:
    row = _register(db, world)
    resolver.refresh()
    token = world.a.tokens["enterprise"]
    answers = [_resolve(http, token).json()["resolutions"] for _ in range(3)]
    assert answers == [1, 2, 3]
    assert _resolve(http, token, "88.131.20261/NONE").status_code == 404  # not counted
    assert resolver.flush() == 3
    assert resolver.flush() == 0
    db.refresh(row)
    assert row.resolutions == 3
    stats = identifiers.statistics(db, scope=scope_of(db, "enterprise"))
    assert stats["by_kind"]["equipment"]["resolutions"] >= 3


def test_a_clean_stop_writes_what_was_counted(db: Session, world: World, resolver: Resolver) -> None:
    row = _register(db, world)
    with TestClient(create_app(resolver), base_url="http://resolver") as http:  # start: the cache is loaded
        assert resolver.cache.get(HANDLE) is not None
        for _ in range(2):
            assert _resolve(http, world.a.tokens["operator"]).status_code == 200
    db.refresh(row)
    assert row.resolutions == 2


def test_a_failed_write_keeps_the_counts(
    db: Session, world: World, resolver: Resolver, http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = _register(db, world)
    resolver.refresh()
    assert _resolve(http, world.a.tokens["enterprise"]).status_code == 200
    with monkeypatch.context() as patched:
        patched.setattr(resolution, "count_resolutions", _database_gone)
        with pytest.raises(RuntimeError):
            resolver.flush()
    assert resolver.flush() == 1
    db.refresh(row)
    assert row.resolutions == 1


def _database_gone(session: Session, counts: dict[int, int]) -> None:
    raise RuntimeError("database gone")


def test_changes_pruned_or_unknown_mean_every_record(db: Session, world: World) -> None:
    seen = resolution.current_generation(db)
    _register_in(db, world, HANDLE)
    _register_in(db, world, "88.131.20261/RS-2")  # the same transaction: the same generation
    assert resolution.changes_since(db, seen).handles == frozenset({HANDLE, "88.131.20261/RS-2"})
    with db.begin_nested():
        _register(db, world, "88.131.20261/RS-3")  # another transaction's generation
    changes = resolution.changes_since(db, seen)
    assert changes.handles == frozenset({HANDLE, "88.131.20261/RS-2", "88.131.20261/RS-3"})
    assert changes.generation == seen + 2
    assert resolution.changes_since(db, None).handles is None
    db.execute(delete(IdentifierChange).where(IdentifierChange.generation == changes.generation))
    assert resolution.changes_since(db, seen).handles is None
    assert db.scalar(select(Identifier.id).where(Identifier.handle == HANDLE)) is not None


def test_api_redirects_too(client: TestClient, db: Session, world: World) -> None:
    _register(db, world, target_url=TARGET)
    url = "/api/v1/dataspace/identifiers/resolve"
    headers = bearer(world.a.tokens["enterprise2"])
    answer = client.get(url, params={"handle": HANDLE, "redirect": "true"}, headers=headers, follow_redirects=False)
    assert answer.status_code == 302 and answer.headers["location"] == TARGET
    assert client.get(url, params={"handle": HANDLE}, headers=headers).json()["target_url"] == TARGET


def test_database_out_of_reach_is_503_for_what_is_not_cached(
    db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolver = Resolver(refresh_s=3600, auth_ttl_s=0)  # every request checks its credential again
    http = TestClient(create_app(resolver), base_url="http://resolver")
    _register(db, world)
    resolver.refresh()
    token = world.a.tokens["enterprise"]
    assert _resolve(http, token).status_code == 200
    monkeypatch.setattr(resolution, "load_entry", _unreachable)
    monkeypatch.setattr(auth_service, "resolve_api_token_row", _unreachable)
    # the record held and the credential checked before (not expired) still answer
    assert _resolve(http, token).status_code == 200
    answer = _resolve(http, token, "88.131.20261/NOT-HELD")
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert answer.json()["type"].endswith("/busy")
    # a credential never checked cannot be
    assert _resolve(http, world.a.tokens["operator"]).status_code == 503


def _unreachable(*_: Any, **__: Any) -> None:
    raise OperationalError("SELECT", {}, Exception("connection refused"))
