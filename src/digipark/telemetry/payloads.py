"""Telemetry payloads: from (MQTT topic, MQTT username, payload bytes) to per-device entries.

Accepted shapes (every source; JSON parsed with orjson):
- **native**: topic `digipark/v1/{device_token}/telemetry`, payload `{"ts": <epoch ms>, "values": {"<point key>":
  <number>, ...}}` or a list of such objects;
- **ThingsBoard device API**: topic `v1/devices/me/telemetry`, MQTT username = device token, payload `{"key":
  value, ...}`, `{"ts": ..., "values": {...}}` or a list of either;
- **ThingsBoard gateway API**: topic `v1/gateway/telemetry`, MQTT username = the gateway's own device token (or,
  moved there by the plugin `deploy/mosquitto/digipark_topics.c`, `digipark/v1/{gateway token}/gateway/telemetry`),
  payload `{"<device name>": [{"ts": ..., "values": {...}}, ...], ...}` (a single object instead of the list is
  accepted too). A gateway is a device of the registry; each *device name* is the `code` of a device in the
  gateway's park (Device.code is unique per park), so a gateway may report for any device of its own park and
  never for another park's;
- **HTTP** (`POST /api/v1/devices/{token}/telemetry`, or topic None with username = token): the native body.
The flat ThingsBoard shape `{"key": value}` is accepted on every topic and means "now": the Ingestor uses the
server's receive time (the shape for a device without a clock). An object with a `ts` or a `values` member is read as
the `{"ts", "values"}` shape, must have no other member, and must carry its `ts` (as in ThingsBoard): without it the
message raises `BadTimestamp` and is dead-lettered, never stored at the time of receipt unannounced. A message that
carries no value at all (`{"values": {}}`, `{}`, `[]`, a gateway device with no entries) raises `MalformedPayload`,
so it is dead-lettered and counted instead of leaving no trace.

Timestamps are integers of epoch milliseconds (an integral float such as 1.7e12 is accepted); anything else, or a
time before 2000-01-01 (typically seconds sent instead of milliseconds) or after 9999, raises `BadTimestamp`. Any
other shape raises `MalformedPayload`. These two `PayloadError`s are the only exceptions `parse` raises, whatever
the bytes. Values are passed on as JSON gave them; judging them (numeric, finite, known point) is the Ingestor's.

JSON has no NaN or infinity; devices that write them anyway (`NaN`, `Infinity`, Python's json default) are read
with the standard library as a fallback, so such a value is rejected alone (not_finite) instead of its message.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any, ClassVar

import orjson

from digipark.registry.device_tokens import token_hint
from digipark.telemetry.models import RejectReason

NATIVE_PREFIX = "digipark/v1/"
NATIVE_SUFFIX = "/telemetry"
GATEWAY_SUFFIX = "/gateway/telemetry"  # digipark/v1/{gateway token}/gateway/telemetry (deploy/mosquitto plugin)
TB_DEVICE_TOPIC = "v1/devices/me/telemetry"
TB_GATEWAY_TOPIC = "v1/gateway/telemetry"

MIN_TS_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
MAX_TS_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
MAX_TOKEN_LENGTH = 64  # a presented token longer than any issued one is no token

# (ts or None for "now" (the flat shape), {point key: value as JSON gave it}, never empty)
Entry = tuple[int | None, dict[str, Any]]


class Format(enum.StrEnum):
    NATIVE = "native"
    THINGSBOARD = "thingsboard"
    GATEWAY = "gateway"
    HTTP = "http"


class PayloadError(ValueError):
    """A message that cannot be read; `reason` is the dead letter's reason."""

    reason: ClassVar[RejectReason] = RejectReason.MALFORMED

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class MalformedPayload(PayloadError):
    reason = RejectReason.MALFORMED


class BadTimestamp(PayloadError):
    reason = RejectReason.BAD_TIMESTAMP


@dataclasses.dataclass(frozen=True, slots=True)
class DeviceMessage:
    """The entries of one device in a message. `device_code` is set for a gateway's sub-device (the code of a
    device in the gateway's park); otherwise the message's token names the device itself."""

    device_code: str | None
    entries: list[Entry]


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedMessage:
    format: Format
    token: str | None  # the device's (or the gateway's) token; None when the message names none
    devices: list[DeviceMessage]


def masked_topic(topic: str) -> str:
    """A topic as a dead letter keeps it: a native topic's token level cut to its first characters."""
    if not topic.startswith(NATIVE_PREFIX):
        return topic
    token, separator, rest = topic[len(NATIVE_PREFIX) :].partition("/")
    return NATIVE_PREFIX + token_hint(token) + separator + rest


def route(topic: str | None, username: str | None) -> tuple[Format, str | None]:
    """The format and the authenticating token of a message; raises MalformedPayload for an unknown topic."""
    if topic is not None and topic.startswith(NATIVE_PREFIX) and topic.endswith(GATEWAY_SUFFIX):
        token = topic[len(NATIVE_PREFIX) : len(topic) - len(GATEWAY_SUFFIX)]
        if token and "/" not in token and len(token) <= MAX_TOKEN_LENGTH:
            return Format.GATEWAY, token
    if topic is not None and topic.startswith(NATIVE_PREFIX) and topic.endswith(NATIVE_SUFFIX):
        token = topic[len(NATIVE_PREFIX) : len(topic) - len(NATIVE_SUFFIX)]
        if token and "/" not in token and len(token) <= MAX_TOKEN_LENGTH:
            return Format.NATIVE, token
        raise MalformedPayload(f"topic {masked_topic(topic)[:100]!r} does not name a device token")
    if topic is None:
        return Format.HTTP, username or None
    if topic == TB_DEVICE_TOPIC:
        return Format.THINGSBOARD, username or None
    if topic == TB_GATEWAY_TOPIC:
        return Format.GATEWAY, username or None
    raise MalformedPayload(f"unsupported topic {topic[:100]!r}")


def loads(payload: bytes) -> Any:
    """JSON from bytes: orjson; on failure the standard library (NaN, Infinity); MalformedPayload otherwise."""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(payload)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise MalformedPayload(f"not JSON: {str(exc)[:200]}") from None


def dumps(data: Any) -> str:
    """JSON text that `loads` reads back exactly, non-finite floats included (for dead letters)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=True)


def parse_ts(raw: Any) -> int:
    if type(raw) is int:
        ts = raw
    elif type(raw) is float and raw.is_integer():
        ts = int(raw)
    else:
        raise BadTimestamp(f"ts must be an integer of epoch milliseconds, got {_short(raw)}")
    if ts < MIN_TS_MS:
        hint = " (seconds instead of milliseconds?)" if ts >= MIN_TS_MS // 1000 else ""
        raise BadTimestamp(f"ts {ts} is before 2000-01-01{hint}")
    if ts > MAX_TS_MS:
        raise BadTimestamp(f"ts {ts} is after 9999-12-31")
    return ts


def _short(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."


def _entry(obj: dict[str, Any]) -> Entry:
    """One `{"ts", "values"}` object, or a flat `{"key": value}` object (no ts)."""
    if "values" in obj or "ts" in obj:
        values = obj.get("values")
        if type(values) is not dict:
            raise MalformedPayload('"values" must be an object of point keys and numbers')
        if len(obj) > 2 or (len(obj) == 2 and "ts" not in obj):
            extra = sorted(k for k in obj if k not in ("ts", "values"))
            raise MalformedPayload(f'unexpected members {extra[:5]} beside "ts" and "values"')
        if "ts" not in obj:
            raise BadTimestamp(
                '"ts" is missing: a {"ts", "values"} object carries its time (epoch ms); '
                'send {"<point key>": <number>} for the time of receipt'
            )
        if not values:
            raise MalformedPayload('"values" is empty: a message must carry at least one value')
        return parse_ts(obj["ts"]), values
    if not obj:
        raise MalformedPayload("the object is empty: a message must carry at least one value")
    return None, obj


def _entries(data: Any) -> list[Entry]:
    if type(data) is dict:
        return [_entry(data)]
    if type(data) is list:
        if not data:
            raise MalformedPayload("the list is empty: a message must carry at least one value")
        entries: list[Entry] = []
        for item in data:
            if type(item) is not dict:
                raise MalformedPayload("a list must hold objects")
            entries.append(_entry(item))
        return entries
    raise MalformedPayload("the payload must be an object or a list of objects")


def entries_of(payload: bytes) -> list[Entry]:
    """The entries of a device's own message (every format but the gateway's)."""
    return _entries(loads(payload))


def parse_body(fmt: Format, payload: bytes) -> list[DeviceMessage]:
    data = loads(payload)
    if fmt is not Format.GATEWAY:
        return [DeviceMessage(None, _entries(data))]
    if type(data) is not dict:
        raise MalformedPayload('a gateway payload is an object {"<device name>": [{"ts": ..., "values": {...}}]}')
    if not data:
        raise MalformedPayload("the gateway payload names no device: a message must carry at least one value")
    return [DeviceMessage(name, _entries(part)) for name, part in data.items()]


def parse(topic: str | None, username: str | None, payload: bytes) -> ParsedMessage:
    """Read one message; raises only PayloadError (MalformedPayload, BadTimestamp)."""
    fmt, token = route(topic, username)
    return ParsedMessage(fmt, token, parse_body(fmt, payload))


def normalised(fmt: Format, parts: list[tuple[str | None, list[tuple[int, dict[str, Any]]]]]) -> str:
    """The payload that re-sends exactly these entries (timestamps filled in) in the message's format: a list of
    `{"ts", "values"}` objects, or for a gateway `{"<device name>": [...]}`."""
    if fmt is Format.GATEWAY:
        merged: dict[str, list[dict[str, Any]]] = {}
        for code, entries in parts:
            merged.setdefault(code or "", []).extend({"ts": ts, "values": values} for ts, values in entries)
        return dumps(merged)
    return dumps([{"ts": ts, "values": values} for _code, entries in parts for ts, values in entries])
