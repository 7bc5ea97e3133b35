"""MQTT ingestion end to end with real clients: paho-mqtt publishes to the Mosquitto of this machine
(DIGIPARK_TEST_MQTT_URL) or to the embedded broker; the platform's subscriber and runner store the readings in
the test database, committed in their own transactions (so these tests make and remove their own devices)."""

from __future__ import annotations

import dataclasses
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
from digipark.registry.device_tokens import token_digest
from digipark.registry.models import Device, Point
from digipark.telemetry.models import (
    ROLLUP_TABLES,
    DeadLetter,
    DeviceRejection,
    DeviceTraffic,
    PointLatest,
    Reading,
)
from digipark.telemetry.mqtt import BrokerAddress
from digipark.telemetry.runtime import IngestPlan, IngestRuntime, start_plan
from tests.conftest import TEST_MQTT_URL, World, service_unavailable, tcp_reachable

KEYS = ("power_kw", "voltage_v", "energy_kwh")


@dataclasses.dataclass
class Meter:
    id: int
    code: str
    token: str
    points: dict[str, int]


def make_meter(engine: Engine, park_id: int, keys: tuple[str, ...] = KEYS, *, protocol: str = "mqtt") -> Meter:
    """A committed device with points (unique code and token), for pipeline tests that commit."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    suffix = uuid.uuid4().hex[:12]
    with factory() as session, session.begin():
        set_actor(session, Actor("test-transport"))
        device = Device(
            park_id=park_id,
            code=f"TX-{suffix}",
            name=f"transport test {suffix}",
            kind="electricity_meter",
            token_hash=token_digest(f"tx-{suffix}"),
            status="active",
            protocol=protocol,
        )
        session.add(device)
        session.flush()
        points = {}
        for key in keys:
            point = Point(
                park_id=park_id,
                device_id=device.id,
                key=key,
                name=key,
                quantity="electric_power",
                unit="kW",
                device_class="power",
                state_class="measurement",
                expected_interval_s=60,
                valid_min=-1e9,
                valid_max=1e9,
            )
            session.add(point)
            session.flush()
            points[key] = point.id
        return Meter(device.id, device.code, f"tx-{suffix}", points)


def remove_meters(engine: Engine, meters: list[Meter]) -> None:
    factory = sessionmaker(bind=engine)
    with factory() as session, session.begin():
        set_actor(session, Actor("test-transport"))
        ids = [m.id for m in meters]
        point_ids = [p for m in meters for p in m.points.values()]
        # explicitly, so that SQLite (which reuses row ids) starts the next test clean
        for table in (Reading, PointLatest, *ROLLUP_TABLES.values()):
            session.execute(delete(table).where(table.point_id.in_(point_ids)))  # type: ignore[attr-defined]
        for counters in (DeviceTraffic, DeviceRejection):
            session.execute(delete(counters).where(counters.device_id.in_(ids)))
        session.execute(delete(DeadLetter).where(DeadLetter.device_id.in_(ids)))
        session.execute(delete(DeadLetter).where(DeadLetter.token_hash.in_([token_digest(m.token) for m in meters])))
        for device in session.scalars(select(Device).where(Device.id.in_(ids))):
            session.delete(device)


@pytest.fixture
def meters(engine: Engine, world: World) -> Iterator[Callable[..., Meter]]:
    made: list[Meter] = []

    def make(keys: tuple[str, ...] = KEYS, *, protocol: str = "mqtt") -> Meter:
        meter = make_meter(engine, world.a.park_id, keys, protocol=protocol)
        made.append(meter)
        return meter

    yield make
    remove_meters(engine, made)


def readings(engine: Engine, point_ids: list[int]) -> list[tuple[int, int, float]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Reading.point_id, Reading.ts, Reading.value)
            .where(Reading.point_id.in_(point_ids))
            .order_by(Reading.point_id, Reading.ts)
        ).all()
    return [(int(p), int(t), float(v)) for p, t, v in rows]


def count_readings(engine: Engine, point_ids: list[int]) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Reading).where(Reading.point_id.in_(point_ids))) or 0)


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def mqtt_url() -> str:
    if not TEST_MQTT_URL or not tcp_reachable(TEST_MQTT_URL, 1883):
        service_unavailable(f"MQTT broker at {TEST_MQTT_URL or 'DIGIPARK_TEST_MQTT_URL (unset)'}")
    assert TEST_MQTT_URL
    return TEST_MQTT_URL


def publisher(
    host: str, port: int, *, username: str | None = None, password: str | None = None, client_id: str = ""
) -> paho.Client:
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id or f"tx-pub-{uuid.uuid4().hex[:8]}")
    if username is not None:
        client.username_pw_set(username, password)
    client.connect(host, port, keepalive=30)
    client.loop_start()
    return client


def publish_all(client: paho.Client, messages: list[tuple[str, Any]]) -> None:
    infos = [client.publish(topic, orjson.dumps(body), qos=1) for topic, body in messages]
    for info in infos:
        info.wait_for_publish(timeout=20)
        assert info.is_published()


def close(client: paho.Client) -> None:
    client.disconnect()
    client.loop_stop()


def forget_session(url: str, client_id: str) -> None:
    """Connect once with a clean session so the broker drops the test's persistent session."""
    address = BrokerAddress.parse(url)
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    client.connect(address.host, address.port)
    client.loop_start()
    time.sleep(0.2)
    close(client)


def start(plan: IngestPlan) -> IngestRuntime:
    return start_plan(plan)


def test_native_format_through_mosquitto_is_stored(engine: Engine, meters: Callable[..., Meter]) -> None:
    url = mqtt_url()
    address = BrokerAddress.parse(url)
    meter = meters()
    client_id = f"digipark-test-{uuid.uuid4().hex[:10]}"
    runtime = start(IngestPlan(mqtt_url=url, client_id=client_id, batch_size=50))
    try:
        client = publisher(address.host, address.port)
        now = int(time.time() * 1000)
        topic = f"digipark/v1/{meter.token}/telemetry"
        publish_all(
            client,
            [
                (topic, {"ts": now - 60_000, "values": {"power_kw": 1.5, "voltage_v": 230.0}}),
                (topic, [{"ts": now - 30_000, "values": {"power_kw": 2.5}}, {"ts": now, "values": {"energy_kwh": 7}}]),
            ],
        )
        close(client)
        ids = list(meter.points.values())
        assert wait_for(lambda: count_readings(engine, ids) == 4)
    finally:
        runtime.stop()
        forget_session(url, client_id)
    assert readings(engine, ids) == sorted(
        [
            (meter.points["power_kw"], now - 60_000, 1.5),
            (meter.points["voltage_v"], now - 60_000, 230.0),
            (meter.points["power_kw"], now - 30_000, 2.5),
            (meter.points["energy_kwh"], now, 7.0),
        ]
    )


def test_messages_published_while_the_platform_is_down_are_stored_after_it_reconnects(
    engine: Engine, meters: Callable[..., Meter]
) -> None:
    url = mqtt_url()
    address = BrokerAddress.parse(url)
    meter = meters(("power_kw",))
    client_id = f"digipark-test-{uuid.uuid4().hex[:10]}"
    plan = IngestPlan(mqtt_url=url, client_id=client_id, batch_size=20)
    try:
        runtime = start(plan)  # creates the persistent session and its subscription
        runtime.stop()
        client = publisher(address.host, address.port)
        now = int(time.time() * 1000)
        topic = f"digipark/v1/{meter.token}/telemetry"
        publish_all(client, [(topic, {"ts": now - i * 1000, "values": {"power_kw": i}}) for i in range(40)])
        close(client)
        assert count_readings(engine, [meter.points["power_kw"]]) == 0  # nobody stored them yet
        runtime = start(plan)  # the same client id: the broker delivers what it kept
        try:
            assert wait_for(lambda: count_readings(engine, [meter.points["power_kw"]]) == 40)
        finally:
            runtime.stop()
    finally:
        forget_session(url, client_id)
    assert sorted(v for _, _, v in readings(engine, [meter.points["power_kw"]])) == [float(i) for i in range(40)]


def test_thingsboard_format_through_the_embedded_broker_is_acknowledged_after_commit(
    engine: Engine, meters: Callable[..., Meter]
) -> None:
    meter = meters(("power_kw", "voltage_v"))
    runtime = start(IngestPlan(listen=("127.0.0.1", 0), batch_size=10))
    try:
        assert runtime.port
        client = publisher("127.0.0.1", runtime.port, username=meter.token)
        now = int(time.time() * 1000)
        publish_all(client, [("v1/devices/me/telemetry", {"ts": now, "values": {"power_kw": 3.25}})])
        # the PUBACK came after the commit: the reading is already there
        assert count_readings(engine, [meter.points["power_kw"]]) == 1
        publish_all(client, [("v1/devices/me/telemetry", {"voltage_v": 231.5})])  # flat shape, ts = receipt
        assert count_readings(engine, [meter.points["voltage_v"]]) == 1
        close(client)
    finally:
        runtime.stop()
    assert readings(engine, [meter.points["power_kw"]]) == [(meter.points["power_kw"], now, 3.25)]


def test_gateway_format_through_the_embedded_broker_is_stored_per_device(
    engine: Engine, meters: Callable[..., Meter]
) -> None:
    gateway = meters(("power_kw",), protocol="gateway")
    first, second = meters(("power_kw",)), meters(("power_kw",))
    runtime = start(IngestPlan(listen=("127.0.0.1", 0), batch_size=10))
    try:
        assert runtime.port
        client = publisher("127.0.0.1", runtime.port, username=gateway.token)
        now = int(time.time() * 1000)
        body = {
            first.code: [{"ts": now, "values": {"power_kw": 1.0}}],
            second.code: [{"ts": now - 1000, "values": {"power_kw": 2.0}}, {"ts": now, "values": {"power_kw": 3.0}}],
        }
        publish_all(client, [("v1/gateway/telemetry", body)])
        close(client)
    finally:
        runtime.stop()
    assert readings(engine, [first.points["power_kw"]]) == [(first.points["power_kw"], now, 1.0)]
    assert [v for _, _, v in readings(engine, [second.points["power_kw"]])] == [2.0, 3.0]


def test_a_repeated_message_is_stored_once(engine: Engine, meters: Callable[..., Meter]) -> None:
    meter = meters(("power_kw",))
    runtime = start(IngestPlan(listen=("127.0.0.1", 0), batch_size=10))
    try:
        assert runtime.port
        client = publisher("127.0.0.1", runtime.port, username=meter.token)
        now = int(time.time() * 1000)
        topic = f"digipark/v1/{meter.token}/telemetry"
        message = (topic, {"ts": now, "values": {"power_kw": 5.0}})
        publish_all(client, [message, message, (topic, {"ts": now, "values": {"power_kw": 6.0}})])
        close(client)
    finally:
        runtime.stop()
    assert readings(engine, [meter.points["power_kw"]]) == [(meter.points["power_kw"], now, 5.0)]
