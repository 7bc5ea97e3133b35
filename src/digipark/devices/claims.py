"""Device claiming (ThingsBoard's "claiming devices", with a code the park gives out): park staff issue a claim
code for one of the park's own devices (shown once, kept as its SHA-256 digest, valid for some days); an enterprise
presenting the device's code and the claim code becomes the device's owner — the device, its points, its profile
use, shared attributes and protocol bindings then carry the enterprise. A wrong code, an expired or used claim and a
device that already has an owner are refused alike (404: which of them is not said) and change nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope, system_scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound, PermissionDenied, field_error
from digipark.devices.attribute_models import DeviceSharedAttribute
from digipark.devices.models import DeviceBinding
from digipark.devices.profile_models import DeviceClaim, DeviceProfileUse
from digipark.registry import schemas as registry_schemas
from digipark.registry import service as registry
from digipark.registry.models import Device

ISSUE = "device.write"
CLAIM = "devices.claim"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper
CODE_LENGTH = 12
MAX_DAYS = 90


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
    row = session.scalar(select(DeviceClaim).where(DeviceClaim.device_id == device.id))
    if row is None:
        row = DeviceClaim(park_id=device.park_id, device_id=device.id)
        session.add(row)
    row.code_hash = code_digest(code)
    row.expires_at = now + dt.timedelta(days=days)
    row.created_by = scope.username
    row.claimed_by = None
    row.claimed_at = None
    row.enterprise_id = None
    session.flush()
    return row, f"{code[:4]}-{code[4:8]}-{code[8:]}"


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
