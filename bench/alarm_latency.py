"""Benchmark: alarm latency (MQTT publish → alarm on the live alarm stream) under 10,000 data points/s of background
ingestion, and the CPU the rules add to ingestion with 10,000 active rules.

Figures: `alarm_latency_p50_ms`, `alarm_latency_p99_ms`, `rules_cpu_overhead_pct`.

Method (issue 5, "Figures"):
- A Mosquitto of its own with `deploy/mosquitto/digipark.conf` on a free port (bench/ingest.py's `mosquitto()`), a
  PostgreSQL database of its own, `digipark_bench_alarms` (or DIGIPARK_BENCH_DATABASE_URL), with bench/ingest.py's
  1,000 meters × 3 points and 10 combustible gas detectors.
- The platform runs in this process: the ingest runtime (`telemetry.runtime.start_plan`, subscribed to that
  Mosquitto) with its rules engine, and a live alarm stream (`alarms.live.alarm_stream`, the SSE body the
  /api/v1/live/alarms endpoint sends) read by a consumer that parses its `event: alarm` frames.
- Background: bench/ingest.py's publisher process sends the meters' messages (3 values each) at 10,000 data
  points/s for `--seconds`.
- Run 1, no rules: CPU seconds of this process (ingest + engine) per stored data point.
- Run 2, 10,000 active rules (threshold rules with hysteresis on the meters' points, none of which fires, so each
  is evaluated on every reading) plus one rule per gas detector (above 25 %LEL): the same background load; CPU per
  stored data point again; `rules_cpu_overhead_pct` = (run 2 / run 1 - 1) × 100. Meanwhile the gas detectors
  publish crossings (a value above 25, then 0 half a second later), one every 100 ms across the detectors; each
  crossing's latency is its publish time → the alarm frame with that value read from the stream.

    .venv/bin/python bench/alarm_latency.py               # 30 s per run
    .venv/bin/python bench/alarm_latency.py --seconds 15  # quick
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import resource
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("DIGIPARK_LOG_LEVEL", "WARNING")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import ingest as ingest_bench
from _common import bench_database_url, emit, percentile, progress

RATE_DP_S = 10_000
RULES = 10_000
DETECTORS = 10
DETECTOR_TOKEN = "bench-alarm-gas-{:02d}"


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def prepare(url: str) -> tuple[list[int], int, list[int]]:
    """The meters (bench/ingest.py), the gas detectors; empty telemetry and alarm tables."""
    from sqlalchemy import delete, select, text
    from sqlalchemy.orm import Session

    from digipark.alarms.models import Alarm, AlarmRule
    from digipark.audit.service import Actor, set_actor
    from digipark.core.db import make_engine
    from digipark.registry.device_tokens import token_digest
    from digipark.registry.models import Device, Park, Point

    points, probe = ingest_bench.prepare_database(url)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        set_actor(session, Actor("bench"))
        park = session.scalar(select(Park).where(Park.code == ingest_bench.PARK_CODE))
        assert park is not None
        session.execute(delete(Alarm))
        session.execute(delete(AlarmRule))
        gas: list[int] = []
        for i in range(DETECTORS):
            token = DETECTOR_TOKEN.format(i)
            device = session.scalar(select(Device).where(Device.token_hash == token_digest(token)))
            if device is None:
                device = Device(
                    park_id=park.id,
                    code=f"GAS{i:02d}",
                    name=f"气体探测器{i}",
                    kind="gas_detector",
                    token_hash=token_digest(token),
                )
                session.add(device)
                session.flush()
                session.add(
                    Point(
                        park_id=park.id,
                        device_id=device.id,
                        key="lel_pct",
                        name="可燃气体浓度",
                        quantity="combustible_gas",
                        unit="%LEL",
                        device_class="gas_concentration",
                        expected_interval_s=10,
                        valid_min=0,
                        valid_max=100,
                    )
                )
                session.flush()
            gas.append(int(session.scalar(select(Point.id).where(Point.device_id == device.id))))
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE alarm_rule_state"))
    engine.dispose()
    ingest_bench.truncate_telemetry(url)
    return points, probe, gas


def add_rules(url: str, points: list[int], gas: list[int], park_code: str) -> None:
    from sqlalchemy import insert, select
    from sqlalchemy.orm import Session

    from digipark.alarms.models import AlarmRule
    from digipark.audit.service import Actor, set_actor
    from digipark.core.db import make_engine, utcnow
    from digipark.registry.models import Park

    engine = make_engine(url)
    now = utcnow()
    with Session(engine) as session, session.begin():
        set_actor(session, Actor("bench"))
        park_id = session.scalar(select(Park.id).where(Park.code == park_code))
        base = {
            "park_id": park_id,
            "enterprise_id": None,
            "severity": "minor",
            "enabled": True,
            "escalate_after_s": 900,
            "flap_window_s": 600,
            "flap_max": 3,
            "created_at": now,
            "updated_at": now,
        }
        rows = [
            {
                **base,
                "name": f"bench {i}",
                "kind": "threshold",
                "point_id": points[i % len(points)],
                "conditions": [
                    {"type": "threshold", "op": "above", "high": 1e9 + i, "low": None, "hysteresis": 1.0, "for_s": 0.0}
                ],
            }
            for i in range(RULES)
        ]
        rows += [
            {
                **base,
                "name": f"gas {i}",
                "kind": "threshold",
                "severity": "critical",
                "point_id": pid,
                "flap_window_s": 10,
                "flap_max": 100,
                "conditions": [
                    {"type": "threshold", "op": "above", "high": 25.0, "low": None, "hysteresis": 5.0, "for_s": 0.0}
                ],
            }
            for i, pid in enumerate(gas)
        ]
        session.execute(insert(AlarmRule), rows)  # bulk: not audited, as bench set-up
    engine.dispose()


class StreamReader(threading.Thread):
    """Reads the live alarm stream (the SSE body) and records when each alarm value arrived."""

    def __init__(self, park_id: int) -> None:
        super().__init__(daemon=True, name="bench-alarm-stream")
        from digipark.alarms import live
        from digipark.auth.scope import system_scope

        self.sub = live.streams().subscribe(system_scope(park_id))
        self.seen: dict[float, float] = {}  # value -> time seen
        self.written: dict[float, float] = {}  # value -> when the writer queued the event
        self.loop: asyncio.AbstractEventLoop | None = None
        self.ready = threading.Event()

    def run(self) -> None:
        import orjson

        from digipark.alarms import live

        async def go() -> None:
            self.loop = asyncio.get_running_loop()
            self.ready.set()
            async for frame in live.alarm_stream(self.sub, [], heartbeat_s=1.0):
                now = time.time()
                for line in frame.splitlines():
                    if line.startswith("data: "):
                        data = orjson.loads(line[6:])
                        if data.get("action") in ("raised", "raised_again") and data.get("value") is not None:
                            self.seen.setdefault(float(data["value"]), now)
                            at = dt.datetime.fromisoformat(str(data["at"])).timestamp()
                            self.written.setdefault(float(data["value"]), at)

        asyncio.run(go())

    def stop(self) -> None:
        self.sub.closed = True
        self.sub._signal()


async def _crossings(host: str, port: int, seconds: float, sent: dict[float, float]) -> None:
    import struct

    conn = await ingest_bench._open(host, port, f"bench-gas-{uuid.uuid4().hex[:6]}")
    pid = 0
    k = 0
    end = time.time() + seconds
    while time.time() < end:
        # every 100 ms one detector publishes: on odd rounds a crossing (30.xxx %LEL), on even rounds 0
        i = k % DETECTORS
        crossing = (k // DETECTORS) % 2 == 0
        topic = f"digipark/v1/{DETECTOR_TOKEN.format(i)}/telemetry".encode()
        head = struct.pack("!H", len(topic)) + topic
        value = round(30 + (k % 10_000) * 0.001, 3) if crossing else 0.0
        ts = time.time_ns() // 1_000_000
        payload = b'{"ts":%d,"values":{"lel_pct":%s}}' % (ts, str(value).encode())
        pid = pid % 65535 + 1
        if crossing:
            sent[value] = time.time()
        frame = ingest_bench._varint(len(head) + 2 + len(payload))
        conn.transport.write(b"\x32" + frame + head + struct.pack("!H", pid) + payload)
        k += 1
        await asyncio.sleep(0.1)
    conn.transport.write(b"\xe0\x00")
    conn.transport.close()


def run(
    url: str, port: int, seconds: float, probe: int, base_ts: int, *, crossings: bool, park_id: int
) -> dict[str, Any]:
    from digipark.telemetry.runtime import IngestPlan, start_plan

    tokens = [ingest_bench.token_of(i) for i in range(ingest_bench.DEVICES)]
    per_device = max(1, int(seconds * RATE_DP_S / 3 / len(tokens)))
    target = per_device * len(tokens) * 3
    client_id = f"digipark-bench-alarms-{uuid.uuid4().hex[:6]}"
    runtime = start_plan(IngestPlan(mqtt_url=f"mqtt://127.0.0.1:{port}", client_id=client_id, batch_size=5000))
    reader = StreamReader(park_id) if crossings else None
    if reader is not None:
        reader.start()
        reader.ready.wait(5)
    sent: dict[float, float] = {}
    try:
        cpu0, wall0 = cpu_s(), time.time()
        publisher = ingest_bench.publish("127.0.0.1", port, tokens, per_device, base_ts, rate=RATE_DP_S / 3)
        if crossings:
            asyncio.run(_crossings("127.0.0.1", port, seconds, sent))
        ingest_bench.publish_result(publisher)
        stored, _at = ingest_bench.wait_stored(url.replace("postgresql+psycopg://", "postgresql://"), target, probe)
        cpu1, wall1 = cpu_s(), time.time()
        time.sleep(1.0)
    finally:
        runtime.stop()
        if reader is not None:
            reader.stop()
    latencies = []
    if reader is not None:
        latencies = [(reader.seen[v] - t) * 1000 for v, t in sent.items() if v in reader.seen]
        to_writer = [(reader.written[v] - t) * 1000 for v, t in sent.items() if v in reader.written]
        if to_writer:
            p50, p99 = percentile(to_writer, 0.5), percentile(to_writer, 0.99)
            progress(f"  publish → alarm written: p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    return {
        "stored": stored,
        "target": target,
        "cpu_s": cpu1 - cpu0,
        "wall_s": wall1 - wall0,
        "latencies": latencies,
        "crossings": len(sent),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    from sqlalchemy import select

    from digipark.core import db as core_db
    from digipark.core.db import make_engine
    from digipark.registry.models import Park

    url = bench_database_url("digipark_bench_alarms")
    points, probe, gas = prepare(url)
    engine = make_engine(url)
    core_db.use_engine(engine)
    with engine.connect() as conn:
        park_id = int(conn.scalar(select(Park.id).where(Park.code == ingest_bench.PARK_CODE)))
    base_ts = int(time.time() * 1000) - 3_600_000
    with ingest_bench.mosquitto() as port:
        progress(f"run 1: no rules, {RATE_DP_S} dp/s for {args.seconds:.0f} s")
        plain = run(url, port, args.seconds, probe, base_ts, crossings=False, park_id=park_id)
        progress(f"  stored {plain['stored']}/{plain['target']}, {plain['cpu_s']:.1f} CPU s, {plain['wall_s']:.1f} s")
        add_rules(url, points, gas, ingest_bench.PARK_CODE)
        ingest_bench.truncate_telemetry(url)
        progress(f"run 2: {RULES} rules, the same load")
        ruled = run(url, port, args.seconds, probe, base_ts, crossings=False, park_id=park_id)
        progress(f"  stored {ruled['stored']}/{ruled['target']}, {ruled['cpu_s']:.1f} CPU s, {ruled['wall_s']:.1f} s")
        ingest_bench.truncate_telemetry(url)
        progress(f"run 3: {RULES} rules + {DETECTORS} gas detectors publishing crossings")
        crossed = run(url, port, args.seconds, probe, base_ts, crossings=True, park_id=park_id)
        seen = f"{len(crossed['latencies'])}/{crossed['crossings']}"
        progress(f"  stored {crossed['stored']}/{crossed['target']}, {crossed['wall_s']:.1f} s, {seen} crossings seen")
    engine.dispose()
    conditions = {"rate_dp_s": RATE_DP_S, "rules": RULES, "seconds": args.seconds, "database": "postgresql"}
    lat = crossed["latencies"]
    if lat:
        emit(
            "alarm_latency_p50_ms",
            percentile(lat, 0.50),
            "ms",
            samples=len(lat),
            crossings=crossed["crossings"],
            **conditions,
        )
        emit(
            "alarm_latency_p99_ms",
            percentile(lat, 0.99),
            "ms",
            samples=len(lat),
            crossings=crossed["crossings"],
            **conditions,
        )
    per_plain = plain["cpu_s"] / max(1, plain["stored"])
    per_ruled = ruled["cpu_s"] / max(1, ruled["stored"])
    emit(
        "rules_cpu_overhead_pct",
        (per_ruled / per_plain - 1) * 100,
        "%",
        cpu_us_per_dp_no_rules=round(per_plain * 1e6, 2),
        cpu_us_per_dp_rules=round(per_ruled * 1e6, 2),
        **conditions,
    )


if __name__ == "__main__":
    main()
