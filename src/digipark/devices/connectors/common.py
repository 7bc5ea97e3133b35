"""What the connectors share: the bound devices of a protocol, a mapping file of `devices/data`, and one
transaction that hands readings to the ingest path (same checks, dead letters, rollups) and records each
binding's outcome (`last_ok_at` on success; `last_error` with its reason otherwise)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from importlib import resources
from typing import Any

import orjson
import yaml
from sqlalchemy import select

from digipark.audit.service import Actor, set_actor
from digipark.core.db import transaction, utcnow
from digipark.devices.models import DeviceBinding
from digipark.registry.models import Device, DeviceStatus
from digipark.telemetry import provides as telemetry


@dataclasses.dataclass(frozen=True, slots=True)
class Target:
    binding_id: int
    device_id: int
    park_id: int
    token_hash: str
    address: str
    unit: int
    profile: str

    def host_port(self, default_port: int) -> tuple[str, int]:
        host, _, port = self.address.rpartition(":")
        return (host, int(port)) if host else (self.address, default_port)


@dataclasses.dataclass(slots=True)
class Health:
    """A connector's own health: rounds, values stored, failures, when it last read a device, and each device's
    current reason for not being read."""

    rounds: int = 0
    values: int = 0
    stored: int = 0
    failures: int = 0
    dead_letters: int = 0
    last_success_at: dt.datetime | None = None
    last_error: dict[int, str] = dataclasses.field(default_factory=dict)  # device id -> reason

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["last_success_at"] = self.last_success_at.isoformat() if self.last_success_at else None
        return out


def load_maps(filename: str) -> dict[str, Any]:
    text = resources.files("digipark.devices").joinpath(f"data/{filename}").read_text("utf-8")
    return dict(yaml.safe_load(text)["maps"])


def profile_maps() -> dict[str, Any]:
    """The map loaders of the connectors here, by protocol (for `digipark connect bind --profile`)."""
    from digipark.devices.connectors.bacnet import object_maps
    from digipark.devices.connectors.dlt645 import meter_maps
    from digipark.devices.connectors.opcua import node_maps

    return {"opcua": node_maps, "bacnet": object_maps, "dlt645": meter_maps}


def connections_of(session: Any, device_id: int) -> list[DeviceBinding]:
    """A device's bindings (the caller has checked the device is readable)."""
    return list(
        session.scalars(select(DeviceBinding).where(DeviceBinding.device_id == device_id).order_by(DeviceBinding.id))
    )


def targets(protocol: str) -> list[Target]:
    """The active bindings of a protocol whose device is not retired."""
    with transaction(name=f"{protocol} targets") as session:
        rows = session.execute(
            select(DeviceBinding, Device)
            .join(Device, Device.id == DeviceBinding.device_id)
            .where(
                DeviceBinding.protocol == protocol,
                DeviceBinding.active.is_(True),
                Device.status != DeviceStatus.RETIRED.value,
            )
            .order_by(DeviceBinding.id)
        ).all()
        return [Target(b.id, d.id, d.park_id, d.token_hash, b.address, b.unit_id, b.profile or "") for b, d in rows]


def message(source: str, target: Target, values: dict[str, float], ts_ms: int | None = None) -> Any:
    ts = ts_ms if ts_ms is not None else int(time.time() * 1000)
    body = orjson.dumps({"ts": ts, "values": values})
    return telemetry.InboundMessage(
        source, None, None, body, int(time.time() * 1000), target.address, target.token_hash
    )


def store(
    source: str,
    health: Health,
    messages: list[Any],
    outcomes: dict[int, str | None],
    rejects: list[dict[str, Any]] | None = None,
    *,
    after: Any = None,
) -> None:
    """One transaction: the readings through the ingest path, the dead letters (`rejects`: keyword arguments of
    `telemetry.dead_letter` less the source), each binding's outcome (binding id -> None or the reason), then
    `after(session, now)` (a connector's commands)."""
    with transaction(write=True, name=f"{source} readings") as session:
        set_actor(session, Actor(f"{source} connector"))
        if messages:
            health.stored += telemetry.get_ingestor().ingest(session, messages).stored
        for reject in rejects or []:
            health.dead_letters += 1
            telemetry.dead_letter(session, source=source, **reject)
        now = utcnow()
        if outcomes:
            for binding in session.scalars(select(DeviceBinding).where(DeviceBinding.id.in_(list(outcomes)))):
                error = outcomes[binding.id]
                if error is None:
                    binding.last_ok_at, binding.last_error = now, None
                elif binding.last_error != error:
                    binding.last_error = error[:500]
        if any(error is None for error in outcomes.values()):
            health.last_success_at = now
        if after is not None:
            after(session, now)
