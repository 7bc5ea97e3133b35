"""Commands to devices: the service's rules (catalogue, idempotency, a second person, expiry) in a rolled-back
session, and the round trip over a real MQTT connection (the embedded broker of `digipark ingest`, paho-mqtt as the
devices) for a native and a ThingsBoard-format device, with committed devices."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import orjson
import paho.mqtt.client as paho
import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from digipark.audit.service import Actor, set_actor
from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, PermissionDenied, ValidationFailed
from digipark.devices import commands
from digipark.devices.dispatcher import CommandDispatcher
from digipark.devices.models import DeviceCommand
from digipark.registry.device_tokens import token_digest
from digipark.registry.models import Device
from digipark.safety.models import Incident
from digipark.telemetry.broker_access import service_credentials
from digipark.telemetry.runtime import IngestPlan, IngestRuntime, start_plan
from tests.conftest import World


def staff(world: World, name: str, role: Role = Role.OPERATOR) -> Scope:
    return Scope.for_user(role=role, username=name, user_id=None, park_id=world.a.park_id)


def add_device(session: Session, park_id: int, kind: str, *, protocol: str = "mqtt") -> tuple[Device, str]:
    suffix = uuid.uuid4().hex[:10]
    token = f"cmd-{suffix}"
    device = Device(
        park_id=park_id,
        code=f"CMD-{suffix}",
        name=f"command test {suffix}",
        kind=kind,
        token_hash=token_digest(token),
        status="active",
        protocol=protocol,
    )
    session.add(device)
    session.flush()
    return device, token


def add_incident(session: Session, park_id: int) -> Incident:
    incident = Incident(
        park_id=park_id,
        code=f"INC-{uuid.uuid4().hex[:10]}",
        title="液化气泄漏",
        kind="leak",
        level="III",
        status="open",
        source="alarm",
        reported_by="tester",
        occurred_at=utcnow(),
    )
    session.add(incident)
    session.flush()
    return incident


# -- the rules ---------------------------------------------------------------------------------------------------------
def test_parameters_are_checked_against_the_kind_and_a_key_is_used_once(db: Session, world: World) -> None:
    set_actor(db, Actor("t"))
    valve, _ = add_device(db, world.a.park_id, "shutoff_valve")
    scope = staff(world, "op-a")
    with pytest.raises(ValidationFailed):
        commands.create(
            db, scope=scope, device_id=valve.id, name="set_position", params={"position_pct": 120}, reason="x"
        )
    with pytest.raises(ValidationFailed):
        commands.create(db, scope=scope, device_id=valve.id, name="explode", params={}, reason="x")
    first = commands.create(
        db,
        scope=scope,
        device_id=valve.id,
        name="set_position",
        params={"position_pct": "40"},
        reason="检修",
        idempotency_key="k1",
    )
    again = commands.create(
        db,
        scope=scope,
        device_id=valve.id,
        name="set_position",
        params={"position_pct": 40},
        reason="检修",
        idempotency_key="k1",
    )
    assert again.id == first.id and first.params == {"position_pct": 40.0} and first.state == "queued"
    assert first.requested_by == "op-a" and first.reason == "检修"
    with pytest.raises(Conflict):
        commands.create(
            db, scope=scope, device_id=valve.id, name="close_valve", params={}, reason="x", idempotency_key="k1"
        )


def test_a_safety_command_names_its_incident_and_needs_a_second_person(db: Session, world: World) -> None:
    set_actor(db, Actor("t"))
    valve, _ = add_device(db, world.a.park_id, "shutoff_valve")
    incident = add_incident(db, world.a.park_id)
    asker, second = staff(world, "op-a"), staff(world, "op-b")
    with pytest.raises(ValidationFailed):  # no incident or alarm
        commands.create(db, scope=asker, device_id=valve.id, name="close_valve", params={}, reason="泄漏")
    command = commands.create(
        db, scope=asker, device_id=valve.id, name="close_valve", params={}, reason="泄漏", incident_id=incident.id
    )
    assert command.state == "awaiting_confirmation" and command.safety and command.incident_id == incident.id
    assert commands.due(db, now=utcnow(), channels=["mqtt"]) == []  # not sent before the confirmation
    with pytest.raises(PermissionDenied):  # the same person cannot confirm
        commands.confirm(db, scope=asker, ident=command.id)
    assert command.state == "awaiting_confirmation"
    with pytest.raises(PermissionDenied):  # a reviewer cannot either
        commands.confirm(db, scope=staff(world, "rev", Role.REVIEWER), ident=command.id)
    commands.confirm(db, scope=second, ident=command.id)
    assert command.state == "queued" and command.confirmed_by == "op-b"
    assert [c.id for c in commands.due(db, now=utcnow(), channels=["mqtt"])] == [command.id]
    refused = commands.create(
        db, scope=asker, device_id=valve.id, name="open_valve", params={}, reason="恢复", incident_id=incident.id
    )
    commands.confirm(db, scope=second, ident=refused.id, approve=False)
    assert refused.state == "refused"


def test_another_parks_or_enterprises_device_cannot_be_commanded(db: Session, world: World) -> None:
    set_actor(db, Actor("t"))
    valve, _ = add_device(db, world.b.park_id, "shutoff_valve")
    with pytest.raises(Exception) as caught:
        commands.create(
            db,
            scope=staff(world, "op-a"),
            device_id=valve.id,
            name="set_position",
            params={"position_pct": 1},
            reason="x",
        )
    assert type(caught.value).__name__ in ("NotFound", "PermissionDenied")


def test_an_unanswered_command_expires_after_its_attempts(db: Session, world: World) -> None:
    set_actor(db, Actor("t"))
    valve, _ = add_device(db, world.a.park_id, "shutoff_valve")
    start = utcnow()
    command = commands.create(
        db,
        scope=staff(world, "op-a"),
        device_id=valve.id,
        name="set_position",
        params={"position_pct": 5},
        reason="x",
        now=start,
    )
    sent_at = start
    while True:  # sent, not answered, sent again until the attempts are used up
        due = commands.due(db, now=sent_at, channels=["mqtt"])
        if not due:
            break
        commands.mark_sent(due[0], now=sent_at)
        sent_at += dt.timedelta(seconds=command.retry_after_s)
    assert command.attempts == command.max_attempts and command.state == "sent"
    assert commands.expire(db, now=command.expires_at - dt.timedelta(seconds=1)) == 0
    assert commands.expire(db, now=command.expires_at) == 1
    assert command.state == "expired" and command.finished_at is not None


# -- over MQTT --------------------------------------------------------------------------------------------------------
@pytest.fixture
def committed(engine: Engine, world: World) -> Iterator[Callable[..., tuple[Device, str]]]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    made: list[int] = []

    def make(kind: str, protocol: str = "mqtt") -> tuple[Device, str]:
        with factory() as session, session.begin():
            set_actor(session, Actor("test"))
            device, token = add_device(session, world.a.park_id, kind, protocol=protocol)
        made.append(device.id)
        return device, token

    yield make
    with factory() as session, session.begin():
        set_actor(session, Actor("test"))
        session.execute(delete(DeviceCommand).where(DeviceCommand.device_id.in_(made)))
        session.execute(delete(Device).where(Device.id.in_(made)))


@pytest.fixture
def broker(engine: Engine, world: World) -> Iterator[tuple[IngestRuntime, CommandDispatcher]]:
    runtime = start_plan(IngestPlan(listen=("127.0.0.1", 0), batch_size=10))
    assert runtime.port
    user, password = service_credentials()
    dispatcher = CommandDispatcher("127.0.0.1", runtime.port, username=user, password=password).start()
    yield runtime, dispatcher
    dispatcher.stop()
    runtime.stop()


def device_client(
    port: int, token: str, pattern: str, on_message: Callable[[paho.Client, paho.MQTTMessage], None]
) -> paho.Client:
    subscribed = threading.Event()
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"dev-{uuid.uuid4().hex[:8]}")
    client.username_pw_set(token)
    client.on_subscribe = lambda *a: subscribed.set()
    client.on_message = lambda c, u, m: on_message(c, m)
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.subscribe(pattern, qos=1)
    assert subscribed.wait(5)
    return client


def send(engine: Engine, world: World, device_id: int, name: str, params: dict[str, object], **kw: object) -> int:
    """As a request does: a writing transaction (on SQLite it takes the write lock at its start; a deferred one
    that read before the dispatcher's commit — it wakes at once on the previous command — could not write)."""
    from digipark.core.db import transaction

    with transaction(write=True) as session:
        set_actor(session, Actor("op-a"))
        command = commands.create(
            session,
            scope=staff(world, "op-a"),
            device_id=device_id,
            name=name,
            params=params,
            reason="测试",
            **kw,  # type: ignore[arg-type]
        )
        return command.id


def state_of(engine: Engine, ident: int) -> DeviceCommand:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session:
        row = session.scalar(select(DeviceCommand).where(DeviceCommand.id == ident))
        assert row is not None
        return row


def wait_state(engine: Engine, ident: int, states: set[str], timeout: float = 15.0) -> DeviceCommand:
    deadline = time.monotonic() + timeout
    while True:
        row = state_of(engine, ident)
        if row.state in states or time.monotonic() > deadline:
            return row
        time.sleep(0.05)


def test_a_native_device_gets_its_command_and_its_answers_move_the_state(
    engine: Engine,
    world: World,
    broker: tuple[IngestRuntime, CommandDispatcher],
    committed: Callable[..., tuple[Device, str]],
) -> None:
    runtime, _dispatcher = broker
    assert runtime.port
    valve, token = committed("shutoff_valve")
    got: list[tuple[str, dict[str, object]]] = []

    def answer(client: paho.Client, message: paho.MQTTMessage) -> None:
        body = orjson.loads(message.payload)
        got.append((message.topic, body))
        reply = f"digipark/v1/{token}/reply/{body['id']}"
        client.publish(reply, orjson.dumps({"state": "delivered"}), qos=1)
        client.publish(reply, orjson.dumps({"state": "succeeded", "result": {"position_pct": 30}}), qos=1)

    client = device_client(runtime.port, token, f"digipark/v1/{token}/downlink/#", answer)
    try:
        ident = send(engine, world, valve.id, "set_position", {"position_pct": 30})
        row = wait_state(engine, ident, {"succeeded", "failed", "expired"})
    finally:
        client.disconnect()
        client.loop_stop()
    assert row.state == "succeeded" and row.result == {"position_pct": 30}
    assert row.delivered_at is not None and row.attempts == 1
    assert got == [
        (
            f"digipark/v1/{token}/downlink/command/{ident}",
            {
                "id": ident,
                "name": "set_position",
                "params": {"position_pct": 30},
                "expires_ms": got[0][1]["expires_ms"],
            },
        )
    ]


def test_a_thingsboard_device_gets_an_rpc_request_and_its_response_fails_or_succeeds_the_command(
    engine: Engine,
    world: World,
    broker: tuple[IngestRuntime, CommandDispatcher],
    committed: Callable[..., tuple[Device, str]],
) -> None:
    runtime, _dispatcher = broker
    assert runtime.port
    detector, token = committed("gas_detector", protocol="thingsboard")
    _other, other_token = committed("gas_detector", protocol="thingsboard")
    seen_by_other: list[str] = []
    requests: list[tuple[str, dict[str, object]]] = []

    def answer(client: paho.Client, message: paho.MQTTMessage) -> None:
        body = orjson.loads(message.payload)
        requests.append((message.topic, body))
        request_id = message.topic.rsplit("/", 1)[1]
        outcome = {"ok": True} if body["method"] == "self_test" else {"error": "buzzer broken"}
        client.publish(f"v1/devices/me/rpc/response/{request_id}", orjson.dumps(outcome), qos=1)

    client = device_client(runtime.port, token, "v1/devices/me/rpc/request/+", answer)
    snoop = device_client(
        runtime.port, other_token, "v1/devices/me/rpc/request/+", lambda c, m: seen_by_other.append(m.topic)
    )
    try:
        ok = send(engine, world, detector.id, "self_test", {})
        bad = send(engine, world, detector.id, "silence_buzzer", {})
        ok_row = wait_state(engine, ok, {"succeeded", "failed", "expired"})
        bad_row = wait_state(engine, bad, {"succeeded", "failed", "expired"})
    finally:
        for c in (client, snoop):
            c.disconnect()
            c.loop_stop()
    assert sorted(topic for topic, _ in requests) == sorted(
        [f"v1/devices/me/rpc/request/{ok}", f"v1/devices/me/rpc/request/{bad}"]
    )
    assert {"method": "self_test", "params": {}} in [body for _, body in requests]
    assert ok_row.state == "succeeded" and ok_row.result == {"ok": True}
    assert bad_row.state == "failed" and bad_row.error == "buzzer broken"
    assert seen_by_other == []  # another device's RPC never reaches it


def test_a_command_to_a_device_that_never_answers_expires(
    engine: Engine,
    world: World,
    broker: tuple[IngestRuntime, CommandDispatcher],
    committed: Callable[..., tuple[Device, str]],
) -> None:
    valve, _token = committed("shutoff_valve")  # not connected
    spec_timeout = 120
    ident = send(
        engine,
        world,
        valve.id,
        "set_position",
        {"position_pct": 10},
        now=utcnow() - dt.timedelta(seconds=spec_timeout - 1),
    )
    row = wait_state(engine, ident, {"expired", "succeeded", "failed"})
    assert row.state == "expired" and row.attempts >= 1 and row.finished_at is not None
