"""Device provisioning by key (ThingsBoard's "device provisioning", over HTTP).

Park staff make a provisioning key for a device kind (and optionally one enterprise): a key shown with the key
list, a secret shown once (kept as its SHA-256 digest), and how many devices it may make. A device presents the
key, the secret and its own name (`POST /api/v1/provision`, ThingsBoard's body `provisionDeviceKey`,
`provisionDeviceSecret`, `deviceName`): it is created in the key's park with the key's kind (and enterprise) and
the catalogue's points, and receives its own access token once. A wrong key or secret is 404 (which of the two is
not said); a name already used in the park, a used-up or inactive key is 409. Nothing is written then.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope, system_scope
from digipark.core.errors import Conflict, DomainError, NotFound, PermissionDenied, field_error
from digipark.devices import profiles
from digipark.devices.models import ProvisioningKey
from digipark.devices.schemas import ProvisionRequest
from digipark.registry import schemas as registry_schemas
from digipark.registry import service as registry
from digipark.registry.catalog import device_kind
from digipark.registry.models import Device, Enterprise

WRITE = "device.write"


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_key(
    session: Session,
    *,
    scope: Scope,
    name: str,
    kind: str,
    max_devices: int,
    enterprise_id: int | None = None,
    park_id: int | None = None,
) -> tuple[ProvisioningKey, str]:
    """A new key of the scope's park and its secret (the only time the secret is seen)."""
    park = scope.acting_write_park(park_id)
    if not scope.is_staff:
        raise PermissionDenied("only the park's staff manage provisioning keys")
    scope.authorize_write(WRITE, park_id=park, enterprise_id=enterprise_id)
    profile = profiles.current(session, park_id=park, key=kind)
    if profile is None and device_kind(kind) is None:
        raise field_error("kind", "unknown device kind")
    if (
        enterprise_id is not None
        and session.scalar(select(Enterprise.id).where(Enterprise.id == enterprise_id, Enterprise.park_id == park))
        is None
    ):
        raise field_error("enterprise_id", "no such enterprise in this park")
    secret = secrets.token_urlsafe(24)
    row = ProvisioningKey(
        park_id=park,
        enterprise_id=enterprise_id,
        name=name.strip(),
        key=secrets.token_hex(10),
        secret_hash=secret_digest(secret),
        kind=profile.kind if profile is not None else kind,
        profile_key=kind,
        max_devices=max_devices,
        devices_made=0,
        active=True,
        created_by=scope.username,
    )
    session.add(row)
    session.flush()
    return row, secret


def list_keys(session: Session, *, scope: Scope) -> list[ProvisioningKey]:
    return list(session.scalars(scope.readable(ProvisioningKey).order_by(ProvisioningKey.id)))


def revoke_key(session: Session, *, scope: Scope, ident: int) -> ProvisioningKey:
    """A key that makes no more devices (the devices it made keep their tokens)."""
    row = scope.get_or_404(session, ProvisioningKey, ident)
    if not scope.is_staff:
        raise PermissionDenied("only the park's staff manage provisioning keys")
    scope.authorize_write_row(WRITE, row)
    if not row.active:
        raise Conflict("this provisioning key is already revoked")
    row.active = False
    session.flush()
    return row


def answer(session: Session, payload: bytes) -> dict[str, Any]:
    """ThingsBoard's answer to a provisioning request over MQTT (`/provision/request`): the credentials, or
    `{"status": "NOT_FOUND" | "FAILURE", "errorMsg": ...}`; nothing is written when it fails."""
    try:
        body = orjson.loads(payload)
        request = ProvisionRequest.model_validate(body)
    except (orjson.JSONDecodeError, ValidationError):
        return {
            "status": "FAILURE",
            "errorMsg": "a provisioning request needs deviceName, provisionDeviceKey and provisionDeviceSecret",
        }
    try:
        with session.begin_nested():
            device, token = provision(
                session,
                key=request.provisionDeviceKey,
                secret=request.provisionDeviceSecret,
                device_name=request.deviceName,
            )
    except NotFound as exc:
        return {"status": "NOT_FOUND", "errorMsg": exc.detail}
    except DomainError as exc:
        return {"status": "FAILURE", "errorMsg": exc.detail}
    return {"status": "SUCCESS", "credentialsType": "ACCESS_TOKEN", "credentialsValue": token, "deviceId": device.id}


def provision(session: Session, *, key: str, secret: str, device_name: str) -> tuple[Device, str]:
    """The device a key's holder asks for, and its token (shown once)."""
    row = session.scalar(select(ProvisioningKey).where(ProvisioningKey.key == key).with_for_update())
    if row is None or not hmac.compare_digest(row.secret_hash, secret_digest(secret)):
        raise NotFound("no such provisioning key, or a wrong secret")
    if not row.active:
        raise Conflict("this provisioning key is not active")
    if row.devices_made >= row.max_devices:
        raise Conflict("this provisioning key has made all the devices it may")
    if session.scalar(select(Device.id).where(Device.park_id == row.park_id, Device.code == device_name)) is not None:
        raise Conflict("a device with this name is already provisioned")
    profile = profiles.profile_for_new_device(session, park_id=row.park_id, key=row.profile_key or row.kind)
    data: Any = registry_schemas.DeviceCreate(
        code=device_name,
        name=device_name,
        kind=row.kind,
        enterprise_id=row.enterprise_id,
        create_points=profile is None,
        **({"protocol": profile.protocol} if profile is not None else {}),
    )
    device: Any = registry.create(session, scope=system_scope(row.park_id), kind=registry.KINDS["device"], data=data)
    if profile is not None:
        profiles.put_on(session, device, profile)
    row.devices_made += 1
    session.flush()
    token = device.issued_token
    assert isinstance(token, str)
    return device, token
