"""Device command pages: the command history (with the second person's confirmation of safety commands), a
device's commands with the form to send one, and the same form for an incident (`?incident_id=`, linked from the
incident page: the incident's park's devices, the command linked to the incident)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from digipark.core.errors import DomainError, NotFound, ValidationFailed
from digipark.devices import commands, profiles
from digipark.devices.catalog import command_catalogue
from digipark.devices.connectors.common import connections_of
from digipark.devices.models import CommandState
from digipark.registry.models import Device
from digipark.safety import provides as safety
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

STATES = {
    "awaiting_confirmation": N_("Awaiting confirmation"),
    "queued": N_("Queued"),
    "sent": N_("Sent"),
    "delivered": N_("Delivered"),
    "succeeded": N_("Succeeded"),
    "failed": N_("Failed"),
    "expired": N_("Expired"),
    "refused": N_("Refused"),
}
CHANNELS = {
    "mqtt": N_("MQTT"),
    "thingsboard": N_("ThingsBoard RPC"),
    "http": N_("HTTP long-poll"),
    "modbus": N_("Modbus TCP"),
    "opcua": N_("OPC UA"),
    "hj212": N_("HJ 212"),
}
PROTOCOLS = {
    "hj212": N_("HJ 212"),
    "modbus": N_("Modbus TCP"),
    "opcua": N_("OPC UA"),
    "bacnet": N_("BACnet/IP"),
    "dlt645": N_("DL/T 645"),
}


def _viewer(page: Page) -> None:
    page.scope.require("devices.view")
    if page.park is None:
        raise NotFound("your account is not assigned to a park")


def _choices(page: Page, devices: list[Device]) -> list[dict[str, Any]]:
    """(device, command) pairs the form offers, with their parameters (as each device's profile version has them)."""
    out = []
    for device in devices:
        for spec in profiles.commands_for(page.db, device):
            out.append({"value": f"{device.id}:{spec.name}", "device": device, "spec": spec})
    return out


def _params(choices: list[dict[str, Any]]) -> list[Any]:
    seen: dict[str, Any] = {}
    for choice in choices:
        for param in choice["spec"].params:
            seen.setdefault(param.key, param)
    return list(seen.values())


def _commandable(page: Page, park_id: int | None = None) -> list[Device]:
    kinds = sorted(command_catalogue())
    stmt = page.scope.readable(Device).where(Device.kind.in_(kinds), Device.status != "retired")
    if park_id is not None:
        stmt = stmt.where(Device.park_id == park_id)
    return list(page.db.scalars(stmt.order_by(Device.code).limit(500)))


def _render(
    page: Page,
    *,
    rows: list[Any],
    devices: list[Device],
    device: Device | None = None,
    incident: Any = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    connections: list[Any] | None = None,
) -> HTMLResponse:
    names = {
        d.id: d for d in page.db.scalars(page.scope.readable(Device).where(Device.id.in_({r.device_id for r in rows})))
    }
    choices = _choices(page, devices) if page.scope.can(commands.SEND) else []
    labels = {
        f"{kind}:{name}": spec.label for kind, specs in command_catalogue().items() for name, spec in specs.items()
    }
    return page.render(
        "devices/commands.html",
        {
            "rows": rows,
            "device_of": names,
            "device": device,
            "incident": incident,
            "choices": choices,
            "params": _params(choices),
            "values": values or {},
            "errors": errors or {},
            "states": STATES,
            "channels": CHANNELS,
            "labels": labels,
            "may_confirm": page.scope.can(commands.CONFIRM),
            "awaiting": CommandState.AWAITING_CONFIRMATION.value,
            "connections": connections or [],
            "protocols": PROTOCOLS,
        },
        status_code=status_code,
    )


@router.get("/device-commands", response_class=HTMLResponse, name="device_commands")
def history_page(page: CurrentPage) -> HTMLResponse:
    """All commands you may read; with `incident_id`, that incident's commands and the form to send one."""
    _viewer(page)
    raw = page.request.query_params.get("incident_id", "")
    incident = None
    if raw.isdigit() and 0 < int(raw) < 2**31:
        incident = safety.get_incident(page.db, scope=page.scope, ident=int(raw))
    rows = commands.list_for(page.db, scope=page.scope, incident_id=incident.id if incident else None, limit=200)
    devices = _commandable(page, incident.park_id) if incident is not None else []
    return _render(page, rows=rows, devices=devices, incident=incident)


@router.get("/devices/{ident}/commands", response_class=HTMLResponse, name="device_command_page")
def device_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _viewer(page)
    device = page.scope.get_or_404(page.db, Device, ident)
    rows = commands.list_for(page.db, scope=page.scope, device_id=device.id, limit=200)
    return _render(page, rows=rows, devices=[device], device=device, connections=connections_of(page.db, device.id))


@router.post("/device-commands/send", response_class=HTMLResponse)
def send(page: CurrentPage, form: FormFields) -> Response:
    """Send the form's command (from a device's page or an incident's)."""
    _viewer(page)
    page.check_csrf(form)
    page.scope.require(commands.SEND)
    choice = str(form.get("command", ""))
    device_raw, _, name = choice.partition(":")
    incident_raw = str(form.get("incident_id", "") or "")
    incident_id = int(incident_raw) if incident_raw.isdigit() and 0 < int(incident_raw) < 2**31 else None
    device = None
    if device_raw.isdigit() and 0 < int(device_raw) < 2**31:
        device = page.db.scalar(page.scope.readable(Device).where(Device.id == int(device_raw)))
    params: dict[str, Any] = {}
    if device is not None:
        spec = commands.command_spec_of(page.db, device, name)
        for param in spec.params if spec is not None else []:
            params[param.key] = form.get(f"param_{param.key}", "")
    try:
        if device is None:
            raise ValidationFailed("choose a device and a command", errors=[{"field": "command", "reason": "required"}])
        with page.db.begin_nested():
            commands.create(
                page.db,
                scope=page.scope,
                device_id=device.id,
                name=name,
                params=params,
                reason=str(form.get("reason", "")),
                incident_id=incident_id,
            )
    except DomainError as exc:
        incident = safety.get_incident(page.db, scope=page.scope, ident=incident_id) if incident_id else None
        if incident is not None:
            rows = commands.list_for(page.db, scope=page.scope, incident_id=incident.id, limit=200)
            devices = _commandable(page, incident.park_id)
        else:
            rows = commands.list_for(page.db, scope=page.scope, device_id=device.id, limit=200) if device else []
            devices = [device] if device is not None else []
        errors = {str(e.get("field", "")): str(e.get("reason", "")) for e in (exc.errors or [])} or {"": str(exc)}
        return _render(
            page,
            rows=rows,
            devices=devices,
            device=None if incident is not None else device,
            incident=incident,
            values=dict(form),
            errors=errors,
            status_code=exc.status,
        )
    target = f"/device-commands?incident_id={incident_id}" if incident_id else f"/devices/{device.id}/commands"
    return RedirectResponse(target, status_code=303)


@router.post("/device-commands/{ident}/confirm")
def confirm(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    """The second person's confirmation (approve=1) or refusal (approve=0) of a safety command."""
    _viewer(page)
    page.check_csrf(form)
    command = commands.confirm(page.db, scope=page.scope, ident=ident, approve=str(form.get("approve", "1")) == "1")
    back = str(form.get("back", ""))
    target = (
        back
        if back.startswith(("/devices/", "/device-commands")) and "//" not in back
        else f"/devices/{command.device_id}/commands"
    )
    return RedirectResponse(target, status_code=303)
