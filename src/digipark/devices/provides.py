"""What the devices module offers other modules (declared in devices.module), keyword-only after the session:

- `commands_of(kind) -> list[CommandSpec]`: the commands a device kind takes (name, safety, parameters), as data;
- `check(session, scope=, device_id=, name=, params=) -> CheckedCommand`: what a request would be (the device read
  through the scope, the command of its kind, the parameters checked; 404/422 as `request` would answer), without
  writing — automation's rule checks and dry-runs;
- `request(session, scope=, device_id=, name=, params=, reason=, alarm_id=, incident_id=, idempotency_key=) ->
  DeviceCommand`: the same request as a person's through the API: a safety command waits for a second person's
  confirmation and must name the alarm or incident that prompted it; the same idempotency key gives the same
  command — automation's `device_command` action;
- `shared_attributes(session, scope=, device_id=) -> dict`, `check_shared_attribute(session, scope=, device_id=,
  key=, value=)`, `set_shared_attribute(session, scope=, device_id=, key=, value=) -> int` (its version): a device's
  shared attributes, sent to the device after the commit (devices/attributes.py) — automation's `set_attribute`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.devices.attributes import check as check_shared_attribute
from digipark.devices.attributes import set_one as set_shared_attribute
from digipark.devices.attributes import values_of as shared_attributes
from digipark.devices.catalog import CommandSpec, checked_params, commands_of
from digipark.devices.commands import SEND, spec_or_422
from digipark.devices.commands import create as _create
from digipark.devices.models import CommandState, DeviceCommand
from digipark.registry.models import Device

__all__ = [
    "CheckedCommand",
    "CommandSpec",
    "CommandState",
    "DeviceCommand",
    "check",
    "check_shared_attribute",
    "commands_of",
    "request",
    "set_shared_attribute",
    "shared_attributes",
]


@dataclasses.dataclass(frozen=True)
class CheckedCommand:
    device_id: int
    name: str
    params: dict[str, Any]
    safety: bool  # waits for a second person's confirmation, and names the alarm or incident behind it

    @property
    def first_state(self) -> str:
        """The state the command starts in."""
        return (CommandState.AWAITING_CONFIRMATION if self.safety else CommandState.QUEUED).value


def check(session: Session, *, scope: Scope, device_id: int, name: str, params: dict[str, Any]) -> CheckedCommand:
    device = scope.get_or_404(session, Device, device_id)
    scope.require(SEND)
    spec = spec_or_422(session, device, name)
    return CheckedCommand(device.id, spec.name, checked_params(spec, params), spec.safety)


def request(
    session: Session,
    *,
    scope: Scope,
    device_id: int,
    name: str,
    params: dict[str, Any],
    reason: str,
    alarm_id: int | None = None,
    incident_id: int | None = None,
    idempotency_key: str | None = None,
) -> DeviceCommand:
    return _create(
        session,
        scope=scope,
        device_id=device_id,
        name=name,
        params=params,
        reason=reason,
        alarm_id=alarm_id,
        incident_id=incident_id,
        idempotency_key=idempotency_key,
    )
