"""Commands to devices: request (with its parameters checked against the device kind's catalogue), a second
person's confirmation of a safety command, dispatch, the device's answers, retries and expiry.

States: awaiting_confirmation (safety commands) → queued → sent → delivered → succeeded | failed, or expired when
no final answer came within the command's timeout, or refused by the second person. A command is written with who
asked (`requested_by`) and why (`reason`); every change of it goes to the audit log (the model is `Audited`).
The same idempotency key for the same device gives back the command already made instead of a second one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from digipark.alarms import provides as alarms
from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound, PermissionDenied, field_error
from digipark.devices import profiles
from digipark.devices.catalog import CommandSpec, checked_params
from digipark.devices.models import OPEN_STATES, Channel, CommandState, DeviceBinding, DeviceCommand
from digipark.registry.models import Device, DeviceStatus
from digipark.safety import provides as safety

SEND = "devices.command"
CONFIRM = "devices.confirm"
RETRY_AFTER_S = 10  # a sent command without an answer is sent again after this (MQTT channels)
TB_PROTOCOLS = frozenset({"thingsboard", "gateway"})
HTTP_PROTOCOLS = frozenset({"http", "nb-iot"})
FINAL = frozenset({CommandState.SUCCEEDED.value, CommandState.FAILED.value, CommandState.EXPIRED.value})


def channel_of(session: Session, device: Device) -> Channel:
    """How a device is reached: its Modbus, OPC UA or HJ 212 binding, ThingsBoard RPC, HTTP long-poll, else the
    native topic."""
    bound = session.scalar(
        select(DeviceBinding.protocol).where(
            DeviceBinding.device_id == device.id,
            DeviceBinding.protocol.in_((Channel.MODBUS.value, Channel.OPCUA.value, Channel.HJ212.value)),
            DeviceBinding.active.is_(True),
        )
    )
    if bound is not None:
        return Channel(bound)
    if device.protocol in TB_PROTOCOLS:
        return Channel.THINGSBOARD
    if device.protocol in HTTP_PROTOCOLS:
        return Channel.HTTP
    return Channel.MQTT


def spec_or_422(session: Session, device: Device, name: str) -> CommandSpec:
    """The command as the device's profile version (or its kind's catalogue entry) describes it."""
    spec = profiles.command_spec_for(session, device, name)
    if spec is None:
        raise field_error("name", "this kind of device has no such command")
    return spec


def create(
    session: Session,
    *,
    scope: Scope,
    device_id: int,
    name: str,
    params: dict[str, Any],
    reason: str,
    incident_id: int | None = None,
    alarm_id: int | None = None,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
) -> DeviceCommand:
    """Request a command; a safety command waits for a second person's confirmation and must name the incident or
    alarm that prompted it."""
    device = scope.get_or_404(session, Device, device_id)
    scope.authorize_write_row(SEND, device)
    if idempotency_key:
        found = session.scalar(
            select(DeviceCommand).where(
                DeviceCommand.device_id == device.id, DeviceCommand.idempotency_key == idempotency_key
            )
        )
        if found is not None:
            if found.name != name:
                raise Conflict("this idempotency key was used for another command")
            return found
    spec = spec_or_422(session, device, name)
    values = checked_params(spec, params)
    if not reason.strip():
        raise field_error("reason", "required")
    if device.status != DeviceStatus.ACTIVE.value and device.status != DeviceStatus.MAINTENANCE.value:
        raise Conflict("the device is not active")
    if incident_id is not None:
        incident = safety.get_incident(session, scope=scope, ident=incident_id)
        if incident.park_id != device.park_id:
            raise field_error("incident_id", "the incident is of another park")
    if alarm_id is not None:
        alarm = alarms.get(session, scope=scope, ident=alarm_id)
        if alarm.park_id != device.park_id:
            raise field_error("alarm_id", "the alarm is of another park")
    if spec.safety and incident_id is None and alarm_id is None:
        raise field_error("incident_id", "a safety command names the incident or alarm that prompted it")
    now = now or utcnow()
    command = DeviceCommand(
        park_id=device.park_id,
        enterprise_id=device.enterprise_id,
        device_id=device.id,
        name=spec.name,
        params=values,
        channel=channel_of(session, device).value,
        state=(CommandState.AWAITING_CONFIRMATION if spec.safety else CommandState.QUEUED).value,
        reason=reason.strip(),
        requested_by=scope.username,
        requested_by_id=scope.user_id,
        safety=spec.safety,
        incident_id=incident_id,
        alarm_id=alarm_id,
        idempotency_key=idempotency_key or None,
        max_attempts=spec.max_attempts,
        retry_after_s=min(RETRY_AFTER_S, max(1, spec.timeout_s // max(spec.max_attempts, 1))),
        expires_at=now + dt.timedelta(seconds=spec.timeout_s),
        next_attempt_at=None if spec.safety else now,
    )
    session.add(command)
    session.flush()
    return command


def get(session: Session, *, scope: Scope, ident: int) -> DeviceCommand:
    return scope.get_or_404(session, DeviceCommand, ident)


def list_for(
    session: Session,
    *,
    scope: Scope,
    device_id: int | None = None,
    incident_id: int | None = None,
    state: str | None = None,
    limit: int = 100,
) -> list[DeviceCommand]:
    stmt = scope.readable(DeviceCommand)
    if device_id is not None:
        stmt = stmt.where(DeviceCommand.device_id == device_id)
    if incident_id is not None:
        stmt = stmt.where(DeviceCommand.incident_id == incident_id)
    if state is not None:
        stmt = stmt.where(DeviceCommand.state == state)
    return list(session.scalars(stmt.order_by(DeviceCommand.id.desc()).limit(limit)))


def confirm(
    session: Session, *, scope: Scope, ident: int, approve: bool = True, now: dt.datetime | None = None
) -> DeviceCommand:
    """A second person confirms (queued for sending) or refuses a safety command; the requester cannot."""
    command = get(session, scope=scope, ident=ident)
    scope.authorize_write_row(CONFIRM, command)
    if command.state != CommandState.AWAITING_CONFIRMATION.value:
        raise Conflict("the command does not wait for a confirmation")
    if (command.requested_by_id is not None and command.requested_by_id == scope.user_id) or (
        command.requested_by == scope.username
    ):
        raise PermissionDenied("a second person must confirm a safety command, not the one who asked for it")
    now = now or utcnow()
    if now >= _aware(command.expires_at):
        command.state = CommandState.EXPIRED.value
        command.finished_at = now
        command.error = "not confirmed in time"
        raise Conflict("the command expired before it was confirmed")
    command.confirmed_by = scope.username
    command.confirmed_at = now
    if approve:
        command.state = CommandState.QUEUED.value
        command.next_attempt_at = now
    else:
        command.state = CommandState.REFUSED.value
        command.finished_at = now
    session.flush()
    return command


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


# -- the dispatcher's side (no user scope: the connector acts as the system) -----------------------------------------


def due(session: Session, *, now: dt.datetime, channels: Sequence[str], limit: int = 200) -> list[DeviceCommand]:
    """Commands to send now on these channels: queued ones, and sent ones whose answer is overdue (a retry)."""
    stmt = (
        select(DeviceCommand)
        .where(
            DeviceCommand.channel.in_(channels),
            DeviceCommand.state.in_((CommandState.QUEUED.value, CommandState.SENT.value)),
            DeviceCommand.next_attempt_at <= now,
            DeviceCommand.expires_at > now,
            DeviceCommand.attempts < DeviceCommand.max_attempts,
        )
        .order_by(DeviceCommand.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def work_waiting(session: Session, *, now: dt.datetime, channels: Sequence[str]) -> bool:
    """Whether a command is due on these channels or an open command is past its timeout (a read: the dispatcher
    opens a writing transaction only then)."""
    due_now = select(DeviceCommand.id).where(
        DeviceCommand.channel.in_(channels),
        DeviceCommand.state.in_((CommandState.QUEUED.value, CommandState.SENT.value)),
        DeviceCommand.next_attempt_at <= now,
        DeviceCommand.attempts < DeviceCommand.max_attempts,
    )
    overdue = select(DeviceCommand.id).where(DeviceCommand.state.in_(OPEN_STATES), DeviceCommand.expires_at <= now)
    return session.scalar(due_now.limit(1)) is not None or session.scalar(overdue.limit(1)) is not None


def mark_sent(command: DeviceCommand, *, now: dt.datetime) -> None:
    command.attempts += 1
    if command.state == CommandState.QUEUED.value:
        command.state = CommandState.SENT.value
    command.sent_at = now
    command.next_attempt_at = now + dt.timedelta(seconds=command.retry_after_s)


def expire(session: Session, *, now: dt.datetime) -> int:
    """Open commands past their timeout become expired; returns how many."""
    rows = session.scalars(
        select(DeviceCommand).where(DeviceCommand.state.in_(OPEN_STATES), DeviceCommand.expires_at <= now)
    ).all()
    for command in rows:
        command.state = CommandState.EXPIRED.value
        command.finished_at = now
        command.error = command.error or f"no answer after {command.attempts} attempt(s)"
    return len(rows)


def apply_answer(command: DeviceCommand, answer: Any, *, thingsboard: bool, now: dt.datetime) -> bool:
    """A device's answer to a command; returns whether it changed the command. Native answers are
    `{"state": "delivered" | "succeeded" | "failed", "result": ..., "error": ...}`; a ThingsBoard RPC response is
    the result itself (`{"error": ...}` means failed)."""
    if command.state in FINAL or command.state in (
        CommandState.AWAITING_CONFIRMATION.value,
        CommandState.REFUSED.value,
    ):
        return False
    if thingsboard:
        failed = isinstance(answer, dict) and "error" in answer
        state = CommandState.FAILED if failed else CommandState.SUCCEEDED
        result = answer
        error = str(answer.get("error"))[:500] if failed and isinstance(answer, dict) else None
    else:
        if not isinstance(answer, dict) or answer.get("state") not in ("delivered", "succeeded", "failed"):
            return False
        state = CommandState(answer["state"])
        result = answer.get("result")
        error = str(answer["error"])[:500] if answer.get("error") is not None else None
    if state is CommandState.DELIVERED:
        if command.state == CommandState.DELIVERED.value:
            return False
        command.state = state.value
        command.delivered_at = now
        return True
    command.state = state.value
    command.delivered_at = command.delivered_at or now
    command.finished_at = now
    command.result = result if isinstance(result, dict) else ({"value": result} if result is not None else None)
    command.error = error
    return True


def command_of_device(session: Session, *, token_hash: str, ident: int) -> DeviceCommand | None:
    """A command of the device holding this token digest (None for another device's command)."""
    stmt = (
        select(DeviceCommand)
        .join(Device, Device.id == DeviceCommand.device_id)
        .where(DeviceCommand.id == ident, Device.token_hash == token_hash)
    )
    return session.scalar(stmt)


def fetch_for_device(session: Session, *, token_hash: str, now: dt.datetime, limit: int = 20) -> list[DeviceCommand]:
    """The commands waiting for an HTTP long-poll device; they count as delivered once fetched."""
    device = session.scalar(select(Device).where(Device.token_hash == token_hash))
    if device is None or device.status == DeviceStatus.RETIRED.value:
        raise NotFound("no device has this token")
    stmt = (
        select(DeviceCommand)
        .where(
            DeviceCommand.device_id == device.id,
            DeviceCommand.channel == Channel.HTTP.value,
            or_(
                DeviceCommand.state == CommandState.QUEUED.value,
                DeviceCommand.state == CommandState.SENT.value,
            ),
            DeviceCommand.expires_at > now,
        )
        .order_by(DeviceCommand.id)
        .limit(limit)
    )
    rows = list(session.scalars(stmt))
    for command in rows:
        command.attempts += 1
        command.sent_at = now
        command.state = CommandState.DELIVERED.value
        command.delivered_at = now
    return rows


def request_body(command: DeviceCommand) -> dict[str, Any]:
    """What the device receives (native topic and HTTP)."""
    expires = _aware(command.expires_at)
    return {
        "id": command.id,
        "name": command.name,
        "params": command.params or {},
        "expires_ms": int(expires.timestamp() * 1000),
    }


def rpc_body(command: DeviceCommand) -> dict[str, Any]:
    """What a ThingsBoard-format device receives on v1/devices/me/rpc/request/<id>."""
    return {"method": command.name, "params": command.params or {}}


def command_spec_of(session: Session, device: Device, name: str) -> CommandSpec | None:
    return profiles.command_spec_for(session, device, name)
