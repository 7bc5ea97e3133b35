"""The dead-letter queue: listing with filters, who sees what, replay after fixing the registry, discard, audit."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.auth.models import Role
from digipark.auth.scope import system_scope
from digipark.core.errors import Conflict, NotFound, PermissionDenied
from digipark.core.listing import ListQuery
from digipark.registry.device_tokens import token_digest
from digipark.registry.models import Device
from digipark.telemetry import deadletters
from digipark.telemetry.deadletters import DeadLetterParams
from digipark.telemetry.ingest import Ingestor, get_ingestor, now_ms
from digipark.telemetry.models import DeadLetter
from tests.conftest import World, bearer
from tests.telemetry.test_ingest import _add_point, letters, message, native, point_of, readings, token_of

API = "/api/v1"


@pytest.fixture(autouse=True)
def fresh_ingestor() -> Iterator[None]:
    get_ingestor().invalidate()
    yield
    get_ingestor().invalidate()


def ingest(db: Session, token: str, values: dict[str, object], ts: int | None = None) -> int:
    """One native message through a fresh Ingestor; returns its newest dead letter's id."""
    body = {"ts": ts if ts is not None else now_ms() - 60_000, "values": values}
    Ingestor(refresh_interval_s=0.0).ingest(db, [message(native(token), body)])
    found = db.scalar(select(DeadLetter.id).order_by(DeadLetter.id.desc()))
    assert found is not None
    return found


def ids_seen(client: TestClient, token: str, **params: object) -> set[int]:
    response = client.get(f"{API}/dead-letters", headers=bearer(token), params={"page_size": 500, **params})
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


# -- reading -------------------------------------------------------------------------------------------------------
def test_list_filters_and_get(client: TestClient, db: Session, world: World) -> None:
    meter, detector = world.a.device_ids
    unknown = ingest(db, token_of(db, meter), {"nope": 1})
    numeric = ingest(db, token_of(db, meter), {"power_kw": "high"})
    other = ingest(db, token_of(db, detector), {"nope": 1})
    admin = world.a.tokens["park_admin"]
    assert {unknown, numeric, other} <= ids_seen(client, admin)
    assert ids_seen(client, admin, reason="unknown_point") >= {unknown, other}
    assert numeric not in ids_seen(client, admin, reason="unknown_point")
    assert ids_seen(client, admin, device_id=meter) == {unknown, numeric}
    assert ids_seen(client, admin, device_id=meter, status="open") == {unknown, numeric}
    assert ids_seen(client, admin, device_id=meter, status="replayed") == set()
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    assert ids_seen(client, admin, device_id=meter, received_from=future) == set()
    assert ids_seen(client, admin, device_id=meter, received_to=future) == {unknown, numeric}
    response = client.get(f"{API}/dead-letters/{numeric}", headers=bearer(admin))
    assert response.status_code == 200
    body = response.json()
    assert (body["reason"], body["device_id"], body["park_id"], body["status"]) == (
        "not_numeric",
        meter,
        world.a.park_id,
        "open",
    )
    assert "power_kw" in body["payload"] and "high" in body["payload"]


def test_who_sees_which_dead_letters(client: TestClient, db: Session, world: World) -> None:
    meter, detector = world.a.device_ids  # enterprise 0's meter, the park's detector
    own = ingest(db, token_of(db, meter), {"nope": 1})
    park_owned = ingest(db, token_of(db, detector), {"nope": 1})
    stray = ingest(db, "nobody-has-this-token", {"power_kw": 1})
    b_letter = ingest(db, token_of(db, world.b.device_ids[0]), {"nope": 1})
    a, b = world.a.tokens, world.b.tokens
    assert {own, park_owned, stray} <= ids_seen(client, a["park_admin"])
    assert b_letter not in ids_seen(client, a["park_admin"])
    seen = ids_seen(client, a["operator"])
    assert {own, park_owned} <= seen and stray not in seen  # unknown tokens: park admins only
    assert {own, park_owned} <= ids_seen(client, a["reviewer"])
    assert ids_seen(client, a["enterprise"]) == {own}
    assert ids_seen(client, a["enterprise2"]) == set()
    assert ids_seen(client, a["resident"]) == set()
    assert not {own, park_owned} & ids_seen(client, b["park_admin"])
    for who, status in (("enterprise", 200), ("enterprise2", 404), ("resident", 404), ("operator", 200)):
        assert client.get(f"{API}/dead-letters/{own}", headers=bearer(a[who])).status_code == status, who
    assert client.get(f"{API}/dead-letters/{stray}", headers=bearer(a["operator"])).status_code == 404
    assert client.get(f"{API}/dead-letters/{own}", headers=bearer(b["park_admin"])).status_code == 404


def test_unknown_devices_letters_follow_the_permission_not_the_role(db: Session, world: World) -> None:
    stray = ingest(db, "nobody-has-this-token-either", {"power_kw": 1})
    admin = system_scope(world.a.park_id)
    without = dataclasses.replace(admin, permissions=admin.permissions - {deadletters.UNKNOWN_DEVICES_PERMISSION})
    operator = dataclasses.replace(admin, role=Role.OPERATOR)  # an operator granted the permission
    assert deadletters.get_dead_letter(db, scope=operator, ident=stray).id == stray
    with pytest.raises(NotFound):
        deadletters.get_dead_letter(db, scope=without, ident=stray)
    with pytest.raises(NotFound):
        deadletters.discard(db, scope=without, ids=[stray])
    deadletters.discard(db, scope=operator, ids=[stray])
    assert deadletters.get_dead_letter(db, scope=admin, ident=stray).status == "discarded"


# -- replay ----------------------------------------------------------------------------------------------------------
def test_replay_after_adding_the_missing_point(client: TestClient, db: Session, world: World) -> None:
    meter = world.a.device_ids[0]
    ts = now_ms() - 60_000
    letter_id = ingest(db, token_of(db, meter), {"power_kw": 1, "current_a": 12.5}, ts=ts)
    assert readings(db, point_of(db, meter, "power_kw")) == [(ts, 1.0, 0)]
    response = client.post(
        f"{API}/dead-letters/replay", headers=bearer(world.a.tokens["operator"]), json={"ids": [letter_id]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["open_ids"] == [letter_id]  # the point is still missing: stays open
    _add_point(db, world, meter, "current_a")
    response = client.post(
        f"{API}/dead-letters/replay", headers=bearer(world.a.tokens["operator"]), json={"ids": [letter_id]}
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["replayed_ids"], summary["stored"], summary["open_ids"]) == ([letter_id], 1, [])
    assert readings(db, point_of(db, meter, "current_a")) == [(ts, 12.5, 0)]
    letter = db.get(DeadLetter, letter_id)
    assert letter is not None
    db.refresh(letter)
    assert (letter.status, letter.resolved_by) == ("replayed", "TA-operator")
    assert letter.resolved_at is not None
    traffic = client.get(f"{API}/devices/{meter}/traffic", headers=bearer(world.a.tokens["operator"])).json()
    assert (traffic["messages"], traffic["readings"], traffic["rejected"]) == (1, 2, 1)  # a replay is no new message
    entries = db.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "dead_letter", AuditEntry.entity_id == str(letter_id))
    ).all()
    assert [(e.action, e.actor, e.after["status"]) for e in entries] == [  # type: ignore[index]
        ("dead_letter_replayed", "TA-operator", "open"),
        ("dead_letter_replayed", "TA-operator", "replayed"),
    ]


def test_replay_keeps_only_what_still_fails(db: Session, world: World) -> None:
    meter = world.a.device_ids[0]
    scope = system_scope(world.a.park_id)
    letter_id = ingest(db, token_of(db, meter), {"current_a": 3, "frequency_hz": "fifty"})
    _add_point(db, world, meter, "current_a")
    _add_point(db, world, meter, "frequency_hz")
    summary = deadletters.replay(db, scope=scope, ids=[letter_id])
    assert (summary.stored, summary.open_ids, summary.rejected_by_reason) == (1, [letter_id], {"not_numeric": 1})
    letter = deadletters.get_dead_letter(db, scope=scope, ident=letter_id)
    assert (letter.status, letter.reason) == ("open", "not_numeric")  # the new reason
    assert "frequency_hz" in letter.payload and "current_a" not in letter.payload


def test_replay_of_an_unknown_token_once_the_device_exists(db: Session, world: World) -> None:
    letter_id = ingest(db, "token-registered-later", {"lel_pct": 4})
    detector = db.get(Device, world.a.device_ids[1])
    assert detector is not None
    detector.token_hash = token_digest("token-registered-later")
    db.flush()
    admin = system_scope(world.a.park_id)
    summary = deadletters.replay(db, scope=admin, ids=[letter_id])
    assert summary.replayed_ids == [letter_id] and summary.stored == 1
    assert [v for _t, v, _q in readings(db, point_of(db, detector.id, "lel_pct"))] == [4.0]


def test_replay_and_discard_need_the_staff_permission(client: TestClient, db: Session, world: World) -> None:
    meter = world.a.device_ids[0]
    letter_id = ingest(db, token_of(db, meter), {"nope": 1})
    stray = ingest(db, "no-device-here", {"nope": 1})
    for path in ("replay", "discard"):
        for who in ("enterprise", "reviewer"):  # may read, may not act
            response = client.post(
                f"{API}/dead-letters/{path}", headers=bearer(world.a.tokens[who]), json={"ids": [letter_id]}
            )
            assert response.status_code == 403, (who, response.text)
        for who, token in (("a-resident", world.a.tokens["resident"]), ("b-admin", world.b.tokens["park_admin"])):
            response = client.post(f"{API}/dead-letters/{path}", headers=bearer(token), json={"ids": [letter_id]})
            assert response.status_code == 404, (who, response.text)
        response = client.post(
            f"{API}/dead-letters/{path}", headers=bearer(world.a.tokens["operator"]), json={"ids": [stray]}
        )
        assert response.status_code == 404  # operators do not see unknown tokens' letters
    db.expire_all()
    assert db.get(DeadLetter, letter_id).status == "open"  # type: ignore[union-attr]


def test_discard_is_audited_and_final(client: TestClient, db: Session, world: World) -> None:
    meter = world.a.device_ids[0]
    first = ingest(db, token_of(db, meter), {"nope": 1})
    second = ingest(db, "stray-token", {"nope": 2})
    admin = bearer(world.a.tokens["park_admin"])
    response = client.post(f"{API}/dead-letters/discard", headers=admin, json={"ids": [first, second]})
    assert response.status_code == 200 and response.json() == {"discarded": 2}
    db.expire_all()
    for ident in (first, second):
        letter = db.get(DeadLetter, ident)
        assert letter is not None and (letter.status, letter.resolved_by) == ("discarded", "TA-park_admin")
    actions = db.execute(
        select(AuditEntry.action, AuditEntry.entity_id, AuditEntry.park_id).where(
            AuditEntry.entity_type == "dead_letter"
        )
    ).all()
    assert sorted(actions) == sorted(
        [("dead_letter_discarded", str(first), world.a.park_id), ("dead_letter_discarded", str(second), None)]
    )
    for path in ("replay", "discard"):
        response = client.post(f"{API}/dead-letters/{path}", headers=admin, json={"ids": [first]})
        assert response.status_code == 409, response.text
    assert ids_seen(client, world.a.tokens["park_admin"], status="discarded") >= {first, second}


def test_service_errors(db: Session, world: World) -> None:
    scope = system_scope(world.a.park_id)
    with pytest.raises(NotFound):
        deadletters.replay(db, scope=scope, ids=[2**31 - 1])
    letter_id = ingest(db, token_of(db, world.a.device_ids[0]), {"nope": 1})
    deadletters.discard(db, scope=scope, ids=[letter_id])
    with pytest.raises(Conflict):
        deadletters.discard(db, scope=scope, ids=[letter_id])
    b_scope = system_scope(world.b.park_id)
    with pytest.raises(NotFound):
        deadletters.get_dead_letter(db, scope=b_scope, ident=letter_id)
    page = deadletters.list_dead_letters(
        db, scope=scope, params=DeadLetterParams(ListQuery(filters={"status": "discarded"}))
    )
    assert letter_id in {item.id for item in page.items}
    operator = dataclasses_replace_role(scope)
    with pytest.raises(PermissionDenied):
        deadletters.replay(db, scope=operator, ids=[letter_id])


def dataclasses_replace_role(scope: deadletters.Scope) -> deadletters.Scope:
    """The same park's admin scope without the dead-letter permission."""
    return dataclasses.replace(scope, permissions=scope.permissions - {deadletters.WRITE_PERMISSION})


def test_http_unknown_token_letter_replays(client: TestClient, db: Session, world: World) -> None:
    """The whole loop through HTTP: a device posts before it is registered, an admin registers it and replays."""
    ts = now_ms() - 10_000
    response = client.post(f"{API}/devices/early-bird/telemetry", json={"ts": ts, "values": {"lel_pct": 9}})
    assert response.status_code == 404
    (letter,) = letters(db, token="early-bird")
    detector = db.get(Device, world.a.device_ids[1])
    assert detector is not None
    detector.token_hash = token_digest("early-bird")
    db.flush()
    response = client.post(
        f"{API}/dead-letters/replay", headers=bearer(world.a.tokens["park_admin"]), json={"ids": [letter.id]}
    )
    assert response.status_code == 200 and response.json()["replayed"] == 1, response.text
    assert readings(db, point_of(db, detector.id, "lel_pct")) == [(ts, 9.0, 0)]
