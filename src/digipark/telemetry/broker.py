"""A minimal embedded MQTT 3.1.1 broker (asyncio), used when no external broker is configured.

It speaks what devices and `mosquitto_pub`/`mosquitto_sub` need: CONNECT (the user name is the device token, or
a service account's name with its password; who may connect, publish and subscribe: `telemetry.broker_access`),
PUBLISH at QoS 0 and 1, PUBACK, SUBSCRIBE/SUBACK with `+` and `#`, UNSUBSCRIBE, PINGREQ, DISCONNECT and the
keep-alive timeout. Sessions are not kept across connections (a clean session is granted to everyone).

Every publish to a telemetry topic is handed to `on_telemetry(topic, username, payload, token, received_ms)`
together with the publisher's user name — the one way ThingsBoard-format devices (`v1/devices/me/telemetry`,
user name = token) can be identified: an external broker does not tell its subscribers who published. A QoS 1
publish to a telemetry topic is acknowledged (PUBACK) only when the ingest runner says its batch is committed
(`ack(tokens)`), so a publisher that gets its PUBACK knows the reading is stored. Publishes are also passed on,
at QoS 0, to matching subscribers, so a service account's `mosquitto_sub -t '#'` can watch the traffic. A refused
publish is acknowledged (as Mosquitto does for MQTT 3.1.1 clients) and dropped; a refused subscription gets the
SUBACK failure code 0x80; a packet larger than `max_packet_bytes` closes the connection before it is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from collections.abc import Callable
from typing import Any

from digipark.telemetry.broker_access import (
    BrokerAccess,
    Principal,
    Refusal,
    attributes_wanted,
    platform_filter,
    uplink_topic,
)
from digipark.telemetry.mqtt import (
    CONNECT,
    DISCONNECT,
    GATEWAY_TOPIC,
    PINGREQ,
    PINGRESP_PACKET,
    PUBACK,
    PUBLISH,
    PUBREL,
    SUBACK,
    SUBSCRIBE,
    THINGSBOARD_TOPIC,
    UNSUBACK,
    UNSUBSCRIBE,
    PacketTooLarge,
    ProtocolError,
    packet,
    parse_packets,
    puback_packets,
    publish_packet,
    topic_matches,
)

log = logging.getLogger("digipark.telemetry.broker")

# The telemetry publishes of one read from a client: (topics, username, payloads, ack tokens, received_ms);
# returns False when the receiver is full (the broker then stops reading that client).
OnTelemetry = Callable[[list[str], str | None, list[bytes], list[Any], int], bool]

CONNACK_ACCEPTED = b"\x20\x02\x00\x00"
CONNACK_IDENTIFIER_REJECTED = b"\x20\x02\x00\x02"
CONNACK_BAD_CREDENTIALS = b"\x20\x02\x00\x04"
CONNACK_NOT_AUTHORISED = b"\x20\x02\x00\x05"


def is_telemetry_topic(topic: str) -> bool:
    """digipark/v1/<token>/telemetry, v1/devices/me/telemetry or v1/gateway/telemetry."""
    if topic in (THINGSBOARD_TOPIC, GATEWAY_TOPIC):
        return True
    parts = topic.split("/")
    return (
        len(parts) == 4 and parts[0] == "digipark" and parts[1] == "v1" and parts[3] == "telemetry" and bool(parts[2])
    )


def _read_string(body: memoryview, pos: int) -> tuple[str, int]:
    length = (body[pos] << 8) | body[pos + 1]
    end = pos + 2 + length
    if end > len(body):
        raise ProtocolError("string runs past the packet")
    return bytes(body[pos + 2 : end]).decode("utf-8"), end


class _Client(asyncio.Protocol):
    def __init__(self, broker: EmbeddedBroker) -> None:
        self.broker = broker
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.client_id = ""
        self.username: str | None = None
        self.principal: Principal | None = None
        self.connected = False
        self.keepalive = 0
        self.last_seen = time.monotonic()
        self.subscriptions: dict[str, int] = {}
        self.views: dict[str, tuple[str, str]] = {}  # a renamed subscription: (platform prefix, device's prefix)
        self.paused = False
        self.peer = ""
        self._topics: list[str] = []
        self._payloads: list[bytes] = []
        self._tokens: list[Any] = []

    # transport callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.broker.clients.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.broker.clients.discard(self)
        self.broker.unsubscribe_all(self)

    def data_received(self, data: bytes) -> None:
        self.last_seen = time.monotonic()
        buf = self.buf
        buf += data
        try:
            used = parse_packets(buf, self._packet, self.broker.max_packet_bytes)
        except PacketTooLarge as exc:
            self.broker.access.refuse(Refusal.PACKET_SIZE, self._who(), str(exc))
            self.abort()
            return
        except Exception as exc:
            log.info("closing MQTT client %s (%s): %s", self.client_id or "?", self.peer, exc)
            self.abort()
            return
        if used:
            del buf[:used]
        if self._topics:
            topics, payloads, tokens = self._topics, self._payloads, self._tokens
            self._topics, self._payloads, self._tokens = [], [], []
            accepted = self.broker.on_telemetry(topics, self.username, payloads, tokens, time.time_ns() // 1_000_000)
            if not accepted and not self.paused and self.transport is not None:
                self.paused = True
                self.transport.pause_reading()
                self.broker.paused.add(self)

    # packets

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _who(self) -> str:
        return f"client {self.client_id or '?'} ({self.peer})"

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def _packet(self, first: int, body: memoryview) -> None:
        kind = first >> 4
        if not self.connected and kind != CONNECT:
            raise ProtocolError("first packet is not CONNECT")
        if kind == PUBLISH:
            self._publish(first, body)
        elif kind == CONNECT:
            self._connect(body)
        elif kind == PINGREQ:
            self.write(PINGRESP_PACKET)
        elif kind == SUBSCRIBE:
            self._subscribe(body)
        elif kind == UNSUBSCRIBE:
            self._unsubscribe(body)
        elif kind == DISCONNECT:
            if self.transport is not None:
                self.transport.close()
        elif kind in (PUBACK, PUBREL):
            if kind == PUBREL:  # QoS 2 is not granted; complete the handshake anyway
                self.write(struct.pack("!BBH", 0x70, 2, (body[0] << 8) | body[1]))
        else:
            raise ProtocolError(f"unsupported packet type {kind}")

    def _connect(self, body: memoryview) -> None:
        if self.connected:
            raise ProtocolError("second CONNECT")
        protocol, pos = _read_string(body, 0)
        level = body[pos]
        flags = body[pos + 1]
        self.keepalive = (body[pos + 2] << 8) | body[pos + 3]
        pos += 4
        if protocol not in ("MQTT", "MQIsdp") or level not in (3, 4):
            self.write(b"\x20\x02\x00\x01")  # unacceptable protocol version
            raise ProtocolError(f"protocol {protocol!r} level {level}")
        self.client_id, pos = _read_string(body, pos)
        if flags & 0x04:  # will topic and message: read and ignore
            _, pos = _read_string(body, pos)
            length = (body[pos] << 8) | body[pos + 1]
            pos += 2 + length
        if flags & 0x80:
            self.username, pos = _read_string(body, pos)
        password = None
        if flags & 0x40:
            length = (body[pos] << 8) | body[pos + 1]
            password = bytes(body[pos + 2 : pos + 2 + length])
        access = self.broker.access
        self.principal = access.authenticate(self.username, password)
        if self.principal is None:
            reason = "anonymous" if not self.username else "bad user name or password"
            access.refuse(Refusal.CONNECT, self._who(), reason)
            self.write(CONNACK_NOT_AUTHORISED if not self.username else CONNACK_BAD_CREDENTIALS)
            raise ProtocolError("not authorised")
        if not self.broker.take_over(self):
            access.refuse(Refusal.CLIENT_ID, self._who(), "the client id is connected under another user name")
            self.write(CONNACK_IDENTIFIER_REJECTED)
            raise ProtocolError("client id taken by another user")
        self.connected = True
        self.write(CONNACK_ACCEPTED)

    def _publish(self, first: int, body: memoryview) -> None:
        qos = (first >> 1) & 0x03
        topic_len = (body[0] << 8) | body[1]
        start = 2 + topic_len
        topic = bytes(body[2:start]).decode("utf-8")
        if qos:
            pid = (body[start] << 8) | body[start + 1]
            payload = bytes(body[start + 2 :])
        else:
            pid = 0
            payload = bytes(body[start:])
        if qos == 2:
            raise ProtocolError("QoS 2 is not supported")
        broker = self.broker
        assert self.principal is not None  # connected
        if not broker.access.may_publish(self.principal, topic):
            broker.access.refuse(Refusal.PUBLISH, f"{self._who()} as {self.principal.kind.value}", "not its topic")
            if qos:
                self.write(struct.pack("!BBH", 0x40, 2, pid))
            return
        reply = uplink_topic(self.principal, topic)
        if reply is not None:  # a device's answer to a command, under the platform's name for it
            if broker.subscribers:
                broker.fan_out(reply, payload)
            if qos:
                self.write(struct.pack("!BBH", 0x40, 2, pid))
            return
        if broker.subscribers:
            broker.fan_out(topic, payload)
        if is_telemetry_topic(topic):
            self._topics.append(topic)
            self._payloads.append(payload)
            self._tokens.append((self, pid) if qos else None)
        elif qos:
            self.write(struct.pack("!BBH", 0x40, 2, pid))

    def _subscribe(self, body: memoryview) -> None:
        pid = (body[0] << 8) | body[1]
        pos = 2
        granted = bytearray()
        added: list[str] = []
        while pos < len(body):
            pattern, pos = _read_string(body, pos)
            pos += 1  # requested QoS: we deliver at QoS 0
            if not pattern or ("#" in pattern and not pattern.endswith("#")):
                granted.append(0x80)
                continue
            assert self.principal is not None  # connected
            if not self.broker.access.may_subscribe(self.principal, pattern):
                self.broker.access.refuse(Refusal.SUBSCRIBE, self._who(), f"filter {pattern!r}")
                granted.append(0x80)
                continue
            internal, view = platform_filter(self.principal, pattern)
            self.subscriptions[internal] = 0
            added.append(internal)
            if view is not None:
                self.views[internal] = view
            self.broker.subscribers.add(self)
            granted.append(0)
        self.write(packet(SUBACK << 4, struct.pack("!H", pid) + bytes(granted)))
        wanted = attributes_wanted(self.principal, added) if self.principal is not None else None
        if wanted is not None and self.broker.subscribers:
            self.broker.fan_out(wanted, b"")

    def _unsubscribe(self, body: memoryview) -> None:
        pid = (body[0] << 8) | body[1]
        pos = 2
        while pos < len(body):
            pattern, pos = _read_string(body, pos)
            if self.principal is not None:
                pattern = platform_filter(self.principal, pattern)[0]
            self.subscriptions.pop(pattern, None)
            self.views.pop(pattern, None)
        if not self.subscriptions:
            self.broker.subscribers.discard(self)
        self.write(packet(UNSUBACK << 4, struct.pack("!H", pid)))


class EmbeddedBroker:
    """An MQTT listener feeding telemetry publishes to `on_telemetry`; `ack(tokens)` sends their PUBACKs."""

    def __init__(
        self,
        on_telemetry: OnTelemetry,
        *,
        access: BrokerAccess | None = None,
        max_packet_bytes: int | None = None,
    ) -> None:
        from digipark.core.config import get_settings

        self.on_telemetry = on_telemetry
        self.access = access if access is not None else BrokerAccess.from_settings()
        self.max_packet_bytes = max_packet_bytes or get_settings().mqtt_max_packet_bytes
        self.clients: set[_Client] = set()
        self.subscribers: set[_Client] = set()
        self.paused: set[_Client] = set()
        self.server: asyncio.Server | None = None
        self.host = ""
        self.port = 0
        self._reaper: asyncio.Task[None] | None = None

    def take_over(self, client: _Client) -> bool:
        """A new connection with a client id already connected replaces the old one (MQTT 3.1.4-2) when both are
        the same user; returns False (refuse the new one) when the id is connected under another user name, so
        that nobody can disconnect another's device by taking its client id."""
        if not client.client_id:
            return True
        same = [o for o in self.clients if o is not client and o.connected and o.client_id == client.client_id]
        if any(other.username != client.username for other in same):
            return False
        for other in same:
            other.abort()
        return True

    def unsubscribe_all(self, client: _Client) -> None:
        self.subscribers.discard(client)
        self.paused.discard(client)

    def fan_out(self, topic: str, payload: bytes) -> None:
        data: bytes | None = None
        for client in list(self.subscribers):
            matched = next((pattern for pattern in client.subscriptions if topic_matches(pattern, topic)), None)
            if matched is None:
                continue
            view = client.views.get(matched)
            if view is not None:  # a device's own name for its downlink topic
                client.write(publish_packet(view[1] + topic[len(view[0]) :], payload, qos=0))
                continue
            if data is None:
                data = publish_packet(topic, payload, qos=0)
            client.write(data)

    def ack(self, tokens: list[Any]) -> None:
        """PUBACK the committed QoS 1 publishes, one write per client (gone clients are skipped)."""
        by_client: dict[_Client, list[int]] = {}
        for token in tokens:
            if token is not None:
                by_client.setdefault(token[0], []).append(token[1])
        for client, ids in by_client.items():
            client.write(puback_packets(ids))

    def resume(self) -> None:
        """Read from paused publishers again (the receiver has room)."""
        for client in list(self.paused):
            client.paused = False
            if client.transport is not None and not client.transport.is_closing():
                client.transport.resume_reading()
        self.paused.clear()

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            for client in list(self.clients):
                limit = client.keepalive * 1.5 if client.keepalive else None
                if not client.connected:
                    limit = 30.0
                if limit is not None and not client.paused and now - client.last_seen > limit:
                    log.info("MQTT client %s (%s): keep-alive expired", client.client_id, client.peer)
                    client.abort()

    async def start(self, host: str = "127.0.0.1", port: int = 1883) -> EmbeddedBroker:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: _Client(self), host, port, reuse_address=True)
        sockname = self.server.sockets[0].getsockname()
        self.host, self.port = str(sockname[0]), int(sockname[1])
        self._reaper = asyncio.create_task(self._reap())
        log.info("embedded MQTT broker listening on %s:%d", self.host, self.port)
        return self

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        if self.server is not None:
            self.server.close()
            for client in list(self.clients):
                client.abort()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), timeout=2)
