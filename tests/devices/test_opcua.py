"""OPC UA (asyncua): the connector subscribes to an asyncua server started by the test; data changes reach the API
through the ingest path; commands are method calls; an unreachable server leaves its reason on the binding, and the
connector reads the server again when it returns."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from digipark.audit.service import Actor, set_actor
from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.devices import commands
from digipark.devices.connectors.opcua import OpcUaConnector, OpcUaThread, node_maps, wait_for
from digipark.devices.connectors.simulators import OpcUaSimulator
from digipark.devices.models import DeviceCommand
from digipark.devices.simulators import free_port
from tests.conftest import World
from tests.devices.connector_fixtures import binding_of, bound_device, latest


def fast() -> OpcUaConnector:
    return OpcUaConnector(flush_s=0.2, retry_s=0.3, watchdog_s=0.3, timeout_s=1.0)


def test_the_node_map_names_points_of_its_kind() -> None:
    from digipark.registry.catalog import device_kinds

    for node_map in node_maps().values():
        keys = {p.key for p in device_kinds()[node_map.kind].points}
        assert {n.key for n in node_map.nodes} <= keys


def test_subscribed_values_reach_the_api_and_a_method_call_is_a_command(
    engine: Engine, world: World, app_instance: Any
) -> None:
    simulator = OpcUaSimulator(setpoint=24.5).start()
    with bound_device(
        engine, world, kind="hvac_unit", protocol="opcua", address=simulator.url, profile="hvac_unit_demo"
    ) as device:
        thread = OpcUaThread(fast()).start()
        try:
            assert wait_for(lambda: latest(app_instance, world, device.id).get("setpoint_c") == 24.5)
            assert latest(app_instance, world, device.id)["switch_on"] == 0
            factory = sessionmaker(bind=engine, expire_on_commit=False)
            with factory() as session, session.begin():
                set_actor(session, Actor("op-a"))
                scope = Scope.for_user(role=Role.OPERATOR, username="op-a", user_id=None, park_id=world.a.park_id)
                made = commands.create(
                    session,
                    scope=scope,
                    device_id=device.id,
                    name="set_temperature",
                    params={"setpoint_c": 21},
                    reason="夜间节能",
                )
                assert made.channel == "opcua"
                ident = made.id

            def state() -> tuple[str, str | None]:
                with factory() as session:
                    row = session.get(DeviceCommand, ident)
                    assert row is not None
                    return row.state, row.error

            assert wait_for(lambda: state()[0] == "succeeded"), state()
            assert ("SetSetpoint", (21.0,)) in simulator.calls
            assert wait_for(lambda: latest(app_instance, world, device.id).get("setpoint_c") == 21.0)
            binding = binding_of(engine, device.id)
            assert binding.last_ok_at is not None and binding.last_error is None
        finally:
            thread.stop()
            simulator.close()


def test_an_unreachable_server_leaves_its_reason_and_is_read_when_it_returns(
    engine: Engine, world: World, app_instance: Any
) -> None:
    port = free_port()
    url = f"opc.tcp://127.0.0.1:{port}/digipark/"
    with bound_device(
        engine, world, kind="hvac_unit", protocol="opcua", address=url, profile="hvac_unit_demo"
    ) as device:
        connector = fast()
        thread = OpcUaThread(connector).start()
        simulator = OpcUaSimulator(port=port, setpoint=22.0)
        try:
            assert wait_for(lambda: binding_of(engine, device.id).last_error is not None)
            assert url in (binding_of(engine, device.id).last_error or "")
            assert device.id in connector.health.last_error
            simulator.start()  # the server comes
            assert wait_for(lambda: latest(app_instance, world, device.id).get("setpoint_c") == 22.0)
            assert wait_for(lambda: binding_of(engine, device.id).last_error is None)
            simulator.stop()  # goes away
            assert wait_for(lambda: binding_of(engine, device.id).last_error is not None)
            simulator.start()  # and returns with a new value
            simulator.set("setpoint", 26.0)
            assert wait_for(lambda: latest(app_instance, world, device.id).get("setpoint_c") == 26.0)
            assert wait_for(lambda: binding_of(engine, device.id).last_error is None)
            assert connector.health.last_success_at is not None and connector.health.failures >= 2
        finally:
            thread.stop()
            simulator.close()
