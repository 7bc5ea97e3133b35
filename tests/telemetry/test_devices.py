"""Device state: online / partly / offline / no data from the points' newest readings (frozen time), counters,
filters, and what each role may see."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import User
from digipark.auth.scope import Scope
from digipark.auth.service import scope_for
from digipark.core.errors import NotFound, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.telemetry import devices
from digipark.telemetry.devices import DeviceState
from digipark.telemetry.models import DeviceRejection, DeviceTraffic, PointLatest
from tests.conftest import World, bearer

T0 = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
T0_MS = int(T0.timestamp() * 1000)


def scope_of(db: Session, username: str) -> Scope:
    user = db.scalar(select(User).where(User.username == username))
    assert user is not None
    return scope_for(db, user)


def _latest(db: Session, point_id: int, age_s: float, value: float = 1.0) -> None:
    db.merge(PointLatest(point_id=point_id, ts=T0_MS - int(age_s * 1000), value=value, quality=0))
    db.flush()


def _states(db: Session, scope: Scope, **filters: object) -> dict[int, DeviceState]:
    page = devices.list(db, scope=scope, query=ListQuery(page_size=500, filters=dict(filters)))
    return {d.id: d.state for d in page.items}


@pytest.fixture
def reported(db: Session, world: World) -> World:
    """Park A's meter (4 points: 900 s, 60 s, 60 s, 60 s) reported 30 s before T0; its gas detector (10 s) 60 s."""
    meter_points, detector_point = world.a.point_ids[:4], world.a.point_ids[4]
    for pid in meter_points:
        _latest(db, pid, 30)
    _latest(db, detector_point, 60)
    return world


@time_machine.travel(T0, tick=False)
def test_states_follow_the_newest_readings_against_expected_intervals(db: Session, reported: World) -> None:
    w = reported
    scope = scope_of(db, "TA-park_admin")
    meter, detector = w.a.device_ids
    states = _states(db, scope, park_id=w.a.park_id)
    # the meter's points are within 3 intervals; the detector's 10 s point is 60 s old (> 30 s)
    assert states[meter] == DeviceState.ONLINE
    assert states[detector] == DeviceState.OFFLINE
    assert set(_states(db, scope, park_id=w.a.park_id)) == {meter, detector}
    offline = devices.list(
        db, scope=scope, query=ListQuery(filters={"park_id": w.a.park_id}), state=DeviceState.OFFLINE
    )
    assert [d.id for d in offline.items] == [detector]


@time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False)
def test_a_device_with_some_points_late_is_partly_online(db: Session, reported: World) -> None:
    scope = scope_of(db, "TA-operator")
    meter, _detector = reported.a.device_ids
    detail = devices.get(db, scope=scope, device_id=meter)
    # 10 min later the energy point (900 s) is still online, the 60 s points are not
    assert detail.state == DeviceState.PARTIAL
    online = {p.key: p.online for p in detail.point_states}
    assert online == {"energy_kwh": True, "power_kw": False, "voltage_v": False, "power_factor": False}
    assert detail.points == 4 and detail.points_reporting == 4 and detail.points_online == 1
    assert detail.last_reading_ms == T0_MS - 30_000


@time_machine.travel(T0 + dt.timedelta(hours=2), tick=False)
def test_every_point_late_is_offline_and_no_reading_is_no_data(db: Session, reported: World) -> None:
    w = reported
    scope = scope_of(db, "TA-park_admin")
    assert _states(db, scope, park_id=w.a.park_id)[w.a.device_ids[0]] == DeviceState.OFFLINE
    b_scope = scope_of(db, "TB-park_admin")
    assert set(_states(db, b_scope).values()) == {DeviceState.NO_DATA}
    counts = devices.counts(db, scope=scope, park_id=w.a.park_id)
    assert (counts.devices, counts.offline, counts.online, counts.no_data) == (2, 2, 0, 0)


@time_machine.travel(T0, tick=False)
def test_counters_and_rejections_by_reason(db: Session, reported: World) -> None:
    w = reported
    meter = w.a.device_ids[0]
    db.add(
        DeviceTraffic(
            device_id=meter,
            park_id=w.a.park_id,
            enterprise_id=w.a.enterprise_ids[0],
            last_seen_ms=T0_MS - 1000,
            messages=12,
            readings=40,
            duplicates=2,
            bad_quality=3,
            rejected=5,
        )
    )
    for reason, n in (("not_numeric", 4), ("unknown_point", 1)):
        db.add(
            DeviceRejection(
                device_id=meter, park_id=w.a.park_id, enterprise_id=w.a.enterprise_ids[0], reason=reason, count=n
            )
        )
    db.flush()
    scope = scope_of(db, "TA-park_admin")
    detail = devices.get(db, scope=scope, device_id=meter)
    assert (detail.messages, detail.readings, detail.bad_quality, detail.rejected) == (12, 40, 3, 5)
    assert detail.rejections == {"not_numeric": 4, "unknown_point": 1}
    assert detail.last_message_ms == T0_MS - 1000
    ranked = devices.list(db, scope=scope, query=ListQuery(filters={"park_id": w.a.park_id}, sort="-rejected"))
    assert ranked.items[0].id == meter


@time_machine.travel(T0, tick=False)
def test_enterprise_users_see_only_their_devices(db: Session, reported: World) -> None:
    w = reported
    meter, detector = w.a.device_ids
    own = scope_of(db, "TA-enterprise")
    assert set(_states(db, own)) == {meter}
    assert devices.get(db, scope=own, device_id=meter).points == 4
    with pytest.raises(NotFound):
        devices.get(db, scope=own, device_id=detector)  # the park's own device
    other = scope_of(db, "TA-enterprise2")
    assert _states(db, other) == {}
    with pytest.raises(NotFound):
        devices.get(db, scope=other, device_id=meter)
    assert _states(db, scope_of(db, "TA-resident")) == {}
    with pytest.raises(NotFound):
        devices.get(db, scope=scope_of(db, "TB-park_admin"), device_id=meter)


def test_filters_by_kind_building_and_enterprise(db: Session, world: World) -> None:
    scope = scope_of(db, "TA-park_admin")
    w = world.a
    assert set(_states(db, scope, kind="gas_detector")) == {w.device_ids[1]}
    assert set(_states(db, scope, building_id=w.building_id)) == set(w.device_ids)
    assert set(_states(db, scope, enterprise_id=w.enterprise_ids[0])) == {w.device_ids[0]}
    with pytest.raises(ValidationFailed):
        devices.parse_state("sleeping")


@time_machine.travel(T0, tick=False)
def test_api_lists_states_in_scope(client: TestClient, db: Session, reported: World) -> None:
    w = reported
    response = client.get(
        "/api/v1/telemetry/devices", headers=bearer(w.a.tokens["operator"]), params={"state": "online"}
    )
    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()["items"]] == [w.a.device_ids[0]]
    response = client.get(f"/api/v1/telemetry/devices/{w.a.device_ids[0]}", headers=bearer(w.b.tokens["park_admin"]))
    assert response.status_code == 404
    response = client.get("/api/v1/telemetry/devices", headers=bearer(w.a.tokens["park_admin"]), params={"state": "x"})
    assert response.status_code == 422


def test_online_points_judges_each_point_by_its_own_interval(db: Session, reported: World) -> None:
    """The provider other domains count online points with (evaluation, safety): the detector's 10 s point, 60 s
    old, is offline even though the meter's 900 s point would allow that age (the query once crossed every latest
    reading with every point and judged all by the slowest point's interval)."""
    from digipark.telemetry.provides import online_points

    ids = reported.a.point_ids[:5]
    assert online_points(db, ids, now=T0_MS) == set(ids[:4])
