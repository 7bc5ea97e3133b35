"""Benchmark: industrial internet identifier resolution over HTTP at a constant rate (figure `resolution_p99_ms`).

Runs on PostgreSQL, in a database of its own (`digipark_bench_resolution` on the test server, or the database named
by DIGIPARK_BENCH_DATABASE_URL), migrated to head; the first run registers IDENTIFIERS identifiers (`88.131.1/B-n`,
with attributes, some marking a device, some with the owner's system) for two enterprises of one park, later runs
reuse them. It starts the real server process on a free port, `digipark resolver --workers RESOLUTION_WORKERS`
(and, for comparison, `digipark serve`: the API's own route, `resolution_api_p99_ms`, at RESOLUTION_API_RATE), and
drives it open-loop at RESOLUTION_RATE requests/s for RESOLUTION_SECONDS s: request i is due at start + i/rate and
its latency is counted from then, not from when it was sent, so a server (or client) falling behind shows as latency
rather than a lower rate (coordinated omission); a failed request counts with the time it took to fail, and in
`errors`. Each request resolves a random registered identifier with an enterprise user's bearer token, over
keep-alive connections (asyncio on uvloop, httptools parsing the answers). The server is then stopped with SIGTERM
and the resolutions it wrote are compared with the 200s it answered (`counted`: nothing lost on a clean stop). On a
machine shared with other work, run it as `nice -n -10 …` (root) so that client and server get the CPU they need;
the JSON says so.

    .venv/bin/python bench/resolution.py
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

os.environ.setdefault("DIGIPARK_LOG_LEVEL", "WARNING")

import httptools
import httpx
import uvloop
from _common import bench_database_url, emit, percentile, progress
from sqlalchemy import func, insert, select
from sqlalchemy.orm import sessionmaker

import digipark.modules  # noqa: F401  (installs the records and their permissions)
from digipark.audit.service import Actor, set_actor
from digipark.auth import service as auth_service
from digipark.auth.models import Role, User
from digipark.auth.scope import system_scope
from digipark.core import db as core_db
from digipark.core import migrate
from digipark.core.codes import make_uscc
from digipark.core.db import make_engine, utcnow
from digipark.dataspace.models import Identifier
from digipark.dataspace.resolver import PATH
from digipark.registry import schemas as rs
from digipark.registry import service as registry
from digipark.registry.models import Park

ROOT = Path(__file__).resolve().parent.parent
IDENTIFIERS = int(os.environ.get("RESOLUTION_IDENTIFIERS", "10000"))
RATE = float(os.environ.get("RESOLUTION_RATE", "1000"))
SECONDS = float(os.environ.get("RESOLUTION_SECONDS", "20"))
WORKERS = int(os.environ.get("RESOLUTION_WORKERS", "2"))
API_SECONDS = float(os.environ.get("RESOLUTION_API_SECONDS", "10"))  # 0: skip the comparison with the API
API_RATE = float(os.environ.get("RESOLUTION_API_RATE", "200"))  # at 1,000/s its requests all end 503 (pool wait)
WARMUP_S = 2.0
PARK_CODE = "RESOLVE"
USER = "resolve-bench-enterprise"
PREFIX = "88.131.1"
DIGIPARK = str(Path(sys.executable).with_name("digipark"))


def _filled(factory: Any) -> int | None:
    with factory() as session:
        park_id = session.scalar(select(Park.id).where(Park.code == PARK_CODE))
        if park_id is None:
            return None
        count = session.scalar(select(func.count()).select_from(Identifier).where(Identifier.park_id == park_id))
        return park_id if count == IDENTIFIERS else None


def _fill(factory: Any) -> None:
    started = time.perf_counter()
    with factory() as session, session.begin():
        set_actor(session, Actor("bench-setup"))
        park = registry.create_park(session, code=PARK_CODE, name="标识解析基准园区", region_code="320500")
        scope = system_scope(park.id)
        kinds = registry.KINDS
        enterprises = [
            registry.create(
                session,
                scope=scope,
                kind=kinds["enterprise"],
                data=rs.EnterpriseCreate(
                    name=f"解析企业{i}", uscc=make_uscc("9", "1", "320500", f"7{i}MA0001"), industry_code="3311"
                ),
            )
            for i in range(2)
        ]
        device = registry.create(
            session,
            scope=scope,
            kind=kinds["device"],
            data=rs.DeviceCreate(code="RB1", name="注塑机", kind="electricity_meter", enterprise_id=enterprises[0].id),
        )
        auth_service.create(
            session,
            username=USER,
            password="resolve-Bench-2026",
            role=Role.ENTERPRISE,
            park_id=park.id,
            enterprise_id=enterprises[1].id,
        )
        now = utcnow()
        rows = [
            {
                "park_id": park.id,
                "enterprise_id": enterprises[i % 2].id,
                "handle": f"{PREFIX}/B-{i}",
                "prefix": PREFIX,
                "kind": ("product", "batch", "equipment")[i % 3],
                "name": f"批次{i}",
                "attributes": {"型号": f"HX-{i % 50}", "数量": i % 1000},
                "device_id": device.id if i % 10 == 0 else None,
                "target_url": f"https://mes.example.com/b/{i}" if i % 4 == 0 else None,
                "resolutions": 0,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(IDENTIFIERS)
        ]
        session.execute(insert(Identifier), rows)
    progress(f"registered {IDENTIFIERS} identifiers in {time.perf_counter() - started:.1f} s")


def _token(factory: Any) -> str:
    with factory() as session, session.begin():
        user = session.scalar(select(User).where(User.username == USER))
        assert user is not None
        raw, _ = auth_service.create_api_token(session, user=user, name="bench", days=1)
        return raw


def _resolutions(factory: Any, park_id: int) -> int:
    with factory() as session:
        return int(session.scalar(select(func.sum(Identifier.resolutions)).where(Identifier.park_id == park_id)) or 0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_s(pid: int) -> float:
    """CPU seconds of process `pid` and its children (uvicorn's workers)."""
    total, pending = 0.0, [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            pending.extend(int(c) for c in children)
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
    return total


class _Connection(asyncio.Protocol):
    """A keep-alive HTTP/1.1 connection carrying one request at a time; responses parsed by httptools (uvicorn's
    parser), so that the client spends little of the CPU the server needs."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: Any = None  # uvloop's transports are not asyncio.Transport
        self.answer: asyncio.Future[int] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(exc)

    def on_message_complete(self) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_result(self.parser.get_status_code())

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(exc or ConnectionError("closed by the server"))

    def _fail(self, exc: Exception) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(exc)

    async def send(self, request: bytes) -> int:
        self.answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.answer


async def _drive(base: str, token: str, rate: float, seconds: float) -> tuple[list[float], int, int, float]:
    """Open-loop load: latencies (ms, from each request's due time, to its answer or failure), how many were not
    200 and how many were, and the achieved rate of 200s per second."""
    rng = random.Random(20261207)
    loop = asyncio.get_running_loop()
    host, port = base.removeprefix("http://").split(":")
    requests = [
        (
            f"GET {PATH}?handle={quote(f'{PREFIX}/B-{i}', safe='')} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
        for i in range(IDENTIFIERS)
    ]
    gc.collect()
    gc.freeze()  # the requests built: no collector pauses in the client's timing
    idle: list[_Connection] = []
    latencies: list[float] = []
    errors = answered = 0
    last_done = 0.0

    async def one(due: float) -> None:
        nonlocal errors, answered, last_done
        while idle and idle[-1].closed:  # closed by the server after its keep-alive timeout
            idle.pop()
        try:
            if idle:
                connection = idle.pop()
            else:
                _, connection = await loop.create_connection(_Connection, host, int(port))
            status = await connection.send(requests[rng.randrange(IDENTIFIERS)])
            if not connection.closed:
                idle.append(connection)
        except (OSError, RuntimeError, httptools.HttpParserError):
            status = 0
        done = time.perf_counter()
        last_done = max(last_done, done)
        latencies.append((done - due) * 1000)
        errors += status != 200
        answered += status == 200

    total = int(rate * seconds)
    tasks: set[asyncio.Task[None]] = set()
    start = time.perf_counter() + 0.05
    sent = 0
    while sent < total:
        now = time.perf_counter()
        while sent < total and start + sent / rate <= now:  # every request now due, each with its due time
            task = asyncio.create_task(one(start + sent / rate))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sent += 1
        await asyncio.sleep(max(0.0, start + sent / rate - time.perf_counter()))
    if tasks:
        _, unfinished = await asyncio.wait(tasks, timeout=60)
        errors += len(unfinished)  # and no latency: the figure is over the requests that ended
        for task in unfinished:
            task.cancel()
    for connection in idle:
        connection.transport.close()
    achieved = answered / (last_done - start) if last_done > start else 0.0
    return latencies, errors, answered, achieved


def _measure(
    figure: str, command: list[str], url: str, token: str, factory: Any, park_id: int, rate: float, seconds: float
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"digipark-bench-{figure}.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [*command, "--port", str(port), "--database", url],
            cwd=ROOT,
            env={**os.environ, "DIGIPARK_DATABASE_URL": url},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers too can be ended if it does not stop
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"{command[1]} did not start (see {log})")
            time.sleep(0.3)
        before = _resolutions(factory, park_id)
        _, _, warmed, _ = uvloop.run(_drive(base, token, min(rate, 200), WARMUP_S))  # connections, code paths
        load = os.getloadavg()
        cpu_before = _cpu_s(server.pid)
        client_before = time.process_time()
        progress(f"{figure}: {rate:.0f} requests/s for {seconds:.0f} s against {' '.join(command[1:])} ...")
        latencies, errors, answered, achieved = uvloop.run(_drive(base, token, rate, seconds))
        server_cpu_s = _cpu_s(server.pid) - cpu_before
        client_cpu_s = time.process_time() - client_before
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            progress(f"{command[1]} did not stop within 60 s: killed with its workers")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # workers left behind would hold connections and row locks
        server.wait(timeout=20)
    counted = _resolutions(factory, park_id) - before - warmed
    emit(
        figure,
        percentile(latencies, 0.99),
        "ms",
        p50_ms=round(percentile(latencies, 0.50), 2),
        p999_ms=round(percentile(latencies, 0.999), 2),
        max_ms=round(max(latencies), 2),
        target_rate=rate,
        achieved_rate=round(achieved, 1),
        requests=int(rate * seconds),
        answered=answered,
        errors=errors,
        counted=counted,
        server=" ".join(command[1:]),
        server_cpu_ms_per_request=round(1000 * server_cpu_s / max(answered, 1), 3),
        client_cpu_ms_per_request=round(1000 * client_cpu_s / max(answered, 1), 3),
        identifiers=IDENTIFIERS,
        database="postgresql",
        load_average_1m_before=round(load[0], 2),
        load_average_1m_after=round(os.getloadavg()[0], 2),
        cores=os.cpu_count(),
        nice=os.nice(0),  # the priority client and server ran at (`nice -n -10` on a machine shared with others)
    )


def main() -> None:
    url = bench_database_url("digipark_bench_resolution")
    migrate.upgrade(url)
    engine = make_engine(url)
    core_db.use_engine(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    park_id = _filled(factory)
    if park_id is None:
        progress(f"registering {IDENTIFIERS} identifiers ...")
        _fill(factory)
        park_id = _filled(factory)
        assert park_id is not None
    token = _token(factory)
    resolver = [DIGIPARK, "resolver", "--host", "127.0.0.1", "--workers", str(WORKERS)]
    _measure("resolution_p99_ms", resolver, url, token, factory, park_id, RATE, SECONDS)
    if API_SECONDS > 0:
        api = [DIGIPARK, "serve", "--host", "127.0.0.1", "--workers", str(WORKERS)]
        _measure("resolution_api_p99_ms", api, url, token, factory, park_id, API_RATE, API_SECONDS)
    engine.dispose()


if __name__ == "__main__":
    main()
