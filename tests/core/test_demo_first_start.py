"""Logins while `digipark demo` writes its first-start data (the parts after start, the telemetry backfill, the
first live readings) on SQLite: every one answers, none with 5xx or a broken connection. The demo runs as a real
process on a fresh database; logins go over HTTP while its log says the after-start data is still being written."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_DATABASE_URL

START_LIMIT_S = 300
LOGIN_THREADS = 3
DEMO_LOGIN = {"username": "admin", "password": "digipark-demo"}
WRITTEN = "written"  # the demo's console line "demo data of ... written" ends its after-start writes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="the demo's SQLite file and its one writer")
def test_logins_during_the_demos_first_start_never_fail(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "demo.log"
    command = [
        sys.executable,
        "-m",
        "digipark",
        "demo",
        "--port",
        str(port),
        "--database",
        f"sqlite:///{tmp_path}/d.db",
    ]
    env = {**os.environ, "DIGIPARK_LOG_LEVEL": "WARNING"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    statuses: dict[int, int] = {}
    failures: list[str] = []
    try:
        deadline = time.monotonic() + START_LIMIT_S
        with httpx.Client(base_url=base, timeout=120) as client:
            while True:
                assert process.poll() is None, log_path.read_text()[-3000:]
                assert time.monotonic() < deadline, "the demo did not answer"
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            ready_at = time.monotonic()

            def written() -> bool:
                return WRITTEN in log_path.read_text(errors="replace") or time.monotonic() > ready_at + 120

            def log_in_until_written() -> None:
                with httpx.Client(base_url=base, timeout=120) as own:
                    while not written():
                        try:
                            response = own.post("/api/v1/auth/token", json=DEMO_LOGIN)
                        except httpx.TransportError as exc:
                            failures.append(type(exc).__name__)
                            continue
                        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                        if response.status_code >= 500:
                            failures.append(f"{response.status_code} {response.text[:200]}")

            workers = [threading.Thread(target=log_in_until_written) for _ in range(LOGIN_THREADS)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            assert WRITTEN in log_path.read_text(errors="replace"), "the demo's after-start writes did not end"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
    assert not failures, (failures, statuses)
    assert set(statuses) == {200} and statuses[200] >= LOGIN_THREADS, statuses
