"""Benchmark: requests per second the API and pages sustain with a p95 under 200 ms (`api_rps_at_p95_200ms`),
by locust (headless) against `digipark serve` on a large park (bench/large_park.py) in PostgreSQL.

    .venv/bin/python -m bench.load [--scale 0.1] [--users 5,10,20,40] [--step-s 30] [--workers 1]

The park is generated once per size in the database of DIGIPARK_BENCH_DATABASE_URL (default: `digipark_load` on
the test server; its schema is replaced). `digipark serve --workers N` runs on a free port; locust's users (the
park's 200 users, picked at random: bearer tokens for the API, a session for the pages, tasks in
bench/locustfile.py) run step by step at each user count for `--step-s` seconds. Each step prints
`load_step` (its requests/s, p95, failures); the figure is the highest requests/s of a step whose p95 stayed at or
under 200 ms with no failure (0 when none did). `--smoke` runs one short step on a small park and checks only
that every request answered (a CI check of the script, not a measurement).
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from bench._common import bench_database_url, emit, progress
from bench.demo_start import free_port
from bench.large_park import prepare, tokens_path

P95_LIMIT_MS = 200.0
ROOT = Path(__file__).resolve().parents[1]


def serve(url: str, workers: int, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "DIGIPARK_DATABASE_URL": url, "DIGIPARK_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "digipark", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen([*command, "--workers", str(workers)], env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"digipark serve exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process, port
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    process.kill()
    raise SystemExit("digipark serve did not become ready in 120 s")


def locust_step(port: int, users: int, seconds: int, tokens: Path, folder: Path, locust: str) -> dict[str, float]:
    prefix = folder / f"step-{users}"
    command = [
        locust,
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--only-summary",
        "-u",
        str(users),
        "-r",
        str(max(1, users // 2)),
        "-t",
        f"{seconds}s",
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(prefix),
    ]
    env = {**os.environ, "LOAD_TOKENS": str(tokens)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 120)
    with Path(f"{prefix}_stats.csv").open(encoding="utf-8") as stats:
        rows = list(csv.DictReader(stats))
    total = next((r for r in rows if r["Name"] == "Aggregated"), None)
    if total is None:
        raise SystemExit(f"locust wrote no totals (exit {done.returncode}): {done.stderr[-2000:]}")
    slowest = max((r for r in rows if r["Name"] != "Aggregated"), key=lambda r: float(r["95%"] or 0))
    return {
        "requests": float(total["Request Count"]),
        "failures": float(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p95_ms": float(total["95%"]),
        "p50_ms": float(total["50%"]),
        "slowest": slowest["Name"],
        "slowest_p95_ms": float(slowest["95%"] or 0),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=0.1, help="fraction of the issue's park (1 = 10,000 enterprises)"
    )
    parser.add_argument("--users", default="5,10,20,40", help="locust user counts, one step each")
    parser.add_argument("--step-s", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1, help="digipark serve --workers")
    parser.add_argument(
        "--locust",
        default=str(Path(sys.executable).with_name("locust")),
        help="the locust command (default: this virtualenv's; one installed elsewhere keeps its dependencies apart)",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="one 10 s step of 3 users on a 0.02 park: the script works"
    )
    args = parser.parse_args()
    if args.smoke:
        args.scale, args.users, args.step_s = 0.02, "3", 10
    url = bench_database_url("digipark_load")
    made = prepare(url, args.scale)
    size = made["size"]
    steps = [int(u) for u in args.users.split(",")]
    with tempfile.TemporaryDirectory(prefix="digipark-load-") as tmp:
        folder = Path(tmp)
        process, port = serve(url, args.workers, folder / "serve.log")
        best = 0.0
        try:
            for users in steps:
                progress(f"locust: {users} users for {args.step_s} s")
                step = locust_step(port, users, args.step_s, tokens_path(url), folder, args.locust)
                emit(
                    "load_step", step["rps"], "requests/s", users=users, **{k: v for k, v in step.items() if k != "rps"}
                )
                if args.smoke and (step["failures"] or not step["requests"]):
                    raise SystemExit(f"smoke run: {step}")
                if step["failures"] == 0 and step["p95_ms"] <= P95_LIMIT_MS:
                    best = max(best, step["rps"])
        finally:
            process.terminate()
            process.wait(timeout=30)
    emit(
        "api_rps_at_p95_200ms",
        best,
        "requests/s",
        enterprises=size["enterprises"],
        points=size["points"],
        users=size["users"],
        workers=args.workers,
        steps=steps,
        step_s=args.step_s,
        database="postgresql",
        load_average=os.getloadavg()[0],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
