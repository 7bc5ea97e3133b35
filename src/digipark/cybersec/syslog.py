"""Syslog messages of network devices and hosts (RFC 3164 and RFC 5424 framing) normalised into events, and asyncio
receivers over UDP and TCP (RFC 6587: octet counting or one message a line) that hand batches of them to a callback
(the syslog service of `digipark ingest`, or the benchmark).

A datagram costs little on arrival (its bytes and sender are queued); decoding, the sender check and parsing are
done per batch, when `batch_size` messages are waiting or `flush_s` after the first.

A message says what happened in its text; the patterns below recognise the common ones: sshd's failed and accepted
logins, and firewall lines in key=value form (action=deny src=... dst=... dport=...). A message no pattern knows is
kept as kind `other`."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import re
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from digipark.cybersec.correlate import Event

_RFC5424 = re.compile(
    r"^<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) \S+ \S+ (?:-|\[.*?\]) ?(?P<msg>.*)$"
)
_RFC3164 = re.compile(r"^<(?P<pri>\d{1,3})>(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (?P<host>\S+) (?P<msg>.*)$")
_FAILED = re.compile(r"Failed (?:password|publickey) for (?:invalid user )?(?P<user>\S+) from (?P<src>[\d.:a-fA-F]+)")
_ACCEPTED = re.compile(r"Accepted (?:password|publickey) for (?P<user>\S+) from (?P<src>[\d.:a-fA-F]+)")
_KV = re.compile(r"(\w+)=(\S+)")
_DENY = {"deny", "drop", "reject", "block", "denied", "blocked"}
_ALLOW = {"allow", "accept", "permit", "pass", "allowed", "accepted"}


@dataclasses.dataclass(frozen=True)
class Parsed:
    host: str
    at: dt.datetime | None
    text: str


def parse(line: str) -> Parsed | None:
    """The framing of one syslog line; None when it is not syslog."""
    line = line.strip()
    close = line.find(">", 1, 5)
    found = _RFC5424.match(line) if line[close + 1 : close + 3] == "1 " else None  # a version after PRI: RFC 5424
    if found is not None:
        try:
            at: dt.datetime | None = dt.datetime.fromisoformat(found["ts"].replace("Z", "+00:00"))
        except ValueError:
            at = None
        return Parsed(found["host"], at, found["msg"])
    found = _RFC3164.match(line)
    if found is not None:
        return Parsed(found["host"], None, found["msg"])  # RFC 3164 has no year or zone: received time is used
    return None


def normalise(line: str, *, received: float, enterprise_id: int | None = None) -> Event | None:
    """One syslog line as an event (None when it is not syslog)."""
    parsed = parse(line)
    if parsed is None:
        return None
    stamped = parsed.at is not None and parsed.at.tzinfo is not None and 2000 <= parsed.at.year <= 2099
    at = parsed.at.timestamp() if parsed.at is not None and stamped else received
    text = parsed.text
    hit = _FAILED.search(text)
    if hit is not None:
        return Event(at, "auth_failure", parsed.host, hit["src"], None, None, hit["user"], enterprise_id, text[:500])
    hit = _ACCEPTED.search(text)
    if hit is not None:
        return Event(at, "auth_success", parsed.host, hit["src"], None, None, hit["user"], enterprise_id, text[:500])
    fields = {k.lower(): v for k, v in _KV.findall(text)}
    action = fields.get("action", "").lower()
    if action in _DENY or action in _ALLOW:
        port = fields.get("dport") or fields.get("dst_port")
        return Event(
            at,
            "connection_denied" if action in _DENY else "connection",
            parsed.host,
            fields.get("src"),
            fields.get("dst"),
            int(port) if port and port.isdigit() and int(port) < 65536 else None,
            None,
            enterprise_id,
            text[:500],
        )
    return Event(at, "other", parsed.host, None, None, None, None, enterprise_id, text[:500])


# (peer address, message) -> (park, enterprise) the message is accepted for, or None: refused
Authorise = Callable[[str, str], "tuple[int, int | None] | None"]
# (park or None without an authoriser, its events)
Handle = Callable[[int | None, list[Event]], None]
TOKEN = re.compile(r'\[digipark(?:@\d+)?\b[^\]]*?\btoken="(?P<token>[^"]{1,200})"')


def token_of(line: str) -> str | None:
    """The token of RFC 5424 structured data `[digipark token="..."]` (or `[digipark@<PEN> token="..."]`)."""
    if "[digipark" not in line:
        return None
    found = TOKEN.search(line)
    return found["token"] if found is not None else None


class Batcher:
    """Messages waiting to be parsed: `add` queues one (bytes and its sender), `flush` decodes, checks the sender
    (`authorise`), normalises and hands the events on, grouped by park."""

    def __init__(
        self,
        handle: Handle,
        *,
        authorise: Authorise | None = None,
        batch_size: int = 2000,
        flush_s: float = 0.05,
    ) -> None:
        self.handle = handle
        self.authorise = authorise
        self.batch_size = batch_size
        self.flush_s = flush_s
        self.pending: list[tuple[bytes, str]] = []
        self.received = 0
        self.refused = 0
        self._timer: asyncio.TimerHandle | None = None

    def add(self, data: bytes, peer: str) -> None:
        self.received += 1
        self.pending.append((data, peer))
        if len(self.pending) >= self.batch_size:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.flush_s, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self.pending = self.pending, []
        if not batch:
            return
        received = time.time()
        authorise = self.authorise
        groups: dict[int | None, list[Event]] = {}
        for data, peer in batch:
            line = data.decode("utf-8", errors="replace")
            park: int | None = None
            enterprise: int | None = None
            if authorise is not None:
                who = authorise(peer, line)
                if who is None:
                    self.refused += 1
                    continue
                park, enterprise = who
            event = normalise(line, received=received, enterprise_id=enterprise)
            if event is not None:
                groups.setdefault(park, []).append(event)
        for park, found in groups.items():
            self.handle(park, found)


SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33 if sys.platform.startswith("linux") else None)


def enlarge_receive_buffer(sock: socket.socket, size: int = 64 * 1024 * 1024) -> int:
    """Ask for a receive buffer of `size` bytes, so a burst waits in the kernel while the process is not scheduled
    (each datagram costs about 1 KiB of buffer): beyond net.core.rmem_max where the process may (SO_RCVBUFFORCE,
    CAP_NET_ADMIN), else as much as rmem_max allows. Returns the size the kernel granted."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    if SO_RCVBUFFORCE is not None and sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) < size:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, size)
    return int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))


class Receiver(asyncio.DatagramProtocol):
    """Syslog over UDP: each datagram one message."""

    def __init__(self, batcher: Batcher) -> None:
        self.batcher = batcher

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.batcher.add(data, str(addr[0]))


MAX_MESSAGE = 65536


class TcpReceiver(asyncio.Protocol):
    """Syslog over TCP (RFC 6587): each message framed by its length (`<octets> <message>`) or ended by a newline;
    a connection sending a frame longer than MAX_MESSAGE is closed."""

    def __init__(self, batcher: Batcher) -> None:
        self.batcher = batcher
        self.buffer = b""
        self.peer = ""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = str(peer[0]) if peer else ""

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data
        while buffer:
            if buffer[:1].isdigit():  # octet counting
                space = buffer.find(b" ", 0, 7)
                if space < 0:
                    if len(buffer) > 6:
                        return self._close()
                    break
                size = int(buffer[:space]) if buffer[:space].isdigit() else MAX_MESSAGE + 1
                if size > MAX_MESSAGE:
                    return self._close()
                end = space + 1 + size
                if len(buffer) < end:
                    break
                message, buffer = buffer[space + 1 : end], buffer[end:]
            else:
                newline = buffer.find(b"\n")
                if newline < 0:
                    if len(buffer) > MAX_MESSAGE:
                        return self._close()
                    break
                message, buffer = buffer[:newline], buffer[newline + 1 :]
            if message.strip():
                self.batcher.add(message, self.peer)
        self.buffer = buffer

    def _close(self) -> None:
        self.buffer = b""
        if self.transport is not None:
            self.transport.close()
