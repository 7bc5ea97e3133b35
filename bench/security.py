"""Benchmark: syslog over UDP on loopback, ingested (stored) and correlated into incidents.

Figures:
- `syslog_events_per_s`: sshd lines sent over UDP to the receiver (digipark.cybersec.syslog.Receiver), normalised,
  stored in batches and correlated by a long-lived correlator, over the whole run (sending to the last commit).
- `correlation_latency_p99_ms`: from sending the line that completes a brute-force pattern (the threshold-th
  failure of one source) to the commit of its incident.

Runs on a SQLite file of its own (migrated to head), one process; every 10th source attacks (a burst over the
threshold), the others fail once.

    .venv/bin/python bench/security.py [events]
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
import time

os.environ.setdefault("DIGIPARK_LOG_LEVEL", "WARNING")

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

import digipark.modules  # noqa: F401
from digipark.core import migrate
from digipark.cybersec import events, reference
from digipark.cybersec.correlate import Correlator, Event
from digipark.cybersec.syslog import Receiver
from digipark.registry import service as registry

sys.path.insert(0, os.path.dirname(__file__))
from _common import emit, percentile


def main(total: int) -> None:
    path = os.path.join(tempfile.mkdtemp(), "security.db")
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = create_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as db, db.begin():
        park_id = registry.create_park(
            db, code="SB", name="安全基准园区", name_en="Security bench", region_code="320500"
        ).id
    threshold = int(reference.rules()["brute_force"]["threshold"])
    completing: dict[str, float] = {}  # source -> when its completing line was sent
    latencies: list[float] = []
    correlator = Correlator()
    done = {"events": 0, "last": 0.0}

    def handle(batch: list[Event]) -> None:
        with factory() as db, db.begin():
            events.ingest(db, park_id=park_id, events=batch, correlator=correlator)
        committed = time.perf_counter()
        for e in batch:
            sent = completing.pop(e.src_ip or "", None)
            if sent is not None:
                latencies.append((committed - sent) * 1000)
        done["events"] += len(batch)
        done["last"] = committed

    async def run() -> float:
        loop = asyncio.get_running_loop()
        transport, receiver = await loop.create_datagram_endpoint(
            lambda: Receiver(handle, batch_size=2000, flush_s=0.05), local_addr=("127.0.0.1", 0)
        )
        transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024 * 1024)
        port = transport.get_extra_info("sockname")[1]
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        start = time.perf_counter()

        def send() -> None:
            sent = 0
            source = 0
            while sent < total:
                source += 1
                ip = f"10.{source // 65536 % 256}.{source // 256 % 256}.{source % 256}"
                burst = threshold if source % 10 == 0 else 1
                for i in range(burst):
                    line = f"<38>Oct 30 22:14:15 gw-01 sshd[4]: Failed password for root from {ip} port {i} ssh2"
                    if i == threshold - 1:
                        completing[ip] = time.perf_counter()
                    sender.sendto(line.encode(), ("127.0.0.1", port))
                    sent += 1
                if sent % 200 < burst:
                    time.sleep(0.002)  # a steady stream, not one burst the socket buffer cannot hold

        await loop.run_in_executor(None, send)
        while receiver.received < total and time.perf_counter() - start < 120:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        receiver.flush()
        transport.close()
        sender.close()
        return start

    start = asyncio.run(run())
    elapsed = done["last"] - start
    emit(
        "syslog_events_per_s",
        round(done["events"] / elapsed),
        "events/s",
        events=done["events"],
        sent=total,
        database="sqlite",
        cores=os.cpu_count(),
    )
    emit(
        "correlation_latency_p99_ms",
        round(percentile(latencies, 0.99), 1),
        "ms",
        incidents=len(latencies),
        database="sqlite",
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50000)
