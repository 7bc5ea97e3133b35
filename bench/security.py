"""Benchmark: syslog over UDP on loopback, ingested (stored) and correlated into incidents.

Figures:
- `syslog_events_per_s`: sshd lines sent over UDP to the receiver (digipark.cybersec.syslog.Receiver), normalised,
  stored in batches and correlated by a long-lived correlator, over the whole run (sending to the last commit).
- `correlation_latency_p99_ms`: from sending the line that completes a brute-force pattern (the threshold-th
  failure of one source) to the commit of its incident.

Runs on a SQLite file of its own (migrated to head), or on the PostgreSQL database named by
DIGIPARK_BENCH_DATABASE_URL (migrated to head; a park of its own is added); the output names the database. Every
`attack_every`-th source (default 200) attacks with a burst of the brute-force threshold, the others fail once; each
incident raises its alarm.

    .venv/bin/python bench/security.py [events] [attack_every] [lines_per_s]
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import queue
import socket
import sys
import tempfile
import threading
import time
from typing import Any

os.environ.setdefault("DIGIPARK_LOG_LEVEL", "WARNING")

from sqlalchemy import make_url
from sqlalchemy.orm import sessionmaker

import digipark.modules  # noqa: F401
from digipark.core import migrate
from digipark.core.db import make_engine
from digipark.cybersec import events, reference
from digipark.cybersec.correlate import Correlator, Event
from digipark.cybersec.syslog import Batcher, Receiver, enlarge_receive_buffer
from digipark.registry import service as registry

sys.path.insert(0, os.path.dirname(__file__))
from _common import emit, percentile


def send(port: int, total: int, rate: float, threshold: int, attack_every: int, results: Any) -> None:
    """The device side, in a process of its own: `total` sshd lines at `rate` lines/s; reports when each
    completing line (the threshold-th failure of an attacking source) was sent."""
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    completing: dict[str, float] = {}
    start = time.monotonic()
    sent = source = 0
    while sent < total:
        source += 1
        ip = f"10.{source // 65536 % 256}.{source // 256 % 256}.{source % 256}"
        burst = threshold if source % attack_every == 0 else 1
        for i in range(burst):
            line = f"<38>Oct 30 22:14:15 gw-01 sshd[4]: Failed password for root from {ip} port {i} ssh2"
            if i == threshold - 1:
                completing[ip] = time.monotonic()
            sender.sendto(line.encode(), ("127.0.0.1", port))
            sent += 1
        ahead = sent / rate - (time.monotonic() - start)
        if ahead > 0.005:
            time.sleep(ahead)
    sender.close()
    results.put(completing)


def receive(out: Any, ready: Any, stop: Any, received: Any, granted: Any) -> None:
    """The receiver, in a process of its own: datagrams read and normalised here (digipark.cybersec.syslog.Receiver),
    batches of events handed to the ingest process through `out`; `received` counts the datagrams."""

    async def run() -> None:
        loop = asyncio.get_running_loop()
        batcher = Batcher(lambda park, found: out.put(found), batch_size=1000, flush_s=0.02)
        transport, _ = await loop.create_datagram_endpoint(lambda: Receiver(batcher), local_addr=("127.0.0.1", 0))
        granted.value = enlarge_receive_buffer(transport.get_extra_info("socket"))
        ready.put(transport.get_extra_info("sockname")[1])
        while not stop.is_set():
            await asyncio.sleep(0.05)
            received.value = batcher.received
        batcher.flush()
        received.value = batcher.received
        transport.close()
        out.put(None)

    asyncio.run(run())


def main(total: int, attack_every: int, rate: float) -> None:
    url = (
        os.environ.get("DIGIPARK_BENCH_DATABASE_URL") or f"sqlite:///{os.path.join(tempfile.mkdtemp(), 'security.db')}"
    )
    database = make_url(url).get_backend_name()
    migrate.upgrade(url)
    engine = make_engine(url)  # the platform's SQLite settings (WAL, synchronous=NORMAL)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as db, db.begin():
        park_id = registry.create_park(
            db, code=f"SB{time.time_ns()}", name="安全基准园区", name_en="Security bench", region_code="320500"
        ).id
    threshold = int(reference.rules()["brute_force"]["threshold"])
    latencies: list[float] = []
    committed_at: dict[str, float] = {}  # source -> when its incident was committed
    correlator = Correlator()
    done = {"events": 0, "last": 0.0}
    batches: multiprocessing.Queue[list[Event] | None] = multiprocessing.Queue()
    failures: dict[str, int] = {}

    def worker() -> None:
        """Ingests the batches the receiver process hands over; batches waiting are taken together."""
        finished = False
        while not finished:
            batch = batches.get()
            if batch is None:
                return
            while len(batch) < 20000:
                try:
                    more = batches.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    finished = True
                    break
                batch.extend(more)
            with factory() as db, db.begin():
                events.ingest(db, park_id=park_id, events=batch, correlator=correlator)
            committed = time.monotonic()
            for e in batch:  # the threshold-th failure of a source completes its pattern: its incident is now in
                seen = failures[e.src_ip or ""] = failures.get(e.src_ip or "", 0) + 1
                if seen == threshold:
                    committed_at[e.src_ip or ""] = committed
            done["events"] += len(batch)
            done["last"] = committed

    buffer = multiprocessing.Value("q", 0)  # the receive buffer the kernel granted

    def run() -> tuple[float, int, dict[str, float]]:
        ready: multiprocessing.Queue[int] = multiprocessing.Queue()
        stop = multiprocessing.Event()
        received = multiprocessing.Value("q", 0)
        receiver = multiprocessing.Process(target=receive, args=(batches, ready, stop, received, buffer))
        receiver.start()
        port = ready.get()
        thread = threading.Thread(target=worker)
        thread.start()
        results: multiprocessing.Queue[dict[str, float]] = multiprocessing.Queue()
        start = time.monotonic()
        sender = multiprocessing.Process(target=send, args=(port, total, rate, threshold, attack_every, results))
        sender.start()
        completing = results.get()
        sender.join()
        seen, quiet_since = received.value, time.monotonic()
        while received.value < total and time.monotonic() - quiet_since < 2.0:  # lost datagrams never come
            time.sleep(0.05)
            if received.value != seen:
                seen, quiet_since = received.value, time.monotonic()
        stop.set()
        thread.join()
        receiver.join()
        return start, int(received.value), completing

    start, received, completing = run()
    for ip, sent in completing.items():
        if ip in committed_at:
            latencies.append((committed_at[ip] - sent) * 1000)
    elapsed = done["last"] - start
    emit(
        "syslog_events_per_s",
        round(done["events"] / elapsed),
        "events/s",
        events=done["events"],
        sent=total,
        received=received,
        rate=rate,
        attack_every=attack_every,
        database=database,
        cores=os.cpu_count(),
        load_average=round(os.getloadavg()[0], 1),
        receive_buffer_bytes=int(buffer.value),
    )
    emit(
        "correlation_latency_p99_ms",
        round(percentile(latencies, 0.99), 1),
        "ms",
        incidents=len(latencies),
        database=database,
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        int(args[0]) if args else 100000,
        int(args[1]) if len(args) > 1 else 200,
        float(args[2]) if len(args) > 2 else 20000.0,
    )
