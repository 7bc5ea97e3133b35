"""Devices through Mosquitto: the plugin deploy/mosquitto/digipark_topics.c authenticates a device by the SHA-256
digest of its user name (its token) against the devices file of `digipark mqtt acl`, applies its topic rules, and
moves ThingsBoard messages to topics naming the publisher's token, so the platform, subscribed at Mosquitto, knows
who sent them.

The tests build the plugin with gcc (headers: Debian's mosquitto-dev, libmosquitto-dev and libssl-dev), start
Debian's Mosquitto with it, the files of `digipark mqtt acl` and a free port, publish with paho-mqtt as devices,
ThingsBoard devices and a gateway, run the platform's ingest against it and read the readings back through the
API."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from digipark.registry.device_tokens import token_digest
from digipark.telemetry.acl import AclResult, write_acl_files
from digipark.telemetry.runtime import IngestPlan, start_plan
from tests.conftest import World, bearer, service_unavailable
from tests.telemetry.test_acl import connected_client, mosquitto_with
from tests.telemetry.test_mqtt_ingest import (
    Meter,
    close,
    count_readings,
    make_meter,
    publish_all,
    remove_meters,
    wait_for,
)

PLUGIN_SOURCE = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto" / "digipark_topics.c"
HEADERS = (
    Path("/usr/include/mosquitto_broker.h"),
    Path("/usr/include/mosquitto.h"),
    Path("/usr/include/openssl/sha.h"),
)


def build_plugin(folder: Path) -> Path:
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None or not all(header.exists() for header in HEADERS):
        service_unavailable(
            "a C compiler, Mosquitto's plugin headers and OpenSSL's "
            "(apt-get install mosquitto-dev libmosquitto-dev libssl-dev)"
        )
    assert compiler is not None
    plugin = folder / "digipark_topics.so"
    subprocess.run(
        [compiler, "-O2", "-Wall", "-Werror", "-fPIC", "-shared", "-o", str(plugin), str(PLUGIN_SOURCE), "-lcrypto"],
        check=True,
        capture_output=True,
    )
    return plugin


@pytest.fixture
def meters(engine: Engine, world: World) -> Iterator[Callable[..., Meter]]:
    made: list[Meter] = []

    def make(keys: tuple[str, ...]) -> Meter:
        made.append(make_meter(engine, world.a.park_id, keys))
        return made[-1]

    yield make
    remove_meters(engine, made)


def plugin_lines(plugin: Path, files: AclResult) -> list[str]:
    return [f"plugin {plugin}", f"plugin_opt_devices_file {files.devices_file}"]


def test_a_device_of_the_digest_file_connects_and_publishes_only_its_own_topics(tmp_path: Path) -> None:
    plugin = build_plugin(tmp_path)
    result = write_acl_files(tmp_path, [token_digest("tok-a"), token_digest("tok-b")], platform_password="platform-pw")
    assert "tok-a" not in result.devices_file.read_text()
    with mosquitto_with(tmp_path, result.password_file, result.acl_file, plugin_lines(plugin, result)) as port:
        got: list[str] = []
        subscribed = threading.Event()
        platform, code = connected_client(port, "digipark", "platform-pw")
        assert code == 0
        platform.on_message = lambda c, u, m: got.append(m.topic)
        platform.on_subscribe = lambda *a: subscribed.set()
        platform.subscribe("digipark/v1/+/telemetry", qos=1)
        assert subscribed.wait(5)

        snooped: list[str] = []
        snoop, code = connected_client(port, "tok-b", None)  # no password: the token alone
        assert code == 0
        snoop.on_message = lambda c, u, m: snooped.append(m.topic)
        snoop.subscribe("digipark/#", qos=1)

        device, code = connected_client(port, "tok-a", "tok-a")
        assert code == 0
        for topic in ("digipark/v1/tok-b/telemetry", "v1/gateway/telemetry", "digipark/v1/tok-a/telemetry"):
            device.publish(topic, b'{"ts":1,"values":{"p":1}}', qos=1).wait_for_publish(5)  # denied, denied, allowed
        assert wait_for(lambda: got == ["digipark/v1/tok-a/telemetry"])
        time.sleep(0.3)
        assert got == ["digipark/v1/tok-a/telemetry"] and snooped == []

        for user, password in (("tok-c", "tok-c"), ("tok-a", "wrong"), ("digipark", "wrong")):
            intruder, code = connected_client(port, user, password)
            assert code != 0, user  # an unknown token, a wrong password
            intruder.loop_stop()
        for client in (platform, snoop, device):
            client.disconnect()
            client.loop_stop()


def device_client(port: int, token: str) -> paho.Client:
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"tb-{token}")
    client.username_pw_set(token, token)
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    return client


def test_thingsboard_devices_and_gateways_publish_unchanged_through_mosquitto(
    tmp_path: Path, engine: Engine, meters: Callable[..., Meter], app_instance: Any, world: World
) -> None:
    plugin = build_plugin(tmp_path)
    device, other = meters(("power_kw", "voltage_v")), meters(("power_kw",))
    gateway, first, second = meters(("power_kw",)), meters(("power_kw",)), meters(("power_kw",))
    files = write_acl_files(
        tmp_path,
        [token_digest(device.token), token_digest(other.token)],
        platform_password="platform-pw",
        gateway_digests=[token_digest(gateway.token)],
    )
    with mosquitto_with(tmp_path, files.password_file, files.acl_file, plugin_lines(plugin, files)) as port:
        client_id = f"digipark-test-{uuid.uuid4().hex[:10]}"
        runtime = start_plan(
            IngestPlan(mqtt_url=f"mqtt://digipark:platform-pw@127.0.0.1:{port}", client_id=client_id, batch_size=20)
        )
        try:
            now = int(time.time() * 1000)
            tb = device_client(port, device.token)
            publish_all(
                tb,
                [
                    ("v1/devices/me/telemetry", {"ts": now - 1000, "values": {"power_kw": 3.25}}),
                    ("v1/devices/me/telemetry", [{"ts": now, "values": {"power_kw": 4.5}}]),
                    ("v1/devices/me/telemetry", {"voltage_v": 231.5}),  # flat shape, ts = receipt
                ],
            )
            close(tb)
            gw = device_client(port, gateway.token)
            body = {
                first.code: [{"ts": now, "values": {"power_kw": 1.0}}],
                second.code: {"ts": now, "values": {"power_kw": 2.0}},
            }
            publish_all(gw, [("v1/gateway/telemetry", body)])
            close(gw)
            wanted = [*device.points.values(), first.points["power_kw"], second.points["power_kw"]]
            assert wait_for(lambda: count_readings(engine, wanted) == 5)
        finally:
            runtime.stop()

    # read back through the API (a client of its own: the `client` fixture's transaction would also hold the
    # platform's writes, uncommitted, while the test waits for them)
    headers = bearer(world.a.tokens["park_admin"])
    api = TestClient(app_instance, base_url="http://testserver")

    def raw_values(point_id: int) -> list[float]:
        response = api.get(
            f"/api/v1/points/{point_id}/series",
            params={"from": now - 3_600_000, "to": now + 3_600_000, "resolution": "raw"},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        return [value for _ts, value in response.json()["points"]]

    assert raw_values(device.points["power_kw"]) == [3.25, 4.5]
    assert raw_values(device.points["voltage_v"]) == [231.5]
    assert raw_values(first.points["power_kw"]) == [1.0]
    assert raw_values(second.points["power_kw"]) == [2.0]
    assert count_readings(engine, list(other.points.values())) == 0  # nobody published as the other device
