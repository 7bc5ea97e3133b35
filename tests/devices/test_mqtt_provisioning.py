"""Over real MQTT connections to the embedded broker (paho-mqtt as the devices): ThingsBoard's provisioning — a
client connecting as `provision` publishes its key, secret and name on `/provision/request` and gets its token on
`/provision/response` (another provisioning client sees nothing of it; a wrong secret gets NOT_FOUND and makes
nothing) — and shared attributes sent again to a device that disconnects and connects again."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import paho.mqtt.client as paho
import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import sessionmaker

from digipark.audit.service import Actor, set_actor
from digipark.devices import provisioning
from digipark.devices.attribute_models import DeviceSharedAttribute
from digipark.devices.dispatcher import CommandDispatcher
from digipark.devices.models import ProvisioningKey
from digipark.devices.profile_models import DeviceProfileUse
from digipark.registry.device_tokens import token_digest
from digipark.registry.models import Device, Point
from digipark.telemetry.runtime import IngestRuntime
from tests.conftest import World
from tests.devices.test_attributes import cleanup, set_committed, wait_for  # noqa: F401  (fixtures)
from tests.devices.test_commands import broker, committed, device_client, staff  # noqa: F401  (fixtures)


def provision_client(
    port: int, on_message: Callable[[paho.MQTTMessage], None], client_id: str | None = None
) -> paho.Client:
    subscribed = threading.Event()
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id or f"prov-{uuid.uuid4().hex[:8]}")
    client.username_pw_set("provision")
    client.on_subscribe = lambda *a: subscribed.set()
    client.on_message = lambda c, u, m: on_message(m)
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.subscribe("/provision/response", qos=1)
    assert subscribed.wait(5)
    return client


@pytest.fixture
def key(engine: Engine, world: World) -> Iterator[tuple[str, str]]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session, session.begin():
        set_actor(session, Actor("admin-a"))
        row, secret = provisioning.create_key(
            session, scope=staff(world, "admin-a"), name="MQTT batch", kind="temp_humidity", max_devices=5
        )
    yield row.key, secret
    with factory() as session, session.begin():
        set_actor(session, Actor("test"))
        made = select(Device.id).where(Device.park_id == world.a.park_id, Device.code.like("MQTT-P%"))
        ids = list(session.scalars(made))
        session.execute(delete(DeviceProfileUse).where(DeviceProfileUse.device_id.in_(ids)))
        session.execute(delete(Point).where(Point.device_id.in_(ids)))
        session.execute(delete(Device).where(Device.id.in_(ids)))
        session.execute(delete(ProvisioningKey).where(ProvisioningKey.key == row.key))


def test_a_device_provisions_itself_over_mqtt_and_only_it_gets_its_token(
    engine: Engine,
    world: World,
    broker: tuple[IngestRuntime, CommandDispatcher],  # noqa: F811
    key: tuple[str, str],
) -> None:
    runtime, _dispatcher = broker
    assert runtime.port
    got: list[dict[str, Any]] = []
    seen_by_other: list[bytes] = []
    device = provision_client(runtime.port, lambda m: got.append(orjson.loads(m.payload)))
    other = provision_client(runtime.port, lambda m: seen_by_other.append(m.payload))
    try:
        request = {"deviceName": "MQTT-P1", "provisionDeviceKey": key[0], "provisionDeviceSecret": key[1]}
        device.publish("/provision/request", orjson.dumps(request), qos=1)
        wait_for(got, 1)
        assert got and got[0]["status"] == "SUCCESS" and got[0]["credentialsType"] == "ACCESS_TOKEN"
        token = got[0]["credentialsValue"]
        with sessionmaker(bind=engine)() as session:
            made = session.scalar(select(Device).where(Device.code == "MQTT-P1"))
            assert made is not None and made.token_hash == token_digest(token) and made.kind == "temp_humidity"
            assert session.scalar(select(func.count()).select_from(Point).where(Point.device_id == made.id)) == 2
            assert session.scalar(select(ProvisioningKey.devices_made).where(ProvisioningKey.key == key[0])) == 1

        wrong = {**request, "deviceName": "MQTT-P2", "provisionDeviceSecret": key[1] + "x"}
        device.publish("/provision/request", orjson.dumps(wrong), qos=1)
        device.publish("/provision/request", b"not json", qos=1)
        wait_for(got, 3)
        assert [g["status"] for g in got[1:]] == ["NOT_FOUND", "FAILURE"]
        assert "credentialsValue" not in got[1] and "credentialsValue" not in got[2]
        with sessionmaker(bind=engine)() as session:
            assert session.scalar(select(Device.id).where(Device.code == "MQTT-P2")) is None  # nothing made
        assert seen_by_other == []  # the other provisioning connection never saw the token

        # the token works: the device connects with it
        as_device = device_client(runtime.port, token, "v1/devices/me/attributes", lambda c, m: None)
        as_device.disconnect()
        as_device.loop_stop()
    finally:
        for client in (device, other):
            client.disconnect()
            client.loop_stop()


def test_a_provisioning_client_may_do_nothing_else(broker: tuple[IngestRuntime, CommandDispatcher]) -> None:  # noqa: F811
    runtime, _dispatcher = broker
    assert runtime.port
    granted: list[Any] = []
    done = threading.Event()
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"prov-{uuid.uuid4().hex[:8]}")
    client.username_pw_set("provision")

    def subscribed(c: Any, u: Any, mid: Any, codes: Any, props: Any = None) -> None:
        granted.extend(codes)
        done.set()

    client.on_subscribe = subscribed
    client.connect("127.0.0.1", runtime.port)
    client.loop_start()
    try:
        client.subscribe([("digipark/provision/+/response", 1), ("v1/devices/me/attributes", 1), ("#", 1)])
        assert done.wait(5)
        assert all(code.is_failure for code in granted)
        access = runtime.info.broker_access
        assert access is not None
        before = access.refusals["publish"]
        client.publish("v1/devices/me/telemetry", b'{"t": 1}', qos=1).wait_for_publish(5)
        assert access.refusals["publish"] == before + 1
    finally:
        client.disconnect()
        client.loop_stop()


def wait_sent(engine: Engine, device_ids: list[int], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    unsent = select(func.count()).where(
        DeviceSharedAttribute.device_id.in_(device_ids),
        DeviceSharedAttribute.sent_version < DeviceSharedAttribute.version,
    )
    while time.monotonic() < deadline:
        with sessionmaker(bind=engine)() as session:
            if not session.scalar(unsent):
                return
        time.sleep(0.05)
    raise AssertionError("the dispatcher did not send the attributes")


def test_a_device_gets_its_shared_attributes_again_when_it_reconnects(
    engine: Engine,
    world: World,
    broker: tuple[IngestRuntime, CommandDispatcher],  # noqa: F811
    committed: Callable[..., tuple[Device, str]],  # noqa: F811
    cleanup: list[int],  # noqa: F811
) -> None:
    runtime, _dispatcher = broker
    assert runtime.port
    unit, token = committed("hvac_unit", protocol="thingsboard")
    native, native_token = committed("hvac_unit")
    cleanup.extend([unit.id, native.id])
    set_committed(engine, world, unit.id, {"target_temp": 26, "mode": "eco"})
    set_committed(engine, world, native.id, {"target_temp": 24})
    wait_sent(engine, [unit.id, native.id])  # published on change while nobody listened
    got: list[dict[str, Any]] = []

    def connect() -> paho.Client:
        return device_client(
            runtime.port, token, "v1/devices/me/attributes", lambda c, m: got.append(orjson.loads(m.payload))
        )

    first = connect()  # the attributes were set before it ever connected: it gets them on connect
    wait_for(got, 1)
    assert got == [{"target_temp": 26, "mode": "eco"}]
    first.disconnect()
    first.loop_stop()
    set_committed(engine, world, unit.id, {"mode": "comfort"})  # changed while it was away
    wait_sent(engine, [unit.id])
    second = connect()
    try:
        wait_for(got, 2)
        assert got[1] == {"target_temp": 26, "mode": "comfort"}  # all of them, not only the change
        with sessionmaker(bind=engine)() as session:
            rows = session.scalars(select(DeviceSharedAttribute).where(DeviceSharedAttribute.device_id == unit.id))
            assert all(r.sent_version == r.version for r in rows)
    finally:
        second.disconnect()
        second.loop_stop()
    native_got: list[tuple[str, Any]] = []
    downlink = f"digipark/v1/{native_token}/downlink/#"
    client = device_client(runtime.port, native_token, downlink, lambda c, m: native_got.append((m.topic, m.payload)))
    try:
        wait_for(native_got, 1)
        assert native_got == [(f"digipark/v1/{native_token}/downlink/attributes", b'{"target_temp":24}')]
    finally:
        client.disconnect()
        client.loop_stop()
