"""Correlation of normalised security events into matches, in memory (no database): the rules of
data/correlation.yaml. `Correlator.feed(event)` returns the matches the event completes or adds to; the events
service turns matches into incidents. A long-lived correlator (the syslog receiver, the benchmark) keeps its windows
between batches; a request builds one and replays the last window from the database first."""

from __future__ import annotations

import dataclasses
import ipaddress
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from digipark.cybersec import reference

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Event(NamedTuple):
    """A normalised event (a named tuple: there are many, and one is built per syslog line)."""

    at: float  # seconds since the epoch
    kind: str
    sensor: str = ""
    src_ip: str | None = None
    dst_ip: str | None = None
    dst_port: int | None = None
    username: str | None = None
    enterprise_id: int | None = None
    ref: Any = None  # what the caller uses to find the stored event again


@dataclasses.dataclass
class Match:
    rule: str
    key: str
    severity: str
    at: float
    events: list[Event]  # the events of the window that make the match (all of them when it first fires)
    enterprise_id: int | None = None
    detail: dict[str, Any] = dataclasses.field(default_factory=dict)


def address(text: str | None) -> Address | None:
    if not text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def source_key(event: Event) -> str | None:
    """Who a brute force comes from: its address, or the user name where the source has none (platform logins)."""
    if event.src_ip:
        return event.src_ip
    return f"user:{event.username}" if event.username else None


class Correlator:
    def __init__(
        self,
        *,
        rules: Mapping[str, Mapping[str, Any]] | None = None,
        bad_networks: Iterable[str] = (),
        ics_assets: Mapping[str, tuple[int, int | None]] | None = None,
    ) -> None:
        """`ics_assets`: address -> (asset id, enterprise id)."""
        self.rules = dict(rules if rules is not None else reference.rules())
        self.bad = [ipaddress.ip_network(n, strict=False) for n in bad_networks]
        self.ics = dict(ics_assets or {})
        self._failures: dict[str, deque[Event]] = {}
        self._probes: dict[str, deque[Event]] = {}
        self._kinds = {name: frozenset(rule["kinds"]) for name, rule in self.rules.items()}
        brute_force = self.rules.get("brute_force", {})
        self._bf_window_s = float(brute_force.get("window_s", 0))
        self._bf_threshold = int(brute_force.get("threshold", 0))
        # the rules' checks by event kind, in the rules' order (looked up once per event)
        self._checks: dict[str, tuple[Callable[[Event], Match | None], ...]] = {}
        self._longest_window_s = max((float(rule.get("window_s", 0)) for rule in self.rules.values()), default=0.0)
        self._next_sweep_at = float("-inf")
        for kind in sorted({k for kinds in self._kinds.values() for k in kinds}):
            self._checks[kind] = tuple(getattr(self, f"_{name}") for name in self.rules if kind in self._kinds[name])

    def feed(self, event: Event) -> list[Match]:
        if event.at >= self._next_sweep_at:
            self._sweep(event.at)
        found: list[Match] = []
        for check in self._checks.get(event.kind, ()):
            match = check(event)
            if match is not None:
                found.append(match)
        return found

    def replay(self, events: Iterable[Event]) -> None:
        """Fill the windows with earlier events, without matching (their incidents exist already)."""
        for event in events:
            if "brute_force" in self.rules and event.kind in self._kinds["brute_force"]:
                self._window(self._failures, source_key(event), event, self.rules["brute_force"])
            if "port_scan" in self.rules and event.kind in self._kinds["port_scan"]:
                self._window(self._probes, event.src_ip, event, self.rules["port_scan"])

    def _sweep(self, now: float) -> None:
        """Forget the sources whose last event has left every window, once per longest window: a stream from
        100,000 sources keeps only those seen lately."""
        horizon = now - self._longest_window_s
        for windows in (self._failures, self._probes):
            for key in [key for key, window in windows.items() if not window or window[-1].at < horizon]:
                del windows[key]
        self._next_sweep_at = now + self._longest_window_s

    def tracked_sources(self) -> int:
        return len(self._failures) + len(self._probes)

    @staticmethod
    def _window(
        windows: dict[str, deque[Event]], key: str | None, event: Event, rule: Mapping[str, Any]
    ) -> deque[Event] | None:
        if key is None:
            return None
        window = windows.setdefault(key, deque())
        window.append(event)
        horizon = event.at - float(rule["window_s"])
        while window and window[0].at < horizon:
            window.popleft()
        return window

    def _match(self, name: str, key: str, event: Event, events: list[Event], **detail: Any) -> Match:
        rule = self.rules[name]
        return Match(name, key, str(rule["severity"]), event.at, events, event.enterprise_id, detail)

    def _brute_force(self, event: Event) -> Match | None:
        """Once per authentication failure, the hot path of a syslog stream: `_window` and `source_key` inlined, the
        rule's numbers read once per correlator."""
        key = event.src_ip or (f"user:{event.username}" if event.username else None)
        if key is None:
            return None
        window = self._failures.get(key)
        if window is None:
            window = self._failures[key] = deque()
        window.append(event)
        horizon = event.at - self._bf_window_s
        while window and window[0].at < horizon:
            window.popleft()
        count = len(window)
        if count < self._bf_threshold:
            return None
        events = list(window) if count == self._bf_threshold else [event]
        return self._match(
            "brute_force", key, event, events, failures=count, window_s=self.rules["brute_force"]["window_s"]
        )

    def _port_scan(self, event: Event) -> Match | None:
        rule = self.rules["port_scan"]
        window = self._window(self._probes, event.src_ip, event, rule)
        if event.src_ip is None or window is None or event.dst_port is None:
            return None
        ports = {e.dst_port for e in window if e.dst_port is not None}
        needed = int(rule["distinct_ports"])
        if len(ports) < needed:
            return None
        first = len(ports) == needed and sum(1 for e in window if e.dst_port == event.dst_port) == 1
        events = list(window) if first else [event]
        return self._match("port_scan", event.src_ip, event, events, ports=len(ports), window_s=rule["window_s"])

    def _listed(self, text: str | None) -> Address | None:
        found = address(text)
        if found is None:
            return None
        return found if any(found.version == n.version and found in n for n in self.bad) else None

    def _bad_address(self, event: Event) -> Match | None:
        if not self.bad:
            return None
        for text in (event.dst_ip, event.src_ip):
            if self._listed(text) is not None:
                return self._match("bad_address", str(text), event, [event])
        return None

    def _ics_internet(self, event: Event) -> Match | None:
        if not self.ics:
            return None
        for mine, other in ((event.src_ip, event.dst_ip), (event.dst_ip, event.src_ip)):
            if mine in self.ics:
                peer = address(other)
                if peer is not None and peer.is_global:
                    asset_id, enterprise_id = self.ics[mine]
                    match = self._match("ics_internet", str(mine), event, [event], peer=str(peer), asset_id=asset_id)
                    match.enterprise_id = enterprise_id
                    return match
        return None
