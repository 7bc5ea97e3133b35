"""DL/T 645-2007 over a TCP serial gateway: the frame codec (wake-up bytes, 0x33 offset, checksum, BCD values with a
sign bit), and the connector against a simulated gateway started by the test — values through the API, a frame with
a bad checksum kept as a dead letter with its reason, an unreachable gateway recorded on the binding."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from digipark.devices.connectors import dlt645
from digipark.devices.connectors.simulators import Dlt645Gateway
from digipark.devices.simulators import free_port
from digipark.registry.catalog import device_kinds
from digipark.telemetry.models import DeadLetter
from tests.conftest import World
from tests.devices.connector_fixtures import binding_of, bound_device, latest

METER = "202612000001"
VALUES = {
    "energy_import_total": 12345.67,
    "active_power_total": -3.2109,
    "voltage_a": 229.8,
    "power_factor_total": 0.875,
}


def test_a_read_request_is_framed_as_the_standard_shows() -> None:
    # reading 正向有功总电能 (00 01 00 00) of meter 000000000001 — DI sent low byte first, each byte + 0x33
    frame = dlt645.read_request("000000000001", "00010000")
    assert frame.hex(" ").upper() == "FE FE FE FE 68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16"
    parsed = dlt645.parse(frame)
    assert parsed == dlt645.Frame("000000000001", 0x11, bytes([0, 0, 1, 0]))


@pytest.mark.parametrize("name", sorted(dlt645.identifiers()))
def test_values_survive_their_bcd_format(name: str) -> None:
    spec = dlt645.identifiers()[name]
    value = round(-1.234 if spec.signed else 1.234, spec.decimals)
    assert dlt645.decode_value(spec, dlt645.encode_value(spec, value)) == pytest.approx(value)


def test_a_broken_frame_says_which_check_failed() -> None:
    good = dlt645.build(METER, 0x91, bytes.fromhex("00000100") + b"\x67\x45\x23\x01")
    assert dlt645.decode_value(dlt645.identifiers()["energy_import_total"], dlt645.parse(good).data[4:]) == 12345.67
    with pytest.raises(dlt645.FrameError, match="checksum"):
        dlt645.parse(good[:-2] + bytes([(good[-2] + 1) % 256, 0x16]))
    with pytest.raises(dlt645.FrameError, match="end byte"):
        dlt645.parse(good[:-1] + b"\x17")
    with pytest.raises(dlt645.FrameError, match="length"):
        dlt645.parse(good[:-3] + good[-2:])


def test_the_map_names_points_of_its_kind() -> None:
    for meter_map in dlt645.meter_maps().values():
        assert set(meter_map.points) <= {p.key for p in device_kinds()[meter_map.kind].points}
        assert set(meter_map.points.values()) <= set(dlt645.identifiers())


def test_a_meter_behind_a_gateway_is_read_into_the_api_and_a_bad_checksum_is_a_dead_letter(
    engine: Engine, world: World, app_instance: Any
) -> None:
    gateway = Dlt645Gateway({METER: dict(VALUES)}).start()
    address = f"127.0.0.1:{gateway.port}/{METER}"
    try:
        with bound_device(
            engine,
            world,
            kind="electricity_meter",
            protocol="dlt645",
            address=address,
            profile="electricity_meter_dlt645",
        ) as device:
            connector = dlt645.Dlt645Connector()
            connector.run_once()
            assert latest(app_instance, world, device.id) == pytest.approx(
                {"energy_kwh": 12345.67, "power_kw": -3.2109, "voltage_v": 229.8, "power_factor": 0.875}
            )
            assert binding_of(engine, device.id).last_error is None
            gateway.corrupt.add("voltage_a")
            gateway.meters[METER]["energy_import_total"] = 12346.0
            connector.run_once()
            assert latest(app_instance, world, device.id)["energy_kwh"] == 12346.0
            factory = sessionmaker(bind=engine)
            with factory() as session:
                letters = list(session.scalars(select(DeadLetter).where(DeadLetter.device_id == device.id)))
            assert [(d.source, d.reason) for d in letters] == [("dlt645", "malformed")]
            assert "checksum" in (letters[0].detail or "") and letters[0].payload.startswith("FE FE")
            assert connector.health.dead_letters == 1
    finally:
        gateway.stop()


def test_an_unreachable_gateway_leaves_its_reason_and_is_read_when_it_returns(
    engine: Engine, world: World, app_instance: Any
) -> None:
    port = free_port()
    with bound_device(
        engine,
        world,
        kind="electricity_meter",
        protocol="dlt645",
        address=f"127.0.0.1:{port}/{METER}",
        profile="electricity_meter_dlt645",
    ) as device:
        connector = dlt645.Dlt645Connector(timeout_s=0.5)
        connector.run_once()
        binding = binding_of(engine, device.id)
        assert binding.last_ok_at is None and "cannot connect to the gateway" in (binding.last_error or "")
        assert device.id in connector.health.last_error
        gateway = Dlt645Gateway({METER: dict(VALUES)}, port=port).start()
        try:
            connector.run_once()
        finally:
            gateway.stop()
        binding = binding_of(engine, device.id)
        assert binding.last_error is None and binding.last_ok_at is not None
        assert latest(app_instance, world, device.id)["voltage_v"] == 229.8
