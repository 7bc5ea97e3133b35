"""REST API of device commands under /api/v1 (thin: parse, call the service, shape).

- `POST /api/v1/commands`: request a command (`Idempotency-Key` header or `idempotency_key` field: a repeat gives
  back the first); `GET /api/v1/commands` (filter by device, incident, state), `GET /api/v1/commands/{id}`;
  `POST /api/v1/commands/{id}/confirm`: the second person's confirmation (or refusal) of a safety command.
- Devices that hold no connection (HTTP long-poll, token in the path as for telemetry):
  `GET /api/v1/devices/{token}/commands?timeout_s=N` waits up to N seconds for commands and returns them (they are
  delivered from then on); `POST /api/v1/devices/{token}/commands/{id}/answer` reports the outcome.
- `GET /api/v1/devices/{id}/connections`: the device's field-protocol bindings with their connectors' health.
- Device-side claiming: `POST /api/v1/{token}/claim` (ThingsBoard's path and body `{"secretKey", "durationMs"}`):
  the device's own claim secret, with which an enterprise claims it (`devices.claims`).
- Provisioning (`devices.provisioning`): `POST/GET /api/v1/provisioning-keys` (park staff), and the device's
  `POST /api/v1/provision` (ThingsBoard's body; the key and its secret are the credential).
"""

# No `from __future__ import annotations`: FastAPI reads the route annotations at import time.

import time
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query

from digipark.audit.service import Actor, set_actor
from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.core import metrics
from digipark.core.db import transaction, utcnow
from digipark.core.errors import Conflict, NotFound
from digipark.devices import claims, commands, provisioning, schemas
from digipark.devices.models import Channel, CommandState
from digipark.registry.device_tokens import token_digest

router = APIRouter(prefix="/api/v1")
TAGS: list[str | Enum] = ["devices: commands"]
DEVICE_TAGS: list[str | Enum] = ["devices: device side"]
Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
Token = Annotated[str, Path(min_length=1, max_length=64)]
MAX_WAIT_S = 30
POLL_S = 0.25


@router.post("/commands", response_model=schemas.CommandRead, status_code=201, tags=TAGS)
def create_command(
    data: schemas.CommandCreate,
    db: DbSession,
    scope: CurrentScope,
    idempotency_key: Annotated[str | None, Header(max_length=80)] = None,
) -> Any:
    """Request a command; a safety command waits for a second person (409/403 rules in the service)."""
    return commands.create(
        db,
        scope=scope,
        device_id=data.device_id,
        name=data.name,
        params=data.params,
        reason=data.reason,
        incident_id=data.incident_id,
        alarm_id=data.alarm_id,
        idempotency_key=data.idempotency_key or idempotency_key,
    )


@router.get("/commands", response_model=list[schemas.CommandRead], tags=TAGS)
def list_commands(
    db: DbSession,
    scope: CurrentScope,
    device_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    incident_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    state: Annotated[CommandState | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    """The commands you may read, newest first."""
    return commands.list_for(
        db,
        scope=scope,
        device_id=device_id,
        incident_id=incident_id,
        state=state.value if state is not None else None,
        limit=limit,
    )


@router.get("/commands/{ident}", response_model=schemas.CommandRead, tags=TAGS)
def get_command(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return commands.get(db, scope=scope, ident=ident)


@router.post("/commands/{ident}/confirm", response_model=schemas.CommandRead, tags=TAGS)
def confirm_command(ident: Ident, data: schemas.CommandConfirm, db: DbSession, scope: CurrentScope) -> Any:
    """Confirm (or refuse, `approve: false`) a safety command: 403 for the person who asked for it."""
    return commands.confirm(db, scope=scope, ident=ident, approve=data.approve)


@router.get("/devices/{ident}/connections", response_model=list[schemas.ConnectionRead], tags=TAGS)
def device_connections(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """The device's field-protocol bindings and each connector's health for it (last read, current error)."""
    from digipark.devices.connectors.common import connections_of
    from digipark.registry.models import Device

    return connections_of(db, scope.get_or_404(db, Device, ident).id)


@router.post("/devices/{token}/commands", response_model=list[schemas.DeviceCommandOut], tags=DEVICE_TAGS)
def poll_commands(token: Token, timeout_s: Annotated[int, Query(ge=0, le=MAX_WAIT_S)] = 0) -> Any:
    """The device's waiting commands (HTTP long-poll): waits up to `timeout_s` for one; 404 for an unknown token.
    A POST, since fetching a command delivers it."""
    digest = token_digest(token)
    deadline = time.monotonic() + timeout_s
    while True:
        with transaction(write=True, name="device command poll") as session:
            set_actor(session, Actor("device"))
            rows = commands.fetch_for_device(session, token_hash=digest, now=utcnow())
            out = [commands.request_body(row) for row in rows]
        if out or time.monotonic() >= deadline:
            return out
        time.sleep(POLL_S)


@router.post("/devices/{token}/commands/{ident}/answer", response_model=schemas.AnswerResult, tags=DEVICE_TAGS)
def answer_command(token: Token, ident: Ident, data: schemas.CommandAnswer, db: DbSession) -> Any:
    """The device reports what became of a command (delivered, succeeded or failed)."""
    set_actor(db, Actor("device"))
    command = commands.command_of_device(db, token_hash=token_digest(token), ident=ident)
    if command is None:
        raise NotFound("this device has no such command")
    if command.channel != Channel.HTTP.value:
        raise Conflict("this command is not sent over HTTP")
    commands.apply_answer(command, data.model_dump(exclude_none=True), thingsboard=False, now=utcnow())
    db.flush()
    return command


def _command_states(session: Any) -> list[tuple[str, int]]:
    from sqlalchemy import func, select

    from digipark.devices.models import DeviceCommand

    rows = session.execute(select(DeviceCommand.state, func.count()).group_by(DeviceCommand.state)).all()
    return [(str(state), int(count)) for state, count in rows]


metrics.register_state_counts("device_commands", "Device commands by state", _command_states)


PROVISION_TAGS: list[str | Enum] = ["devices: provisioning"]


@router.post("/provisioning-keys", response_model=schemas.ProvisioningKeyIssued, status_code=201, tags=PROVISION_TAGS)
def create_provisioning_key(data: schemas.ProvisioningKeyCreate, db: DbSession, scope: CurrentScope) -> Any:
    """A provisioning key of the park (staff with device.write); its secret is in this answer only."""
    row, secret = provisioning.create_key(
        db,
        scope=scope,
        name=data.name,
        kind=data.kind,
        max_devices=data.max_devices,
        enterprise_id=data.enterprise_id,
        park_id=data.park_id,
    )
    return {**schemas.ProvisioningKeyRead.model_validate(row).model_dump(), "secret": secret}


@router.get("/provisioning-keys", response_model=list[schemas.ProvisioningKeyRead], tags=PROVISION_TAGS)
def list_provisioning_keys(db: DbSession, scope: CurrentScope) -> Any:
    return provisioning.list_keys(db, scope=scope)


@router.post("/provision", response_model=schemas.ProvisionResponse, tags=PROVISION_TAGS)
def provision_device(data: schemas.ProvisionRequest, db: DbSession) -> Any:
    """A device presents a provisioning key, its secret and its name; it gets its own token once (no user token:
    the key and secret are the credential)."""
    set_actor(db, Actor(f"provisioning key {data.provisionDeviceKey[:8]}"))
    device, token = provisioning.provision(
        db, key=data.provisionDeviceKey, secret=data.provisionDeviceSecret, device_name=data.deviceName
    )
    db.flush()
    return {"credentialsValue": token, "deviceId": device.id}


@router.post(
    "/{token}/claim",
    status_code=204,
    tags=DEVICE_TAGS,
    responses={404: {"description": "no device with this token"}, 409: {"description": "the device has an owner"}},
)
def device_claim_secret(token: Token, data: schemas.DeviceClaimRequest, db: DbSession) -> None:
    """ThingsBoard's device-side claiming over HTTP: the device gives its own claim secret (kept as its digest) and
    how long it holds; an enterprise then claims the device with its code and the secret."""
    set_actor(db, Actor("device claiming"))
    claims.set_device_secret(db, token_hash=token_digest(token), secret=data.secretKey, duration_ms=data.durationMs)
