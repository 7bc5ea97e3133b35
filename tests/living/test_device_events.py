"""Gates, vehicles and cameras over MQTT: a device's event on `digipark/v1/<its token>/events` is acted on by the
living consumer as the HTTP routes act (gate decision and access record, a vehicle's progress, a security event with
its work order), as that device and in its park; a device may not report as another, and a foreign device may not
publish on another's events topic (the embedded broker and Mosquitto with the plugin refuse it).

The transport tests commit (the consumer writes in transactions of its own), so they make and remove their own
devices and records."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as paho
import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from digipark.audit.service import Actor, set_actor
from digipark.living import delivery, device_events
from digipark.living.models import AccessEvent, Delivery, DeliveryState, SecurityEvent
from digipark.living.schemas import NodeCreate, VehicleCreate
from digipark.registry.device_tokens import token_digest
from digipark.registry.models import Device
from digipark.telemetry.provides import EventBroker, device_events_topic
from digipark.telemetry.runtime import IngestPlan, start_plan
from tests.conftest import TEST_MQTT_URL, World, service_unavailable, tcp_reachable
from tests.living.helpers import scope_of
from tests.telemetry.test_mqtt_ingest import wait_for

NOW = dt.datetime.now(dt.UTC)


def _device(db: Session, park_id: int, code: str, *, status: str = "active") -> tuple[Device, str]:
    token = f"ev-{uuid.uuid4().hex[:16]}"
    digest = token_digest(token)
    row = Device(park_id=park_id, code=code, name=code, kind="gate", token_hash=digest, status=status, protocol="mqtt")
    db.add(row)
    db.flush()
    return row, token


def _body(**fields: Any) -> bytes:
    return orjson.dumps(fields)


# -- the consumer's logic (no transport) --------------------------------------------------------------------------
def test_a_gate_event_is_decided_and_recorded_as_the_device(db: Session, world: World) -> None:
    _gate, token = _device(db, world.a.park_id, "GATE-E1")
    kind, result = device_events.handle(db, token, _body(type="gate", direction="in", plate="苏E12345"))
    assert kind == "gate" and result["decision"] == "denied"  # no pass for that plate: still recorded
    record = db.get(AccessEvent, result["event_id"])
    assert record is not None and (record.gate, record.park_id, record.plate) == (
        "GATE-E1",
        world.a.park_id,
        "苏E12345",
    )


def test_a_device_reports_only_as_itself(db: Session, world: World) -> None:
    _gate, token = _device(db, world.a.park_id, "GATE-E2")
    before = db.scalar(select(AccessEvent.id).order_by(AccessEvent.id.desc()).limit(1))
    for body, reason in (
        (_body(type="gate", gate="GATE-OTHER", direction="in", plate="苏E1"), "only as itself"),
        (_body(type="teleport"), "type"),
        (b"\xff not json", "not JSON"),
        (_body(type="gate", direction="sideways", plate="苏E1"), "direction"),
    ):
        with pytest.raises(device_events.Refused, match=reason):
            device_events.handle(db, token, body)
    with pytest.raises(device_events.Refused, match="unknown"):
        device_events.handle(db, "ev-no-such-token", _body(type="gate", direction="in", plate="苏E1"))
    _retired, retired_token = _device(db, world.a.park_id, "GATE-OLD", status="retired")
    with pytest.raises(device_events.Refused, match="unknown or retired"):
        device_events.handle(db, retired_token, _body(type="gate", direction="in", plate="苏E1"))
    assert db.scalar(select(AccessEvent.id).order_by(AccessEvent.id.desc()).limit(1)) == before  # nothing recorded


def test_a_vehicle_reports_progress_in_its_own_park(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    depot = delivery.NODES.create(db, scope=admin, data=NodeCreate(code="DEPOT", lon=120.6, lat=31.3))
    drop = delivery.NODES.create(db, scope=admin, data=NodeCreate(code="D1", lon=120.601, lat=31.3))
    from digipark.living.schemas import EdgeCreate

    delivery.EDGES.create(db, scope=admin, data=EdgeCreate(a_id=depot.id, b_id=drop.id))
    van = delivery.VEHICLES.create(
        db,
        scope=admin,
        data=VehicleCreate(
            code="UDV-1", kind="unmanned", capacity=5, speed_mps=3, range_m=9000, depot_node_id=depot.id
        ),
    )
    from digipark.living.schemas import DeliveryCreate

    order, _plan = delivery.order_delivery(
        db,
        scope=scope_of(db, "TA", "resident"),
        data=DeliveryCreate(dropoff_node_id=drop.id, earliest=NOW, latest=NOW + dt.timedelta(hours=2)),
    )
    assert order.vehicle_id == van.id
    _device_row, token = _device(db, world.a.park_id, "UDV-1")
    kind, result = device_events.handle(
        db, token, _body(type="progress", node="D1", battery_pct=71.5, delivered=[order.id])
    )
    assert kind == "progress" and result["vehicle_id"] == van.id
    assert (van.battery_pct, delivery.NODES.get(db, scope=admin, ident=van.last_node_id).code) == (71.5, "D1")  # type: ignore[arg-type]
    assert db.get(Delivery, order.id).state == DeliveryState.DELIVERED.value  # type: ignore[union-attr]
    # the same code in park B is another vehicle: B's device cannot move park A's van
    _b_device, b_token = _device(db, world.b.park_id, "UDV-1")
    with pytest.raises(Exception, match="no such vehicle"):
        device_events.handle(db, b_token, _body(type="progress", battery_pct=10))
    assert van.battery_pct == 71.5


def test_a_camera_event_raises_the_security_flow(db: Session, world: World) -> None:
    _camera, token = _device(db, world.a.park_id, "NVR-E1")
    kind, result = device_events.handle(db, token, _body(type="security", kind="intrusion", location="北门"))
    event = db.get(SecurityEvent, result["event_id"])
    assert kind == "security" and event is not None
    assert (event.source, event.park_id, event.work_order_id) == ("NVR-E1", world.a.park_id, result["work_order_id"])
    assert event.work_order_id is not None


# -- over MQTT ----------------------------------------------------------------------------------------------------
def _committed_device(engine: Engine, park_id: int, code: str) -> tuple[int, str]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session, session.begin():
        set_actor(session, Actor("test-device-events"))
        row, token = _device(session, park_id, code)
        return row.id, token


def _cleanup(engine: Engine, device_ids: list[int], gates: list[str]) -> None:
    factory = sessionmaker(bind=engine)
    with factory() as session, session.begin():
        set_actor(session, Actor("test-device-events"))
        session.execute(delete(AccessEvent).where(AccessEvent.gate.in_(gates)))
        for row in session.scalars(select(Device).where(Device.id.in_(device_ids))):
            session.delete(row)


def _access_events(engine: Engine, gate: str) -> list[tuple[str, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(select(AccessEvent.gate, AccessEvent.plate).where(AccessEvent.gate == gate)).all()
    return [(g, p) for g, p in rows]


class Client:
    """A paho client connected as `user`, collecting what it receives."""

    def __init__(self, port: int, user: str | None, password: str | None, host: str = "127.0.0.1") -> None:
        self.got: list[tuple[str, dict[str, Any]]] = []
        self.subscribed = threading.Event()
        connected = threading.Event()
        self.codes: list[int] = []
        client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"ev-{uuid.uuid4().hex[:10]}")
        if user is not None:
            client.username_pw_set(user, password)

        def on_connect(c: paho.Client, u: object, flags: object, reason: paho.ReasonCode, props: object) -> None:
            self.codes.append(reason.value)
            connected.set()

        client.on_connect = on_connect
        client.on_subscribe = lambda *a: self.subscribed.set()
        client.on_message = lambda c, u, m: self.got.append((m.topic, orjson.loads(m.payload)))
        client.connect(host, port)
        client.loop_start()
        assert connected.wait(5)
        self.client = client

    def subscribe(self, pattern: str) -> None:
        self.subscribed.clear()
        self.client.subscribe(pattern, qos=1)
        assert self.subscribed.wait(5)

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def embedded(engine: Engine, world: World) -> Iterator[tuple[int, device_events.DeviceEventConsumer]]:
    runtime = start_plan(IngestPlan(listen=("127.0.0.1", 0), batch_size=50))
    try:
        consumer = device_events.running_consumer()  # started with the module records' background services
        assert consumer is not None and runtime.port is not None
        assert consumer.subscribed.wait(10)
        yield runtime.port, consumer
    finally:
        runtime.stop()


def test_gate_events_over_the_embedded_broker_and_a_foreign_device_refused(
    engine: Engine, world: World, embedded: tuple[int, device_events.DeviceEventConsumer]
) -> None:
    port, consumer = embedded
    suffix = uuid.uuid4().hex[:6].upper()
    gate_code, other_code = f"G{suffix}", f"X{suffix}"
    gate_id, gate_token = _committed_device(engine, world.a.park_id, gate_code)
    other_id, other_token = _committed_device(engine, world.a.park_id, other_code)
    clients: list[Client] = []
    try:
        gate = Client(port, gate_token, None)
        foreign = Client(port, other_token, None)
        clients += [gate, foreign]
        gate.subscribe(f"digipark/v1/{gate_token}/downlink/#")
        # the foreign device publishes on the gate's events topic: the broker refuses it, nothing is recorded
        foreign.publish(device_events_topic(gate_token), _body(type="gate", direction="in", plate="苏F00001"))
        gate.publish(device_events_topic(gate_token), _body(type="gate", direction="in", plate="苏G00002"))
        assert wait_for(lambda: len(gate.got) == 1, 15), gate.got
        topic, answer = gate.got[0]
        assert topic == f"digipark/v1/{gate_token}/downlink/events"
        assert answer["ok"] and answer["type"] == "gate" and answer["result"]["decision"] == "denied"
        assert _access_events(engine, gate_code) == [(gate_code, "苏G00002")]
        # a device naming another gate is answered with the refusal and changes nothing
        gate.publish(device_events_topic(gate_token), _body(type="gate", gate=other_code, direction="in", plate="苏G3"))
        assert wait_for(lambda: len(gate.got) == 2, 15)
        assert gate.got[1][1]["ok"] is False and "only as itself" in gate.got[1][1]["error"]
        time.sleep(0.3)
        assert (
            _access_events(engine, gate_code) == [(gate_code, "苏G00002")] and _access_events(engine, other_code) == []
        )
        assert consumer.handled >= 1 and consumer.refused >= 1
    finally:
        for client in clients:
            client.close()
        _cleanup(engine, [gate_id, other_id], [gate_code, other_code])


def test_gate_events_through_mosquitto(engine: Engine, world: World) -> None:
    """The consumer subscribed at the external broker (DIGIPARK_TEST_MQTT_URL) answers on the device's own downlink
    topic."""
    if not TEST_MQTT_URL or not tcp_reachable(TEST_MQTT_URL, 1883):
        service_unavailable(f"MQTT broker at {TEST_MQTT_URL or 'DIGIPARK_TEST_MQTT_URL (unset)'}")
    from digipark.telemetry.mqtt import BrokerAddress

    address = BrokerAddress.parse(TEST_MQTT_URL or "")
    broker = EventBroker(address.host, address.port, address.username, address.password, embedded=False)
    consumer = device_events.DeviceEventConsumer(lambda: broker)
    consumer.start()
    suffix = uuid.uuid4().hex[:6].upper()
    gate_code = f"M{suffix}"
    gate_id, gate_token = _committed_device(engine, world.a.park_id, gate_code)
    gate: Client | None = None
    try:
        assert consumer.subscribed.wait(10)
        gate = Client(address.port, address.username, address.password, host=address.host)
        gate.subscribe(f"digipark/v1/{gate_token}/downlink/#")
        gate.publish(device_events_topic(gate_token), _body(type="gate", direction="in", plate="苏M00003"))
        assert wait_for(lambda: len(gate.got) == 1, 15), gate.got
        assert gate.got[0][1]["ok"] and gate.got[0][1]["result"]["decision"] == "denied"
        assert _access_events(engine, gate_code) == [(gate_code, "苏M00003")]
    finally:
        if gate is not None:
            gate.close()
        consumer.stop()
        _cleanup(engine, [gate_id], [gate_code])


def test_mosquitto_with_the_plugin_refuses_a_foreign_device_on_an_events_topic(tmp_path: Path) -> None:
    """`digipark mqtt acl` and the plugin: a device publishes on its own events topic, not on another's; the
    platform's user reads the events topics and writes the devices' downlink."""
    from digipark.telemetry.acl import write_acl_files
    from tests.telemetry.test_acl import mosquitto_with
    from tests.telemetry.test_mosquitto_plugin import build_plugin, plugin_lines

    plugin = build_plugin(tmp_path)
    files = write_acl_files(tmp_path, [token_digest("tok-gate"), token_digest("tok-foe")], platform_password="pw")
    with mosquitto_with(tmp_path, files.password_file, files.acl_file, plugin_lines(plugin, files)) as port:
        platform = Client(port, "digipark", "pw")
        gate = Client(port, "tok-gate", "tok-gate")
        foe = Client(port, "tok-foe", None)
        try:
            platform.subscribe("digipark/v1/+/events")
            gate.subscribe("digipark/v1/tok-gate/downlink/#")
            foe.publish(device_events_topic("tok-gate"), _body(type="gate", n=1))  # refused
            gate.publish(device_events_topic("tok-gate"), _body(type="gate", n=2))
            assert wait_for(lambda: len(platform.got) >= 1, 5)
            time.sleep(0.3)
            assert platform.got == [(device_events_topic("tok-gate"), {"type": "gate", "n": 2})]
            platform.publish("digipark/v1/tok-gate/downlink/events", _body(ok=True))
            assert wait_for(lambda: len(gate.got) == 1, 5)
        finally:
            for client in (platform, gate, foe):
                client.close()
