"""Syslog messages of network devices and hosts (RFC 3164 and RFC 5424 framing) normalised into events, and an
asyncio receiver over UDP that hands batches of them to a callback (the events service, or the benchmark).

A message says what happened in its text; the patterns below recognise the common ones: sshd's failed and accepted
logins, and firewall lines in key=value form (action=deny src=... dst=... dport=...). A message no pattern knows is
kept as kind `other`."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
import time
from collections.abc import Callable

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


class Receiver(asyncio.DatagramProtocol):
    """Syslog over UDP: each datagram one message; normalised events are handed on in batches of up to
    `batch_size`, or every `flush_s` seconds."""

    def __init__(self, handle: Callable[[list[Event]], None], *, batch_size: int = 2000, flush_s: float = 0.05):
        self.handle = handle
        self.batch_size = batch_size
        self.flush_s = flush_s
        self.pending: list[Event] = []
        self.received = 0
        self._timer: asyncio.TimerHandle | None = None

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        self.received += 1
        event = normalise(data.decode("utf-8", errors="replace"), received=time.time())
        if event is None:
            return
        self.pending.append(event)
        if len(self.pending) >= self.batch_size:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.flush_s, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self.pending = self.pending, []
        if batch:
            self.handle(batch)
