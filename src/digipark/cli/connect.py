"""`digipark connect …`: the field-protocol connectors and the command dispatcher as processes of their own, and
`digipark connect bind` (which connector reaches which device)."""

from __future__ import annotations

import signal
import threading
from typing import Annotated, Any

import typer

from digipark.cli.options import DatabaseOption, command_group, database_url, park_by_code, use_database, writing

connect_app = command_group(
    "Field-protocol connectors (HJ 212, Modbus TCP, OPC UA, BACnet/IP, DL/T 645) and the command dispatcher."
)


def _wait() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


@connect_app.command("hj212")
def hj212(
    listen: Annotated[str, typer.Option("--listen", metavar="HOST:PORT", help="Where data collectors connect.")] = (
        "0.0.0.0:8212"
    ),
    database: DatabaseOption = None,
) -> None:
    """Accept HJ 212-2017 data collectors (数采仪): frames checked, authenticated by MN and PW, stored."""
    from digipark.devices.hj212_server import Hj212Thread
    from digipark.telemetry.runtime import parse_listen

    use_database(database_url(database))
    host, port = parse_listen(listen)
    server = Hj212Thread(host, port).start()
    typer.echo(f"digipark connect hj212: listening on {host}:{server.port}  (Ctrl+C to stop)")
    try:
        _wait()
    finally:
        server.stop()


@connect_app.command("modbus")
def modbus(
    every: Annotated[float, typer.Option("--every", min=0.1, help="Seconds between polling rounds.")] = 10.0,
    database: DatabaseOption = None,
) -> None:
    """Poll the devices bound to Modbus TCP servers and write their commands."""
    from digipark.devices.modbus import ModbusPoller

    use_database(database_url(database))
    poller = ModbusPoller(every_s=every).start()
    typer.echo(f"digipark connect modbus: polling every {every:g} s  (Ctrl+C to stop)")
    try:
        _wait()
    finally:
        poller.stop()


def _report(health: Any, name: str) -> None:
    """The connector's own health on stdout when it stops (it is on each binding meanwhile: last_ok_at, last_error)."""
    typer.echo(f"digipark connect {name}: {health.as_dict()}")


@connect_app.command("opcua")
def opcua(
    flush: Annotated[float, typer.Option("--flush", min=0.1, help="Seconds between stores of the changes.")] = 1.0,
    database: DatabaseOption = None,
) -> None:
    """Subscribe to the nodes of the devices bound to OPC UA servers; call their methods for commands."""
    from digipark.devices.connectors.opcua import OpcUaConnector, OpcUaThread

    use_database(database_url(database))
    thread = OpcUaThread(OpcUaConnector(flush_s=flush)).start()
    typer.echo("digipark connect opcua: subscribed to the bound servers  (Ctrl+C to stop)")
    try:
        _wait()
    finally:
        thread.stop()
        _report(thread.connector.health, "opcua")


@connect_app.command("bacnet")
def bacnet(
    every: Annotated[float, typer.Option("--every", min=0.1, help="Seconds between reading rounds.")] = 30.0,
    local: Annotated[
        str,
        typer.Option("--local", metavar="ADDRESS", help="The connector's own BACnet/IP address (host/prefix:port)."),
    ] = "host",
    database: DatabaseOption = None,
) -> None:
    """Read the present values of the devices bound to BACnet/IP."""
    from digipark.devices.connectors.bacnet import BacnetConnector, BacnetPoller

    use_database(database_url(database))
    poller = BacnetPoller(BacnetConnector(local=local), every_s=every).start()
    typer.echo(f"digipark connect bacnet: reading every {every:g} s from {local}  (Ctrl+C to stop)")
    try:
        _wait()
    finally:
        poller.stop()
        _report(poller.connector.health, "bacnet")


@connect_app.command("dlt645")
def dlt645(
    every: Annotated[float, typer.Option("--every", min=0.1, help="Seconds between reading rounds.")] = 60.0,
    database: DatabaseOption = None,
) -> None:
    """Read the DL/T 645-2007 meters bound behind TCP serial gateways."""
    from digipark.devices.connectors.dlt645 import Dlt645Connector, Poller

    use_database(database_url(database))
    connector = Dlt645Connector()
    poller = Poller(connector, every_s=every, name="digipark-dlt645").start()
    typer.echo(f"digipark connect dlt645: reading every {every:g} s  (Ctrl+C to stop)")
    try:
        _wait()
    finally:
        poller.stop()
        _report(connector.health, "dlt645")


def dispatch_broker(option: str | None, mqtt_url: str | None) -> tuple[str, int, str, str]:
    """(host, port, user, password) the command dispatcher connects with: `--broker`, else DIGIPARK_MQTT_URL (the
    platform's Mosquitto, with the plugin), else the embedded broker on 127.0.0.1:1883; a bare HOST:PORT, or a URL
    without credentials, uses the embedded broker's service account."""
    from digipark.telemetry.broker_access import service_credentials
    from digipark.telemetry.mqtt import BrokerAddress
    from digipark.telemetry.runtime import parse_listen

    value = option or mqtt_url or "127.0.0.1:1883"
    user, password = service_credentials()
    if "://" not in value:
        host, port = parse_listen(value)
        return host, port, user, password
    address = BrokerAddress.parse(value)
    if address.username:
        user, password = address.username, address.password or ""
    return address.host, address.port, user, password


@connect_app.command("commands")
def commands(
    broker: Annotated[
        str | None,
        typer.Option(
            "--broker",
            metavar="HOST:PORT|URL",
            help="The embedded broker (HOST:PORT), or Mosquitto with the plugin (mqtt://user:password@host:port); "
            "default: DIGIPARK_MQTT_URL when set, else 127.0.0.1:1883.",
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Send queued commands and shared attributes to devices over MQTT, read their answers and answer MQTT
    provisioning (the embedded broker's service account DIGIPARK_MQTT_SERVICE_USER / DIGIPARK_MQTT_SERVICE_PASSWORD,
    or the user of the URL)."""
    from digipark.core.config import get_settings
    from digipark.devices.dispatcher import CommandDispatcher

    use_database(database_url(database))
    host, port, user, password = dispatch_broker(broker, get_settings().mqtt_url)
    dispatcher = CommandDispatcher(host, port, username=user, password=password).start()
    typer.echo(f"digipark connect commands: dispatching through {host}:{port}  (Ctrl+C to stop)")
    try:
        _wait()
    finally:
        dispatcher.stop()


@connect_app.command("bind")
def bind(
    park: Annotated[str, typer.Option("--park", help="Code of the park.")],
    device: Annotated[str, typer.Option("--device", help="Code of the device.")],
    protocol: Annotated[str, typer.Option("--protocol", help="hj212 | modbus | opcua | bacnet | dlt645")],
    address: Annotated[
        str,
        typer.Option(
            "--address",
            help="HJ 212: the MN; Modbus, BACnet: host:port; OPC UA: opc.tcp://…; DL/T 645: host:port/meter address",
        ),
    ],
    secret: Annotated[str | None, typer.Option("--secret", help="HJ 212: the PW (kept as its digest)")] = None,
    unit: Annotated[int, typer.Option("--unit", min=0, max=247, help="Modbus unit id")] = 1,
    profile: Annotated[
        str | None, typer.Option("--profile", help="Modbus, OPC UA, BACnet, DL/T 645: the map (devices/data)")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Bind a device to a connector (an HJ 212 MN and PW, or a Modbus server, unit and register map)."""
    from sqlalchemy import select

    from digipark.core.errors import field_error
    from digipark.devices.connectors.common import profile_maps
    from digipark.devices.hj212_server import pw_digest
    from digipark.devices.modbus import register_maps
    from digipark.devices.models import BindingProtocol, DeviceBinding
    from digipark.registry.models import Device

    if protocol not in {p.value for p in BindingProtocol}:
        raise field_error("--protocol", ", ".join(p.value for p in BindingProtocol))
    if protocol == "hj212" and not secret:
        raise field_error("--secret", "an HJ 212 station needs its PW")
    maps = {"modbus": register_maps, **profile_maps()}
    if protocol in maps and profile not in maps[protocol]():
        raise field_error("--profile", f"one of {', '.join(sorted(maps[protocol]()))}")
    with writing(database) as db:
        park_id = park_by_code(db, park).id
        row = db.scalar(select(Device).where(Device.park_id == park_id, Device.code == device))
        if row is None:
            raise field_error("--device", "no device with this code in the park")
        db.add(
            DeviceBinding(
                park_id=park_id,
                enterprise_id=row.enterprise_id,
                device_id=row.id,
                protocol=protocol,
                address=address,
                unit_id=unit if protocol == "modbus" else 0,
                secret_hash=pw_digest(secret) if secret else None,
                profile=profile,
            )
        )
    typer.echo(f"bound {device} to {protocol} {address}")
