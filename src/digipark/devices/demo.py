"""The demo park's devices part (declared in devices.module): the park's first flue-gas monitor (CEMS) bound to
HJ 212 (an MN and PW of the demo), an electricity meter of the park bound to a Modbus TCP server and register map,
an emergency shut-off valve at the tank farm, and its history: the valve closed from an incident with a second
person's confirmation; and an OPC UA air-conditioning unit, a BACnet/IP one and a DL/T 645 meter
(devices/demo_field.py).
`start_demo_devices` (called by `digipark demo` once it serves) runs these devices as their protocols: an HJ 212 data
collector uploading to the HJ 212 connector, a Modbus meter polled by the Modbus connector, the OPC UA, BACnet and
DL/T 645 simulators read by their connectors, and the command dispatcher on the embedded broker with the valve, the
lighting controllers and the air-conditioning units answering their commands."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import system_scope
from digipark.core.db import utcnow
from digipark.devices.demo_field import OPCUA_UNIT, build_field_devices, start_field_devices
from digipark.devices.hj212_server import pw_digest
from digipark.devices.models import Channel, CommandState, DeviceBinding, DeviceCommand
from digipark.registry import schemas as registry_schemas
from digipark.registry import service as registry
from digipark.registry.models import Device
from digipark.safety import provides as safety

log = logging.getLogger("digipark.devices.demo")

DEMO_MN = "32050020261031CEMS000001"  # 24 characters, as data collectors' MNs are
DEMO_PW = "123456"  # the demo collector's PW (HJ 212's usual factory default); a real station has its own
VALVE_CODE = "ESV-01"
METER_PROFILE = "electricity_meter_demo"


def build_devices_demo(session: Session, *, park_id: int, as_of: dt.date, seed: int) -> dict[str, int]:
    scope = system_scope(park_id)
    counts = {"device_bindings": 0, "device_commands": 0}
    cems = session.scalar(
        select(Device).where(Device.park_id == park_id, Device.kind == "flue_gas_monitor").order_by(Device.id)
    )
    if cems is not None:
        session.add(
            DeviceBinding(
                park_id=park_id,
                enterprise_id=cems.enterprise_id,
                device_id=cems.id,
                protocol="hj212",
                address=DEMO_MN,
                secret_hash=pw_digest(DEMO_PW),
            )
        )
        counts["device_bindings"] += 1
    meter = session.scalar(
        select(Device)
        .where(Device.park_id == park_id, Device.kind == "electricity_meter", Device.enterprise_id.is_(None))
        .order_by(Device.id)
    )
    if meter is not None:  # the address is the simulator's, set again when the demo starts it
        session.add(
            DeviceBinding(
                park_id=park_id,
                device_id=meter.id,
                protocol="modbus",
                address="127.0.0.1:15020",
                unit_id=1,
                profile=METER_PROFILE,
                poll_interval_s=30,
            )
        )
        counts["device_bindings"] += 1
    counts["device_bindings"] += build_field_devices(session, park_id=park_id)
    valve = registry.create(
        session,
        scope=scope,
        kind=registry.KINDS["device"],
        data=registry_schemas.DeviceCreate(
            code=VALVE_CODE,
            name="储罐区液化气紧急切断阀",
            name_en="Tank farm LPG emergency shut-off valve",
            kind="shutoff_valve",
            location="储罐区 1# 罐出口",
        ),
    )
    incident = safety.first_incident(session, park_id=park_id)
    if incident is not None:
        now = utcnow()
        asked = now - dt.timedelta(days=3, hours=2)
        command = DeviceCommand(
            park_id=park_id,
            enterprise_id=None,
            device_id=valve.id,
            name="close_valve",
            params={},
            channel=Channel.MQTT.value,
            state=CommandState.SUCCEEDED.value,
            reason="储罐区可燃气体报警，现场确认泄漏，先行切断",
            requested_by="operator",
            safety=True,
            confirmed_by="admin",
            confirmed_at=asked + dt.timedelta(minutes=1),
            incident_id=incident.id,
            attempts=1,
            max_attempts=3,
            retry_after_s=10,
            expires_at=asked + dt.timedelta(seconds=60),
            sent_at=asked + dt.timedelta(minutes=1, seconds=1),
            delivered_at=asked + dt.timedelta(minutes=1, seconds=2),
            finished_at=asked + dt.timedelta(minutes=1, seconds=3),
            result={"position_pct": 0},
        )
        command.created_at = asked
        session.add(command)
        counts["device_commands"] += 1
    session.flush()
    return counts


# -- running the demo's devices as their protocols ---------------------------------------------------------------------
@dataclasses.dataclass
class _Running:
    stops: list[Callable[[], None]] = dataclasses.field(default_factory=list)

    def stop(self) -> None:
        for stop in reversed(self.stops):
            try:
                stop()
            except Exception:
                log.exception("devices demo: stopping failed")


def start_demo_devices(*, broker: tuple[str, int] | None, credentials: tuple[str, str] | None) -> Callable[[], None]:
    """Start the demo's devices as their protocols (see the module docstring); returns a stopper."""
    from digipark.core.db import transaction
    from digipark.devices.hj212_server import Hj212Thread
    from digipark.devices.modbus import ModbusPoller, register_maps
    from digipark.devices.simulators import Hj212Collector, ModbusSimulator, holding_values

    running = _Running()
    stop = threading.Event()
    running.stops.append(stop.set)
    with transaction(write=True, name="demo devices") as session:
        modbus = session.scalar(
            select(DeviceBinding).where(DeviceBinding.protocol == "modbus").order_by(DeviceBinding.id)
        )
        hj212_bound = session.scalar(select(DeviceBinding.id).where(DeviceBinding.address == DEMO_MN)) is not None
        valve = session.scalar(select(Device).where(Device.code == VALVE_CODE))
        register_map = register_maps()[METER_PROFILE]
        simulator = None
        if modbus is not None:
            values = {"energy_kwh": 182_340.0, "power_kw": 415.0, "voltage_v": 230.8, "power_factor": 0.93}
            simulator = ModbusSimulator(holding_values(register_map, values)).start()
            running.stops.append(simulator.stop)
            modbus.address = f"127.0.0.1:{simulator.port}"
        valve_digest = valve.token_hash if valve is not None else None
        switch_digests = [
            str(d)
            for d in session.scalars(
                select(Device.token_hash).where(
                    Device.kind.in_(SWITCHED_KINDS),
                    Device.status == "active",
                    Device.token_hash.is_not(None),
                    Device.code != OPCUA_UNIT,  # takes its commands as OPC UA method calls
                )
            )
        ]
        field = start_field_devices(session, running.stops, stop)
    field.start_connectors()
    if simulator is not None:
        rng = random.Random(7)

        def meter() -> None:  # the meter's registers move as a meter's do
            energy = 182_340.0
            while not stop.wait(10):
                hour = time.localtime().tm_hour
                power = 300 + 150 * math.sin(math.pi * (hour - 6) / 12) + rng.uniform(-20, 20)
                energy += power * 10 / 3600
                words = holding_values(
                    register_map,
                    {
                        "energy_kwh": energy,
                        "power_kw": power,
                        "voltage_v": 230 + rng.uniform(-2, 2),
                        "power_factor": 0.93,
                    },
                )
                try:
                    simulator.set_words(words)
                except OSError as exc:  # the simulator restarting: the next round writes again
                    log.warning("demo meter: writing its registers failed: %s", exc)

        threading.Thread(target=meter, name="digipark-demo-meter", daemon=True).start()
        poller = ModbusPoller(every_s=30).start()
        running.stops.append(poller.stop)
    if hj212_bound:
        server = Hj212Thread().start()
        running.stops.append(server.stop)
        collector = Hj212Collector("127.0.0.1", server.port, mn=DEMO_MN, pw=DEMO_PW)
        rng2 = random.Random(11)

        def upload() -> None:  # 实时数据 every minute, as a CEMS data collector sends it
            while not stop.is_set():
                collector.upload(
                    {
                        "a21026": 18 + rng2.uniform(-3, 3),
                        "a21002": 42 + rng2.uniform(-5, 5),
                        "a34013": 6 + rng2.uniform(-1, 1),
                        "a19001": 9.5 + rng2.uniform(-0.5, 0.5),
                        "a00000": 11.8 + rng2.uniform(-0.4, 0.4),
                    }
                )
                if stop.wait(60):
                    break
            collector.close()

        threading.Thread(target=upload, name="digipark-demo-hj212", daemon=True).start()
    if broker is not None and credentials is not None:
        from digipark.devices.dispatcher import CommandDispatcher

        dispatcher = CommandDispatcher(broker[0], broker[1], username=credentials[0], password=credentials[1]).start()
        running.stops.append(dispatcher.stop)
        if valve_digest is not None:
            running.stops.append(_simulated_valve(broker, credentials, valve_digest))
        if switch_digests:
            running.stops.append(_simulated_switches(broker, credentials, switch_digests, field.switched))
    return running.stop


def _simulated_valve(broker: tuple[str, int], credentials: tuple[str, str], digest: str) -> Callable[[], None]:
    """The valve's controller: takes its commands and answers delivered, then succeeded (as the service account,
    on the platform's names of its topics, since the demo knows no device token)."""
    import orjson
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="digipark-demo-valve")
    client.username_pw_set(*credentials)

    def on_message(c: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        body = orjson.loads(message.payload)
        reply = f"digipark/d/{digest}/reply/{body['id']}"
        c.publish(reply, orjson.dumps({"state": "delivered"}), qos=1)
        position = (
            0
            if body["name"] == "close_valve"
            else 100
            if body["name"] == "open_valve"
            else body["params"].get("position_pct")
        )
        c.publish(reply, orjson.dumps({"state": "succeeded", "result": {"position_pct": position}}), qos=1)

    client.on_message = on_message
    client.on_connect = lambda c, *a: c.subscribe(f"digipark/d/{digest}/downlink/#", qos=1)
    client.connect(broker[0], broker[1])
    client.loop_start()

    def stop() -> None:
        client.disconnect()
        client.loop_stop()

    return stop


SWITCHED_KINDS = ("lighting_controller", "hvac_unit")


def _simulated_switches(
    broker: tuple[str, int],
    credentials: tuple[str, str],
    digests: list[str],
    switched: Callable[[str, str, dict[str, Any]], None],
) -> Callable[[], None]:
    """The lighting controllers and air-conditioning units: each takes its switch and set-point commands (the
    automation's "after hours" scene among them) and answers delivered, then succeeded with its new state."""
    import orjson
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="digipark-demo-switches")
    client.username_pw_set(*credentials)

    def on_message(c: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        digest = message.topic.split("/")[2]
        body = orjson.loads(message.payload)
        reply = f"digipark/d/{digest}/reply/{body['id']}"
        c.publish(reply, orjson.dumps({"state": "delivered"}), qos=1)
        result = {"switch_on": 1 if body["name"] == "switch_on" else 0} if body["name"] != "set_temperature" else {}
        result.update({k: v for k, v in (body.get("params") or {}).items() if k == "setpoint_c"})
        c.publish(reply, orjson.dumps({"state": "succeeded", "result": result}), qos=1)
        switched(digest, body["name"], body.get("params") or {})

    def on_connect(c: paho.Client, *args: Any) -> None:
        for digest in digests:
            c.subscribe(f"digipark/d/{digest}/downlink/#", qos=1)

    client.on_message = on_message
    client.on_connect = on_connect
    client.connect(broker[0], broker[1])
    client.loop_start()

    def stop() -> None:
        client.disconnect()
        client.loop_stop()

    return stop
