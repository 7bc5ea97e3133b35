"""Benchmark of the devices module (issue 16, "Figures").

- `command_roundtrip_p99_ms`: 1,000 commands, each from its commit (queued) to the moment the benchmark sees it
  succeeded in the database: the dispatcher sends it through an embedded broker of its own on a free port, a
  simulated device (paho-mqtt) answers on its reply topic, the dispatcher stores the answer. Ten native devices;
  commands are requested one every 20 ms. p50 and p99.
- `mqtt_provision_p99_ms`: 200 devices provisioning themselves over MQTT one after another (ThingsBoard's
  `/provision/request` → `/provision/response`, user name `provision`, one paho client): from the publish to the
  token received, the device committed in between (dispatcher, embedded broker on a free port). p50 and p99.
- `hj212_frames_per_s`: 2011 frames (5 pollutants each) of 100 data collectors, split from one stream, checked
  (length, CRC), authenticated (MN, PW) and stored through the ingest path's batch path
  (`Hj212Connector.handle_many`: the server's group commit, 5,000 frames = 25,000 readings per transaction, stored
  with one COPY on PostgreSQL / one executemany on SQLite), on one core (this process, one thread). Wall time
  includes the database server's work on PostgreSQL; `hj212_frames_per_cpu_s` is the same run per second of this
  process's CPU (what one core of the connector does, whatever else the machine runs).
- `hj212_parse_frames_per_s`: the same frames split, checked and read into point values, without storing.
- `modbus_registers_per_s`: registers read from pymodbus' own server (a 120-register map of uint16s, one read per
  poll, one client), decoded.

A PostgreSQL database of its own, `digipark_bench_devices` (or DIGIPARK_BENCH_DATABASE_URL; `--sqlite` for a
temporary SQLite file).

    .venv/bin/python bench/devices.py
    .venv/bin/python bench/devices.py --sqlite
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("DIGIPARK_LOG_LEVEL", "WARNING")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bench_database_url, emit, percentile, progress

COMMANDS = 1_000
STATIONS = 100
HJ212_FRAMES = 50_000
HJ212_BATCH = 5_000
MODBUS_REGISTERS = 120
MODBUS_SECONDS = 5.0
PROVISIONS = 200


def prepare(url: str) -> dict[str, Any]:
    """A park with 10 valves (commands) and 100 flue-gas monitors bound to HJ 212 (MN, PW)."""
    from sqlalchemy import delete, select
    from sqlalchemy.orm import Session

    import digipark.modules  # noqa: F401
    from digipark.audit.service import Actor, set_actor
    from digipark.auth.scope import system_scope
    from digipark.core import db as core_db
    from digipark.core import migrate
    from digipark.devices.hj212_server import pw_digest
    from digipark.devices.models import DeviceBinding, DeviceCommand
    from digipark.registry import schemas
    from digipark.registry import service as registry
    from digipark.registry.device_tokens import token_digest
    from digipark.registry.models import Device, Park
    from digipark.telemetry.models import PointLatest, Reading

    migrate.upgrade(url)
    engine = core_db.make_engine(url)
    core_db.use_engine(engine)
    out: dict[str, Any] = {"valves": [], "stations": []}
    with Session(engine, expire_on_commit=False) as session, session.begin():
        set_actor(session, Actor("bench"))
        park = session.scalar(select(Park).where(Park.code == "BDEV"))
        if park is None:
            park = registry.create_park(session, code="BDEV", name="设备基准园区", region_code="320500")
        scope = system_scope(park.id)
        session.execute(delete(DeviceCommand))
        session.execute(delete(Reading))
        session.execute(delete(PointLatest))
        for i in range(10):
            token = f"bench-valve-{i:02d}"
            device = session.scalar(select(Device).where(Device.token_hash == token_digest(token)))
            if device is None:
                device = Device(
                    park_id=park.id,
                    code=f"V{i:02d}",
                    name=f"切断阀{i}",
                    kind="shutoff_valve",
                    token_hash=token_digest(token),
                    status="active",
                    protocol="mqtt",
                )
                session.add(device)
                session.flush()
            out["valves"].append((device.id, token))
        for i in range(STATIONS):
            code = f"CEMS{i:03d}"
            device = session.scalar(select(Device).where(Device.park_id == park.id, Device.code == code))
            if device is None:
                device = registry.create(
                    session,
                    scope=scope,
                    kind=registry.KINDS["device"],
                    data=schemas.DeviceCreate(code=code, name=f"烟气监测{i}", kind="flue_gas_monitor"),
                )
            mn = f"BENCH{i:03d}".ljust(24, "0")
            if session.scalar(select(DeviceBinding.id).where(DeviceBinding.address == mn)) is None:
                session.add(
                    DeviceBinding(
                        park_id=park.id,
                        device_id=device.id,
                        protocol="hj212",
                        address=mn,
                        secret_hash=pw_digest("123456"),
                    )
                )
            out["stations"].append(mn)
        out["park_id"] = park.id
    return out


def command_roundtrip(setup: dict[str, Any]) -> None:
    import orjson
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion
    from sqlalchemy import select

    from digipark.audit.service import Actor, set_actor
    from digipark.auth.models import Role
    from digipark.auth.scope import Scope
    from digipark.core.db import transaction
    from digipark.devices import commands
    from digipark.devices.dispatcher import CommandDispatcher
    from digipark.devices.models import DeviceCommand
    from digipark.telemetry.broker_access import service_credentials
    from digipark.telemetry.runtime import IngestPlan, start_plan

    runtime = start_plan(IngestPlan(listen=("127.0.0.1", 0), batch_size=100))
    assert runtime.port
    user, password = service_credentials()
    dispatcher = CommandDispatcher("127.0.0.1", runtime.port, username=user, password=password, interval_s=0.01)
    dispatcher.start()
    devices = []
    for _device_id, token in setup["valves"]:
        ready = threading.Event()
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:8]}")
        client.username_pw_set(token)

        def on_message(c: paho.Client, u: Any, m: paho.MQTTMessage, token: str = token) -> None:
            ident = orjson.loads(m.payload)["id"]
            c.publish(f"digipark/v1/{token}/reply/{ident}", b'{"state":"succeeded"}', qos=0)

        client.on_message = on_message
        client.on_subscribe = lambda *a, ready=ready: ready.set()
        client.connect("127.0.0.1", runtime.port)
        client.loop_start()
        client.subscribe(f"digipark/v1/{token}/downlink/#", qos=0)
        ready.wait(5)
        devices.append(client)
    scope = Scope.for_user(role=Role.OPERATOR, username="bench", user_id=None, park_id=setup["park_id"])
    committed: dict[int, float] = {}
    done: dict[int, float] = {}
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set() or len(done) < len(committed):
            pending = [i for i in committed if i not in done]
            if pending:
                with transaction(name="bench watch") as session:
                    rows = session.execute(
                        select(DeviceCommand.id).where(
                            DeviceCommand.id.in_(pending), DeviceCommand.state == "succeeded"
                        )
                    ).all()
                now = time.perf_counter()
                for (ident,) in rows:
                    done[ident] = now
            time.sleep(0.005)
            if stop.is_set() and time.perf_counter() - last[0] > 30:
                break

    last = [time.perf_counter()]
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    for i in range(COMMANDS):
        device_id, _token = setup["valves"][i % len(setup["valves"])]
        with transaction(write=True, name="bench command") as session:
            set_actor(session, Actor("bench"))
            command = commands.create(
                session,
                scope=scope,
                device_id=device_id,
                name="set_position",
                params={"position_pct": i % 100},
                reason="bench",
            )
            ident = command.id
        committed[ident] = time.perf_counter()
        dispatcher.wake()
        last[0] = time.perf_counter()
        time.sleep(0.02)
    stop.set()
    watcher.join(60)
    latencies = [(done[i] - committed[i]) * 1000 for i in committed if i in done]
    for client in devices:
        client.disconnect()
        client.loop_stop()
    dispatcher.stop()
    runtime.stop()
    conditions = {"commands": COMMANDS, "answered": len(latencies), "devices": len(devices), "broker": "embedded"}
    emit("command_roundtrip_p50_ms", percentile(latencies, 0.5), "ms", **conditions)
    emit("command_roundtrip_p99_ms", percentile(latencies, 0.99), "ms", **conditions)


def provision_roundtrip(setup: dict[str, Any]) -> None:
    import queue

    import orjson
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    from digipark.audit.service import Actor, set_actor
    from digipark.auth.models import Role
    from digipark.auth.scope import Scope
    from digipark.core.db import transaction
    from digipark.devices import provisioning
    from digipark.devices.dispatcher import CommandDispatcher
    from digipark.telemetry.broker_access import service_credentials
    from digipark.telemetry.runtime import IngestPlan, start_plan

    scope = Scope.for_user(role=Role.PARK_ADMIN, username="bench", user_id=None, park_id=setup["park_id"])
    with transaction(write=True, name="bench key") as session:
        set_actor(session, Actor("bench"))
        key, secret = provisioning.create_key(
            session, scope=scope, name="bench", kind="temp_humidity", max_devices=PROVISIONS
        )
        key_text = key.key
    runtime = start_plan(IngestPlan(listen=("127.0.0.1", 0), batch_size=100))
    assert runtime.port
    user, password = service_credentials()
    dispatcher = CommandDispatcher("127.0.0.1", runtime.port, username=user, password=password, interval_s=0.01)
    dispatcher.start()
    answers: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
    ready = threading.Event()
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-prov-{uuid.uuid4().hex[:8]}")
    client.username_pw_set("provision")
    client.on_message = lambda c, u, m: answers.put((time.perf_counter(), orjson.loads(m.payload)))
    client.on_subscribe = lambda *a: ready.set()
    client.connect("127.0.0.1", runtime.port)
    client.loop_start()
    client.subscribe("/provision/response", qos=1)
    ready.wait(5)
    latencies = []
    run = uuid.uuid4().hex[:6]
    for i in range(PROVISIONS):
        body = {"deviceName": f"PROV-{run}-{i}", "provisionDeviceKey": key_text, "provisionDeviceSecret": secret}
        sent = time.perf_counter()
        client.publish("/provision/request", orjson.dumps(body), qos=1)
        at, answer = answers.get(timeout=30)
        if answer.get("status") == "SUCCESS":
            latencies.append((at - sent) * 1000)
    client.disconnect()
    client.loop_stop()
    dispatcher.stop()
    runtime.stop()
    conditions = {"devices": PROVISIONS, "succeeded": len(latencies), "broker": "embedded", "sequential": True}
    emit("mqtt_provision_p50_ms", percentile(latencies, 0.5), "ms", **conditions)
    emit("mqtt_provision_p99_ms", percentile(latencies, 0.99), "ms", **conditions)


def hj212_throughput(setup: dict[str, Any]) -> None:
    from digipark.devices import hj212
    from digipark.devices.hj212_server import Hj212Connector

    connector = Hj212Connector()
    base = time.time() - 3 * 86400
    stream = bytearray()
    for n in range(HJ212_FRAMES):
        mn = setup["stations"][n % STATIONS]
        at = base + (n // STATIONS) * 1.0
        local = time.gmtime(at + 8 * 3600)
        data_time = time.strftime("%Y%m%d%H%M%S", local)
        cp = (
            f"a21026-Rtd={20 + n % 7}.5,a21026-Flag=N;a21002-Rtd={40 + n % 5}.1,a21002-Flag=N;"
            f"a34013-Rtd=8.{n % 10},a34013-Flag=N;a19001-Rtd=9.8,a19001-Flag=N;a00000-Rtd=12.5,a00000-Flag=N"
        )
        stream += hj212.frame(
            f"QN={data_time}000;ST=31;CN=2011;PW=123456;MN={mn};Flag=4;CP=&&DataTime={data_time};{cp}&&"
        )
    progress(f"hj212: {HJ212_FRAMES} frames, {len(stream) / 1e6:.1f} MB")
    parse_start = time.perf_counter()
    parsed, _used = hj212.split_frames(bytearray(stream))
    for item in parsed:
        assert isinstance(item, bytes)
        hj212.readings_of(hj212.parse_segment(item), "flue_gas_monitor")
    parse_s = time.perf_counter() - parse_start
    emit(
        "hj212_parse_frames_per_s",
        HJ212_FRAMES / parse_s,
        "frames/s",
        frames=HJ212_FRAMES,
        values_per_frame=5,
        what="split, length and CRC check, fields, CP to point values; no storing",
    )
    connector.handle([], "bench")  # load the stations, warm the ingest's registry cache
    start = time.perf_counter()
    cpu0 = time.process_time()
    buffer = bytearray(stream)
    items, used = hj212.split_frames(buffer)
    for i in range(0, len(items), HJ212_BATCH):
        connector.handle_many([(items[i : i + HJ212_BATCH], "bench")])
    connector.close()  # the deferred coarse rollups (PostgreSQL) brought up to date: part of storing
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    assert used == len(stream)
    assert connector.stats.stored == HJ212_FRAMES * 5, connector.stats
    conditions = {
        "frames": HJ212_FRAMES,
        "values_per_frame": 5,
        "stored": connector.stats.stored,
        "batch": HJ212_BATCH,
        "deferred_coarse_rollups": connector.defer_coarse,
        "cpu_s": round(cpu, 2),
        "wall_s": round(elapsed, 2),
        "load_average_1m": round(os.getloadavg()[0], 1),
    }
    emit("hj212_frames_per_s", HJ212_FRAMES / elapsed, "frames/s", **conditions)
    emit("hj212_frames_per_cpu_s", HJ212_FRAMES / cpu, "frames/s", **conditions)


def modbus_throughput() -> None:
    from pymodbus.client import ModbusTcpClient

    from digipark.devices.modbus import Register, read_map
    from digipark.devices.simulators import ModbusSimulator

    registers = [Register(key=f"r{i}", address=i, type="uint16", scale=0.1) for i in range(MODBUS_REGISTERS)]
    simulator = ModbusSimulator(list(range(200))).start()
    client = ModbusTcpClient("127.0.0.1", port=simulator.port, timeout=3)
    client.connect()
    reads = 0
    start = time.perf_counter()
    while time.perf_counter() - start < MODBUS_SECONDS:
        values = read_map(client, 1, registers)
        reads += 1
    elapsed = time.perf_counter() - start
    assert values["r5"] == 0.5
    client.close()
    simulator.stop()
    emit(
        "modbus_registers_per_s",
        reads * MODBUS_REGISTERS / elapsed,
        "registers/s",
        registers_per_poll=MODBUS_REGISTERS,
        polls=reads,
        server="pymodbus ModbusTcpServer",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL")
    parser.add_argument("--only", choices=["modbus", "hj212", "commands", "provision"], help="one figure's part")
    args = parser.parse_args()
    if args.sqlite:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench_devices.db"
    else:
        url = bench_database_url("digipark_bench_devices")
    os.environ["DIGIPARK_DATABASE_URL"] = url
    setup = prepare(url)
    database = "sqlite" if args.sqlite else "postgresql"
    progress(f"devices bench on {database}")
    if args.only in (None, "modbus"):
        modbus_throughput()
    if args.only in (None, "hj212"):
        hj212_throughput(setup)
    if args.only in (None, "commands"):
        command_roundtrip(setup)
    if args.only in (None, "provision"):
        provision_roundtrip(setup)


if __name__ == "__main__":
    main()
