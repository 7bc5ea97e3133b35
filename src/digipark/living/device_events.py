"""Gates, vehicles and cameras over MQTT: the living services' consumer of devices' events.

A device publishes JSON to its events topic `digipark/v1/<its token>/events` (telemetry's ACL lets only that
device publish there, `telemetry.provides.DEVICE_EVENTS_FILTER`); `type` says what it is and the rest is the body of
the matching HTTP route:

| `type`     | body (schema)               | as                                   | the device's code is   |
|------------|-----------------------------|--------------------------------------|------------------------|
| `gate`     | `GateEvent` without `gate`  | `POST /api/v1/living/gate-events`    | the gate               |
| `progress` | `Progress` without `vehicle`| `POST /api/v1/living/progress`       | the vehicle            |
| `security` | `SecurityEventCreate` without `source` | `POST /api/v1/living/security-events` | the camera / NVR |

The consumer (`start_device_events`, a background service of the record: it runs where readings are stored)
subscribes with the platform's account (`telemetry.provides.event_broker`), resolves the token to the device and its
park, and calls the same service in a write transaction of its own, as the device (audited as `device:<code>`). A
device may name itself (`gate`, `vehicle`, `source` equal to its code) but never another. What it sent is answered on
its downlink `digipark/v1/<token>/downlink/events` (`{"ok": true, "type": ..., "result": ...}`, a gate's decision in
it; or `{"ok": false, "error": ...}`), so a gate knows whether to open.
"""

from __future__ import annotations

import collections
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

import orjson
import paho.mqtt.client as paho
import pydantic
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit.service import Actor, set_actor
from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.background import Handle, SharedService
from digipark.core.db import transaction
from digipark.core.errors import DomainError
from digipark.living import delivery, schemas, security, service
from digipark.living.visitors import GATE, MANAGE
from digipark.registry.device_tokens import token_digest
from digipark.registry.models import Device, DeviceStatus
from digipark.telemetry.provides import DEVICE_EVENTS_FILTER, EventBroker, event_broker, token_of_events_topic

log = logging.getLogger("digipark.living.device_events")

REPLY_SUFFIX = "events"
WAIT_FOR_BROKER_S = 0.5
# the device's code goes into this field of each type's body
KINDS: dict[str, tuple[type[pydantic.BaseModel], str]] = {
    "gate": (schemas.GateEvent, "gate"),
    "progress": (schemas.Progress, "vehicle"),
    "security": (schemas.SecurityEventCreate, "source"),
}


class Refused(Exception):
    """An event that is not acted on (unknown device, bad body): answered to the device and logged."""


def device_scope(device: Device) -> Scope:
    """What a device may do through its events, in its own park only: what a gate's or a vehicle's service account
    does over HTTP (report at gates, vehicles' progress, security events and their security work orders)."""
    return Scope(
        role=Role.OPERATOR,
        username=f"device:{device.code}",
        park_id=device.park_id,
        read_parks=frozenset({device.park_id}),
        permissions=frozenset({GATE, MANAGE, "workorders.report", "workorders.handle"}),
    )


def device_of_token(session: Session, token: str) -> Device | None:
    """The device holding `token` (by its digest), unless it is retired."""
    device = session.scalar(select(Device).where(Device.token_hash == token_digest(token)))
    return None if device is None or device.status == DeviceStatus.RETIRED.value else device


def handle(session: Session, token: str, payload: bytes) -> tuple[str, dict[str, Any]]:
    """Act on one event of the device holding `token`: (its type, the answer's result); raises Refused or the
    service's DomainError (bad input: nothing is changed)."""
    device = device_of_token(session, token)
    if device is None:
        raise Refused("unknown or retired device")
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise Refused("not JSON") from None
    if not isinstance(body, dict) or body.get("type") not in KINDS:
        raise Refused(f"a JSON object with a type of {', '.join(KINDS)}")
    kind = body.pop("type")
    schema, own_field = KINDS[kind]
    if body.get(own_field, device.code) != device.code:
        raise Refused(f"{own_field}: a device reports only as itself ({device.code})")
    body[own_field] = device.code
    try:
        data = schema.model_validate(body)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        raise Refused(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    set_actor(session, Actor(f"device:{device.code}", role="device"))
    scope = device_scope(device)
    if isinstance(data, schemas.GateEvent):
        return kind, service.gate_event(session, scope=scope, event=data).model_dump(mode="json")
    if isinstance(data, schemas.Progress):
        vehicle = delivery.progress(session, scope=scope, data=data)
        seen = vehicle.last_seen_at.isoformat() if vehicle.last_seen_at else None
        return kind, {"vehicle_id": vehicle.id, "last_seen_at": seen}
    assert isinstance(data, schemas.SecurityEventCreate)
    event = security.report_event(session, scope=scope, data=data)
    return kind, {"event_id": event.id, "work_order_id": event.work_order_id}


def process(token: str, payload: bytes) -> dict[str, Any]:
    """One event in a write transaction of its own; the answer to send to the device."""
    try:
        with transaction(write=True, name="living device event") as session:
            kind, result = handle(session, token, payload)
        return {"ok": True, "type": kind, "result": result}
    except (Refused, DomainError) as exc:
        return {"ok": False, "error": str(exc)}


class DeviceEventConsumer:
    """Subscribes to the devices' events topic once a broker is known, and acts on each event in one worker thread."""

    def __init__(self, find_broker: Callable[[], EventBroker | None] = event_broker) -> None:
        self.find_broker = find_broker
        self.broker: EventBroker | None = None
        self.client: paho.Client | None = None
        self.inbox: collections.deque[tuple[str, bytes]] = collections.deque()
        self.handled = 0
        self.refused = 0
        self.subscribed = threading.Event()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="digipark-living-device-events", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
        if self.client is not None:
            self.client.disconnect()
            self.client.loop_stop()

    def _connect(self, broker: EventBroker) -> None:
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"digipark-living-events-{uuid.uuid4().hex[:8]}")
        if broker.username is not None:
            client.username_pw_set(broker.username, broker.password)
        client.on_connect = lambda c, u, f, reason, p=None: c.subscribe(DEVICE_EVENTS_FILTER, qos=1)
        client.on_subscribe = lambda *a: self.subscribed.set()
        client.on_message = self._on_message
        client.connect_async(broker.host, broker.port)
        client.loop_start()  # reconnects by itself (and subscribes again on each connect)
        self.broker, self.client = broker, client
        log.info("living: device events from %s:%d", broker.host, broker.port)

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        self.inbox.append((message.topic, bytes(message.payload)))
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set() and self.client is None:
            broker = self.find_broker()
            if broker is not None:
                self._connect(broker)
            else:
                self._stop.wait(WAIT_FOR_BROKER_S)  # the embedded broker starts after the background services
        while not self._stop.is_set():
            self._wake.wait(1.0)
            self._wake.clear()
            while self.inbox:
                topic, payload = self.inbox.popleft()
                try:
                    self.run_one(topic, payload)
                except Exception:
                    log.exception("living: a device event failed")

    def run_one(self, topic: str, payload: bytes) -> None:
        token = token_of_events_topic(topic)
        if token is None:
            return
        answer = process(token, payload)
        if answer["ok"]:
            self.handled += 1
        else:
            self.refused += 1
            log.warning("living: a device event was refused: %s", answer["error"])
        if self.client is not None and self.broker is not None:
            self.client.publish(self.broker.downlink_topic(token, REPLY_SUFFIX), orjson.dumps(answer), qos=1)


_consumer: SharedService[DeviceEventConsumer] = SharedService(DeviceEventConsumer)


def start_device_events() -> Handle[DeviceEventConsumer]:
    """Start the process's consumer of devices' events (or join the running one)."""
    return _consumer.acquire()


def running_consumer() -> DeviceEventConsumer | None:
    return _consumer.running
