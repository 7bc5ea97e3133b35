"""Device claiming (ThingsBoard's "claiming devices", with a code the park gives out): park staff issue a claim
code for one of the park's own devices (shown once, kept as its SHA-256 digest, valid for some days); an enterprise
presenting the device's code and the claim code becomes the device's owner — the device, its points, its profile
use, shared attributes and protocol bindings then carry the enterprise. A wrong code, an expired or used claim and a
device that already has an owner are refused alike (404: which of them is not said) and change nothing.

Device-side claiming (ThingsBoard's): a device without an owner publishes its own claim secret and how long it holds
(`v1/devices/me/claim` over MQTT, `POST /api/v1/{token}/claim` over HTTP: `{"secretKey", "durationMs"}`); it is
kept as its digest like a claim code, for at most `MAX_DAYS`, and an enterprise claims the device with the device's
code and that secret through the same `claim` (and the same 404).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope, system_scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, DomainError, NotFound, PermissionDenied, field_error
from digipark.devices.attribute_models import DeviceSharedAttribute
from digipark.devices.models import DeviceBinding
from digipark.devices.profile_models import DeviceClaim, DeviceProfileUse
from digipark.devices.schemas import DeviceClaimRequest
from digipark.registry import schemas as registry_schemas
from digipark.registry import service as registry
from digipark.registry.models import Device

log = logging.getLogger("digipark.devices.claims")

ISSUE = "device.write"
CLAIM = "devices.claim"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper
CODE_LENGTH = 12
MAX_DAYS = 90
MAX_DURATION_MS = MAX_DAYS * 86_400_000
DEFAULT_DURATION_MS = 86_400_000  # a day, when the device does not say
DEVICE_AUTHOR = "device"


def code_digest(code: str) -> str:
    return hashlib.sha256(code.strip().upper().replace("-", "").encode("utf-8", "surrogatepass")).hexdigest()


def issue(
    session: Session, *, scope: Scope, device_id: int, days: int = 7, now: dt.datetime | None = None
) -> tuple[DeviceClaim, str]:
    """A claim code for a device of the park with no owner yet (an earlier, unused code of it stops working)."""
    if not scope.is_staff:
        raise PermissionDenied("only the park's staff issue claim codes")
    device = scope.get_or_404(session, Device, device_id)
    scope.authorize_write_row(ISSUE, device)
    if device.enterprise_id is not None:
        raise Conflict("this device already belongs to an enterprise")
    if not 1 <= days <= MAX_DAYS:
        raise field_error("days", "out of range [1, 90]")
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    now = now or utcnow()
    row = _open_claim(session, device, code_digest(code), now + dt.timedelta(days=days), scope.username)
    return row, f"{code[:4]}-{code[4:8]}-{code[8:]}"


def _open_claim(session: Session, device: Device, code_hash: str, expires_at: dt.datetime, author: str) -> DeviceClaim:
    """The device's one claim, unused, with a new code (an earlier code or secret of it stops working)."""
    row = session.scalar(select(DeviceClaim).where(DeviceClaim.device_id == device.id))
    if row is None:
        row = DeviceClaim(park_id=device.park_id, device_id=device.id)
        session.add(row)
    row.code_hash = code_hash
    row.expires_at = expires_at
    row.created_by = author
    row.claimed_by = None
    row.claimed_at = None
    row.enterprise_id = None
    session.flush()
    return row


def set_device_secret(
    session: Session, *, token_hash: str, secret: str, duration_ms: int | None, now: dt.datetime | None = None
) -> DeviceClaim:
    """The claim secret a device gives for itself (device-side claiming), replacing an unused earlier code or secret.
    404 for an unknown token, 409 for a device that already has an owner, 422 for a secret or duration out of
    bounds."""
    device = session.scalar(select(Device).where(Device.token_hash == token_hash))
    if device is None:
        raise NotFound("no device with this token")
    if device.enterprise_id is not None:
        raise Conflict("this device already belongs to an enterprise")
    if not 1 <= len(secret.strip()) <= 64:
        raise field_error("secretKey", "give a secret of 1 to 64 characters")
    duration = DEFAULT_DURATION_MS if duration_ms is None else duration_ms
    if not 1 <= duration <= MAX_DURATION_MS:
        raise field_error("durationMs", "out of range [1, 90 days]")
    now = now or utcnow()
    return _open_claim(session, device, code_digest(secret), now + dt.timedelta(milliseconds=duration), DEVICE_AUTHOR)


def device_secret_from_mqtt(session: Session, topic: str, payload: bytes, *, now: dt.datetime) -> bool:
    """A device's claim secret published over MQTT (the broker's `digipark/d/<digest>/claim`); False when the topic
    is not one, or the device or its body is refused (logged: the device gets no answer, as with ThingsBoard)."""
    parts = topic.split("/")
    if len(parts) != 4 or parts[:2] != ["digipark", "d"] or parts[3] != "claim":
        return False
    try:
        body = orjson.loads(payload) if payload else {}
        request = DeviceClaimRequest.model_validate(body)
    except (orjson.JSONDecodeError, ValidationError):
        log.info("devices: a device's claim request that is not {secretKey, durationMs}")
        return False
    try:
        with session.begin_nested():
            set_device_secret(
                session, token_hash=parts[2], secret=request.secretKey, duration_ms=request.durationMs, now=now
            )
    except DomainError as exc:
        log.info("devices: a device's claim request refused: %s", exc.detail)
        return False
    return True


def claim(session: Session, *, scope: Scope, device_code: str, code: str, now: dt.datetime | None = None) -> Device:
    """The enterprise of the scope becomes the owner of the device named by its code, if the claim code is its."""
    scope.require(CLAIM)
    enterprise_id = scope.acting_enterprise(None) if scope.own_enterprise_only else None
    if enterprise_id is None:
        raise PermissionDenied("only an enterprise claims devices")
    park = scope.acting_write_park(None)
    now = now or utcnow()
    found = session.execute(
        select(Device, DeviceClaim)
        .join(DeviceClaim, DeviceClaim.device_id == Device.id)
        .where(Device.park_id == park, Device.code == device_code.strip())
    ).first()
    refused = NotFound("no device with this code and claim code, or the claim code was used or has expired")
    if found is None:
        raise refused
    device, row = found
    if (
        row.claimed_at is not None
        or row.expires_at <= now
        or device.enterprise_id is not None
        or not hmac.compare_digest(row.code_hash, code_digest(code))
    ):
        raise refused
    data: Any = registry_schemas.DeviceUpdate(enterprise_id=enterprise_id)
    registry.update(session, scope=system_scope(park), kind=registry.KINDS["device"], ident=device.id, data=data)
    owned: list[Any] = [DeviceProfileUse, DeviceSharedAttribute, DeviceBinding]
    for model in owned:  # through the ORM: audited
        for owned_row in session.scalars(select(model).where(model.device_id == device.id)):
            owned_row.enterprise_id = enterprise_id
    row.enterprise_id = enterprise_id
    row.claimed_by = scope.username
    row.claimed_at = now
    session.flush()
    return device


def list_claims(session: Session, *, scope: Scope) -> list[tuple[DeviceClaim, Device]]:
    """Staff: the park's claims; an enterprise: the devices it claimed."""
    both: Any = select(DeviceClaim, Device)
    stmt = scope.readable(DeviceClaim, both).join(Device, Device.id == DeviceClaim.device_id)
    return [(c, d) for c, d in session.execute(stmt.order_by(DeviceClaim.id.desc()).limit(500))]


def claimable_devices(session: Session, *, scope: Scope) -> list[Device]:
    """The park's devices with no owner (staff issue claim codes for them)."""
    stmt = scope.readable(Device).where(Device.enterprise_id.is_(None)).order_by(Device.code).limit(2000)
    return list(session.scalars(stmt))
