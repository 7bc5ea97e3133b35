"""BACnet/IP (bacpypes3): the connector reads present values of a simulated bacpypes3 device on a loopback UDP
port (not 47808) into the API; a device that does not answer, or answers an error, leaves its reason; one that
returns is read again."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Engine

from digipark.devices.connectors.bacnet import BacnetConnector, object_maps
from digipark.devices.connectors.simulators import BacnetSimulator, free_udp_port
from digipark.registry.catalog import device_kinds
from tests.conftest import World
from tests.devices.connector_fixtures import binding_of, bound_device, latest


def test_the_object_map_names_points_of_its_kind() -> None:
    for object_map in object_maps().values():
        assert {o.key for o in object_map.objects} <= {p.key for p in device_kinds()[object_map.kind].points}


def test_present_values_reach_the_api_and_a_silent_device_leaves_its_reason(
    engine: Engine, world: World, app_instance: Any
) -> None:
    simulator = BacnetSimulator(setpoint=23.5).start()
    connector = BacnetConnector(local=f"127.0.0.1/32:{free_udp_port()}", timeout_s=1.0)
    loop = asyncio.new_event_loop()
    try:
        with bound_device(
            engine,
            world,
            kind="hvac_unit",
            protocol="bacnet",
            address=simulator.address,
            profile="hvac_unit_bacnet_demo",
            unit=simulator.instance,
        ) as device:
            loop.run_until_complete(connector.run_once())
            assert latest(app_instance, world, device.id) == {"switch_on": 0.0, "setpoint_c": 23.5}
            assert binding_of(engine, device.id).last_error is None
            simulator.set("running", "active")
            simulator.set("setpoint", 19.0)
            loop.run_until_complete(connector.run_once())
            assert latest(app_instance, world, device.id) == {"switch_on": 1.0, "setpoint_c": 19.0}
            simulator.stop()  # the device goes away
            loop.run_until_complete(connector.run_once())
            reason = binding_of(engine, device.id).last_error or ""
            assert "no answer" in reason and simulator.address in reason
            assert device.id in connector.health.last_error
            simulator.start()  # and returns
            loop.run_until_complete(connector.run_once())
            assert binding_of(engine, device.id).last_error is None
            assert device.id not in connector.health.last_error
    finally:
        connector.close()
        loop.close()
        simulator.close()


def test_an_error_answer_is_recorded_with_its_reason(engine: Engine, world: World) -> None:
    from digipark.devices.connectors import bacnet

    simulator = BacnetSimulator().start()
    connector = BacnetConnector(local=f"127.0.0.1/32:{free_udp_port()}", timeout_s=1.0)
    loop = asyncio.new_event_loop()
    missing = bacnet.ObjectMap(
        name="missing", kind="hvac_unit", objects=[bacnet.BacnetObject(key="setpoint_c", object="analog-value,9")]
    )
    bacnet.object_maps()["missing"] = missing
    try:
        with bound_device(
            engine, world, kind="hvac_unit", protocol="bacnet", address=simulator.address, profile="missing"
        ) as device:
            loop.run_until_complete(connector.run_once())
            assert "unknown-object" in (binding_of(engine, device.id).last_error or "")
    finally:
        bacnet.object_maps().pop("missing", None)
        connector.close()
        loop.close()
        simulator.close()
