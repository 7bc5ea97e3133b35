"""Benchmark: memory of every process over a soak with ingest and the web running (`soak_rss_growth_mb`).

Starts the demo (`digipark demo` on SQLite: the embedded broker and ingest, the simulated devices publishing —
`--speedup` times as often as the live demo does —, the web server), waits for its back-fill, then for
`--minutes` requests a few pages and API lists every few seconds while sampling the resident memory (VmRSS) of the
demo's process and of every process below it every `--sample-s` seconds. After `--warmup-minutes` (caches
filling, the first requests of every route), the growth of each process is the slope of a least-squares line
through its samples, in MB per hour; the figure is the largest. The 1-hour run: `--minutes 60`.

`--during-backfill` starts the requests and the sampling as soon as the demo answers (the back-fill then runs in
the warm-up), so that `--minutes` is the whole run. `--memtrace S` runs the demo with DIGIPARK_MEMTRACE_INTERVAL_S=S
(tracemalloc: the source lines that grew most, logged every S seconds; it costs CPU and memory, so its RSS figures
are not the soak's) and `--log FILE` keeps the demo's log; `--samples FILE` writes every RSS sample as CSV.

    .venv/bin/python -m bench.soak [--minutes 10] [--warmup-minutes 2] [--database back-filled.db]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from bench._common import emit, progress
from bench.demo_idle import descendants, wait_for_backfill
from bench.demo_start import free_port

DEMO_ADMIN = "admin"  # the demo park's administrator (sim/data/demo_park.yaml)
PAGES = ("/", "/enterprises", "/telemetry/devices", "/alarms", "/api/v1/points?page=2", "/api/v1/enterprises")


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def slope_per_hour(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per hour."""
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    spread = sum((t - mean_t) ** 2 for t, _ in samples)
    if spread == 0:
        return 0.0
    return 3600 * sum((t - mean_t) * (m - mean_m) for t, m in samples) / spread


def wait_until_answering(port: int, process: subprocess.Popen[bytes], limit_s: float = 600) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the demo exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(1)
    raise SystemExit(f"the demo did not answer within {limit_s:.0f} s")


def log_in(client: httpx.Client) -> None:
    import re

    page = client.get("/login", timeout=300).text  # a demo just started, on a busy machine, answers late
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    form = {
        "username": "admin",
        "password": "digipark-demo",
        "csrf_token": token.group(1) if token else "",
        "next": "/",
    }
    client.post("/login", data=form, timeout=300)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--warmup-minutes", type=float, default=2.0)
    parser.add_argument("--sample-s", type=float, default=10.0)
    parser.add_argument("--speedup", type=float, default=3.0, help="devices publish this many times as often")
    parser.add_argument("--database", type=Path, help="a copy of a back-filled demo SQLite file (else a fresh one)")
    parser.add_argument("--during-backfill", action="store_true", help="start at once, the back-fill in the warm-up")
    parser.add_argument("--memtrace", type=float, help="seconds between the demo's tracemalloc growth reports")
    parser.add_argument("--log", type=Path, help="keep the demo's log here")
    parser.add_argument("--samples", type=Path, help="write every RSS sample here (CSV)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="digipark-soak-"))
    if args.database is not None:
        for suffix in ("", "-wal"):
            if Path(f"{args.database}{suffix}").exists():
                shutil.copyfile(f"{args.database}{suffix}", workdir / f"demo.db{suffix}")
    port, log_path = free_port(), workdir / "demo.log"
    env = {**os.environ, "DIGIPARK_LOG_LEVEL": "INFO", "DIGIPARK_DEMO_TELEMETRY_SPEEDUP": str(args.speedup)}
    if args.memtrace:
        env["DIGIPARK_MEMTRACE_INTERVAL_S"] = str(args.memtrace)
    command = [
        sys.executable,
        "-m",
        "digipark",
        "demo",
        "--port",
        str(port),
        "--database",
        f"sqlite:///{workdir}/demo.db",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=env)
    samples: dict[int, list[tuple[float, float]]] = {}
    names: dict[int, str] = {}
    requests = errors = timeouts = 0
    load_start = os.getloadavg()[0]
    try:
        if args.during_backfill:
            progress(f"demo pid {process.pid} on port {port}, log {log_path}; starting when it answers")
            wait_until_answering(port, process)
        else:
            progress(f"demo pid {process.pid} on port {port}, log {log_path}; waiting for the back-fill")
            wait_for_backfill(log_path, process, 1800)
        started = time.monotonic()
        next_sample = started
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, follow_redirects=True) as client:
            log_in(client)
            while (elapsed := time.monotonic() - started) < args.minutes * 60:
                for path in PAGES:
                    requests += 1
                    try:
                        errors += client.get(path).status_code >= 500
                    except httpx.TransportError as exc:  # a timeout is the soak's finding, not its end
                        timeouts += 1
                        progress(f"{path}: {type(exc).__name__}")
                if time.monotonic() >= next_sample:
                    next_sample += args.sample_s
                    for pid in descendants(process.pid):
                        mb = rss_mb(pid)
                        if mb is not None:
                            samples.setdefault(pid, []).append((elapsed, mb))
                            names.setdefault(
                                pid, Path(f"/proc/{pid}/cmdline").read_bytes()[:80].decode(errors="replace")
                            )
                    if int(elapsed) % 60 < args.sample_s:
                        now = {pid: round(s[-1][1]) for pid, s in samples.items()}
                        load = os.getloadavg()[0]
                        progress(
                            f"{elapsed / 60:.1f} min: RSS MB {now}, {requests} requests ({errors} 5xx), load {load:.1f}"
                        )
                time.sleep(2)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        if args.log is not None:
            shutil.copyfile(log_path, args.log)
        shutil.rmtree(workdir, ignore_errors=True)
    if args.samples is not None:
        with args.samples.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["pid", "process", "seconds", "rss_mb"])
            for pid, series in samples.items():
                writer.writerows(
                    [pid, names[pid].replace("\0", " ").strip(), round(t, 1), round(m, 2)] for t, m in series
                )
    warm = args.warmup_minutes * 60
    growth = {}
    for pid, series in samples.items():
        after = [(t, m) for t, m in series if t >= warm]
        if len(after) >= 3:
            growth[pid] = slope_per_hour(after)
            emit(
                "soak_process_rss_growth_mb",
                growth[pid],
                "MB/h",
                process=names[pid].replace("\0", " ").strip(),
                rss_start_mb=round(after[0][1], 1),
                rss_end_mb=round(after[-1][1], 1),
                samples=len(after),
            )
    emit(
        "soak_rss_growth_mb",
        max(growth.values(), default=0.0),
        "MB per process per hour (the largest)",
        minutes=args.minutes,
        warmup_minutes=args.warmup_minutes,
        processes=len(growth),
        requests=requests,
        errors_5xx=errors,
        timeouts=timeouts,
        speedup=args.speedup,
        during_backfill=args.during_backfill,
        memtrace=args.memtrace,
        load_average_start=load_start,
        load_average=os.getloadavg()[0],
        target="< 20",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
