"""The Ingestor: a batch of inbound messages → readings, dead letters and per-device counters, in the caller's
transaction (it never commits).

Per value, in this order:
- the message cannot be read (`payloads.PayloadError`) → the whole message is dead-lettered (malformed,
  bad_timestamp), kept as it came;
- unknown token (or, for a gateway, no device with that code in the gateway's park) → unknown_token. A message
  whose token is unknown belongs to no park: its dead letter has park_id NULL and only park admins see it
  (telemetry.deadletters); a gateway's unknown sub-device is kept under the gateway's park and counted for the
  gateway;
- the device is inactive or retired → device_disabled (a device under maintenance still reports);
- the entry's ts more than `max_future_skew_ms` ahead of the server clock → future_timestamp (the entry's values);
- no point with that key on the device → unknown_point;
- not a JSON number → not_numeric. Booleans and numeric strings are not numbers: a point is a measured
  quantity, and a device sending `true` or `"12.5"` is misconfigured, which the dead letter shows;
- NaN or infinity → not_finite;
- a finite number outside the point's [valid_min, valid_max] → stored with quality BAD (counted as bad_quality);
- otherwise stored GOOD. A repeat of (point, ts) is stored once, the first value wins, and counted as a duplicate
  (`WriteResult`).
A message's rejected values are grouped by reason, one dead letter per (message, device, reason) holding only
those values, their timestamps filled in (a value without ts took the receive time), in the message's own format,
so a replay re-sends exactly them. The per-device counters and the dead letters are written by
`telemetry.ingest_writes`; devices and points are looked up in `telemetry.device_cache`.

Hot path: per value one dict lookup, one type check, one range comparison and one tuple; no ORM objects
and no per-message SQL (bench figures in the lead's report: `ingest_cpu_us_per_message`).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import threading
import time
from collections.abc import Callable, Container, Iterable, Sequence
from typing import Any, NamedTuple, Protocol

from sqlalchemy.orm import Session

from digipark.core.config import get_settings
from digipark.registry.device_tokens import token_digest, token_hint
from digipark.telemetry import payloads
from digipark.telemetry.device_cache import CachedDevice, RegistryCache, checked_values
from digipark.telemetry.ingest_writes import (
    DEAD_LETTER_PAYLOAD_BYTES,
    DETAIL_LENGTH,
    DeadLetterDraft,
    DeadLetterLimiter,
    cut_payload,
    existing_devices,
    rejection_conflict,
    store_dead_letters,
    traffic_conflict,
    upsert,
)
from digipark.telemetry.models import DeviceRejection, DeviceTraffic, RejectReason
from digipark.telemetry.payloads import Format, PayloadError
from digipark.telemetry.store import Row, WriteResult, write_readings

log = logging.getLogger("digipark.telemetry.ingest")

MAX_RAW_BYTES = DEAD_LETTER_PAYLOAD_BYTES  # of an unreadable message kept in its dead letter


@dataclasses.dataclass(frozen=True, slots=True)
class WriteOptions:
    """How a batch's readings are written: `defer_coarse` (see `store.write_readings`); `before_write`, called
    right before the readings are written, after parsing (the ingest sink orders concurrent batches with it)."""

    defer_coarse: bool = False
    before_write: Callable[[], None] | None = None


class Writer(Protocol):
    def __call__(self, session: Session, rows: Sequence[Row], *, defer_coarse: bool = False) -> WriteResult: ...


def future_skew_ms() -> int:
    """The allowed clock skew of devices (settings.telemetry_future_skew_s, 5 minutes by default)."""
    return int(1000 * get_settings().telemetry_future_skew_s)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class InboundMessage(NamedTuple):
    """One message as it arrived (a tuple: made once per message on the hot path)."""

    source: str  # mqtt | http | nats | replay
    topic: str | None  # None: HTTP (username = the token of the URL)
    username: str | None
    payload: bytes
    received_ms: int
    origin: str | None = None  # the sender's address where known (HTTP): whose dead-letter rate limit
    token_hash: str | None = None  # a replayed dead letter: the digest of the token it claimed (kept, not the token)
    entries: list[payloads.Entry] | None = None  # already read by a connector (with token_hash): no payload to parse


def token_key(message: InboundMessage, token: str | None) -> str | None:
    """What the registry cache knows a device by: the digest of the token the message presents."""
    if message.token_hash is not None:
        return message.token_hash
    return None if token is None else token_digest(token)


@functools.lru_cache(maxsize=1 << 16)
def _routed(topic: str | None, username: str | None) -> tuple[Format, str | None]:
    """The format of a topic and the digest of the token it presents (`payloads.route`, then `token_digest`),
    remembered: a device sends on the same topic every time. Raises PayloadError (not remembered)."""
    fmt, token = payloads.route(topic, username)
    return fmt, None if token is None else token_digest(token)


def presented_hint(message: InboundMessage) -> str | None:
    """The first characters of the token a message presents, for its dead letter (never the whole token)."""
    try:
        _fmt, token = payloads.route(message.topic, message.username)
    except PayloadError:
        token = message.username
    return None if token is None else token_hint(token)


def source_key(message: InboundMessage, device: CachedDevice | None, token: str | None) -> str:
    """Whose dead-letter rate limit a rejection counts against: the device, else the sender (address, MQTT user
    name), else the token it claimed."""
    if device is not None:
        return f"device:{device.id}"
    if message.origin:
        return f"{message.source}:address:{message.origin}"
    if message.username:
        return f"{message.source}:user:{message.username}"
    return f"{message.source}:token:{token or ''}"


@dataclasses.dataclass(slots=True)
class IngestSummary:
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    bad_quality: int = 0
    rejected: int = 0
    rejected_by_reason: dict[str, int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(slots=True)
class _Counters:
    messages: int = 0
    rows: int = 0
    bad: int = 0
    rejected: int = 0
    last_seen: int = 0


@dataclasses.dataclass(slots=True)
class _Part:
    """One device's share of one message, waiting to be resolved or processed."""

    message: int
    fmt: Format
    token: str | None  # the digest of the token it presents (see token_key)
    code: str | None
    entries: list[payloads.Entry]
    gateway: CachedDevice | None = None


_Parsed = tuple[Format, str | None, CachedDevice | None, list[payloads.Entry], list[payloads.DeviceMessage]]


@dataclasses.dataclass(slots=True)
class IngestBatch:
    """One batch being ingested: the readings to write, counters, dead-letter drafts and the summary."""

    messages: Sequence[InboundMessage]
    now: int
    limit: int
    rows: list[Row] = dataclasses.field(default_factory=list)
    counters: dict[int, _Counters] = dataclasses.field(default_factory=dict)
    rejections: dict[tuple[int, str], list[int]] = dataclasses.field(default_factory=dict)
    dead: list[DeadLetterDraft] = dataclasses.field(default_factory=list)
    summary: IngestSummary = dataclasses.field(default_factory=IngestSummary)
    gateway_messages: set[int] = dataclasses.field(default_factory=set)  # indexes counted for their gateway

    def count_gateway_message(self, gateway: CachedDevice, index: int) -> None:
        if index not in self.gateway_messages:
            self.gateway_messages.add(index)
            self.counter(gateway, self.messages[index].received_ms).messages += 1

    def counter(self, device: CachedDevice, received_ms: int) -> _Counters:
        found = self.counters.get(device.id)
        if found is None:
            found = self.counters[device.id] = _Counters()
        if received_ms > found.last_seen:
            found.last_seen = received_ms
        return found

    def reject(
        self,
        index: int,
        device: CachedDevice | None,
        reason: RejectReason,
        detail: str,
        payload: str,
        count: int,
        park_id: int | None = None,
        token: str | None = None,
    ) -> None:
        message = self.messages[index]
        claimed = device.token_hash if device is not None and token is None else token
        self.dead.append(
            DeadLetterDraft(
                message=index,
                park_id=device.park_id if device is not None else park_id,
                device_id=device.id if device is not None else None,
                source=message.source,
                topic=message.topic,
                token=presented_hint(message),
                token_hash=claimed,
                payload=payload,
                reason=reason.value,
                detail=detail[:DETAIL_LENGTH],
                received_ms=message.received_ms,
                count=count,
                source_key=source_key(message, device, claimed),
            )
        )
        summary = self.summary
        summary.rejected += count
        summary.rejected_by_reason[reason.value] = summary.rejected_by_reason.get(reason.value, 0) + count
        if device is not None:  # one rejection per dead letter, however many values it holds
            self.counter(device, message.received_ms).rejected += 1
            key = (device.id, reason.value)
            found = self.rejections.get(key)
            if found is None:
                self.rejections[key] = [1, message.received_ms]
            else:
                found[0] += 1
                found[1] = max(found[1], message.received_ms)


def _raw_text(payload: bytes) -> str:
    """An unreadable message as text for its dead letter, cut at MAX_RAW_BYTES."""
    return cut_payload(payload[:MAX_RAW_BYTES].decode("utf-8", errors="replace"), len(payload))


def _count_values(entries: list[payloads.Entry]) -> int:
    return sum(len(values) for _ts, values in entries)


def _filled(entries: list[payloads.Entry], received_ms: int) -> list[tuple[int, dict[str, Any]]]:
    return [(received_ms if ts is None else ts, values) for ts, values in entries]


def _keys(values: Iterable[str], limit: int = 10) -> str:
    keys = sorted(values)
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


class Ingestor:
    """One per process (see `get_ingestor`); `ingest` is safe to call from several threads."""

    def __init__(
        self,
        *,
        writer: Writer | None = None,
        max_future_skew_ms: int | None = None,
        refresh_interval_s: float = 1.0,
        max_age_s: float = 60.0,
        clock: Callable[[], int] = now_ms,
        dead_letter_limiter: DeadLetterLimiter | None = None,
    ) -> None:
        self.writer: Writer = writer if writer is not None else write_readings
        self.dead_letter_limiter = dead_letter_limiter if dead_letter_limiter is not None else DeadLetterLimiter()
        self.max_future_skew_ms = future_skew_ms() if max_future_skew_ms is None else max_future_skew_ms
        self.refresh_interval_s = refresh_interval_s
        self.max_age_s = max_age_s
        self.clock = clock
        self.cache = RegistryCache()
        self._lock = threading.Lock()
        self._miss_lock = threading.Lock()
        self._last_refresh = -math.inf
        self._tried: dict[Any, float] = {}  # miss key -> when it was last looked up
        self._stale = True

    # -- registry cache --------------------------------------------------------------------------------------------
    def invalidate(self) -> None:
        """Reload the whole registry before the next batch (the registry changed)."""
        self._stale = True

    def _ensure_loaded(self, session: Session) -> RegistryCache:
        cache = self.cache
        if self._stale or cache.loaded_at is None or time.monotonic() - cache.loaded_at > self.max_age_s:
            with self._lock:
                self._stale = False
                cache.load(session)
        return cache

    def _may_refresh(self, force: bool, keys: Iterable[Any] = ()) -> bool:
        """Whether to look the misses up again. Rate-limited per missing key (token, code or device id): a key
        not looked up within `refresh_interval_s` (a device created a moment ago) is always looked up — at most
        one query per batch — while a flood of one unknown token costs one query per interval."""
        now = time.monotonic()
        interval = self.refresh_interval_s
        tried = self._tried
        fresh = [key for key in keys if now - tried.get(key, -math.inf) >= interval]
        if not force and not fresh and now - self._last_refresh < interval:
            return False
        if len(tried) > 100_000:
            tried.clear()
        for key in fresh:
            tried[key] = now
        self._last_refresh = now
        return True

    # -- a look before storing -------------------------------------------------------------------------------------
    def readings_of(
        self, messages: Sequence[InboundMessage], device_ids: Container[int]
    ) -> list[tuple[int, int, float, int]]:
        """The readings (point id, ts ms, value, quality) these messages hold for the given devices, as `run`
        would store them, read without a session, for consumers that act on a reading as it arrives (the rules
        engine): only devices already in the cache and enabled; messages or values `run` would reject are
        skipped here (`run` still dead-letters them); repeats of stored readings are not recognised."""
        cache = self.cache
        if cache.loaded_at is None:
            return []
        limit = self.clock() + self.max_future_skew_ms
        by_token = cache.by_token
        out: list[tuple[int, int, float, int]] = []
        for message in messages:
            try:
                if message.entries is not None:
                    device = by_token.get(message.token_hash or "")
                    if device is not None and device.id in device_ids and not device.disabled:
                        checked_values(device, message.entries, message.received_ms, limit, out)
                    continue
                fmt, token = payloads.route(message.topic, message.username)
                key = token_key(message, token)
                device = by_token.get(key) if key is not None else None
                if device is None:
                    continue
                if fmt is Format.GATEWAY:
                    if device.disabled:
                        continue
                    for part in payloads.parse_body(fmt, message.payload):
                        child = cache.by_code.get((device.park_id, part.device_code or ""))
                        if child is not None and child.id in device_ids and not child.disabled:
                            checked_values(child, part.entries, message.received_ms, limit, out)
                elif device.id in device_ids and not device.disabled:
                    checked_values(device, payloads.entries_of(message.payload), message.received_ms, limit, out)
            except PayloadError:
                continue
        return out

    # -- the batch -------------------------------------------------------------------------------------------------
    def ingest(
        self,
        session: Session,
        messages: Sequence[InboundMessage],
        *,
        force_refresh: bool = False,
        options: WriteOptions = WriteOptions(),
    ) -> IngestSummary:
        """Parse, validate and store a batch; dead letters and counters in the same (caller's) transaction."""
        batch = self.run(session, messages, force_refresh=force_refresh, count_traffic=True, options=options)
        if batch.dead:
            store_dead_letters(session, batch.dead, self.dead_letter_limiter)
        return batch.summary

    def run(
        self,
        session: Session,
        messages: Sequence[InboundMessage],
        *,
        force_refresh: bool = False,
        count_traffic: bool = True,
        options: WriteOptions = WriteOptions(),
    ) -> IngestBatch:
        """Everything `ingest` does except storing the dead letters, which the batch returns as drafts (replay
        updates its dead letters instead). With `count_traffic` False (a replay) the device counters get the
        readings, duplicates and bad values but no new messages or rejections."""
        cache = self._ensure_loaded(session)
        now = self.clock()
        batch = IngestBatch(messages, now, now + self.max_future_skew_ms)
        batch.summary.messages = len(messages)
        misses: list[_Part] = []
        unknown_points: list[tuple[_Part, CachedDevice, list[tuple[int, str, Any]]]] = []
        for index, message in enumerate(messages):
            self._read(batch, cache, index, message, misses, unknown_points)
        if misses:
            for part in self._retry(session, batch, cache, misses, force_refresh):
                device = self._device_of(cache, part)
                assert device is not None
                missing = self._values(batch, device, part)
                if missing:
                    unknown_points.append((part, device, missing))
        if unknown_points:
            self._retry_points(session, batch, cache, unknown_points, force_refresh)
        self._write(session, batch, cache, count_traffic, options)
        return batch

    def _read(
        self,
        batch: IngestBatch,
        cache: RegistryCache,
        index: int,
        message: InboundMessage,
        misses: list[_Part],
        unknown_points: list[tuple[_Part, CachedDevice, list[tuple[int, str, Any]]]],
    ) -> None:
        """Parse one message and process the parts whose device is known and enabled; the others are misses."""
        if message.entries is not None:  # a connector's message (HJ 212): read already, its device by token digest
            fmt, token, entries = Format.NATIVE, message.token_hash, message.entries
            device = cache.by_token.get(token) if token is not None else None
            parts: list[payloads.DeviceMessage] = []
        else:
            found = self._parse(batch, cache, index, message)
            if found is None:
                return
            fmt, token, device, entries, parts = found
        if fmt is not Format.GATEWAY:
            item = _Part(index, fmt, token, None, entries)
            if device is None or device.disabled:
                misses.append(item)
            else:
                missing = self._values(batch, device, item)
                if missing:
                    unknown_points.append((item, device, missing))
            return
        for part in parts:
            item = _Part(index, fmt, token, part.device_code, part.entries)
            resolved = self._device_of(cache, item)
            if resolved is None or resolved.disabled or (item.gateway is not None and item.gateway.disabled):
                misses.append(item)
            else:
                missing = self._values(batch, resolved, item)
                if missing:
                    unknown_points.append((item, resolved, missing))
        if device is not None:
            batch.count_gateway_message(device, index)

    @staticmethod
    def _parse(batch: IngestBatch, cache: RegistryCache, index: int, message: InboundMessage) -> _Parsed | None:
        """(format, token digest, device, entries, gateway parts) of a message; None when it was dead-lettered."""
        entries: list[payloads.Entry] = []
        parts: list[payloads.DeviceMessage] = []
        try:
            fmt, digest = _routed(message.topic, message.username)
        except PayloadError as exc:
            raw = _raw_text(message.payload)
            batch.reject(index, None, exc.reason, exc.detail, raw, 1, token=token_key(message, message.username))
            return None
        token = message.token_hash if message.token_hash is not None else digest  # as token_key
        device = cache.by_token.get(token) if token is not None else None
        try:
            if fmt is Format.GATEWAY:
                parts = payloads.parse_body(fmt, message.payload)
            else:
                entries = payloads.entries_of(message.payload)
        except PayloadError as exc:
            raw = _raw_text(message.payload)
            if device is None:
                batch.reject(index, None, exc.reason, exc.detail, raw, 1, token=token)
            else:
                batch.counter(device, message.received_ms).messages += 1
                batch.reject(index, device, exc.reason, exc.detail, raw, 1)
            return None
        return fmt, token, device, entries, parts

    @staticmethod
    def _device_of(cache: RegistryCache, part: _Part) -> CachedDevice | None:
        if part.token is None:
            return None
        device = cache.by_token.get(part.token)
        if part.fmt is not Format.GATEWAY or device is None:
            return device
        part.gateway = device
        return cache.by_code.get((device.park_id, part.code or ""))

    def _retry(
        self, session: Session, batch: IngestBatch, cache: RegistryCache, misses: list[_Part], force: bool
    ) -> list[_Part]:
        """Refresh the registry for the missing devices (rate-limited) and sort the misses again."""
        miss_keys = [(part.token, part.code) for part in misses]
        # one refresh at a time: a batch missing what a concurrent batch is looking up waits for it, then finds
        # the device in the cache instead of dead-lettering it (the rate limit would skip its own lookup)
        with self._miss_lock:
            if self._may_refresh(force, miss_keys):
                tokens = {part.token for part in misses if part.token is not None}
                codes = {
                    (part.gateway.park_id, part.code or "")
                    for part in misses
                    if part.gateway is not None and part.token in cache.by_token
                }
                ids = {device.id for part in misses if (device := self._device_of(cache, part)) is not None}
                with self._lock:
                    cache.refresh(session, tokens=tokens, codes=codes, device_ids=ids)
                # a gateway found only now: its sub-devices by code
                late = {
                    (gw.park_id, part.code or "")
                    for part in misses
                    if part.fmt is Format.GATEWAY and part.token is not None and (gw := cache.by_token.get(part.token))
                } - set(cache.by_code)
                if late:
                    with self._lock:
                        cache.refresh(session, tokens=set(), codes=late, device_ids=set())
        resolved: list[_Part] = []
        for part in misses:
            message = batch.messages[part.message]
            device = self._device_of(cache, part)
            gateway = part.gateway
            if gateway is not None:
                batch.count_gateway_message(gateway, part.message)
            entries = _filled(part.entries, message.received_ms)
            count = _count_values(part.entries) or 1
            if gateway is not None and gateway.disabled:
                batch.reject(
                    part.message,
                    gateway,
                    RejectReason.DEVICE_DISABLED,
                    f"gateway {gateway.code} is {gateway.status}",
                    payloads.normalised(part.fmt, [(part.code, entries)]),
                    count,
                )
            elif device is None and gateway is not None:
                batch.reject(
                    part.message,
                    gateway,
                    RejectReason.UNKNOWN_TOKEN,
                    f"gateway {gateway.code}: no device with code {part.code!r} in its park",
                    payloads.normalised(part.fmt, [(part.code, entries)]),
                    count,
                )
            elif device is None:
                detail = "no device token" if part.token is None else "no device has this token"
                batch.reject(
                    part.message,
                    None,
                    RejectReason.UNKNOWN_TOKEN,
                    detail,
                    payloads.normalised(part.fmt, [(part.code, entries)]),
                    count,
                    token=part.token,
                )
            elif device.disabled:
                batch.counter(device, message.received_ms).messages += 1
                batch.reject(
                    part.message,
                    device,
                    RejectReason.DEVICE_DISABLED,
                    f"device {device.code} is {device.status}",
                    payloads.normalised(part.fmt, [(part.code, entries)]),
                    count,
                    token=part.token,
                )
            else:
                resolved.append(part)
        return resolved

    def _values(self, batch: IngestBatch, device: CachedDevice, part: _Part) -> list[tuple[int, str, Any]]:
        """Check and queue the part's values; returns the values of unknown keys (ts, key, value)."""
        message = batch.messages[part.message]
        received = message.received_ms
        counters = batch.counter(device, received)
        counters.messages += 1
        points = device.points
        rows = batch.rows
        limit = batch.limit
        isfinite = math.isfinite
        missing: list[tuple[int, str, Any]] = []
        rejected: dict[RejectReason, list[tuple[int, str, Any]]] | None = None
        n_rows = 0
        n_bad = 0
        for ts, values in part.entries:
            if ts is None:
                ts = received
            elif ts > limit:
                if rejected is None:
                    rejected = {}
                rejected.setdefault(RejectReason.FUTURE_TIMESTAMP, []).extend(
                    (ts, key, raw) for key, raw in values.items()
                )
                continue
            for key, raw in values.items():
                point = points.get(key)
                if point is None:
                    missing.append((ts, key, raw))
                    continue
                kind = type(raw)
                if kind is float:
                    value = raw
                    if not isfinite(value):
                        if rejected is None:
                            rejected = {}
                        rejected.setdefault(RejectReason.NOT_FINITE, []).append((ts, key, raw))
                        continue
                elif kind is int:
                    try:
                        value = float(raw)
                    except OverflowError:
                        if rejected is None:
                            rejected = {}
                        rejected.setdefault(RejectReason.NOT_FINITE, []).append((ts, key, raw))
                        continue
                else:
                    if rejected is None:
                        rejected = {}
                    rejected.setdefault(RejectReason.NOT_NUMERIC, []).append((ts, key, raw))
                    continue
                pid, low, high = point
                if low <= value <= high:
                    rows.append((pid, ts, value, 0))
                else:
                    rows.append((pid, ts, value, 1))
                    n_bad += 1
                n_rows += 1
        counters.rows += n_rows
        counters.bad += n_bad
        batch.summary.bad_quality += n_bad
        if rejected:
            for reason, items in rejected.items():
                self._reject_values(batch, device, part, reason, items)
        return missing

    def _reject_values(
        self,
        batch: IngestBatch,
        device: CachedDevice,
        part: _Part,
        reason: RejectReason,
        items: list[tuple[int, str, Any]],
    ) -> None:
        by_ts: dict[int, dict[str, Any]] = {}
        for ts, key, raw in items:
            by_ts.setdefault(ts, {})[key] = raw
        keys = {key for _ts, key, _raw in items}
        if reason is RejectReason.FUTURE_TIMESTAMP:
            ahead = max(ts for ts in by_ts) - batch.now
            allowed = self.max_future_skew_ms / 1000
            detail = f"ts up to {ahead / 1000:.0f} s ahead of the server clock (allowed {allowed:.0f} s)"
        elif reason is RejectReason.UNKNOWN_POINT:
            detail = f"device {device.code} has no point {_keys(keys)}"
        elif reason is RejectReason.NOT_NUMERIC:
            detail = f"not a number: {_keys(keys)}"
        else:
            detail = f"NaN or infinite: {_keys(keys)}"
        batch.reject(
            part.message,
            device,
            reason,
            detail,
            payloads.normalised(part.fmt, [(part.code, sorted(by_ts.items()))]),
            len(items),
            token=part.token,
        )

    def _retry_points(
        self,
        session: Session,
        batch: IngestBatch,
        cache: RegistryCache,
        unknown: list[tuple[_Part, CachedDevice, list[tuple[int, str, Any]]]],
        force: bool,
    ) -> None:
        point_keys = [(device.id, key) for _p, device, missing in unknown for _ts, key, _raw in missing]
        with self._miss_lock:
            if self._may_refresh(force, point_keys):
                with self._lock:
                    cache.refresh(
                        session, tokens=set(), codes=set(), device_ids={device.id for _p, device, _m in unknown}
                    )
        for part, device, missing in unknown:
            fresh = cache.by_id.get(device.id)
            retry = fresh if fresh is not None and not fresh.disabled else None
            if retry is not None and any(key in retry.points for _ts, key, _raw in missing):
                by_ts: dict[int, dict[str, Any]] = {}
                for ts, key, raw in missing:
                    by_ts.setdefault(ts, {})[key] = raw
                again = _Part(part.message, part.fmt, part.token, part.code, list(by_ts.items()), part.gateway)
                batch.counter(retry, batch.messages[part.message].received_ms).messages -= 1  # counted once
                missing = self._values(batch, retry, again)
            if missing:
                self._reject_values(batch, device, part, RejectReason.UNKNOWN_POINT, missing)

    # -- storing ---------------------------------------------------------------------------------------------------
    def _forget_deleted(self, session: Session, batch: IngestBatch) -> None:
        """Devices deleted from the registry since the cache was loaded (by another process, or in this one
        without the event yet): their counters are dropped and their dead letters kept without a device, so
        a stale cache never fails a batch on a foreign key. One query per batch."""
        touched = set(batch.counters) | {device_id for device_id, _reason in batch.rejections}
        touched |= {draft.device_id for draft in batch.dead if draft.device_id is not None}
        if not touched:
            return
        gone = touched - existing_devices(session, touched)
        if not gone:
            return
        log.info("devices %s were deleted from the registry; reloading it", sorted(gone))
        self.invalidate()
        for device_id in gone:
            batch.counters.pop(device_id, None)
        batch.rejections = {key: value for key, value in batch.rejections.items() if key[0] not in gone}
        batch.dead = [
            dataclasses.replace(draft, device_id=None) if draft.device_id in gone else draft for draft in batch.dead
        ]

    def _write(
        self, session: Session, batch: IngestBatch, cache: RegistryCache, count_traffic: bool, options: WriteOptions
    ) -> None:
        self._forget_deleted(session, batch)
        summary = batch.summary
        stored_by_device: dict[int, int] = {}
        if batch.rows:
            if options.before_write is not None:
                options.before_write()
            result = self.writer(session, batch.rows, defer_coarse=options.defer_coarse)
            summary.stored += result.stored
            summary.duplicates += result.duplicates
            point_device = cache.point_device
            for pid, stored in result.stored_by_point.items():
                device_id = point_device.get(pid)
                if device_id is not None:
                    stored_by_device[device_id] = stored_by_device.get(device_id, 0) + stored
        traffic: list[dict[str, Any]] = []
        for device_id in sorted(batch.counters):
            counters = batch.counters[device_id]
            device = cache.by_id.get(device_id)
            if device is None:
                continue
            stored = stored_by_device.get(device_id, 0)
            traffic.append(
                {
                    "device_id": device_id,
                    "park_id": device.park_id,
                    "enterprise_id": device.enterprise_id,
                    "last_seen_ms": counters.last_seen if count_traffic else None,
                    "messages": counters.messages if count_traffic else 0,
                    "readings": stored,
                    "duplicates": max(counters.rows - stored, 0),
                    "bad_quality": counters.bad,
                    "rejected": counters.rejected if count_traffic else 0,
                }
            )
        if traffic:
            upsert(session, DeviceTraffic, traffic_conflict, traffic)
        if count_traffic and batch.rejections:
            rejections = []
            for (device_id, reason), (count, last_ms) in sorted(batch.rejections.items()):
                device = cache.by_id.get(device_id)
                if device is None:
                    continue
                rejections.append(
                    {
                        "device_id": device_id,
                        "reason": reason,
                        "park_id": device.park_id,
                        "enterprise_id": device.enterprise_id,
                        "count": count,
                        "last_ms": last_ms,
                    }
                )
            if rejections:
                upsert(session, DeviceRejection, rejection_conflict, rejections)


# -- the process's Ingestor ------------------------------------------------------------------------------------------
_ingestor: Ingestor | None = None
_ingestor_lock = threading.Lock()


def get_ingestor() -> Ingestor:
    """The process-wide Ingestor (HTTP ingestion, replays, the MQTT runner), invalidated on registry changes."""
    global _ingestor
    if _ingestor is None:
        with _ingestor_lock:
            if _ingestor is None:
                from digipark.core.events import bus
                from digipark.registry.service import RegistryChanged

                ingestor = Ingestor()

                def on_change(event: RegistryChanged) -> None:
                    if event.kind in ("device", "point"):
                        ingestor.invalidate()

                bus.subscribe(RegistryChanged, on_change)
                _ingestor = ingestor
    return _ingestor
