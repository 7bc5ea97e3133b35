"""A small, fast asyncio MQTT 3.1.1 client for the platform's subscription, and the packet codec the embedded
broker shares.

The subscriber keeps a persistent session (clean_session=0, fixed client id) and subscribes at QoS 1 to the
device topics. It never acknowledges a message on arrival: each delivery carries an ack token, and the runner
hands the tokens back (`ack`) once the batch holding the messages is committed. The broker keeps every
unacknowledged message of the session and sends it again after a reconnect, so a crash loses nothing; the
repeats that follow are harmless because a reading (point, ts) is stored once.

Packets are cut from one receive buffer with memoryview slices (no per-packet reads), and the PUBACKs of a
batch go out in one write. Tokens of a connection that has since dropped are ignored: the broker will deliver
those messages again on the new connection (packet ids belong to a connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import struct
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

log = logging.getLogger("digipark.telemetry.mqtt")

CONNECT, CONNACK, PUBLISH, PUBACK = 1, 2, 3, 4
PUBREC, PUBREL, PUBCOMP = 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK = 8, 9, 10, 11
PINGREQ, PINGRESP, DISCONNECT = 12, 13, 14

PINGREQ_PACKET = b"\xc0\x00"
PINGRESP_PACKET = b"\xd0\x00"
DISCONNECT_PACKET = b"\xe0\x00"
DEFAULT_PORT = 1883
MAX_PACKET = 256 * 1024 * 1024 - 1  # the largest remaining length MQTT can encode

# The topics devices publish to (see docs/mqtt.md).
NATIVE_TOPIC = "digipark/v1/+/telemetry"
GATEWAY_TOPIC = "v1/gateway/telemetry"
THINGSBOARD_TOPIC = "v1/devices/me/telemetry"
# where the Mosquitto plugin deploy/mosquitto/digipark_topics.c moves gateway messages (naming the gateway's token);
# it moves ThingsBoard device messages to the native topic
NATIVE_GATEWAY_TOPIC = "digipark/v1/+/gateway/telemetry"
PLATFORM_TOPICS: tuple[str, ...] = (NATIVE_TOPIC, NATIVE_GATEWAY_TOPIC, GATEWAY_TOPIC)

CONNACK_REASONS = {
    1: "unacceptable protocol version",
    2: "client identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorised",
}


class ProtocolError(Exception):
    """The peer sent something that is not MQTT 3.1.1."""


# ----------------------------------------------------------------------------------------------------------
# codec


def encode_length(length: int) -> bytes:
    if length < 0 or length > MAX_PACKET:
        raise ValueError(f"MQTT packet too large: {length} bytes")
    out = bytearray()
    while True:
        byte = length & 0x7F
        length >>= 7
        if length:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def encode_string(value: str | bytes) -> bytes:
    data = value.encode("utf-8") if isinstance(value, str) else value
    return struct.pack("!H", len(data)) + data


def packet(first_byte: int, body: bytes) -> bytes:
    return bytes([first_byte]) + encode_length(len(body)) + body


def connect_packet(
    client_id: str,
    *,
    clean_session: bool = True,
    keepalive: int = 60,
    username: str | None = None,
    password: str | None = None,
) -> bytes:
    flags = 0x02 if clean_session else 0x00
    payload = encode_string(client_id)
    if username is not None:
        flags |= 0x80
        payload += encode_string(username)
        if password is not None:
            flags |= 0x40
            payload += encode_string(password)
    variable = encode_string("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive)
    return packet(CONNECT << 4, variable + payload)


def publish_packet(
    topic: str | bytes, payload: bytes, *, qos: int = 0, packet_id: int = 0, retain: bool = False, dup: bool = False
) -> bytes:
    first = (PUBLISH << 4) | (qos << 1) | (0x08 if dup else 0) | (0x01 if retain else 0)
    body = encode_string(topic)
    if qos:
        body += struct.pack("!H", packet_id)
    return packet(first, body + payload)


def subscribe_packet(packet_id: int, topics: Sequence[tuple[str, int]]) -> bytes:
    body = struct.pack("!H", packet_id) + b"".join(encode_string(t) + bytes([q]) for t, q in topics)
    return packet((SUBSCRIBE << 4) | 0x02, body)


def puback_packets(packet_ids: Sequence[int]) -> bytes:
    """PUBACKs (0x40 0x02 id) for many packet ids in one buffer."""
    return struct.pack(f"!{len(packet_ids)}I", *[0x40020000 | pid for pid in packet_ids])


class PacketTooLarge(ProtocolError):
    """A packet announces a remaining length beyond the receiver's limit."""


def parse_packets(buf: bytearray, handle: Callable[[int, memoryview], None], max_length: int = MAX_PACKET) -> int:
    """Call handle(first byte, body) for each complete packet at the start of buf; return the bytes used. A packet
    announcing more than max_length bytes raises PacketTooLarge as soon as its length is read (nothing of it is
    kept)."""
    pos = 0
    size = len(buf)
    view = memoryview(buf)
    try:
        while size - pos >= 2:
            first = buf[pos]
            length = buf[pos + 1]
            head = 2
            if length & 0x80:
                length &= 0x7F
                shift = 7
                while True:
                    if pos + head >= size:
                        return pos
                    byte = buf[pos + head]
                    head += 1
                    length |= (byte & 0x7F) << shift
                    if not byte & 0x80:
                        break
                    shift += 7
                    if shift > 21:
                        raise ProtocolError("malformed remaining length")
            if length > max_length:
                raise PacketTooLarge(f"packet of {length} bytes, the limit is {max_length}")
            end = pos + head + length
            if end > size:
                return pos
            handle(first, view[pos + head : end])
            pos = end
        return pos
    finally:
        view.release()


def split_publish(first: int, body: memoryview) -> tuple[bytes, int, bytes]:
    """(topic bytes, packet id or 0, payload) of a PUBLISH body."""
    topic_len = (body[0] << 8) | body[1]
    start = 2 + topic_len
    if (first >> 1) & 0x03:
        return bytes(body[2:start]), (body[start] << 8) | body[start + 1], bytes(body[start + 2 :])
    return bytes(body[2:start]), 0, bytes(body[start:])


def topic_matches(pattern: str, topic: str) -> bool:
    """MQTT topic filter matching with + (one level) and # (the rest)."""
    pat = pattern.split("/")
    parts = topic.split("/")
    for i, level in enumerate(pat):
        if level == "#":
            return not (i == 0 and topic.startswith("$"))
        if i >= len(parts):
            return False
        if level == "+":
            if i == 0 and parts[0].startswith("$"):
                return False
            continue
        if level != parts[i]:
            return False
    return len(pat) == len(parts)


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parsed = urlparse(url if "://" in url else f"mqtt://{url}")
        if parsed.scheme not in ("mqtt", "tcp"):
            raise ValueError(f"unsupported MQTT URL scheme {parsed.scheme!r} (use mqtt://host:port)")
        return cls(
            parsed.hostname or "127.0.0.1",
            parsed.port or DEFAULT_PORT,
            unquote(parsed.username) if parsed.username else None,
            unquote(parsed.password) if parsed.password else None,
        )

    def __str__(self) -> str:
        return f"mqtt://{self.host}:{self.port}"


def backoff_delay(attempt: int, *, base: float = 0.5, cap: float = 30.0) -> float:
    """Exponential back-off, capped, with full jitter in its upper half."""
    delay = min(cap, base * float(1 << min(attempt, 16)))
    return delay * random.uniform(0.5, 1.0)


# ----------------------------------------------------------------------------------------------------------
# subscriber

# Called with the messages of one read from the socket: (topics, payloads, ack tokens, received epoch ms).
# Returns False when the receiver is full: the subscriber then stops reading until `resume()` is called.
Deliver = Callable[[list[str], list[bytes], list[int], int], bool]


class _Connection(asyncio.Protocol):
    def __init__(self, owner: MqttSubscriber, generation: int) -> None:
        self.owner = owner
        self.generation = generation
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.connack: asyncio.Future[tuple[bool, int]] = asyncio.get_running_loop().create_future()
        self.suback: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.last_received = time.monotonic()
        self.paused = False
        self.topics: dict[bytes, str] = {}
        self._topics_in: list[str] = []
        self._payloads_in: list[bytes] = []
        self._tokens_in: list[int] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.last_received = time.monotonic()
        buf = self.buf
        buf += data
        self._topics_in = []
        self._payloads_in = []
        self._tokens_in = []
        try:
            used = self._parse(buf)
        except Exception as exc:
            log.warning("dropping the MQTT connection: %s", exc)
            if self.transport is not None:
                self.transport.abort()
            return
        if used:
            del buf[:used]
        if self._topics_in:
            accepted = self.owner.deliver(
                self._topics_in, self._payloads_in, self._tokens_in, time.time_ns() // 1_000_000
            )
            if not accepted and not self.paused and self.transport is not None:
                self.paused = True
                self.transport.pause_reading()

    def _parse(self, buf: bytearray) -> int:
        """The hot path: PUBLISH packets are cut out inline; other packets go to _packet."""
        pos = 0
        size = len(buf)
        topics_cache = self.topics
        topics, payloads, tokens = self._topics_in, self._payloads_in, self._tokens_in
        generation = self.generation << 16
        view = memoryview(buf)
        try:
            while size - pos >= 2:
                first = buf[pos]
                length = buf[pos + 1]
                head = 2
                if length & 0x80:
                    length &= 0x7F
                    shift = 7
                    while True:
                        if pos + head >= size:
                            return pos
                        byte = buf[pos + head]
                        head += 1
                        length |= (byte & 0x7F) << shift
                        if not byte & 0x80:
                            break
                        shift += 7
                        if shift > 21:
                            raise ProtocolError("malformed remaining length")
                start = pos + head
                end = start + length
                if end > size:
                    return pos
                if first & 0xF6 == 0x32:  # PUBLISH, QoS 1 (dup and retain flags ignored)
                    topic_end = start + 2 + ((buf[start] << 8) | buf[start + 1])
                    raw_topic = bytes(view[start + 2 : topic_end])
                    topic = topics_cache.get(raw_topic)
                    if topic is None:
                        topic = raw_topic.decode("utf-8", "replace")
                        if len(topics_cache) < 100_000:
                            topics_cache[raw_topic] = topic
                    topics.append(topic)
                    tokens.append(generation | (buf[topic_end] << 8) | buf[topic_end + 1])
                    payloads.append(bytes(view[topic_end + 2 : end]))
                else:
                    self._packet(first, view[start:end])
                pos = end
            return pos
        finally:
            view.release()

    def _packet(self, first: int, body: memoryview) -> None:
        kind = first >> 4
        if kind == PUBLISH:
            topic_len = (body[0] << 8) | body[1]
            start = 2 + topic_len
            topic = bytes(body[2:start]).decode("utf-8", "replace")
            qos = (first >> 1) & 0x03
            if qos == 2:  # we subscribe at QoS 1; a QoS 2 publish is completed at once
                assert self.transport is not None
                self.transport.write(struct.pack("!BBH", PUBREC << 4, 2, (body[start] << 8) | body[start + 1]))
                start += 2
            elif qos == 1:
                raise ProtocolError("QoS 1 publish outside the fast path")
            self._topics_in.append(topic)
            self._payloads_in.append(bytes(body[start:]))
            self._tokens_in.append(-1)
        elif kind == CONNACK:
            if not self.connack.done():
                self.connack.set_result((bool(body[0] & 0x01), body[1]))
        elif kind == SUBACK:
            if not self.suback.done():
                self.suback.set_result(bytes(body[2:]))
        elif kind == PUBREL:
            assert self.transport is not None
            self.transport.write(struct.pack("!BBH", PUBCOMP << 4, 2, (body[0] << 8) | body[1]))
        elif kind in (PINGRESP, PUBACK, UNSUBACK, PUBCOMP, PUBREC):
            pass
        else:
            raise ProtocolError(f"unexpected packet type {kind}")

    def resume(self) -> None:
        if self.paused and self.transport is not None and not self.transport.is_closing():
            self.paused = False
            self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        for future in (self.connack, self.suback):
            if not future.done():
                future.set_exception(ConnectionError("connection closed by the broker"))
        if not self.closed.done():
            self.closed.set_result(None)


class MqttSubscriber:
    """Subscribe with a persistent session, hand deliveries on, acknowledge them when told, reconnect.

    `deliver(topic, payload, token, received_ms)` is called in the event loop for every message; `ack(tokens)`
    sends the PUBACKs of those tokens in one write (tokens of an older connection are skipped).
    """

    def __init__(
        self,
        url: str,
        deliver: Deliver,
        *,
        client_id: str,
        topics: Sequence[str] = PLATFORM_TOPICS,
        keepalive: int = 30,
        clean_session: bool = False,
        backoff_cap: float = 30.0,
    ) -> None:
        self.address = BrokerAddress.parse(url)
        self.deliver = deliver
        self.client_id = client_id
        self.topics = tuple(topics)
        self.keepalive = keepalive
        self.clean_session = clean_session
        self.backoff_cap = backoff_cap
        self.generation = 0
        self.connected = asyncio.Event()
        self.subscribed = asyncio.Event()  # the first SUBACK arrived
        self.connections = 0
        self._conn: _Connection | None = None
        self._stopping = False

    @property
    def current_generation(self) -> int:
        return self.generation

    def ack(self, tokens: Iterable[int]) -> None:
        conn = self._conn
        if conn is None or conn.transport is None or conn.transport.is_closing():
            return
        generation = conn.generation
        ids = [t & 0xFFFF for t in tokens if t >= 0 and t >> 16 == generation]
        if ids:
            conn.transport.write(puback_packets(ids))

    def resume(self) -> None:
        if self._conn is not None:
            self._conn.resume()

    async def _connect_once(self) -> _Connection:
        loop = asyncio.get_running_loop()
        self.generation = (self.generation + 1) & 0x7FFF
        generation = self.generation
        transport, conn = await asyncio.wait_for(
            loop.create_connection(lambda: _Connection(self, generation), self.address.host, self.address.port),
            timeout=10,
        )
        try:
            transport.write(
                connect_packet(
                    self.client_id,
                    clean_session=self.clean_session,
                    keepalive=self.keepalive,
                    username=self.address.username,
                    password=self.address.password,
                )
            )
            _session_present, code = await asyncio.wait_for(conn.connack, timeout=10)
            if code:
                raise ConnectionRefusedError(f"CONNACK {code}: {CONNACK_REASONS.get(code, 'refused')}")
            # A persistent session's queued messages may arrive before the SUBACK and fill the receiver, which
            # then stops reading: the SUBACK is checked when it comes, not waited for here.
            transport.write(subscribe_packet(1, [(t, 1) for t in self.topics]))
        except BaseException:
            transport.abort()
            raise
        return conn

    async def _check_suback(self, conn: _Connection) -> None:
        try:
            granted = await conn.suback
        except ConnectionError:
            return
        if any(g == 0x80 for g in granted):
            log.error("subscription refused by %s (check the ACL of the platform's user)", self.address)
            if conn.transport is not None:
                conn.transport.abort()
            return
        self.subscribed.set()

    async def _keepalive(self, conn: _Connection) -> None:
        interval = max(1.0, self.keepalive / 2)
        while not conn.closed.done():
            await asyncio.sleep(interval)
            if conn.transport is None or conn.transport.is_closing():
                return
            if time.monotonic() - conn.last_received > self.keepalive * 1.5 and not conn.paused:
                log.warning("MQTT broker %s silent for %ss; reconnecting", self.address, self.keepalive)
                conn.transport.abort()
                return
            conn.transport.write(PINGREQ_PACKET)

    async def run(self) -> None:
        """Connect, subscribe and receive until stop(); reconnect with capped, jittered exponential back-off."""
        attempt = 0
        while not self._stopping:
            try:
                conn = await self._connect_once()
            except (OSError, TimeoutError, ConnectionError) as exc:
                delay = backoff_delay(attempt, cap=self.backoff_cap)
                attempt += 1
                reason = str(exc) or type(exc).__name__
                log.warning("MQTT broker %s: %s; retrying in %.1f s", self.address, reason, delay)
                await asyncio.sleep(delay)
                continue
            attempt = 0
            self._conn = conn
            self.connections += 1
            self.connected.set()
            log.info("subscribed to %s at %s as %s", ", ".join(self.topics), self.address, self.client_id)
            pinger = asyncio.create_task(self._keepalive(conn))
            checker = asyncio.create_task(self._check_suback(conn))
            try:
                await conn.closed
            finally:
                pinger.cancel()
                checker.cancel()
                self.connected.clear()
            if not self._stopping:
                log.warning("MQTT connection to %s lost; reconnecting", self.address)

    async def stop(self) -> None:
        self._stopping = True
        conn = self._conn
        if conn is not None and conn.transport is not None and not conn.transport.is_closing():
            conn.transport.write(DISCONNECT_PACKET)
            conn.transport.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(conn.closed), timeout=2)
