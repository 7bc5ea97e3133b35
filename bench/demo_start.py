"""Benchmark: seconds from starting `digipark demo` until the web application answers 200.

Starts ``python -m digipark demo --port <free> --database sqlite:///<fresh temporary file>`` as a subprocess and
polls ``GET /`` with redirects followed (an anonymous visitor is sent on to ``/login``), counting the first 200
answer; while the web shell has no page at ``/`` (404), ``GET /healthz`` is counted instead. The JSON says which
URL answered. Then it starts the demo a second time on the same database, which reuses the park.

Prints one JSON line per figure: ``demo_ready_s`` (fresh database) and ``demo_ready_reuse_s``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

LIMIT_S = 60.0
POLL_S = 0.05


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def probe(client: httpx.Client, base: str) -> str | None:
    """The URL that answered 200, or None while the server is not ready."""
    try:
        response = client.get(base + "/")
        if response.status_code == 200:
            return f"GET / -> 200 from {response.url.path} (redirects followed)"
        if response.status_code == 404:  # no web page at / yet: count the health endpoint
            health = client.get(base + "/healthz")
            if health.status_code == 200:
                return "GET /healthz -> 200 (no page at /)"
    except httpx.TransportError:
        pass
    return None


def time_to_ready(workdir: Path, database_url: str) -> tuple[float, str]:
    port = free_port()
    log_path = workdir / f"demo-{port}.log"
    command = [sys.executable, "-m", "digipark", "demo", "--port", str(port), "--database", database_url]
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
        try:
            with httpx.Client(follow_redirects=True, timeout=5.0) as client:
                while time.perf_counter() - started < LIMIT_S:
                    if process.poll() is not None:
                        tail = log_path.read_text("utf-8", errors="replace")[-2000:]
                        raise RuntimeError(f"digipark demo exited with {process.returncode}:\n{tail}")
                    answered = probe(client, f"http://127.0.0.1:{port}")
                    if answered is not None:
                        return time.perf_counter() - started, answered
                    time.sleep(POLL_S)
            raise TimeoutError(f"digipark demo did not answer within {LIMIT_S:.0f} s; log: {log_path}")
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="digipark-bench-") as tmp:
        workdir = Path(tmp)
        database_url = f"sqlite:///{workdir / 'demo.db'}"
        runs = (("demo_ready_s", "sqlite fresh"), ("demo_ready_reuse_s", "sqlite reuse"))
        for figure, database in runs:
            try:
                seconds, answered = time_to_ready(workdir, database_url)
            except (RuntimeError, TimeoutError) as exc:
                print(f"{figure}: {exc}", file=sys.stderr)
                return 1
            print(
                json.dumps(
                    {
                        "figure": figure,
                        "value": round(seconds, 2),
                        "unit": "s",
                        "database": database,
                        "cores": cores(),
                        "probe": answered,
                    }
                ),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
