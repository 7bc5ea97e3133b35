"""Commands, shared attributes and MQTT provisioning through Debian's Mosquitto with the plugin
deploy/mosquitto/digipark_topics.c (built by the test, started on a free port with the files of `digipark mqtt acl`):
the command dispatcher publishes on the platform's names (`digipark/d/<token digest>/...`,
`digipark/provision/<connection>/response`) as it does to the embedded broker, and the plugin hands each message to
the one connected client it is for, under the name that client knows. paho-mqtt clients are the devices."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as paho
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from digipark.devices.attribute_models import DeviceSharedAttribute
from digipark.devices.dispatcher import CommandDispatcher
from digipark.registry.device_tokens import token_digest
from digipark.registry.models import Device
from digipark.telemetry.acl import write_acl_files
from tests.conftest import World
from tests.devices.test_attributes import cleanup, set_committed, wait_for  # noqa: F401  (fixtures)
from tests.devices.test_commands import committed, device_client, send, wait_state  # noqa: F401  (fixtures)
from tests.devices.test_mqtt_provisioning import key, provision_client, wait_sent  # noqa: F401  (fixtures)
from tests.telemetry.test_acl import connected_client, mosquitto_with
from tests.telemetry.test_mosquitto_plugin import build_plugin, plugin_lines

PLATFORM_PASSWORD = "platform-pw"
StartBroker = Callable[[list[str]], int]


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[StartBroker]:
    """Start Mosquitto with the plugin knowing these tokens' devices, and the command dispatcher on it as the
    platform's user; gives the port."""
    with contextlib.ExitStack() as stack:

        def start(tokens: list[str]) -> int:
            plugin = build_plugin(tmp_path)
            files = write_acl_files(tmp_path, [token_digest(t) for t in tokens], platform_password=PLATFORM_PASSWORD)
            port = stack.enter_context(
                mosquitto_with(tmp_path, files.password_file, files.acl_file, plugin_lines(plugin, files))
            )
            dispatcher = CommandDispatcher("127.0.0.1", port, username="digipark", password=PLATFORM_PASSWORD)
            stack.callback(dispatcher.start().stop)
            return port

        yield start


def close(*clients: paho.Client) -> None:
    for client in clients:
        client.disconnect()
        client.loop_stop()


def test_each_device_gets_only_its_own_commands_and_its_answers_finish_them(
    engine: Engine,
    world: World,
    mosquitto: StartBroker,
    committed: Callable[..., tuple[Device, str]],  # noqa: F811
) -> None:
    detector, tb_token = committed("gas_detector", protocol="thingsboard")
    _other, other_token = committed("gas_detector", protocol="thingsboard")
    valve, valve_token = committed("shutoff_valve")
    _native_other, native_other_token = committed("shutoff_valve")
    port = mosquitto([tb_token, other_token, valve_token, native_other_token])
    requests: list[tuple[str, dict[str, object]]] = []
    native_got: list[tuple[str, dict[str, object]]] = []
    seen_by_others: list[str] = []

    def answer_rpc(client: paho.Client, message: paho.MQTTMessage) -> None:
        body = orjson.loads(message.payload)
        requests.append((message.topic, body))
        outcome = {"ok": True} if body["method"] == "self_test" else {"error": "buzzer broken"}
        client.publish(f"v1/devices/me/rpc/response/{message.topic.rsplit('/', 1)[1]}", orjson.dumps(outcome), qos=1)

    def answer_native(client: paho.Client, message: paho.MQTTMessage) -> None:
        body = orjson.loads(message.payload)
        native_got.append((message.topic, body))
        reply = f"digipark/v1/{valve_token}/reply/{body['id']}"
        client.publish(reply, orjson.dumps({"state": "delivered"}), qos=1)
        client.publish(reply, orjson.dumps({"state": "succeeded", "result": {"position_pct": 30}}), qos=1)

    tb = device_client(port, tb_token, "v1/devices/me/rpc/request/+", answer_rpc)
    native = device_client(port, valve_token, f"digipark/v1/{valve_token}/downlink/#", answer_native)
    snoop = device_client(port, other_token, "v1/devices/me/rpc/request/+", lambda c, m: seen_by_others.append(m.topic))
    native_snoop = device_client(
        port,
        native_other_token,
        f"digipark/v1/{native_other_token}/downlink/#",
        lambda c, m: seen_by_others.append(m.topic),
    )
    try:
        # a device publishing on the name the others subscribed to reaches nobody (nor may it publish there)
        snoop.publish("v1/devices/me/rpc/request/1", b'{"method": "self_test"}', qos=1).wait_for_publish(5)
        ok = send(engine, world, detector.id, "self_test", {})
        bad = send(engine, world, detector.id, "silence_buzzer", {})
        moved = send(engine, world, valve.id, "set_position", {"position_pct": 30})
        rows = {ident: wait_state(engine, ident, {"succeeded", "failed", "expired"}) for ident in (ok, bad, moved)}
    finally:
        close(tb, native, snoop, native_snoop)
    assert sorted(topic for topic, _ in requests) == sorted(
        [f"v1/devices/me/rpc/request/{ok}", f"v1/devices/me/rpc/request/{bad}"]
    )
    assert {"method": "self_test", "params": {}} in [body for _, body in requests]
    assert rows[ok].state == "succeeded" and rows[ok].result == {"ok": True}
    assert rows[bad].state == "failed" and rows[bad].error == "buzzer broken"
    assert [topic for topic, _ in native_got] == [f"digipark/v1/{valve_token}/downlink/command/{moved}"]
    assert native_got[0][1]["name"] == "set_position" and native_got[0][1]["params"] == {"position_pct": 30}
    assert rows[moved].state == "succeeded" and rows[moved].result == {"position_pct": 30}
    assert rows[moved].delivered_at is not None and rows[moved].attempts == 1
    assert seen_by_others == []  # neither the other ThingsBoard device nor the other native one got anything


def test_shared_attributes_reach_the_device_on_change_and_again_when_it_reconnects(
    engine: Engine,
    world: World,
    mosquitto: StartBroker,
    committed: Callable[..., tuple[Device, str]],  # noqa: F811
    cleanup: list[int],  # noqa: F811
) -> None:
    unit, token = committed("hvac_unit", protocol="thingsboard")
    _other, other_token = committed("hvac_unit", protocol="thingsboard")
    light, light_token = committed("lighting_controller")
    cleanup.extend([unit.id, light.id])
    port = mosquitto([token, other_token, light_token])
    set_committed(engine, world, unit.id, {"target_temp": 26, "mode": "eco"})
    set_committed(engine, world, light.id, {"dim_pct": 40})
    wait_sent(engine, [unit.id, light.id])  # sent while neither device was connected: delivered to nobody
    got: list[tuple[str, Any]] = []
    seen_by_other: list[str] = []

    def connect() -> paho.Client:
        client = device_client(
            port, token, "v1/devices/me/attributes", lambda c, m: got.append((m.topic, orjson.loads(m.payload)))
        )
        return client

    snoop = device_client(port, other_token, "v1/devices/me/attributes", lambda c, m: seen_by_other.append(m.topic))
    first = connect()
    try:
        wait_for(got, 1)  # on connect: all of them
        set_committed(engine, world, unit.id, {"target_temp": 24})
        wait_for(got, 2)  # on change: the change
        first.publish("v1/devices/me/attributes/request/7", orjson.dumps({"sharedKeys": "mode"}), qos=1)
        wait_for(got, 3)  # asked for: the answer
    finally:
        close(first)
    set_committed(engine, world, unit.id, {"mode": "comfort"})  # changed while it was away
    wait_sent(engine, [unit.id])
    second = connect()
    native_got: list[tuple[str, Any]] = []
    native = device_client(
        port, light_token, f"digipark/v1/{light_token}/downlink/#", lambda c, m: native_got.append((m.topic, m.payload))
    )
    try:
        wait_for(got, 4)
        wait_for(native_got, 1)
    finally:
        close(second, native, snoop)
    assert got == [
        ("v1/devices/me/attributes", {"target_temp": 26, "mode": "eco"}),
        ("v1/devices/me/attributes", {"target_temp": 24}),
        ("v1/devices/me/attributes/response/7", {"shared": {"mode": "eco"}}),
        ("v1/devices/me/attributes", {"target_temp": 24, "mode": "comfort"}),  # all of them again, not only the change
    ]
    assert native_got == [(f"digipark/v1/{light_token}/downlink/attributes", b'{"dim_pct":40}')]
    assert seen_by_other == []
    with sessionmaker(bind=engine)() as session:
        rows = session.scalars(select(DeviceSharedAttribute).where(DeviceSharedAttribute.device_id == unit.id))
        assert all(r.sent_version == r.version for r in rows)


def test_mqtt_provisioning_gives_the_token_to_the_asking_connection_only(
    engine: Engine,
    world: World,
    mosquitto: StartBroker,
    key: tuple[str, str],  # noqa: F811
) -> None:
    port = mosquitto([])
    got: list[dict[str, Any]] = []
    seen_by_other: list[bytes] = []
    asking = f"prov-{uuid.uuid4().hex[:8]}"
    device = provision_client(port, lambda m: got.append(orjson.loads(m.payload)), client_id=asking)
    other = provision_client(port, lambda m: seen_by_other.append(m.payload))
    granted: list[Any] = []
    refused = threading.Event()

    def subscribed(c: Any, u: Any, mid: Any, codes: Any, props: Any = None) -> None:
        granted.extend(codes)
        refused.set()

    other.on_subscribe = subscribed
    other.subscribe([("digipark/provision/+/response", 1), ("#", 1)])
    try:
        assert refused.wait(5) and all(code.is_failure for code in granted)
        # a third connection taking the asking one's client id is refused (it would receive its answer)
        taker, code = connected_client(port, "provision", None, client_id=asking)
        close(taker)
        assert code != 0
        request = {"deviceName": "MQTT-P1", "provisionDeviceKey": key[0], "provisionDeviceSecret": key[1]}
        device.publish("/provision/request", orjson.dumps(request), qos=1)
        wait_for(got, 1)
        wrong = {**request, "deviceName": "MQTT-P2", "provisionDeviceSecret": key[1] + "x"}
        device.publish("/provision/request", orjson.dumps(wrong), qos=1)
        wait_for(got, 2)
        other.publish("/provision/response", b'{"status": "SUCCESS"}', qos=1).wait_for_publish(5)  # refused
    finally:
        close(device, other)
    assert [g["status"] for g in got] == ["SUCCESS", "NOT_FOUND"]
    with sessionmaker(bind=engine)() as session:
        made = session.scalar(select(Device).where(Device.code == "MQTT-P1"))
        assert made is not None and made.token_hash == token_digest(got[0]["credentialsValue"])
        assert session.scalar(select(Device.id).where(Device.code == "MQTT-P2")) is None
    assert seen_by_other == []  # the other provisioning connection never saw the token


def test_provisioning_is_refused_when_switched_off(tmp_path: Path) -> None:
    plugin = build_plugin(tmp_path)
    files = write_acl_files(tmp_path, [], platform_password=PLATFORM_PASSWORD)
    lines = [*plugin_lines(plugin, files), "plugin_opt_provisioning false"]
    with mosquitto_with(tmp_path, files.password_file, files.acl_file, lines) as port:
        client, code = connected_client(port, "provision", None, client_id=f"prov-{uuid.uuid4().hex[:8]}")
        close(client)
    assert code != 0


def test_the_dispatcher_goes_to_mosquitto_when_the_platform_is_configured_for_it() -> None:
    from digipark.cli.connect import dispatch_broker
    from digipark.telemetry.broker_access import service_credentials

    url = "mqtt://digipark:s%40cret@mosquitto.example:1884"
    assert dispatch_broker(None, url) == ("mosquitto.example", 1884, "digipark", "s@cret")
    service = service_credentials()
    assert dispatch_broker("127.0.0.1:1885", url) == ("127.0.0.1", 1885, *service)  # --broker wins
    assert dispatch_broker(None, None) == ("127.0.0.1", 1883, *service)  # the embedded broker
