"""The command dispatcher: sends queued commands to devices over MQTT and reads their answers.

It connects to the embedded broker as a service account, or to Mosquitto with the plugin
deploy/mosquitto/digipark_topics.c as the platform's user, and publishes on the platform's names of a device's
downlink (`digipark/d/<token digest>/downlink/command/<id>` for native devices, `.../rpc/request/<id>` for
ThingsBoard-format ones); either broker delivers them under the device's own names (`telemetry.broker_access`;
docs/devices.md, "Through Mosquitto"). Answers come back on `digipark/d/<digest>/reply/<id>` and
`.../rpc/response/<id>`. One thread does the database work, in a writing transaction only when there is work
(answers, due or overdue commands: looked at in a reading one every `interval_s`): answers first, then due commands
(queued, or sent without an answer for `retry_after_s`: sent again, up to `max_attempts`), then expiry. A commit in
this process that adds or changes a command or a shared attribute wakes the dispatchers of the process at once; the
reading every `interval_s` finds what other processes queued, retries and expiries. A command is marked sent
and committed before it is published, so an answer never finds it still queued. Shared attributes that changed
(devices/attributes.py) go out the same way, and a ThingsBoard device's attribute request
(`digipark/d/<digest>/attributes/request/<id>`) is answered on `.../attributes/response/<id>`; a device that
subscribes to its attributes (`digipark/d/<digest>/attributes/wanted`, from the broker) is sent all of them.
ThingsBoard's MQTT provisioning requests (`digipark/provision/<connection>/request`) are answered on
`digipark/provision/<connection>/response` (devices/provisioning.py), after the device is committed. A device's
claim secret (`digipark/d/<digest>/claim`, device-side claiming) is stored as its digest (devices/claims.py).
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import threading
import uuid
import weakref
from typing import Any

import orjson
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

from digipark.audit.service import Actor, set_actor
from digipark.core.db import transaction, utcnow
from digipark.devices import attributes, claims, commands, provisioning
from digipark.devices.attribute_models import DeviceSharedAttribute
from digipark.devices.models import Channel, DeviceCommand
from digipark.registry.models import Device

log = logging.getLogger("digipark.devices.dispatcher")

ROOT = "digipark/d/"
PROVISION_ROOT = "digipark/provision/"
ACTOR = Actor("command-dispatcher")
CHANNELS = (Channel.MQTT.value, Channel.THINGSBOARD.value)
INTERVAL_S = 1.0  # how often a dispatcher looks for work no commit of its own process told it about
_WORK_FLUSHED = "digipark.device_work_flushed"
_running: weakref.WeakSet[CommandDispatcher] = weakref.WeakSet()


@orm_event.listens_for(Session, "after_flush")
def _note_device_work(session: Session, _context: Any) -> None:
    touched = (*session.new, *session.dirty)
    if any(isinstance(row, DeviceCommand | DeviceSharedAttribute) for row in touched):
        session.info[_WORK_FLUSHED] = True


@orm_event.listens_for(Session, "after_commit")
def _wake_on_device_work(session: Session) -> None:
    if session.info.pop(_WORK_FLUSHED, False):
        for dispatcher in list(_running):
            dispatcher.wake()


@orm_event.listens_for(Session, "after_rollback")
def _forget_device_work(session: Session) -> None:
    session.info.pop(_WORK_FLUSHED, None)


def downlink_topic(command: DeviceCommand, digest: str) -> str:
    if command.channel == Channel.THINGSBOARD.value:
        return f"{ROOT}{digest}/rpc/request/{command.id}"
    return f"{ROOT}{digest}/downlink/command/{command.id}"


def parse_answer_topic(topic: str) -> tuple[str, int, bool] | None:
    """(token digest, command id, is a ThingsBoard response) of an answer topic."""
    parts = topic.split("/")
    if len(parts) == 5 and parts[:2] == ["digipark", "d"] and parts[3] == "reply" and parts[4].isdigit():
        return parts[2], int(parts[4]), False
    if len(parts) == 6 and parts[:2] == ["digipark", "d"] and parts[3:5] == ["rpc", "response"] and parts[5].isdigit():
        return parts[2], int(parts[5]), True
    return None


def _provision(session: Any, topic: str, payload: bytes) -> tuple[str, bytes]:
    """The answer to a provisioning request over MQTT, on the asking connection's response topic."""
    connection = topic[len(PROVISION_ROOT) :].split("/", 1)[0]
    set_actor(session, Actor("MQTT provisioning"))
    try:
        body = provisioning.answer(session, payload)
    finally:
        set_actor(session, ACTOR)
    return f"{PROVISION_ROOT}{connection}/response", orjson.dumps(body)


class CommandDispatcher:
    def __init__(self, host: str, port: int, *, username: str, password: str, interval_s: float = INTERVAL_S) -> None:
        self.host, self.port = host, port
        self.interval_s = interval_s
        self.answers: collections.deque[tuple[str, bytes, dt.datetime]] = collections.deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._subscribed = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0
        self.answered = 0
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"digipark-commands-{uuid.uuid4().hex[:8]}")
        client.username_pw_set(username, password)
        client.on_connect = self._on_connect
        client.on_subscribe = lambda *a: self._subscribed.set()
        client.on_message = self._on_message
        self.client = client

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, reason: Any, props: Any = None) -> None:
        client.subscribe(
            [
                (f"{ROOT}+/reply/+", 1),
                (f"{ROOT}+/rpc/response/+", 1),
                (f"{ROOT}+/attributes/request/+", 1),
                (f"{ROOT}+/attributes/wanted", 1),
                (f"{ROOT}+/claim", 1),
                (f"{PROVISION_ROOT}+/request", 1),
            ]
        )

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        self.answers.append((message.topic, bytes(message.payload), utcnow()))
        self._wake.set()

    def start(self, timeout: float = 10.0) -> CommandDispatcher:
        self.client.connect(self.host, self.port)
        self.client.loop_start()
        if not self._subscribed.wait(timeout):
            raise TimeoutError("the command dispatcher could not subscribe to the answers")
        self._thread = threading.Thread(target=self._loop, name="digipark-command-dispatcher", daemon=True)
        self._thread.start()
        _running.add(self)
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        _running.discard(self)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
        self.client.disconnect()
        self.client.loop_stop()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            try:
                self.run_once()
            except Exception:
                log.exception("devices: command dispatch failed")

    def run_once(self, now: dt.datetime | None = None) -> None:
        now = now or utcnow()
        answers = []
        while self.answers:
            answers.append(self.answers.popleft())
        outgoing: list[tuple[str, bytes]] = []
        if all(attributes.wanted_by(topic) for topic, _, _ in answers):  # nothing to write unless looked at
            with transaction(name="command dispatch check") as session:
                answers = [a for a in answers if attributes.has_any(session, attributes.wanted_by(a[0]) or "")]
                if (
                    not answers
                    and not commands.work_waiting(session, now=now, channels=CHANNELS)
                    and not attributes.waiting(session)
                ):
                    return
        with transaction(write=True, name="command dispatch") as session:
            set_actor(session, ACTOR)
            for topic, payload, at in answers:
                if topic.startswith(PROVISION_ROOT):
                    outgoing.append(_provision(session, topic, payload))
                    continue
                if topic.endswith("/claim"):
                    set_actor(session, Actor("device claiming"))
                    try:
                        claims.device_secret_from_mqtt(session, topic, payload, now=at)
                    finally:
                        set_actor(session, ACTOR)
                    continue
                asked = attributes.answer_request(session, topic, payload) or attributes.resend(session, topic, now=at)
                if asked is not None:
                    outgoing.append(asked)
                    continue
                parsed = parse_answer_topic(topic)
                if parsed is None:
                    continue
                digest, ident, thingsboard = parsed
                command = commands.command_of_device(session, token_hash=digest, ident=ident)
                if command is None:
                    log.info("devices: an answer to command %d that is not the device's", ident)
                    continue
                try:
                    answer = orjson.loads(payload) if payload else {}
                except orjson.JSONDecodeError:
                    answer = {"error": "unreadable answer"} if thingsboard else None
                if commands.apply_answer(command, answer, thingsboard=thingsboard, now=at):
                    self.answered += 1
            for command in commands.due(session, now=now, channels=CHANNELS):
                device = session.get(Device, command.device_id)
                if device is None:
                    continue
                commands.mark_sent(command, now=now)
                body = commands.rpc_body(command) if command.channel == Channel.THINGSBOARD.value else None
                body = body or commands.request_body(command)
                outgoing.append((downlink_topic(command, device.token_hash), orjson.dumps(body)))
            commands.expire(session, now=now)
            outgoing.extend(attributes.due(session, now=now))
        for topic, payload in outgoing:
            self.client.publish(topic, payload, qos=1)
            self.sent += 1
