"""The embedded MQTT broker and the packet codec: real sockets, paho-mqtt as the other side."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
import uuid
from typing import Any

import paho.mqtt.client as paho
import pytest

from digipark.telemetry import mqtt
from digipark.telemetry.broker import EmbeddedBroker, is_telemetry_topic
from digipark.telemetry.broker_access import BrokerAccess, DeviceIdentity
from digipark.telemetry.mqtt import MqttSubscriber, parse_packets, topic_matches

SERVICE = ("svc", "svc-password")
DEVICES = {"tok-1": DeviceIdentity(1, gateway=False), "tok-9": DeviceIdentity(9, gateway=False)}


def static_access() -> BrokerAccess:
    """The broker's rules over a fixed set of device tokens (no database)."""
    return BrokerAccess(service_user=SERVICE[0], service_password=SERVICE[1], lookup_device=DEVICES.get)


class BrokerThread:
    """An EmbeddedBroker in a thread of its own; telemetry publishes are recorded, acked on request."""

    def __init__(self, *, max_packet_bytes: int | None = None) -> None:
        self.received: list[tuple[str, str | None, bytes, Any]] = []
        self.loop = asyncio.new_event_loop()
        self.broker = EmbeddedBroker(self._on_telemetry, access=static_access(), max_packet_bytes=max_packet_bytes)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def _on_telemetry(
        self, topics: list[str], username: str | None, payloads: list[bytes], tokens: list[Any], received_ms: int
    ) -> bool:
        self.received.extend((t, username, p, k) for t, p, k in zip(topics, payloads, tokens, strict=True))
        return True

    def __enter__(self) -> BrokerThread:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.broker.start("127.0.0.1", 0), self.loop).result(5)
        return self

    def ack_all(self) -> None:
        tokens = [k for *_, k in self.received]
        self.loop.call_soon_threadsafe(self.broker.ack, tokens)

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.broker.stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def wait_for(condition: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


def raw_client(port: int, *, keepalive: int = 60, username: str | None = "tok-1") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(mqtt.connect_packet(f"raw-{uuid.uuid4().hex[:6]}", keepalive=keepalive, username=username))
    assert sock.recv(4) == b"\x20\x02\x00\x00"
    return sock


def test_a_qos1_telemetry_publish_is_acknowledged_only_when_the_runner_says_so() -> None:
    with BrokerThread() as broker:
        sock = raw_client(broker.broker.port, username="tok-1")
        sock.sendall(mqtt.publish_packet("v1/devices/me/telemetry", b'{"a":1}', qos=1, packet_id=77))
        assert wait_for(lambda: len(broker.received) == 1)
        topic, username, payload, _ = broker.received[0]
        assert (topic, username, payload) == ("v1/devices/me/telemetry", "tok-1", b'{"a":1}')
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(4)  # no PUBACK before the commit
        broker.ack_all()
        sock.settimeout(5)
        assert sock.recv(4) == b"\x40\x02" + struct.pack("!H", 77)
        sock.close()


def test_subscribers_with_wildcards_see_publishes_and_other_topics_are_acked_at_once() -> None:
    with BrokerThread() as broker:
        got: list[tuple[str, bytes]] = []
        watcher = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="watcher")
        watcher.username_pw_set(*SERVICE)
        watcher.on_message = lambda c, u, m: got.append((m.topic, m.payload))
        watcher.connect("127.0.0.1", broker.broker.port)
        watcher.loop_start()
        subscribed = threading.Event()
        watcher.on_subscribe = lambda *a: subscribed.set()
        watcher.subscribe([("digipark/v1/+/telemetry", 1), ("other/#", 0)])
        assert subscribed.wait(5)

        device = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="device")
        device.username_pw_set(*SERVICE)  # a service account may publish anywhere
        device.connect("127.0.0.1", broker.broker.port)
        device.loop_start()
        info = device.publish("other/a/b", b"x", qos=1)
        info.wait_for_publish(5)
        assert info.is_published()  # not telemetry: acknowledged by the broker itself
        device.publish("digipark/v1/tok-9/telemetry", b'{"ts":1,"values":{}}', qos=0).wait_for_publish(5)
        device.publish("nothing/here", b"y", qos=0).wait_for_publish(5)
        assert wait_for(lambda: len(got) == 2)
        assert got == [("other/a/b", b"x"), ("digipark/v1/tok-9/telemetry", b'{"ts":1,"values":{}}')]
        # subscribers get the copy while the packet is parsed, the telemetry hand-off comes after the read
        assert wait_for(lambda: len(broker.received) == 1)
        assert [t for t, *_ in broker.received] == ["digipark/v1/tok-9/telemetry"]
        for client in (watcher, device):
            client.disconnect()
            client.loop_stop()


def test_ping_and_keepalive_timeout() -> None:
    with BrokerThread() as broker:
        sock = raw_client(broker.broker.port, keepalive=1)
        sock.sendall(mqtt.PINGREQ_PACKET)
        assert sock.recv(2) == mqtt.PINGRESP_PACKET
        sock.settimeout(10)
        assert sock.recv(1) == b""  # silent past 1.5 × keep-alive: the broker closes the connection
        sock.close()


def test_a_client_that_does_not_start_with_connect_is_dropped() -> None:
    with BrokerThread() as broker:
        sock = socket.create_connection(("127.0.0.1", broker.broker.port), timeout=5)
        sock.sendall(mqtt.publish_packet("digipark/v1/x/telemetry", b"{}", qos=0))
        assert sock.recv(1) == b""
        sock.close()
        assert broker.received == []


def test_parse_packets_across_arbitrary_splits() -> None:
    stream = b"".join(
        [
            mqtt.publish_packet("a/b", b"x" * 300, qos=1, packet_id=1),  # two-byte remaining length
            mqtt.PINGRESP_PACKET,
            mqtt.publish_packet("c", b"", qos=0),
            mqtt.publish_packet("d", b"y" * 20000, qos=1, packet_id=65535),  # three bytes
        ]
    )
    for step in (1, 2, 3, 7, 128, len(stream)):
        buf = bytearray()
        seen: list[tuple[int, bytes]] = []

        def handle(first: int, body: memoryview, seen: list[tuple[int, bytes]] = seen) -> None:
            seen.append((first, bytes(body)))

        for start in range(0, len(stream), step):
            buf += stream[start : start + step]
            used = parse_packets(buf, handle)
            del buf[:used]
        assert not buf
        assert [first >> 4 for first, _ in seen] == [mqtt.PUBLISH, mqtt.PINGRESP, mqtt.PUBLISH, mqtt.PUBLISH]
        assert mqtt.split_publish(*_view(seen[0])) == (b"a/b", 1, b"x" * 300)
        assert mqtt.split_publish(*_view(seen[2])) == (b"c", 0, b"")
        assert mqtt.split_publish(*_view(seen[3])) == (b"d", 65535, b"y" * 20000)


def _view(item: tuple[int, bytes]) -> tuple[int, memoryview]:
    return item[0], memoryview(item[1])


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        ("digipark/v1/+/telemetry", "digipark/v1/abc/telemetry", True),
        ("digipark/v1/+/telemetry", "digipark/v1/abc/other", False),
        ("digipark/v1/+/telemetry", "digipark/v1/a/b/telemetry", False),
        ("#", "a/b/c", True),
        ("#", "$SYS/broker", False),
        ("a/#", "a", True),
        ("a/#", "a/b/c", True),
        ("+/+", "a/b", True),
        ("+", "a/b", False),
        ("a/b", "a/b", True),
    ],
)
def test_topic_matching(pattern: str, topic: str, expected: bool) -> None:
    assert topic_matches(pattern, topic) is expected


def test_telemetry_topics() -> None:
    assert is_telemetry_topic("digipark/v1/tok/telemetry")
    assert is_telemetry_topic("v1/devices/me/telemetry")
    assert is_telemetry_topic("v1/gateway/telemetry")
    assert not is_telemetry_topic("digipark/v1//telemetry")
    assert not is_telemetry_topic("digipark/v1/tok/attributes")


def test_remaining_length_encoding() -> None:
    assert mqtt.encode_length(0) == b"\x00"
    assert mqtt.encode_length(127) == b"\x7f"
    assert mqtt.encode_length(128) == b"\x80\x01"
    assert mqtt.encode_length(16383) == b"\xff\x7f"
    assert mqtt.encode_length(268_435_455) == b"\xff\xff\xff\x7f"
    with pytest.raises(ValueError):
        mqtt.encode_length(268_435_456)


def test_backoff_is_capped_and_jittered() -> None:
    delays = [mqtt.backoff_delay(attempt, base=0.5, cap=30.0) for attempt in range(40)]
    assert all(0 < d <= 30.0 for d in delays)
    assert delays[0] <= 0.5
    assert max(delays[20:]) > 10  # grows to the cap


def test_acks_of_an_older_connection_are_not_sent() -> None:
    sent: list[bytes] = []

    class Transport:
        def is_closing(self) -> bool:
            return False

        def write(self, data: bytes) -> None:
            sent.append(data)

    async def check() -> None:
        subscriber = MqttSubscriber("mqtt://127.0.0.1:1", lambda *a: True, client_id="x")
        conn = mqtt._Connection(subscriber, generation=3)
        conn.transport = Transport()  # type: ignore[assignment]
        subscriber._conn = conn
        subscriber.ack([(3 << 16) | 5, (2 << 16) | 6, (3 << 16) | 7, -1])

    asyncio.run(check())
    assert sent == [mqtt.puback_packets([5, 7])]
    assert sent[0] == b"\x40\x02\x00\x05\x40\x02\x00\x07"
