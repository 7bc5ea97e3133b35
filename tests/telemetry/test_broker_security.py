"""Issue 14 item 1 and the packet limit of item 4: the embedded broker of `digipark ingest --listen` and `digipark
demo` refuses anonymous clients, foreign publishes, a device's wildcard or foreign subscriptions and oversize
packets, against the real ingest pipeline and test database (these tests make and remove their own devices)."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import orjson
import paho.mqtt.client as paho
import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import sessionmaker

from digipark.audit.service import Actor, set_actor
from digipark.registry.models import Device
from digipark.telemetry import mqtt
from digipark.telemetry.broker_access import BrokerAccess, service_credentials
from digipark.telemetry.runtime import IngestPlan, IngestRuntime, start_plan
from tests.conftest import World
from tests.telemetry.test_mqtt_ingest import Meter, count_readings, meters, publish_all, publisher, wait_for

__all__ = ["meters"]


@pytest.fixture
def runtime(engine: Engine, world: World) -> Iterator[IngestRuntime]:
    running = start_plan(IngestPlan(listen=("127.0.0.1", 0), batch_size=10))
    yield running
    running.stop()


def access_of(runtime: IngestRuntime) -> BrokerAccess:
    assert runtime.info.broker_access is not None
    return runtime.info.broker_access


def connack(port: int, *, username: str | None = None, password: str | None = None) -> tuple[socket.socket, int]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(mqtt.connect_packet(f"sec-{uuid.uuid4().hex[:8]}", username=username, password=password))
    answer = sock.recv(4)
    assert answer[:3] == b"\x20\x02\x00"
    return sock, answer[3]


def subscribe(port: int, username: str, password: str | None, pattern: str) -> tuple[paho.Client, list[str], int]:
    """A connected client subscribed to pattern: (client, topics it receives, SUBACK code)."""
    got: list[str] = []
    granted: list[int] = []
    done = threading.Event()
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"sec-sub-{uuid.uuid4().hex[:8]}")
    client.username_pw_set(username, password)
    client.on_message = lambda c, u, m: got.append(m.topic)

    def on_subscribe(client: paho.Client, userdata: object, mid: int, codes: list[paho.ReasonCode], *a: object) -> None:
        granted.extend(code.value for code in codes)
        done.set()

    client.on_subscribe = on_subscribe
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.subscribe(pattern, qos=0)
    assert done.wait(5)
    return client, got, granted[0]


def close(*clients: paho.Client) -> None:
    for client in clients:
        client.disconnect()
        client.loop_stop()


def reading(ts: int, value: float) -> dict[str, object]:
    return {"ts": ts, "values": {"power_kw": value}}


def test_an_anonymous_connect_is_refused_and_counted(runtime: IngestRuntime) -> None:
    assert runtime.port
    sock, code = connack(runtime.port)
    assert code == 5  # not authorised
    assert sock.recv(1) == b""  # and disconnected
    sock.close()
    assert access_of(runtime).refusals["connect"] == 1


def test_unknown_user_wrong_password_and_retired_device_are_refused(
    engine: Engine, runtime: IngestRuntime, meters: Callable[..., Meter]
) -> None:
    assert runtime.port
    meter, retired = meters(("power_kw",)), meters(("power_kw",))
    factory = sessionmaker(bind=engine)
    with factory() as session, session.begin():
        set_actor(session, Actor("test-transport"))
        session.execute(update(Device).where(Device.id == retired.id).values(status="retired"))
    user, password = service_credentials()
    attempts = [
        ("no-such-token", None),
        (meter.token, "not-its-token"),
        (retired.token, None),
        (user, "wrong-password"),
        (user, None),
    ]
    for username, secret in attempts:
        sock, code = connack(runtime.port, username=username, password=secret)
        sock.close()
        assert code == 4, username  # bad user name or password
    for username, secret in [(meter.token, None), (meter.token, meter.token), (user, password)]:
        sock, code = connack(runtime.port, username=username, password=secret)
        sock.close()
        assert code == 0, username
    assert access_of(runtime).refusals["connect"] == len(attempts)


def test_a_device_cannot_publish_as_another_and_nothing_of_it_is_stored(
    engine: Engine, runtime: IngestRuntime, meters: Callable[..., Meter]
) -> None:
    assert runtime.port
    mine, foreign = meters(("power_kw",)), meters(("power_kw",))
    now = int(time.time() * 1000)
    client = publisher("127.0.0.1", runtime.port, username=mine.token)
    # acknowledged (as Mosquitto does) but dropped; then its own topic, stored
    publish_all(
        client,
        [
            (f"digipark/v1/{foreign.token}/telemetry", reading(now, 1.0)),
            ("v1/gateway/telemetry", {foreign.code: [reading(now, 2.0)]}),  # not a gateway
            (f"digipark/v1/{mine.token}/telemetry", reading(now, 3.0)),
        ],
    )
    close(client)
    assert wait_for(lambda: count_readings(engine, [mine.points["power_kw"]]) == 1)
    assert count_readings(engine, [foreign.points["power_kw"]]) == 0
    assert access_of(runtime).refusals["publish"] == 2


def test_a_device_may_subscribe_only_to_its_own_downlink(runtime: IngestRuntime, meters: Callable[..., Meter]) -> None:
    assert runtime.port
    device = meters(("power_kw",))
    refused = [
        "digipark/+/+/telemetry",
        "#",
        f"digipark/v1/{device.token}/telemetry",
        "digipark/v1/+/downlink/#",
        "v1/devices/me/telemetry",
    ]
    for pattern in refused:
        client, _got, code = subscribe(runtime.port, device.token, None, pattern)
        close(client)
        assert code == 0x80, pattern
    client, _got, code = subscribe(runtime.port, device.token, None, f"digipark/v1/{device.token}/downlink/#")
    close(client)
    assert code == 0
    assert access_of(runtime).refusals["subscribe"] == len(refused)


def test_a_token_is_seen_by_no_other_device_only_by_the_service_account(
    engine: Engine, runtime: IngestRuntime, meters: Callable[..., Meter]
) -> None:
    assert runtime.port
    sender, other = meters(("power_kw",)), meters(("power_kw",))
    snoop, snooped, _code = subscribe(runtime.port, other.token, None, "digipark/+/+/telemetry")
    spy, spied, _code = subscribe(runtime.port, other.token, None, f"digipark/v1/{sender.token}/telemetry")
    service, watched, code = subscribe(runtime.port, *service_credentials(), "digipark/+/+/telemetry")
    assert code == 0
    client = publisher("127.0.0.1", runtime.port, username=sender.token)
    publish_all(client, [(f"digipark/v1/{sender.token}/telemetry", reading(int(time.time() * 1000), 1.0))])
    close(client)
    assert wait_for(lambda: watched == [f"digipark/v1/{sender.token}/telemetry"])
    assert wait_for(lambda: count_readings(engine, [sender.points["power_kw"]]) == 1)
    close(snoop, spy, service)
    assert snooped == [] and spied == []


def test_an_oversize_packet_closes_the_connection_and_nothing_is_stored(
    engine: Engine, runtime: IngestRuntime, meters: Callable[..., Meter]
) -> None:
    from digipark.core.config import get_settings

    assert runtime.port
    meter = meters(("power_kw",))
    limit = get_settings().mqtt_max_packet_bytes
    sock, code = connack(runtime.port, username=meter.token)
    assert code == 0
    body = orjson.dumps(reading(int(time.time() * 1000), 1.0))
    padded = body[:-1] + b"," + b'"pad":"' + b"x" * limit + b'"}'
    packet = mqtt.publish_packet(f"digipark/v1/{meter.token}/telemetry", padded, qos=1, packet_id=1)
    with pytest.raises((ConnectionError, BrokenPipeError)):
        sock.sendall(packet)
        if sock.recv(4) == b"":
            raise ConnectionResetError("closed")
    sock.close()
    assert wait_for(lambda: access_of(runtime).refusals["packet_size"] == 1)
    assert count_readings(engine, [meter.points["power_kw"]]) == 0


def test_a_client_id_in_use_by_another_user_cannot_take_the_connection_over(
    runtime: IngestRuntime, meters: Callable[..., Meter]
) -> None:
    assert runtime.port
    victim, attacker = meters(("power_kw",)), meters(("power_kw",))
    first = socket.create_connection(("127.0.0.1", runtime.port), timeout=5)
    first.sendall(mqtt.connect_packet("shared-id", username=victim.token))
    assert first.recv(4) == b"\x20\x02\x00\x00"
    second = socket.create_connection(("127.0.0.1", runtime.port), timeout=5)
    second.sendall(mqtt.connect_packet("shared-id", username=attacker.token))
    assert second.recv(4) == b"\x20\x02\x00\x02"  # identifier rejected
    first.sendall(mqtt.PINGREQ_PACKET)
    assert first.recv(2) == mqtt.PINGRESP_PACKET  # the victim is still connected
    for sock in (first, second):
        sock.close()
