"""Benchmark: MQTT → PostgreSQL ingest throughput, latency, memory, and the machine's limits.

Figures: `ingest_dp_per_s`, `ingest_drain_dp_per_s`, `ingest_lost`, `ingest_limit_copy_dp_per_s`,
`ingest_limit_broker_dp_per_s`, `ingest_ratio_to_limit`, `ingest_drain_ratio_to_limit`, `ingest_dp_per_cpu_s`,
`ingest_drain_dp_per_cpu_s`, `ingest_latency_p50_ms`, `ingest_latency_p99_ms`, `ingest_peak_rss_mb`; with
`--workers 2` also `ingest_dp_per_s_workers_1` and `ingest_dp_per_s_workers_2`. Every line carries the machine's
load average (the machine may be shared: then the per-CPU-second figures say more than the rates).

Method (issue 4, "Figures"):
- A Mosquitto of its own from /usr/sbin/mosquitto with the project's `deploy/mosquitto/digipark.conf` (queues
  without limit, large in-flight window, persistence) on a free loopback port, in a temporary folder.
- A PostgreSQL database of its own, `digipark_bench_ingest` (or DIGIPARK_BENCH_DATABASE_URL), migrated, with
  1,000 electricity meters of 3 points each (plus a probe meter); the telemetry tables are emptied before a run.
- The publisher is its own process (asyncio, raw MQTT over a few connections, each carrying many devices,
  QoS 1, a window of unacknowledged publishes), 3 values per message: `{"ts":..,"values":{3 keys}}`.
- The platform is `digipark ingest` in its own process, subscribed to that Mosquitto (persistent session).
- Sustained: the platform runs, the publisher sends N data points as fast as it can; the rate is the points
  stored over the time from the first publish to the last point stored. Latency: a probe meter publishes its
  clock every 50 ms during the run, the bench polls the database and takes publish → queryable per probe.
  Peak memory: VmHWM of the ingest process.
- Drain: the platform is stopped (its session stays at the broker), N more points (newer timestamps: in-order
  data, not late data) are published, then the platform starts; the rate is N over the time from its
  "subscribed" line to the last point stored.
- Lost: published (acknowledged by the broker) minus stored, over both runs; must be 0.
- Limits: `COPY` of the sustained run's rows into `reading` (primary key included; rolled back) and Mosquitto's
  delivery rate of the same messages, queued for a persistent `mosquitto_sub` session, to `mosquitto_sub`
  writing to /dev/null. `ingest_ratio_to_limit` = ingest_dp_per_s / the lower limit, `ingest_drain_ratio_to_limit`
  = ingest_drain_dp_per_s / the lower limit.
- CPU: the points stored per CPU second of the ingest process over the sustained and the drain run, with the CPU
  seconds of its PostgreSQL server processes (the bench's own polling left out) and of Mosquitto meanwhile; the
  COPY limit's line carries its server process's CPU seconds. `--profile DIR` samples the ingest process with
  py-spy (`sustained.txt`, `drain.txt`: collapsed stacks of the thread holding the GIL).
- `--workers 2`: NATS JetStream at DIGIPARK_BENCH_NATS_URL (nats://127.0.0.1:4222), a stream of its own; the
  bridge (`digipark ingest` with DIGIPARK_STREAM_URL) fills it from MQTT, then 1 and then 2
  `digipark ingest --worker` processes store N points each time; rate = N over first-fetch to last-stored.

    .venv/bin/python bench/ingest.py                 # 1,000,000 points
    .venv/bin/python bench/ingest.py --points 60000  # quick
    .venv/bin/python bench/ingest.py --points 300000 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import io
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("DIGIPARK_LOG_LEVEL", "WARNING")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _ingest_process import BENCH_BACKENDS, IngestProcess, database_cpu_s, process_cpu_s

ROOT = Path(__file__).resolve().parent.parent
MOSQUITTO = "/usr/sbin/mosquitto"
MOSQUITTO_SUB = "/usr/bin/mosquitto_sub"
PARK_CODE = "BENCH-INGEST"
DEVICES = 1_000
KEYS = ("energy_kwh", "power_kw", "voltage_v")
PROBE_TOKEN = "bench-ingest-probe"
CLIENT_ID = "digipark-bench-ingest"
STREAM = {"name": "DIGIPARK_BENCH_INGEST", "subject": "digipark.bench.ingest", "consumer": "digipark-bench-ingest"}
TELEMETRY_TABLES = (
    "reading",
    "rollup_15m",
    "rollup_1h",
    "rollup_1d",
    "rollup_1mo",
    "point_latest",
    "device_traffic",
    "device_rejection",
    "dead_letter",
)


def token_of(i: int) -> str:
    return f"bench-ingest-{i:05d}"


# ----------------------------------------------------------------------------------------------------------
# the publisher (its own process: `bench/ingest.py --publish JSON`)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(out)


class _PubConn(asyncio.Protocol):
    def __init__(self) -> None:
        self.acked = 0
        self.buf = bytearray()
        self.connack = asyncio.get_running_loop().create_future()
        self.room = asyncio.Event()
        self.transport: Any = None
        self.window = 1

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        if not self.connack.done() and len(buf) >= 4 and buf[0] == 0x20:
            del buf[:4]
            self.connack.set_result(True)
        # the broker only sends PUBACKs (4 bytes each) after CONNACK
        n = len(buf) // 4
        if n:
            self.acked += n
            del buf[: n * 4]
            self.room.set()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.connack.done():
            self.connack.set_exception(ConnectionError("closed"))
        self.room.set()


async def _open(host: str, port: int, client_id: str) -> _PubConn:
    loop = asyncio.get_running_loop()
    _, conn = await loop.create_connection(_PubConn, host, port)
    cid = client_id.encode()
    body = b"\x00\x04MQTT\x04\x02\x00\x3c" + struct.pack("!H", len(cid)) + cid
    conn.transport.write(b"\x10" + _varint(len(body)) + body)
    await conn.connack
    return conn


async def _publish_devices(
    conn: _PubConn, tokens: list[str], per_device: int, base_ts: int, window: int, rate: float = 0.0
) -> int:
    """Publish per_device messages for each token; `rate` > 0 caps this connection at that many messages/s."""
    began = time.perf_counter()
    heads = []
    for token in tokens:
        topic = f"digipark/v1/{token}/telemetry".encode()
        heads.append(struct.pack("!H", len(topic)) + topic)
    sent = 0
    chunk: list[bytes] = []
    for i in range(per_device):
        ts = base_ts + i * 10
        for d, head in enumerate(heads):
            payload = b'{"ts":%d,"values":{"energy_kwh":%.2f,"power_kw":%.3f,"voltage_v":%.1f}}' % (
                ts,
                1000.0 + i * 0.5 + d,
                50.0 + (i * 7 + d) % 100 / 10,
                220.0 + (i + d) % 10,
            )
            pid = sent % 65535 + 1
            body_len = len(head) + 2 + len(payload)
            chunk.append(b"\x32" + _varint(body_len) + head + struct.pack("!H", pid) + payload)
            sent += 1
            if len(chunk) >= 256:
                conn.transport.write(b"".join(chunk))
                chunk.clear()
                if rate > 0:
                    ahead = sent / rate - (time.perf_counter() - began)
                    if ahead > 0:
                        await asyncio.sleep(ahead)
                while sent - conn.acked >= window:
                    conn.room.clear()
                    await conn.room.wait()
    if chunk:
        conn.transport.write(b"".join(chunk))
    while conn.acked < sent:
        conn.room.clear()
        await conn.room.wait()
    return sent


async def _probe(host: str, port: int, stop: asyncio.Event) -> int:
    conn = await _open(host, port, "bench-probe")
    topic = f"digipark/v1/{PROBE_TOKEN}/telemetry".encode()
    head = struct.pack("!H", len(topic)) + topic
    sent = 0
    while not stop.is_set():
        ts = time.time_ns() // 1_000_000
        payload = b'{"ts":%d,"values":{"power_kw":1.0}}' % ts
        sent += 1
        conn.transport.write(b"\x32" + _varint(len(head) + 2 + len(payload)) + head + struct.pack("!H", sent) + payload)
        await asyncio.sleep(0.05)
    while conn.acked < sent:
        conn.room.clear()
        await asyncio.wait_for(conn.room.wait(), 30)
    conn.transport.close()
    return sent


async def _publisher(spec: dict[str, Any]) -> dict[str, Any]:
    host, port = spec["host"], spec["port"]
    devices: list[str] = spec["tokens"]
    connections = spec["connections"]
    groups = [devices[i::connections] for i in range(connections)]
    conns = [await _open(host, port, f"bench-pub-{os.getpid()}-{i}") for i in range(connections)]
    stop_probe = asyncio.Event()
    probe = asyncio.create_task(_probe(host, port, stop_probe)) if spec.get("probe") else None
    started = time.time()
    counts = await asyncio.gather(
        *(
            _publish_devices(
                c, g, spec["per_device"], spec["base_ts"], spec["window"], spec.get("rate", 0.0) / connections
            )
            for c, g in zip(conns, groups, strict=True)
        )
    )
    finished = time.time()
    stop_probe.set()
    probes = await probe if probe is not None else 0
    for conn in conns:
        conn.transport.write(b"\xe0\x00")
        conn.transport.close()
    return {"messages": sum(counts), "started": started, "finished": finished, "probes": probes}


def publish(
    host: str, port: int, tokens: list[str], per_device: int, base_ts: int, *, probe: bool = False, rate: float = 0.0
) -> Any:
    """Start the publisher process; returns the Popen (its stdout's last line is the JSON result)."""
    spec = {
        "host": host,
        "port": port,
        "tokens": tokens,
        "per_device": per_device,
        "base_ts": base_ts,
        "connections": 4,
        "window": 10_000,
        "probe": probe,
        "rate": rate,  # messages/s over all connections; 0: as fast as possible
    }
    return subprocess.Popen(
        [sys.executable, __file__, "--publish", json.dumps(spec)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )


def publish_result(proc: Any) -> dict[str, Any]:
    out, _ = proc.communicate(timeout=3600)
    if proc.returncode:
        raise SystemExit(f"publisher failed ({proc.returncode})")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


# ----------------------------------------------------------------------------------------------------------
# services


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def mosquitto() -> Iterator[int]:
    """The project's Mosquitto configuration on a free loopback port, persistence in a temporary folder."""
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="digipark-bench-mosquitto-"))
    conf = (ROOT / "deploy/mosquitto/digipark.conf").read_text()
    lines = []
    for line in conf.splitlines():
        if line.startswith("listener "):
            line = f"listener {port} 127.0.0.1"
        elif line.startswith("persistence_location "):
            line = f"persistence_location {folder}/"
        lines.append(line)
    if os.geteuid() == 0:
        lines.append(f"user {getpass.getuser()}")
    (folder / "mosquitto.conf").write_text("\n".join(lines) + "\n")
    log = open(folder / "mosquitto.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([MOSQUITTO, "-c", str(folder / "mosquitto.conf")], stdout=log, stderr=log)
    BROKER_PIDS.append(proc.pid)
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
        text_log = (folder / "mosquitto.log").read_text()
        if "dropped" in text_log.lower() or "queue" in text_log.lower():
            progress("mosquitto log mentions drops/queues:\n" + text_log[-2000:])
        shutil.rmtree(folder, ignore_errors=True)


BROKER_PIDS: list[int] = []  # the bench's Mosquitto


def cpu_now(ingest: IngestProcess, database: str) -> tuple[float, float, float]:
    """CPU seconds so far of the ingest process, of its PostgreSQL server processes and of the bench's Mosquitto."""
    return ingest.cpu_s(), database_cpu_s(database), process_cpu_s(BROKER_PIDS[-1])


# ----------------------------------------------------------------------------------------------------------
# database


def prepare_database(url: str) -> tuple[list[int], int]:
    """Migrate, create the bench park's meters once; return (point ids of the meters, probe point id)."""
    from sqlalchemy import insert, select
    from sqlalchemy.orm import Session

    from digipark.audit.service import Actor, set_actor
    from digipark.core import migrate
    from digipark.core.db import make_engine, utcnow
    from digipark.registry import service as registry
    from digipark.registry.catalog import device_kind
    from digipark.registry.device_tokens import token_digest
    from digipark.registry.models import Device, Park, Point

    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        set_actor(session, Actor("bench"))
        park = session.scalar(select(Park).where(Park.code == PARK_CODE))
        if park is None:
            park = registry.create_park(session, code=PARK_CODE, name="接入基准园区", region_code="320500")
            now = utcnow()
            kind = device_kind("electricity_meter")
            specs = {p.key: p for p in kind.points}
            tokens = [token_of(i) for i in range(DEVICES)] + [PROBE_TOKEN]
            session.execute(
                insert(Device),
                [
                    {
                        "park_id": park.id,
                        "code": f"BM{i:05d}",
                        "name": f"基准电表 {i}",
                        "kind": "electricity_meter",
                        "protocol": "mqtt",
                        "status": "active",
                        "token_hash": token_digest(token),
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i, token in enumerate(tokens)
                ],
            )
            ids = dict(session.execute(select(Device.token_hash, Device.id).where(Device.park_id == park.id)).all())
            session.execute(
                insert(Point),
                [
                    {
                        "park_id": park.id,
                        "device_id": ids[token_digest(token)],
                        "key": key,
                        "name": key,
                        "quantity": specs[key].quantity,
                        "unit": specs[key].unit,
                        "device_class": specs[key].device_class,
                        "state_class": specs[key].state_class,
                        "expected_interval_s": 60,
                        "valid_min": specs[key].valid_min,
                        "valid_max": specs[key].valid_max,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for token in tokens
                    for key in KEYS
                ],
            )
        rows = session.execute(
            select(Device.token_hash, Point.key, Point.id)
            .join(Point, Point.device_id == Device.id)
            .where(Device.park_id == park.id)
        ).all()
    engine.dispose()
    by = {(token, key): pid for token, key, pid in rows}
    points = [by[(token_digest(token_of(i)), key)] for i in range(DEVICES) for key in KEYS]
    return points, by[(token_digest(PROBE_TOKEN), "power_kw")]


def truncate_telemetry(url: str) -> None:
    from sqlalchemy import text

    from digipark.core.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TELEMETRY_TABLES)}"))
    engine.dispose()


def stored_count(conn: Any, probe_point: int) -> int:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT coalesce(sum(readings), 0) FROM device_traffic"
            " WHERE device_id <> (SELECT device_id FROM point WHERE id = %s)",
            (probe_point,),
        )
        return int(cur.fetchone()[0])


def exact_count(conn: Any, probe_point: int) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM reading WHERE point_id <> %s", (probe_point,))
        return int(cur.fetchone()[0])


def wait_stored(url: str, target: int, probe_point: int, *, stall_s: float = 60.0) -> tuple[int, float]:
    """Poll until `target` readings are counted (device_traffic) or progress stalls; (count, time reached)."""
    import psycopg

    last, last_change = -1, time.time()
    with psycopg.connect(url, autocommit=True) as conn:
        BENCH_BACKENDS.add(conn.info.backend_pid)
        while True:
            count = stored_count(conn, probe_point)
            now = time.time()
            if count != last:
                last, last_change = count, now
            if count >= target:
                return count, now
            if now - last_change > stall_s:
                progress(f"no progress for {stall_s:.0f} s at {count}/{target}")
                return count, last_change
            time.sleep(0.05)


class LatencyProbe(threading.Thread):
    """Polls the probe point's new readings; latency = first seen - ts (the publisher's clock)."""

    def __init__(self, url: str, point_id: int, since_ms: int = 0) -> None:
        super().__init__(daemon=True)
        self.url, self.point_id, self.since_ms = url, point_id, since_ms  # probes of earlier runs are not counted
        self.samples: list[float] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        import psycopg

        last = self.since_ms
        with psycopg.connect(self.url, autocommit=True) as conn, conn.cursor() as cur:
            BENCH_BACKENDS.add(conn.info.backend_pid)
            while not self.stopping.is_set():
                cur.execute("SELECT ts FROM reading WHERE point_id = %s AND ts > %s", (self.point_id, last))
                now = time.time() * 1000
                for (ts,) in cur.fetchall():
                    self.samples.append(now - ts)
                    last = max(last, ts)
                time.sleep(0.005)


def _ensure_partitions(url: str, timestamps: list[int]) -> None:
    from sqlalchemy.orm import Session

    from digipark.core.db import make_engine
    from digipark.telemetry.store import ensure_partitions, month_start_utc

    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        ensure_partitions(session, {month_start_utc(ts) for ts in timestamps})
    engine.dispose()


def copy_limit(url: str, points: list[int], per_device: int, base_ts: int) -> tuple[float, int, float]:
    """COPY the run's rows into `reading` (then roll back): (data points per second, rows, CPU seconds of the
    server process)."""
    import psycopg

    with psycopg.connect(url) as conn:  # every reading carries its point's park
        parks = dict(conn.execute("SELECT id, park_id FROM point WHERE id = ANY(%s)", (points,)).fetchall())
    buf = io.StringIO()
    for i in range(per_device):
        ts = base_ts + i * 10
        for pid in points:
            buf.write(f"{pid}\t{ts}\t{i * 0.5}\t0\t{parks[pid]}\n")
    data = buf.getvalue().encode()
    rows = per_device * len(points)
    _ensure_partitions(url, [base_ts, base_ts + per_device * 10])
    with psycopg.connect(url) as conn:
        cpu_before = process_cpu_s(conn.info.backend_pid)
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY reading (point_id, ts, value, quality, park_id) FROM STDIN") as copy:
            for start in range(0, len(data), 1 << 20):
                copy.write(data[start : start + (1 << 20)])
        elapsed = time.perf_counter() - started
        cpu = process_cpu_s(conn.info.backend_pid) - cpu_before
        conn.rollback()
    return rows / elapsed, rows, cpu


def broker_limit(port: int, tokens: list[str], per_device: int, base_ts: int) -> tuple[float, dict[str, Any]]:
    """Mosquitto's delivery rate to mosquitto_sub (-> /dev/null) of the messages queued for its session."""
    sub_id = "bench-limit-sub"
    common = [MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", str(port), "-q", "1", "-c", "-i", sub_id]
    common += ["-t", "digipark/v1/+/telemetry"]
    subprocess.run([*common, "-E"], check=True, timeout=30)  # register the persistent session, then leave
    pub = publish_result(publish("127.0.0.1", port, tokens, per_device, base_ts))
    total = pub["messages"]
    started = time.perf_counter()
    subprocess.run([*common, "-C", str(total)], stdout=subprocess.DEVNULL, check=True, timeout=3600)
    elapsed = time.perf_counter() - started
    clean = [MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", str(port), "-i", sub_id, "-t", "x", "-E"]
    subprocess.run(clean, check=True, timeout=30)  # a clean session drops the stored one
    return total * len(KEYS) / elapsed, pub


# ----------------------------------------------------------------------------------------------------------


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def emit(figure: str, value: float, unit: str, **context: Any) -> None:
    load = {"load_average_1m": round(os.getloadavg()[0], 2)}  # the machine is shared: how loaded it was
    print(json.dumps({"figure": figure, "value": round(value, 2), "unit": unit, **context, **load}, ensure_ascii=False))
    sys.stdout.flush()


def stream_env(nats_url: str) -> dict[str, str]:
    return {
        "DIGIPARK_STREAM_URL": nats_url,
        "DIGIPARK_STREAM_NAME": STREAM["name"],
        "DIGIPARK_STREAM_SUBJECT": STREAM["subject"],
        "DIGIPARK_STREAM_CONSUMER": STREAM["consumer"],
    }


async def _stream_state(nats_url: str, delete: bool = False) -> int:
    import nats
    from nats.js.errors import NotFoundError

    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        try:
            if delete:
                await js.delete_stream(STREAM["name"])
                return 0
            info = await js.stream_info(STREAM["name"])
            return int(info.state.messages)
        except NotFoundError:
            return 0
    finally:
        await nc.close()


def workers_comparison(
    url: str,
    port: int,
    tokens: list[str],
    per_device: int,
    nats_url: str,
    counts: list[int],
    env: dict[str, str],
    probe_point: int,
) -> None:
    asyncio.run(_stream_state(nats_url, delete=True))
    senv = {**env, **stream_env(nats_url), "DIGIPARK_MQTT_CLIENT_ID": "digipark-bench-bridge"}
    bridge = IngestProcess(url, senv)
    try:
        for n in counts:
            truncate_telemetry(url)
            base_ts = time.time_ns() // 1_000_000  # newer than what is stored: in-order data
            pub = publish_result(publish("127.0.0.1", port, tokens, per_device, base_ts))
            target = pub["messages"] * len(KEYS)
            deadline = time.time() + 600
            while asyncio.run(_stream_state(nats_url)) < pub["messages"] and time.time() < deadline:
                time.sleep(0.2)
            progress(f"stream holds {pub['messages']} messages; starting {n} worker(s)")
            started = time.time()
            workers = [IngestProcess(url, {**env, **stream_env(nats_url)}, "--worker") for _ in range(n)]
            try:
                stored, done = wait_stored(url, target, probe_point)
            finally:
                for worker in workers:
                    worker.stop()
            emit(
                f"ingest_dp_per_s_workers_{n}",
                stored / (done - started),
                "dp/s",
                points=target,
                stored=stored,
                workers=n,
                note="JetStream stream filled first; from worker start to last stored",
            )
    finally:
        bridge.stop()
        asyncio.run(_stream_state(nats_url, delete=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--points", type=int, default=1_000_000, help="data points per run (3 per message)")
    parser.add_argument("--workers", type=int, default=0, help="also compare 1 and N JetStream workers")
    parser.add_argument("--profile", type=Path, help="py-spy profiles of the ingest process into this folder")
    parser.add_argument("--publish", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.publish:
        print(json.dumps(asyncio.run(_publisher(json.loads(args.publish)))))
        return

    from _common import bench_database_url

    url = bench_database_url("digipark_bench_ingest")
    plain_url = url.replace("postgresql+psycopg://", "postgresql://")
    database = plain_url.rsplit("/", 1)[-1].split("?")[0]
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    per_device = max(1, round(args.points / len(KEYS) / DEVICES))
    points_per_run = per_device * DEVICES * len(KEYS)
    tokens = [token_of(i) for i in range(DEVICES)]
    progress(f"preparing {url.split('@')[-1]}: {DEVICES} meters x {len(KEYS)} points")
    points, probe_point = prepare_database(url)
    env = {"DIGIPARK_LOG_LEVEL": "INFO", "DIGIPARK_LOG_JSON": "false", "DIGIPARK_MQTT_CLIENT_ID": CLIENT_ID}
    conditions = {"points": points_per_run, "devices": DEVICES, "values_per_message": len(KEYS), "qos": 1}

    with mosquitto() as port:
        env["DIGIPARK_MQTT_URL"] = f"mqtt://127.0.0.1:{port}"
        truncate_telemetry(url)
        now = time.time_ns() // 1_000_000
        sustained_ts = now - 60_000

        progress("limit: COPY into reading (rolled back)")
        copy_rate, _, copy_cpu = copy_limit(plain_url, points, per_device, sustained_ts)
        progress(f"  {copy_rate:,.0f} dp/s")
        progress("limit: Mosquitto -> mosquitto_sub")
        broker_rate, limit_pub = broker_limit(port, tokens, per_device, sustained_ts)
        limit_pub_rate = limit_pub["messages"] * len(KEYS) / (limit_pub["finished"] - limit_pub["started"])
        progress(f"  {broker_rate:,.0f} dp/s (publisher {limit_pub_rate:,.0f} dp/s)")

        progress(f"sustained: {points_per_run:,} points while the platform runs")
        ingest = IngestProcess(plain_url, env)
        probe = LatencyProbe(plain_url, probe_point)
        probe.start()
        if args.profile:
            ingest.profile(args.profile / "sustained.txt")
        cpu_before = cpu_now(ingest, database)
        pub_proc = publish("127.0.0.1", port, tokens, per_device, sustained_ts, probe=True)
        pub = publish_result(pub_proc)
        target = pub["messages"] * len(KEYS)
        stored, done = wait_stored(plain_url, target, probe_point)
        sustained_cpu = [now - before for now, before in zip(cpu_now(ingest, database), cpu_before, strict=True)]
        probe.stopping.set()
        probe.join()
        sustained_rate = stored / (done - pub["started"])
        publisher_rate = target / (pub["finished"] - pub["started"])
        rss = ingest.peak_rss_mb()
        ingest.stop()
        progress(f"  {sustained_rate:,.0f} dp/s stored (publisher {publisher_rate:,.0f} dp/s)")

        progress(f"drain: {points_per_run:,} points queued while the platform is stopped")
        drain_ts = max(time.time_ns() // 1_000_000, sustained_ts + per_device * 10 + 1)  # in order, not late data
        pub = publish_result(publish("127.0.0.1", port, tokens, per_device, drain_ts))
        drain_target = pub["messages"] * len(KEYS)
        drain_publisher_rate = drain_target / (pub["finished"] - pub["started"])
        ingest = IngestProcess(plain_url, env)
        assert ingest.ready_at is not None
        if args.profile:
            ingest.profile(args.profile / "drain.txt")
        cpu_before = cpu_now(ingest, database)
        stored_drain, done = wait_stored(plain_url, target + drain_target, probe_point)
        drain_cpu = [now - before for now, before in zip(cpu_now(ingest, database), cpu_before, strict=True)]
        drain_rate = (stored_drain - stored) / (done - ingest.ready_at)
        rss = max(rss, ingest.peak_rss_mb())
        ingest.stop()
        import psycopg

        with psycopg.connect(plain_url, autocommit=True) as conn:
            in_table = exact_count(conn, probe_point)
        published = target + drain_target
        lost = published - in_table
        progress(f"  {drain_rate:,.0f} dp/s; published {published:,}, in the table {in_table:,}")

        # latency at a sustainable load: rate-limited to 70 % of the slower measured rate, so the probes measure
        # publish -> queryable and not the backlog of a publisher that outruns the platform
        paced_dp_per_s = 0.7 * min(sustained_rate, drain_rate)
        paced_per_device = max(1, round(paced_dp_per_s * 10 / len(KEYS) / DEVICES))  # about 10 s
        progress(f"latency: {paced_per_device * DEVICES * len(KEYS):,} points at {paced_dp_per_s:,.0f} dp/s")
        ingest = IngestProcess(plain_url, env)
        paced_probe = LatencyProbe(plain_url, probe_point, time.time_ns() // 1_000_000)
        paced_probe.start()
        paced_ts = max(time.time_ns() // 1_000_000, drain_ts + per_device * 10 + 1)
        pub = publish_result(
            publish("127.0.0.1", port, tokens, paced_per_device, paced_ts, probe=True, rate=paced_dp_per_s / len(KEYS))
        )
        paced_target = pub["messages"] * len(KEYS)
        wait_stored(plain_url, target + drain_target + paced_target, probe_point)
        paced_probe.stopping.set()
        paced_probe.join()
        rss = max(rss, ingest.peak_rss_mb())
        ingest.stop()
        with psycopg.connect(plain_url, autocommit=True) as conn:
            in_table = exact_count(conn, probe_point)
        published += paced_target
        lost = published - in_table

        def pct(values: list[float], q: float) -> float:
            ordered = sorted(values)
            return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")

        backlog = {"backlog_p50_ms": round(pct(probe.samples, 0.5)), "backlog_p99_ms": round(pct(probe.samples, 0.99))}
        samples = paced_probe.samples
        p50, p99 = pct(samples, 0.5), pct(samples, 0.99)
        paced = {"rate_dp_per_s": round(paced_dp_per_s), "rate_note": "70 % of min(sustained, drain)"}
        limit = min(copy_rate, broker_rate)
        emit("ingest_dp_per_s", sustained_rate, "dp/s", publisher_dp_per_s=round(publisher_rate), **conditions)
        emit("ingest_drain_dp_per_s", drain_rate, "dp/s", publisher_dp_per_s=round(drain_publisher_rate), **conditions)
        emit("ingest_lost", lost, "dp", published=published, stored=in_table)
        emit(
            "ingest_limit_copy_dp_per_s",
            copy_rate,
            "dp/s",
            rows=points_per_run,
            table="reading",
            postgres_cpu_s=round(copy_cpu, 2),
            postgres_dp_per_cpu_s=round(points_per_run / max(copy_cpu, 1e-9)),
        )
        emit("ingest_limit_broker_dp_per_s", broker_rate, "dp/s", client="mosquitto_sub > /dev/null", **conditions)
        emit("ingest_ratio_to_limit", sustained_rate / limit, "ratio", limit_dp_per_s=round(limit))
        emit("ingest_drain_ratio_to_limit", drain_rate / limit, "ratio", limit_dp_per_s=round(limit))
        per_cpu = {"process": "digipark ingest", "note": "stored points per CPU second (user + system) of it"}
        for figure, points_stored, (cpu, db_cpu, broker_cpu) in (
            ("ingest_dp_per_cpu_s", target, sustained_cpu),
            ("ingest_drain_dp_per_cpu_s", drain_target, drain_cpu),
        ):
            emit(
                figure,
                points_stored / max(cpu, 1e-9),
                "dp/cpu-s",
                cpu_s=round(cpu, 2),
                postgres_cpu_s=round(db_cpu, 2),
                mosquitto_cpu_s=round(broker_cpu, 2),
                postgres_dp_per_cpu_s=round(points_stored / max(db_cpu, 1e-9)),
                **per_cpu,
            )
        backlog_note = {"backlog_during": "sustained run, publisher outrunning ingest", **backlog}
        emit(
            "ingest_latency_p50_ms", p50, "ms", probes=len(samples), during="rate-limited run", **paced, **backlog_note
        )
        emit(
            "ingest_latency_p99_ms", p99, "ms", probes=len(samples), during="rate-limited run", **paced, **backlog_note
        )
        emit("ingest_peak_rss_mb", rss, "MB", process="digipark ingest")

        if args.workers:
            nats_url = os.environ.get("DIGIPARK_BENCH_NATS_URL", "nats://127.0.0.1:4222")
            workers_comparison(
                plain_url, port, tokens, per_device, nats_url, sorted({1, args.workers}), env, probe_point
            )


if __name__ == "__main__":
    main()
