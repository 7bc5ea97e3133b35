"""Visitor passes: validity windows, gate decisions (token, plate, blacklist, revoked), who is in the park, who
reads which pass, the QR code."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.living import visitors
from digipark.living.models import PassState
from digipark.living.schemas import BlacklistCreate, GateEvent, PassCreate
from tests.conftest import World
from tests.living.helpers import car_park, other_resident, scope_of
from tests.web.helpers import login, visible_text

T0 = dt.datetime(2026, 5, 4, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
ALL = ListQuery(page_size=500)


def _pass(db: Session, account: str = "resident", hours: float = 4, **fields: object) -> int:
    data = PassCreate(visitor_name="张磊", valid_from=T0, valid_until=T0 + dt.timedelta(hours=hours), **fields)  # type: ignore[arg-type]
    with time_machine.travel(T0 - dt.timedelta(hours=1), tick=False):
        return visitors.create_pass(db, scope=scope_of(db, "TA", account), data=data).id


def _gate(db: Session, at: dt.datetime, direction: str = "in", **fields: object) -> tuple[str, str]:
    event = GateEvent(gate="east", direction=direction, at=at, **fields)  # type: ignore[arg-type]
    record, _ = visitors.record_gate_event(db, scope=scope_of(db, "TA", "operator"), event=event)
    return record.decision, record.reason


def test_pass_validity_window(db: Session) -> None:
    ident = _pass(db)
    row = visitors.get_pass(db, scope=scope_of(db, "TA", "resident"), ident=ident)
    assert visitors.pass_state(row, T0 - dt.timedelta(seconds=1)) == PassState.NOT_YET
    assert visitors.pass_state(row, T0) == PassState.VALID  # the start is inside
    assert visitors.pass_state(row, T0 + dt.timedelta(hours=4) - dt.timedelta(seconds=1)) == PassState.VALID
    assert visitors.pass_state(row, T0 + dt.timedelta(hours=4)) == PassState.EXPIRED  # the end is not
    # the gate decides by the same window
    assert _gate(db, T0 - dt.timedelta(minutes=5), token=row.token) == ("denied", "pass not_yet")
    assert _gate(db, T0 + dt.timedelta(minutes=5), token=row.token) == ("allowed", "valid pass")
    assert _gate(db, T0 + dt.timedelta(hours=5), token=row.token) == ("denied", "pass expired")
    visitors.revoke_pass(db, scope=scope_of(db, "TA", "resident"), ident=ident)
    assert visitors.pass_state(row, T0 + dt.timedelta(hours=1)) == PassState.REVOKED
    assert _gate(db, T0 + dt.timedelta(hours=1), token=row.token) == ("denied", "pass revoked")


def test_bad_windows_are_refused(db: Session) -> None:
    with pytest.raises(ValidationFailed):
        _pass(db, hours=-1)
    with pytest.raises(ValidationFailed):
        _pass(db, hours=24 * 40)  # longer than a pass may be


def test_plates_blacklist_and_who_is_in_the_park(db: Session) -> None:
    ident = _pass(db, plate="苏E12345", visitor_phone="13800138000")
    assert _gate(db, T0 + dt.timedelta(minutes=1), plate="苏E12345") == ("allowed", "valid pass")
    assert _gate(db, T0 + dt.timedelta(minutes=1), plate="苏E99999") == ("denied", "no pass")
    inside = visitors.in_park(db, scope=scope_of(db, "TA", "operator"))
    assert ident in [v.pass_id for v in inside]
    assert _gate(db, T0 + dt.timedelta(hours=1), direction="out", plate="苏E12345")[0] == "allowed"
    assert ident not in [v.pass_id for v in visitors.in_park(db, scope=scope_of(db, "TA", "operator"))]
    visitors.BLACKLIST.create(
        db, scope=scope_of(db, "TA", "operator"), data=BlacklistCreate(kind="phone", value="13800138000", reason="闹事")
    )
    assert _gate(db, T0 + dt.timedelta(hours=2), plate="苏E12345") == ("denied", "blacklisted")
    with pytest.raises(PermissionDenied):  # a resident is no gate
        visitors.record_gate_event(
            db, scope=scope_of(db, "TA", "resident"), event=GateEvent(gate="east", direction="in", plate="苏E12345")
        )


def test_residents_see_only_their_own_passes(db: Session, world: World) -> None:
    mine = _pass(db, "resident")
    with time_machine.travel(T0 - dt.timedelta(hours=1), tick=False):
        theirs = visitors.create_pass(
            db,
            scope=other_resident(db, world),
            data=PassCreate(visitor_name="李四", valid_from=T0, valid_until=T0 + dt.timedelta(hours=2)),
        ).id
    of_enterprise = _pass(db, "enterprise")

    def seen(scope_name: str) -> set[int]:
        rows, _ = visitors.list_passes(db, scope=scope_of(db, "TA", scope_name), query=ALL)
        return {r.id for r in rows} & {mine, theirs, of_enterprise}

    assert seen("resident") == {mine}
    assert seen("enterprise") == {of_enterprise}
    assert seen("enterprise2") == set()
    assert seen("operator") == {mine, theirs, of_enterprise}
    rows, _ = visitors.list_passes(db, scope=scope_of(db, "TB", "park_admin"), query=ALL)
    assert not {r.id for r in rows} & {mine, theirs, of_enterprise}
    with pytest.raises(NotFound):
        visitors.get_pass(db, scope=scope_of(db, "TA", "resident"), ident=theirs)
    with pytest.raises(NotFound):
        visitors.revoke_pass(db, scope=scope_of(db, "TA", "resident"), ident=theirs)


def test_visitor_parking_reservations_are_limited(db: Session, world: World) -> None:
    lot = car_park(db, world, visitor_spaces=1)
    _pass(db, plate="苏E11111", car_park_id=lot.id)
    with pytest.raises(Conflict):
        _pass(db, plate="苏E22222", car_park_id=lot.id)
    with pytest.raises(ValidationFailed):  # a reservation needs the plate
        _pass(db, car_park_id=lot.id)


def test_the_qr_code_is_svg(db: Session) -> None:
    row = visitors.get_pass(db, scope=scope_of(db, "TA", "resident"), ident=_pass(db))
    svg = visitors.qr_svg(row)
    assert svg.lstrip().startswith("<svg") and "path" in svg


def test_the_gate_events_reasons_are_shown_in_the_pages_language(client: TestClient, world: World) -> None:
    admin = {"Authorization": f"Bearer {world.a.tokens['park_admin']}"}
    refused = client.post(
        "/api/v1/living/gate-events", json={"gate": "east-gate", "direction": "in", "plate": "苏E12345"}, headers=admin
    )
    assert refused.status_code == 201, refused.text
    login(client, "TA-park_admin")
    zh = visible_text(client.get("/living", params={"lang": "zh"}).text)
    assert "无通行证" in zh and "no pass" not in zh
    en = visible_text(client.get("/living", params={"lang": "en"}).text)
    assert "No pass" in en
