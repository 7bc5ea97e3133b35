"""Shared attributes of devices: key → JSON value, set by the platform (a person through the API or the device's
attributes page, or an automation rule), stored (`device_shared_attribute`, audited) and sent to the device by the
command dispatcher, the same publisher as commands (devices/dispatcher.py), after the change committed:

- a ThingsBoard-format device (protocol `thingsboard` / `gateway`) on `v1/devices/me/attributes` — the platform
  publishes `digipark/d/<token digest>/attributes` and the embedded broker delivers it under the device's name —
  with the changed attributes as one JSON object (`{"key": value, …}`), as ThingsBoard does;
- a native device on its own downlink topic `digipark/v1/<token>/downlink/attributes` (the platform's
  `digipark/d/<digest>/downlink/attributes`), the same object.

A ThingsBoard device may ask for them: it publishes `{"sharedKeys": "a,b"}` (or nothing: all) on
`v1/devices/me/attributes/request/<id>` and gets `{"shared": {…}}` on `v1/devices/me/attributes/response/<id>`.
Devices reached by HTTP, Modbus or OPC UA keep their attributes stored (not sent)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, field_error
from digipark.devices.attribute_models import DeviceSharedAttribute
from digipark.devices.commands import HTTP_PROTOCOLS, SEND, TB_PROTOCOLS
from digipark.registry.models import Device, DeviceStatus

VIEW = "devices.view"
KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
MAX_VALUE_BYTES = 4096
MAX_KEYS = 100  # per device
ROOT = "digipark/d/"


def checked(key: Any, value: Any, field: str = "values") -> tuple[str, Any]:
    """A key (a letter or _, then letters, digits, _ . -; at most 64) and a JSON value of at most 4 KB."""
    if not isinstance(key, str) or not KEY.match(key):
        raise field_error(f"{field}.key", "a name of letters, digits, _ . - (starting with a letter), at most 64")
    try:
        size = len(orjson.dumps(value))
    except TypeError:
        raise field_error(f"{field}.{key}", "not a JSON value") from None
    if size > MAX_VALUE_BYTES:
        raise field_error(f"{field}.{key}", f"at most {MAX_VALUE_BYTES} bytes of JSON")
    return key, value


def _writable(session: Session, scope: Scope, device_id: int) -> Device:
    device = scope.get_or_404(session, Device, device_id)
    scope.authorize_write_row(SEND, device)
    if device.status not in (DeviceStatus.ACTIVE.value, DeviceStatus.MAINTENANCE.value):
        raise Conflict("the device is not active")
    return device


def check(session: Session, *, scope: Scope, device_id: int, key: str, value: Any) -> None:
    """What `set_values` would refuse, without writing (automation's rule checks)."""
    _writable(session, scope, device_id)
    checked(key, value)


def rows_of(session: Session, *, scope: Scope, device_id: int) -> list[DeviceSharedAttribute]:
    scope.require(VIEW)
    device = scope.get_or_404(session, Device, device_id)
    return list(
        session.scalars(
            select(DeviceSharedAttribute)
            .where(DeviceSharedAttribute.device_id == device.id)
            .order_by(DeviceSharedAttribute.key)
        )
    )


def values_of(session: Session, *, scope: Scope, device_id: int) -> dict[str, Any]:
    """A device's shared attributes (read through the scope)."""
    return {row.key: row.value for row in rows_of(session, scope=scope, device_id=device_id)}


def set_values(
    session: Session, *, scope: Scope, device_id: int, values: Mapping[str, Any]
) -> list[DeviceSharedAttribute]:
    """Set (create or change) shared attributes; a value equal to the stored one changes nothing. Sent by the
    dispatcher after the commit."""
    device = _writable(session, scope, device_id)
    if not isinstance(values, Mapping) or not values:
        raise field_error("values", "give at least one attribute")
    items = [checked(k, v) for k, v in values.items()]
    existing = {
        row.key: row
        for row in session.scalars(select(DeviceSharedAttribute).where(DeviceSharedAttribute.device_id == device.id))
    }
    if len(set(existing) | {k for k, _ in items}) > MAX_KEYS:
        raise field_error("values", f"at most {MAX_KEYS} shared attributes per device")
    changed = []
    for key, value in items:
        row = existing.get(key)
        if row is None:
            row = DeviceSharedAttribute(
                park_id=device.park_id,
                enterprise_id=device.enterprise_id,
                device_id=device.id,
                key=key,
                value=value,
                version=1,
                sent_version=0,
                set_by=scope.username,
            )
            session.add(row)
        elif orjson.dumps(row.value) != orjson.dumps(value):
            row.value, row.version, row.set_by = value, row.version + 1, scope.username
        else:
            continue
        changed.append(row)
    session.flush()
    return changed


def set_one(session: Session, *, scope: Scope, device_id: int, key: str, value: Any) -> int:
    """Set one shared attribute; its version (automation's `set_attribute` action)."""
    set_values(session, scope=scope, device_id=device_id, values={key: value})
    row = session.scalar(
        select(DeviceSharedAttribute).where(
            DeviceSharedAttribute.device_id == device_id, DeviceSharedAttribute.key == key
        )
    )
    return row.version if row is not None else 0


# ---------------------------------------------------------------------------------------------------------------
# the dispatcher's side (no scope: the platform's own work)
# ---------------------------------------------------------------------------------------------------------------
def _unsent(limit: int) -> Any:
    return (
        select(DeviceSharedAttribute, Device)
        .join(Device, Device.id == DeviceSharedAttribute.device_id)
        .where(DeviceSharedAttribute.sent_version < DeviceSharedAttribute.version)
        .where(Device.protocol.not_in(sorted(HTTP_PROTOCOLS)))
        .order_by(DeviceSharedAttribute.device_id, DeviceSharedAttribute.key)
        .limit(limit)
    )


def waiting(session: Session) -> bool:
    return session.execute(_unsent(1)).first() is not None


def topic_of(device: Device) -> str:
    if device.protocol in TB_PROTOCOLS:
        return f"{ROOT}{device.token_hash}/attributes"
    return f"{ROOT}{device.token_hash}/downlink/attributes"


def due(session: Session, *, now: dt.datetime, limit: int = 500) -> list[tuple[str, bytes]]:
    """The messages of the changed attributes (one per device), marked sent: publish them after the commit."""
    by_device: dict[int, tuple[Device, dict[str, Any]]] = {}
    for row, device in session.execute(_unsent(limit)):
        by_device.setdefault(device.id, (device, {}))[1][row.key] = row.value
        row.sent_version, row.sent_at = row.version, now
    return [(topic_of(device), orjson.dumps(values)) for device, values in by_device.values() if device.token_hash]


def parse_request_topic(topic: str) -> tuple[str, str] | None:
    """(token digest, request id) of a device's attribute request as the platform reads it."""
    parts = topic.split("/")
    if len(parts) == 6 and parts[:2] == ["digipark", "d"] and parts[3:5] == ["attributes", "request"] and parts[5]:
        return parts[2], parts[5]
    return None


def answer_request(session: Session, topic: str, payload: bytes) -> tuple[str, bytes] | None:
    """The answer to a ThingsBoard attribute request: `{"shared": {…}}` (the keys asked for, or all)."""
    parsed = parse_request_topic(topic)
    if parsed is None:
        return None
    digest, ident = parsed
    device = session.scalar(select(Device).where(Device.token_hash == digest))
    if device is None:
        return None
    try:
        asked = orjson.loads(payload) if payload else {}
    except orjson.JSONDecodeError:
        asked = {}
    keys_text = asked.get("sharedKeys") if isinstance(asked, dict) else None
    wanted = {k.strip() for k in keys_text.split(",") if k.strip()} if isinstance(keys_text, str) else None
    rows = session.scalars(select(DeviceSharedAttribute).where(DeviceSharedAttribute.device_id == device.id))
    shared = {r.key: r.value for r in rows if wanted is None or r.key in wanted}
    return f"{ROOT}{digest}/attributes/response/{ident}", orjson.dumps({"shared": shared})


def wanted_by(topic: str) -> str | None:
    """The token digest of a device that has just subscribed to its attributes (`digipark/d/<digest>/attributes/
    wanted`, from the embedded broker)."""
    parts = topic.split("/")
    if len(parts) == 5 and parts[:2] == ["digipark", "d"] and parts[3:] == ["attributes", "wanted"] and parts[2]:
        return parts[2]
    return None


def has_any(session: Session, digest: str) -> bool:
    stmt = select(DeviceSharedAttribute.id).join(Device, Device.id == DeviceSharedAttribute.device_id)
    return session.scalar(stmt.where(Device.token_hash == digest).limit(1)) is not None


def resend(session: Session, topic: str, *, now: dt.datetime) -> tuple[str, bytes] | None:
    """All the shared attributes of a device that has just subscribed to them, marked sent: a device that
    (re)connects gets them, not only on change."""
    digest = wanted_by(topic)
    if digest is None:
        return None
    device = session.scalar(select(Device).where(Device.token_hash == digest))
    if device is None or device.protocol in HTTP_PROTOCOLS:
        return None
    rows = list(session.scalars(select(DeviceSharedAttribute).where(DeviceSharedAttribute.device_id == device.id)))
    if not rows:
        return None
    for row in rows:
        row.sent_version, row.sent_at = row.version, now
    return topic_of(device), orjson.dumps({r.key: r.value for r in rows})
