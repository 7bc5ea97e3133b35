"""`digipark connect bind` takes the new protocols (checking the map's name), and `digipark connect dlt645` runs as
a process of its own: it reads a meter behind a simulated gateway into the database, records each binding's
outcome (the device's connection health) and prints its own health when it stops."""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

from sqlalchemy import Engine
from typer.testing import CliRunner

from digipark.cli import app as cli_app
from digipark.devices.connectors.opcua import wait_for
from digipark.devices.connectors.simulators import Dlt645Gateway
from tests.conftest import World
from tests.devices.connector_fixtures import binding_of, bound_device, latest

METER = "202612000002"


def test_bind_checks_the_map_of_the_protocol(database_url: str, world: World) -> None:
    runner = CliRunner()
    args = ["connect", "bind", "--park", "TA", "--device", "M1", "--protocol", "dlt645", "--database", database_url]
    refused = runner.invoke(cli_app, [*args, "--address", f"127.0.0.1:1/{METER}", "--profile", "nope"])
    assert refused.exit_code != 0 and "electricity_meter_dlt645" in refused.output


def test_the_dlt645_connector_runs_as_a_process(
    engine: Engine, world: World, app_instance: Any, database_url: str
) -> None:
    values = {"energy_import_total": 42.5, "active_power_total": 1.5, "voltage_a": 230.1, "power_factor_total": 0.9}
    gateway = Dlt645Gateway({METER: values}).start()
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
            process = subprocess.Popen(
                [sys.executable, "-m", "digipark", "connect", "dlt645", "--every", "0.5", "--database", database_url],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            try:
                assert wait_for(lambda: binding_of(engine, device.id).last_ok_at is not None, 60)
                assert latest(app_instance, world, device.id)["voltage_v"] == 230.1
            finally:
                process.send_signal(signal.SIGTERM)
                output, _ = process.communicate(timeout=30)
            assert process.returncode == 0, output
            assert "digipark connect dlt645: {" in output and "'last_success_at': '" in output
    finally:
        gateway.stop()
