"""Modbus TCP: register decoding by type, word and byte order; the connector against pymodbus' own server
started by the test (values through the ingest path, a command written to a register, a device that is away
recorded with its reason and read again when it returns)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import sessionmaker

from digipark.audit.service import Actor, set_actor
from digipark.auth.models import Role
from digipark.auth.scope import Scope, system_scope
from digipark.devices import commands
from digipark.devices.modbus import ModbusConnector, Register, decode, encode, register_maps
from digipark.devices.models import DeviceBinding, DeviceCommand
from digipark.devices.simulators import ModbusSimulator, free_port, holding_values
from digipark.registry import schemas as registry_schemas
from digipark.registry import service as registry
from digipark.registry.models import Device, Point
from digipark.telemetry.models import Reading
from tests.conftest import World

VALUES = {"energy_kwh": 123456.78, "power_kw": -42.5, "voltage_v": 231.4, "power_factor": -0.87}


@pytest.mark.parametrize("kind", ["int16", "uint16", "int32", "uint32", "float32", "int64", "float64"])
@pytest.mark.parametrize(
    ("word_order", "byte_order"), [("big", "big"), ("little", "big"), ("big", "little"), ("little", "little")]
)
def test_a_value_survives_encoding_in_every_order(kind: str, word_order: str, byte_order: str) -> None:
    register = Register(key="k", address=0, type=kind, scale=0.5, word_order=word_order, byte_order=byte_order)
    value = -300.5 if not kind.startswith("u") else 300.5
    assert decode(register, encode(register, value)) == pytest.approx(value)


def test_word_and_byte_order_are_read_as_declared() -> None:
    words = [0x0001, 0x0002]
    assert decode(Register(key="k", address=0, type="uint32"), words) == 0x00010002
    assert decode(Register(key="k", address=0, type="uint32", word_order="little"), words) == 0x00020001
    assert decode(Register(key="k", address=0, type="uint32", byte_order="little"), words) == 0x01000200


@pytest.fixture
def meter(engine: Engine, world: World) -> Iterator[Device]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    suffix = uuid.uuid4().hex[:8]
    with factory() as session, session.begin():
        set_actor(session, Actor("test"))
        device = registry.create(
            session,
            scope=system_scope(world.a.park_id),
            kind=registry.KINDS["device"],
            data=registry_schemas.DeviceCreate(code=f"MB-{suffix}", name="配电房电表", kind="electricity_meter"),
        )
    yield device
    with factory() as session, session.begin():
        set_actor(session, Actor("test"))
        ids = list(session.scalars(select(Point.id).where(Point.device_id == device.id)))
        session.execute(delete(Reading).where(Reading.point_id.in_(ids)))
        session.execute(delete(DeviceCommand).where(DeviceCommand.device_id == device.id))
        session.execute(delete(Device).where(Device.id == device.id))


def bind(engine: Engine, device: Device, port: int) -> None:
    factory = sessionmaker(bind=engine)
    with factory() as session, session.begin():
        set_actor(session, Actor("test"))
        session.execute(delete(DeviceBinding).where(DeviceBinding.device_id == device.id))
        session.add(
            DeviceBinding(
                park_id=device.park_id,
                device_id=device.id,
                protocol="modbus",
                address=f"127.0.0.1:{port}",
                unit_id=1,
                profile="electricity_meter_demo",
            )
        )


def test_a_meter_is_polled_into_the_ingest_path_and_takes_a_command(
    engine: Engine, world: World, meter: Device
) -> None:
    register_map = register_maps()["electricity_meter_demo"]
    simulator = ModbusSimulator(holding_values(register_map, VALUES)).start()
    connector = ModbusConnector()
    try:
        bind(engine, meter, simulator.port)
        connector.run_once()
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        with factory() as session:
            points = {p.key: p.id for p in session.scalars(select(Point).where(Point.device_id == meter.id))}
            stored = {
                k: session.scalar(select(Reading.value).where(Reading.point_id == pid)) for k, pid in points.items()
            }
        assert stored == pytest.approx(VALUES, abs=1e-3)
        with factory() as session, session.begin():
            set_actor(session, Actor("op-a"))
            scope = Scope.for_user(role=Role.OPERATOR, username="op-a", user_id=None, park_id=world.a.park_id)
            command = commands.create(
                session, scope=scope, device_id=meter.id, name="read_now", params={}, reason="抄表"
            )
            assert command.channel == "modbus"
            ident = command.id
        connector.run_once()
        with factory() as session:
            row = session.get(DeviceCommand, ident)
            assert row is not None and row.state == "succeeded" and row.result == {"register": 101, "value": 1}
        client = connector._client("127.0.0.1", simulator.port)
        assert client.read_holding_registers(101, count=1, device_id=1).registers == [1]
    finally:
        connector.close()
        simulator.stop()


def test_a_device_that_is_away_leaves_its_reason_and_is_read_when_it_returns(engine: Engine, meter: Device) -> None:
    port = free_port()
    bind(engine, meter, port)
    connector = ModbusConnector(timeout_s=0.5)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    connector.run_once()
    with factory() as session:
        binding = session.scalar(select(DeviceBinding).where(DeviceBinding.device_id == meter.id))
        assert binding is not None and binding.last_error and "connect" in binding.last_error
        assert binding.last_ok_at is None
    assert meter.id in connector.health.last_error
    simulator = ModbusSimulator(holding_values(register_maps()["electricity_meter_demo"], VALUES), port=port).start()
    try:
        connector.run_once()
    finally:
        connector.close()
        simulator.stop()
    with factory() as session:
        binding = session.scalar(select(DeviceBinding).where(DeviceBinding.device_id == meter.id))
        assert binding is not None and binding.last_error is None and binding.last_ok_at is not None
    assert meter.id not in connector.health.last_error


def test_the_simulator_takes_a_whole_register_map_in_requests_the_protocol_allows() -> None:
    """The demo's meter writes its 200 holding registers at once: more than one Write Multiple Registers carries."""
    words = [n % 65536 for n in range(200)]
    simulator = ModbusSimulator([0] * 200).start()
    try:
        simulator.set_words(words)
        from pymodbus.client import ModbusTcpClient

        client = ModbusTcpClient("127.0.0.1", port=simulator.port, timeout=3)
        client.connect()  # type: ignore[no-untyped-call]
        try:
            read = [client.read_holding_registers(start, count=100, device_id=1).registers for start in (0, 100)]
        finally:
            client.close()  # type: ignore[no-untyped-call]
        assert read[0] + read[1] == words
    finally:
        simulator.stop()
