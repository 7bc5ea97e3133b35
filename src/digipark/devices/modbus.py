"""The Modbus TCP connector (`digipark connect modbus`): polls devices bound to a Modbus TCP server
(`DeviceBinding`, protocol modbus: host:port, unit id, a register map of `data/modbus_maps.yaml`) with pymodbus and
hands the values to the same ingest path as MQTT and HTTP; writes registers for the commands sent over Modbus.

A device that does not answer leaves its reason on its binding (`last_error`) and in the connector's health
(`Health`); it is polled again on the next round, so a device that returns is read again without a restart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import struct
import threading
import time
from functools import cache
from importlib import resources
from typing import Any

import orjson
import yaml
from pymodbus.client import ModbusTcpClient
from sqlalchemy import select

from digipark.audit.service import Actor, set_actor
from digipark.core.db import transaction, utcnow
from digipark.devices import commands as command_service
from digipark.devices import profiles
from digipark.devices.models import BindingProtocol, Channel, CommandState, DeviceBinding, DeviceCommand
from digipark.devices.register_map import FORMATS, SIZES, Register, RegisterMap
from digipark.registry.models import Device, DeviceStatus
from digipark.telemetry import provides as telemetry

log = logging.getLogger("digipark.devices.modbus")
SOURCE = "modbus"
MAX_READ = 125  # registers in one read (Modbus' limit for function 3/4)


@cache
def register_maps() -> dict[str, RegisterMap]:
    text = resources.files("digipark.devices").joinpath("data/modbus_maps.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)["maps"]
    return {name: RegisterMap(name=name, **value) for name, value in raw.items()}


def decode(register: Register, words: list[int]) -> float:
    """A register's value from its words (as read, in address order), by its type, word and byte order and scale."""
    if register.word_order == "little":
        words = list(reversed(words))
    if register.byte_order == "little":
        words = [((w & 0xFF) << 8) | (w >> 8) for w in words]
    raw = b"".join(struct.pack(">H", w) for w in words)
    return float(struct.unpack(FORMATS[register.type], raw)[0]) * register.scale


def encode(register: Register, value: float) -> list[int]:
    """The words of a value (the inverse of `decode`), for simulators and tests."""
    scaled = value / register.scale
    raw = struct.pack(FORMATS[register.type], scaled if "float" in register.type else round(scaled))
    words = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
    if register.byte_order == "little":
        words = [((w & 0xFF) << 8) | (w >> 8) for w in words]
    if register.word_order == "little":
        words = list(reversed(words))
    return words


def read_map(client: ModbusTcpClient, unit: int, registers: list[Register]) -> dict[str, float]:
    """Every register of a map, read in as few requests as its addresses allow (per table, ≤ MAX_READ each)."""
    out: dict[str, float] = {}
    for table in ("holding", "input"):
        regs = sorted((r for r in registers if r.table == table), key=lambda r: r.address)
        while regs:
            start = regs[0].address
            block = [r for r in regs if r.address + SIZES[r.type] - start <= MAX_READ]
            count = max(r.address + SIZES[r.type] for r in block) - start
            reader = client.read_holding_registers if table == "holding" else client.read_input_registers
            answer = reader(start, count=count, device_id=unit)
            if answer.isError():
                raise ConnectionError(f"exception answer to a read of {count} registers at {start}: {answer}")
            words = list(answer.registers)
            for r in block:
                out[r.key] = decode(r, words[r.address - start : r.address - start + SIZES[r.type]])
            regs = regs[len(block) :]
    return out


@dataclasses.dataclass(frozen=True, slots=True)
class Target:
    binding_id: int
    device_id: int
    park_id: int
    token_hash: str
    host: str
    port: int
    unit: int
    profile: str
    register_map: RegisterMap | None = None  # the device's profile's, when the binding names no map


@dataclasses.dataclass(slots=True)
class Health:
    polls: int = 0
    registers: int = 0
    stored: int = 0
    failures: int = 0
    last_error: dict[int, str] = dataclasses.field(default_factory=dict)  # device id -> reason


class ModbusConnector:
    """One round: poll every active binding, store the values through the ingest path, write due commands."""

    def __init__(self, *, timeout_s: float = 2.0) -> None:
        self.timeout_s = timeout_s
        self.clients: dict[tuple[str, int], ModbusTcpClient] = {}
        self.health = Health()

    def _client(self, host: str, port: int) -> ModbusTcpClient:
        client = self.clients.get((host, port))
        if client is None:
            client = ModbusTcpClient(host, port=port, timeout=self.timeout_s, retries=0, reconnect_delay=0)
            self.clients[(host, port)] = client
        return client

    def targets(self, session: Any) -> list[Target]:
        rows = session.execute(
            select(DeviceBinding, Device)
            .join(Device, Device.id == DeviceBinding.device_id)
            .where(
                DeviceBinding.protocol == BindingProtocol.MODBUS.value,
                DeviceBinding.active.is_(True),
                Device.status != DeviceStatus.RETIRED.value,
            )
            .order_by(DeviceBinding.id)
        ).all()
        out = []
        for binding, device in rows:
            host, _, port = binding.address.rpartition(":")
            out.append(
                Target(
                    binding.id,
                    device.id,
                    device.park_id,
                    device.token_hash,
                    host,
                    int(port or 502),
                    binding.unit_id,
                    binding.profile or "",
                    None if binding.profile else profiles.register_map_for(session, device.id),
                )
            )
        return out

    def poll(self, target: Target) -> dict[str, float]:
        """One device's values (raises ConnectionError, with its reason, when it cannot be read)."""
        register_map = target.register_map or register_maps().get(target.profile)
        if register_map is None:
            raise ConnectionError(f"no register map {target.profile!r}")
        client = self._client(target.host, target.port)
        try:
            if not client.connected and not client.connect():  # type: ignore[no-untyped-call]
                raise ConnectionError(f"cannot connect to {target.host}:{target.port}")
            values = read_map(client, target.unit, register_map.registers)
        except Exception as exc:
            client.close()  # type: ignore[no-untyped-call]
            raise ConnectionError(str(exc) or type(exc).__name__) from exc
        self.health.registers += sum(SIZES[r.type] for r in register_map.registers)
        return values

    def run_once(self) -> None:
        with transaction(name="modbus targets") as session:
            targets = self.targets(session)
        messages: list[Any] = []
        results: dict[int, str | None] = {}
        now_ms = int(time.time() * 1000)
        for target in targets:
            self.health.polls += 1
            try:
                values = self.poll(target)
            except ConnectionError as exc:
                self.health.failures += 1
                self.health.last_error[target.device_id] = str(exc)[:500]
                results[target.binding_id] = str(exc)[:500]
                continue
            self.health.last_error.pop(target.device_id, None)
            results[target.binding_id] = None
            body = orjson.dumps({"ts": now_ms, "values": values})
            messages.append(
                telemetry.InboundMessage(
                    SOURCE, None, None, body, now_ms, f"{target.host}:{target.port}", target.token_hash
                )
            )
        with transaction(write=True, name="modbus readings") as session:
            set_actor(session, Actor("modbus connector"))
            if messages:
                self.health.stored += telemetry.get_ingestor().ingest(session, messages).stored
            now = utcnow()
            for binding in session.scalars(select(DeviceBinding).where(DeviceBinding.id.in_(list(results)))):
                error = results[binding.id]
                if error is None:
                    binding.last_ok_at, binding.last_error = now, None
                elif binding.last_error != error:
                    binding.last_error = error
            self.write_commands(session, {t.device_id: t for t in targets}, now)

    def write_commands(self, session: Any, targets: dict[int, Target], now: dt.datetime) -> None:
        """Write the due Modbus commands; a written register is the device's acknowledgement (succeeded)."""
        for command in command_service.due(session, now=now, channels=[Channel.MODBUS.value]):
            target = targets.get(command.device_id)
            command_service.mark_sent(command, now=now)
            if target is None:
                command.error = "the device has no active Modbus binding"
                continue
            self._write(command, target, now)
        command_service.expire(session, now=now)

    def _write(self, command: DeviceCommand, target: Target, now: dt.datetime) -> None:
        register_map = target.register_map or register_maps().get(target.profile)
        write = register_map.commands.get(command.name) if register_map is not None else None
        if write is None:
            command.state, command.finished_at = CommandState.FAILED.value, now
            command.error = f"the register map {target.profile!r} has no write for {command.name}"
            return
        value = write.value if write.param is None else round(float((command.params or {})[write.param]) * write.scale)
        client = self._client(target.host, target.port)
        try:
            if not client.connected and not client.connect():  # type: ignore[no-untyped-call]
                raise ConnectionError(f"cannot connect to {target.host}:{target.port}")
            answer = client.write_register(write.address, int(value or 0), device_id=target.unit)
            if answer.isError():
                raise ConnectionError(f"exception answer: {answer}")
        except Exception as exc:
            client.close()  # type: ignore[no-untyped-call]
            command.error = str(exc)[:500]  # sent again on the next round, until its attempts are used up
            return
        command.state = CommandState.SUCCEEDED.value
        command.delivered_at = command.finished_at = now
        command.result = {"register": write.address, "value": value}
        command.error = None

    def close(self) -> None:
        for client in self.clients.values():
            client.close()  # type: ignore[no-untyped-call]


class ModbusPoller:
    """`ModbusConnector.run_once` every `every_s` in a daemon thread."""

    def __init__(self, connector: ModbusConnector | None = None, *, every_s: float = 10.0) -> None:
        self.connector = connector or ModbusConnector()
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.connector.run_once()
            except Exception:
                log.exception("devices: Modbus round failed")
            self._stop.wait(self.every_s)

    def start(self) -> ModbusPoller:
        self._thread = threading.Thread(target=self._loop, name="digipark-modbus", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        self.connector.close()
