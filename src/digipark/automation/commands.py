"""The `device_command` action carried out through the devices module (`devices.provides`): the devices an action
names, the command each gets, and the same check a person's request gets.

An action names a device and a command of its kind's catalogue (`device_id`, `name`, `params`); or a point (its
device) or a building's system (`lighting`, `hvac`: its active devices of the kinds in data/systems.yaml) with `on`,
`off` or `set` (mapped to the kind's command there). `plan` says what firing would send — one entry per device:
the command, its checked parameters and the state it would start in (`awaiting_confirmation` for a safety command,
which names the alarm that prompted the firing, or an error) — and `send` makes exactly those commands. The dry-run
shows `plan`; firing logs `send`'s result, the same entries with the command ids."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import DomainError, ValidationFailed, field_error
from digipark.devices import provides as devices
from digipark.registry.models import Device, DeviceStatus, Point

SAFETY_WITHOUT_ALARM = "a safety command names the alarm that prompted it: fire the rule on an alarm or raise one first"


@cache
def systems() -> dict[str, dict[str, Any]]:
    text = resources.files("digipark.automation").joinpath("data/systems.yaml").read_text("utf-8")
    return dict(yaml.safe_load(text)["systems"])


def _command_of(kind: str, system: str | None, command: str, value: float | None) -> tuple[str, dict[str, Any]] | None:
    """The catalogue command (name, params) of an on / off / set for a device kind (None: the kind has none)."""
    for name, spec in systems().items():
        if (system is not None and name != system) or kind not in spec.get("kinds", []):
            continue
        mapped = spec.get(command)
        if isinstance(mapped, str):
            return mapped, {}
        if isinstance(mapped, dict):
            return str(mapped["name"]), {str(mapped["param"]): value}
    return None


def targets(session: Session, park_id: int, action: dict[str, Any]) -> list[tuple[int, str, dict[str, Any]]]:
    """(device id, command name, params) of each device the action commands, in device order."""
    if action.get("device_id") is not None:
        return [(int(action["device_id"]), str(action["name"]), dict(action.get("params") or {}))]
    if action.get("point_id") is not None:
        point = session.get(Point, action["point_id"])
        device = session.get(Device, point.device_id) if point is not None else None
        devices_ = [device] if device is not None and device.park_id == park_id else []
        system = None
    else:
        system = str(action.get("system") or "other")
        kinds = list(systems().get(system, {}).get("kinds", []))
        devices_ = list(
            session.scalars(
                select(Device)
                .where(
                    Device.park_id == park_id,
                    Device.building_id == action.get("building_id"),
                    Device.kind.in_(kinds),
                    Device.status == DeviceStatus.ACTIVE.value,
                )
                .order_by(Device.id)
            )
        )
    found = []
    for device in devices_:
        mapped = _command_of(device.kind, system, str(action["command"]), action.get("value"))
        if mapped is not None:
            found.append((device.id, mapped[0], mapped[1]))
    return found


def _reason(error: DomainError) -> str:
    errors = getattr(error, "errors", None) or []
    return "; ".join(f"{e.get('field')}: {e.get('reason')}" for e in errors) or str(error)


def plan(
    session: Session, *, scope: Scope, park_id: int, action: dict[str, Any], alarm_id: int | None
) -> list[dict[str, Any]]:
    """What firing the action would send: per device the command, its parameters and its first state (or the
    error the devices module would answer). Writes nothing."""
    out: list[dict[str, Any]] = []
    for device_id, name, params in targets(session, park_id, action):
        entry: dict[str, Any] = {"device_id": device_id, "name": name}
        try:
            checked = devices.check(session, scope=scope, device_id=device_id, name=name, params=params)
        except DomainError as error:
            entry.update(params=params, state="error", error=_reason(error))
        else:
            entry.update(params=checked.params, state=checked.first_state)
            if checked.safety and alarm_id is None:
                entry.update(state="error", error=SAFETY_WITHOUT_ALARM)
        out.append(entry)
    return out


def send(
    session: Session, *, scope: Scope, park_id: int, action: dict[str, Any], alarm_id: int | None, reason: str, key: str
) -> list[dict[str, Any]]:
    """Request the planned commands (each with an idempotency key from `key`, so a firing carried out twice sends
    once); an entry the devices module refuses keeps its error."""
    out = []
    for entry in plan(session, scope=scope, park_id=park_id, action=action, alarm_id=alarm_id):
        if entry["state"] != "error":
            try:
                with session.begin_nested():
                    command = devices.request(
                        session,
                        scope=scope,
                        device_id=entry["device_id"],
                        name=entry["name"],
                        params=entry["params"],
                        reason=reason,
                        alarm_id=alarm_id
                        if entry["state"] == devices.CommandState.AWAITING_CONFIRMATION.value
                        else None,
                        idempotency_key=f"{key}:{entry['device_id']}"[:80],
                    )
            except DomainError as error:
                entry = {**entry, "state": "error", "error": _reason(error)}
            else:
                entry = {**entry, "state": command.state, "command_id": command.id}
        out.append(entry)
    return out


def status(entries: list[dict[str, Any]]) -> str:
    """The action's outcome: `done` (every command made), `failed` (one refused), `no_device` (none to command)."""
    if not entries:
        return "no_device"
    return "failed" if any(e["state"] == "error" for e in entries) else "done"


def check_action(session: Session, *, scope: Scope, park_id: int, action: dict[str, Any], field: str) -> bool:
    """A rule's or scene's command naming a device: the park's device, a command of its kind, its parameters
    (422 naming the action otherwise). Returns whether it is a safety command."""
    device = session.get(Device, action["device_id"])
    if device is None or device.park_id != park_id:
        raise field_error(f"{field}.device_id", "no such device in this park")
    try:
        checked = devices.check(
            session, scope=scope, device_id=device.id, name=action["name"], params=dict(action.get("params") or {})
        )
    except ValidationFailed as error:
        reasons = getattr(error, "errors", None) or [{"field": "", "reason": str(error)}]
        raise field_error(f"{field}.{reasons[0].get('field')}", str(reasons[0].get("reason"))) from None
    action["params"] = checked.params
    return checked.safety
