"""Benchmark: requests that write while the SQLite demo writes on its own (issue 14, item 2).

Starts ``python -m digipark demo --port <free> --database sqlite:///<fresh temporary file>`` as a subprocess, then

- ``login_5xx_at_first_start``: from the moment the server answers, 50 logins (``POST /api/v1/auth/token`` as the
  demo's admin) spread over the demo's first minute, while it writes the parts after start, the telemetry
  backfill and the first live readings; counts answers >= 500 and broken connections;
- ``export_5xx_under_ingest``: 100 exports (``GET /api/v1/{buildings,enterprises,devices,points,
  economy/statistics,economy/candidates}.{csv,xlsx}``, 4 threads on keep-alive connections) while the demo ingests
  its simulated live telemetry; counts answers >= 500 and broken connections, and reports the readings stored
  meanwhile (ingestion really ran).

Prints one JSON line per figure. ``python bench/hardening_load.py`` runs both on one demo (the login figure first,
during the first minute); each function also runs alone on a demo of its own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

START_LIMIT_S = 300.0
FIRST_MINUTE_S = 60.0
LOGINS = 50
EXPORTS = 100
EXPORT_THREADS = 4
INGEST_WAIT_S = 120.0
EXPORT_URLS = [
    f"/api/v1/{what}.{fmt}"
    for what in ("buildings", "enterprises", "devices", "points", "economy/statistics", "economy/candidates")
    for fmt in ("csv", "xlsx")
]
DEMO_ADMIN = "admin"
DEMO_PASSWORD = "digipark-demo"


@dataclasses.dataclass
class RunningDemo:
    base: str
    database: Path
    log: Path
    answered_at: float  # time.monotonic() when the server first answered


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_demo() -> Iterator[RunningDemo]:
    """`digipark demo` on a fresh SQLite file, from the moment it answers until the block ends."""
    with tempfile.TemporaryDirectory(prefix="digipark-hardening-") as folder:
        database = Path(folder) / "demo.db"
        port = _free_port()
        log = Path(folder) / "demo.log"
        command = [sys.executable, "-m", "digipark", "demo", "--port", str(port), "--database", f"sqlite:///{database}"]
        with log.open("wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_LIMIT_S
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"digipark demo exited with {process.returncode}:\n{log.read_text()[-3000:]}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"digipark demo did not answer within {START_LIMIT_S:.0f} s")
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                        break
                time.sleep(0.05)
            yield RunningDemo(base, database, log, time.monotonic())
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _login(client: httpx.Client) -> httpx.Response:
    return client.post("/api/v1/auth/token", json={"username": DEMO_ADMIN, "password": DEMO_PASSWORD})


def _count_readings(database: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as connection:
        return int(connection.execute("SELECT count(*) FROM reading").fetchone()[0])


def _emit(figure: str, value: float, unit: str, **conditions: object) -> None:
    print(json.dumps({"figure": figure, "value": value, "unit": unit, **conditions}, ensure_ascii=False), flush=True)


def login_5xx_at_first_start(demo: RunningDemo | None = None) -> int:
    """Logins answered >= 500 (or with a broken connection) of `LOGINS` during the demo's first minute."""
    if demo is None:
        with running_demo() as own:
            return login_5xx_at_first_start(own)
    failed: list[str] = []
    answered: dict[int, int] = {}
    threads = 5

    def logins(offset: int) -> None:
        with httpx.Client(base_url=demo.base, timeout=120) as client:
            for n in range(offset, LOGINS, threads):
                due = demo.answered_at + n * FIRST_MINUTE_S / LOGINS
                time.sleep(max(0.0, due - time.monotonic()))
                try:
                    response = _login(client)
                except httpx.TransportError as exc:
                    failed.append(f"login {n}: {type(exc).__name__}")
                    continue
                answered[response.status_code] = answered.get(response.status_code, 0) + 1
                if response.status_code >= 500:
                    failed.append(f"login {n}: {response.status_code}")

    workers = [threading.Thread(target=logins, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    _emit(
        "login_5xx_at_first_start",
        len(failed),
        "logins",
        of=LOGINS,
        over_s=FIRST_MINUTE_S,
        statuses={str(k): v for k, v in sorted(answered.items())},
        database="sqlite",
        failures=failed[:5],
    )
    return len(failed)


def export_5xx_under_ingest(demo: RunningDemo | None = None) -> int:
    """Exports answered >= 500 (or with a broken connection) of `EXPORTS` while the demo ingests."""
    if demo is None:
        with running_demo() as own:
            return export_5xx_under_ingest(own)
    deadline = time.monotonic() + INGEST_WAIT_S
    start_count = _count_readings(demo.database)
    while _count_readings(demo.database) == start_count and time.monotonic() < deadline:
        time.sleep(1)  # until the simulator's readings arrive
    with httpx.Client(base_url=demo.base, timeout=120) as client:
        token = _login(client).json()["access_token"]
    readings_before = _count_readings(demo.database)
    failed: list[str] = []
    answered: dict[int, int] = {}
    started = time.perf_counter()

    def exports(offset: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=demo.base, headers=headers, timeout=120) as client:
            for n in range(offset, EXPORTS, EXPORT_THREADS):
                url = EXPORT_URLS[n % len(EXPORT_URLS)]
                try:
                    response = client.get(url)
                except httpx.TransportError as exc:
                    failed.append(f"{url}: {type(exc).__name__}")
                    continue
                answered[response.status_code] = answered.get(response.status_code, 0) + 1
                if response.status_code >= 500:
                    failed.append(f"{url}: {response.status_code}")

    workers = [threading.Thread(target=exports, args=(n,)) for n in range(EXPORT_THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    _emit(
        "export_5xx_under_ingest",
        len(failed),
        "exports",
        of=EXPORTS,
        threads=EXPORT_THREADS,
        statuses={str(k): v for k, v in sorted(answered.items())},
        readings_stored_meanwhile=_count_readings(demo.database) - readings_before,
        duration_s=round(time.perf_counter() - started, 1),
        database="sqlite",
        failures=failed[:5],
    )
    return len(failed)


def main() -> None:
    with running_demo() as demo:
        login_5xx_at_first_start(demo)
        export_5xx_under_ingest(demo)


if __name__ == "__main__":
    main()
