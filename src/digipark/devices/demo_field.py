"""The demo park's OPC UA, BACnet/IP and DL/T 645 devices (part of devices/demo.py): an air-conditioning unit on an
OPC UA server (asyncua), another on a BACnet/IP device (bacpypes3) and an energy meter behind a DL/T 645 TCP serial
gateway, each a simulator in the demo's process (devices/connectors/simulators.py) read by its connector into the
same ingest path as every device. A simulator that cannot start is left out with a warning: the demo goes on. The two
units are in the park's first office building, so the "after hours" scene switches them too: the OPC UA one through
its methods (the connector's channel), the BACnet one through the demo's simulated controllers over MQTT (the
connector does not write BACnet yet), which set the BACnet simulator's objects to what they answer."""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import system_scope
from digipark.devices.models import DeviceBinding
from digipark.registry import schemas as registry_schemas
from digipark.registry import service as registry
from digipark.registry.models import Building, Device

log = logging.getLogger("digipark.devices.demo")

BACNET_INSTANCE = 1001
DLT645_METER = "202612070001"  # the meter's 12-digit DL/T 645 address
OPCUA_FLUSH_S = 5.0  # the OPC UA connector stores changes and looks for commands this often
POLL_S = 60.0  # the BACnet and DL/T 645 connectors read their devices this often


@dataclasses.dataclass(frozen=True, slots=True)
class FieldDevice:
    code: str
    kind: str
    name: str
    name_en: str
    protocol: str
    profile: str  # the protocol's map (devices/data/*_maps.yaml, dlt645.yaml)
    address: str  # a placeholder: the simulator's address is set when the demo starts it
    unit_id: int = 1
    in_office: bool = False  # in the park's first office building


FIELD_DEVICES = (
    FieldDevice(
        "AHU-OPCUA-01",
        "hvac_unit",
        "综合楼空调机组（OPC UA）",
        "Office building air handler (OPC UA)",
        "opcua",
        "hvac_unit_demo",
        "opc.tcp://127.0.0.1:4840/digipark/",
        in_office=True,
    ),
    FieldDevice(
        "AHU-BACNET-01",
        "hvac_unit",
        "研发楼空调机组（BACnet/IP）",
        "R&D building air handler (BACnet/IP)",
        "bacnet",
        "hvac_unit_bacnet_demo",
        "127.0.0.1:47809",
        BACNET_INSTANCE,
        in_office=True,
    ),
    FieldDevice(
        "EM-DLT645-01",
        "electricity_meter",
        "配电房分项电能表（DL/T 645）",
        "Substation sub-meter (DL/T 645)",
        "dlt645",
        "electricity_meter_dlt645",
        f"127.0.0.1:8899/{DLT645_METER}",
    ),
)
FIELD_CODES = tuple(spec.code for spec in FIELD_DEVICES)
OPCUA_UNIT = FIELD_DEVICES[0].code


def build_field_devices(session: Session, *, park_id: int) -> int:
    """The three devices of the park and their bindings; how many bindings."""
    scope = system_scope(park_id)
    office = session.scalar(
        select(Building.id).where(Building.park_id == park_id, Building.use == "office").order_by(Building.id)
    )
    for spec in FIELD_DEVICES:
        data = registry_schemas.DeviceCreate(
            code=spec.code,
            name=spec.name,
            name_en=spec.name_en,
            kind=spec.kind,
            protocol=spec.protocol,
            building_id=office if spec.in_office else None,
        )
        device = registry.create(session, scope=scope, kind=registry.KINDS["device"], data=data)
        session.add(
            DeviceBinding(
                park_id=park_id,
                device_id=device.id,
                protocol=spec.protocol,
                address=spec.address,
                unit_id=spec.unit_id,
                profile=spec.profile,
                poll_interval_s=int(POLL_S),
            )
        )
    return len(FIELD_DEVICES)


def _bindings(session: Session) -> dict[str, DeviceBinding]:
    rows = session.scalars(
        select(DeviceBinding)
        .join(Device, Device.id == DeviceBinding.device_id)
        .where(Device.code.in_(FIELD_CODES), DeviceBinding.active.is_(True))
        .order_by(DeviceBinding.id)
    )
    found: dict[str, DeviceBinding] = {}
    for binding in rows:
        found.setdefault(binding.protocol, binding)
    return found


def _started(what: str, start: Callable[[], Any]) -> Any:
    try:
        return start()
    except Exception as exc:  # an optional part of the demo: left out, the rest goes on
        log.warning("demo: the %s simulator did not start (%s); its device is not read", what, exc)
        return None


@dataclasses.dataclass
class FieldDevices:
    starts: list[Callable[[], None]] = dataclasses.field(default_factory=list)
    bacnet: Any = None  # the BACnet simulator
    bacnet_digest: str | None = None  # its device's token digest (its commands come over MQTT)

    def start_connectors(self) -> None:
        """Start the connectors (once the simulators' addresses are committed)."""
        for start in self.starts:
            start()

    def switched(self, digest: str, name: str, params: dict[str, Any]) -> None:
        """A command the simulated controllers answered: the BACnet unit's objects follow it."""
        if self.bacnet is None or digest != self.bacnet_digest:
            return
        try:
            if name in ("switch_on", "switch_off"):
                self.bacnet.set("running", "active" if name == "switch_on" else "inactive")
            elif name == "set_temperature" and isinstance(params.get("setpoint_c"), int | float):
                self.bacnet.set("setpoint", float(params["setpoint_c"]))
        except Exception as exc:  # the simulator stopping: the command was answered all the same
            log.warning("demo: the BACnet unit did not follow %s (%s)", name, exc)


def start_field_devices(session: Session, stops: list[Callable[[], None]], stop: threading.Event) -> FieldDevices:
    """Start the simulators of the bound field devices and give their bindings the simulators' addresses (in the
    caller's writing transaction); `start_connectors()` once that is committed."""
    from digipark.devices.connectors.simulators import BacnetSimulator, Dlt645Gateway, OpcUaSimulator

    bindings = _bindings(session)
    field = FieldDevices()
    starts = field.starts
    if (binding := bindings.get("opcua")) is not None and (
        opcua := _started("OPC UA", lambda: OpcUaSimulator(setpoint=24.0).start())
    ) is not None:
        stops.append(opcua.close)
        binding.address = opcua.url
        starts.append(lambda: _start_opcua(stops))
    if (binding := bindings.get("bacnet")) is not None and (
        bacnet := _started("BACnet", lambda: BacnetSimulator(instance=BACNET_INSTANCE, setpoint=25.0).start())
    ) is not None:
        stops.append(bacnet.close)
        binding.address, binding.unit_id = bacnet.address, BACNET_INSTANCE
        bacnet.set("running", "active")
        field.bacnet = bacnet
        field.bacnet_digest = session.scalar(select(Device.token_hash).where(Device.id == binding.device_id))
        starts.append(lambda: _start_bacnet(stops))
    if (binding := bindings.get("dlt645")) is not None:
        values = {
            "energy_import_total": 48_210.5,
            "active_power_total": 36.4,
            "voltage_a": 229.6,
            "power_factor_total": 0.95,
        }
        gateway = _started("DL/T 645", lambda: Dlt645Gateway({DLT645_METER: values}).start())
        if gateway is not None:
            stops.append(gateway.stop)
            binding.address = f"127.0.0.1:{gateway.port}/{DLT645_METER}"
            starts.append(lambda: _start_dlt645(stops, stop, values))
    return field


def _start_opcua(stops: list[Callable[[], None]]) -> None:
    from digipark.devices.connectors.opcua import OpcUaConnector, OpcUaThread

    thread = OpcUaThread(OpcUaConnector(flush_s=OPCUA_FLUSH_S, watchdog_s=OPCUA_FLUSH_S)).start()
    stops.append(thread.stop)


def _start_bacnet(stops: list[Callable[[], None]]) -> None:
    from digipark.devices.connectors.bacnet import BacnetConnector, BacnetPoller
    from digipark.devices.connectors.simulators import free_udp_port

    poller = BacnetPoller(BacnetConnector(local=f"127.0.0.1/32:{free_udp_port()}"), every_s=POLL_S).start()
    stops.append(poller.stop)


def _start_dlt645(stops: list[Callable[[], None]], stop: threading.Event, values: dict[str, float]) -> None:
    from digipark.devices.connectors.dlt645 import Dlt645Connector, Poller

    rng = random.Random(13)

    def meter() -> None:  # the meter counts energy at its (moving) power, read every POLL_S
        while not stop.wait(POLL_S):
            values["active_power_total"] = round(36 + rng.uniform(-6, 6), 3)
            values["energy_import_total"] = round(values["energy_import_total"] + values["active_power_total"] / 60, 2)
            values["voltage_a"] = round(229 + rng.uniform(-2, 2), 1)

    threading.Thread(target=meter, name="digipark-demo-dlt645-meter", daemon=True).start()
    poller = Poller(Dlt645Connector(), every_s=POLL_S, name="digipark-demo-dlt645").start()
    stops.append(poller.stop)
