"""Shared attributes of devices: set by the platform, stored and audited, sent by the command dispatcher over a
real MQTT connection (the embedded broker of `digipark ingest`, paho-mqtt as the devices) — a ThingsBoard-format
device on `v1/devices/me/attributes` (and its attribute request answered), a native device on its own downlink
topic, never to another device; the API and the device's attributes page, with bad input refused."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from digipark.audit.models import AuditEntry
from digipark.audit.service import Actor, set_actor
from digipark.devices import attributes
from digipark.devices.attribute_models import DeviceSharedAttribute
from digipark.devices.dispatcher import CommandDispatcher
from digipark.registry.models import Device
from digipark.telemetry.runtime import IngestRuntime
from tests.conftest import World, bearer
from tests.devices.test_commands import broker, committed, device_client, staff  # noqa: F401  (fixtures)
from tests.web.helpers import login


@pytest.fixture
def cleanup(engine: Engine) -> Iterator[list[int]]:
    """Devices whose attributes the test committed: removed before the devices are."""
    made: list[int] = []
    yield made
    with sessionmaker(bind=engine)() as session, session.begin():
        set_actor(session, Actor("test"))
        session.execute(delete(DeviceSharedAttribute).where(DeviceSharedAttribute.device_id.in_(made)))


def set_committed(engine: Engine, world: World, device_id: int, values: dict[str, Any]) -> None:
    """As a request does: a writing transaction (on SQLite the write lock from its start, not a deferred one that
    finds the dispatcher writing)."""
    from digipark.core.db import transaction

    with transaction(write=True) as session:
        set_actor(session, Actor("op-a"))
        attributes.set_values(session, scope=staff(world, "op-a"), device_id=device_id, values=values)


def wait_for(found: list[Any], count: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while len(found) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_thingsboard_device_gets_its_shared_attributes_and_may_ask_for_them(
    engine: Engine,
    world: World,
    broker: tuple[IngestRuntime, CommandDispatcher],  # noqa: F811
    committed: Callable[..., tuple[Device, str]],  # noqa: F811
    cleanup: list[int],
) -> None:
    runtime, _dispatcher = broker
    assert runtime.port
    unit, token = committed("hvac_unit", protocol="thingsboard")
    other, other_token = committed("hvac_unit", protocol="thingsboard")
    cleanup.extend([unit.id, other.id])
    got: list[tuple[str, Any]] = []
    seen_by_other: list[str] = []
    client = device_client(
        runtime.port, token, "v1/devices/me/attributes", lambda c, m: got.append((m.topic, orjson.loads(m.payload)))
    )
    subscribed = threading.Event()
    client.on_subscribe = lambda *a: subscribed.set()
    client.subscribe("v1/devices/me/attributes/response/+", qos=1)
    assert subscribed.wait(5)
    snoop = device_client(
        runtime.port, other_token, "v1/devices/me/attributes", lambda c, m: seen_by_other.append(m.topic)
    )
    try:
        set_committed(engine, world, unit.id, {"target_temp": 26, "mode": {"name": "eco", "fan": 2}})
        wait_for(got, 1)
        client.publish("v1/devices/me/attributes/request/7", orjson.dumps({"sharedKeys": "mode"}), qos=1)
        wait_for(got, 2)
        set_committed(engine, world, unit.id, {"target_temp": 24, "mode": {"name": "eco", "fan": 2}})  # one changed
        wait_for(got, 3)
    finally:
        for c in (client, snoop):
            c.disconnect()
            c.loop_stop()
    assert got == [
        ("v1/devices/me/attributes", {"target_temp": 26, "mode": {"name": "eco", "fan": 2}}),
        ("v1/devices/me/attributes/response/7", {"shared": {"mode": {"name": "eco", "fan": 2}}}),
        ("v1/devices/me/attributes", {"target_temp": 24}),  # only what changed
    ]
    assert seen_by_other == []  # another device never gets them
    with sessionmaker(bind=engine)() as session:
        rows = {
            r.key: r
            for r in session.scalars(select(DeviceSharedAttribute).where(DeviceSharedAttribute.device_id == unit.id))
        }
        assert (rows["target_temp"].version, rows["target_temp"].sent_version) == (2, 2)
        assert rows["mode"].version == 1 and rows["mode"].sent_at is not None
        audited = session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_type == "device_shared_attribute", AuditEntry.entity_id == str(rows["target_temp"].id)
            )
        ).all()
        assert {a.actor for a in audited} >= {"op-a"}


def test_a_native_device_gets_them_on_its_own_downlink_topic(
    engine: Engine,
    world: World,
    broker: tuple[IngestRuntime, CommandDispatcher],  # noqa: F811
    committed: Callable[..., tuple[Device, str]],  # noqa: F811
    cleanup: list[int],
) -> None:
    runtime, _dispatcher = broker
    assert runtime.port
    light, token = committed("lighting_controller")
    cleanup.append(light.id)
    got: list[tuple[str, Any]] = []
    client = device_client(
        runtime.port,
        token,
        f"digipark/v1/{token}/downlink/#",
        lambda c, m: got.append((m.topic, orjson.loads(m.payload))),
    )
    try:
        set_committed(engine, world, light.id, {"dim_pct": 40})
        wait_for(got, 1)
    finally:
        client.disconnect()
        client.loop_stop()
    # the change, and the state sent on subscribing if that read it after the commit: the same state, maybe twice
    assert got and set(map(str, got)) == {str((f"digipark/v1/{token}/downlink/attributes", {"dim_pct": 40}))}


def test_the_api_and_the_page_set_attributes_and_refuse_bad_input(
    client: TestClient, db: Session, world: World
) -> None:
    device = world.a.device_ids[1]  # the park's gas detector
    url = f"/api/v1/devices/{device}/attributes"
    admin = bearer(world.a.tokens["park_admin"])
    made = client.post(url, json={"values": {"alarm_threshold_lel": 20, "note": "二楼厨房"}}, headers=admin)
    assert made.status_code == 200, made.text
    assert {r["key"]: (r["value"], r["version"], r["sent_version"]) for r in made.json()} == {
        "alarm_threshold_lel": (20, 1, 0),
        "note": ("二楼厨房", 1, 0),
    }
    for bad in ({"values": {}}, {"values": {"1bad key": 1}}, {"values": {"big": "x" * 5000}}):
        assert client.post(url, json=bad, headers=admin).status_code == 422
    assert client.post(url, json={"values": {"a": 1}}, headers=bearer(world.a.tokens["enterprise2"])).status_code in (
        403,
        404,
    )
    assert client.post(url, json={"values": {"a": 1}}, headers=bearer(world.b.tokens["park_admin"])).status_code == 404
    assert client.post(url, json={"values": {"a": 1}}, headers=bearer(world.a.tokens["reviewer"])).status_code == 403
    listed = client.get(url, headers=bearer(world.a.tokens["reviewer"]))
    assert listed.status_code == 200 and [r["key"] for r in listed.json()] == ["alarm_threshold_lel", "note"]
    # the page: a login session, the form with its CSRF token
    csrf = login(client, "TA-park_admin", world.password)
    page = client.get(f"/devices/{device}/attributes")
    assert page.status_code == 200 and "alarm_threshold_lel" in page.text
    posted = client.post(
        f"/devices/{device}/attributes",
        data={"csrf_token": csrf, "key": "mode", "value": '"eco"'},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    wrong = client.post(f"/devices/{device}/attributes", data={"csrf_token": csrf, "key": "mode", "value": "eco"})
    assert wrong.status_code == 422 and "JSON" in wrong.text
    assert attributes.values_of(db, scope=staff(world, "op-a"), device_id=device)["mode"] == "eco"
